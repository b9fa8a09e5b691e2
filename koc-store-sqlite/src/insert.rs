//! Many rows per `INSERT` statement: for the tables written once per
//! operation, one statement per row costs more than the rows themselves.

use koc_core::Result;
use rusqlite::{Connection, ToSql};

use crate::error::Context;

/// Rows per statement.
pub(crate) const ROWS_PER_INSERT: usize = 64;

/// Inserts `rows`: `head` is `INSERT INTO t (...) VALUES `, each row has
/// `width` values, which `values_of` appends.
pub(crate) fn insert_many<'r, T>(
    conn: &Connection,
    what: &str,
    head: &str,
    width: usize,
    rows: &'r [T],
    mut values_of: impl FnMut(&'r T, &mut Vec<&'r dyn ToSql>),
) -> Result<()> {
    let mut values: Vec<&dyn ToSql> = Vec::with_capacity(ROWS_PER_INSERT * width);
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        values.clear();
        for row in chunk {
            values_of(row, &mut values);
        }
        let sql = statement(head, width, chunk.len());
        let params = rusqlite::params_from_iter(values.iter());
        // Full chunks share one cached statement; the last, shorter one is
        // prepared for once.
        if chunk.len() == ROWS_PER_INSERT {
            conn.prepare_cached(&sql)
                .and_then(|mut insert| insert.execute(params))
        } else {
            conn.prepare(&sql)
                .and_then(|mut insert| insert.execute(params))
        }
        .context(what)?;
    }
    Ok(())
}

/// `head` followed by `rows` groups of `width` placeholders.
fn statement(head: &str, width: usize, rows: usize) -> String {
    let mut sql = String::with_capacity(head.len() + rows * (width * 3 + 4));
    sql.push_str(head);
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..width {
            sql.push_str(if column == 0 { "?" } else { ", ?" });
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_in_order_across_chunks() {
        assert_eq!(
            statement("INSERT INTO t (a, b) VALUES ", 2, 2),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (n INTEGER, square INTEGER)")
            .unwrap();
        let rows: Vec<(i64, i64)> = (0..(ROWS_PER_INSERT as i64 * 2 + 5))
            .map(|n| (n, n * n))
            .collect();
        insert_many(
            &conn,
            "test",
            "INSERT INTO t (n, square) VALUES ",
            2,
            &rows,
            |row, values| {
                values.extend([&row.0 as &dyn ToSql, &row.1]);
            },
        )
        .unwrap();
        let back: Vec<(i64, i64)> = conn
            .prepare("SELECT n, square FROM t ORDER BY rowid")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(back, rows);
    }
}
