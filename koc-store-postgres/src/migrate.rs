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
    Migration {
        version: 4,
        description: "history kept one row per batch",
        sql: include_str!("../migrations/0004_history_batches.sql"),
    },
    Migration {
        version: 5,
        description: "history's arrays compressed with LZ4",
        sql: include_str!("../migrations/0005_history_lz4.sql"),
    },
];

/// The newest schema version this code knows.
pub const SCHEMA_VERSION: i64 = 5;

/// The oldest PostgreSQL the schema works on (`server_version_num`): 14,
/// the first with multiranges (history's operations, schema version 4).
const OLDEST_SERVER: i64 = 140_000;

/// Whether a server of `server_version_num` `number` (`version` in words)
/// can hold the schema: an error naming both versions when it cannot.
fn supported(number: &str, version: &str) -> Result<()> {
    match number.trim().parse::<i64>() {
        Ok(n) if n >= OLDEST_SERVER => Ok(()),
        _ => Err(Error::Database {
            message: format!(
                "koc needs PostgreSQL 14 or later; this server is {version} \
                 (server_version_num {number})"
            ),
            source: None,
        }),
    }
}

/// Brings `schema` to [`SCHEMA_VERSION`], creating it when it does not
/// exist, in one transaction.
pub(crate) async fn migrate(pool: &PgPool, schema: &str) -> Result<()> {
    let mut tx = pool.begin().await.doing("starting the migration")?;
    match migrate_in_transaction(&mut tx, schema, MIGRATIONS).await {
        Ok(()) => tx.commit().await.doing("committing the migration"),
        Err(e) => {
            // Rolling back explicitly releases the lock now, not whenever
            // the connection is next used.
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

/// Brings `schema` to the last of `migrations` (all of them but in tests,
/// which make schemas of older versions).
async fn migrate_in_transaction(
    conn: &mut PgConnection,
    schema: &str,
    migrations: &[Migration],
) -> Result<()> {
    let newest = migrations.last().map_or(0, |m| m.version);
    sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
        .bind(locks::MIGRATE)
        .bind(locks::name_key(schema))
        .execute(&mut *conn)
        .await
        .doing("waiting for other processes migrating the schema")?;
    let (number, version): (String, String) =
        sqlx::query_as("SELECT current_setting('server_version_num'), version()")
            .fetch_one(&mut *conn)
            .await
            .doing("asking the server's version")?;
    supported(&number, &version)?;
    // Created only when missing: a role that may use the schema but not
    // create one in the database (a desk's, say) still opens the store.
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
            .bind(schema)
            .fetch_one(&mut *conn)
            .await
            .doing("looking for the schema")?;
    // The name is checked to be a plain identifier (see `PostgresOptions`).
    let sql = if exists {
        format!("SET LOCAL search_path TO {schema}")
    } else {
        format!("CREATE SCHEMA IF NOT EXISTS {schema}; SET LOCAL search_path TO {schema}")
    };
    sqlx::raw_sql(AssertSqlSafe(sql))
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
    if current > newest {
        return Err(Error::SchemaTooNew {
            found: current,
            supported: newest,
        });
    }
    for migration in migrations.iter().filter(|m| m.version > current) {
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
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use koc_core::{History, HistoryFilter, OperationId, OutcomeCode, Queue, WarningCode};
    use sqlx::Connection;

    use super::*;
    use crate::testing;

    #[test]
    fn versions_grow_one_by_one_up_to_the_newest() {
        for (i, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version, i as i64 + 1);
            assert!(!migration.description.is_empty());
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }

    #[test]
    fn servers_before_postgresql_14_are_refused_by_name() {
        assert!(supported("150018", "PostgreSQL 15.18").is_ok());
        assert!(supported("140000", "PostgreSQL 14.0").is_ok());
        let error = supported("130016", "PostgreSQL 13.16 on x86_64").unwrap_err();
        assert_eq!(
            error.to_string(),
            "database: koc needs PostgreSQL 14 or later; this server is \
             PostgreSQL 13.16 on x86_64 (server_version_num 130016)"
        );
        assert!(supported("", "?").is_err());
    }

    #[tokio::test]
    async fn history_is_stored_compressed_with_lz4_where_the_server_has_it() {
        use koc_core::conformance::fixtures::{checkin, enqueue};
        use koc_core::{PendingFilter, Queue};

        let Some(store) = testing::store("migrate_lz4").await else {
            return;
        };
        let has_lz4: bool = sqlx::query_scalar(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings \
             WHERE name = 'default_toast_compression'",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        if !has_lz4 {
            eprintln!("SKIPPED: this PostgreSQL server was built without LZ4");
            store.drop_schema().await.unwrap();
            return;
        }
        // 600 operations deleted at once: one history row, whose ids,
        // outcomes and messages are large enough to be compressed (its
        // warnings, all none, are not).
        let operations: Vec<_> = (0..600)
            .map(|n| {
                checkin(
                    &format!("2026-07-22 10:{:02}:{:02}", n / 60, n % 60),
                    &format!("B{n}"),
                )
            })
            .collect();
        enqueue(&store, &operations).await.unwrap();
        let ids: Vec<OperationId> = store
            .pending(&PendingFilter::default())
            .await
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect();
        store.delete(&ids, "ann").await.unwrap();

        let methods: Vec<Option<String>> = sqlx::query_scalar(
            "SELECT m FROM history_batches b, LATERAL (VALUES \
             (pg_column_compression(b.operation_ids)), (pg_column_compression(b.outcomes)), \
             (pg_column_compression(b.messages))) AS c(m)",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert_eq!(methods, vec![Some("lz4".to_owned()); 3]);
        let entries = store.history(&HistoryFilter::all()).await.unwrap();
        assert_eq!(entries.len(), 600);
        assert!(
            entries
                .iter()
                .all(|e| e.outcome.code == OutcomeCode::Deleted)
        );
        store.drop_schema().await.unwrap();
    }

    #[tokio::test]
    async fn history_of_version_3_keeps_its_entries_and_ids_in_version_4() {
        let Some(url) = testing::server_url("migrate_history") else {
            return;
        };
        let schema = format!("koc_t_migrate_history_{}", std::process::id());
        let mut conn = PgConnection::connect(&url).await.unwrap();
        let mut tx = conn.begin().await.unwrap();
        migrate_in_transaction(&mut tx, &schema, &MIGRATIONS[..3])
            .await
            .unwrap();
        // Three operations: one returned with a warning, one that failed,
        // was requeued and then issued, one deleted.
        sqlx::raw_sql(
            "INSERT INTO operations (id, upload_id, enqueued_at, fingerprint, action, time, \
             cardnumber, barcode, userid, branch, source_kind) VALUES \
             (1, 1, '2026-07-22 12:00', 'f1', 'return', '2026-07-22 10:00', NULL, 'B1', 'u', 'CPL', 'request'), \
             (2, 1, '2026-07-22 12:00', 'f2', 'issue', '2026-07-22 10:01', 'C9', 'B2', 'u', 'CPL', 'request'), \
             (3, 1, '2026-07-22 12:00', 'f3', 'issue', '2026-07-22 10:02', 'C1', 'B3', 'u', 'CPL', 'request'); \
             INSERT INTO history (operation_id, outcome, message, warnings, by_user, at, requeued_at) VALUES \
             (1, 'returned', 'Success.', '[{\"code\": \"item_lost\", \"message\": \"B1 was lost\"}]', 'ann', '2026-07-22 13:00', NULL), \
             (2, 'patron_not_found', 'No patron.', '[]', 'ann', '2026-07-22 13:00', '2026-07-23 09:00'), \
             (3, 'deleted', 'Deleted.', '[]', 'bob', '2026-07-22 14:00', NULL), \
             (2, 'issued', 'Success.', '[]', 'ann', '2026-07-23 10:00', NULL); \
             SELECT setval('operation_ids', 3)",
        )
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        conn.close().await.unwrap();

        // Connecting brings the schema to the newest version.
        let store = crate::PostgresOptions::new(url)
            .schema(schema)
            .connect()
            .await
            .unwrap();
        let entries = store.history(&HistoryFilter::all()).await.unwrap();
        let seen: Vec<(i64, i64, OutcomeCode, &str, Option<String>)> = entries
            .iter()
            .map(|e| {
                (
                    e.id.0,
                    e.pending.id.0,
                    e.outcome.code,
                    e.by.as_str(),
                    e.requeued_at.map(|t| t.to_string()),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (4, 2, OutcomeCode::Issued, "ann", None),
                (3, 3, OutcomeCode::Deleted, "bob", None),
                (
                    2,
                    2,
                    OutcomeCode::PatronNotFound,
                    "ann",
                    Some("2026-07-23 09:00:00".to_owned())
                ),
                (1, 1, OutcomeCode::Returned, "ann", None),
            ]
        );
        let returned = &entries[3].outcome;
        assert_eq!(
            (returned.warnings.len(), returned.warnings[0].code),
            (1, WarningCode::ItemLost)
        );
        assert_eq!(returned.message, "Success.");
        assert!(entries[0].outcome.warnings.is_empty());
        assert_eq!(
            store
                .history(&HistoryFilter::all().operation(OperationId(2)))
                .await
                .unwrap()
                .len(),
            2
        );
        // The failure was requeued already: nothing failed is left.
        assert!(
            store
                .history(&HistoryFilter::failed())
                .await
                .unwrap()
                .is_empty()
        );
        // New entries are numbered after the old ones.
        let added = store
            .enqueue(
                None,
                &[koc_core::conformance::fixtures::issue(
                    "2026-07-24 10:00",
                    "C1",
                    "B4",
                )],
            )
            .await
            .unwrap()
            .added;
        assert_eq!(store.delete(&added, "cat").await.unwrap().deleted, added);
        let newest = store.history(&HistoryFilter::all()).await.unwrap();
        assert_eq!((newest[0].id.0, newest[0].by.as_str()), (5, "cat"));
        store.drop_schema().await.unwrap();
    }
}
