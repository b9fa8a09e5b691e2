//! Every store decides every operation alike: the same generated outage
//! (two files, a few percent of every failure, conflicts, renewals,
//! payments, holds) processed on the in-memory reference store, on SQLite
//! and on PostgreSQL (when `DATABASE_URL` is set; skipped loudly
//! otherwise), in batches small enough that most operations meet an item,
//! loan or debt a batch before them changed, gives each operation the same
//! outcome (code, message, warnings) and leaves the same loans, items and
//! balances.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use koc_benches::library::{Aftermath, Library, LibrarySpec, load_library};
use koc_benches::stores::Backend;
use koc_core::{
    FileUpload, Item, Loan, LoanFilter, Money, Outcome, ProcessRun, ProcessedOperation, Store,
    StoreExt, Upload, enqueue_file,
};

fn spec() -> LibrarySpec {
    LibrarySpec::new(200, 800, 3_000, 23).files(2)
}

/// What a store did: each operation's outcome by fingerprint, in the
/// order processed, and the circulation data it left.
#[derive(Debug, PartialEq)]
struct Run {
    outcomes: Vec<(String, Outcome)>,
    loans: Vec<Loan>,
    items: Vec<Item>,
    balances: BTreeMap<String, Money>,
}

async fn run_on(
    store: &dyn Store,
    library: &Library,
    aftermath: &Aftermath,
    files: &[Vec<u8>],
    batch_size: usize,
) -> Run {
    load_library(store, library, aftermath).await.unwrap();
    let desk = Upload {
        userid: "admin".into(),
        branch: "CPL".into(),
        workstation: None,
    };
    let mut outcomes = Vec::new();
    for (n, bytes) in files.iter().enumerate() {
        let name = format!("desk-{n}.koc");
        let settings = FileUpload::new(&name, &desk, chrono::Local).batch_size(500);
        enqueue_file(store, &bytes[..], &settings, &mut |_| {})
            .await
            .unwrap();
        let mut seen = |batch: &[ProcessedOperation]| {
            for done in batch {
                outcomes.push((
                    done.pending.fingerprint.as_ref().to_owned(),
                    done.outcome.clone(),
                ));
            }
        };
        store
            .process(&ProcessRun::all("admin").batch_size(batch_size), &mut seen)
            .await
            .unwrap();
    }
    let barcodes: Vec<String> = library.items().map(|i| i.barcode).collect();
    let mut items = Vec::new();
    for chunk in barcodes.chunks(500) {
        items.extend(store.items(chunk).await.unwrap());
    }
    // What processing changes of an item: the catalogue text is the
    // library's, whatever a store loads to decide.
    for item in &mut items {
        item.title = None;
        item.author = None;
        item.callnumber = None;
    }
    let mut balances = BTreeMap::new();
    for patron in library.patrons() {
        let balance = store.balance(&patron.cardnumber).await.unwrap();
        balances.insert(patron.cardnumber, balance);
    }
    Run {
        outcomes,
        loans: store.loans(&LoanFilter::all()).await.unwrap(),
        items,
        balances,
    }
}

/// The first difference between two runs, readably.
fn first_difference(reference: &Run, other: &Run) -> String {
    let pairs = reference.outcomes.iter().zip(&other.outcomes);
    for (index, (a, b)) in pairs.enumerate() {
        if a != b {
            return format!("operation {index} processed: {a:?}\n  against {b:?}");
        }
    }
    if reference.outcomes.len() != other.outcomes.len() {
        return format!(
            "{} operations processed against {}",
            reference.outcomes.len(),
            other.outcomes.len()
        );
    }
    if reference.loans != other.loans {
        return "the loans differ".to_owned();
    }
    if reference.items != other.items {
        return "the items differ".to_owned();
    }
    "the balances differ".to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_store_decides_every_operation_alike() {
    let library = Library::new(spec());
    let mut simulation = library.simulation();
    let files: Vec<Vec<u8>> = (0..2)
        .map(|_| {
            let mut bytes = Vec::new();
            simulation.write_file(&mut bytes).unwrap();
            bytes
        })
        .collect();
    let aftermath = simulation.finish();

    let reference = MemoryRun::new(&library, &aftermath, &files).await;
    assert!(
        reference.outcomes.len() > 5_000,
        "{}",
        reference.outcomes.len()
    );
    let backends = Backend::from_env("stores_agree");
    // Batches of 7 (most operations see what an earlier batch changed, and
    // on PostgreSQL a batch read ahead is brought up to date) and of 1 000.
    for backend in backends.iter().filter(|b| **b != Backend::Memory) {
        for batch_size in [7, 1_000] {
            let open = backend.open().await.unwrap();
            let run = run_on(open.store(), &library, &aftermath, &files, batch_size).await;
            open.remove().await.unwrap();
            assert!(
                run == reference.0,
                "{} with batches of {batch_size} differs from the memory store: {}",
                backend.name(),
                first_difference(&reference.0, &run)
            );
        }
    }
}

/// The reference: the in-memory store, in one batch per 500 operations.
struct MemoryRun(Run);

impl MemoryRun {
    async fn new(library: &Library, aftermath: &Aftermath, files: &[Vec<u8>]) -> MemoryRun {
        let open = Backend::Memory.open().await.unwrap();
        let run = run_on(open.store(), library, aftermath, files, 500).await;
        open.remove().await.unwrap();
        MemoryRun(run)
    }
}

impl std::ops::Deref for MemoryRun {
    type Target = Run;

    fn deref(&self) -> &Run {
        &self.0
    }
}
