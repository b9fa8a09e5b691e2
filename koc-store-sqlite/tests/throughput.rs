//! A quick throughput figure, not a benchmark (those are criterion's, in
//! `benches/`): loads a library, enqueues and processes generated
//! operations on a database file and prints operations per second.
//!
//! ```text
//! cargo test --release -p koc-store-sqlite --test throughput -- --ignored --nocapture
//! KOC_OPS=1000000 KOC_BATCH=50000 cargo test --release ...
//! ```
//!
//! Settings: `KOC_PATRONS` (100 000), `KOC_ITEMS` (500 000), `KOC_OPS`
//! (200 000), `KOC_BATCH` (operations per processing transaction, 2 000),
//! `KOC_CHECKPOINT_PAGES` (16 384), `KOC_CACHE_MIB` (page cache, 64).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Instant;

use koc_core::{Circulation, DEFAULT_ENQUEUE_BATCH, OutcomeCode, ProcessRun, Processor, Queue};
use koc_store_sqlite::{SqliteOptions, SqliteStore};

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run in --release with --ignored --nocapture"]
async fn enqueue_and_process_throughput() {
    let patrons = setting("KOC_PATRONS", 100_000);
    let items = setting("KOC_ITEMS", 500_000);
    let count = setting("KOC_OPS", 200_000);
    let dir = tempfile::tempdir().unwrap();
    let mut options = SqliteOptions::default();
    if let Some(mib) = std::env::var("KOC_CACHE_MIB")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
    {
        options = options.cache_size_kib(mib * 1024);
    }
    if let Some(pages) = std::env::var("KOC_CHECKPOINT_PAGES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        options = options.checkpoint_pages(pages);
    }
    let store = SqliteStore::open_with(dir.path().join("koc.sqlite"), options)
        .await
        .unwrap();

    let started = Instant::now();
    for chunk in common::patrons(patrons).chunks(10_000) {
        store.upsert_patrons(chunk).await.unwrap();
    }
    for chunk in common::items(items).chunks(10_000) {
        store.upsert_items(chunk).await.unwrap();
    }
    store.upsert_debts(&common::debts(patrons)).await.unwrap();
    let loaded = started.elapsed();
    println!("loaded {patrons} patrons and {items} items in {loaded:.2?}");

    let operations = common::operations(7, count, patrons, items);
    let started = Instant::now();
    let mut upload = None;
    let mut added = 0;
    for chunk in operations.chunks(DEFAULT_ENQUEUE_BATCH) {
        let report = store.enqueue(upload, chunk).await.unwrap();
        upload = Some(report.upload);
        added += report.added.len();
    }
    let enqueue = started.elapsed();
    assert_eq!(added, count);
    println!(
        "enqueue: {count} operations in {enqueue:.2?}: {:.0} ops/s",
        count as f64 / enqueue.as_secs_f64()
    );

    let started = Instant::now();
    let mut observer = |_: &[koc_core::ProcessedOperation]| {};
    let summary = store
        .process(
            &ProcessRun::all("night")
                .batch_size(setting("KOC_BATCH", koc_core::DEFAULT_BATCH_SIZE)),
            &mut observer,
        )
        .await
        .unwrap();
    let process = started.elapsed();
    assert_eq!(summary.processed, count as u64);
    println!(
        "process: {count} operations in {process:.2?}: {:.0} ops/s ({} batches; issued {}, renewed {}, returned {}, paid {}, failed {})",
        count as f64 / process.as_secs_f64(),
        summary.batches,
        summary.count_of(OutcomeCode::Issued),
        summary.count_of(OutcomeCode::Renewed),
        summary.count_of(OutcomeCode::Returned),
        summary.count_of(OutcomeCode::PaymentRecorded),
        summary.failed(),
    );
    let size = std::fs::metadata(dir.path().join("koc.sqlite"))
        .unwrap()
        .len();
    if let Ok(wal) = std::fs::metadata(dir.path().join("koc.sqlite-wal")) {
        println!("wal: {} MiB", wal.len() / (1 << 20));
    }
    println!("database: {} MiB", size / (1 << 20));
}
