//! The stores the benchmarks run on: in memory, an SQLite file in a
//! temporary directory, and PostgreSQL in a schema of its own when
//! `DATABASE_URL` is set. Each is opened fresh and removed afterwards.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use koc_core::{MemoryStore, Store};
use koc_store_postgres::{PostgresOptions, PostgresStore};
use koc_store_sqlite::SqliteStore;

/// A kind of store to benchmark.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// [`MemoryStore`]: the reference store, without a database (not a
    /// floor: it is written to be obviously right, not fast).
    Memory,
    /// [`SqliteStore`] on a file in a new temporary directory.
    Sqlite,
    /// [`PostgresStore`] on the server at this URL, in a new schema.
    Postgres(String),
}

impl Backend {
    /// The backends to benchmark: memory and SQLite always, PostgreSQL when
    /// `DATABASE_URL` is set. Without it, prints a loud line on standard
    /// error saying that `bench` skips PostgreSQL.
    pub fn from_env(bench: &str) -> Vec<Backend> {
        let mut backends = vec![Backend::Memory, Backend::Sqlite];
        match std::env::var("DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => backends.push(Backend::Postgres(url)),
            _ => eprintln!(
                "\n!!! SKIPPED: {bench} on PostgreSQL: DATABASE_URL is not set \
                 (eval \"$(scripts/pg-start)\" starts a throwaway server)\n"
            ),
        }
        backends
    }

    /// `memory`, `sqlite` or `postgres`: the benchmark's name.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Memory => "memory",
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// A new, empty store of this kind.
    ///
    /// # Errors
    ///
    /// When the store cannot be created or reached.
    pub async fn open(&self) -> Result<OpenStore, koc_core::Error> {
        match self {
            Backend::Memory => {
                let store = Arc::new(MemoryStore::new());
                Ok(OpenStore {
                    store,
                    held: Held::Nothing,
                })
            }
            Backend::Sqlite => {
                let dir = tempfile::tempdir()
                    .map_err(|e| koc_core::Error::database("creating a temporary directory", e))?;
                let store = SqliteStore::open(dir.path().join("koc.sqlite")).await?;
                Ok(OpenStore {
                    store: Arc::new(store),
                    held: Held::Directory(dir),
                })
            }
            Backend::Postgres(url) => {
                static SCHEMAS: AtomicU64 = AtomicU64::new(0);
                let schema = format!(
                    "koc_bench_{}_{}",
                    std::process::id(),
                    SCHEMAS.fetch_add(1, Ordering::Relaxed)
                );
                let store = PostgresOptions::new(url.clone())
                    .schema(schema)
                    .connect()
                    .await?;
                Ok(OpenStore {
                    store: Arc::new(store.clone()),
                    held: Held::Schema(store),
                })
            }
        }
    }
}

/// A store opened for one iteration of a benchmark.
pub struct OpenStore {
    store: Arc<dyn Store>,
    held: Held,
}

enum Held {
    Nothing,
    Directory(tempfile::TempDir),
    Schema(PostgresStore),
}

impl std::fmt::Debug for OpenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenStore").finish_non_exhaustive()
    }
}

impl OpenStore {
    /// The store.
    pub fn store(&self) -> &dyn Store {
        &*self.store
    }

    /// Closes the store and deletes what it wrote: the temporary directory
    /// of an SQLite file, the schema on PostgreSQL.
    ///
    /// # Errors
    ///
    /// When the directory cannot be deleted or the schema dropped.
    pub async fn remove(self) -> Result<(), koc_core::Error> {
        drop(self.store);
        match self.held {
            Held::Nothing => Ok(()),
            Held::Directory(dir) => dir
                .close()
                .map_err(|e| koc_core::Error::database("deleting the temporary directory", e)),
            Held::Schema(store) => store.drop_schema().await,
        }
    }
}
