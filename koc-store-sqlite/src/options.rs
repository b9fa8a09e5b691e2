//! How a store opens its database.

use std::time::Duration;

/// How hard SQLite makes sure a commit survives a power cut
/// (`PRAGMA synchronous`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Synchronous {
    /// SQLite's `NORMAL` in WAL mode: a commit is never half applied, and
    /// survives a crash of the program; a power cut or an operating system
    /// crash may undo the last batches committed (they are then pending
    /// again, their effects undone with them). The default.
    #[default]
    Normal,
    /// SQLite's `FULL`: every commit is on the disk before it returns.
    /// Slower.
    Full,
}

impl Synchronous {
    pub(crate) fn pragma(self) -> &'static str {
        match self {
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        }
    }
}

/// Settings for opening a [`SqliteStore`](crate::SqliteStore).
///
/// ```
/// use std::time::Duration;
/// use koc_store_sqlite::{SqliteOptions, Synchronous};
///
/// let options = SqliteOptions::default()
///     .busy_timeout(Duration::from_secs(300))
///     .synchronous(Synchronous::Full);
/// assert_eq!(options.cache_size_kib, 64 * 1024);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// How long a call waits for another connection (another process, or
    /// another store on the same file) to finish its write before failing
    /// with a database error. Default: 60 seconds.
    pub busy_timeout: Duration,
    /// Durability of commits. Default: [`Synchronous::Normal`].
    pub synchronous: Synchronous,
    /// Memory for SQLite's page cache, in KiB. Default: 64 MiB.
    pub cache_size_kib: u32,
    /// How many pages the WAL may hold before a checkpoint copies them
    /// into the database file, in the background. Default: 16 384 (64 MiB
    /// with 4 KiB pages).
    pub checkpoint_pages: u32,
}

impl Default for SqliteOptions {
    fn default() -> SqliteOptions {
        SqliteOptions {
            busy_timeout: Duration::from_secs(60),
            synchronous: Synchronous::Normal,
            cache_size_kib: 64 * 1024,
            checkpoint_pages: 16_384,
        }
    }
}

impl SqliteOptions {
    /// With this busy timeout.
    pub fn busy_timeout(mut self, timeout: Duration) -> SqliteOptions {
        self.busy_timeout = timeout;
        self
    }

    /// With this durability.
    pub fn synchronous(mut self, synchronous: Synchronous) -> SqliteOptions {
        self.synchronous = synchronous;
        self
    }

    /// With this much page cache, in KiB.
    pub fn cache_size_kib(mut self, kib: u32) -> SqliteOptions {
        self.cache_size_kib = kib;
        self
    }

    /// With a checkpoint once the WAL holds this many pages.
    pub fn checkpoint_pages(mut self, pages: u32) -> SqliteOptions {
        self.checkpoint_pages = pages;
        self
    }
}
