//! A run that leaves operations behind (a branch, or chosen ids) warns
//! about an earlier pending operation on the same item even when the queue
//! changes between its batches: another process, or another call on the
//! same store, enqueues one before the run's position, or processes one it
//! had seen.
//!
//! The observer of the first batch makes the change and waits for it: it
//! runs while the second batch is processed, and the third starts after it
//! returns, so the change lands between the second and the third.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use koc_core::conformance::between::{
    branch_run_with, earlier_elsewhere, earlier_warnings, on_another_thread,
};
use koc_core::conformance::fixtures::{
    JANE, LEFT_HAND, MIDDLEMARCH, STAFF, checkin, issue, library,
};
use koc_core::{OperationId, ProcessRun, Processor, Queue};
use koc_store_sqlite::SqliteStore;

async fn two_stores() -> (tempfile::TempDir, SqliteStore, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("koc.sqlite");
    let store = SqliteStore::open(&path).await.unwrap();
    library(&store).await.unwrap();
    let other = SqliteStore::open(&path).await.unwrap();
    (dir, store, other)
}

/// Jane borrows LEFT_HAND at 10:00 and returns it at 10:05, and
/// MIDDLEMARCH is returned at 10:10, all at CPL.
async fn three_operations(store: &SqliteStore) {
    store
        .enqueue(
            None,
            &[
                issue("2026-07-22 10:00:00", JANE, LEFT_HAND),
                checkin("2026-07-22 10:05:00", LEFT_HAND),
                checkin("2026-07-22 10:10:00", MIDDLEMARCH),
            ],
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_earlier_operation_enqueued_by_another_process_is_seen() {
    let (_dir, store, other) = two_stores().await;
    three_operations(&store).await;
    let added = std::sync::Arc::new(std::sync::Mutex::new(None));
    let seen = added.clone();
    let results = branch_run_with(&store, move || {
        on_another_thread(async move {
            let report = other.enqueue(None, &[earlier_elsewhere()]).await.unwrap();
            *seen.lock().unwrap() = Some(report.added[0]);
        })
    })
    .await
    .unwrap();
    assert_eq!(results.len(), 3);
    assert!(earlier_warnings(&results[0]).is_empty());
    let warned = earlier_warnings(&results[2]);
    let id: OperationId = added.lock().unwrap().unwrap();
    assert_eq!(warned.len(), 1, "{:?}", results[2].outcome);
    assert!(warned[0].message.contains(&id.to_string()), "{warned:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_earlier_operation_enqueued_through_the_same_store_is_seen() {
    let (_dir, store, _other) = two_stores().await;
    three_operations(&store).await;
    let same = store.clone();
    let results = branch_run_with(&store, move || {
        on_another_thread(async move {
            same.enqueue(None, &[earlier_elsewhere()]).await.unwrap();
        })
    })
    .await
    .unwrap();
    assert_eq!(earlier_warnings(&results[2]).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_earlier_operation_processed_by_another_process_is_forgotten() {
    let (_dir, store, other) = two_stores().await;
    let elsewhere = store
        .enqueue(None, &[earlier_elsewhere()])
        .await
        .unwrap()
        .added[0];
    three_operations(&store).await;
    let results = branch_run_with(&store, move || {
        on_another_thread(async move {
            let summary = other
                .process(&ProcessRun::ids(STAFF, vec![elsewhere]), &mut |_: &[_]| {})
                .await
                .unwrap();
            assert_eq!(summary.processed, 1);
        })
    })
    .await
    .unwrap();
    assert_eq!(results.len(), 3);
    assert!(
        earlier_warnings(&results[2]).is_empty(),
        "{:?}",
        results[2].outcome
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_changes_a_run_reads_the_queue_once_and_still_warns() {
    let (_dir, store, _other) = two_stores().await;
    store.enqueue(None, &[earlier_elsewhere()]).await.unwrap();
    three_operations(&store).await;
    let results = branch_run_with(&store, || {}).await.unwrap();
    assert!(earlier_warnings(&results[0]).is_empty());
    assert!(earlier_warnings(&results[1]).is_empty());
    assert_eq!(earlier_warnings(&results[2]).len(), 1);
}
