//! The koc store on PostgreSQL: the pending queue of offline circulation
//! operations, its history and the library's circulation data on a server
//! that many desks, processes and machines share.
//!
//! [`PostgresStore`] implements the store contract of [`koc_core`]
//! ([`Queue`](koc_core::Queue), [`History`](koc_core::History),
//! [`Circulation`](koc_core::Circulation), [`Processor`](koc_core::Processor))
//! and passes its whole conformance suite, so it behaves as the in-memory
//! and SQLite stores do.
//!
//! # Example
//!
//! Connect, load a patron and an item, queue a check-out recorded during
//! the outage, and process the queue:
//!
//! ```no_run
//! use koc_core::{
//!     Action, Circulation, Item, Operation, Patron, ProcessRun, ProcessedOperation, Processor,
//!     Queue, Source,
//! };
//! use koc_store_postgres::{PostgresOptions, PostgresStore};
//!
//! # async fn example() -> Result<(), koc_core::Error> {
//! // The tables live in the schema `library_cpl`, created on first use.
//! let store: PostgresStore = PostgresOptions::new("postgres://koc@localhost/koc")
//!     .schema("library_cpl")
//!     .connect()
//!     .await?;
//!
//! store.upsert_patrons(&[Patron::new("23529001000463", "Doe")]).await?;
//! store.upsert_items(&[Item::new("31000000123456", "The Left Hand of Darkness")]).await?;
//!
//! let checkout = Operation {
//!     action: Action::Issue,
//!     time: "2026-07-22T10:15:30".parse().expect("a time"),
//!     cardnumber: Some("23529001000463".into()),
//!     barcode: Some("31000000123456".into()),
//!     amount: None,
//!     due: None,
//!     userid: "admin".into(),
//!     branch: "CPL".into(),
//!     workstation: Some("desk-1".into()),
//!     source: Source::Request { detail: None },
//! };
//! let report = store.enqueue(None, &[checkout]).await?;
//! println!("queued {} operation(s)", report.added.len());
//!
//! // Any number of processes may run this at once: they take turns, batch
//! // by batch, and never apply an operation twice.
//! let mut print = |batch: &[ProcessedOperation]| {
//!     for result in batch {
//!         println!("{}: {}", result.pending.id, result.outcome.message);
//!     }
//! };
//! let summary = store.process(&ProcessRun::all("admin"), &mut print).await?;
//! println!("{} processed", summary.processed);
//! # Ok(())
//! # }
//! ```
//!
//! # Schemas and migrations
//!
//! A store keeps all its tables in one schema ([`DEFAULT_SCHEMA`] unless
//! [`PostgresOptions::schema`] says otherwise), so several libraries, or
//! tests running in parallel, can share one server. Connecting creates the
//! schema when it is missing and applies the migrations it lacks, recorded in
//! its `koc_migrations` table, in one transaction under an advisory lock. A
//! schema made by a newer koc is refused
//! ([`Error::SchemaTooNew`](koc_core::Error::SchemaTooNew)); a schema
//! holding other tables is not touched
//! ([`Error::NotKocDatabase`](koc_core::Error::NotKocDatabase)).
//!
//! # Enqueuing
//!
//! An enqueue is one transaction under the schema's enqueue lock. Every
//! operation's fingerprint is unique (the same operation uploaded twice is
//! recognised, pending or processed). Operations later than the greatest
//! fingerprint known cannot be known and are written at once. The others (a
//! desk's file covering hours another desk's already did) are written
//! expecting them to be new too, in a savepoint, so that the unique index
//! is the only lookup; a known one rolls the savepoint back and the call
//! looks the batch up first, as it does at once when its first operation is
//! known (a file uploaded again). Large batches go by `COPY`.
//!
//! # Processing
//!
//! Each batch of [`ProcessRun::batch_size`](koc_core::ProcessRun) operations
//! is one transaction that begins with `pg_advisory_xact_lock` on the
//! schema's queue lock, then takes the next pending operations in time
//! order, loads what they touch with one query per kind, lets
//! [`koc_core::Engine`] decide, and writes the effects, the move from the
//! queue to history and the batch's count of queue changes in one
//! statement (the parts of one `WITH`). Processors on other connections, processes or
//! machines wait for the lock, so batches never interleave; PostgreSQL
//! releases it when the transaction ends, and when a processor's connection
//! dies, so a crashed processor leaves its batch unapplied and the queue
//! free. Deleting and requeuing take the same lock; enqueuing takes its own.
//!
//! While a batch is written, the next one is taken and loaded on a second
//! connection of the pool, when one is free, and used only if it is still
//! the next one under the lock (brought up to date with what the batches
//! committed since wrote); a run uses two connections at a time, and a
//! third now and then (below).
//!
//! # Vacuuming during long runs
//!
//! Returns delete open loans faster than autovacuum comes by: without a
//! vacuum, PostgreSQL reuses none of the space they leave, so a run of a
//! million operations grew `loans` five times over, and its searches by
//! barcode slowed as it went. A run therefore vacuums `loans` itself on a
//! spare connection of the pool (`VACUUM (SKIP_LOCKED, TRUNCATE false)`),
//! beside its batches and never holding them up, each time it has ended as
//! many open loans as half the table holds (and at least 10 000). A role
//! that does not own the table cannot vacuum it, and the run goes on
//! without; [`PostgresOptions::vacuum_loans_after`] changes the floor, or
//! turns it off for a host whose own maintenance sees to it.
//!
//! A **dry run** is the whole run in one transaction rolled back at the end:
//! its outcomes are exactly those a real run would give, nothing is written,
//! and real processing, deleting and requeuing wait until it ends.
//!
//! # Values
//!
//! Money is `numeric(28,6)` as Koha keeps it, exchanged as whole millionths
//! so that nothing passes through floating point. Operation times keep
//! their nanoseconds (PostgreSQL's `timestamp` keeps microseconds; the rest
//! is kept beside it); times in the circulation data keep microseconds.
//! Constraint violations (SQLSTATE 23505, 23503, 23502, 23514) come back as
//! [`Error::Constraint`](koc_core::Error::Constraint) with the
//! [`ConstraintKind`](koc_core::ConstraintKind) every store uses.

mod circulation;
mod codec;
mod copy;
mod earlier;
mod error;
mod history;
mod locks;
mod migrate;
mod options;
mod place;
mod process;
mod queue;
mod rows;
mod source_files;
mod store;
#[cfg(test)]
mod testing;

pub use migrate::SCHEMA_VERSION;
pub use options::{DEFAULT_MAX_CONNECTIONS, DEFAULT_SCHEMA, PostgresOptions};
pub use store::PostgresStore;
