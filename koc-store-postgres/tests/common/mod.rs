//! What the PostgreSQL tests share: the server from `DATABASE_URL`, and a
//! fresh schema per test so that tests run in parallel.

#![allow(dead_code, clippy::panic, clippy::unwrap_used, clippy::expect_used)]

pub mod busy;
pub mod library;

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use koc_store_postgres::{PostgresOptions, PostgresStore};

/// The server's URL, or `None` after saying loudly (once per test binary)
/// that the tests are skipped.
pub fn database_url() -> Option<String> {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            // Straight to the process's stderr: the test harness captures
            // `eprintln!` of passing tests, and this must be seen.
            static SAID: AtomicBool = AtomicBool::new(false);
            let mut stderr = std::io::stderr();
            if !SAID.swap(true, Ordering::Relaxed) {
                let _ = writeln!(
                    stderr,
                    "\n!!! SKIPPED: DATABASE_URL not set: the koc-store-postgres tests need a \
                     PostgreSQL server and pass without running.\n!!!   eval \"$(scripts/pg-start)\" \
                     starts one; scripts/test (and so CI) always does.\n"
                );
            }
            None
        }
    }
}

/// A schema name no other test uses, now or in another process.
pub fn unique_schema(tag: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("koc_t_{tag}_{}_{n}_{nanos}", std::process::id())
}

/// Options for a fresh schema on the test server.
pub fn options(url: &str, tag: &str) -> PostgresOptions {
    PostgresOptions::new(url)
        .schema(unique_schema(tag))
        .max_connections(4)
}

/// A store on a fresh schema, or `None` when no server is configured.
pub async fn fresh_store(tag: &str) -> Option<PostgresStore> {
    let url = database_url()?;
    Some(
        options(&url, tag)
            .connect()
            .await
            .unwrap_or_else(|e| panic!("connecting to {url}: {e}")),
    )
}

/// Runs `work` on another store of the same schema, to completion, on a
/// runtime of its own on another thread: from inside an observer, which
/// cannot await.
pub fn meanwhile<F, Fut>(url: String, schema: String, work: F)
where
    F: FnOnce(PostgresStore) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    koc_core::conformance::between::on_another_thread(async move {
        let other = PostgresOptions::new(url)
            .schema(schema)
            .max_connections(1)
            .connect()
            .await
            .unwrap();
        work(other.clone()).await;
        other.close().await;
    });
}
