//! Scenarios: what a processing run takes, and how it commits.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::NaiveDateTime;

use super::fixtures::*;
use crate::{
    Error, HistoryFilter, Item, LoanFilter, LoanPolicy, OperationId, OutcomeCode, PendingFilter,
    PolicyError, ProcessRun, Result, RuleTable, Store, StoreExt, WarningCode,
};

/// Processing selected operations leaves the others pending; ids that are
/// not pending are reported.
pub async fn selected_operations_only<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let report = store
        .enqueue(
            None,
            &[
                issue("2026-07-22 10:00:00", JANE, LEFT_HAND),
                issue("2026-07-22 10:01:00", JANE, MIDDLEMARCH),
                payment("2026-07-22 10:02:00", JANE, "1.00"),
            ],
        )
        .await?;
    let chosen = vec![report.added[2], report.added[0], OperationId(999_999)];
    let mut results = Vec::new();
    let mut observer = |batch: &[crate::ProcessedOperation]| results.extend_from_slice(batch);
    let summary = store
        .process(&ProcessRun::ids(STAFF, chosen), &mut observer)
        .await?;
    let ids: Vec<_> = results.iter().map(|r| r.pending.id).collect();
    assert_eq!(ids, vec![report.added[0], report.added[2]], "in time order");
    assert_eq!(summary.processed, 2);
    assert_eq!(summary.not_pending, vec![OperationId(999_999)]);
    assert_eq!(summary.count_of(OutcomeCode::Issued), 1);
    assert_eq!(summary.count_of(OutcomeCode::PaymentRecorded), 1);
    let left = store.pending(&PendingFilter::all()).await?;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, report.added[1]);
    Ok(())
}

/// Processing an operation while an earlier one on the same item is still
/// pending (not selected) gives a warning.
pub async fn earlier_pending_operation_is_flagged<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let report = store
        .enqueue(
            None,
            &[
                issue("2026-07-22 10:00:00", JANE, LEFT_HAND),
                checkin("2026-07-22 11:00:00", LEFT_HAND),
                checkin("2026-07-22 11:30:00", MIDDLEMARCH),
            ],
        )
        .await?;
    let (first, later, unrelated) = (report.added[0], report.added[1], report.added[2]);
    let results = run(store, &ProcessRun::ids(STAFF, vec![later, unrelated])).await?;
    assert_eq!(results[0].pending.id, later);
    assert_eq!(results[0].outcome.code, OutcomeCode::NotIssued);
    assert_eq!(
        results[0].outcome.warning_codes(),
        vec![WarningCode::EarlierPendingForItem]
    );
    assert!(
        results[0].outcome.warnings[0]
            .message
            .contains(&first.to_string())
    );
    assert!(
        !results[1]
            .outcome
            .has_warning(WarningCode::EarlierPendingForItem)
    );

    // The earlier one, processed alone, has nothing earlier pending.
    let results = run(store, &ProcessRun::ids(STAFF, vec![first])).await?;
    assert_eq!(results[0].outcome.code, OutcomeCode::Issued);
    assert!(results[0].outcome.warnings.is_empty());
    Ok(())
}

/// A snapshot of everything a run may change.
#[derive(Debug, PartialEq)]
struct Everything {
    pending: Vec<crate::PendingOperation>,
    history: usize,
    loans: Vec<crate::Loan>,
    closed: Vec<crate::ClosedLoan>,
    items: Vec<Item>,
    accounts: Vec<crate::AccountLine>,
    holds: Vec<crate::Hold>,
}

async fn everything<S: Store + ?Sized>(store: &S) -> Result<Everything> {
    let barcodes: Vec<String> = items().into_iter().map(|i| i.barcode).collect();
    let mut accounts = Vec::new();
    for patron in patrons() {
        accounts.extend(store.account_lines(&patron.cardnumber).await?);
    }
    let mut items = store.items(&barcodes).await?;
    items.sort_by(|a, b| a.barcode.cmp(&b.barcode));
    Ok(Everything {
        pending: store.pending(&PendingFilter::all()).await?,
        history: store.history(&HistoryFilter::all()).await?.len(),
        loans: store.loans(&LoanFilter::all()).await?,
        closed: store.closed_loans(&LoanFilter::all()).await?,
        items,
        accounts,
        holds: store
            .holds(&crate::HoldFilter::unfilled().include_filled())
            .await?,
    })
}

fn a_busy_morning() -> Vec<crate::Operation> {
    vec![
        issue("2026-07-22 10:00:00", JANE, LEFT_HAND),
        issue("2026-07-22 10:01:00", JOHN, SAMURAI),
        checkin("2026-07-22 10:02:00", HAWKING),
        payment("2026-07-22 10:03:00", JANE, "4.00"),
        issue("2026-07-22 10:04:00", JOHN, HAWKING),
        issue("2026-07-22 10:05:00", JANE, LOST_ATLAS),
        checkin("2026-07-22 10:06:00", LEFT_HAND),
        issue("2026-07-22 10:07:00", "nobody", MIDDLEMARCH),
        issue("2026-07-22 10:08:00", JANE, LEFT_HAND),
        issue("2026-07-23 10:08:00", JANE, LEFT_HAND),
    ]
}

/// A dry run gives the outcomes a real run gives, and changes nothing.
pub async fn dry_run_changes_nothing<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    enqueue(store, &a_busy_morning()).await?;
    let before = everything(store).await?;
    let dry = run(store, &ProcessRun::all(STAFF).dry_run(true).batch_size(3)).await?;
    assert_eq!(everything(store).await?, before);
    let real = run(store, &ProcessRun::all(STAFF)).await?;
    let outcomes = |results: &[crate::ProcessedOperation]| {
        results
            .iter()
            .map(|r| (r.pending.id, r.outcome.code, r.outcome.warning_codes()))
            .collect::<Vec<_>>()
    };
    assert_eq!(outcomes(&dry), outcomes(&real));
    assert_eq!(real.len(), 10);
    assert_ne!(everything(store).await?, before);
    Ok(())
}

/// Processing in batches of one gives the same outcomes and state as one
/// batch: each transaction sees what the ones before committed.
pub async fn batches_see_earlier_batches<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    enqueue(store, &a_busy_morning()).await?;
    let results = run(store, &ProcessRun::all(STAFF).batch_size(1)).await?;
    let codes: Vec<_> = results.iter().map(|r| r.outcome.code).collect();
    use OutcomeCode::*;
    assert_eq!(
        codes,
        vec![
            Issued,
            Issued,
            Returned,
            PaymentRecorded,
            Issued,
            Issued,
            Returned,
            PatronNotFound,
            Issued,
            Renewed
        ]
    );
    assert_eq!(store.balance(JANE).await?, money("1.50"));
    let loans: Vec<_> = store
        .loans(&LoanFilter::all())
        .await?
        .into_iter()
        .map(|l| (l.barcode, l.cardnumber, l.renewals))
        .collect();
    assert_eq!(
        loans,
        vec![
            (LEFT_HAND.to_owned(), JANE.to_owned(), 1),
            (SAMURAI.to_owned(), JOHN.to_owned(), 0),
            (HAWKING.to_owned(), JOHN.to_owned(), 0),
            (LOST_ATLAS.to_owned(), JANE.to_owned(), 0),
        ]
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
    Ok(())
}

/// Processing one library's operations leaves the others pending.
pub async fn library_filter<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    enqueue(
        store,
        &[
            issue("2026-07-22 10:00:00", JANE, LEFT_HAND),
            for_branch(checkin("2026-07-22 10:01:00", HAWKING), "FFL"),
            for_branch(issue("2026-07-22 10:02:00", JOHN, MIDDLEMARCH), "FFL"),
        ],
    )
    .await?;
    let results = run(store, &ProcessRun::all(STAFF).branch("FFL")).await?;
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|r| r.pending.operation.branch == "FFL"));
    let left = store.pending(&PendingFilter::all()).await?;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].operation.branch, BRANCH);
    let loan = store.loans(&LoanFilter::item(MIDDLEMARCH)).await?;
    assert_eq!(loan[0].branch.as_deref(), Some("FFL"));
    Ok(())
}

/// A loan policy that fails on its n-th call, as a host's calendar service
/// might.
struct FailingPolicy {
    calls: AtomicUsize,
    fail_at: usize,
}

impl LoanPolicy for FailingPolicy {
    fn due_at(
        &self,
        patron: &crate::Patron,
        item: &Item,
        issued_at: NaiveDateTime,
    ) -> Result<NaiveDateTime, PolicyError> {
        if self.calls.fetch_add(1, Ordering::SeqCst) + 1 == self.fail_at {
            return Err(PolicyError::new("the calendar service is down"));
        }
        RuleTable::default().due_at(patron, item, issued_at)
    }

    fn renewal_due_at(
        &self,
        patron: &crate::Patron,
        item: &Item,
        loan: &crate::Loan,
        renewed_at: NaiveDateTime,
    ) -> Result<NaiveDateTime, PolicyError> {
        RuleTable::default().renewal_due_at(patron, item, loan, renewed_at)
    }
}

/// An error in the middle of a batch leaves the store as it was before the
/// batch: nothing half-applied, nothing lost from the queue.
pub async fn failed_batch_changes_nothing<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    enqueue(
        store,
        &[
            checkin("2026-07-22 09:00:00", HAWKING),
            payment("2026-07-22 09:30:00", JANE, "1.00"),
            issue("2026-07-22 10:00:00", JANE, LEFT_HAND),
            issue("2026-07-22 10:01:00", JANE, MIDDLEMARCH),
            issue("2026-07-22 10:02:00", JOHN, SAMURAI),
        ],
    )
    .await?;
    let before = everything(store).await?;
    let policy = Arc::new(FailingPolicy {
        calls: AtomicUsize::new(0),
        fail_at: 2,
    });
    let mut seen = 0;
    let mut observer = |batch: &[crate::ProcessedOperation]| seen += batch.len();
    let result = store
        .process(&ProcessRun::all(STAFF).policy(policy), &mut observer)
        .await;
    assert!(matches!(result, Err(Error::Policy(_))), "{result:?}");
    assert_eq!(seen, 0);
    assert_eq!(everything(store).await?, before);

    // Processing works again once the policy does.
    let results = process_all(store).await?;
    assert_eq!(results.len(), 5);
    Ok(())
}

/// Two runs at once on one queue process every operation exactly once, in
/// time order.
pub async fn concurrent_runs_process_each_operation_once<S: Store + ?Sized>(
    store: &S,
) -> Result<()> {
    library(store).await?;
    let count = 60;
    let shelf: Vec<Item> = (0..count)
        .map(|i| Item::new(format!("3900000000{i:04}"), format!("Copy {i}")))
        .collect();
    store.upsert_items(&shelf).await?;
    let mut operations = Vec::new();
    for (i, item) in shelf.iter().enumerate() {
        let minute = i % 60;
        operations.push(issue(
            &format!("2026-07-22 10:{minute:02}:00"),
            JANE,
            &item.barcode,
        ));
        operations.push(checkin(
            &format!("2026-07-22 11:{minute:02}:00"),
            &item.barcode,
        ));
    }
    enqueue(store, &operations).await?;
    let one = ProcessRun::all("one").batch_size(7);
    let two = ProcessRun::all("two").batch_size(5);
    let (a, b) = tokio::join!(run(store, &one), run(store, &two));
    let (a, b) = (a?, b?);
    assert_eq!(a.len() + b.len(), operations.len());
    let mut ids: Vec<OperationId> = a.iter().chain(&b).map(|r| r.pending.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), operations.len(), "no operation processed twice");
    // Time order holds: every issue came before its return, so all succeed.
    for result in a.iter().chain(&b) {
        assert!(
            matches!(
                result.outcome.code,
                OutcomeCode::Issued | OutcomeCode::Returned
            ),
            "{result:?}"
        );
    }
    assert_eq!(
        store.history(&HistoryFilter::all()).await?.len(),
        operations.len()
    );
    assert_eq!(store.count_pending(&PendingFilter::all()).await?, 0);
    assert_eq!(store.loans(&LoanFilter::patron(JANE)).await?.len(), 0);
    assert_eq!(
        store.closed_loans(&LoanFilter::patron(JANE)).await?.len(),
        count
    );
    Ok(())
}
