//! The whole conformance suite against an in-memory database.

#![allow(clippy::expect_used)] // setup failures end the test

use koc_store_sqlite::SqliteStore;

async fn fresh_store() -> SqliteStore {
    SqliteStore::open_in_memory()
        .await
        .expect("an in-memory database")
}

koc_core::conformance_tests!(fresh_store);
