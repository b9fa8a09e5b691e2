//! Reading and writing Koha's offline circulation files (`.koc`).
//!
//! TODO(helper): crate overview with runnable examples of reading and writing.

mod amount;
mod error;
pub mod parse;
mod record;
mod timestamp;

pub use amount::{Amount, AmountError};
pub use error::{ErrorKind, Field, LineError, Warning, WarningKind};
pub use parse::{Lines, ParserConfig};
pub use record::{Action, Header, Line, Position, Record, Transaction, UnknownAction};
pub use timestamp::{DueDate, Timestamp, TimestampError};
