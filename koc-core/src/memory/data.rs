//! The in-memory tables and the operations on them that every trait shares.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDateTime;

use crate::{
    AccountLine, AccountLineId, AccountLineKind, BatchKeys, BatchState, ClosedLoan, Effects,
    Fingerprint, HistoryEntry, HistoryId, Hold, HoldId, Item, Loan, LoanRule, Money, OperationId,
    Outcome, Patron, PendingOperation, ProcessedOperation, search_tokens,
};

/// Where a fingerprint is known.
#[derive(Clone, Copy, Debug)]
pub(super) enum Known {
    Pending(OperationId),
    History(OperationId),
}

/// Processing order key of a pending operation.
pub(super) type OrderKey = (NaiveDateTime, OperationId);

#[derive(Clone, Debug, Default)]
pub(super) struct Data {
    pub next_operation: i64,
    pub next_upload: i64,
    pub next_history: i64,
    pub next_account_line: i64,
    pub next_hold: i64,

    pub pending: BTreeMap<OrderKey, PendingOperation>,
    pub pending_keys: HashMap<OperationId, OrderKey>,
    pub pending_by_barcode: HashMap<String, BTreeSet<OrderKey>>,
    pub fingerprints: HashMap<Fingerprint, Known>,
    pub history: BTreeMap<HistoryId, HistoryEntry>,

    pub patrons: BTreeMap<String, Patron>,
    pub userids: HashMap<String, String>,
    /// (search token, card number): the name index.
    pub name_index: BTreeSet<(String, String)>,
    pub items: BTreeMap<String, Item>,
    pub loans: BTreeMap<String, Loan>,
    pub closed_loans: Vec<ClosedLoan>,
    pub account_lines: BTreeMap<AccountLineId, AccountLine>,
    /// The account lines of each patron, so that a batch loads its
    /// patrons' debts without reading every line.
    pub lines_by_patron: HashMap<String, Vec<AccountLineId>>,
    /// (credit, debit, amount): what each payment paid of which debt.
    pub offsets: Vec<(AccountLineId, AccountLineId, Money)>,
    pub holds: BTreeMap<HoldId, Hold>,
    /// The holds on each item, filled or not.
    pub holds_by_barcode: HashMap<String, Vec<HoldId>>,
    pub rules: Vec<LoanRule>,
}

impl Data {
    /// Adds an account line (lines are never removed).
    pub fn insert_account_line(&mut self, line: AccountLine) {
        self.lines_by_patron
            .entry(line.cardnumber.clone())
            .or_default()
            .push(line.id);
        self.account_lines.insert(line.id, line);
    }

    /// The account lines of `cardnumber`.
    pub fn lines_of<'a>(&'a self, cardnumber: &str) -> impl Iterator<Item = &'a AccountLine> {
        self.lines_by_patron
            .get(cardnumber)
            .into_iter()
            .flatten()
            .filter_map(|id| self.account_lines.get(id))
    }

    /// Adds a hold (holds are never removed; a filled one stays).
    pub fn insert_hold(&mut self, hold: Hold) {
        self.holds_by_barcode
            .entry(hold.barcode.clone())
            .or_default()
            .push(hold.id);
        self.holds.insert(hold.id, hold);
    }

    /// The holds on `barcode`, filled or not.
    pub fn holds_on<'a>(&'a self, barcode: &str) -> impl Iterator<Item = &'a Hold> {
        self.holds_by_barcode
            .get(barcode)
            .into_iter()
            .flatten()
            .filter_map(|id| self.holds.get(id))
    }

    pub fn insert_pending(&mut self, pending: PendingOperation) {
        let key = pending.order_key();
        self.pending_keys.insert(pending.id, key);
        if let Some(barcode) = &pending.operation.barcode {
            self.pending_by_barcode
                .entry(barcode.clone())
                .or_default()
                .insert(key);
        }
        self.fingerprints
            .insert(pending.fingerprint.clone(), Known::Pending(pending.id));
        self.pending.insert(key, pending);
    }

    pub fn remove_pending(&mut self, id: OperationId) -> Option<PendingOperation> {
        let key = self.pending_keys.remove(&id)?;
        let pending = self.pending.remove(&key)?;
        if let Some(barcode) = &pending.operation.barcode
            && let Some(keys) = self.pending_by_barcode.get_mut(barcode)
        {
            keys.remove(&key);
            if keys.is_empty() {
                self.pending_by_barcode.remove(barcode);
            }
        }
        Some(pending)
    }

    /// Moves a pending operation to history with its outcome.
    pub fn settle(
        &mut self,
        pending: PendingOperation,
        outcome: Outcome,
        by: &str,
        at: NaiveDateTime,
    ) {
        self.next_history += 1;
        let id = HistoryId(self.next_history);
        self.fingerprints
            .insert(pending.fingerprint.clone(), Known::History(pending.id));
        self.history.insert(
            id,
            HistoryEntry {
                id,
                pending,
                outcome,
                by: by.to_owned(),
                at,
                requeued_at: None,
            },
        );
    }

    pub fn upsert_patron(&mut self, patron: Patron) {
        if let Some(old) = self.patrons.remove(&patron.cardnumber) {
            if let Some(userid) = &old.userid {
                self.userids.remove(userid);
            }
            for token in tokens(&old) {
                self.name_index.remove(&(token, old.cardnumber.clone()));
            }
        }
        if let Some(userid) = &patron.userid {
            self.userids
                .insert(userid.clone(), patron.cardnumber.clone());
        }
        for token in tokens(&patron) {
            self.name_index.insert((token, patron.cardnumber.clone()));
        }
        self.patrons.insert(patron.cardnumber.clone(), patron);
    }

    /// The state a batch touches (see [`BatchState`]).
    pub fn load(&self, batch: &[PendingOperation], with_earlier: bool) -> BatchState {
        let keys = BatchKeys::of(batch);
        let mut state = BatchState::default();
        for card in &keys.cards {
            if let Some(patron) = self.patrons.get(card) {
                state.add_patron(patron.clone());
            }
            if let Some(patron) = self.userids.get(card).and_then(|c| self.patrons.get(c)) {
                state.add_patron(patron.clone());
            }
        }
        let mut debts: Vec<&AccountLine> = state
            .patrons
            .keys()
            .flat_map(|card| self.lines_of(card))
            .filter(|l| l.kind == AccountLineKind::Debit && l.outstanding.is_positive())
            .collect();
        debts.sort_by_key(|l| (l.created_at, l.id));
        for line in debts {
            state.add_debt(line.clone());
        }
        for barcode in &keys.barcodes {
            if let Some(item) = self.items.get(barcode) {
                state.add_item(item.clone());
            }
            if let Some(loan) = self.loans.get(barcode) {
                state.add_loan(loan.clone());
            }
        }
        let mut holds: Vec<&Hold> = keys
            .barcodes
            .iter()
            .flat_map(|barcode| self.holds_on(barcode))
            .filter(|h| h.filled_at.is_none())
            .collect();
        holds.sort_by_key(|h| (h.placed_at, h.id));
        for hold in holds {
            state.add_hold(hold.clone());
        }
        if with_earlier {
            let in_batch: BTreeSet<OperationId> = batch.iter().map(|p| p.id).collect();
            for barcode in &keys.barcodes {
                let earliest = self
                    .pending_by_barcode
                    .get(barcode)
                    .and_then(|keys| keys.iter().find(|(_, id)| !in_batch.contains(id)));
                if let Some(&key) = earliest {
                    state.add_earlier_pending(barcode.clone(), key);
                }
            }
        }
        state
    }

    /// Writes a batch's effects and settles its operations.
    pub fn apply(
        &mut self,
        effects: Effects,
        results: &[ProcessedOperation],
        by: &str,
        at: NaiveDateTime,
    ) {
        for (barcode, loan) in effects.loans {
            self.loans.remove(&barcode);
            if let Some(loan) = loan {
                self.loans.insert(barcode, loan);
            }
        }
        self.closed_loans.extend(effects.closed_loans);
        for (barcode, item) in effects.items {
            self.items.insert(barcode, item);
        }
        for (id, outstanding) in effects.debts {
            if let Some(line) = self.account_lines.get_mut(&id) {
                line.outstanding = outstanding;
            }
        }
        for payment in effects.payments {
            self.next_account_line += 1;
            let credit = AccountLineId(self.next_account_line);
            self.insert_account_line(AccountLine {
                id: credit,
                cardnumber: payment.cardnumber,
                kind: AccountLineKind::Credit,
                amount: payment.amount,
                outstanding: payment.unapplied,
                description: Some("Payment (offline)".to_owned()),
                created_at: payment.paid_at,
                operation: Some(payment.operation),
            });
            for (debit, amount) in payment.applied {
                self.offsets.push((credit, debit, amount));
            }
        }
        for (id, filled_at) in effects.filled_holds {
            if let Some(hold) = self.holds.get_mut(&id) {
                hold.filled_at = Some(filled_at);
            }
        }
        for result in results {
            if let Some(pending) = self.remove_pending(result.pending.id) {
                self.settle(pending, result.outcome.clone(), by, at);
            }
        }
    }
}

fn tokens(patron: &Patron) -> Vec<String> {
    search_tokens([
        patron.surname.as_str(),
        patron.firstname.as_deref().unwrap_or_default(),
    ])
}
