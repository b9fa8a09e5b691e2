//! How a command ends: its exit status, or the error that stopped it.

use std::process::ExitCode;

/// How a command that ran ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Everything asked was done: exit 0.
    Success,
    /// The work ran, but some operations failed, some lines were rejected or
    /// something asked for was not found: exit 1.
    Partial,
}

impl Status {
    /// `Partial` when `failed`, else `Success`.
    pub fn partial_if(failed: bool) -> Status {
        if failed {
            Status::Partial
        } else {
            Status::Success
        }
    }

    /// The worse of two.
    pub fn and(self, other: Status) -> Status {
        if self == Status::Partial || other == Status::Partial {
            Status::Partial
        } else {
            Status::Success
        }
    }

    /// The process exit code.
    pub fn exit_code(self) -> ExitCode {
        match self {
            Status::Success => ExitCode::SUCCESS,
            Status::Partial => ExitCode::from(1),
        }
    }
}

/// Why a command could not do its work. Every one exits with 2 and a
/// message naming the problem.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input: a file that cannot be read, a bad CSV, a bad URL ...
    #[error("{0}")]
    Input(String),
    /// A bad CSV file: every bad row, then nothing was loaded.
    #[error("{file}: {} bad row{}; nothing was loaded", rows.len(), if rows.len() == 1 { "" } else { "s" })]
    BadRows {
        /// The file as given.
        file: String,
        /// Each bad row: line number and what is wrong.
        rows: Vec<(u64, String)>,
    },
    /// The database failed or refused.
    #[error("{context}: {source}")]
    Store {
        /// What was being done.
        context: String,
        /// The store's error.
        #[source]
        source: koc_core::Error,
    },
    /// Writing the output failed (other than a closed pipe).
    #[error("writing the output: {0}")]
    Output(#[source] std::io::Error),
}

impl CliError {
    /// A store error while doing `context`.
    pub fn store(context: impl Into<String>) -> impl FnOnce(koc_core::Error) -> CliError {
        let context = context.into();
        move |source| CliError::Store { context, source }
    }
}

impl From<std::io::Error> for CliError {
    fn from(error: std::io::Error) -> CliError {
        CliError::Output(error)
    }
}

impl From<serde_json::Error> for CliError {
    fn from(error: serde_json::Error) -> CliError {
        CliError::Output(std::io::Error::other(error))
    }
}

/// A command's result.
pub type CliResult = Result<Status, CliError>;
