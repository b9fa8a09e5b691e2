//! A run of the whole queue on a file reads and decides each batch on a
//! connection of its own while the store's connection writes the batch
//! before (`src/process/pipeline.rs`). Whatever the operations and the
//! batch size, it must end where the memory store ends processing the same
//! queue in one batch: same outcomes, loans, loan history, accounts and
//! holds.

#![allow(clippy::unwrap_used)]

use koc_core::conformance::fixtures::{self, *};
use koc_core::{
    HoldFilter, LoanFilter, MemoryStore, Operation, ProcessRun, ProcessedOperation, Store,
};
use koc_store_sqlite::SqliteStore;
use proptest::prelude::*;

const CARDS: [&str; 5] = [JANE, JOHN, MARIA, KAI, "nobody"];
const BARCODES: [&str; 5] = [LEFT_HAND, MIDDLEMARCH, SAMURAI, HAWKING, "39999999999999"];

/// One desk operation: (kind, card, barcode, minutes after 09:00).
fn desk_operation() -> impl Strategy<Value = (u8, usize, usize, u32)> {
    (0u8..4, 0..CARDS.len(), 0..BARCODES.len(), 0u32..300)
}

fn operation((kind, card, barcode, minutes): (u8, usize, usize, u32)) -> Operation {
    let at = format!("2026-07-22 {:02}:{:02}:00", 9 + minutes / 60, minutes % 60);
    match kind {
        // Issues twice as often: they make the loans the rest act on.
        0 | 1 => issue(&at, CARDS[card], BARCODES[barcode]),
        2 => checkin(&at, BARCODES[barcode]),
        _ => payment(&at, CARDS[card], ["0.50", "2.00", "5.00"][barcode % 3]),
    }
}

/// Where a store ends after processing the queue.
#[derive(Debug, PartialEq)]
struct End {
    outcomes: Vec<(i64, String, Vec<koc_core::WarningCode>)>,
    loans: Vec<koc_core::Loan>,
    closed: Vec<koc_core::ClosedLoan>,
    accounts: Vec<(koc_core::Money, koc_core::Money)>,
    holds: Vec<(String, String, bool)>,
}

async fn end(store: &dyn Store, operations: &[Operation], batch_size: usize) -> End {
    fixtures::library(store).await.unwrap();
    store.enqueue(None, operations).await.unwrap();
    let mut results: Vec<ProcessedOperation> = Vec::new();
    let mut observer = |batch: &[ProcessedOperation]| results.extend_from_slice(batch);
    store
        .process(
            &ProcessRun::all(STAFF).batch_size(batch_size),
            &mut observer,
        )
        .await
        .unwrap();
    let mut accounts = Vec::new();
    for patron in fixtures::patrons() {
        for line in store.account_lines(&patron.cardnumber).await.unwrap() {
            accounts.push((line.amount, line.outstanding));
        }
    }
    let mut holds: Vec<(String, String, bool)> = store
        .holds(&HoldFilter::unfilled().include_filled())
        .await
        .unwrap()
        .into_iter()
        .map(|h| (h.barcode, h.cardnumber, h.filled_at.is_some()))
        .collect();
    holds.sort();
    End {
        outcomes: results
            .iter()
            .map(|r| {
                (
                    r.pending.id.0,
                    r.outcome.code.to_string(),
                    r.outcome.warning_codes(),
                )
            })
            .collect(),
        loans: store.loans(&LoanFilter::all()).await.unwrap(),
        closed: store.closed_loans(&LoanFilter::all()).await.unwrap(),
        accounts,
        holds,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn a_run_on_two_connections_ends_where_one_batch_in_memory_ends(
        desk in prop::collection::vec(desk_operation(), 1..50),
        batch_size in 1usize..6,
    ) {
        let operations: Vec<Operation> = desk.into_iter().map(operation).collect();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (memory, file) = runtime.block_on(async {
            let memory = end(&MemoryStore::new(), &operations, 10_000).await;
            let dir = tempfile::tempdir().unwrap();
            let store = SqliteStore::open(dir.path().join("koc.sqlite")).await.unwrap();
            let file = end(&store, &operations, batch_size).await;
            (memory, file)
        });
        prop_assert_eq!(memory, file);
    }
}
