//! [`MemoryStore`]: the reference implementation of the store contract.

mod data;
mod store;

pub use store::MemoryStore;
