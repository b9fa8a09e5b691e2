//! The store decides exactly as the reference store (koc-core's
//! `MemoryStore`) on a generated library and thousands of operations, in
//! small batches: each batch read ahead while the one before is written,
//! on a small catalogue so that consecutive batches often touch the same
//! items, loans, holds and debts. Outcomes (with their warnings) and the
//! circulation data afterwards are compared one by one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::Duration;
use common::library::{Dice, barcode, card, generate};
use koc_core::{
    Circulation, HoldFilter, LoanFilter, MemoryStore, NewHold, OperationId, Outcome, ProcessRun,
    ProcessedOperation, Store,
};

/// The library, its holds and its operations, into `store`.
async fn fill<S: Store + ?Sized>(store: &S, library: &common::library::Library, holds: &[NewHold]) {
    library.load(store).await.unwrap();
    store.upsert_holds(holds).await.unwrap();
    for chunk in library.operations.chunks(1_000) {
        let report = store.enqueue(None, chunk).await.unwrap();
        assert_eq!(report.added.len(), chunk.len());
    }
}

/// Runs `run` and returns each operation's outcome, in processing order.
async fn outcomes<S: Store + ?Sized>(store: &S, run: &ProcessRun) -> Vec<(OperationId, Outcome)> {
    let mut seen = Vec::new();
    let mut observer = |batch: &[ProcessedOperation]| {
        seen.extend(batch.iter().map(|r| (r.pending.id, r.outcome.clone())));
    };
    store.process(run, &mut observer).await.unwrap();
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_read_ahead_decide_as_the_reference_store() {
    let Some(store) = common::fresh_store("reference").await else {
        return;
    };
    let (patrons, items) = (300, 800);
    let mut library = generate(patrons, items, 12_000);
    // Two libraries' desks, so that a run of one of them leaves operations
    // behind.
    for (line, operation) in library.operations.iter_mut().enumerate() {
        if line % 3 == 0 {
            operation.branch = "FFL".to_owned();
        }
    }
    // Holds that issues fill, each with a later hold of another patron on
    // the same item (which a later return of the item reports), and some
    // that nothing fills.
    let placed = chrono::NaiveDate::from_ymd_opt(2026, 7, 10)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    let mut dice = Dice(0x686f_6c64);
    let mut holds = Vec::new();
    let issues = library
        .operations
        .iter()
        .filter(|o| o.action == koc_core::Action::Issue)
        .filter_map(|o| Some((o.barcode.clone()?, o.cardnumber.clone()?)))
        // Unknown cards and barcodes are among the operations, not the
        // library.
        .filter(|(item, patron)| item.starts_with("3100000") && patron.starts_with("2352900"));
    for (i, (item, patron)) in issues.step_by(7).take(300).enumerate() {
        let minutes = i64::try_from(i).unwrap();
        holds.push(NewHold {
            barcode: item.clone(),
            cardnumber: patron,
            placed_at: placed + Duration::minutes(minutes),
        });
        holds.push(NewHold {
            barcode: item,
            cardnumber: card(dice.below(patrons)),
            placed_at: placed + Duration::hours(24) + Duration::minutes(minutes),
        });
    }
    for i in 0..100 {
        holds.push(NewHold {
            barcode: barcode(dice.below(items)),
            cardnumber: card(dice.below(patrons)),
            placed_at: placed + Duration::hours(48) + Duration::minutes(i),
        });
    }
    // One hold per patron and item (stores number a repeated one
    // differently).
    let mut pairs = std::collections::HashSet::new();
    holds.retain(|h| pairs.insert((h.barcode.clone(), h.cardnumber.clone())));
    let memory = MemoryStore::new();
    fill(&memory, &library, &holds).await;
    fill(&store, &library, &holds).await;

    let runs = [
        ProcessRun::all("staff").branch("CPL").batch_size(61),
        ProcessRun::all("staff").batch_size(97),
    ];
    for run in &runs {
        let expected = outcomes(&memory, run).await;
        let got = outcomes(&store, run).await;
        assert_eq!(got.len(), expected.len(), "{run:?}");
        for (got, expected) in got.iter().zip(&expected) {
            assert_eq!(got, expected, "{run:?}");
        }
    }

    assert_eq!(
        store.loans(&LoanFilter::all()).await.unwrap(),
        memory.loans(&LoanFilter::all()).await.unwrap()
    );
    assert_eq!(
        store.closed_loans(&LoanFilter::all()).await.unwrap(),
        memory.closed_loans(&LoanFilter::all()).await.unwrap()
    );
    let barcodes: Vec<String> = (0..items).map(barcode).collect();
    assert_eq!(
        store.items(&barcodes).await.unwrap(),
        memory.items(&barcodes).await.unwrap()
    );
    let filled = HoldFilter::default().include_filled();
    let (got, expected) = (
        store.holds(&filled).await.unwrap(),
        memory.holds(&filled).await.unwrap(),
    );
    assert_eq!(got.len(), expected.len());
    for (got, expected) in got.iter().zip(&expected) {
        assert_eq!(got, expected);
    }
    for patron in 0..patrons {
        let card = card(patron);
        assert_eq!(
            store.account_lines(&card).await.unwrap(),
            memory.account_lines(&card).await.unwrap(),
            "{card}"
        );
    }
    store.drop_schema().await.unwrap();
}
