//! Output: tables for people, JSON for scripts, progress bars on a terminal.

pub mod json;
pub mod progress;
pub mod table;
pub mod time;

use std::io::Write;

use serde::Serialize;

use crate::error::CliError;

/// Writes `value` as pretty JSON and a line end.
///
/// # Errors
///
/// [`CliError::Output`] when writing fails.
pub fn write_json<T: Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> Result<(), CliError> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// `1 patron`, `2 patrons`: a count with its noun.
pub fn count(n: impl Into<u64>, singular: &str, plural: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("{n} {singular}")
    } else {
        format!("{n} {plural}")
    }
}
