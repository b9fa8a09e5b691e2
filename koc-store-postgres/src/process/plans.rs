//! A batch's reads and writes find the rows it touches one by one, by key
//! or by place, and never read a whole table: their cost follows the
//! batch, not the size of the catalogue, the open loans, the account lines,
//! the holds or the queue. Left to its estimates, the planner joined a
//! batch's keys to whole tables (hash joins over sequential scans, a merge
//! join along a whole primary key) as soon as they were a fair share of a
//! table's rows, and read the queue whole for the batch's places.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use koc_core::conformance::fixtures::{STAFF, checkin, enqueue, issue, payment, rules};
use koc_core::{ConflictRule, Effects, Engine, Operation, ProcessedOperation, RuleTable};
use sqlx::{Connection, PgConnection};

use super::batch::{self, Cursor};
use super::load::Barcodes;
use super::one_statement::{self, Columns, Split};
use super::{load, write};
use crate::place::Place;
use crate::testing::store;

/// Rows of each table, far more than the batch touches.
const ROWS: i64 = 5_000;

/// How many times this connection has read each of the tables a batch
/// touches whole (a sequential scan): its counts not yet flushed to the
/// server's statistics, which include this transaction's.
async fn whole_reads(conn: &mut PgConnection) -> Vec<(String, i64)> {
    sqlx::query_as(
        "SELECT relname::text, seq_scan FROM pg_stat_xact_user_tables \
         WHERE relname IN ('patrons', 'items', 'loans', 'account_lines', 'holds', 'pending') \
         AND schemaname = current_schema() ORDER BY relname",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

/// A library of [`ROWS`] patrons and items, open loans of most items, a
/// debt of every patron and a hold on every item, with the planner's
/// statistics up to date.
pub(super) async fn library(conn: &mut PgConnection) {
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

/// Returns of loaned items (whose holds wait), payments of debts, issues
/// of items on the shelf, in [`library`]: 1 200 operations, 400 of each.
pub(super) fn operations() -> Vec<Operation> {
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
    operations
}

/// A batch read, loaded and decided: what its writes take.
struct Decided {
    effects: Effects,
    places: load::Places,
    had_loan: Barcodes,
    results: Vec<ProcessedOperation>,
    queue_places: Vec<Place>,
}

/// Half of [`operations`] (200 of each kind) read as one batch.
async fn half(tx: &mut PgConnection) -> batch::Batch {
    let batch = batch::next_batch(tx, &mut Cursor::All(None), None, 600)
        .await
        .unwrap();
    assert_eq!(batch.operations.len(), 600);
    batch
}

/// `batch` loaded and decided.
async fn decide(tx: &mut PgConnection, batch: batch::Batch) -> Decided {
    let (mut state, places) = load::load_state(tx, &batch.operations).await.unwrap();
    let had_loan: Barcodes = state.loans.keys().cloned().collect();
    let rules = RuleTable::new(rules());
    let decisions = Engine::new(ConflictRule::default(), &rules)
        .decide(&batch.operations, &mut state)
        .unwrap();
    Decided {
        effects: decisions.effects,
        places,
        had_loan,
        results: super::processed(batch.operations, decisions.outcomes),
        queue_places: batch.places,
    }
}

#[tokio::test]
async fn a_batch_reads_and_writes_its_rows_by_key_never_whole_tables() {
    let Some(store) = store("plans").await else {
        return;
    };
    library(&mut store.pool().acquire().await.unwrap()).await;
    enqueue(&store, &operations()).await.unwrap();

    // A connection of its own: a backend's counts below are those it has
    // not flushed yet, this transaction's and any before.
    let mut conn = PgConnection::connect_with(&store.pool().connect_options())
        .await
        .unwrap();
    let mut tx = conn.begin().await.unwrap();
    let batch = half(&mut tx).await;
    let before = whole_reads(&mut tx).await;
    let decided = decide(&mut tx, batch).await;
    write::apply(
        &mut tx,
        &decided.effects,
        &decided.places,
        &decided.had_loan,
    )
    .await
    .unwrap();
    write::settle(&mut tx, &decided.results, &decided.queue_places, STAFF)
        .await
        .unwrap();

    // No table was read whole while the batch was loaded, written and
    // moved to history (taken first: the checks below read whole tables).
    assert_eq!(whole_reads(&mut tx).await, before, "tables read whole");
    // And the batch did its work.
    let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql);
    let open = count("SELECT count(*) FROM loans")
        .fetch_one(&mut *tx)
        .await;
    assert_eq!(open.unwrap(), ROWS * 4 / 5, "200 returned, 200 issued");
    let paid = count("SELECT count(*) FROM account_lines WHERE outstanding = 3")
        .fetch_one(&mut *tx)
        .await;
    assert_eq!(paid.unwrap(), 200);
    let left = count("SELECT count(*) FROM pending")
        .fetch_one(&mut *tx)
        .await;
    assert_eq!(left.unwrap(), 600);
    drop(tx);
    conn.close().await.unwrap();
    store.drop_schema().await.unwrap();
}

/// A batch's payments, each paying parts of several debts, are given their
/// credits' ids by sorting credits and parts by payment: never a nested
/// loop comparing every part with every credit, whose work grew with the
/// square of a batch's payments (3 s for 5 000). And each part is recorded
/// against its own payment's credit.
#[tokio::test]
async fn a_batchs_payment_parts_find_their_credits_by_sorting_not_pair_by_pair() {
    use koc_core::{AccountLineId, Money, OperationId, RecordedPayment};
    use sqlx::Row;

    let Some(store) = store("plans_payments").await else {
        return;
    };
    let mut conn = store.pool().acquire().await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    write::plan_as_lookups(&mut tx).await.unwrap();
    // 300 payments of two parts each, their operations in an order unlike
    // the order they are paid in; each part pays a debt whose id tells its
    // payment (payment offsets are not foreign keys).
    let paid_at = chrono::NaiveDate::from_ymd_opt(2026, 7, 22)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    let payments: Vec<RecordedPayment> = (0..300)
        .map(|i| {
            let operation = (i * 919) % 1000 + 1;
            RecordedPayment {
                operation: OperationId(operation),
                cardnumber: format!("P{i}"),
                amount: Money::from_micros(3_000_000),
                paid_at,
                applied: vec![
                    (AccountLineId(operation * 10), Money::from_micros(2_000_000)),
                    (
                        AccountLineId(operation * 10 + 1),
                        Money::from_micros(1_000_000),
                    ),
                ],
                unapplied: Money::from_micros(0),
            }
        })
        .collect();
    let paid = write::PaymentColumns::of(&payments);

    let explained = format!("EXPLAIN (FORMAT JSON) {}", write::RECORD_PAYMENTS);
    let plan: serde_json::Value = paid
        .bound(sqlx::query(sqlx::AssertSqlSafe(explained)))
        .fetch_one(&mut *tx)
        .await
        .unwrap()
        .get(0);
    let plan = plan.to_string();
    assert!(!plan.contains("Nested Loop"), "{plan}");

    paid.bound(sqlx::query(write::RECORD_PAYMENTS))
        .execute(&mut *tx)
        .await
        .unwrap();
    let recorded: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT (SELECT count(*) FROM payment_offsets), \
         (SELECT count(*) FROM payment_offsets o JOIN account_lines c ON c.id = o.credit_id \
          WHERE o.debit_id / 10 = c.operation_id AND c.kind = 'credit')",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    assert_eq!(recorded, [(600, 600)]);
    drop(tx);
    drop(conn);
    store.drop_schema().await.unwrap();
}

/// The node types a nested loop may repeat for each row of its outer
/// side: a lookup of a table's row by key or by place.
const LOOKUPS: [&str; 4] = [
    "Index Scan",
    "Index Only Scan",
    "Tid Scan",
    "Bitmap Heap Scan",
];

/// Each nested loop in `plan` (`EXPLAIN (FORMAT JSON)`) whose inner side is
/// not a lookup, as "outer × inner" node types.
fn loops_not_by_lookup(plan: &serde_json::Value, found: &mut Vec<String>) {
    let children = plan["Plans"].as_array().cloned().unwrap_or_default();
    if plan["Node Type"] == "Nested Loop" {
        let side = |relationship: &str| {
            children
                .iter()
                .find(|c| c["Parent Relationship"] == relationship)
                .map(|c| c["Node Type"].as_str().unwrap_or("?").to_owned())
                .unwrap_or_default()
        };
        let inner = side("Inner");
        if !LOOKUPS.contains(&inner.as_str()) {
            found.push(format!("{} × {inner}", side("Outer")));
        }
    }
    for child in &children {
        loops_not_by_lookup(child, found);
    }
}

/// The whole writing statement of a batch of returns, payments and issues
/// (one_statement's `WRITE_BATCH`, with the batch's own parameters): every
/// join in it repeats a lookup of a table's row, by key or by place, for
/// each row the batch writes; none compares two sets the statement
/// computes row by row, work that grows with the square of the batch (as
/// recording payments did, 3 s for a batch of 5 000 payments).
#[tokio::test]
async fn a_batchs_writing_statement_joins_only_by_looking_rows_up() {
    use sqlx::Row;

    let Some(store) = store("plans_write").await else {
        return;
    };
    library(&mut store.pool().acquire().await.unwrap()).await;
    enqueue(&store, &operations()).await.unwrap();
    let mut conn = store.pool().acquire().await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    write::plan_as_lookups(&mut tx).await.unwrap();
    let batch = half(&mut tx).await;
    let decided = decide(&mut tx, batch).await;
    assert_eq!(decided.effects.payments.len(), 200);
    let split = Split::of(&decided.effects, &decided.places, &decided.had_loan);
    let columns = Columns::of(&decided.effects, &split, &decided.results).unwrap();
    let explained = format!("EXPLAIN (FORMAT JSON) {}", one_statement::WRITE_BATCH);
    let plan: serde_json::Value = columns
        .bound(
            sqlx::query(sqlx::AssertSqlSafe(explained)),
            &decided.queue_places,
            STAFF,
            true,
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap()
        .get(0);
    let mut found = Vec::new();
    loops_not_by_lookup(&plan[0]["Plan"], &mut found);
    assert_eq!(found, Vec::<String>::new(), "{plan:#}");
    // The plan has the lookups the batch's writes make.
    let text = plan.to_string();
    assert!(
        text.contains("Tid Scan") && text.contains("Index Scan"),
        "{plan:#}"
    );
    drop(tx);
    drop(conn);
    store.drop_schema().await.unwrap();
}
