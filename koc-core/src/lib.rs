//! Offline circulation: the domain, the pending queue, the processing engine
//! and the store contract.
//!
//! TODO: overview and runnable example.

#[cfg(feature = "conformance")]
pub mod conformance;
mod domain;
mod engine;
mod error;
mod memory;
mod outcome;
mod queue;
mod store;

pub use domain::*;
pub use engine::*;
pub use error::{ConstraintKind, Error, Result};
pub use koc_format::{Action, Amount as Money, DueDate};
pub use memory::MemoryStore;
pub use outcome::{Outcome, OutcomeCode, Warning, WarningCode};
pub use queue::*;
pub use store::*;
