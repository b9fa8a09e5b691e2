//! An enqueue that fails half-way adds nothing: its inserts say `OR FAIL`
//! (no statement journal), so the rows a statement wrote before the failure
//! are only undone by rolling back the whole transaction, which must
//! happen. The failure is made by a trigger, in the middle of a statement's
//! rows, on each of the two tables an enqueue writes row by row.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use koc_core::{Operation, PendingFilter, Queue};
use koc_store_sqlite::SqliteStore;

const PATRONS: usize = 20;
const ITEMS: usize = 100;

/// How many rows `table` holds, read by a connection of its own.
fn rows(path: &std::path::Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
        row.get(0)
    })
    .unwrap()
}

/// Enqueues 10 operations, then 200 more while a trigger on `table` fails
/// the insert of the operation with id 100 (the 36th row of the second
/// statement of 64): the second enqueue fails and leaves the store as the
/// first left it; once the trigger is gone, the same 200 go in whole.
async fn fails_whole(table: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("koc.sqlite");
    let store = SqliteStore::open(&path).await.unwrap();
    let operations: Vec<Operation> = common::operations(7, 210, PATRONS, ITEMS);
    let first = store.enqueue(None, &operations[..10]).await.unwrap();
    assert_eq!(first.added.len(), 10);

    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(&format!(
        "CREATE TRIGGER refuse BEFORE INSERT ON {table} WHEN NEW.id = 100
         BEGIN SELECT RAISE(FAIL, 'refused by the test'); END;"
    ))
    .unwrap();
    let refused = store.enqueue(None, &operations[10..]).await;
    let error = refused.expect_err("the trigger fails the enqueue");
    assert!(
        error.to_string().contains("refused by the test"),
        "unexpected error: {error}"
    );
    assert_eq!(rows(&path, "operations"), 10, "operations written");
    assert_eq!(rows(&path, "pending"), 10, "queue entries written");
    assert_eq!(rows(&path, "uploads"), 1, "uploads recorded");
    assert_eq!(rows(&path, "upload_ranges"), 1, "ranges recorded");
    assert_eq!(
        store.count_pending(&PendingFilter::all()).await.unwrap(),
        10
    );

    conn.execute_batch("DROP TRIGGER refuse").unwrap();
    let again = store.enqueue(None, &operations[10..]).await.unwrap();
    assert_eq!(again.added.len(), 200);
    assert!(again.duplicates.is_empty());
    assert_eq!(
        store.count_pending(&PendingFilter::all()).await.unwrap(),
        210
    );
}

#[tokio::test]
async fn an_enqueue_failing_in_the_operations_adds_nothing() {
    fails_whole("operations").await;
}

#[tokio::test]
async fn an_enqueue_failing_in_the_queue_adds_nothing() {
    fails_whole("pending").await;
}
