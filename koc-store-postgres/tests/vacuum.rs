//! A long processing run vacuums the open loans it ends, on a spare
//! connection, unless told never to; either way its outcomes are the same.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use koc_core::{OutcomeCode, ProcessRun, ProcessedOperation, Processor};
use koc_store_postgres::PostgresStore;

/// Copies lent and returned: each return ends an open loan.
const COPIES: usize = 300;

/// A store on a fresh schema that vacuums the loans after `after` ended.
async fn store(tag: &str, after: Option<u64>) -> Option<PostgresStore> {
    let url = common::database_url()?;
    Some(
        common::options(&url, tag)
            .vacuum_loans_after(after)
            .connect()
            .await
            .unwrap_or_else(|e| panic!("connecting to {url}: {e}")),
    )
}

/// Lends and returns `COPIES` copies (`common::busy`) in 50-operation
/// batches; the outcomes and how many times `loans` was vacuumed.
async fn lend_and_return(store: &PostgresStore) -> (Vec<OutcomeCode>, i64) {
    common::busy::busy_queue(store, COPIES).await;
    let mut outcomes = Vec::new();
    let mut observer = |batch: &[ProcessedOperation]| {
        outcomes.extend(batch.iter().map(|p| p.outcome.code));
    };
    let run = ProcessRun::all("vacuum").batch_size(50);
    store.process(&run, &mut observer).await.unwrap();
    let vacuums: i64 = sqlx::query_scalar(
        "SELECT vacuum_count FROM pg_stat_user_tables WHERE relid = 'loans'::regclass",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    (outcomes, vacuums)
}

#[tokio::test]
async fn a_long_run_vacuums_the_loans_it_ends() {
    let Some(store) = store("vacuum_on", Some(100)).await else {
        return;
    };
    let (outcomes, vacuums) = lend_and_return(&store).await;
    let count = |code| outcomes.iter().filter(|&&c| c == code).count();
    assert_eq!(count(OutcomeCode::Issued), COPIES, "{outcomes:?}");
    assert_eq!(count(OutcomeCode::Returned), COPIES, "{outcomes:?}");
    // 300 loans ended, a vacuum at least every 100 ended: the run waits
    // for the last before it ends.
    assert!(vacuums >= 1, "loans vacuumed {vacuums} times");
    store.drop_schema().await.unwrap();
}

#[tokio::test]
async fn a_run_told_never_leaves_vacuuming_to_the_host() {
    let Some(never) = store("vacuum_off", None).await else {
        return;
    };
    let Some(often) = store("vacuum_often", Some(100)).await else {
        return;
    };
    let (without, vacuums) = lend_and_return(&never).await;
    assert_eq!(vacuums, 0);
    let (with, _) = lend_and_return(&often).await;
    assert_eq!(without, with);
    never.drop_schema().await.unwrap();
    often.drop_schema().await.unwrap();
}
