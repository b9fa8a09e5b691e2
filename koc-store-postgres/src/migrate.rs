//! The schema's versions, applied when a store connects.
//!
//! Each schema holds a `koc_migrations` table with one row per version
//! applied. Connecting applies the versions the schema lacks, in one
//! transaction, under an advisory lock so that processes connecting at once
//! do not race. A schema of a newer version than this code knows is refused
//! ([`Error::SchemaTooNew`]); a schema holding tables but no version table is
//! not a koc schema ([`Error::NotKocDatabase`]).

use koc_core::{Error, Result};
use sqlx::{AssertSqlSafe, PgConnection, PgPool};

use crate::error::Doing;
use crate::locks;

/// One version of the schema.
struct Migration {
    version: i64,
    description: &'static str,
    sql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "circulation data, pending queue and history",
        sql: include_str!("../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        description: "the name of an operation's file stored once",
        sql: include_str!("../migrations/0002_source_files.sql"),
    },
    Migration {
        version: 3,
        description: "guards of referred-to rows that lock no rows on updates",
        sql: include_str!("../migrations/0003_guards_after_updates.sql"),
    },
];

/// The newest schema version this code knows.
pub const SCHEMA_VERSION: i64 = 3;

/// Brings `schema` to [`SCHEMA_VERSION`], creating it when it does not
/// exist, in one transaction.
pub(crate) async fn migrate(pool: &PgPool, schema: &str) -> Result<()> {
    let mut tx = pool.begin().await.doing("starting the migration")?;
    match migrate_in_transaction(&mut tx, schema).await {
        Ok(()) => tx.commit().await.doing("committing the migration"),
        Err(e) => {
            // Rolling back explicitly releases the lock now, not whenever
            // the connection is next used.
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

async fn migrate_in_transaction(conn: &mut PgConnection, schema: &str) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
        .bind(locks::MIGRATE)
        .bind(locks::name_key(schema))
        .execute(&mut *conn)
        .await
        .doing("waiting for other processes migrating the schema")?;
    // The name is checked to be a plain identifier (see `PostgresOptions`).
    sqlx::raw_sql(AssertSqlSafe(format!(
        "CREATE SCHEMA IF NOT EXISTS {schema}; SET LOCAL search_path TO {schema}"
    )))
    .execute(&mut *conn)
    .await
    .doing("creating the schema")?;

    let has_version_table: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relname = 'koc_migrations')",
    )
    .bind(schema)
    .fetch_one(&mut *conn)
    .await
    .doing("reading the schema version")?;
    let current = if has_version_table {
        sqlx::query_scalar::<_, Option<i64>>("SELECT max(version) FROM koc_migrations")
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| {
                Error::NotKocDatabase(format!(
                    "schema {schema} has a koc_migrations table koc cannot read: {e}"
                ))
            })?
            .unwrap_or(0)
    } else {
        let tables: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
        )
        .bind(schema)
        .fetch_one(&mut *conn)
        .await
        .doing("looking at the schema")?;
        if tables > 0 {
            return Err(Error::NotKocDatabase(format!(
                "schema {schema} holds {tables} tables or views but no koc_migrations table; \
                 choose another schema"
            )));
        }
        sqlx::raw_sql(
            "CREATE TABLE koc_migrations (\
                version bigint PRIMARY KEY, \
                description text NOT NULL, \
                applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .execute(&mut *conn)
        .await
        .doing("creating the version table")?;
        0
    };
    if current > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
        sqlx::raw_sql(migration.sql)
            .execute(&mut *conn)
            .await
            .doing("applying a schema migration")?;
        sqlx::query("INSERT INTO koc_migrations (version, description) VALUES ($1, $2)")
            .bind(migration.version)
            .bind(migration.description)
            .execute(&mut *conn)
            .await
            .doing("recording a schema migration")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_grow_one_by_one_up_to_the_newest() {
        for (i, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version, i as i64 + 1);
            assert!(!migration.description.is_empty());
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }
}
