//! The store contract: what a database must do for koc, whatever the
//! database.
//!
//! Four traits with a small required surface: [`Queue`], [`History`],
//! [`Circulation`] and [`Processor`]. [`Store`] is all four, implemented for
//! every type that has them. Conveniences built on them live in
//! [`StoreExt`], implemented once for every store.
//!
//! A store proves it keeps the contract by running the conformance suite
//! (feature `conformance`, module [`conformance`](crate::conformance)).

mod circulation;
mod ext;
mod history;
mod process;
mod queue;

pub use circulation::{Circulation, HoldFilter, LoanFilter};
pub use ext::StoreExt;
pub use history::History;
pub use process::{
    DEFAULT_BATCH_SIZE, ProcessObserver, ProcessRun, ProcessSummary, ProcessedOperation, Processor,
    Selection,
};
pub use queue::Queue;

/// Everything koc needs from a database. Implemented for every type that
/// implements the four parts.
pub trait Store: Queue + History + Circulation + Processor {}

impl<T: Queue + History + Circulation + Processor + ?Sized> Store for T {}
