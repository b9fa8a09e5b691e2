//! The koc store on PostgreSQL.
//!
//! TODO: overview and example.

mod circulation;
mod codec;
mod error;
mod history;
mod locks;
mod migrate;
mod options;
mod process;
mod queue;
mod rows;
mod store;

pub use migrate::SCHEMA_VERSION;
pub use options::{DEFAULT_MAX_CONNECTIONS, DEFAULT_SCHEMA, PostgresOptions};
pub use store::PostgresStore;
