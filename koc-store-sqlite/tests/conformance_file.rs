//! The whole conformance suite against database files.

#![allow(clippy::expect_used)] // setup failures end the test

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use koc_store_sqlite::SqliteStore;

/// A directory for this run's databases under Cargo's temporary directory
/// for tests, emptied at the start of each run (a scenario's store outlives
/// anything the setup function could clean up after).
fn directory() -> &'static PathBuf {
    static DIRECTORY: OnceLock<PathBuf> = OnceLock::new();
    DIRECTORY.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("koc-store-sqlite-conformance");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a directory for the test databases");
        dir
    })
}

async fn fresh_store() -> SqliteStore {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = directory().join(format!("{n}.sqlite"));
    SqliteStore::open(&path).await.expect("a new database")
}

koc_core::conformance_tests!(fresh_store);
