//! Errors of the store contract, the same for every store.

/// Which database constraint an operation broke, whatever the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConstraintKind {
    /// A unique key exists already (a card number, a username, a barcode).
    Unique,
    /// A reference to something that does not exist (a loan of an unknown
    /// patron or item).
    ForeignKey,
    /// A required value is missing.
    NotNull,
    /// A value is out of its allowed range.
    Check,
}

/// What can go wrong in a store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Data given to the store breaks one of its constraints; nothing of the
    /// call was written.
    #[error("{kind:?} constraint: {detail}")]
    Constraint {
        /// Which kind of constraint.
        kind: ConstraintKind,
        /// What the database said, or which value.
        detail: String,
    },
    /// The caller asked for something that cannot be done (an empty card
    /// number, a batch size of zero ...).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The loan policy failed; the batch it was deciding was not applied.
    #[error(transparent)]
    Policy(#[from] crate::PolicyError),
    /// The database was made by a newer version of this software.
    #[error(
        "the database has schema version {found}, newer than the {supported} this program knows; upgrade the program"
    )]
    SchemaTooNew {
        /// The version found.
        found: i64,
        /// The newest version this code knows.
        supported: i64,
    },
    /// The database is not a koc database, or is damaged.
    #[error("not a koc database: {0}")]
    NotKocDatabase(String),
    /// The database could not be reached, or failed (I/O, connection,
    /// timeout ...).
    #[error("database: {message}")]
    Database {
        /// What failed, in words.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl Error {
    /// A database error with its cause.
    pub fn database(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        Error::Database {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// The constraint broken, if that is what this error is.
    pub fn constraint(&self) -> Option<ConstraintKind> {
        match self {
            Error::Constraint { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
