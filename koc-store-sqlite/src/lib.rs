//! The embedded koc store: the circulation data, the pending queue of
//! offline operations and their history in one SQLite file (or in memory),
//! with no server to run.
//!
//! [`SqliteStore`] implements the whole store contract of [`koc_core`]
//! ([`Queue`](koc_core::Queue), [`History`](koc_core::History),
//! [`Circulation`](koc_core::Circulation), [`Processor`](koc_core::Processor))
//! and passes its conformance suite, on a file and in memory.
//!
//! ```
//! use koc_core::{
//!     Action, Circulation, Item, Operation, Patron, ProcessRun, ProcessedOperation, Processor,
//!     Queue, Source,
//! };
//! use koc_store_sqlite::SqliteStore;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let store = SqliteStore::open(dir.path().join("koc.sqlite")).await?;
//!
//! // The library's data, as loaded from its system.
//! store.upsert_patrons(&[Patron::new("23529001000463", "Doe")]).await?;
//! store.upsert_items(&[Item::new("31000000123456", "The Left Hand of Darkness")]).await?;
//!
//! // An issue recorded at a desk during the outage.
//! let issue = Operation {
//!     action: Action::Issue,
//!     time: "2026-07-22T10:15:30".parse()?,
//!     cardnumber: Some("23529001000463".into()),
//!     barcode: Some("31000000123456".into()),
//!     amount: None,
//!     due: None,
//!     userid: "admin".into(),
//!     branch: "CPL".into(),
//!     workstation: None,
//!     source: Source::File { name: "desk1.koc".into(), line: 2 },
//! };
//! let queued = store.enqueue(None, &[issue]).await?;
//! assert_eq!(queued.added.len(), 1);
//!
//! // Process the queue, printing each outcome as its batch commits.
//! let mut print = |batch: &[ProcessedOperation]| {
//!     for result in batch {
//!         println!("{} {}: {}", result.pending.id, result.outcome.code, result.outcome.message);
//!     }
//! };
//! let summary = store.process(&ProcessRun::all("admin"), &mut print).await?;
//! assert_eq!(summary.processed, 1);
//! # Ok(())
//! # }
//! ```
//!
//! # Concurrency
//!
//! - **One connection per store**, shared by its clones, used by one task at
//!   a time. Every call takes it through an async mutex (waiting never
//!   blocks the executor) and runs its SQLite work on tokio's blocking
//!   thread pool ([`tokio::task::spawn_blocking`]). A processing run takes
//!   it once per batch, so other calls on the same store (a desk lookup
//!   during a long run) get in between batches. Its observer sees each
//!   batch while the next one is processed (on a task of its own), so that
//!   printing results does not hold the run up; a call the observer makes on
//!   the same store waits for that batch.
//! - **Several processes on one file** (or several stores on one file in a
//!   process) wait for each other instead of failing with "database is
//!   locked": the file is in WAL mode, so readers never wait for the writer;
//!   every write is one `BEGIN IMMEDIATE` transaction, so a writer waits, at
//!   its start, for the one before it to commit; and the wait is bounded by
//!   a generous busy timeout ([`SqliteOptions::busy_timeout`], one minute by
//!   default), after which the call fails with [`koc_core::Error::Database`].
//!   A writer gets in while a long processing run goes on, between two of
//!   its batches: a waiting connection tries again every millisecond, and a
//!   run on a file pauses 2 ms after each commit. (SQLite's own busy handler
//!   tries with pauses growing to 100 ms, which almost never fall in the
//!   microseconds between a commit and the next batch: the writer then
//!   waited for the whole run and failed if its timeout ended first.) The
//!   pause is 2 ms per batch: with 36 000 operations a batch takes about
//!   0.5 s (the `koc` tool's batches, on the figures of `benches/`), with the
//!   default 2 000 about 60 ms, so it costs a run well under 1% and about 3%.
//! - **A run of the whole queue on a file uses two connections**: while
//!   the store's connection writes a batch, a connection of the run's own
//!   (`query_only`, opened for the run) chooses, loads and decides the next
//!   one from the data last committed, caught up with the batch being
//!   written ([`koc_core::BatchState::catch_up`]). Reading and writing then
//!   take a core each: 1 000 000 operations in about 0.7 times the time of
//!   one connection (see `benches/README.md`). Before writing a batch
//!   decided that way, the store's connection checks, in its write
//!   transaction, that nothing else wrote since (no commit by another
//!   connection, `PRAGMA data_version`; no other write on its own
//!   connection, its count of changed rows); if something did, the batch
//!   is chosen, loaded and decided again in that transaction, as with one
//!   connection. A run of one library or of chosen operations, a dry run,
//!   and a store in memory use one connection.
//! - **Two processing runs at once** (two processes, or two tasks) never
//!   process an operation twice and keep the time order: each batch is
//!   written in one write transaction that takes the earliest operations
//!   still pending (decided there, or checked to be what was decided from),
//!   applies them and removes them from the queue before it commits.
//! - **Checkpoints run in the background**: a thread with a connection of
//!   its own copies the WAL back into the database file once it holds
//!   [`SqliteOptions::checkpoint_pages`] pages, on another core, instead of
//!   the committing call doing it.
//!
//! # Processing and crash safety
//!
//! Each batch of a run (`ProcessRun::batch_size` operations, 2 000 by
//! default) is one transaction that selects the next pending operations in
//! (time, id) order, loads the patrons, items, loans, debts and holds they
//! touch with one set-based query each (a run of one branch or of chosen
//! operations also reads the queue up to the batch, once, for earlier
//! operations it leaves behind), lets [`koc_core::Engine`] decide, writes the effects, moves the
//! operations to history with their outcome, who processed them and when,
//! and deletes them from the queue. (A run of the whole queue on a file
//! selects, loads and decides on its reading connection, ahead of the
//! transaction, which writes that only after checking that nothing else
//! wrote since, and otherwise selects, loads and decides again itself: see
//! Concurrency.) Items are loaded without their
//! catalogue text, kept in a table of its own (schema 2), so that the row
//! each operation reads and rewrites is narrow. It all commits, or none of it: a crash
//! or a kill at any point leaves every operation either applied and in
//! history, or untouched and pending. A [`koc_core::PolicyError`] or any
//! failure rolls the batch in progress back; earlier batches stay
//! committed. Foreign key checks are off inside a batch: every row it
//! writes refers to patrons and items it loaded in the same transaction.
//!
//! Larger batches are much faster on SQLite: a batch writes each page it
//! changed once, so 20 000 to 50 000 operations per transaction (about 3 KB
//! of memory per operation, besides the page cache, and a run on two
//! connections holds about two batches) write a fraction of what 2 000 do,
//! as long as the page cache ([`SqliteOptions::cache_size_kib`]) holds the
//! pages a batch changes; the `koc` tool processes 36 000 at a time on
//! SQLite, with a 48 MiB page cache. Past twice [`SqliteOptions::checkpoint_pages`], a commit waits
//! for the checkpoint so that the WAL starts over instead of growing. A
//! run on two connections always has a read transaction open while it
//! commits, which keeps any checkpoint from copying the whole WAL back and
//! so the WAL from starting over; past four times the mark it checkpoints
//! between two batches, when neither connection has a transaction open
//! (1M operations: the WAL at most 297 MiB instead of 418 to 1064 MiB).
//!
//! With [`Synchronous::Normal`] (the default) a commit survives a crash of
//! the program; a power cut may undo the last batches, effects and queue
//! removal together. [`Synchronous::Full`] makes every commit durable.
//!
//! **A dry run** is the whole run in one write transaction, rolled back at
//! the end: batches are decided and written as in a real run, so the
//! outcomes are the ones a real run would give, and nothing is kept.
//! Other writers wait for it to finish (readers on other connections, and
//! opening the file, do not; calls on the same store, which share its
//! connection, wait too). A dry run the caller stops awaiting half-way is
//! rolled back where it is dropped.
//!
//! # The database
//!
//! Opening a file creates it if needed and applies this crate's schema
//! migrations in order ([`SCHEMA_VERSION`]); a database written by a newer
//! koc is refused with [`koc_core::Error::SchemaTooNew`], a file that is not
//! a koc database (not SQLite, damaged, or another program's) with
//! [`koc_core::Error::NotKocDatabase`]. Card numbers, usernames and
//! barcodes are unique by index; loans, holds and debts refer to existing
//! patrons and items by foreign key, and constraint violations come back as
//! [`koc_core::Error::Constraint`] of the matching kind. Times are stored to
//! the microsecond.
//!
//! Every operation enqueued is kept in a table of operations (never
//! deleted; its fingerprint is unique there, which is how a second upload
//! of the same operation is recognised, pending or processed); the queue
//! and the history refer to it. Enqueuing writes many rows per statement,
//! and expects the operations to be new: the unique index is then the only
//! lookup of each fingerprint. When it refuses one, the rows written so far
//! by the call are removed and the call looks its fingerprints up first,
//! which it also does at once when the first operation is known (a file
//! uploaded again).
//!
//! The desk search ([`search_patrons`](koc_core::Circulation::search_patrons))
//! keeps a table of the folded words of every patron's names, so each word
//! typed is a range scan of an index, never a scan of all patrons.
//!
//! # Building SQLite for speed
//!
//! SQLite is compiled into this crate (libsqlite3-sys, bundled). The koc
//! workspace builds it with
//! `LIBSQLITE3_FLAGS="-DSQLITE_DEFAULT_MEMSTATUS=0 -USQLITE_ENABLE_MEMORY_MANAGEMENT"`
//! (its `.cargo/config.toml`): without memory statistics, and with a page
//! cache per connection rather than one shared by the process, neither of
//! which takes a global mutex on SQLite's hot paths (about 12% of a large
//! processing run). A program that embeds this crate sets the variable in
//! its own build to get the same; the crate works the same either way.

mod busy;
mod checkpoint;
mod circulation;
mod closed_loans;
mod codec;
mod error;
mod history;
mod insert;
mod list;
mod options;
mod process;
mod query;
mod queue;
mod rows;
mod schema;
mod source_files;
mod store;

pub use options::{SqliteOptions, Synchronous};
pub use schema::{APPLICATION_ID, SCHEMA_VERSION};
pub use store::SqliteStore;
#[cfg(test)]
mod plans;
