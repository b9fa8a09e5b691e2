//! [`SqliteStore`]: the connection, how it is opened, and how work reaches
//! it without blocking the async executor.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use koc_core::{Error, Result};
use rusqlite::{Connection, ErrorCode, Transaction, TransactionBehavior};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::checkpoint::Checkpointer;
use crate::error::Context;
use crate::options::SqliteOptions;
use crate::{busy, schema};

/// Prepared statements kept per connection: every statement of the hot
/// paths, and the few shapes of each filtered listing.
const STATEMENT_CACHE: usize = 96;

/// The connection, held by one task at a time.
pub(crate) type Conn = OwnedMutexGuard<Connection>;

/// A koc store in one SQLite file (or in memory): the circulation data, the
/// pending queue and its history.
///
/// Cloning is cheap and clones share one connection. See the
/// [crate documentation](crate) for the concurrency model.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    /// How long a call waits for another connection's write.
    busy_timeout: Duration,
    path: Option<Arc<Path>>,
    /// For a file: checkpoints in the background.
    checkpointer: Option<Arc<Checkpointer>>,
    /// Page cache of a processing run's reading connection, in KiB.
    reader_cache_kib: u32,
    /// Batches that processing runs decided on their reading connection
    /// and had to decide again, another writer having got in meanwhile.
    pub(crate) redone: Arc<AtomicU64>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the koc database at `path`, creating it if there is none, with
    /// the default [`SqliteOptions`]; brings its schema up to date.
    ///
    /// # Errors
    ///
    /// [`Error::NotKocDatabase`] for a file that is not an SQLite database,
    /// is damaged, or holds another program's tables;
    /// [`Error::SchemaTooNew`] for a database made by a newer koc;
    /// [`Error::Database`] when the file cannot be opened or created.
    pub async fn open(path: impl AsRef<Path>) -> Result<SqliteStore> {
        SqliteStore::open_with(path, SqliteOptions::default()).await
    }

    /// [`SqliteStore::open`] with these options.
    ///
    /// # Errors
    ///
    /// As [`SqliteStore::open`].
    pub async fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<SqliteStore> {
        let path: PathBuf = path.as_ref().to_owned();
        let opened = path.clone();
        let busy_timeout = options.busy_timeout;
        let reader_cache_kib = reader_cache_kib(&options);
        let (conn, checkpointer) = tokio::task::spawn_blocking(move || {
            let conn = connect(Some(&opened), &options)?;
            let checkpointer = Checkpointer::start(&conn, &opened, options.checkpoint_pages)?;
            Ok::<_, Error>((conn, checkpointer))
        })
        .await
        .map_err(|e| Error::database("opening the database", e))??;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            busy_timeout,
            path: Some(path.into()),
            checkpointer: Some(Arc::new(checkpointer)),
            reader_cache_kib,
            redone: Arc::default(),
        })
    }

    /// A new, empty store in memory, gone when the last clone is dropped.
    ///
    /// # Errors
    ///
    /// [`Error::Database`] if SQLite cannot set it up.
    pub async fn open_in_memory() -> Result<SqliteStore> {
        SqliteStore::open_in_memory_with(SqliteOptions::default()).await
    }

    /// [`SqliteStore::open_in_memory`] with these options.
    ///
    /// # Errors
    ///
    /// As [`SqliteStore::open_in_memory`].
    pub async fn open_in_memory_with(options: SqliteOptions) -> Result<SqliteStore> {
        let busy_timeout = options.busy_timeout;
        let reader_cache_kib = reader_cache_kib(&options);
        let conn = tokio::task::spawn_blocking(move || connect(None, &options))
            .await
            .map_err(|e| Error::database("opening the database", e))??;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            busy_timeout,
            path: None,
            checkpointer: None,
            reader_cache_kib,
            redone: Arc::default(),
        })
    }

    /// The database file; `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version of the database (see [`SCHEMA_VERSION`](crate::SCHEMA_VERSION)).
    ///
    /// # Errors
    ///
    /// A database error.
    pub async fn schema_version(&self) -> Result<i64> {
        self.call(|conn| {
            conn.query_row("SELECT max(version) FROM koc_schema", [], |row| row.get(0))
                .context("reading the schema version")
        })
        .await
    }

    /// How long a call waits for another connection's write.
    pub(crate) fn busy_timeout(&self) -> Duration {
        self.busy_timeout
    }

    /// A connection of its own that only reads, for a processing run that
    /// loads the next batch while the store's connection writes the one
    /// before; `None` in memory, where there is one connection only.
    pub(crate) async fn reader(&self) -> Result<Option<Connection>> {
        let Some(path) = self.path.clone() else {
            return Ok(None);
        };
        let cache_kib = self.reader_cache_kib;
        let timeout = self.busy_timeout;
        tokio::task::spawn_blocking(move || connect_reader(&path, cache_kib, timeout).map(Some))
            .await
            .map_err(|e| Error::database("opening a reading connection", e))?
    }

    /// Waits for the connection, without blocking the executor.
    pub(crate) async fn lock(&self) -> Conn {
        self.conn.clone().lock_owned().await
    }

    /// Runs `work` on the connection, on a blocking thread, with foreign
    /// key checks on.
    pub(crate) async fn call<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        self.call_checking(true, work).await
    }

    /// See [`Checkpointer::two_connection_run`]; `None` in memory.
    pub(crate) fn two_connection_run(&self) -> Option<crate::checkpoint::TwoConnectionRun<'_>> {
        self.checkpointer
            .as_ref()
            .map(|checkpointer| checkpointer.two_connection_run())
    }

    /// Checkpoints now if the WAL has grown past the mark: for a caller
    /// whose other connections have no transaction open (see
    /// [`Checkpointer::between_transactions`]).
    pub(crate) async fn checkpoint_between_transactions(&self) -> Result<()> {
        let Some(checkpointer) = self.checkpointer.clone() else {
            return Ok(());
        };
        self.call(move |conn| {
            checkpointer.between_transactions(conn);
            Ok(())
        })
        .await
    }

    /// Runs `work` on the connection, on a blocking thread, with foreign
    /// key checks on or off.
    async fn call_checking<T, F>(&self, checks: bool, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let conn = self.lock().await;
        let checkpointer = self.checkpointer.clone();
        let busy_timeout = self.busy_timeout;
        let (_conn, out) = blocking(conn, move |conn| {
            busy::set_timeout(busy_timeout);
            restore(conn)?;
            foreign_keys(conn, checks)?;
            if let Some(checkpointer) = &checkpointer {
                checkpointer.before();
            }
            let out = work(conn);
            if let Some(checkpointer) = &checkpointer {
                checkpointer.after(conn);
            }
            out
        })
        .await?;
        out
    }

    /// Runs `work` in one write transaction (`BEGIN IMMEDIATE`) that commits
    /// when it returns `Ok`, and rolls back otherwise.
    pub(crate) async fn write<T, F>(&self, what: &'static str, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        self.call(move |conn| transaction(conn, what, work)).await
    }

    /// [`SqliteStore::write`] without foreign key checks, for writes whose
    /// every reference holds by construction (rows written or read in the
    /// same transaction): checking them again would only cost time.
    pub(crate) async fn write_checked_by_construction<T, F>(
        &self,
        what: &'static str,
        work: F,
    ) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        self.call_checking(false, move |conn| transaction(conn, what, work))
            .await
    }
}

/// Runs `work` in one write transaction (`BEGIN IMMEDIATE`), committed if
/// it returns `Ok`.
pub(crate) fn transaction<T>(
    conn: &mut Connection,
    what: &str,
    work: impl FnOnce(&Transaction<'_>) -> Result<T>,
) -> Result<T> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .context(what)?;
    let out = work(&tx)?;
    tx.commit().context(what)?;
    Ok(out)
}

/// Runs `work` with the connection on a blocking thread and hands the
/// connection back with the result.
pub(crate) async fn blocking<T, F>(mut conn: Conn, work: F) -> Result<(Conn, T)>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> T + Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        let out = work(&mut conn);
        (conn, out)
    })
    .await
    .map_err(|e| Error::database("the SQLite worker thread failed", e))
}

/// Puts the connection back as calls expect it: a transaction left open by
/// a dry run that was abandoned is rolled back. (Each call sets foreign key
/// checks as it needs them.)
pub(crate) fn restore(conn: &Connection) -> Result<()> {
    if !conn.is_autocommit() {
        conn.execute_batch("ROLLBACK")
            .context("rolling back an abandoned transaction")?;
    }
    Ok(())
}

/// Turns foreign key checks on or off (outside a transaction only), if
/// they are not already: setting them makes SQLite prepare every statement
/// again, so batches that follow each other keep them as they are.
pub(crate) fn foreign_keys(conn: &Connection, on: bool) -> Result<()> {
    let what = "setting foreign key checks";
    let now: bool = conn
        .prepare_cached("PRAGMA foreign_keys")
        .and_then(|mut pragma| pragma.query_row([], |row| row.get(0)))
        .context(what)?;
    if now == on {
        return Ok(());
    }
    let sql = if on {
        "PRAGMA foreign_keys = ON"
    } else {
        "PRAGMA foreign_keys = OFF"
    };
    conn.prepare_cached(sql)
        .and_then(|mut pragma| pragma.execute([]).map(|_| ()))
        .context(what)
}

/// Opens and sets up a connection: checks that the file is an SQLite
/// database, sets WAL, the busy timeout, durability, foreign keys and the
/// page cache, and migrates the schema.
fn connect(path: Option<&Path>, options: &SqliteOptions) -> Result<Connection> {
    let what = match path {
        Some(path) => format!("opening {}", path.display()),
        None => "opening an in-memory database".to_owned(),
    };
    let mut conn = match path {
        Some(path) => Connection::open(path),
        None => Connection::open_in_memory(),
    }
    .context(&what)?;
    let timeout = options
        .busy_timeout
        .min(Duration::from_millis(i32::MAX as u64));
    busy::set_timeout(timeout);
    busy::install(&conn).context(&what)?;
    // Reading the schema makes SQLite read the file's header: a file that is
    // not a database, or a damaged one, says so here.
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |row| {
        row.get::<_, i64>(0)
    })
    .context(&what)?;
    if path.is_some() {
        set_wal(&conn, timeout).context(&what)?;
    }
    conn.execute_batch(&format!(
        "PRAGMA synchronous = {};
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -{};
         PRAGMA temp_store = MEMORY;
         PRAGMA journal_size_limit = {};",
        options.synchronous.pragma(),
        options.cache_size_kib,
        // Once the WAL starts over, a file grown far past the checkpoint
        // size by one large transaction is cut back.
        u64::from(options.checkpoint_pages).saturating_mul(4 * 4096)
    ))
    .context(&what)?;
    rusqlite::vtab::array::load_module(&conn).context(&what)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    schema::migrate(&mut conn)?;
    Ok(conn)
}

/// The page cache of a processing run's reading connection: a sixteenth
/// of the store's (4 MiB by default), enough for the inner pages of the
/// B-trees it looks keys up in; the leaves come from the system's file
/// cache. The store's connection keeps the large cache: it changes pages
/// and reads them again. (1 000 000 operations: 4 MiB is no slower than
/// 16 MiB, 26.0 and 21.0 s against 27.2 and 23.0 s, and peaks 25 MiB
/// lower.)
fn reader_cache_kib(options: &SqliteOptions) -> u32 {
    (options.cache_size_kib / 16).max(1024)
}

/// Opens a connection that only reads (`query_only`), to a database the
/// store has opened (and migrated) already.
fn connect_reader(path: &Path, cache_kib: u32, timeout: Duration) -> Result<Connection> {
    let what = format!("opening {} to read", path.display());
    let conn = Connection::open(path).context(&what)?;
    busy::set_timeout(timeout);
    busy::install(&conn).context(&what)?;
    conn.execute_batch(&format!(
        "PRAGMA query_only = ON;
         PRAGMA cache_size = -{cache_kib};
         PRAGMA temp_store = MEMORY;"
    ))
    .context(&what)?;
    rusqlite::vtab::array::load_module(&conn).context(&what)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// Switches to WAL. Changing the journal mode needs the file to itself for
/// a moment, so another process opening it at the same instant can make
/// this fail with "busy" even with a busy timeout: retry until the timeout.
fn set_wal(conn: &Connection, timeout: Duration) -> rusqlite::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |row| {
            row.get::<_, String>(0)
        }) {
            // A file system that cannot do WAL keeps the rollback journal:
            // still correct, with readers and writers waiting for each other.
            Ok(_) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(failure, _))
                if failure.code == ErrorCode::DatabaseBusy && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(e),
        }
    }
}
