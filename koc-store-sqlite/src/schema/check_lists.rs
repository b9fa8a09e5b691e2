//! Schema version 3: the `CHECK` constraints that list three or more
//! values (`status IN ('available', 'lost', ...)`) written as comparisons
//! joined by `OR`, which mean the same.
//!
//! SQLite evaluates an `IN` list of three values or more by building a
//! temporary B-tree of the values, each time the constraint is checked:
//! opening it, filling it, searching it and closing it again. Processing
//! changes an item's status for nearly every operation, and enqueue inserts
//! an operation (checked for its action) per line, so that was about a
//! fifth of the instructions of processing (callgrind, 100 000 operations:
//! 10.41 G with the lists, 8.54 G with comparisons). Comparisons are
//! checked in place.
//!
//! SQLite cannot alter a constraint, and copying `items` and `operations`
//! (every operation ever enqueued) into new tables would make opening a
//! large database slow once. A change that does not touch how rows are
//! stored, as this one, is made by editing the table's definition in
//! `sqlite_schema`, the procedure SQLite documents for it ("Making Other
//! Kinds Of Table Schema Changes" in its `ALTER TABLE` page): in the
//! migration's transaction, with `writable_schema` on, the schema version
//! incremented so that every connection reads the definitions again.
//!
//! A definition that does not hold the expected text (a database whose
//! schema someone else edited) is left as it is: it means the same, and
//! is only slower.

use rusqlite::Connection;

/// Each table's constraint as migration 1 wrote it, and as comparisons.
const REWRITES: &[(&str, &str, &str)] = &[
    (
        "items",
        "CHECK (status IN ('available', 'lost', 'withdrawn', 'notforloan', 'damaged'))",
        "CHECK (status = 'available' OR status = 'lost' OR status = 'withdrawn' \
         OR status = 'notforloan' OR status = 'damaged')",
    ),
    (
        "operations",
        "CHECK (action IN ('issue', 'return', 'payment'))",
        "CHECK (action = 'issue' OR action = 'return' OR action = 'payment')",
    ),
];

/// Rewrites the constraints on `conn`, inside the caller's transaction;
/// returns how many table definitions changed.
pub(super) fn rewrite(conn: &Connection) -> rusqlite::Result<usize> {
    let version: i64 = conn.query_row("PRAGMA schema_version", [], |row| row.get(0))?;
    conn.execute_batch("PRAGMA writable_schema = ON")?;
    let changed = edit(conn, version);
    // Off again whatever happened: the connection stays in use.
    let off = conn.execute_batch("PRAGMA writable_schema = OFF");
    let changed = changed?;
    off?;
    Ok(changed)
}

fn edit(conn: &Connection, version: i64) -> rusqlite::Result<usize> {
    let mut changed = 0;
    for (table, list, comparisons) in REWRITES {
        changed += conn.execute(
            "UPDATE sqlite_schema SET sql = replace(sql, ?2, ?3)
             WHERE type = 'table' AND name = ?1 AND instr(sql, ?2) > 0",
            (table, list, comparisons),
        )?;
    }
    if changed > 0 {
        conn.execute_batch(&format!("PRAGMA schema_version = {}", version + 1))?;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `conn` with the tables of migrations 1 and 2, as a database of
    /// version 2 has them.
    fn at_version_2(conn: Connection) -> Connection {
        conn.execute_batch(include_str!("../migrations/0001_initial.sql"))
            .unwrap();
        conn.execute_batch(include_str!("../migrations/0002_item_texts.sql"))
            .unwrap();
        conn
    }

    fn version_2() -> Connection {
        at_version_2(Connection::open_in_memory().unwrap())
    }

    /// Whether the program SQLite compiles `sql` into builds a temporary
    /// B-tree.
    fn builds_a_temporary_btree(conn: &Connection, sql: &str) -> bool {
        // Listing a program starts no transaction, so it would not see a
        // schema another connection changed: read something first, which
        // compares the schema version (as every statement run does).
        conn.query_row("SELECT count(*) FROM items", [], |_| Ok(()))
            .unwrap();
        let mut explain = conn.prepare(&format!("EXPLAIN {sql}")).unwrap();
        // Parameters left unbound: the program is only listed.
        let mut rows = explain.raw_query();
        let mut opcodes = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            opcodes.push(row.get::<_, String>(1).unwrap());
        }
        assert!(opcodes.iter().any(|op| op == "Halt"), "{opcodes:?}");
        opcodes.iter().any(|op| op == "OpenEphemeral")
    }

    const UPDATE_STATUS: &str = "UPDATE items SET status = ?2 WHERE barcode = ?1";
    const INSERT_OPERATION: &str = "INSERT INTO operations (upload, enqueued_at, fingerprint, \
         action, time, userid, branch, source_kind) VALUES (1, 0, 'f', ?1, 0, 'u', 'b', 'file')";

    #[test]
    fn the_lists_become_comparisons_checked_without_a_temporary_btree() {
        let conn = version_2();
        assert!(builds_a_temporary_btree(&conn, UPDATE_STATUS));
        assert!(builds_a_temporary_btree(&conn, INSERT_OPERATION));
        let tx = conn.unchecked_transaction().unwrap();
        assert_eq!(rewrite(&tx).unwrap(), 2);
        tx.commit().unwrap();
        assert!(!builds_a_temporary_btree(&conn, UPDATE_STATUS));
        assert!(!builds_a_temporary_btree(&conn, INSERT_OPERATION));
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        let writable: i64 = conn
            .query_row("PRAGMA writable_schema", [], |row| row.get(0))
            .unwrap();
        assert_eq!(writable, 0);
    }

    #[test]
    fn the_constraints_still_refuse_what_they_refused() {
        let conn = version_2();
        let tx = conn.unchecked_transaction().unwrap();
        rewrite(&tx).unwrap();
        tx.commit().unwrap();
        conn.execute("INSERT INTO items (barcode) VALUES ('B1')", [])
            .unwrap();
        for status in ["available", "lost", "withdrawn", "notforloan", "damaged"] {
            conn.execute(UPDATE_STATUS, ("B1", status)).unwrap();
        }
        let refused = conn.execute(UPDATE_STATUS, ("B1", "stolen")).unwrap_err();
        assert!(
            refused.to_string().contains("CHECK constraint failed"),
            "{refused}"
        );
        conn.execute("INSERT INTO uploads (id, created_at) VALUES (1, 0)", [])
            .unwrap();
        let refused = conn.execute(INSERT_OPERATION, ["renew"]).unwrap_err();
        assert!(
            refused.to_string().contains("CHECK constraint failed"),
            "{refused}"
        );
        conn.execute(INSERT_OPERATION, ["issue"]).unwrap();
    }

    #[test]
    fn another_connection_reads_the_new_definitions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("koc.sqlite");
        let conn = at_version_2(Connection::open(&path).unwrap());
        let other = Connection::open(&path).unwrap();
        assert!(builds_a_temporary_btree(&other, UPDATE_STATUS));
        let tx = conn.unchecked_transaction().unwrap();
        rewrite(&tx).unwrap();
        tx.commit().unwrap();
        assert!(!builds_a_temporary_btree(&other, UPDATE_STATUS));
    }

    #[test]
    fn a_definition_without_the_expected_text_is_left_alone() {
        let conn = version_2();
        let tx = conn.unchecked_transaction().unwrap();
        assert_eq!(rewrite(&tx).unwrap(), 2);
        // Already rewritten: nothing to do, and the version stays.
        let version: i64 = tx
            .query_row("PRAGMA schema_version", [], |row| row.get(0))
            .unwrap();
        assert_eq!(rewrite(&tx).unwrap(), 0);
        let again: i64 = tx
            .query_row("PRAGMA schema_version", [], |row| row.get(0))
            .unwrap();
        assert_eq!(again, version);
    }
}
