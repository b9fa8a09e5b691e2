//! The schema migrations shipped with this crate, applied in order when a
//! database is opened.
//!
//! The table `koc_schema` holds one row per migration applied. A database
//! with a newer version than this code knows is refused
//! ([`Error::SchemaTooNew`]), never downgraded; an SQLite database that holds
//! other tables and no `koc_schema`, or whose application id is another
//! program's, is not a koc database ([`Error::NotKocDatabase`]).

use koc_core::Error;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::error::Context;

mod check_lists;

/// One step of the schema.
struct Migration {
    version: i64,
    description: &'static str,
    change: Change,
}

/// What a migration does.
enum Change {
    /// Runs these statements.
    Sql(&'static str),
    /// Runs this function, in the migration's transaction.
    Code(fn(&Connection) -> rusqlite::Result<()>),
}

/// Every migration, oldest first. Append, never edit a shipped one.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "circulation data, pending queue and history",
        change: Change::Sql(include_str!("migrations/0001_initial.sql")),
    },
    Migration {
        version: 2,
        description: "the catalogue text of items in a table of its own",
        change: Change::Sql(include_str!("migrations/0002_item_texts.sql")),
    },
    Migration {
        version: 3,
        description: "constraints that list values checked as comparisons",
        change: Change::Code(|conn| check_lists::rewrite(conn).map(drop)),
    },
    Migration {
        version: 4,
        description: "the name of an operation's file stored once",
        change: Change::Sql(include_str!("migrations/0004_source_files.sql")),
    },
    Migration {
        version: 5,
        description: "closed loans found by item and patron through tables written in order",
        change: Change::Sql(include_str!("migrations/0005_closed_loans_by_key.sql")),
    },
];

/// The newest schema version this code knows.
pub const SCHEMA_VERSION: i64 = 5;

/// The SQLite application id of a koc database (`PRAGMA application_id`):
/// "KOC1" in ASCII, so that `file(1)` and other tools can tell.
pub const APPLICATION_ID: i32 = 0x4B4F_4331;

/// Brings the database to [`SCHEMA_VERSION`]. A database already there is
/// only read, so opening never waits for another connection's write; else
/// the check and the migrations are one write transaction, so concurrent
/// openers wait for each other and the second finds the work done.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), Error> {
    {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .context("reading the schema")?;
        check_application(&tx)?;
        let found = current_version(&tx)?;
        if found == SCHEMA_VERSION {
            return Ok(());
        }
        refuse_newer(found)?;
    }
    // Migrations write references they take from the tables themselves,
    // checked by construction. With the checks on, a statement that
    // changes a referencing column of every row of a table (version 4)
    // keeps a journal of each page it changes, to undo itself should a
    // check fail (255 MiB for 1 000 000 operations).
    let checks: bool = conn
        .query_row("PRAGMA foreign_keys", [], |row| row.get(0))
        .context("reading the foreign key checks")?;
    crate::store::foreign_keys(conn, false)?;
    let migrated = apply(conn);
    crate::store::foreign_keys(conn, checks)?;
    migrated
}

/// The migrations the database lacks, in one write transaction.
fn apply(conn: &mut Connection) -> Result<(), Error> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .context("starting the schema migration")?;
    check_application(&tx)?;
    let found = current_version(&tx)?;
    refuse_newer(found)?;
    if found == 0 {
        tx.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID};
             CREATE TABLE koc_schema (
                 version     INTEGER PRIMARY KEY,
                 description TEXT NOT NULL,
                 applied_at  TEXT NOT NULL
             );"
        ))
        .context("creating the schema version table")?;
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > found) {
        match migration.change {
            Change::Sql(sql) => tx.execute_batch(sql),
            Change::Code(change) => change(&tx),
        }
        .context(&format!("applying schema migration {}", migration.version))?;
        tx.execute(
            "INSERT INTO koc_schema (version, description, applied_at)
             VALUES (?1, ?2, strftime('%Y-%m-%d %H:%M:%f', 'now'))",
            (migration.version, migration.description),
        )
        .context("recording a schema migration")?;
    }
    tx.commit().context("committing the schema")
}

/// Refuses a schema newer than this code: never downgrade.
fn refuse_newer(found: i64) -> Result<(), Error> {
    if found > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// Refuses a database marked as another program's.
fn check_application(conn: &Connection) -> Result<(), Error> {
    let application_id: i32 = conn
        .query_row("PRAGMA application_id", [], |row| row.get(0))
        .context("reading the application id")?;
    if application_id != 0 && application_id != APPLICATION_ID {
        return Err(Error::NotKocDatabase(format!(
            "the SQLite database belongs to another program (application id {application_id:#x})"
        )));
    }
    Ok(())
}

/// The version of the koc schema in the database; 0 for an empty database.
fn current_version(conn: &Connection) -> Result<i64, Error> {
    let has_table: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'koc_schema')",
            [],
            |row| row.get(0),
        )
        .context("reading the schema")?;
    if has_table {
        let version: Option<i64> = conn
            .query_row("SELECT max(version) FROM koc_schema", [], |row| row.get(0))
            .optional()
            .context("reading the schema version")?
            .flatten();
        return version.ok_or_else(|| {
            Error::NotKocDatabase("the koc_schema table is empty: the database is damaged".into())
        });
    }
    let others: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'",
            [],
            |row| row.get(0),
        )
        .context("reading the schema")?;
    if others > 0 {
        return Err(Error::NotKocDatabase(
            "the SQLite database holds other tables and no koc schema".into(),
        ));
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_in_order_and_end_at_the_current_one() {
        let versions: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
        let expected: Vec<i64> = (1..=SCHEMA_VERSION).collect();
        assert_eq!(versions, expected);
    }

    /// A database of `version`: its migrations applied and recorded.
    fn at_version(version: i64) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE koc_schema (
                 version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)",
        )
        .unwrap();
        for migration in MIGRATIONS.iter().filter(|m| m.version <= version) {
            match migration.change {
                Change::Sql(sql) => conn.execute_batch(sql).unwrap(),
                Change::Code(change) => change(&conn).unwrap(),
            }
            conn.execute(
                "INSERT INTO koc_schema VALUES (?1, ?2, 'then')",
                (migration.version, migration.description),
            )
            .unwrap();
        }
        conn
    }

    #[test]
    fn version_4_moves_file_names_out_of_the_operations_rows() {
        let mut conn = at_version(3);
        conn.execute_batch(
            "INSERT INTO uploads (id, created_at) VALUES (1, 0);
             INSERT INTO operations (id, upload, enqueued_at, fingerprint, action, time,
                 userid, branch, source_kind, source_text, source_line) VALUES
                 (1, 1, 0, 'a', 'return', 10, 'u', 'B', 'file', 'desk2.koc', 7),
                 (2, 1, 0, 'b', 'return', 20, 'u', 'B', 'request', 'POST /offline', NULL),
                 (3, 1, 0, 'c', 'return', 30, 'u', 'B', 'file', 'desk1.koc', 1),
                 (4, 1, 0, 'd', 'return', 40, 'u', 'B', 'file', 'desk2.koc', 8),
                 (5, 1, 0, 'e', 'return', 50, 'u', 'B', 'request', NULL, NULL);
             INSERT INTO pending (time, id, branch) SELECT time, id, branch FROM operations;
             PRAGMA foreign_keys = ON;",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        // Off while migrating, and on again after.
        let checks: bool = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert!(checks);
        let broken: i64 = conn
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(broken, 0);

        let rows = |sql: &str| -> Vec<(i64, Option<String>, Option<i64>)> {
            let mut select = conn.prepare(sql).unwrap();
            select
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        let names = rows("SELECT id, name, NULL FROM source_files ORDER BY id");
        assert_eq!(
            names,
            [
                (1, Some("desk2.koc".to_owned()), None),
                (2, Some("desk1.koc".to_owned()), None)
            ]
        );
        let stored = rows("SELECT id, source_text, source_file FROM operations ORDER BY id");
        assert_eq!(
            stored,
            [
                (1, None, Some(1)),
                (2, Some("POST /offline".to_owned()), None),
                (3, None, Some(2)),
                (4, None, Some(1)),
                (5, None, None)
            ]
        );
        // Read as the store reads them, every source is what it was.
        let sql = concat!(
            "SELECT ",
            crate::rows::operation_columns!(),
            " FROM pending AS p JOIN operations AS o ON o.id = p.id",
            crate::rows::source_file_join!(),
            " ORDER BY p.time, p.id"
        );
        let mut select = conn.prepare(sql).unwrap();
        let sources: Vec<String> = select
            .query_map([], |row| crate::rows::pending(row, 0))
            .unwrap()
            .map(|p| p.unwrap().operation.source.to_string())
            .collect();
        assert_eq!(
            sources,
            [
                "desk2.koc:7",
                "request (POST /offline)",
                "desk1.koc:1",
                "desk2.koc:8",
                "request"
            ]
        );
    }

    #[test]
    fn migrating_twice_changes_nothing() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM koc_schema", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, SCHEMA_VERSION);
        let id: i32 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .unwrap();
        assert_eq!(id, APPLICATION_ID);
    }

    #[test]
    fn version_5_keeps_the_keys_of_closed_loans_in_tables_of_their_own() {
        let mut conn = at_version(4);
        conn.execute_batch(
            "INSERT INTO patrons (cardnumber, surname) VALUES ('C1', 'A'), ('C2', 'B');
             INSERT INTO items (barcode) VALUES ('B1'), ('B2');
             INSERT INTO closed_loans (id, barcode, cardnumber, issued_at, due_at, renewals,
                 returned_at) VALUES
                 (1, 'B2', 'C1', 0, 1, 0, 2),
                 (2, 'B1', 'C2', 0, 1, 0, 3),
                 (3, 'B2', 'C2', 0, 1, 0, 4);",
        )
        .unwrap();
        apply(&mut conn).unwrap();
        let keys = |sql: &str| -> Vec<(String, i64)> {
            let mut select = conn.prepare(sql).unwrap();
            select
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        let items = keys("SELECT barcode, id FROM closed_loan_items");
        assert_eq!(
            items,
            [("B1".into(), 2), ("B2".into(), 1), ("B2".into(), 3)]
        );
        let patrons = keys("SELECT cardnumber, id FROM closed_loan_patrons");
        assert_eq!(
            patrons,
            [("C1".into(), 1), ("C2".into(), 2), ("C2".into(), 3)]
        );
        let indexes: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE tbl_name = 'closed_loans' AND type = 'index'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(indexes, 0, "the old indexes are dropped");
        // The loans themselves are where they were, and read as before.
        let listed =
            crate::closed_loans::select(&conn, &koc_core::LoanFilter::patron("C2")).unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].loan.barcode, "B1");
    }
}
