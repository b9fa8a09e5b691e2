//! A host lends an item while a run goes on, after the run read the batch
//! that issues the same item: the batch's write meets the host's loan on
//! the loans' key, goes back to the savepoint its transaction took in its
//! first round trip, and is written again one statement at a time, the
//! processed loan winning. The run goes on; nothing is lost.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use chrono::NaiveDateTime;
use koc_core::conformance::between::run_with;
use koc_core::conformance::fixtures::{
    JANE, JOHN, LEFT_HAND, MIDDLEMARCH, STAFF, checkin, issue, library,
};
use koc_core::{Circulation, Loan, LoanFilter, OutcomeCode, PendingFilter, ProcessRun, Queue};

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loan_a_host_adds_during_a_run_gives_way_to_the_processed_one() {
    let Some(url) = common::database_url() else {
        return;
    };
    let store = common::options(&url, "lent_meanwhile")
        .connect()
        .await
        .unwrap();
    library(&store).await.unwrap();
    // In batches of one: MIDDLEMARCH (not on loan) is checked in at
    // 10:00, then Jane borrows LEFT_HAND at 10:10. The second batch is read while the first
    // is written, when LEFT_HAND is still available.
    store
        .enqueue(
            None,
            &[
                checkin("2026-07-22 10:00:00", MIDDLEMARCH),
                issue("2026-07-22 10:10:00", JANE, LEFT_HAND),
            ],
        )
        .await
        .unwrap();
    let run = ProcessRun::all(STAFF).batch_size(1);
    let schema = store.schema().to_owned();
    let host = url.clone();
    let results = run_with(&store, &run, move || {
        // After the first batch committed: the second was read meanwhile
        // (a batch of one; half a second is ample), and now the host lends
        // LEFT_HAND to John.
        std::thread::sleep(Duration::from_millis(500));
        common::meanwhile(host, schema, |other| async move {
            other
                .upsert_loans(&[Loan {
                    barcode: LEFT_HAND.into(),
                    cardnumber: JOHN.into(),
                    issued_at: at("2026-07-22 10:05:00"),
                    due_at: at("2026-08-12 23:59:00"),
                    renewals: 0,
                    last_renewed_at: None,
                    branch: Some("CPL".into()),
                }])
                .await
                .unwrap();
        });
    })
    .await
    .expect("the run goes on past the host's loan");
    let codes: Vec<OutcomeCode> = results.iter().map(|r| r.outcome.code).collect();
    assert_eq!(codes, [OutcomeCode::NotIssued, OutcomeCode::Issued]);
    let loans = store.loans(&LoanFilter::patron(JANE)).await.unwrap();
    assert_eq!(
        loans.iter().map(|l| l.barcode.as_str()).collect::<Vec<_>>(),
        [LEFT_HAND]
    );
    let johns = store.loans(&LoanFilter::patron(JOHN)).await.unwrap();
    assert!(johns.iter().all(|l| l.barcode != LEFT_HAND), "{johns:?}");
    assert!(
        store
            .pending(&PendingFilter::all())
            .await
            .unwrap()
            .is_empty()
    );
    store.drop_schema().await.unwrap();
}
