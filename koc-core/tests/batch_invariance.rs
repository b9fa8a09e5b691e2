//! Properties of processing over random operation sequences: splitting the
//! work into transactions, or dry-running it, never changes what happens.

#![allow(clippy::unwrap_used)]

use koc_core::conformance::fixtures::{self, *};
use koc_core::{
    Circulation, History, HistoryFilter, LoanFilter, MemoryStore, Operation, ProcessRun,
    ProcessedOperation, Processor, Queue,
};
use proptest::prelude::*;

fn operation() -> impl Strategy<Value = Operation> {
    let card = prop::sample::select(vec![JANE, JOHN, MARIA, KAI, "jdoe", "nobody"]);
    let barcode = prop::sample::select(vec![
        LEFT_HAND,
        MIDDLEMARCH,
        SAMURAI,
        HAWKING,
        LOST_ATLAS,
        "39999999999999",
    ]);
    let amount = prop::sample::select(vec!["0.01", "1.00", "2.50", "10.00"]);
    let time = (0u32..6, 0u32..60).prop_map(|(h, m)| format!("2026-07-22 {:02}:{m:02}:00", 9 + h));
    prop_oneof![
        (time.clone(), card.clone(), barcode.clone()).prop_map(|(t, c, b)| issue(&t, c, b)),
        (time.clone(), barcode).prop_map(|(t, b)| checkin(&t, b)),
        (time, card, amount).prop_map(|(t, c, a)| payment(&t, c, a)),
    ]
}

#[derive(Debug, PartialEq)]
struct Final {
    outcomes: Vec<(koc_core::OperationId, String, Vec<koc_core::WarningCode>)>,
    loans: Vec<koc_core::Loan>,
    closed: Vec<koc_core::ClosedLoan>,
    accounts: Vec<(koc_core::Money, koc_core::Money)>,
    history: usize,
}

async fn run(operations: &[Operation], batch_size: usize, dry_run: bool) -> Final {
    let store = MemoryStore::new();
    fixtures::library(&store).await.unwrap();
    store.enqueue(None, operations).await.unwrap();
    let mut results: Vec<ProcessedOperation> = Vec::new();
    let mut observer = |batch: &[ProcessedOperation]| results.extend_from_slice(batch);
    let run = ProcessRun::all(STAFF)
        .batch_size(batch_size)
        .dry_run(dry_run);
    store.process(&run, &mut observer).await.unwrap();
    let mut accounts = Vec::new();
    for patron in fixtures::patrons() {
        for line in store.account_lines(&patron.cardnumber).await.unwrap() {
            accounts.push((line.amount, line.outstanding));
        }
    }
    Final {
        outcomes: results
            .iter()
            .map(|r| {
                (
                    r.pending.id,
                    r.outcome.code.to_string(),
                    r.outcome.warning_codes(),
                )
            })
            .collect(),
        loans: store.loans(&LoanFilter::all()).await.unwrap(),
        closed: store.closed_loans(&LoanFilter::all()).await.unwrap(),
        accounts,
        history: store.history(&HistoryFilter::all()).await.unwrap().len(),
    }
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn batch_size_never_changes_what_happens(
        operations in prop::collection::vec(operation(), 1..60),
        batch_size in 1usize..8,
    ) {
        let one_by_one = block_on(run(&operations, 1, false));
        let in_batches = block_on(run(&operations, batch_size, false));
        let at_once = block_on(run(&operations, 10_000, false));
        prop_assert_eq!(&one_by_one, &in_batches);
        prop_assert_eq!(&one_by_one, &at_once);
        prop_assert_eq!(one_by_one.history, one_by_one.outcomes.len());
    }

    #[test]
    fn dry_run_tells_what_a_real_run_does(
        operations in prop::collection::vec(operation(), 1..60),
        batch_size in 1usize..8,
    ) {
        let dry = block_on(run(&operations, batch_size, true));
        let real = block_on(run(&operations, batch_size, false));
        prop_assert_eq!(&dry.outcomes, &real.outcomes);
        prop_assert_eq!(dry.history, 0);
    }
}
