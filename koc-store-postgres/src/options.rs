//! How to connect: the server, the schema and the pool.

use std::str::FromStr;
use std::time::Duration;

use koc_core::{Error, Result};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::PostgresStore;
use crate::process::VacuumOptions;

/// The schema a store uses unless told otherwise.
pub const DEFAULT_SCHEMA: &str = "koc";

/// Connections a store's pool opens at most, unless told otherwise.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 8;

/// How to connect a [`PostgresStore`]: the server's URL, the schema that
/// holds the store's tables, and the size of the connection pool.
///
/// Several stores can share one server (and one database) by using
/// different schemas: one per library, or one per test.
///
/// ```
/// use koc_store_postgres::PostgresOptions;
///
/// let options = PostgresOptions::new("postgres://koc@db.example/koc")
///     .schema("library_cpl")
///     .max_connections(4);
/// assert_eq!(options.schema_name(), "library_cpl");
/// ```
#[derive(Clone, Debug)]
pub struct PostgresOptions {
    url: String,
    schema: String,
    max_connections: u32,
    acquire_timeout: Duration,
    vacuum: VacuumOptions,
}

impl PostgresOptions {
    /// Options for the server at `url` (`postgres://user:password@host:port/database`,
    /// with any parameter sqlx understands), schema [`DEFAULT_SCHEMA`], a
    /// pool of [`DEFAULT_MAX_CONNECTIONS`].
    pub fn new(url: impl Into<String>) -> PostgresOptions {
        PostgresOptions {
            url: url.into(),
            schema: DEFAULT_SCHEMA.to_owned(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            acquire_timeout: Duration::from_secs(30),
            vacuum: VacuumOptions::default(),
        }
    }

    /// Keep the store's tables in `schema`, created when missing: a plain
    /// lower-case name (`a`-`z`, digits, `_`, not starting with a digit or
    /// `pg_`, at most 63 bytes).
    pub fn schema(mut self, schema: impl Into<String>) -> PostgresOptions {
        self.schema = schema.into();
        self
    }

    /// Open at most `max` connections (at least 1). Each enqueue or lookup
    /// in progress holds one; a processing run holds one and borrows a
    /// second, when one is free, to read its next batch ahead, and a third
    /// now and then to vacuum the open loans
    /// ([`PostgresOptions::vacuum_loans_after`]).
    pub fn max_connections(mut self, max: u32) -> PostgresOptions {
        self.max_connections = max.max(1);
        self
    }

    /// Wait at most this long for a connection from the pool.
    pub fn acquire_timeout(mut self, timeout: Duration) -> PostgresOptions {
        self.acquire_timeout = timeout;
        self
    }

    /// Whether a processing run vacuums the open loans (`loans`) as it ends
    /// them, on a spare connection, once it has ended or changed half as
    /// many as the table holds, and at least `after`, since its last vacuum
    /// (default: on, after 10 000); `None`: never, for a host whose own
    /// maintenance vacuums the table. See [the crate's documentation](crate#vacuuming-during-long-runs).
    ///
    /// ```
    /// use koc_store_postgres::PostgresOptions;
    ///
    /// let never = PostgresOptions::new("postgres://koc@db.example/koc").vacuum_loans_after(None);
    /// let often = PostgresOptions::new("postgres://koc@db.example/koc").vacuum_loans_after(Some(1_000));
    /// # let _ = (never, often);
    /// ```
    pub fn vacuum_loans_after(mut self, after: Option<u64>) -> PostgresOptions {
        self.vacuum = VacuumOptions { floor: after };
        self
    }

    /// The schema the store will use.
    pub fn schema_name(&self) -> &str {
        &self.schema
    }

    /// Connects, creating the schema or bringing it to the version this code
    /// knows.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a malformed URL or schema name;
    /// [`Error::Database`] when the server cannot be reached;
    /// [`Error::SchemaTooNew`] when the schema was made by a newer koc;
    /// [`Error::NotKocDatabase`] when the schema holds something else.
    pub async fn connect(self) -> Result<PostgresStore> {
        check_schema_name(&self.schema)?;
        if !(self.url.starts_with("postgres://") || self.url.starts_with("postgresql://")) {
            return Err(Error::Invalid(
                "not a PostgreSQL URL: expected postgres://... or postgresql://...".to_owned(),
            ));
        }
        let connect = PgConnectOptions::from_str(&self.url)
            .map_err(|e| Error::Invalid(format!("not a PostgreSQL URL: {e}")))?
            // Every connection sees the store's tables, and only them.
            .options([("search_path", self.schema.as_str())])
            .application_name("koc");
        let pool = PgPoolOptions::new()
            .max_connections(self.max_connections)
            .acquire_timeout(self.acquire_timeout)
            .connect_with(connect)
            .await
            .map_err(|e| Error::database("connecting to PostgreSQL", e))?;
        PostgresStore::open(pool, self.schema, self.vacuum).await
    }
}

/// Whether `schema` is a name that needs no quoting anywhere.
fn check_schema_name(schema: &str) -> Result<()> {
    let mut bytes = schema.bytes();
    let plain = match bytes.next() {
        Some(first) => {
            (first.is_ascii_lowercase() || first == b'_')
                && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        }
        None => false,
    };
    if !plain || schema.len() > 63 || schema.starts_with("pg_") {
        return Err(Error::Invalid(format!(
            "schema name {schema:?}: use lower-case letters, digits and _, \
             not starting with a digit or pg_, at most 63 bytes"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        for good in ["koc", "library_cpl", "_t1", "koc_test_123_abc"] {
            assert!(check_schema_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Koc",
            "1koc",
            "koc-cpl",
            "koc cpl",
            "koc;drop",
            "pg_koc",
            "\"koc\"",
            &"k".repeat(64),
        ] {
            assert!(
                matches!(check_schema_name(bad), Err(Error::Invalid(_))),
                "{bad}"
            );
        }
    }
}
