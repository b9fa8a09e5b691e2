//! `--database`: which store a URL names, and opening it.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use koc_core::Store;

use crate::error::CliError;

/// How long to keep trying to reach a PostgreSQL server, in seconds, unless
/// `--connect-timeout` says otherwise: long enough for a busy server to
/// answer, short enough that a wrong address is soon an error.
pub const CONNECT_TIMEOUT_SECONDS: u64 = 15;

/// The database a `--database` value names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Database {
    /// An SQLite file (created when missing).
    Sqlite(PathBuf),
    /// A PostgreSQL server.
    Postgres {
        /// The server's URL, without koc's own `schema` parameter.
        url: String,
        /// The schema holding koc's tables (`?schema=NAME` in the URL);
        /// `None`: the store's default.
        schema: Option<String>,
    },
}

/// Operations per transaction when processing on SQLite: a batch writes
/// each page it changed once, so larger batches write less, and memory
/// grows with them (a run holds about two batches: one written while the
/// next is decided). With the synthetic library of `benches/`, 1 000 000
/// operations, two interleaved runs each: 22.1 and 22.0 s in batches of
/// 20 000 (186 and 195 MiB), 20.8 and 21.1 s of 30 000 (227 and 221 MiB),
/// 17.4 and 18.4 s of 40 000 (267 and 264 MiB) with the store's default
/// 64 MiB page cache; with [`SQLITE_CACHE_KIB`], 40 000 at a time was
/// faster still, but its peak, 224 to 254 MiB over four runs of 1M
/// operations, reached 265 and 274 MiB with 5 000 000 (over the 256 MiB
/// the project allows itself): the peak is the largest of many batches'.
/// In batches of 32 000: 1M in 14.1 / 13.5 / 13.5 / 13.5 s and 211 to
/// 228 MiB against 12.9 / 13.7 / 12.6 / 13.6 s and 224 to 254 MiB (runs in
/// turn); 5M in 98.7 s and 239 MiB against 90.3 s and 265 MiB.
///
/// Since a batch's effects are built at the end of its walk and its
/// patrons are loaded without their contact details (a batch of 48 000
/// held about 30 MB less), 40 000 again: 1M in 9.58 / 10.16 s and 222 /
/// 231 MiB, against 48 000 in 10.07 / 9.67 s and 241 / 236 MiB (runs in
/// turn); 5M in 83.2 s, peak 248 MiB. With closed loans in two parts
/// (schema version 5), 5M runs of 40 000 peaked at 238 to 253 MiB over
/// four runs, too near the limit: 36 000, as fast within the noise (1M in
/// 9.85 / 11.12 s against 10.10 / 11.23 s, runs in turn; 5M in 58.8 s and
/// 231 MiB against 60.1 s and 240 MiB).
pub const SQLITE_BATCH_SIZE: usize = 36_000;

/// Operations per transaction when processing on PostgreSQL. With the
/// synthetic library of `benches/`, 1 000 000 operations on copies of one
/// enqueued database, 2026-12-04 from 21:10 to 21:35 UTC, runs in turn:
/// batches of 2 000 took 28.16 s on average over 11 runs, 5 000 26.17 s
/// (-7%; shorter in 10 of the 11 pairs, longer in one); in six pairs the
/// server's CPU went from 34.5 to 31.2 s on average and koc's from 9.2 to
/// 9.7 s, and koc's peak was 122 to 142 MiB against 90 to 106. 4 000 and
/// 6 000 were as fast as 5 000 (24.7 / 23.4 s and 24.7 / 23.9 s in two
/// rounds), 8 000 and 10 000 no faster and larger (168 and 199 to 209
/// MiB), 1 000 slower (30.4 / 27.8 s). What larger batches save is the server's work
/// on pages rather than on rows: at 1M the reading half prunes fewer item
/// pages (its WAL records 665 506 against 525 114 in one pair), while at
/// 100 000 operations the server's instructions are the same (19 861.1 M
/// against 19 867.2 M, `benches/server-instructions`). 5 000 000
/// operations in batches of 5 000: 142.8 s, peak 133 MiB. See
/// benches/README.md.
///
/// Measured again on 2026-12-05 from 07:38 to 07:49 UTC, with history one
/// row per batch and the open loans vacuumed during the run, same copies,
/// six rounds in turn: 5 000 took 20.47 s on average (19.32 to 22.11 s),
/// **8 000 19.29 s** (19.09 to 19.52 s; shorter in all six rounds), 10 000
/// 19.73 s in four (19.16 to 20.91 s). The server's CPU went from 23.6 to
/// 26.4 s of user time down to 21.9 to 22.6 s: a larger batch writes an
/// item, a loan or a page the batch touched twice once. koc's peak 149 to
/// 162 MiB against 117 to 131 (10 000: 169 to 177). At 100 000 operations
/// as fast (2.00 s against 2.08 s on average, three pairs).
pub const POSTGRES_BATCH_SIZE: usize = 8_000;

/// The SQLite page cache `koc` opens a database with, in KiB: 48 MiB,
/// less than the store's default (64 MiB), leaving room for larger
/// batches ([`SQLITE_BATCH_SIZE`]). 1 000 000 operations in batches of
/// 40 000, two interleaved runs each: 11.6 / 11.2 s and 259 / 258 MiB with
/// 64 MiB, 11.3 / 11.0 s and 242 / 240 MiB with 48, 12.0 / 11.5 s and
/// 229 MiB with 32 (in batches of 30 000 with 64 MiB: 12.3 / 12.0 s,
/// 222 MiB).
pub const SQLITE_CACHE_KIB: u32 = 48 * 1024;

impl Database {
    /// Operations per transaction when `--batch-size` is not given:
    /// [`SQLITE_BATCH_SIZE`] on SQLite, [`POSTGRES_BATCH_SIZE`] on
    /// PostgreSQL.
    pub fn batch_size(&self) -> usize {
        match self {
            Database::Sqlite(_) => SQLITE_BATCH_SIZE,
            Database::Postgres { .. } => POSTGRES_BATCH_SIZE,
        }
    }

    /// Reads a `--database` value: a `postgres://` or `postgresql://` URL,
    /// `sqlite:PATH` (or `sqlite://PATH`), or a plain file path.
    ///
    /// A PostgreSQL URL may carry koc's own parameter `schema=NAME` (the
    /// schema that holds koc's tables, so that several libraries or test
    /// runs share a server); it is taken out before the URL goes to the
    /// driver.
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
            return Ok(postgres(url));
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

    /// Whether a `--database` value names a PostgreSQL database (not an
    /// SQLite file, nor a value [`Database::parse`] refuses).
    pub fn is_postgres(url: &str) -> bool {
        matches!(Database::parse(url), Ok(Database::Postgres { .. }))
    }

    /// Opens the store, creating the schema when the database is new.
    ///
    /// # Errors
    ///
    /// [`CliError::Store`] when the database cannot be opened or reached,
    /// or is not a koc database.
    pub async fn open(&self, connect_timeout: Duration) -> Result<Arc<dyn Store>, CliError> {
        let context = format!("cannot open the database {self}");
        match self {
            Database::Sqlite(path) => {
                let options =
                    koc_store_sqlite::SqliteOptions::default().cache_size_kib(SQLITE_CACHE_KIB);
                let store = koc_store_sqlite::SqliteStore::open_with(path, options)
                    .await
                    .map_err(CliError::store(context))?;
                Ok(Arc::new(store))
            }
            Database::Postgres { url, schema } => {
                // One command at a time uses the pool, so waiting for a
                // connection means the server is not answering: say so soon.
                let mut options = koc_store_postgres::PostgresOptions::new(url.clone())
                    .acquire_timeout(connect_timeout);
                if let Some(schema) = schema {
                    options = options.schema(schema.clone());
                }
                let store = options.connect().await.map_err(CliError::store(context))?;
                Ok(Arc::new(store))
            }
        }
    }
}

impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "{}", path.display()),
            Database::Postgres { url, schema: None } => f.write_str(&redact(url)),
            Database::Postgres {
                url,
                schema: Some(schema),
            } => write!(f, "{} (schema {schema})", redact(url)),
        }
    }
}

/// A PostgreSQL URL with its `schema` parameter taken out.
fn postgres(url: &str) -> Database {
    let Some((base, query)) = url.split_once('?') else {
        return Database::Postgres {
            url: url.to_owned(),
            schema: None,
        };
    };
    let mut schema = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.strip_prefix("schema=") {
            Some(name) => schema = Some(name.to_owned()),
            None => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Database::Postgres { url, schema }
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
    fn sqlite_processes_in_larger_batches_than_postgres() {
        let sqlite = Database::parse("koc.sqlite").unwrap();
        let postgres = Database::parse("postgres://localhost/koc").unwrap();
        assert_eq!(sqlite.batch_size(), SQLITE_BATCH_SIZE);
        assert_eq!(postgres.batch_size(), POSTGRES_BATCH_SIZE);
        assert!(sqlite.batch_size() > postgres.batch_size());
    }

    impl Database {
        fn with_schema(self, name: &str) -> Database {
            match self {
                Database::Postgres { url, .. } => Database::Postgres {
                    url,
                    schema: Some(name.to_owned()),
                },
                other => other,
            }
        }
    }

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
        assert_eq!(
            Database::parse("postgresql://u@h/db").unwrap(),
            Database::Postgres {
                url: "postgresql://u@h/db".into(),
                schema: None
            }
        );
        assert_eq!(
            Database::parse("postgres://u@h/db?sslmode=disable&schema=koc_cpl").unwrap(),
            Database::Postgres {
                url: "postgres://u@h/db?sslmode=disable".into(),
                schema: Some("koc_cpl".into())
            }
        );
        assert_eq!(
            Database::parse("postgres://u@h/db?schema=t1").unwrap(),
            Database::Postgres {
                url: "postgres://u@h/db".into(),
                schema: None
            }
            .with_schema("t1")
        );
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
