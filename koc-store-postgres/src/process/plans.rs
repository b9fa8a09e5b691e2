//! A batch's reads and writes find the rows it touches one by one, by key
//! or by place, and never read a whole table: their cost follows the
//! batch, not the size of the catalogue, the open loans, the account lines
//! or the holds. Left to its estimates, the planner joined a batch's keys
//! to whole tables (a hash join over a sequential scan) as soon as they
//! were a fair share of a table's rows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;

use koc_core::conformance::fixtures::{checkin, enqueue, issue, payment, rules};
use koc_core::{ConflictRule, Engine, PendingFilter, Queue, RuleTable};
use sqlx::{Connection, PgConnection};

use super::{load, write};
use crate::testing::store;

/// Rows of each table, far more than the batch touches.
const ROWS: i64 = 5_000;

/// A library of [`ROWS`] patrons and items, open loans of most items, a
/// debt of every patron and a hold on every item, with the planner's
/// statistics up to date.
async fn library(conn: &mut PgConnection) {
    for statement in [
        "INSERT INTO patrons (cardnumber, surname, category, branch, expiry) \
         SELECT 'P' || g, 'Doe', 'PT', 'CPL', DATE '2030-01-01' FROM generate_series(1, $1) g",
        "INSERT INTO items (barcode, itemtype, homebranch, holdingbranch) \
         SELECT 'I' || g, 'BK', 'CPL', 'CPL' FROM generate_series(1, $1) g",
        "INSERT INTO loans (barcode, cardnumber, issued_at, due_at) \
         SELECT 'I' || g, 'P' || g, TIMESTAMP '2026-07-01', TIMESTAMP '2026-07-29' \
         FROM generate_series(1, $1 * 4 / 5) g",
        "INSERT INTO account_lines (cardnumber, kind, amount, outstanding, created_at) \
         SELECT 'P' || g, 'debit', 5, 5, TIMESTAMP '2026-06-01' FROM generate_series(1, $1) g",
        "INSERT INTO holds (barcode, cardnumber, placed_at) \
         SELECT 'I' || g, 'P' || (g % $1 + 1), TIMESTAMP '2026-07-02' \
         FROM generate_series(1, $1) g",
    ] {
        sqlx::query(statement)
            .bind(ROWS)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    sqlx::query("ANALYZE").execute(&mut *conn).await.unwrap();
}

#[tokio::test]
async fn a_batch_reads_and_writes_its_rows_by_key_never_whole_tables() {
    let Some(store) = store("plans").await else {
        return;
    };
    library(&mut store.pool().acquire().await.unwrap()).await;
    // A fifth of the library in one batch: returns of loaned items (whose
    // holds wait), payments of debts, issues of items on the shelf.
    let mut operations = Vec::new();
    for n in 1..=400 {
        let minute = format!("2026-07-22 10:{:02}:{:02}", n / 60, n % 60);
        operations.push(checkin(&minute, &format!("I{n}")));
        operations.push(payment(&minute, &format!("P{}", 1000 + n), "2.00"));
        operations.push(issue(
            &minute,
            &format!("P{}", 2000 + n),
            &format!("I{}", 4000 + n),
        ));
    }
    enqueue(&store, &operations).await.unwrap();
    let batch = store.pending(&PendingFilter::default()).await.unwrap();
    assert_eq!(batch.len(), operations.len());

    // A connection of its own: a backend's counts below are those it has
    // not flushed yet, this transaction's and any before.
    let mut conn = PgConnection::connect_with(&store.pool().connect_options())
        .await
        .unwrap();
    let mut tx = conn.begin().await.unwrap();
    let (mut state, places) = load::load_state(&mut tx, &batch).await.unwrap();
    let had_loan: HashSet<String> = state.loans.keys().cloned().collect();
    let rules = RuleTable::new(rules());
    let decisions = Engine::new(ConflictRule::default(), &rules)
        .decide(&batch, &mut state)
        .unwrap();
    write::apply(&mut tx, &decisions.effects, &places, &had_loan)
        .await
        .unwrap();

    // No table of the library was read whole: the counts of this
    // connection's only transaction, not yet flushed to the server's
    // statistics (taken first: the checks below read whole tables).
    let scanned: Vec<(String, i64)> = sqlx::query_as(
        "SELECT relname::text, seq_scan FROM pg_stat_xact_user_tables \
         WHERE relname IN ('patrons', 'items', 'loans', 'account_lines', 'holds') \
         AND schemaname = current_schema() AND seq_scan > 0 ORDER BY relname",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    assert_eq!(scanned, [], "tables read whole, with how many times");
    // And the batch did its work.
    let open: i64 = sqlx::query_scalar("SELECT count(*) FROM loans")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(open, ROWS * 4 / 5, "400 returned, 400 issued");
    let paid: i64 = sqlx::query_scalar("SELECT count(*) FROM account_lines WHERE outstanding = 3")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(paid, 400);
    drop(tx);
    conn.close().await.unwrap();
    store.drop_schema().await.unwrap();
}
