use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::NaiveDateTime;

use super::data::{Data, Known, OrderKey};
use crate::{
    AccountLine, AccountLineId, AccountLineKind, Circulation, ClosedLoan, ConstraintKind,
    DeleteReport, DuplicateOf, Engine, EnqueueReport, Error, Fingerprint, History, HistoryEntry,
    HistoryFilter, Hold, HoldFilter, HoldId, Item, Loan, LoanFilter, LoanPolicy, LoanRule, NewDebt,
    NewHold, Operation, OperationId, Outcome, OutcomeCode, Patron, PendingFilter, PendingOperation,
    ProcessObserver, ProcessRun, ProcessSummary, ProcessedOperation, Processor, Queue,
    RequeueRefusal, RequeueReport, Result, RuleTable, Selection, UploadId, search_tokens,
};

/// A complete store in memory: the reference implementation of the store
/// contract, thread-safe, for tests, demos and embedding where nothing must
/// outlive the process.
///
/// Every call takes one lock, so each is atomic; processing takes it once
/// per batch. A dry run works on a copy.
///
/// ```
/// use koc_core::{MemoryStore, Patron, StoreExt, Circulation};
///
/// # tokio_test(async {
/// let store = MemoryStore::new();
/// store.upsert_patrons(&[Patron::new("23529001000463", "Doe")]).await?;
/// assert!(store.patron("23529001000463").await?.is_some());
/// # Ok::<(), koc_core::Error>(())
/// # });
/// # fn tokio_test<F: std::future::Future<Output = Result<(), koc_core::Error>>>(f: F) {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f).unwrap()
/// # }
/// ```
#[derive(Clone, Default)]
pub struct MemoryStore {
    data: Arc<Mutex<Data>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn lock(&self) -> MutexGuard<'_, Data> {
        // A panic while holding the lock leaves data a batch wrote wholly or
        // not at all (writes happen after every decision), so go on.
        self.data
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn now() -> NaiveDateTime {
    chrono::Local::now().naive_local()
}

fn constraint(kind: ConstraintKind, detail: impl Into<String>) -> Error {
    Error::Constraint {
        kind,
        detail: detail.into(),
    }
}

fn limited<T>(iter: impl Iterator<Item = T>, limit: Option<usize>) -> Vec<T> {
    iter.take(limit.unwrap_or(usize::MAX)).collect()
}

#[async_trait]
impl Queue for MemoryStore {
    async fn enqueue(
        &self,
        upload: Option<UploadId>,
        operations: &[Operation],
    ) -> Result<EnqueueReport> {
        let mut data = self.lock();
        let upload = match upload {
            Some(upload) => upload,
            None => {
                data.next_upload += 1;
                UploadId(data.next_upload)
            }
        };
        let enqueued_at = now();
        let mut report = EnqueueReport {
            upload,
            ..EnqueueReport::default()
        };
        let fingerprints: Vec<Fingerprint> =
            operations.iter().map(Operation::fingerprint).collect();
        let new = report.sort_out_duplicates(operations, &fingerprints, |fingerprint| {
            data.fingerprints.get(fingerprint).map(|known| match known {
                Known::Pending(id) => DuplicateOf::Pending(*id),
                Known::History(id) => DuplicateOf::History(*id),
            })
        });
        for index in new {
            data.next_operation += 1;
            let id = OperationId(data.next_operation);
            data.insert_pending(PendingOperation {
                id,
                upload,
                enqueued_at,
                fingerprint: fingerprints[index].clone(),
                operation: operations[index].clone(),
            });
            report.added.push(id);
        }
        Ok(report)
    }

    async fn pending(&self, filter: &PendingFilter) -> Result<Vec<PendingOperation>> {
        let data = self.lock();
        Ok(limited(
            data.pending.values().filter(|p| filter.matches(p)).cloned(),
            filter.limit,
        ))
    }

    async fn count_pending(&self, filter: &PendingFilter) -> Result<u64> {
        let data = self.lock();
        Ok(data.pending.values().filter(|p| filter.matches(p)).count() as u64)
    }

    async fn pending_operation(&self, id: OperationId) -> Result<Option<PendingOperation>> {
        let data = self.lock();
        Ok(data
            .pending_keys
            .get(&id)
            .and_then(|key| data.pending.get(key))
            .cloned())
    }

    async fn delete(&self, ids: &[OperationId], by: &str) -> Result<DeleteReport> {
        let mut data = self.lock();
        let at = now();
        let mut report = DeleteReport::default();
        for &id in ids {
            match data.remove_pending(id) {
                Some(pending) => {
                    data.settle(pending, Outcome::new(OutcomeCode::Deleted), by, at);
                    report.deleted.push(id);
                }
                None => report.not_pending.push(id),
            }
        }
        Ok(report)
    }

    async fn requeue(&self, ids: &[OperationId], _by: &str) -> Result<RequeueReport> {
        let mut data = self.lock();
        let at = now();
        let mut report = RequeueReport::default();
        for &id in ids {
            if data.pending_keys.contains_key(&id) {
                report.refused.push((id, RequeueRefusal::AlreadyPending));
                continue;
            }
            let latest = data
                .history
                .values()
                .rev()
                .find(|e| e.pending.id == id)
                .map(|e| (e.id, e.outcome.code));
            match latest {
                None => report.refused.push((id, RequeueRefusal::NotFound)),
                Some((_, code)) if !code.is_requeueable() => {
                    report.refused.push((id, RequeueRefusal::Applied))
                }
                Some((entry, _)) => {
                    let Some(entry) = data.history.get_mut(&entry) else {
                        report.refused.push((id, RequeueRefusal::NotFound));
                        continue;
                    };
                    entry.requeued_at = Some(at);
                    let pending = entry.pending.clone();
                    data.insert_pending(pending);
                    report.requeued.push(id);
                }
            }
        }
        Ok(report)
    }
}

#[async_trait]
impl History for MemoryStore {
    async fn history(&self, filter: &HistoryFilter) -> Result<Vec<HistoryEntry>> {
        let data = self.lock();
        Ok(limited(
            data.history
                .values()
                .rev()
                .filter(|e| filter.matches(e))
                .cloned(),
            filter.limit,
        ))
    }
}

#[async_trait]
impl Circulation for MemoryStore {
    async fn upsert_patrons(&self, patrons: &[Patron]) -> Result<()> {
        let mut data = self.lock();
        // Check row by row, as a database's unique index would, before
        // changing anything.
        let mut owners = data.userids.clone();
        let mut current: HashMap<&str, Option<&str>> = HashMap::new();
        for patron in patrons {
            if patron.cardnumber.trim().is_empty() {
                return Err(constraint(
                    ConstraintKind::NotNull,
                    "a patron needs a card number",
                ));
            }
            let card = patron.cardnumber.as_str();
            let old = match current.get(card) {
                Some(old) => *old,
                None => data.patrons.get(card).and_then(|p| p.userid.as_deref()),
            };
            if let Some(old) = old {
                owners.remove(old);
            }
            if let Some(userid) = patron.userid.as_deref() {
                if let Some(owner) = owners.get(userid) {
                    return Err(constraint(
                        ConstraintKind::Unique,
                        format!("username {userid} belongs to patron {owner}"),
                    ));
                }
                owners.insert(userid.to_owned(), card.to_owned());
            }
            current.insert(card, patron.userid.as_deref());
        }
        for patron in patrons {
            data.upsert_patron(patron.clone());
        }
        Ok(())
    }

    async fn upsert_items(&self, items: &[Item]) -> Result<()> {
        let mut data = self.lock();
        if items.iter().any(|i| i.barcode.trim().is_empty()) {
            return Err(constraint(
                ConstraintKind::NotNull,
                "an item needs a barcode",
            ));
        }
        for item in items {
            data.items.insert(item.barcode.clone(), item.clone());
        }
        Ok(())
    }

    async fn upsert_loans(&self, loans: &[Loan]) -> Result<()> {
        let mut data = self.lock();
        for loan in loans {
            if !data.patrons.contains_key(&loan.cardnumber) {
                return Err(constraint(
                    ConstraintKind::ForeignKey,
                    format!("no patron with card number {}", loan.cardnumber),
                ));
            }
            if !data.items.contains_key(&loan.barcode) {
                return Err(constraint(
                    ConstraintKind::ForeignKey,
                    format!("no item with barcode {}", loan.barcode),
                ));
            }
        }
        for loan in loans {
            data.loans.insert(loan.barcode.clone(), loan.clone());
        }
        Ok(())
    }

    async fn upsert_debts(&self, debts: &[NewDebt]) -> Result<usize> {
        let mut data = self.lock();
        for debt in debts {
            if !data.patrons.contains_key(&debt.cardnumber) {
                return Err(constraint(
                    ConstraintKind::ForeignKey,
                    format!("no patron with card number {}", debt.cardnumber),
                ));
            }
            if !debt.amount.is_positive() {
                return Err(Error::Invalid(format!(
                    "a debt must be positive; {} owes {}",
                    debt.cardnumber, debt.amount
                )));
            }
        }
        let to_add = NewDebt::not_recorded(debts, |debt| {
            Ok::<_, Error>(
                data.lines_of(&debt.cardnumber)
                    .filter(|l| {
                        l.kind == AccountLineKind::Debit
                            && l.amount == debt.amount
                            && l.description == debt.description
                            && debt.created_at.is_none_or(|at| l.created_at == at)
                    })
                    .count(),
            )
        })?;
        let added = to_add.len();
        for debt in to_add {
            data.next_account_line += 1;
            let id = AccountLineId(data.next_account_line);
            data.insert_account_line(AccountLine {
                id,
                cardnumber: debt.cardnumber.clone(),
                kind: AccountLineKind::Debit,
                amount: debt.amount,
                outstanding: debt.amount,
                description: debt.description.clone(),
                created_at: debt.created_at.unwrap_or_else(now),
                operation: None,
            });
        }
        Ok(added)
    }

    async fn upsert_holds(&self, holds: &[NewHold]) -> Result<()> {
        let mut data = self.lock();
        for hold in holds {
            if !data.patrons.contains_key(&hold.cardnumber) {
                return Err(constraint(
                    ConstraintKind::ForeignKey,
                    format!("no patron with card number {}", hold.cardnumber),
                ));
            }
            if !data.items.contains_key(&hold.barcode) {
                return Err(constraint(
                    ConstraintKind::ForeignKey,
                    format!("no item with barcode {}", hold.barcode),
                ));
            }
        }
        for hold in holds {
            let existing = data
                .holds_on(&hold.barcode)
                .find(|h| h.filled_at.is_none() && h.cardnumber == hold.cardnumber)
                .map(|h| h.id);
            match existing.and_then(|id| data.holds.get_mut(&id)) {
                Some(existing) => existing.placed_at = hold.placed_at,
                None => {
                    data.next_hold += 1;
                    let id = HoldId(data.next_hold);
                    data.insert_hold(Hold {
                        id,
                        barcode: hold.barcode.clone(),
                        cardnumber: hold.cardnumber.clone(),
                        placed_at: hold.placed_at,
                        filled_at: None,
                    });
                }
            }
        }
        Ok(())
    }

    async fn upsert_rules(&self, rules: &[LoanRule]) -> Result<()> {
        let mut data = self.lock();
        for rule in rules {
            data.rules
                .retain(|r| !(r.category == rule.category && r.itemtype == rule.itemtype));
            data.rules.push(rule.clone());
        }
        Ok(())
    }

    async fn patrons(&self, cardnumbers: &[String]) -> Result<Vec<Patron>> {
        let data = self.lock();
        let wanted: BTreeSet<&String> = cardnumbers.iter().collect();
        Ok(wanted
            .into_iter()
            .filter_map(|c| data.patrons.get(c))
            .cloned()
            .collect())
    }

    async fn patron_by_userid(&self, userid: &str) -> Result<Option<Patron>> {
        let data = self.lock();
        Ok(data
            .userids
            .get(userid)
            .and_then(|card| data.patrons.get(card))
            .cloned())
    }

    async fn search_patrons(&self, text: &str, limit: usize) -> Result<Vec<Patron>> {
        let data = self.lock();
        let mut found: Option<BTreeSet<&String>> = None;
        for token in search_tokens([text]) {
            let cards: BTreeSet<&String> = data
                .name_index
                .range((token.clone(), String::new())..)
                .take_while(|(t, _)| t.starts_with(&token))
                .map(|(_, card)| card)
                .collect();
            found = Some(match found {
                None => cards,
                Some(before) => before.intersection(&cards).copied().collect(),
            });
        }
        let mut patrons: Vec<Patron> = found
            .unwrap_or_default()
            .into_iter()
            .filter_map(|c| data.patrons.get(c))
            .cloned()
            .collect();
        patrons.sort_by(|a, b| {
            (&a.surname, &a.firstname, &a.cardnumber).cmp(&(
                &b.surname,
                &b.firstname,
                &b.cardnumber,
            ))
        });
        patrons.truncate(limit);
        Ok(patrons)
    }

    async fn items(&self, barcodes: &[String]) -> Result<Vec<Item>> {
        let data = self.lock();
        let wanted: BTreeSet<&String> = barcodes.iter().collect();
        Ok(wanted
            .into_iter()
            .filter_map(|b| data.items.get(b))
            .cloned()
            .collect())
    }

    async fn loans(&self, filter: &LoanFilter) -> Result<Vec<Loan>> {
        let data = self.lock();
        Ok(limited(
            data.loans.values().filter(|l| filter.matches(l)).cloned(),
            filter.limit,
        ))
    }

    async fn closed_loans(&self, filter: &LoanFilter) -> Result<Vec<ClosedLoan>> {
        let data = self.lock();
        Ok(limited(
            data.closed_loans
                .iter()
                .filter(|l| filter.matches(&l.loan))
                .cloned(),
            filter.limit,
        ))
    }

    async fn account_lines(&self, cardnumber: &str) -> Result<Vec<AccountLine>> {
        let data = self.lock();
        let mut lines: Vec<AccountLine> = data.lines_of(cardnumber).cloned().collect();
        // By id: the order they were added in.
        lines.sort_by_key(|l| l.id);
        Ok(lines)
    }

    async fn holds(&self, filter: &HoldFilter) -> Result<Vec<Hold>> {
        let data = self.lock();
        let mut holds: Vec<Hold> = data
            .holds
            .values()
            .filter(|h| filter.matches(h))
            .cloned()
            .collect();
        holds.sort_by_key(|h| (h.placed_at, h.id));
        Ok(holds)
    }

    async fn rules(&self) -> Result<Vec<LoanRule>> {
        Ok(self.lock().rules.clone())
    }
}

#[async_trait]
impl Processor for MemoryStore {
    async fn process(
        &self,
        run: &ProcessRun,
        observer: &mut dyn ProcessObserver,
    ) -> Result<ProcessSummary> {
        let mut summary = ProcessSummary {
            dry_run: run.dry_run,
            ..ProcessSummary::default()
        };
        // A dry run works on a copy, batch after batch, so that its outcomes
        // are the ones a real run would give.
        let mut copy = run.dry_run.then(|| self.lock().clone());

        let selected: Option<Vec<OrderKey>> = match &run.selection {
            Selection::All => None,
            Selection::Ids(ids) => {
                let data = self.lock();
                let data = copy.as_ref().unwrap_or(&*data);
                let mut keys = Vec::new();
                for id in ids.iter().collect::<BTreeSet<_>>() {
                    match data.pending_keys.get(id) {
                        Some(key) => keys.push(*key),
                        None => summary.not_pending.push(*id),
                    }
                }
                keys.sort();
                Some(keys)
            }
        };
        let stored_rules;
        let policy: &dyn LoanPolicy = match &run.policy {
            Some(policy) => policy.as_ref(),
            None => {
                stored_rules = RuleTable::new(match &copy {
                    Some(copy) => copy.rules.clone(),
                    None => self.lock().rules.clone(),
                });
                &stored_rules
            }
        };
        let engine = Engine::new(run.conflicts, policy);
        let batch_size = run.batch_size.max(1);
        let mut next = 0;
        let mut after: Option<OrderKey> = None;
        loop {
            let mut guard = self.lock();
            let data: &mut Data = match copy.as_mut() {
                Some(copy) => copy,
                None => &mut guard,
            };
            let in_branch =
                |p: &PendingOperation| run.branch.as_ref().is_none_or(|b| *b == p.operation.branch);
            let batch: Vec<PendingOperation> = match &selected {
                None => {
                    let range = match after {
                        None => data.pending.range(..),
                        Some(key) => data
                            .pending
                            .range((std::ops::Bound::Excluded(key), std::ops::Bound::Unbounded)),
                    };
                    range
                        .map(|(_, p)| p)
                        .filter(|p| in_branch(p))
                        .take(batch_size)
                        .cloned()
                        .collect()
                }
                Some(keys) => {
                    let mut batch = Vec::new();
                    while batch.len() < batch_size && next < keys.len() {
                        if let Some(p) = data.pending.get(&keys[next])
                            && in_branch(p)
                        {
                            batch.push(p.clone());
                        }
                        next += 1;
                    }
                    batch
                }
            };
            let Some(last) = batch.last() else {
                break;
            };
            after = Some(last.order_key());
            let mut state = data.load(&batch, run.may_leave_earlier_operations());
            let decisions = engine.decide(&batch, &mut state)?;
            let results: Vec<ProcessedOperation> = batch
                .into_iter()
                .zip(decisions.outcomes)
                .map(|(pending, outcome)| ProcessedOperation { pending, outcome })
                .collect();
            data.apply(decisions.effects, &results, &run.user, now());
            drop(guard);
            summary.count(&results);
            observer.batch(&results);
        }
        Ok(summary)
    }
}
