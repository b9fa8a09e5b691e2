//! Scenarios: the pending queue and history.

use super::fixtures::*;
use crate::{
    Action, DueDate, DuplicateOf, HistoryFilter, LoanFilter, Operation, OperationId, OutcomeCode,
    PendingFilter, ProcessRun, RequeueRefusal, Result, Source, Store, StoreExt,
};

/// An operation reads back from the queue with every field (Koha's test).
pub async fn added_operation_reads_back_whole<S: Store + ?Sized>(store: &S) -> Result<()> {
    let mut operation = issue("2026-07-22 10:15:30.123", JANE, LEFT_HAND);
    operation.due = Some(DueDate::Date(day("2026-08-05")));
    operation.workstation = Some("circ-desk-2".to_owned());
    operation.source = Source::File {
        name: "koha-offline-circ-2026-07-22.koc".to_owned(),
        line: 7,
    };
    let mut pay = payment("2026-07-22 10:17:45.001", JANE, "1234.56");
    pay.source = Source::Request {
        detail: Some("service.pl from 10.0.0.5".to_owned()),
    };
    pay.workstation = None;
    let report = store
        .enqueue(None, &[operation.clone(), pay.clone()])
        .await?;
    assert_eq!(report.added.len(), 2);
    assert!(report.duplicates.is_empty());
    assert!(
        report.added[0] < report.added[1],
        "ids grow in enqueue order"
    );

    for (id, expected) in report.added.iter().zip([operation, pay]) {
        let pending = store.pending_operation(*id).await?;
        let Some(pending) = pending else {
            unreachable!("operation {id} was just added");
        };
        assert_eq!(pending.id, *id);
        assert_eq!(pending.upload, report.upload);
        assert_eq!(pending.fingerprint, expected.fingerprint());
        assert_eq!(pending.operation, expected);
    }
    assert_eq!(store.pending_operation(OperationId(999_999)).await?, None);
    Ok(())
}

/// The same operation is never queued twice: not in one batch, not while
/// pending, not after it was processed (Koha would charge twice).
pub async fn duplicates_are_not_queued<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let pay = payment("2026-07-22 10:17:45", JANE, "5.00");
    let other = payment("2026-07-22 10:17:45.001", JANE, "5.00");
    let mut same_written_differently = pay.clone();
    same_written_differently.amount = Some(money("5"));
    same_written_differently.source = Source::File {
        name: "again.koc".to_owned(),
        line: 3,
    };

    let first = store
        .enqueue(None, &[pay.clone(), other, pay.clone()])
        .await?;
    assert_eq!(first.added.len(), 2);
    assert_eq!(first.duplicates.len(), 1);
    assert_eq!(first.duplicates[0].index, 2);
    assert_eq!(first.duplicates[0].of, DuplicateOf::Batch(0));

    let again = store
        .enqueue(None, &[same_written_differently.clone()])
        .await?;
    assert!(again.added.is_empty());
    assert_eq!(again.duplicates[0].of, DuplicateOf::Pending(first.added[0]));
    assert_eq!(again.duplicates[0].source, same_written_differently.source);

    process_all(store).await?;
    let after = store.enqueue(None, &[pay]).await?;
    assert!(after.added.is_empty());
    assert_eq!(after.duplicates[0].of, DuplicateOf::History(first.added[0]));
    assert_eq!(store.count_pending(&PendingFilter::all()).await?, 0);
    // Two payments, not three or four.
    assert_eq!(store.balance(JANE).await?, money("-4.50"));
    Ok(())
}

/// Operations given away ([`Queue::enqueue_owned`](crate::Queue::enqueue_owned))
/// are enqueued as lent ones are: duplicates within the batch and of the
/// queue left out, the others added in order, joining the upload given.
pub async fn owned_batch_is_enqueued_as_a_lent_one<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let pay = payment("2026-07-22 10:17:45", JANE, "5.00");
    let first = store.enqueue(None, std::slice::from_ref(&pay)).await?;
    let later = checkin("2026-07-22 10:20:00", MIDDLEMARCH);
    let earlier = checkin("2026-07-22 10:19:00", LEFT_HAND);
    let owned = store
        .enqueue_owned(
            Some(first.upload),
            vec![later.clone(), pay, earlier.clone(), later.clone()],
        )
        .await?;
    assert_eq!(owned.upload, first.upload);
    assert_eq!(owned.added.len(), 2);
    assert!(owned.added[0] < owned.added[1], "ids in the order given");
    let of: Vec<(usize, DuplicateOf)> = owned
        .duplicates
        .iter()
        .map(|duplicate| (duplicate.index, duplicate.of))
        .collect();
    assert_eq!(
        of,
        vec![
            (1, DuplicateOf::Pending(first.added[0])),
            (3, DuplicateOf::Batch(0)),
        ]
    );
    let pending: Vec<Operation> = store
        .pending(&PendingFilter::all())
        .await?
        .into_iter()
        .map(|p| p.operation)
        .collect();
    assert_eq!(pending[1..], [earlier, later]);
    Ok(())
}

/// In a long batch of new operations, known ones (pending, processed, or
/// both known and repeated) are found wherever they are: only the new ones
/// are added, with consecutive ids, and each known one is reported with
/// what it repeats.
pub async fn known_operations_among_new_ones<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let at = |n: usize| format!("2026-07-22 10:{:02}:{:02}", n / 60, n % 60);
    let processed = checkin(&at(5), LEFT_HAND);
    let pending = checkin(&at(300), MIDDLEMARCH);
    let first = store
        .enqueue(None, std::slice::from_ref(&processed))
        .await?;
    process_all(store).await?;
    let second = store.enqueue(None, std::slice::from_ref(&pending)).await?;
    let (processed_id, pending_id) = (first.added[0], second.added[0]);

    // Long enough for the ways a store writes a long batch (many rows per
    // statement, `COPY`), with known ones past the first rows it writes.
    let new: Vec<_> = (0..1100).map(|n| checkin(&at(1000 + n), SAMURAI)).collect();
    let mut batch = new.clone();
    batch.insert(200, pending.clone());
    batch.insert(250, processed);
    batch.push(pending);
    let report = store.enqueue(None, &batch).await?;

    let of: Vec<_> = report.duplicates.iter().map(|d| (d.index, d.of)).collect();
    assert_eq!(
        of,
        [
            (200, DuplicateOf::Pending(pending_id)),
            (250, DuplicateOf::History(processed_id)),
            (1102, DuplicateOf::Pending(pending_id)),
        ]
    );
    assert_eq!(report.added.len(), new.len());
    assert!(report.added[0] > pending_id);
    assert!(
        report.added.windows(2).all(|w| w[1].0 == w[0].0 + 1),
        "ids not consecutive: {:?}",
        report.added
    );
    for (id, operation) in report.added.iter().zip(&new) {
        let queued = store.pending_operation(*id).await?;
        assert_eq!(queued.map(|p| p.operation).as_ref(), Some(operation));
    }
    assert_eq!(
        store.count_pending(&PendingFilter::all()).await?,
        new.len() as u64 + 1
    );
    Ok(())
}

/// Uploads are processed together in time order, then enqueue order,
/// whatever order they came in.
pub async fn uploads_interleave_in_time_order<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let desk_one = [
        checkin("2026-07-22 10:10:00", LEFT_HAND),
        issue("2026-07-22 10:30:00", JOHN, LEFT_HAND),
    ];
    let desk_two = [
        issue("2026-07-22 10:00:00", JANE, LEFT_HAND),
        issue("2026-07-22 10:20:00", JANE, MIDDLEMARCH),
        // Same instant as desk one's first line: enqueue order decides.
        checkin("2026-07-22 10:10:00", MIDDLEMARCH),
    ];
    enqueue(store, &desk_one).await?;
    enqueue(store, &desk_two).await?;
    let pending = store.pending(&PendingFilter::all()).await?;
    let times: Vec<String> = pending
        .iter()
        .map(|p| p.operation.time.format("%H:%M").to_string())
        .collect();
    assert_eq!(times, ["10:00", "10:10", "10:10", "10:20", "10:30"]);
    assert!(pending[1].id < pending[2].id);

    let results = process_all(store).await?;
    let got: Vec<_> = results
        .iter()
        .map(|r| {
            (
                r.pending.operation.time.format("%H:%M").to_string(),
                r.outcome.code,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("10:00".to_owned(), OutcomeCode::Issued),
            ("10:10".to_owned(), OutcomeCode::Returned),
            ("10:10".to_owned(), OutcomeCode::NotIssued),
            ("10:20".to_owned(), OutcomeCode::Issued),
            ("10:30".to_owned(), OutcomeCode::Issued),
        ]
    );
    assert_eq!(
        store.loans(&LoanFilter::item(LEFT_HAND)).await?[0].cardnumber,
        JOHN
    );
    assert_eq!(
        store.loans(&LoanFilter::item(MIDDLEMARCH)).await?[0].cardnumber,
        JANE
    );
    Ok(())
}

/// One upload can be enqueued in several batches (a long file).
pub async fn upload_spans_several_batches<S: Store + ?Sized>(store: &S) -> Result<()> {
    let first = store
        .enqueue(None, &[checkin("2026-07-22 10:00:00", LEFT_HAND)])
        .await?;
    let second = store
        .enqueue(
            Some(first.upload),
            &[checkin("2026-07-22 10:01:00", MIDDLEMARCH)],
        )
        .await?;
    assert_eq!(second.upload, first.upload);
    let third = store
        .enqueue(None, &[checkin("2026-07-22 10:02:00", SAMURAI)])
        .await?;
    assert_ne!(third.upload, first.upload);
    let uploads: Vec<_> = store
        .pending(&PendingFilter::all())
        .await?
        .iter()
        .map(|p| p.upload)
        .collect();
    assert_eq!(uploads, vec![first.upload, first.upload, third.upload]);
    Ok(())
}

/// The queue lists by library and action, pages with `after` and `limit`,
/// and counts.
pub async fn pending_filters<S: Store + ?Sized>(store: &S) -> Result<()> {
    enqueue(
        store,
        &[
            issue("2026-07-22 10:00:00", JANE, LEFT_HAND),
            for_branch(checkin("2026-07-22 10:01:00", HAWKING), "FFL"),
            payment("2026-07-22 10:02:00", JANE, "1.00"),
            for_branch(issue("2026-07-22 10:03:00", JOHN, MIDDLEMARCH), "FFL"),
        ],
    )
    .await?;
    let branch = store.pending(&PendingFilter::all().branch("FFL")).await?;
    assert_eq!(branch.len(), 2);
    assert!(branch.iter().all(|p| p.operation.branch == "FFL"));
    let issues = store
        .pending(&PendingFilter::all().action(Action::Issue))
        .await?;
    assert_eq!(issues.len(), 2);
    let both = PendingFilter::all().branch("CPL").action(Action::Payment);
    assert_eq!(store.pending(&both).await?.len(), 1);
    assert_eq!(
        store
            .count_pending(&PendingFilter::all().branch("FFL"))
            .await?,
        2
    );
    assert_eq!(store.count_pending(&PendingFilter::all()).await?, 4);

    let later = store
        .enqueue(None, &[checkin("2026-07-22 09:00:00", SAMURAI)])
        .await?;
    let of_upload = store
        .pending(&PendingFilter::all().upload(later.upload))
        .await?;
    assert_eq!(of_upload.len(), 1);
    assert_eq!(of_upload[0].id, later.added[0]);
    assert_eq!(
        store
            .count_pending(&PendingFilter::all().upload(later.upload))
            .await?,
        1
    );
    let first_upload = store.pending(&PendingFilter::all()).await?[1].upload;
    assert_eq!(
        store
            .count_pending(&PendingFilter::all().upload(first_upload))
            .await?,
        4
    );

    let page = store.pending(&PendingFilter::all().limit(2)).await?;
    assert_eq!(page.len(), 2);
    let last = &page[1];
    let rest = store
        .pending(&PendingFilter::all().after(last.operation.time, last.id))
        .await?;
    assert_eq!(rest.len(), 3);
    assert!(rest.iter().all(|p| p.order_key() > last.order_key()));
    Ok(())
}

/// A deleted operation leaves the queue (Koha's test) and is kept in history
/// as deleted, with who deleted it.
pub async fn deleted_operation_leaves_the_queue<S: Store + ?Sized>(store: &S) -> Result<()> {
    let report = store
        .enqueue(
            None,
            &[
                checkin("2026-07-22 10:00:00", LEFT_HAND),
                checkin("2026-07-22 10:01:00", MIDDLEMARCH),
            ],
        )
        .await?;
    let (gone, kept) = (report.added[0], report.added[1]);
    let deleted = store
        .delete(&[gone, OperationId(999_999)], "librarian")
        .await?;
    assert_eq!(deleted.deleted, vec![gone]);
    assert_eq!(deleted.not_pending, vec![OperationId(999_999)]);
    assert_eq!(store.pending_operation(gone).await?, None);
    assert!(store.pending_operation(kept).await?.is_some());

    let history = store.history(&HistoryFilter::all().operation(gone)).await?;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].outcome.code, OutcomeCode::Deleted);
    assert_eq!(history[0].outcome.message, "Deleted.");
    assert_eq!(history[0].by, "librarian");
    assert_eq!(history[0].pending.id, gone);

    let twice = store.delete(&[gone], "librarian").await?;
    assert!(twice.deleted.is_empty());
    assert_eq!(twice.not_pending, vec![gone]);
    Ok(())
}

/// Failed and deleted operations can be put back in the queue; applied ones
/// cannot, so nothing is applied twice.
pub async fn requeue_puts_failures_back<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let report = store
        .enqueue(
            None,
            &[
                issue("2026-07-22 10:00:00", "23529009999999", LEFT_HAND),
                checkin("2026-07-22 10:01:00", HAWKING),
                checkin("2026-07-22 10:02:00", MIDDLEMARCH),
            ],
        )
        .await?;
    let (unknown_patron, applied, deleted) = (report.added[0], report.added[1], report.added[2]);
    store.delete(&[deleted], STAFF).await?;
    let results = process_all(store).await?;
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].outcome.code, OutcomeCode::PatronNotFound);

    let failed = store.history(&HistoryFilter::failed()).await?;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].pending.id, unknown_patron);

    // The patron is registered; the operation can now go through.
    let mut patron = patrons()[0].clone();
    patron.cardnumber = "23529009999999".to_owned();
    patron.userid = None;
    store.upsert_patrons(&[patron]).await?;

    let requeue = store
        .requeue(
            &[unknown_patron, applied, deleted, OperationId(999_999)],
            STAFF,
        )
        .await?;
    assert_eq!(requeue.requeued, vec![unknown_patron, deleted]);
    assert_eq!(
        requeue.refused,
        vec![
            (applied, RequeueRefusal::Applied),
            (OperationId(999_999), RequeueRefusal::NotFound),
        ]
    );
    let again = store.requeue(&[unknown_patron], STAFF).await?;
    assert_eq!(
        again.refused,
        vec![(unknown_patron, RequeueRefusal::AlreadyPending)]
    );
    let pending = store.pending_operation(unknown_patron).await?;
    assert_eq!(pending.map(|p| p.id), Some(unknown_patron));
    assert!(store.history(&HistoryFilter::failed()).await?.is_empty());

    let results = run(store, &ProcessRun::ids(STAFF, vec![unknown_patron])).await?;
    assert_eq!(results[0].outcome.code, OutcomeCode::Issued);
    let entries = store
        .history(&HistoryFilter::all().operation(unknown_patron))
        .await?;
    assert_eq!(entries.len(), 2, "both attempts are kept");
    assert_eq!(
        entries[0].outcome.code,
        OutcomeCode::Issued,
        "most recent first"
    );
    assert!(entries[1].requeued_at.is_some());
    assert_eq!(entries[1].outcome.code, OutcomeCode::PatronNotFound);
    Ok(())
}

/// History says who processed each operation, and when.
pub async fn history_records_who_and_when<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    enqueue(store, &[checkin("2026-07-22 10:00:00", HAWKING)]).await?;
    let before = chrono::Local::now().naive_local() - chrono::Duration::minutes(1);
    run(store, &ProcessRun::all("night-shift")).await?;
    let after = chrono::Local::now().naive_local() + chrono::Duration::minutes(1);
    let history = store.history(&HistoryFilter::all()).await?;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].by, "night-shift");
    assert!(
        before <= history[0].at && history[0].at <= after,
        "{}",
        history[0].at
    );
    assert_eq!(history[0].outcome.code, OutcomeCode::Returned);
    assert_eq!(
        history[0].outcome.warning_codes(),
        vec![crate::WarningCode::ReturnedOverdue]
    );
    assert_eq!(history[0].requeued_at, None);
    let branch = store.history(&HistoryFilter::all().branch("FFL")).await?;
    assert!(branch.is_empty());
    Ok(())
}
