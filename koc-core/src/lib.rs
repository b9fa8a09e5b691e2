//! Offline circulation: the domain, the pending queue, the processing engine
//! and the store contract.
//!
//! While a library's system is down, its desks keep lending and record what
//! they do in `.koc` files. Afterwards those operations are uploaded into a
//! **pending queue**, reviewed by staff, and **processed** into the live
//! circulation data — in time order, exactly once, with an [`Outcome`] for
//! each that says what happened and what staff should look at.
//!
//! - The domain: [`Patron`], [`Item`], [`Loan`], [`AccountLine`], [`Hold`],
//!   [`LoanRule`]; exact [`Money`].
//! - The queue: an [`Operation`] becomes a [`PendingOperation`] with an id
//!   and a [`Fingerprint`] that keeps it from being queued twice; processed
//!   and deleted ones move to history ([`HistoryEntry`]).
//! - The engine: [`Engine::decide`] is a pure function from operations and
//!   the state they touch ([`BatchState`]) to outcomes and net [`Effects`].
//!   It follows Koha's rules by default and fixes where Koha loses data:
//!   newer loans win over offline operations ([`ConflictRule`]), exceptions
//!   are reported as [`Warning`]s, payments are dated when they were made.
//! - The store contract: [`Queue`], [`History`], [`Circulation`] and
//!   [`Processor`], together [`Store`]; [`MemoryStore`] is the reference
//!   implementation, and the `conformance` feature holds the suite that
//!   every store (SQLite, PostgreSQL, yours) runs.
//!
//! # Example
//!
//! Load a small library, upload a desk's file, process it, print outcomes:
//!
//! ```
//! use koc_core::*;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let store = MemoryStore::new();
//! store.upsert_patrons(&[Patron::new("23529001000463", "Doe")]).await?;
//! store.upsert_items(&[
//!     Item::new("31000000123456", "The Left Hand of Darkness"),
//!     Item::new("31000000654321", "A Brief History of Time"),
//! ]).await?;
//!
//! let file = "Version=1.0\tGenerator=kocDesktop\tGeneratorVersion=1.3.2\r\n\
//!             2026-07-22 10-15-30 000\tissue\t23529001000463\t31000000123456\r\n\
//!             2026-07-22 10-16-02 000\treturn\t31000000654321\r\n\
//!             2026-07-22 10-17-45 000\tpayment\t23529001000463\t5.00\r\n";
//! let desk = Upload { userid: "admin".into(), branch: "CPL".into(), workstation: None };
//! let upload = FileUpload::new("desk1.koc", &desk, chrono::Local);
//! let report = enqueue_file(&store, file.as_bytes(), &upload, &mut |_| {}).await?;
//! assert_eq!(report.added, 3);
//!
//! let mut lines = Vec::new();
//! let mut print = |batch: &[ProcessedOperation]| {
//!     for done in batch {
//!         lines.push(format!("{} {}: {} {}", done.pending.operation.source,
//!             done.pending.operation.action, done.outcome.code, done.outcome.message));
//!     }
//! };
//! let summary = store.process(&ProcessRun::all("admin"), &mut print).await?;
//! assert_eq!(lines, [
//!     "desk1.koc:2 issue: issued Success.",
//!     "desk1.koc:3 return: not_issued Item not issued.",
//!     "desk1.koc:4 payment: payment_recorded Success.",
//! ]);
//! assert_eq!(summary.failed(), 1);
//! assert_eq!(store.balance("23529001000463").await?, Money::parse("-5.00")?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

#[cfg(feature = "conformance")]
pub mod conformance;
mod domain;
mod engine;
mod error;
mod memory;
mod outcome;
mod queue;
mod store;
mod time_text;

pub use domain::*;
pub use engine::*;
pub use error::{ConstraintKind, Error, Result};
pub use koc_format::{Action, Amount as Money, DueDate};
pub use memory::MemoryStore;
pub use outcome::{Outcome, OutcomeCode, Warning, WarningCode};
pub use queue::*;
pub use store::*;
pub use time_text::{TimePrecision, format_time, push_time};
