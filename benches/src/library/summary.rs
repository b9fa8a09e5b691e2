//! What a generated `.koc` file holds, and what processing it must give.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDateTime;
use koc_core::OutcomeCode;

/// What a desk did, as the simulation chose it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum OperationKind {
    /// An issue of an item on the shelf to a patron: `issued`.
    Issue,
    /// A return of an item on loan: `returned`.
    Return,
    /// An issue of an item to the patron who has it already: `renewed`.
    Renewal,
    /// A payment against a patron's debts: `payment_recorded`.
    Payment,
    /// A payment by a patron who owes nothing (once the library's debts
    /// are paid): `payment_recorded`, with credit left.
    PaymentWithoutDebt,
    /// An issue of an item on loan to another patron (its return was never
    /// scanned): `issued`, the other loan closed first.
    IssueOnLoanToOther,
    /// An issue or payment with a card number no patron has:
    /// `patron_not_found`.
    UnknownCard,
    /// An issue or return of a barcode no item has: `item_not_found`.
    UnknownBarcode,
    /// A return of an item that was on the shelf: `not_issued`.
    ReturnNotOnLoan,
    /// The line before, written again: a duplicate, not queued.
    RepeatedLine,
}

impl OperationKind {
    /// Every kind.
    pub const ALL: [OperationKind; 10] = [
        OperationKind::Issue,
        OperationKind::Return,
        OperationKind::Renewal,
        OperationKind::Payment,
        OperationKind::PaymentWithoutDebt,
        OperationKind::IssueOnLoanToOther,
        OperationKind::UnknownCard,
        OperationKind::UnknownBarcode,
        OperationKind::ReturnNotOnLoan,
        OperationKind::RepeatedLine,
    ];

    /// A snake_case name: `issue`, `return_not_on_loan` ...
    pub const fn as_str(self) -> &'static str {
        match self {
            OperationKind::Issue => "issue",
            OperationKind::Return => "return",
            OperationKind::Renewal => "renewal",
            OperationKind::Payment => "payment",
            OperationKind::PaymentWithoutDebt => "payment_without_debt",
            OperationKind::IssueOnLoanToOther => "issue_on_loan_to_other",
            OperationKind::UnknownCard => "unknown_card",
            OperationKind::UnknownBarcode => "unknown_barcode",
            OperationKind::ReturnNotOnLoan => "return_not_on_loan",
            OperationKind::RepeatedLine => "repeated_line",
        }
    }
}

impl fmt::Display for OperationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a generated `.koc` file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSummary {
    /// Its name, as the desktop tool names files.
    pub name: String,
    /// When the outage began, just before its first operation.
    pub first: NaiveDateTime,
    /// The time of its last operation.
    pub last: NaiveDateTime,
    /// Transaction lines, repeated lines included.
    pub transactions: u64,
    /// Lines by what the desk did.
    pub kinds: BTreeMap<OperationKind, u64>,
    /// The outcome processing gives each operation that enqueue adds (all
    /// but the repeated lines), by code.
    pub outcomes: BTreeMap<OutcomeCode, u64>,
}

impl FileSummary {
    pub(crate) fn new(name: String, first: NaiveDateTime) -> FileSummary {
        FileSummary {
            name,
            first,
            last: first,
            transactions: 0,
            kinds: BTreeMap::new(),
            outcomes: BTreeMap::new(),
        }
    }

    /// A summary of no file.
    pub fn empty() -> FileSummary {
        FileSummary::new(String::new(), super::first_outage_start())
    }

    pub(crate) fn count(&mut self, kind: OperationKind, outcome: Option<OutcomeCode>) {
        self.transactions += 1;
        *self.kinds.entry(kind).or_default() += 1;
        if let Some(code) = outcome {
            *self.outcomes.entry(code).or_default() += 1;
        }
    }

    /// Lines of this kind.
    pub fn kind(&self, kind: OperationKind) -> u64 {
        self.kinds.get(&kind).copied().unwrap_or(0)
    }

    /// Operations with this outcome.
    pub fn outcome(&self, code: OutcomeCode) -> u64 {
        self.outcomes.get(&code).copied().unwrap_or(0)
    }

    /// Lines enqueue finds already queued: the repeated lines.
    pub fn duplicates(&self) -> u64 {
        self.kind(OperationKind::RepeatedLine)
    }

    /// Operations enqueue adds, and processing then processes.
    pub fn added(&self) -> u64 {
        self.transactions - self.duplicates()
    }

    /// Operations processing applies (issued, renewed, returned, payment
    /// recorded).
    pub fn applied(&self) -> u64 {
        self.outcomes
            .iter()
            .filter(|(code, _)| code.is_applied())
            .map(|(_, n)| n)
            .sum()
    }

    /// As JSON: the file, its lines by kind, and what `koc enqueue` and
    /// `koc process --json` must report for it (`added`, `duplicates`,
    /// `processed`, `outcomes`).
    pub fn to_json(&self) -> serde_json::Value {
        let kinds: serde_json::Map<String, serde_json::Value> = self
            .kinds
            .iter()
            .map(|(k, n)| (k.as_str().to_owned(), (*n).into()))
            .collect();
        let outcomes: serde_json::Map<String, serde_json::Value> = self
            .outcomes
            .iter()
            .map(|(k, n)| (k.as_str().to_owned(), (*n).into()))
            .collect();
        serde_json::json!({
            "file": self.name,
            "first": self.first.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
            "last": self.last.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
            "transactions": self.transactions,
            "kinds": kinds,
            "added": self.added(),
            "duplicates": self.duplicates(),
            "processed": self.added(),
            "outcomes": outcomes,
        })
    }
}

impl fmt::Display for FileSummary {
    /// Lines by kind, then outcomes, with shares.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let share = |n: u64, of: u64| {
            if of == 0 {
                0.0
            } else {
                n as f64 * 100.0 / of as f64
            }
        };
        writeln!(
            f,
            "{}: {} transactions, {} to {}",
            self.name,
            self.transactions,
            self.first.format("%Y-%m-%d %H:%M"),
            self.last.format("%Y-%m-%d %H:%M")
        )?;
        writeln!(f, "  lines by what the desk did:")?;
        for kind in OperationKind::ALL {
            let n = self.kind(kind);
            if n > 0 {
                writeln!(
                    f,
                    "    {:<24} {:>10}  {:>5.1}%",
                    kind.as_str(),
                    n,
                    share(n, self.transactions)
                )?;
            }
        }
        writeln!(
            f,
            "  expected: enqueue adds {}, {} duplicates; processing gives:",
            self.added(),
            self.duplicates()
        )?;
        for (code, n) in &self.outcomes {
            writeln!(
                f,
                "    {:<24} {:>10}  {:>5.1}%",
                code.as_str(),
                n,
                share(*n, self.added())
            )?;
        }
        write!(
            f,
            "    applied {:.1}%, failed {:.1}%",
            share(self.applied(), self.added()),
            share(self.added() - self.applied(), self.added())
        )
    }
}
