//! Opening databases: creating, reopening, refusing newer schemas and files
//! that are not koc databases, without a panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use koc_core::{Circulation, Error, Patron, StoreExt};
use koc_store_sqlite::{APPLICATION_ID, SCHEMA_VERSION, SqliteStore};

fn database(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("koc.sqlite")
}

/// Waits until every connection to the file is closed: the last one to
/// close removes the WAL (the checkpoint thread closes its own shortly
/// after the store is dropped).
fn wait_closed(path: &Path) {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    let deadline = Instant::now() + Duration::from_secs(20);
    while wal.exists() {
        assert!(Instant::now() < deadline, "{} stays open", path.display());
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

#[tokio::test]
async fn a_new_file_gets_the_whole_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = database(&dir);
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    assert_eq!(store.path(), Some(path.as_path()));
    drop(store);
    wait_closed(&path);

    let conn = raw(&path);
    let versions: Vec<i64> = conn
        .prepare("SELECT version FROM koc_schema ORDER BY version")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(versions, (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    let id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    assert_eq!(id, APPLICATION_ID);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn reopening_keeps_the_data_and_migrates_nothing_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = database(&dir);
    let store = SqliteStore::open(&path).await.unwrap();
    store
        .upsert_patrons(&[Patron::new("23529001000463", "Doe")])
        .await
        .unwrap();
    drop(store);
    wait_closed(&path);

    let store = SqliteStore::open(&path).await.unwrap();
    let patron = store.patron("23529001000463").await.unwrap();
    assert_eq!(patron.map(|p| p.surname), Some("Doe".to_owned()));
    drop(store);
    wait_closed(&path);
    let rows: i64 = raw(&path)
        .query_row("SELECT count(*) FROM koc_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, SCHEMA_VERSION);
}

#[tokio::test]
async fn a_newer_schema_is_refused_not_downgraded() {
    let dir = tempfile::tempdir().unwrap();
    let path = database(&dir);
    drop(SqliteStore::open(&path).await.unwrap());
    wait_closed(&path);
    raw(&path)
        .execute(
            "INSERT INTO koc_schema (version, description, applied_at) VALUES (?1, 'future', 'later')",
            [SCHEMA_VERSION + 1],
        )
        .unwrap();

    match SqliteStore::open(&path).await {
        Err(Error::SchemaTooNew { found, supported }) => {
            assert_eq!(found, SCHEMA_VERSION + 1);
            assert_eq!(supported, SCHEMA_VERSION);
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
    let rows: i64 = raw(&path)
        .query_row("SELECT max(version) FROM koc_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        rows,
        SCHEMA_VERSION + 1,
        "the newer schema is left as it was"
    );
}

fn assert_not_koc(result: Result<SqliteStore, Error>) -> String {
    match result {
        Err(Error::NotKocDatabase(message)) => message,
        other => panic!("expected NotKocDatabase, got {other:?}"),
    }
}

#[tokio::test]
async fn a_file_that_is_not_sqlite_is_not_a_koc_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = database(&dir);
    std::fs::write(
        &path,
        "2026-07-22 10-16-02 000\treturn\t31000000654321\n".repeat(200),
    )
    .unwrap();
    let message = assert_not_koc(SqliteStore::open(&path).await);
    assert!(message.contains("not an SQLite database"), "{message}");
}

#[tokio::test]
async fn another_programs_database_is_not_a_koc_database() {
    let dir = tempfile::tempdir().unwrap();
    let tables = dir.path().join("shop.sqlite");
    raw(&tables)
        .execute_batch("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        .unwrap();
    let message = assert_not_koc(SqliteStore::open(&tables).await);
    assert!(message.contains("other tables"), "{message}");

    let marked = dir.path().join("marked.sqlite");
    raw(&marked)
        .execute_batch("PRAGMA application_id = 42")
        .unwrap();
    let message = assert_not_koc(SqliteStore::open(&marked).await);
    assert!(message.contains("another program"), "{message}");
}

#[tokio::test]
async fn an_empty_file_becomes_a_koc_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = database(&dir);
    std::fs::write(&path, b"").unwrap();
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
}

/// Overwrites `len` bytes of `path` at `offset` with a pattern.
fn scribble(path: &Path, offset: usize, len: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.len() >= offset + len,
        "the file is smaller than expected"
    );
    for (i, byte) in bytes[offset..offset + len].iter_mut().enumerate() {
        *byte = (i * 151 % 251) as u8;
    }
    std::fs::write(path, bytes).unwrap();
}

/// A koc database with some data, closed, with everything in the main
/// file.
async fn closed_database(dir: &tempfile::TempDir) -> PathBuf {
    let path = database(dir);
    let store = SqliteStore::open(&path).await.unwrap();
    let patrons: Vec<Patron> = (0..2_000)
        .map(|n| Patron::new(format!("2352900{n:07}"), format!("Surname {n}")))
        .collect();
    store.upsert_patrons(&patrons).await.unwrap();
    drop(store);
    wait_closed(&path);
    path
}

#[tokio::test]
async fn a_damaged_schema_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = closed_database(&dir).await;
    // Page 1 holds the schema, after the 100-byte file header.
    scribble(&path, 100, 3_900);
    let error = SqliteStore::open(&path).await.unwrap_err();
    assert!(
        matches!(error, Error::NotKocDatabase(_)),
        "expected NotKocDatabase, got {error:?}"
    );
}

#[tokio::test]
async fn damaged_data_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = closed_database(&dir).await;
    let size = std::fs::metadata(&path).unwrap().len() as usize;
    // Every page after the first few: patrons, their names and indexes.
    scribble(&path, 16 * 4096, size - 16 * 4096);
    let outcome = match SqliteStore::open(&path).await {
        Err(error) => Err(error),
        Ok(store) => store
            .search_patrons("surname", 5_000)
            .await
            .map(|found| found.len()),
    };
    match outcome {
        Err(Error::NotKocDatabase(message)) => assert!(message.contains("damaged"), "{message}"),
        other => panic!("expected the damage to be reported, got {other:?}"),
    }
}

/// A database of schema version 1 (items with their catalogue text in the
/// same row) opened by this code: its items, with their text, status, when
/// they were last seen and where, are the same after the migration, and
/// saving them writes both tables.
#[tokio::test]
async fn a_version_1_database_keeps_its_items() {
    let dir = tempfile::tempdir().unwrap();
    let path = database(&dir);
    {
        let conn = raw(&path);
        conn.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID};
             CREATE TABLE koc_schema (version INTEGER PRIMARY KEY, description TEXT NOT NULL,
                                      applied_at TEXT NOT NULL);
             INSERT INTO koc_schema VALUES (1, 'circulation data', '2026-11-28 10:00:00');"
        ))
        .unwrap();
        conn.execute_batch(include_str!("../src/migrations/0001_initial.sql"))
            .unwrap();
        // 2026-07-01 12:00 in microseconds since 1970.
        conn.execute_batch(
            "INSERT INTO items (barcode, title, itemtype, homebranch, holdingbranch, status,
                                last_seen)
             VALUES ('B1', 'Middlemarch', 'BK', 'CPL', 'FFL', 'lost', 1782907200000000),
                    ('B2', 'Ulysses', NULL, NULL, NULL, 'available', NULL);",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    let items = store
        .items(&["B1".to_owned(), "B2".to_owned()])
        .await
        .unwrap();
    assert_eq!(items.len(), 2);
    let (lost, other) = (&items[0], &items[1]);
    assert_eq!(lost.title.as_deref(), Some("Middlemarch"));
    assert_eq!(lost.status, koc_core::ItemStatus::Lost);
    assert_eq!(lost.holdingbranch.as_deref(), Some("FFL"));
    assert_eq!(lost.homebranch.as_deref(), Some("CPL"));
    assert_eq!(
        lost.last_seen.map(|t| t.to_string()).as_deref(),
        Some("2026-07-01 12:00:00")
    );
    assert_eq!(other.status, koc_core::ItemStatus::Available);
    assert_eq!(other.last_seen, None);

    // Saved again, the item is changed in both tables.
    let mut found = lost.clone();
    found.status = koc_core::ItemStatus::Available;
    found.title = Some("Middlemarch (2nd ed.)".to_owned());
    store.upsert_items(&[found.clone()]).await.unwrap();
    assert_eq!(store.items(&["B1".to_owned()]).await.unwrap(), vec![found]);
}
