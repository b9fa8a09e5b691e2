//! The name of the file operations were read from is stored once, in
//! `source_files`, not on each operation's row; the queue, the processing
//! results and the history still give each operation its file and line.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use koc_core::conformance::fixtures::{read_from, sources};
use koc_core::{
    History, HistoryFilter, Operation, PendingFilter, ProcessRun, ProcessedOperation, Processor,
    Queue, Source,
};
use koc_store_sqlite::SqliteStore;

fn query(path: &std::path::Path, sql: &str) -> Vec<(Option<String>, i64)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut select = conn.prepare(sql).unwrap();
    select
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn a_file_name_is_stored_once_and_read_back_with_each_operation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("koc.sqlite");
    let store = SqliteStore::open(&path).await.unwrap();
    let generated = common::operations(11, 300, 20, 100);
    // Two files in one enqueue (the second name long and not ASCII), the
    // first file again in another enqueue, and a request between them.
    let mut first = read_from(&generated[..100], "desk1.koc");
    first.extend(read_from(
        &generated[100..200],
        "bibliothèque-annexe-2026-07-22.koc",
    ));
    let request = Operation {
        source: Source::Request {
            detail: Some("POST /offline from 10.0.0.7".into()),
        },
        ..generated[200].clone()
    };
    let later = read_from(&generated[201..300], "desk1.koc");
    assert_eq!(store.enqueue(None, &first).await.unwrap().added.len(), 200);
    assert_eq!(
        store
            .enqueue(None, std::slice::from_ref(&request))
            .await
            .unwrap()
            .added
            .len(),
        1
    );
    assert_eq!(store.enqueue(None, &later).await.unwrap().added.len(), 99);

    // Each name is one row; no operation's row holds a file's name.
    let names = query(&path, "SELECT name, id FROM source_files ORDER BY id");
    let names: Vec<Option<String>> = names.into_iter().map(|(name, _)| name).collect();
    assert_eq!(
        names,
        [
            Some("desk1.koc".to_owned()),
            Some("bibliothèque-annexe-2026-07-22.koc".to_owned())
        ]
    );
    let kinds = query(
        &path,
        "SELECT source_kind, count(*) FROM operations
         WHERE source_text IS NOT NULL OR source_file IS NOT NULL
         GROUP BY source_kind, source_text IS NULL, source_file IS NULL ORDER BY 1",
    );
    assert_eq!(
        kinds,
        [
            (Some("file".to_owned()), 299),
            (Some("request".to_owned()), 1)
        ]
    );
    let with_text = query(
        &path,
        "SELECT source_text, count(*) FROM operations WHERE source_kind = 'file'
         AND (source_text IS NOT NULL OR source_file IS NULL) GROUP BY 1",
    );
    assert_eq!(with_text, []);

    // The queue gives every operation its source as enqueued.
    let mut expected: Vec<Operation> = first;
    expected.push(request);
    expected.extend(later);
    let pending = store.pending(&PendingFilter::default()).await.unwrap();
    let want = sources(expected.iter());
    assert_eq!(sources(pending.iter().map(|p| &p.operation)), want);

    // So do processing's results, and the history after.
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
}
