//! The name of the file operations were read from is stored once, in
//! `source_files`, not on each operation's row, whether enqueue sends the
//! rows with `COPY` (a thousand operations and more) or with an `INSERT`;
//! a row written before (schema version 1), which holds its name itself,
//! is read as it was. The queue, the processing results and the history
//! give each operation its file and line.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use koc_core::conformance::fixtures::{read_from, sources};
use koc_core::{
    History, HistoryFilter, Operation, PendingFilter, ProcessRun, ProcessedOperation, Processor,
    Queue, Source,
};

#[tokio::test]
async fn a_file_name_is_stored_once_and_read_back_with_each_operation() {
    let Some(store) = common::fresh_store("files").await else {
        return;
    };
    let generated = common::library::generate(50, 200, 1_300).operations;
    // 1 100 operations of one file (sent with COPY), 150 of a second one
    // in another enqueue (sent with an INSERT), a request, and the first
    // file again.
    let first = read_from(&generated[..1_100], "desk1.koc");
    let second = read_from(&generated[1_100..1_250], "bibliothèque-annexe.koc");
    let request = Operation {
        source: Source::Request {
            detail: Some("POST /offline from 10.0.0.7".into()),
        },
        ..generated[1_250].clone()
    };
    let again = read_from(&generated[1_251..], "desk1.koc");
    let mut expected = Vec::new();
    for part in [first, second, vec![request], again] {
        let report = store.enqueue(None, &part).await.unwrap();
        assert_eq!(report.added.len(), part.len(), "{:?}", report.duplicates);
        expected.extend(part);
    }

    let names: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM source_files ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap();
    let names: Vec<&str> = names.iter().map(|(_, name)| name.as_str()).collect();
    assert_eq!(names, ["desk1.koc", "bibliothèque-annexe.koc"]);
    let (with_name, with_number): (i64, i64) = sqlx::query_as(
        "SELECT count(source_file), count(source_file_id) FROM operations \
         WHERE source_kind = 'file'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!((with_name, with_number), (0, 1_299));

    // One row as schema version 1 wrote it: its name in the row.
    sqlx::query(
        "UPDATE operations o SET source_file = f.name, source_file_id = NULL \
         FROM source_files f WHERE f.id = o.source_file_id \
         AND o.id = (SELECT min(id) FROM operations)",
    )
    .execute(store.pool())
    .await
    .unwrap();

    let want = sources(expected.iter());
    let pending = store.pending(&PendingFilter::all()).await.unwrap();
    assert_eq!(sources(pending.iter().map(|p| &p.operation)), want);
    let one = store
        .pending_operation(pending[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one.operation.source, pending[0].operation.source);

    let mut processed: Vec<Operation> = Vec::new();
    let mut keep = |batch: &[ProcessedOperation]| {
        processed.extend(batch.iter().map(|p| p.pending.operation.clone()));
    };
    store
        .process(&ProcessRun::all("admin"), &mut keep)
        .await
        .unwrap();
    assert_eq!(sources(processed.iter()), want);
    let history = store.history(&HistoryFilter::all()).await.unwrap();
    assert_eq!(sources(history.iter().map(|h| &h.pending.operation)), want);
    store.drop_schema().await.unwrap();
}
