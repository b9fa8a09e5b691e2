//! The processing engine: a pure function from pending operations and the
//! state they touch to outcomes and effects.
//!
//! A store processes a batch in three steps (see `architecture.md`,
//! principle 2), all inside one transaction:
//!
//! 1. load the batch's operations (in time order, then enqueue order) and a
//!    [`BatchState`] with everything they touch ([`BatchKeys`] says what);
//! 2. call [`Engine::decide`], which walks the operations in order over that
//!    state and returns an [`Outcome`](crate::Outcome) for each and the net
//!    [`Effects`];
//! 3. write the effects and move the operations to history.
//!
//! Step 2 never touches a database, so every rule is unit-tested here and
//! every store gets the same semantics.

mod decide;
mod effects;
mod policy;
mod state;
mod touched;

pub use decide::{Decisions, Engine};
pub use effects::Effects;
pub use policy::{ConflictRule, LoanPolicy, PolicyError, UnknownConflictRule};
pub use state::{BatchKeys, BatchState, ByKey};

#[cfg(test)]
mod tests;
