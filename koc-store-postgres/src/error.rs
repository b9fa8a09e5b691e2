//! How database errors become the store contract's errors.

use koc_core::{ConstraintKind, Error};

/// The constraint a PostgreSQL SQLSTATE names, if it names one.
pub(crate) fn constraint_kind(sqlstate: &str) -> Option<ConstraintKind> {
    match sqlstate {
        "23505" => Some(ConstraintKind::Unique),
        "23503" => Some(ConstraintKind::ForeignKey),
        "23502" => Some(ConstraintKind::NotNull),
        "23514" => Some(ConstraintKind::Check),
        _ => None,
    }
}

/// `error`, classified: a broken constraint becomes
/// [`Error::Constraint`], anything else [`Error::Database`] saying what was
/// being done.
pub(crate) fn from_sqlx(doing: &str, error: sqlx::Error) -> Error {
    if let sqlx::Error::Database(db) = &error
        && let Some(kind) = db.code().as_deref().and_then(constraint_kind)
    {
        let detail = match db.constraint() {
            Some(name) => format!("{} ({name})", db.message()),
            None => db.message().to_owned(),
        };
        return Error::Constraint { kind, detail };
    }
    Error::database(doing, error)
}

/// `.doing("what")` on a sqlx result: the error classified by [`from_sqlx`].
pub(crate) trait Doing<T> {
    fn doing(self, what: &str) -> Result<T, Error>;
}

impl<T> Doing<T> for Result<T, sqlx::Error> {
    fn doing(self, what: &str) -> Result<T, Error> {
        self.map_err(|e| from_sqlx(what, e))
    }
}

/// A value read from the database that this code cannot make sense of.
pub(crate) fn corrupt(what: impl std::fmt::Display) -> Error {
    Error::NotKocDatabase(format!("unexpected data: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_map_to_the_same_kinds_as_every_store() {
        assert_eq!(constraint_kind("23505"), Some(ConstraintKind::Unique));
        assert_eq!(constraint_kind("23503"), Some(ConstraintKind::ForeignKey));
        assert_eq!(constraint_kind("23502"), Some(ConstraintKind::NotNull));
        assert_eq!(constraint_kind("23514"), Some(ConstraintKind::Check));
        assert_eq!(constraint_kind("40001"), None);
    }
}
