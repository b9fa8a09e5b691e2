//! A run that leaves operations behind (a branch, or chosen ids) warns
//! about an earlier pending operation on the same item even when the queue
//! changes between its batches: another connection enqueues one before the
//! run's position, or processes one the run had seen. (The run keeps what
//! it read of the queue between batches; see `src/earlier.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use koc_core::conformance::between::{
    branch_run, branch_run_with, earlier_elsewhere, earlier_warnings, run_with,
};
use koc_core::conformance::fixtures::{
    JANE, LEFT_HAND, MIDDLEMARCH, STAFF, checkin, issue, library,
};
use koc_core::{OperationId, ProcessRun, Processor, Queue};
use koc_store_postgres::PostgresStore;

async fn library_store(tag: &str) -> Option<(String, PostgresStore)> {
    let url = common::database_url()?;
    let store = common::options(&url, tag).connect().await.unwrap();
    library(&store).await.unwrap();
    Some((url, store))
}

/// Jane borrows LEFT_HAND at 10:00 and MIDDLEMARCH is returned at 10:10,
/// both at CPL.
async fn two_operations(store: &PostgresStore) {
    store
        .enqueue(
            None,
            &[
                issue("2026-07-22 10:00:00", JANE, LEFT_HAND),
                checkin("2026-07-22 10:10:00", MIDDLEMARCH),
            ],
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_earlier_operation_enqueued_by_another_connection_is_seen() {
    let Some((url, store)) = library_store("earlier_enq").await else {
        return;
    };
    two_operations(&store).await;
    let added = std::sync::Arc::new(std::sync::Mutex::new(None));
    let seen = added.clone();
    let schema = store.schema().to_owned();
    let results = branch_run_with(&store, move || {
        common::meanwhile(url, schema, |other| async move {
            let report = other.enqueue(None, &[earlier_elsewhere()]).await.unwrap();
            *seen.lock().unwrap() = Some(report.added[0]);
        })
    })
    .await
    .unwrap();
    assert_eq!(results.len(), 2);
    assert!(earlier_warnings(&results[0]).is_empty());
    let warned = earlier_warnings(&results[1]);
    let id: OperationId = added.lock().unwrap().unwrap();
    assert_eq!(warned.len(), 1, "{:?}", results[1].outcome);
    assert!(warned[0].message.contains(&id.to_string()), "{warned:?}");
    store.drop_schema().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_earlier_operation_processed_by_another_connection_is_forgotten() {
    let Some((url, store)) = library_store("earlier_proc").await else {
        return;
    };
    let elsewhere = store
        .enqueue(None, &[earlier_elsewhere()])
        .await
        .unwrap()
        .added[0];
    two_operations(&store).await;
    let schema = store.schema().to_owned();
    let results = branch_run_with(&store, move || {
        common::meanwhile(url, schema, move |other| async move {
            let summary = other
                .process(&ProcessRun::ids(STAFF, vec![elsewhere]), &mut |_: &[_]| {})
                .await
                .unwrap();
            assert_eq!(summary.processed, 1);
        })
    })
    .await
    .unwrap();
    assert_eq!(results.len(), 2);
    assert!(
        earlier_warnings(&results[1]).is_empty(),
        "{:?}",
        results[1].outcome
    );
    store.drop_schema().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_changes_a_run_reads_the_queue_once_and_still_warns() {
    let Some((_url, store)) = library_store("earlier_once").await else {
        return;
    };
    store.enqueue(None, &[earlier_elsewhere()]).await.unwrap();
    two_operations(&store).await;
    let results = branch_run_with(&store, || {}).await.unwrap();
    assert!(earlier_warnings(&results[0]).is_empty());
    assert_eq!(earlier_warnings(&results[1]).len(), 1);
    store.drop_schema().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_sees_what_others_enqueue_between_its_batches() {
    let Some((url, store)) = library_store("earlier_dry").await else {
        return;
    };
    two_operations(&store).await;
    let schema = store.schema().to_owned();
    let results = run_with(&store, &branch_run().dry_run(true), move || {
        common::meanwhile(url, schema, |other| async move {
            other.enqueue(None, &[earlier_elsewhere()]).await.unwrap();
        })
    })
    .await
    .unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(earlier_warnings(&results[1]).len(), 1);
    store.drop_schema().await.unwrap();
}
