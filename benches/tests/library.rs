//! The synthetic library against the real thing: loaded into a store, its
//! outage files enqueued and processed in order, every count must be what
//! the simulation says (so the benchmarks can assert them), on the
//! in-memory store and on SQLite. And the same seed gives the same bytes.

#![allow(clippy::unwrap_used)]

use koc_benches::library::{
    Library, LibrarySpec, load_library, write_catalogue_csv, write_loans_csv,
};
use koc_core::{
    FileUpload, MemoryStore, OutcomeCode, ProcessRun, ProcessedOperation, Store, Upload,
    enqueue_file,
};
use std::collections::BTreeMap;

fn spec() -> LibrarySpec {
    LibrarySpec::new(300, 1_500, 4_000, 11).files(2)
}

/// Writes both files, loads the library, then enqueues and processes each
/// file in turn, checking the counts.
async fn run_on(store: &dyn Store) {
    let library = Library::new(spec());
    let mut simulation = library.simulation();
    let files: Vec<_> = (0..2)
        .map(|_| {
            let mut bytes = Vec::new();
            let summary = simulation.write_file(&mut bytes).unwrap();
            (bytes, summary)
        })
        .collect();
    let aftermath = simulation.finish();
    load_library(store, &library, &aftermath).await.unwrap();

    let desk = Upload {
        userid: "admin".into(),
        branch: "CPL".into(),
        workstation: None,
    };
    for (bytes, expected) in &files {
        let settings = FileUpload::new(&expected.name, &desk, chrono::Local).batch_size(1_000);
        let report = enqueue_file(store, &bytes[..], &settings, &mut |_| {})
            .await
            .unwrap();
        assert_eq!(report.transactions, expected.transactions);
        assert!(report.rejected.is_empty(), "{:?}", report.rejected);
        assert_eq!(report.added, expected.added());
        assert_eq!(report.duplicates.len() as u64, expected.duplicates());

        let mut outcomes: BTreeMap<OutcomeCode, u64> = BTreeMap::new();
        let mut count = |batch: &[ProcessedOperation]| {
            for done in batch {
                *outcomes.entry(done.outcome.code).or_default() += 1;
            }
        };
        let summary = store
            .process(&ProcessRun::all("admin").batch_size(700), &mut count)
            .await
            .unwrap();
        assert_eq!(summary.processed, expected.added());
        assert_eq!(outcomes, expected.outcomes, "{}", expected.name);
    }
}

#[tokio::test]
async fn the_expected_outcomes_are_what_the_memory_store_gives() {
    run_on(&MemoryStore::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_expected_outcomes_are_what_sqlite_gives() {
    let dir = tempfile::tempdir().unwrap();
    let store = koc_store_sqlite::SqliteStore::open(dir.path().join("koc.sqlite"))
        .await
        .unwrap();
    run_on(&store).await;
}

#[test]
fn the_mix_is_mostly_successes_with_a_few_percent_of_each_failure() {
    let library = Library::new(LibrarySpec::new(2_000, 10_000, 50_000, 3));
    let summary = library.simulation().write_file(std::io::sink()).unwrap();
    let share = |code| summary.outcome(code) as f64 / summary.added() as f64;
    assert!(share(OutcomeCode::Issued) > 0.40, "{summary}");
    assert!(share(OutcomeCode::Returned) > 0.38, "{summary}");
    assert!(share(OutcomeCode::Renewed) > 0.03, "{summary}");
    assert!(share(OutcomeCode::PaymentRecorded) > 0.03, "{summary}");
    for failure in [
        OutcomeCode::PatronNotFound,
        OutcomeCode::ItemNotFound,
        OutcomeCode::NotIssued,
        OutcomeCode::Conflict,
    ] {
        assert!(
            (0.005..0.03).contains(&share(failure)),
            "{failure}: {summary}"
        );
    }
    let duplicates = summary.duplicates() as f64 / summary.transactions as f64;
    assert!((0.005..0.015).contains(&duplicates), "{summary}");
    assert!(summary.applied() as f64 / summary.added() as f64 > 0.93);
}

#[test]
fn the_same_seed_writes_the_same_files() {
    let write = |seed: u64| {
        let dir = tempfile::tempdir().unwrap();
        let library = Library::new(LibrarySpec::new(200, 1_000, 3_000, seed));
        write_catalogue_csv(&library, dir.path()).unwrap();
        let mut simulation = library.simulation();
        let mut koc = Vec::new();
        simulation.write_file(&mut koc).unwrap();
        write_loans_csv(&library, &simulation.finish(), dir.path()).unwrap();
        let mut files = vec![koc];
        for name in ["patrons", "items", "loans", "fines", "holds", "rules"] {
            files.push(std::fs::read(dir.path().join(format!("{name}.csv"))).unwrap());
        }
        files
    };
    assert_eq!(write(5), write(5));
    assert_ne!(write(5), write(6));
}
