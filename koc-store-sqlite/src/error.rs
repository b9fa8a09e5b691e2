//! How SQLite's errors become koc's: constraint violations by kind, a file
//! that is not a koc database, and everything else as a database error
//! that says what was being done.

use koc_core::{ConstraintKind, Error};
use rusqlite::ErrorCode;
use rusqlite::ffi;

/// The koc error for an SQLite error met while doing `what`.
pub(crate) fn sqlite(what: &str, error: rusqlite::Error) -> Error {
    match &error {
        rusqlite::Error::SqliteFailure(failure, message) => {
            let said = message.as_deref().unwrap_or("");
            match failure.code {
                ErrorCode::ConstraintViolation => Error::Constraint {
                    kind: constraint_kind(failure.extended_code),
                    detail: format!("{what}: {said}"),
                },
                ErrorCode::NotADatabase => {
                    Error::NotKocDatabase(format!("{what}: the file is not an SQLite database"))
                }
                ErrorCode::DatabaseCorrupt => {
                    Error::NotKocDatabase(format!("{what}: the database is damaged ({said})"))
                }
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => Error::database(
                    format!(
                        "{what}: the database stayed locked by another connection for longer \
                         than the busy timeout"
                    ),
                    error,
                ),
                _ => Error::database(what.to_owned(), error),
            }
        }
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::Utf8Error(..) => {
            Error::NotKocDatabase(format!("{what}: a stored value is damaged: {error}"))
        }
        _ => Error::database(what.to_owned(), error),
    }
}

fn constraint_kind(extended_code: i32) -> ConstraintKind {
    match extended_code {
        ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => ConstraintKind::Unique,
        ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ConstraintKind::ForeignKey,
        ffi::SQLITE_CONSTRAINT_NOTNULL => ConstraintKind::NotNull,
        _ => ConstraintKind::Check,
    }
}

/// `.context("what")` on SQLite results.
pub(crate) trait Context<T> {
    /// The koc error for a failure while doing `what`.
    fn context(self, what: &str) -> Result<T, Error>;
}

impl<T> Context<T> for Result<T, rusqlite::Error> {
    fn context(self, what: &str) -> Result<T, Error> {
        self.map_err(|e| sqlite(what, e))
    }
}

/// A stored value this code cannot read: the database is damaged or was
/// written by something else.
pub(crate) fn damaged(detail: impl std::fmt::Display) -> Error {
    Error::NotKocDatabase(format!("a stored value is damaged: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(extended_code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(
            ffi::Error::new(extended_code),
            Some("UNIQUE constraint failed: patrons.userid".to_owned()),
        )
    }

    #[test]
    fn constraints_map_by_kind() {
        let kind = |code| sqlite("saving", failure(code)).constraint();
        assert_eq!(
            kind(ffi::SQLITE_CONSTRAINT_UNIQUE),
            Some(ConstraintKind::Unique)
        );
        assert_eq!(
            kind(ffi::SQLITE_CONSTRAINT_PRIMARYKEY),
            Some(ConstraintKind::Unique)
        );
        assert_eq!(
            kind(ffi::SQLITE_CONSTRAINT_FOREIGNKEY),
            Some(ConstraintKind::ForeignKey)
        );
        assert_eq!(
            kind(ffi::SQLITE_CONSTRAINT_NOTNULL),
            Some(ConstraintKind::NotNull)
        );
        assert_eq!(
            kind(ffi::SQLITE_CONSTRAINT_CHECK),
            Some(ConstraintKind::Check)
        );
        assert_eq!(kind(ffi::SQLITE_BUSY), None);
    }

    #[test]
    fn damage_and_foreign_files_are_not_koc_databases() {
        for code in [ffi::SQLITE_NOTADB, ffi::SQLITE_CORRUPT] {
            let error = sqlite("opening", failure(code));
            assert!(matches!(error, Error::NotKocDatabase(_)), "{error:?}");
        }
        let locked = sqlite("processing", failure(ffi::SQLITE_BUSY));
        assert!(locked.to_string().contains("locked"), "{locked}");
    }
}
