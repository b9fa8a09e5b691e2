//! Connections on one file wait for each other's writes; a dry run holds
//! the write lock until it ends, and gives it back when abandoned half-way.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use koc_core::{
    Circulation, Error, LoanFilter, PendingFilter, ProcessRun, ProcessedOperation, Processor, Queue,
};
use koc_store_sqlite::{SqliteOptions, SqliteStore};
use tokio::sync::Notify;

const PATRONS: usize = 50;
const ITEMS: usize = 200;

async fn library(path: &std::path::Path) -> SqliteStore {
    let store = SqliteStore::open(path).await.unwrap();
    store
        .upsert_patrons(&common::patrons(PATRONS))
        .await
        .unwrap();
    store.upsert_items(&common::items(ITEMS)).await.unwrap();
    store
        .enqueue(None, &common::operations(1, 300, PATRONS, ITEMS))
        .await
        .unwrap();
    store
}

fn impatient() -> SqliteOptions {
    SqliteOptions::default().busy_timeout(Duration::from_millis(200))
}

/// A dry run in batches of 10, stopped in its observer after its first
/// batch: its transaction is open, and it holds the write lock, until
/// `resume`.
struct PausedDryRun {
    resume: std::sync::mpsc::Sender<()>,
    run: tokio::task::JoinHandle<koc_core::ProcessSummary>,
}

async fn paused_dry_run(store: SqliteStore) -> PausedDryRun {
    let first_batch = Arc::new(Notify::new());
    let seen = first_batch.clone();
    let (resume, resumed) = std::sync::mpsc::channel::<()>();
    let run = tokio::spawn(async move {
        let mut paused = false;
        let mut observer = move |_: &[ProcessedOperation]| {
            if !paused {
                paused = true;
                seen.notify_one();
                // Blocks this worker thread (the runtime has another) until
                // the test says so: the run cannot go on meanwhile.
                let _ = resumed.recv();
            }
        };
        let run = ProcessRun::all("dry").dry_run(true).batch_size(10);
        store.process(&run, &mut observer).await.unwrap()
    });
    first_batch.notified().await;
    PausedDryRun { resume, run }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_waits_for_the_one_before_it_then_gives_up_or_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("koc.sqlite");
    let store = library(&path).await;
    let other = SqliteStore::open_with(&path, impatient()).await.unwrap();

    let dry = paused_dry_run(store.clone()).await;
    // While the dry run holds the write lock, a write on another
    // connection waits its busy timeout, then fails, saying why.
    let blocked = other
        .upsert_items(&[koc_core::Item::new("39000000000001", "Late")])
        .await;
    match blocked {
        Err(Error::Database { message, .. }) => assert!(message.contains("locked"), "{message}"),
        other => panic!("expected a locked database, got {other:?}"),
    }
    // Readers never wait in WAL mode.
    assert_eq!(
        other.count_pending(&PendingFilter::all()).await.unwrap(),
        300
    );

    // A patient writer waits for the dry run to end, then writes.
    let patient = SqliteStore::open(&path).await.unwrap();
    let write = tokio::spawn(async move {
        patient
            .upsert_items(&[koc_core::Item::new("39000000000002", "Patient")])
            .await
    });
    dry.resume.send(()).unwrap();
    let summary = dry.run.await.unwrap();
    assert_eq!(summary.processed, 300);
    write.await.unwrap().unwrap();
    assert_eq!(
        store
            .items(&["39000000000002".to_owned()])
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store.count_pending(&PendingFilter::all()).await.unwrap(),
        300
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_dry_run_changes_nothing_and_frees_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("koc.sqlite");
    let store = library(&path).await;
    let dry = paused_dry_run(store.clone()).await;
    // Stop awaiting the run: it is dropped where it next waits.
    dry.run.abort();
    dry.resume.send(()).unwrap();
    assert!(dry.run.await.unwrap_err().is_cancelled());

    // Without any further call on `store`, another connection can write
    // (waiting at most for the step in flight to end).
    let other = SqliteStore::open_with(
        &path,
        SqliteOptions::default().busy_timeout(Duration::from_secs(5)),
    )
    .await
    .unwrap();
    other
        .upsert_items(&[koc_core::Item::new("39000000000003", "Free")])
        .await
        .unwrap();
    // Nothing of the batches it decided was kept.
    assert_eq!(
        store.count_pending(&PendingFilter::all()).await.unwrap(),
        300
    );
    assert!(store.loans(&LoanFilter::all()).await.unwrap().is_empty());
    // The store goes on as usual, with foreign keys checked again.
    let orphan = koc_core::Loan {
        barcode: "39000000000003".to_owned(),
        cardnumber: "nobody".to_owned(),
        issued_at: common::start(),
        due_at: common::start(),
        renewals: 0,
        last_renewed_at: None,
        branch: None,
    };
    let error = store.upsert_loans(&[orphan]).await.unwrap_err();
    assert_eq!(
        error.constraint(),
        Some(koc_core::ConstraintKind::ForeignKey)
    );
    let summary = store
        .process(&ProcessRun::all("real"), &mut |_: &[ProcessedOperation]| {})
        .await
        .unwrap();
    assert_eq!(summary.processed, 300);
}
