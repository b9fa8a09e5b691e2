//! [`PostgresStore`]: the handle hosts keep.

use koc_core::Result;
use sqlx::{AssertSqlSafe, PgConnection, PgPool};

use crate::error::Doing;
use crate::{PostgresOptions, locks, migrate};

/// The koc store on a PostgreSQL server: the pending queue, its history and
/// the circulation data in one schema, shared by as many processes and
/// machines as need it.
///
/// Cheap to clone (clones share one pool) and `Send + Sync + 'static`, so a
/// host can keep it as an `Arc<dyn Store>`. See the [crate
/// documentation](crate) for an example, and for how processing
/// serializes.
#[derive(Clone)]
pub struct PostgresStore {
    pub(crate) pool: PgPool,
    schema: String,
    /// The schema's object id as a lock key: locks of different schemas
    /// never meet.
    pub(crate) schema_key: i32,
    /// When processing vacuums the open loans.
    pub(crate) vacuum: crate::process::VacuumOptions,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the server at `url` and uses the schema
    /// [`DEFAULT_SCHEMA`](crate::DEFAULT_SCHEMA), created or migrated as
    /// needed. [`PostgresStore::connect_with`] chooses the schema and pool.
    ///
    /// # Errors
    ///
    /// As [`PostgresOptions::connect`].
    pub async fn connect(url: &str) -> Result<PostgresStore> {
        PostgresOptions::new(url).connect().await
    }

    /// Connects with these options.
    ///
    /// # Errors
    ///
    /// As [`PostgresOptions::connect`].
    pub async fn connect_with(options: PostgresOptions) -> Result<PostgresStore> {
        options.connect().await
    }

    pub(crate) async fn open(
        pool: PgPool,
        schema: String,
        vacuum: crate::process::VacuumOptions,
    ) -> Result<PostgresStore> {
        migrate::migrate(&pool, &schema).await?;
        let oid: i64 =
            sqlx::query_scalar("SELECT oid::bigint FROM pg_namespace WHERE nspname = $1")
                .bind(&schema)
                .fetch_one(&pool)
                .await
                .doing("looking up the schema")?;
        Ok(PostgresStore {
            pool,
            schema,
            schema_key: locks::oid_key(oid),
            vacuum,
        })
    }

    /// The schema holding the store's tables.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The connection pool, for a host that wants to read the tables
    /// itself (every connection's `search_path` is the store's schema).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes the pool: waits for connections in use to come back, and
    /// closes them all. Clones of this store stop working too.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Deletes the schema and **everything in it** (queue, history,
    /// circulation data), then closes the pool. For tests and for removing a
    /// library; there is no undo.
    ///
    /// # Errors
    ///
    /// A database error.
    pub async fn drop_schema(self) -> Result<()> {
        // The name was checked to be a plain identifier when connecting.
        sqlx::raw_sql(AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {} CASCADE",
            self.schema
        )))
        .execute(&self.pool)
        .await
        .doing("dropping the schema")?;
        self.pool.close().await;
        Ok(())
    }

    /// Takes the advisory lock for `purpose` on this schema, until the end
    /// of the transaction `conn` is in.
    pub(crate) async fn lock(&self, conn: &mut PgConnection, purpose: i32) -> Result<()> {
        sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
            .bind(purpose)
            .bind(self.schema_key)
            .execute(conn)
            .await
            .doing("waiting for the queue lock")?;
        Ok(())
    }
}

/// Now, in the library's local time, as the reference store records it.
pub(crate) fn now() -> chrono::NaiveDateTime {
    chrono::Local::now().naive_local()
}

/// Runs `work` in a transaction on a connection of `store`'s pool: commits
/// when it succeeds, rolls back (now, releasing its locks) when it fails.
macro_rules! in_transaction {
    ($store:expr, $doing:literal, |$conn:ident| $work:expr) => {{
        let mut tx = $store.pool.begin().await.doing($doing)?;
        let result = {
            let $conn: &mut ::sqlx::PgConnection = &mut tx;
            $work.await
        };
        match result {
            Ok(value) => {
                tx.commit().await.doing($doing)?;
                Ok(value)
            }
            Err(error) => {
                let _ = tx.rollback().await;
                Err(error)
            }
        }
    }};
}
pub(crate) use in_transaction;
