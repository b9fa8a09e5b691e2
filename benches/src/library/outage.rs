//! The outages: what the desks record, one operation at a time, over the
//! state of every item and debt.
//!
//! The simulation keeps, for each item, who has it on loan (as processing
//! will see it: operations are processed in the order they happened) and
//! pools of the items on loan and on the shelf, so that picking an item to
//! lend or to take back costs the same whatever the size of the library.
//! It knows the outcome processing gives each operation; the only thing the
//! desks cannot know is which items were lent again at the live desk after
//! the outage (the conflict items): every operation on one of those is a
//! `conflict`.

use std::io::Write;

use chrono::{NaiveDateTime, TimeDelta};
use koc_core::OutcomeCode;
use koc_format::{Amount, Header, Timestamp, Transaction, WriteError, Writer};
use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;

use super::catalogue::{Stream, push_code, stream};
use super::{
    BARCODE_PREFIX, CARD_PREFIX, FileSummary, Library, OperationKind, UNKNOWN_BARCODE_PREFIX,
    UNKNOWN_CARD_PREFIX,
};

const NO_ONE: u32 = u32::MAX;

/// Days between the end of one outage and the start of the next.
const DAYS_BETWEEN_OUTAGES: i64 = 7;

/// The mix of operations, in thousandths (see [`OperationKind`]).
const MIX: &[(OperationKind, u32)] = &[
    (OperationKind::Issue, 440),
    (OperationKind::Return, 420),
    (OperationKind::Renewal, 40),
    (OperationKind::Payment, 40),
    (OperationKind::IssueOnLoanToOther, 10),
    (OperationKind::UnknownCard, 10),
    (OperationKind::UnknownBarcode, 15),
    (OperationKind::ReturnNotOnLoan, 15),
    (OperationKind::RepeatedLine, 10),
];

#[derive(Clone, Copy, Debug)]
struct ItemState {
    /// The borrower, or [`NO_ONE`].
    holder: u32,
    /// Its place in `on_loan` or `on_shelf`.
    slot: u32,
    /// Lent again at the live desk after the outages.
    conflict: bool,
    /// A conflict item an offline operation touched.
    conflicted: bool,
}

/// What a line says, to write it (again).
#[derive(Clone, Copy, Debug)]
enum Line {
    Issue,
    Return,
    Payment(u32),
}

/// The outages of a [`Library`], written one `.koc` file each.
#[derive(Debug)]
pub struct Simulation<'l> {
    library: &'l Library,
    rng: Xoshiro256PlusPlus,
    items: Vec<ItemState>,
    on_loan: Vec<u32>,
    on_shelf: Vec<u32>,
    /// Outstanding cents by patron.
    debts: Vec<u32>,
    /// Patrons with debts, and each one's place in it.
    debtors: Vec<u32>,
    debtor_slot: Vec<u32>,
    clock: NaiveDateTime,
    /// When the last outage written ended.
    last_end: NaiveDateTime,
    card: String,
    barcode: String,
    last: Option<(Timestamp, Line)>,
}

/// What the outages left behind, which the loans file depends on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Aftermath {
    /// The conflict items the desks touched, by index.
    conflicted: Vec<bool>,
    /// When the last outage ended.
    pub last_end: NaiveDateTime,
}

impl Aftermath {
    /// Whether item `index` is a conflict item an offline operation
    /// touched: it is on loan from after the last outage.
    pub fn conflicted(&self, index: u32) -> bool {
        self.conflicted
            .get(index as usize)
            .copied()
            .unwrap_or(false)
    }

    /// How many such items there are.
    pub fn conflicted_items(&self) -> usize {
        self.conflicted.iter().filter(|&&c| c).count()
    }
}

impl<'l> Simulation<'l> {
    pub(crate) fn new(library: &'l Library) -> Simulation<'l> {
        let spec = library.spec;
        let mut items = Vec::with_capacity(spec.items as usize);
        let mut on_loan = Vec::new();
        let mut on_shelf = Vec::new();
        for i in 0..spec.items {
            let facts = library.item_facts(i);
            let (holder, pool) = match facts.loan {
                Some(loan) => (loan.patron, &mut on_loan),
                None => (NO_ONE, &mut on_shelf),
            };
            items.push(ItemState {
                holder,
                slot: pool.len() as u32,
                conflict: facts.conflict,
                conflicted: false,
            });
            pool.push(i);
        }
        let mut debts = vec![0; spec.patrons as usize];
        let mut debtors = Vec::new();
        let mut debtor_slot = vec![NO_ONE; spec.patrons as usize];
        for fine in library.fines() {
            let p = fine.patron as usize;
            if debts[p] == 0 {
                debtor_slot[p] = debtors.len() as u32;
                debtors.push(fine.patron);
            }
            debts[p] += fine.cents;
        }
        Simulation {
            library,
            rng: stream(spec.seed, Stream::Outage, 0),
            items,
            on_loan,
            on_shelf,
            debts,
            debtors,
            debtor_slot,
            clock: library.start,
            last_end: library.start,
            card: String::with_capacity(16),
            barcode: String::with_capacity(16),
            last: None,
        }
    }

    /// The name the desktop tool gives the next file:
    /// `koha-offline-circ-2026-07-22-09-00-00-000.koc` for the first.
    pub fn next_file_name(&self) -> String {
        koc_format::default_file_name(self.clock)
    }

    /// Writes the next outage, [`LibrarySpec::operations`](super::LibrarySpec)
    /// transaction lines after the desktop tool's header, to `out`, and says
    /// what is in it. Operations are 1 to 499 ms apart (250 on average, as
    /// from dozens of busy desks); the next outage begins a week after this
    /// one ends.
    ///
    /// # Errors
    ///
    /// When `out` fails.
    pub fn write_file<W: Write>(&mut self, out: W) -> Result<FileSummary, WriteError> {
        let mut summary = FileSummary::new(self.next_file_name(), self.clock);
        let mut writer = Writer::new(out);
        writer.write_header(&Header::new("kocDesktop", "2.4.0"))?;
        self.last = None;
        for _ in 0..self.library.spec.operations {
            let chosen = self.choose_kind();
            let repeat = self.last.filter(|_| chosen == OperationKind::RepeatedLine);
            if let Some((at, line)) = repeat {
                writer.write_transaction(at, self.transaction(line))?;
                summary.count(OperationKind::RepeatedLine, None);
                continue;
            }
            self.clock += TimeDelta::milliseconds(self.rng.random_range(1..=499));
            let at = Timestamp::new(self.clock);
            let (kind, line, outcome) = self.operation(chosen);
            writer.write_transaction(at, self.transaction(line))?;
            summary.count(kind, Some(outcome));
            self.last = Some((at, line));
        }
        writer.flush()?;
        summary.last = self.clock;
        self.last_end = self.clock;
        self.clock += TimeDelta::days(DAYS_BETWEEN_OUTAGES);
        Ok(summary)
    }

    /// Ends the simulation.
    pub fn finish(self) -> Aftermath {
        Aftermath {
            conflicted: self.items.iter().map(|s| s.conflicted).collect(),
            last_end: self.last_end,
        }
    }

    fn transaction(&self, line: Line) -> Transaction<'_> {
        match line {
            Line::Issue => Transaction::Issue {
                cardnumber: &self.card,
                barcode: &self.barcode,
                due: None,
            },
            Line::Return => Transaction::Return {
                barcode: &self.barcode,
            },
            Line::Payment(cents) => Transaction::Payment {
                cardnumber: &self.card,
                amount: Amount::from_cents(i64::from(cents)),
            },
        }
    }

    fn choose_kind(&mut self) -> OperationKind {
        let mut roll = self.rng.random_range(0..1000);
        for &(kind, share) in MIX {
            if roll < share {
                return kind;
            }
            roll -= share;
        }
        OperationKind::Issue
    }

    /// Makes up an operation of `kind`, or of a kind that fits when the
    /// library has nothing for it (no item on loan to take back ...): fills
    /// `card` and `barcode`, updates the state, and returns the kind made,
    /// the line and the outcome processing will give it.
    fn operation(&mut self, kind: OperationKind) -> (OperationKind, Line, OutcomeCode) {
        use OperationKind as K;
        let kind = match kind {
            K::Issue | K::ReturnNotOnLoan | K::RepeatedLine if self.on_shelf.is_empty() => {
                K::Return
            }
            K::Return | K::Renewal | K::IssueOnLoanToOther if self.on_loan.is_empty() => K::Issue,
            K::IssueOnLoanToOther if self.library.spec.patrons < 2 => K::Renewal,
            K::Payment if self.debtors.is_empty() => K::PaymentWithoutDebt,
            K::RepeatedLine => K::Issue,
            other => other,
        };
        let (line, outcome) = match kind {
            K::Issue | K::RepeatedLine => {
                let item = self.random_of(Pool::OnShelf);
                let patron = self.random_patron();
                self.set_card(CARD_PREFIX, patron);
                self.set_barcode(BARCODE_PREFIX, item);
                let outcome = self.item_outcome(item, OutcomeCode::Issued);
                self.move_item(item, patron);
                (Line::Issue, outcome)
            }
            K::Renewal => {
                let item = self.random_of(Pool::OnLoan);
                let patron = self.items[item as usize].holder;
                self.set_card(CARD_PREFIX, patron);
                self.set_barcode(BARCODE_PREFIX, item);
                (Line::Issue, self.item_outcome(item, OutcomeCode::Renewed))
            }
            K::IssueOnLoanToOther => {
                let item = self.random_of(Pool::OnLoan);
                let holder = self.items[item as usize].holder;
                let mut patron = self.random_patron();
                if patron == holder {
                    patron = (patron + 1) % self.library.spec.patrons;
                }
                self.set_card(CARD_PREFIX, patron);
                self.set_barcode(BARCODE_PREFIX, item);
                self.items[item as usize].holder = patron;
                (Line::Issue, self.item_outcome(item, OutcomeCode::Issued))
            }
            K::Return => {
                let item = self.random_of(Pool::OnLoan);
                self.set_barcode(BARCODE_PREFIX, item);
                let outcome = self.item_outcome(item, OutcomeCode::Returned);
                self.move_item(item, NO_ONE);
                (Line::Return, outcome)
            }
            K::ReturnNotOnLoan => {
                let item = self.random_of(Pool::OnShelf);
                self.set_barcode(BARCODE_PREFIX, item);
                (
                    Line::Return,
                    self.item_outcome(item, OutcomeCode::NotIssued),
                )
            }
            K::Payment => {
                let patron = self.debtors[self.rng.random_range(0..self.debtors.len())];
                let owed = self.debts[patron as usize];
                let cents = if owed < 2 || self.rng.random_range(0..2) == 0 {
                    owed
                } else {
                    self.rng.random_range(1..owed)
                };
                self.pay(patron, cents);
                self.set_card(CARD_PREFIX, patron);
                (Line::Payment(cents), OutcomeCode::PaymentRecorded)
            }
            K::PaymentWithoutDebt => {
                let patron = self.random_patron();
                self.set_card(CARD_PREFIX, patron);
                let cents = self.rng.random_range(1..=20) * 50;
                (Line::Payment(cents), OutcomeCode::PaymentRecorded)
            }
            K::UnknownCard => {
                let unknown = self.rng.random_range(0..1_000_000_000);
                self.set_card(UNKNOWN_CARD_PREFIX, unknown);
                if self.rng.random_range(0..5) == 0 {
                    let cents = self.rng.random_range(1..=20) * 50;
                    (Line::Payment(cents), OutcomeCode::PatronNotFound)
                } else {
                    let item = self.rng.random_range(0..self.library.spec.items);
                    self.set_barcode(BARCODE_PREFIX, item);
                    (Line::Issue, OutcomeCode::PatronNotFound)
                }
            }
            K::UnknownBarcode => {
                let unknown = self.rng.random_range(0..1_000_000_000);
                self.set_barcode(UNKNOWN_BARCODE_PREFIX, unknown);
                if self.rng.random_range(0..3) == 0 {
                    let patron = self.random_patron();
                    self.set_card(CARD_PREFIX, patron);
                    (Line::Issue, OutcomeCode::ItemNotFound)
                } else {
                    (Line::Return, OutcomeCode::ItemNotFound)
                }
            }
        };
        (kind, line, outcome)
    }

    fn set_card(&mut self, prefix: &str, index: u32) {
        self.card.clear();
        push_code(&mut self.card, prefix, u64::from(index));
    }

    fn set_barcode(&mut self, prefix: &str, index: u32) {
        self.barcode.clear();
        push_code(&mut self.barcode, prefix, u64::from(index));
    }

    fn random_patron(&mut self) -> u32 {
        self.rng.random_range(0..self.library.spec.patrons)
    }

    /// A random item of a pool, which must not be empty.
    fn random_of(&mut self, pool: Pool) -> u32 {
        let pool = match pool {
            Pool::OnLoan => &self.on_loan,
            Pool::OnShelf => &self.on_shelf,
        };
        pool[self.rng.random_range(0..pool.len())]
    }

    /// The outcome of an operation on `item` by a known patron: `normal`,
    /// unless the item was lent again after the outages.
    fn item_outcome(&mut self, item: u32, normal: OutcomeCode) -> OutcomeCode {
        let state = &mut self.items[item as usize];
        if state.conflict {
            state.conflicted = true;
            OutcomeCode::Conflict
        } else {
            normal
        }
    }

    /// Lends `item` to `holder`, or takes it back when `holder` is
    /// [`NO_ONE`], moving it between the pools.
    fn move_item(&mut self, item: u32, holder: u32) {
        let state = self.items[item as usize];
        let (from, to) = if state.holder == NO_ONE {
            (&mut self.on_shelf, &mut self.on_loan)
        } else {
            (&mut self.on_loan, &mut self.on_shelf)
        };
        let slot = state.slot as usize;
        from.swap_remove(slot);
        if let Some(&moved) = from.get(slot) {
            self.items[moved as usize].slot = slot as u32;
        }
        let state = &mut self.items[item as usize];
        state.slot = to.len() as u32;
        state.holder = holder;
        to.push(item);
    }

    fn pay(&mut self, patron: u32, cents: u32) {
        let p = patron as usize;
        self.debts[p] -= cents.min(self.debts[p]);
        if self.debts[p] == 0 {
            let slot = self.debtor_slot[p] as usize;
            self.debtors.swap_remove(slot);
            if let Some(&moved) = self.debtors.get(slot) {
                self.debtor_slot[moved as usize] = slot as u32;
            }
            self.debtor_slot[p] = NO_ONE;
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Pool {
    OnLoan,
    OnShelf,
}
