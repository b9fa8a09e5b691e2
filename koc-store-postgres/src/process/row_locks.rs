//! Processing writes rows without locking them first: an update of an
//! item's status or of a debt's outstanding amount is one WAL record, not
//! a lock of the row (its own record) and then the update. PostgreSQL
//! fetches and locks the old row for any BEFORE ROW UPDATE trigger before
//! it looks at the trigger's column list, so the guards of referred-to rows
//! (schema version 1: `BEFORE DELETE OR UPDATE OF` the key) locked every
//! item and account line processing wrote, though they never ran; since
//! version 3 re-keying is guarded after the update.
//!
//! Read from the WAL itself (`pg_walinspect`, which ships with the server):
//! the records of this schema's `items` and `account_lines` written while a
//! queue is processed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::Arc;

use koc_core::conformance::fixtures::{STAFF, enqueue, rules, run};
use koc_core::{ProcessRun, RuleTable};
use sqlx::{AssertSqlSafe, PgPool};

use super::plans::{library, operations};
use crate::testing::store;

/// The schema `pg_walinspect` is in (quoted), created if need be (a superuser's
/// work: `scripts/test`'s server).
async fn walinspect(pool: &PgPool) -> String {
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
        .execute(pool)
        .await
        .expect("pg_walinspect (a module of the server) for reading the WAL");
    sqlx::query_scalar(
        "SELECT quote_ident(n.nspname) FROM pg_extension e \
         JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_walinspect'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The heap records written between `from` and `to` for `table` of this
/// schema, counted by kind (`LOCK`, `HOT_UPDATE`, ...).
async fn heap_records(
    pool: &PgPool,
    inspect: &str,
    table: &str,
    from: &str,
    to: &str,
) -> BTreeMap<String, i64> {
    let node: i64 = sqlx::query_scalar("SELECT pg_relation_filenode($1::regclass)::bigint")
        .bind(table)
        .fetch_one(pool)
        .await
        .unwrap();
    // `inspect` is an identifier the server quoted.
    let rows: Vec<(String, i64)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT record_type, count(*) FROM {inspect}.pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn) \
         WHERE resource_manager = 'Heap' AND block_ref ~ ('rel [0-9]+/[0-9]+/' || $3 || ' ') \
         GROUP BY record_type"
    )))
    .bind(from)
    .bind(to)
    .bind(node.to_string())
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter().collect()
}

/// Where the WAL ends now, flushed that far (only flushed records can be
/// read, and the test server commits without waiting for the flush: a
/// transaction that does wait flushes everything before its commit).
async fn wal_end(pool: &PgPool) -> String {
    let end: String = sqlx::query_scalar("SELECT pg_current_wal_insert_lsn()::text")
        .fetch_one(pool)
        .await
        .unwrap();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SET LOCAL synchronous_commit = on")
        .execute(&mut *tx)
        .await
        .unwrap();
    // A record of its own: a commit that waits for the flush.
    sqlx::query("SELECT pg_logical_emit_message(true, 'koc-test', 'flush')")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let flushed: bool = sqlx::query_scalar("SELECT pg_current_wal_flush_lsn() >= $1::pg_lsn")
        .bind(&end)
        .fetch_one(pool)
        .await
        .unwrap();
    assert!(flushed, "the WAL flushed past {end}");
    end
}

fn count(records: &BTreeMap<String, i64>, kind: &str) -> i64 {
    records.get(kind).copied().unwrap_or(0)
}

/// Updates whose new version went to another page.
fn moved(records: &BTreeMap<String, i64>) -> i64 {
    count(records, "UPDATE") + count(records, "UPDATE+INIT")
}

/// All updates: on their page (HOT) or to another.
fn updates(records: &BTreeMap<String, i64>) -> i64 {
    count(records, "HOT_UPDATE") + moved(records)
}

/// Rows locked (a lock is a record of its own).
fn locks(records: &BTreeMap<String, i64>) -> i64 {
    count(records, "LOCK")
}

#[tokio::test]
async fn processing_updates_items_and_debts_without_locking_them_first() {
    let Some(store) = store("row_locks").await else {
        return;
    };
    let pool = store.pool();
    let inspect = walinspect(pool).await;
    library(&mut pool.acquire().await.unwrap()).await;
    enqueue(&store, &operations()).await.unwrap();

    let from = wal_end(pool).await;
    let mut all = ProcessRun::all(STAFF);
    all.policy = Some(Arc::new(RuleTable::new(rules())));
    let results = run(&store, &all).await.unwrap();
    let to = wal_end(pool).await;
    assert_eq!(results.len(), 1_200);

    let items = heap_records(pool, &inspect, "items", &from, &to).await;
    let debts = heap_records(pool, &inspect, "account_lines", &from, &to).await;
    // 800 items written (400 returned, 400 issued) and 400 debts paid, the
    // batch of 1 200 in one transaction.
    assert_eq!(updates(&items), 800, "items: {items:?}");
    assert_eq!(updates(&debts), 400, "account lines: {debts:?}");
    // Rows were locked only where PostgreSQL must: when an update's new
    // version goes to another page (full: each of these small rows is
    // written once, not on a page of its own), the old row is locked
    // while the page is found. The guards' locks came on top, one per
    // update.
    assert_eq!(locks(&items), moved(&items), "items: {items:?}");
    assert_eq!(locks(&debts), moved(&debts), "account lines: {debts:?}");
    store.drop_schema().await.unwrap();
}
