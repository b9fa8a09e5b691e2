//! Dates and times chrono cannot hold, which PostgreSQL can and a host may
//! write straight into the tables (`infinity`, `-infinity`, years past
//! 262 142): reading them is an error that says what was found, never a
//! panic, and a processing run that meets one stops with nothing of its
//! batch applied.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use koc_core::conformance::fixtures::{self, HAWKING, JANE, LEFT_HAND};
use koc_core::{Circulation, LoanFilter, PendingFilter, Queue, StoreExt};

/// Runs `sql` with `key` as its one parameter, as a host would.
async fn host(pool: &sqlx::PgPool, sql: &'static str, key: &str) {
    sqlx::query(sql).bind(key).execute(pool).await.unwrap();
}

#[tokio::test]
async fn dates_and_times_chrono_cannot_hold_are_errors_not_panics() {
    let Some(store) = common::fresh_store("out_of_range").await else {
        return;
    };
    fixtures::library(&store).await.unwrap();
    let pool = store.pool().clone();

    // A host says, in PostgreSQL's way, that Jane's card never expires.
    host(
        &pool,
        "UPDATE patrons SET expiry = 'infinity' WHERE cardnumber = $1",
        JANE,
    )
    .await;
    let error = store.patron(JANE).await.unwrap_err().to_string();
    assert!(
        error.contains("a date koc cannot hold: infinity"),
        "{error}"
    );
    host(
        &pool,
        "UPDATE patrons SET expiry = '-infinity' WHERE cardnumber = $1",
        JANE,
    )
    .await;
    let error = store.patron(JANE).await.unwrap_err().to_string();
    assert!(
        error.contains("a date koc cannot hold: -infinity"),
        "{error}"
    );

    // A loan due in a year PostgreSQL holds and chrono does not.
    let due: (chrono::NaiveDateTime,) =
        sqlx::query_as("SELECT due_at FROM loans WHERE barcode = $1")
            .bind(HAWKING)
            .fetch_one(&pool)
            .await
            .unwrap();
    host(
        &pool,
        "UPDATE loans SET due_at = '290000-01-01' WHERE barcode = $1",
        HAWKING,
    )
    .await;
    let error = store
        .loans(&LoanFilter::all())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("a timestamp koc cannot hold") && error.contains("from 2000-01-01"),
        "{error}"
    );
    sqlx::query("UPDATE loans SET due_at = $2 WHERE barcode = $1")
        .bind(HAWKING)
        .bind(due.0)
        .execute(&pool)
        .await
        .unwrap();

    // Lending to Jane stops the run with the same error; the operation
    // stays pending and nothing of its batch is applied.
    host(
        &pool,
        "UPDATE patrons SET expiry = 'infinity' WHERE cardnumber = $1",
        JANE,
    )
    .await;
    fixtures::enqueue(
        &store,
        &[fixtures::issue("2026-07-22 10:00", JANE, LEFT_HAND)],
    )
    .await
    .unwrap();
    let error = fixtures::process_all(&store).await.unwrap_err().to_string();
    assert!(
        error.contains("a date koc cannot hold: infinity"),
        "{error}"
    );
    assert_eq!(
        store
            .pending(&PendingFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
    let lent = store
        .loans(&LoanFilter::all())
        .await
        .unwrap()
        .iter()
        .any(|loan| loan.barcode == LEFT_HAND);
    assert!(!lent);

    drop(pool);
    store.drop_schema().await.unwrap();
}
