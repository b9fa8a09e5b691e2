//! Many rows per `INSERT` statement: for the tables written once per
//! operation, one statement per row costs more than the rows themselves.

use std::cell::RefCell;
use std::collections::HashMap;

use koc_core::Result;
use rusqlite::{Connection, ToSql};

use crate::error::Context;

/// Rows per statement.
pub(crate) const ROWS_PER_INSERT: usize = 64;

/// Inserts `rows`: `head` is `INSERT INTO t (...) VALUES `, `row` the
/// values of one row, as `(?, ?1, ?)`: each `?N` is `shared[N - 1]`, the
/// same for every row (bound once per statement), and each bare `?` a
/// value of the row, which `values_of` appends in order. `head` and `row`
/// are constants: their addresses name the statement.
pub(crate) fn insert_many<'r, T>(
    conn: &Connection,
    what: &str,
    head: &'static str,
    row: &'static str,
    shared: &[&'r dyn ToSql],
    rows: &'r [T],
    values_of: impl FnMut(&'r T, &mut Vec<&'r dyn ToSql>),
) -> Result<()> {
    let statement = Insert {
        head,
        row,
        tail: "",
    };
    statement.run(conn, what, shared, rows, values_of, false)?;
    Ok(())
}

/// Inserts `rows` as [`insert_many`] does, with `tail` after the rows: an
/// `ON CONFLICT ... DO NOTHING` clause. Stops at the first statement that
/// wrote fewer rows than it was given (the clause skipped some); whether
/// every row was written. The rows written before are left for the caller
/// to keep or remove.
pub(crate) fn insert_while_all_written<'r, T>(
    conn: &Connection,
    what: &str,
    (head, row, tail): (&'static str, &'static str, &'static str),
    shared: &[&'r dyn ToSql],
    rows: &'r [T],
    values_of: impl FnMut(&'r T, &mut Vec<&'r dyn ToSql>),
) -> Result<bool> {
    Insert { head, row, tail }.run(conn, what, shared, rows, values_of, true)
}

/// A many-row `INSERT`: `head`, then the rows, each as `row`, then `tail`.
struct Insert {
    head: &'static str,
    row: &'static str,
    tail: &'static str,
}

impl Insert {
    /// Whether every row was written; with `stop_short`, stops at the
    /// first statement that wrote fewer rows than it was given.
    fn run<'r, T>(
        &self,
        conn: &Connection,
        what: &str,
        shared: &[&'r dyn ToSql],
        rows: &'r [T],
        mut values_of: impl FnMut(&'r T, &mut Vec<&'r dyn ToSql>),
        stop_short: bool,
    ) -> Result<bool> {
        let width = self.row.matches('?').count() - numbered(self.row);
        let mut values: Vec<&dyn ToSql> =
            Vec::with_capacity(shared.len() + ROWS_PER_INSERT * width);
        let mut every_row = true;
        // The statement of full chunks, taken from the cache once for all
        // of them: looking it up again hashed its text (a few KiB) and
        // putting it back cleared its bindings, each time (2.6% of the
        // instructions of an enqueue).
        let mut full: Option<rusqlite::CachedStatement<'_>> = None;
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            values.clear();
            values.extend_from_slice(shared);
            for row in chunk {
                values_of(row, &mut values);
            }
            let params = rusqlite::params_from_iter(values.iter());
            // Full chunks share one cached statement (and its text); the
            // last, shorter one is prepared for once.
            let written = if chunk.len() == ROWS_PER_INSERT {
                let insert = match &mut full {
                    Some(insert) => insert,
                    None => full.insert(self.full(conn, shared.len()).context(what)?),
                };
                insert.execute(params)
            } else {
                conn.prepare(&self.text(shared.len(), chunk.len()))
                    .and_then(|mut insert| insert.execute(params))
            }
            .context(what)?;
            if written < chunk.len() {
                every_row = false;
                if stop_short {
                    break;
                }
            }
        }
        Ok(every_row)
    }

    /// The cached statement of a full chunk.
    fn full<'c>(
        &self,
        conn: &'c Connection,
        shared: usize,
    ) -> rusqlite::Result<rusqlite::CachedStatement<'c>> {
        FULL.with_borrow_mut(|texts| {
            let key = (
                self.head.as_ptr() as usize,
                self.row.as_ptr() as usize,
                self.tail.as_ptr() as usize,
                shared,
            );
            let sql = texts
                .entry(key)
                .or_insert_with(|| self.text(shared, ROWS_PER_INSERT));
            conn.prepare_cached(sql)
        })
    }

    /// The statement for `rows` rows, each bare `?` numbered after the
    /// `shared` parameters and the rows before.
    fn text(&self, shared: usize, rows: usize) -> String {
        let mut sql = statement(self.head, self.row, shared, rows);
        sql.push_str(self.tail);
        sql
    }
}

thread_local! {
    /// The text of each full statement, by the addresses of its `head` and
    /// `row` and `tail` (string constants) and its number of shared values:
    /// building it costs more than a row.
    static FULL: RefCell<HashMap<(usize, usize, usize, usize), String>> = RefCell::new(HashMap::new());
}

/// How many `?N` parameters `row` has.
fn numbered(row: &str) -> usize {
    row.as_bytes()
        .windows(2)
        .filter(|pair| pair[0] == b'?' && pair[1].is_ascii_digit())
        .count()
}

/// `head` followed by `rows` copies of `row`, each bare `?` numbered after
/// the `shared` parameters and the rows before.
fn statement(head: &str, row: &str, shared: usize, rows: usize) -> String {
    let mut sql = String::with_capacity(head.len() + rows * (row.len() * 2 + 2));
    sql.push_str(head);
    let mut next = shared + 1;
    for index in 0..rows {
        if index > 0 {
            sql.push_str(", ");
        }
        let mut chars = row.chars().peekable();
        while let Some(c) = chars.next() {
            sql.push(c);
            if c == '?' && !chars.peek().is_some_and(char::is_ascii_digit) {
                sql.push_str(&next.to_string());
                next += 1;
            }
        }
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_in_order_across_chunks() {
        assert_eq!(
            statement("INSERT INTO t (a, b, c) VALUES ", "(?, ?1, ?)", 1, 2),
            "INSERT INTO t (a, b, c) VALUES (?2, ?1, ?3), (?4, ?1, ?5)"
        );
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (n INTEGER, tag TEXT, square INTEGER)")
            .unwrap();
        let rows: Vec<(i64, i64)> = (0..(ROWS_PER_INSERT as i64 * 2 + 5))
            .map(|n| (n, n * n))
            .collect();
        insert_many(
            &conn,
            "test",
            "INSERT INTO t (n, tag, square) VALUES ",
            "(?, ?1, ?)",
            &[&"shared"],
            &rows,
            |row, values| {
                values.extend([&row.0 as &dyn ToSql, &row.1]);
            },
        )
        .unwrap();
        let back: Vec<(i64, String, i64)> = conn
            .prepare("SELECT n, tag, square FROM t ORDER BY rowid")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let expected: Vec<(i64, String, i64)> = rows
            .iter()
            .map(|&(n, square)| (n, "shared".to_owned(), square))
            .collect();
        assert_eq!(back, expected);
    }
}
