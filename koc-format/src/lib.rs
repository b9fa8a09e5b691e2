//! Reading and writing Koha's offline circulation files (`.koc`).
//!
//! TODO(helper): crate overview with runnable examples of reading and writing.

mod amount;
mod error;
mod owned;
pub mod parse;
mod reader;
mod record;
mod timestamp;
mod writer;

pub use amount::{Amount, AmountError};
pub use error::{ErrorKind, Field, LineError, Warning, WarningKind};
pub use owned::{OwnedLine, OwnedRecord, OwnedTransaction};
pub use parse::{Lines, ParserConfig};
pub use reader::{OwnedLines, Reader};
pub use record::{Action, Header, Line, Position, Record, Transaction, UnknownAction};
pub use timestamp::{DueDate, Timestamp, TimestampError};
pub use writer::{WriteError, Writer, default_file_name};
