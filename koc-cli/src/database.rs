//! `--database`: which store a URL names, and opening it.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use koc_core::Store;

use crate::error::CliError;

/// The database a `--database` value names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Database {
    /// An SQLite file (created when missing).
    Sqlite(PathBuf),
    /// A PostgreSQL server, by URL.
    Postgres(String),
}

impl Database {
    /// Reads a `--database` value: a `postgres://` or `postgresql://` URL,
    /// `sqlite:PATH` (or `sqlite://PATH`), or a plain file path.
    ///
    /// # Errors
    ///
    /// [`CliError::Input`] for an empty value or another URL scheme.
    pub fn parse(url: &str) -> Result<Database, CliError> {
        let url = url.trim();
        if url.is_empty() {
            return Err(CliError::Input(
                "--database is empty: expected a file path, sqlite:PATH or postgres://...".into(),
            ));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Database::Postgres(url.to_owned()));
        }
        if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(CliError::Input(format!(
                    "--database `{url}` names no file: expected sqlite:PATH"
                )));
            }
            return Ok(Database::Sqlite(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = url.split_once("://") {
            return Err(CliError::Input(format!(
                "--database `{}`: unsupported scheme `{scheme}://`: expected a file path, sqlite:PATH, postgres:// or postgresql://",
                redact(url)
            )));
        }
        Ok(Database::Sqlite(PathBuf::from(url)))
    }

    /// Opens the store, creating the schema when the database is new.
    ///
    /// # Errors
    ///
    /// [`CliError::Store`] when the database cannot be opened or reached,
    /// or is not a koc database.
    pub async fn open(&self) -> Result<Arc<dyn Store>, CliError> {
        let context = format!("cannot open the database {self}");
        // TEMPORARY until the stores land: an in-memory store.
        let _ = context;
        Ok(Arc::new(koc_core::MemoryStore::new()))
    }
}

impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "{}", path.display()),
            Database::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

/// The URL without its password, to print.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_select_the_store() {
        assert_eq!(
            Database::parse("./koc.sqlite").unwrap(),
            Database::Sqlite("./koc.sqlite".into())
        );
        assert_eq!(
            Database::parse("sqlite:/tmp/a.db").unwrap(),
            Database::Sqlite("/tmp/a.db".into())
        );
        assert_eq!(
            Database::parse("sqlite:///tmp/a.db").unwrap(),
            Database::Sqlite("/tmp/a.db".into())
        );
        assert_eq!(
            Database::parse("C:\\koc\\koc.sqlite").unwrap(),
            Database::Sqlite("C:\\koc\\koc.sqlite".into())
        );
        assert!(matches!(
            Database::parse("postgresql://u@h/db").unwrap(),
            Database::Postgres(_)
        ));
        assert!(matches!(
            Database::parse("postgres://u@h/db").unwrap(),
            Database::Postgres(_)
        ));
    }

    #[test]
    fn other_schemes_are_refused_without_the_password() {
        let error = Database::parse("mysql://root:secret@host/db")
            .unwrap_err()
            .to_string();
        assert!(error.contains("mysql://"), "{error}");
        assert!(!error.contains("secret"), "{error}");
        assert!(Database::parse("").is_err());
        assert!(Database::parse("sqlite:").is_err());
    }

    #[test]
    fn passwords_are_not_printed() {
        let db = Database::parse("postgres://koc:hunter2@db.example:5432/koc").unwrap();
        assert_eq!(db.to_string(), "postgres://koc:***@db.example:5432/koc");
    }
}
