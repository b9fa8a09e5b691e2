use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDateTime;

use crate::{AccountLine, Effects, Hold, Item, Loan, OperationId, Patron, PendingOperation};

/// A map by card number or barcode, as [`BatchState`] keeps them: a hash
/// map with foldhash's hasher, seeded at random for each map like std's,
/// and several times faster than std's SipHash on short keys (SipHash was
/// about 2.4% of the instructions of a SQLite processing run).
pub type ByKey<V> = HashMap<String, V, foldhash::fast::RandomState>;

/// What a batch of operations touches: the keys a store loads state for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchKeys {
    /// Card numbers given by issues and payments. Each may also be a
    /// username: load patrons whose card number **or** username is in it.
    pub cards: BTreeSet<String>,
    /// Barcodes given by issues and returns.
    pub barcodes: BTreeSet<String>,
}

impl BatchKeys {
    /// The keys of these operations.
    pub fn of(operations: &[PendingOperation]) -> BatchKeys {
        let mut keys = BatchKeys::default();
        for pending in operations {
            if let Some(card) = &pending.operation.cardnumber {
                keys.cards.insert(card.clone());
            }
            if let Some(barcode) = &pending.operation.barcode {
                keys.barcodes.insert(barcode.clone());
            }
        }
        keys
    }
}

/// Everything a batch of operations may read or change, loaded by the store
/// for the batch's [`BatchKeys`].
///
/// A store fills it with:
/// - `patrons`: every patron whose card number or username is in
///   `keys.cards`, by card number; their contact details (`email`,
///   `phone`, `address`, `city`) may be left out (`None`): processing and
///   the loan policies koc ships never read them (SQLite leaves them out);
/// - `items`: every item whose barcode is in `keys.barcodes`; its
///   catalogue text (`title`, `author`, `callnumber`) may be left out
///   (`None`): processing never reads it, and a store that keeps it apart
///   saves reading it (SQLite does);
/// - `loans`: the open loan of each of those items, by barcode;
/// - `debts`: for each patron loaded, their debits with something
///   outstanding, oldest first (`created_at`, then id); only payments read
///   them, so a store may load them only for the patrons whose card number
///   or username a payment of the batch gives (PostgreSQL does);
/// - `holds`: for each item loaded, its unfilled holds, oldest first;
/// - `earlier_pending`: for each of `keys.barcodes`, the earliest
///   (time, id) among pending operations on that barcode that are **not** in
///   the batch (needed only when processing a selection; see
///   [`WarningCode::EarlierPendingForItem`](crate::WarningCode::EarlierPendingForItem)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchState {
    /// Patrons by card number.
    pub patrons: ByKey<Patron>,
    /// Items by barcode.
    pub items: ByKey<Item>,
    /// Open loans by barcode.
    pub loans: ByKey<Loan>,
    /// Outstanding debits by card number, oldest first.
    pub debts: ByKey<Vec<AccountLine>>,
    /// Unfilled holds by barcode, oldest first.
    pub holds: ByKey<Vec<Hold>>,
    /// Earliest pending operation outside the batch, by barcode.
    pub earlier_pending: ByKey<(NaiveDateTime, OperationId)>,
    userids: ByKey<String>,
}

impl BatchState {
    /// Makes room for about this many patrons and items, so that adding
    /// them does not grow the maps again and again: a store that knows how
    /// many keys a batch has calls it before loading.
    ///
    /// Open loans are left to grow as they come: only some of a batch's
    /// items are on loan, and room for one per item was room for twice as
    /// many as a batch of the benchmarks' library had (a map's room is a
    /// power of two, each slot the size of a loan): 9 MB of a batch of
    /// 32 000 operations, where growing took 4.5.
    pub fn reserve(&mut self, patrons: usize, items: usize) {
        self.patrons.reserve(patrons);
        self.userids.reserve(patrons);
        self.items.reserve(items);
    }

    /// Adds a patron.
    pub fn add_patron(&mut self, patron: Patron) {
        if let Some(userid) = &patron.userid {
            self.userids
                .insert(userid.clone(), patron.cardnumber.clone());
        }
        self.patrons.insert(patron.cardnumber.clone(), patron);
    }

    /// Adds an item.
    pub fn add_item(&mut self, item: Item) {
        self.items.insert(item.barcode.clone(), item);
    }

    /// Adds an open loan.
    pub fn add_loan(&mut self, loan: Loan) {
        self.loans.insert(loan.barcode.clone(), loan);
    }

    /// Adds an outstanding debit; call in oldest-first order.
    pub fn add_debt(&mut self, line: AccountLine) {
        self.debts
            .entry(line.cardnumber.clone())
            .or_default()
            .push(line);
    }

    /// Adds an unfilled hold; call in oldest-first order.
    pub fn add_hold(&mut self, hold: Hold) {
        self.holds
            .entry(hold.barcode.clone())
            .or_default()
            .push(hold);
    }

    /// Records the earliest pending operation on `barcode` outside the batch;
    /// keeps the earliest when called several times.
    pub fn add_earlier_pending(&mut self, barcode: String, at: (NaiveDateTime, OperationId)) {
        let entry = self.earlier_pending.entry(barcode).or_insert(at);
        if at < *entry {
            *entry = at;
        }
    }

    /// Brings a state loaded before `effects` were written up to date with
    /// them: afterwards it holds what loading the same keys after the write
    /// would have given. A store that loads a batch while the batch before
    /// it is still being written (on another connection, from the last
    /// committed data) calls it with the effects of that batch.
    ///
    /// Processing changes items, open loans, what debts still owe and which
    /// holds wait; it never changes patrons. Only what the state holds is
    /// brought up to date: an item, or the loan of an item, that the state
    /// did not load stays out of it.
    ///
    /// ```
    /// use koc_core::{BatchState, Effects, Item, ItemStatus};
    ///
    /// let mut state = BatchState::default();
    /// state.add_item(Item::new("31000000123456", "Middlemarch"));
    /// let mut effects = Effects::default();
    /// let mut lost = Item::new("31000000123456", "Middlemarch");
    /// lost.status = ItemStatus::Lost;
    /// effects.items.insert(lost.barcode.clone(), lost);
    /// effects.items.insert("39999999999999".into(), Item::new("39999999999999", "Not loaded"));
    /// state.catch_up(&effects);
    /// assert_eq!(state.items["31000000123456"].status, ItemStatus::Lost);
    /// assert!(!state.items.contains_key("39999999999999"));
    /// ```
    pub fn catch_up(&mut self, effects: &Effects) {
        for (barcode, item) in &effects.items {
            if let Some(loaded) = self.items.get_mut(barcode) {
                loaded.clone_from(item);
            }
        }
        // A loan is loaded with its item (by the batch's barcodes).
        for (barcode, loan) in &effects.loans {
            if !self.items.contains_key(barcode) {
                continue;
            }
            match loan {
                Some(loan) => {
                    self.loans.insert(barcode.clone(), loan.clone());
                }
                None => {
                    self.loans.remove(barcode);
                }
            }
        }
        if !effects.debts.is_empty() {
            for lines in self.debts.values_mut() {
                for line in lines.iter_mut() {
                    if let Some(outstanding) = effects.debts.get(&line.id) {
                        line.outstanding = *outstanding;
                    }
                }
                // Only debts still owed are loaded.
                lines.retain(|line| line.outstanding.is_positive());
            }
            self.debts.retain(|_, lines| !lines.is_empty());
        }
        if !effects.filled_holds.is_empty() {
            for holds in self.holds.values_mut() {
                holds.retain(|hold| !effects.filled_holds.contains_key(&hold.id));
            }
            self.holds.retain(|_, holds| !holds.is_empty());
        }
    }

    /// The card number of the patron with this card number, or else with
    /// this username, as Koha looks patrons up.
    pub fn resolve_card(&self, card_or_userid: &str) -> Option<&str> {
        if let Some((card, _)) = self.patrons.get_key_value(card_or_userid) {
            return Some(card.as_str());
        }
        self.userids.get(card_or_userid).map(String::as_str)
    }
}
