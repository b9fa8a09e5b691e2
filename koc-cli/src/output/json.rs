//! The JSON shapes scripts rely on, and a writer that streams a long array
//! inside an object without holding it in memory.

use std::io::Write;

use koc_core::{
    FileUploadReport, HistoryEntry, Item, LineReport, Loan, PendingOperation, ProcessSummary,
    ProcessedOperation,
};
use serde::Serialize;

use super::time;
use crate::error::CliError;

/// A line of a `.koc` file that was rejected or warned about.
#[derive(Clone, Debug, Serialize)]
pub struct LineJson {
    /// The line number, from 1.
    pub line: u64,
    /// The byte offset of the line, from 0.
    pub byte: u64,
    /// The code: `unknown_command`, `extra_fields` ...
    pub kind: String,
    /// What is wrong, for a person.
    pub message: String,
}

impl From<&LineReport> for LineJson {
    fn from(report: &LineReport) -> LineJson {
        LineJson {
            line: report.line,
            byte: report.byte,
            kind: report.kind.clone(),
            message: report.message.clone(),
        }
    }
}

/// What an enqueue did (`koc enqueue`, and the first part of `koc apply`).
#[derive(Clone, Debug, Serialize)]
pub struct EnqueueJson {
    /// The file's name, as recorded in each operation's source.
    pub file: String,
    /// The upload the operations joined (absent when nothing was queued).
    pub upload: Option<i64>,
    /// Transactions read from the file.
    pub transactions: u64,
    /// Operations added to the queue.
    pub added: u64,
    /// Operations already pending or in history.
    pub duplicates: u64,
    /// Lines that are not transactions, with why.
    pub rejected: Vec<LineJson>,
    /// Doubts about lines that were read anyway.
    pub warnings: Vec<LineJson>,
    /// Whether `--strict` refused the whole file.
    pub refused: bool,
}

impl EnqueueJson {
    /// The JSON of a report.
    pub fn new(file: &str, report: &FileUploadReport, refused: bool) -> EnqueueJson {
        EnqueueJson {
            file: file.to_owned(),
            upload: (report.added > 0).then_some(report.upload.0),
            transactions: report.transactions,
            added: report.added,
            duplicates: report.duplicates.len() as u64,
            rejected: report.rejected.iter().map(LineJson::from).collect(),
            warnings: report.warnings.iter().map(LineJson::from).collect(),
            refused,
        }
    }
}

/// A pending operation in the review list.
#[derive(Clone, Debug, Serialize)]
pub struct PendingJson {
    /// Its id.
    pub id: i64,
    /// When it happened offline: `YYYY-MM-DD HH:MM:SS.mmm`.
    pub timestamp: String,
    /// `issue`, `return` or `payment`.
    pub action: &'static str,
    /// The patron's card number (or username).
    pub cardnumber: Option<String>,
    /// The patron's name, when the card is known.
    pub patron: Option<String>,
    /// The item's barcode.
    pub barcode: Option<String>,
    /// The item's title, when the barcode is known.
    pub title: Option<String>,
    /// The amount of a payment, as a decimal string.
    pub amount: Option<String>,
    /// The due date chosen at the desk, if any.
    pub due: Option<String>,
    /// The library it was uploaded for.
    pub branchcode: String,
    /// The staff user who uploaded it.
    pub userid: String,
    /// The workstation, if known.
    pub workstation: Option<String>,
    /// Where it came from: `file.koc:LINE`.
    pub source: String,
    /// The upload it came in.
    pub upload: i64,
}

impl PendingJson {
    /// The JSON of a pending operation, with the patron's name and the
    /// item's title when known.
    pub fn new(pending: &PendingOperation, patron: Option<String>, title: Option<String>) -> Self {
        let op = &pending.operation;
        PendingJson {
            id: pending.id.0,
            timestamp: time::millis(op.time),
            action: op.action.as_str(),
            cardnumber: op.cardnumber.clone(),
            patron,
            barcode: op.barcode.clone(),
            title,
            amount: op.amount.map(|a| a.to_string()),
            due: op.due.map(|d| d.to_string()),
            branchcode: op.branch.clone(),
            userid: op.userid.clone(),
            workstation: op.workstation.clone(),
            source: op.source.to_string(),
            upload: pending.upload.0,
        }
    }
}

/// One processed operation, borrowing its text from the result (a run
/// writes a million of them).
#[derive(Clone, Debug, Serialize)]
pub struct ResultJson<'a> {
    /// The operation's id.
    pub id: i64,
    /// When it happened offline: `YYYY-MM-DD HH:MM:SS.mmm`.
    pub timestamp: String,
    /// `issue`, `return` or `payment`.
    pub action: &'static str,
    /// The card number given.
    pub cardnumber: Option<&'a str>,
    /// The barcode given.
    pub barcode: Option<&'a str>,
    /// The amount of a payment.
    pub amount: Option<String>,
    /// The outcome code (`issued`, `item_not_found` ...).
    pub outcome: &'static str,
    /// Koha's message, or a sentence.
    pub message: &'a str,
    /// The warning codes, in order.
    pub warnings: Vec<&'static str>,
    /// The warnings' sentences, in the same order.
    pub warning_messages: Vec<&'a str>,
}

impl<'a> From<&'a ProcessedOperation> for ResultJson<'a> {
    fn from(result: &'a ProcessedOperation) -> ResultJson<'a> {
        let op = &result.pending.operation;
        ResultJson {
            id: result.pending.id.0,
            timestamp: time::millis(op.time),
            action: op.action.as_str(),
            cardnumber: op.cardnumber.as_deref(),
            barcode: op.barcode.as_deref(),
            amount: op.amount.map(|a| a.to_string()),
            outcome: result.outcome.code.as_str(),
            message: &result.outcome.message,
            warnings: result
                .outcome
                .warnings
                .iter()
                .map(|w| w.code.as_str())
                .collect(),
            warning_messages: result
                .outcome
                .warnings
                .iter()
                .map(|w| w.message.as_str())
                .collect(),
        }
    }
}

/// The totals of a processing run.
#[derive(Clone, Debug, Serialize)]
pub struct SummaryJson {
    /// Operations processed.
    pub processed: u64,
    /// How many of each outcome.
    pub outcomes: std::collections::BTreeMap<&'static str, u64>,
    /// How many failed (not applied).
    pub failed: u64,
    /// How many carried warnings.
    pub with_warnings: u64,
    /// Ids asked for that were not pending.
    pub not_pending: Vec<i64>,
    /// Whether nothing was changed.
    pub dry_run: bool,
}

impl From<&ProcessSummary> for SummaryJson {
    fn from(summary: &ProcessSummary) -> SummaryJson {
        SummaryJson {
            processed: summary.processed,
            outcomes: summary
                .outcomes
                .iter()
                .map(|(code, n)| (code.as_str(), *n))
                .collect(),
            failed: summary.failed(),
            with_warnings: summary.with_warnings,
            not_pending: summary.not_pending.iter().map(|id| id.0).collect(),
            dry_run: summary.dry_run,
        }
    }
}

/// An open loan.
#[derive(Clone, Debug, Serialize)]
pub struct LoanJson {
    /// The item.
    pub barcode: String,
    /// The item's title, when known.
    pub title: Option<String>,
    /// The patron.
    pub cardnumber: String,
    /// The patron's name, when known.
    pub patron: Option<String>,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub issued_at: String,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub due_at: String,
    /// Times renewed.
    pub renewals: u32,
    /// `YYYY-MM-DD HH:MM:SS`, if renewed.
    pub last_renewed_at: Option<String>,
    /// The library that lent it.
    pub branchcode: Option<String>,
}

impl LoanJson {
    /// The JSON of a loan.
    pub fn new(loan: &Loan, title: Option<String>, patron: Option<String>) -> LoanJson {
        LoanJson {
            barcode: loan.barcode.clone(),
            title,
            cardnumber: loan.cardnumber.clone(),
            patron,
            issued_at: time::seconds(loan.issued_at),
            due_at: time::seconds(loan.due_at),
            renewals: loan.renewals,
            last_renewed_at: loan.last_renewed_at.map(time::seconds),
            branchcode: loan.branch.clone(),
        }
    }
}

/// An item.
#[derive(Clone, Debug, Serialize)]
pub struct ItemJson {
    /// The barcode.
    pub barcode: String,
    /// Title.
    pub title: Option<String>,
    /// Author.
    pub author: Option<String>,
    /// Call number.
    pub callnumber: Option<String>,
    /// Item type.
    pub itemtype: Option<String>,
    /// Owning library.
    pub homebranch: Option<String>,
    /// Library where it is.
    pub holdingbranch: Option<String>,
    /// `available`, `lost` ...
    pub status: &'static str,
    /// When it was last seen at a desk.
    pub last_seen: Option<String>,
}

impl From<&Item> for ItemJson {
    fn from(item: &Item) -> ItemJson {
        ItemJson {
            barcode: item.barcode.clone(),
            title: item.title.clone(),
            author: item.author.clone(),
            callnumber: item.callnumber.clone(),
            itemtype: item.itemtype.clone(),
            homebranch: item.homebranch.clone(),
            holdingbranch: item.holdingbranch.clone(),
            status: item.status.as_str(),
            last_seen: item.last_seen.map(time::seconds),
        }
    }
}

/// A history entry.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryJson {
    /// The entry's id.
    pub entry: i64,
    /// The operation's id (use it with `koc requeue`).
    pub id: i64,
    /// When it happened offline.
    pub timestamp: String,
    /// `issue`, `return` or `payment`.
    pub action: &'static str,
    /// The card number given.
    pub cardnumber: Option<String>,
    /// The barcode given.
    pub barcode: Option<String>,
    /// The amount of a payment.
    pub amount: Option<String>,
    /// The library it was uploaded for.
    pub branchcode: String,
    /// Where it came from.
    pub source: String,
    /// The outcome code, `deleted` for a deletion.
    pub outcome: &'static str,
    /// The outcome's message.
    pub message: String,
    /// The warning codes.
    pub warnings: Vec<&'static str>,
    /// Who processed or deleted it.
    pub by: String,
    /// When: `YYYY-MM-DD HH:MM:SS`.
    pub at: String,
    /// When it was put back in the queue, if it was.
    pub requeued_at: Option<String>,
}

impl From<&HistoryEntry> for HistoryJson {
    fn from(entry: &HistoryEntry) -> HistoryJson {
        let op = &entry.pending.operation;
        HistoryJson {
            entry: entry.id.0,
            id: entry.pending.id.0,
            timestamp: time::millis(op.time),
            action: op.action.as_str(),
            cardnumber: op.cardnumber.clone(),
            barcode: op.barcode.clone(),
            amount: op.amount.map(|a| a.to_string()),
            branchcode: op.branch.clone(),
            source: op.source.to_string(),
            outcome: entry.outcome.code.as_str(),
            message: entry.outcome.message.clone(),
            warnings: entry
                .outcome
                .warnings
                .iter()
                .map(|w| w.code.as_str())
                .collect(),
            by: entry.by.clone(),
            at: time::seconds(entry.at),
            requeued_at: entry.requeued_at.map(time::seconds),
        }
    }
}

/// Writes a JSON object whose fields come one at a time, with one array
/// streamed element by element: what `process` and `apply` print, so a run
/// over a million operations never holds its results.
///
/// ```text
/// {
///   "added": 6,
///   "results": [
///     {"id":1, ...},
///     {"id":2, ...}
///   ],
///   "processed": 2
/// }
/// ```
pub struct StreamedObject<'w> {
    out: &'w mut (dyn Write + Send),
    fields: usize,
    items: Option<usize>,
    /// The array element being written (see [`StreamedObject::item`]).
    element: Vec<u8>,
}

impl<'w> StreamedObject<'w> {
    /// Starts the object.
    ///
    /// # Errors
    ///
    /// When writing fails.
    pub fn begin(out: &'w mut (dyn Write + Send)) -> Result<StreamedObject<'w>, CliError> {
        write!(out, "{{")?;
        Ok(StreamedObject {
            out,
            fields: 0,
            items: None,
            element: Vec::new(),
        })
    }

    fn key(&mut self, key: &str) -> Result<(), CliError> {
        if self.fields > 0 {
            write!(self.out, ",")?;
        }
        self.fields += 1;
        write!(self.out, "\n  {}: ", serde_json::to_string(key)?)?;
        Ok(())
    }

    /// Writes one field.
    ///
    /// # Errors
    ///
    /// When writing fails.
    pub fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), CliError> {
        self.key(key)?;
        let text = serde_json::to_string_pretty(value)?;
        write!(self.out, "{}", text.replace('\n', "\n  "))?;
        Ok(())
    }

    /// Writes every field of `value`, which must serialize as an object.
    ///
    /// # Errors
    ///
    /// When writing fails.
    pub fn fields<T: Serialize>(&mut self, value: &T) -> Result<(), CliError> {
        if let serde_json::Value::Object(map) = serde_json::to_value(value)? {
            for (key, value) in &map {
                self.field(key, value)?;
            }
        }
        Ok(())
    }

    /// Starts an array field.
    ///
    /// # Errors
    ///
    /// When writing fails.
    pub fn begin_array(&mut self, key: &str) -> Result<(), CliError> {
        self.key(key)?;
        write!(self.out, "[")?;
        self.items = Some(0);
        Ok(())
    }

    /// Writes an element of the array started last, on a line of its own.
    ///
    /// # Errors
    ///
    /// When writing fails.
    pub fn item<T: Serialize>(&mut self, value: &T) -> Result<(), CliError> {
        let items = self.items.get_or_insert(0);
        if *items > 0 {
            write!(self.out, ",")?;
        }
        *items += 1;
        // Into a buffer kept from one element to the next, written at
        // once: not a string of its own per element (a million results
        // would allocate and grow a million), nor the serializer's many
        // small writes through `dyn Write`.
        self.element.clear();
        self.element.extend_from_slice(b"\n    ");
        serde_json::to_writer(&mut self.element, value)?;
        self.out.write_all(&self.element)?;
        Ok(())
    }

    /// Ends the array started last.
    ///
    /// # Errors
    ///
    /// When writing fails.
    pub fn end_array(&mut self) -> Result<(), CliError> {
        match self.items.take() {
            Some(n) if n > 0 => write!(self.out, "\n  ]")?,
            _ => write!(self.out, "]")?,
        }
        Ok(())
    }

    /// Ends the object.
    ///
    /// # Errors
    ///
    /// When writing fails.
    pub fn finish(self) -> Result<(), CliError> {
        writeln!(self.out, "\n}}")?;
        self.out.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_streamed_object_is_valid_json() {
        let mut out = Vec::new();
        let mut object = StreamedObject::begin(&mut out).unwrap();
        object.field("added", &2).unwrap();
        object.field("rejected", &vec!["a", "b"]).unwrap();
        object.begin_array("results").unwrap();
        object.item(&serde_json::json!({"id": 1})).unwrap();
        object.item(&serde_json::json!({"id": 2})).unwrap();
        object.end_array().unwrap();
        object.begin_array("empty").unwrap();
        object.end_array().unwrap();
        object
            .fields(&serde_json::json!({"processed": 2, "dry_run": false}))
            .unwrap();
        object.finish().unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["added"], 2);
        assert_eq!(value["results"][1]["id"], 2);
        assert_eq!(value["empty"], serde_json::json!([]));
        assert_eq!(value["processed"], 2);
        assert_eq!(value["rejected"][1], "b");
    }
}
