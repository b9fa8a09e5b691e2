//! Closed loans in two parts (schema version 5, see
//! `migrations/0005_closed_loans_by_key.sql`): a batch appends its closed
//! loans to `closed_loans_recent`, whose indexes stay small; when that
//! holds [`MOVE_AT`] or more, they move to `closed_loans` and their keys to
//! `closed_loan_items` and `closed_loan_patrons`, each written in its own
//! order. Readers see both parts as one list, in the order the loans ended.

use koc_core::{ClosedLoan, LoanFilter, Result};
use rusqlite::types::Value;
use rusqlite::{Connection, ToSql};

use crate::codec::{Time, count, time};
use crate::error::Context;
use crate::insert::insert_many;
use crate::rows::{self, loan_columns};

/// How many closed loans `closed_loans_recent` gathers before they move:
/// about six batches' returns of the `koc` tool in the benchmarks' library.
/// Its two indexes then hold at most a few MiB, which a batch rewrites
/// whole; the large tables are written once per move, in order.
pub(crate) const MOVE_AT: i64 = 100_000;

/// Appends closed loans to `closed_loans_recent`, numbered after every
/// closed loan so far, in the order given.
pub(crate) fn append(conn: &Connection, closed: &[ClosedLoan]) -> Result<()> {
    let what = "writing closed loans";
    if closed.is_empty() {
        return Ok(());
    }
    let last: i64 = conn
        .prepare_cached(
            "SELECT max(ifnull((SELECT max(id) FROM closed_loans), 0),
                        ifnull((SELECT max(id) FROM closed_loans_recent), 0))",
        )
        .and_then(|mut select| select.query_row([], |row| row.get(0)))
        .context(what)?;
    struct Row<'a> {
        id: i64,
        loan: &'a koc_core::Loan,
        issued_at: Time,
        due_at: Time,
        last_renewed_at: Option<Time>,
        returned_at: Time,
    }
    let rows: Vec<Row<'_>> = (last.saturating_add(1)..)
        .zip(closed)
        .map(|(id, closed)| Row {
            id,
            loan: &closed.loan,
            issued_at: Time(closed.loan.issued_at),
            due_at: Time(closed.loan.due_at),
            last_renewed_at: time(closed.loan.last_renewed_at),
            returned_at: Time(closed.returned_at),
        })
        .collect();
    insert_many(
        conn,
        what,
        concat!(
            "INSERT OR FAIL INTO closed_loans_recent (id, ",
            loan_columns!(),
            ", returned_at) VALUES "
        ),
        "(?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[],
        &rows,
        |row, values| {
            values.extend([
                &row.id as &dyn ToSql,
                &row.loan.barcode,
                &row.loan.cardnumber,
                &row.issued_at,
                &row.due_at,
                &row.loan.renewals,
                &row.last_renewed_at,
                &row.loan.branch,
                &row.returned_at,
            ]);
        },
    )
}

/// Moves the recent closed loans when there are [`MOVE_AT`] or more;
/// whether it did.
pub(crate) fn move_when_due(conn: &Connection) -> Result<bool> {
    let recent: i64 = conn
        .prepare_cached("SELECT count(*) FROM closed_loans_recent")
        .and_then(|mut select| select.query_row([], |row| row.get(0)))
        .context("counting recent closed loans")?;
    if recent < MOVE_AT {
        return Ok(false);
    }
    move_recent(conn)?;
    Ok(true)
}

/// Moves every recent closed loan to `closed_loans`, and its keys to
/// `closed_loan_items` and `closed_loan_patrons`, each in its order (the
/// recent table's indexes give it without sorting).
pub(crate) fn move_recent(conn: &Connection) -> Result<()> {
    for sql in [
        concat!(
            "INSERT OR FAIL INTO closed_loans (id, ",
            loan_columns!(),
            ", returned_at) SELECT id, ",
            loan_columns!(),
            ", returned_at FROM closed_loans_recent ORDER BY id"
        ),
        "INSERT OR FAIL INTO closed_loan_items (barcode, id)
         SELECT barcode, id FROM closed_loans_recent INDEXED BY closed_loans_recent_by_item
         ORDER BY barcode, id",
        "INSERT OR FAIL INTO closed_loan_patrons (cardnumber, id)
         SELECT cardnumber, id FROM closed_loans_recent INDEXED BY closed_loans_recent_by_patron
         ORDER BY cardnumber, id",
        "DELETE FROM closed_loans_recent",
    ] {
        conn.prepare_cached(sql)
            .and_then(|mut statement| statement.execute([]))
            .context("moving recent closed loans")?;
    }
    Ok(())
}

/// The closed loans `filter` asks for, in the order they ended.
pub(crate) fn select(conn: &Connection, filter: &LoanFilter) -> Result<Vec<ClosedLoan>> {
    let (sql, params) = select_sql(filter);
    conn.prepare_cached(&sql)
        .and_then(|mut select| {
            select
                .query_map(rusqlite::params_from_iter(&params), rows::closed_loan)?
                .collect()
        })
        .context("listing closed loans")
}

/// The statement of [`select`] and its parameters: both parts, each
/// searched by its own keys, merged in id order.
pub(crate) fn select_sql(filter: &LoanFilter) -> (String, Vec<Value>) {
    let mut moved = Vec::new();
    let mut recent = Vec::new();
    let mut moved_params = Vec::new();
    let mut recent_params = Vec::new();
    if let Some(card) = &filter.cardnumber {
        moved.push("id IN (SELECT id FROM closed_loan_patrons WHERE cardnumber = ?)");
        recent.push("cardnumber = ?");
        moved_params.push(Value::Text(card.clone()));
        recent_params.push(Value::Text(card.clone()));
    }
    if let Some(barcode) = &filter.barcode {
        moved.push("id IN (SELECT id FROM closed_loan_items WHERE barcode = ?)");
        recent.push("barcode = ?");
        moved_params.push(Value::Text(barcode.clone()));
        recent_params.push(Value::Text(barcode.clone()));
    }
    let part = |table: &str, conditions: &[&str]| {
        let mut sql = format!("SELECT {}, returned_at, id FROM {table}", loan_columns!());
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        sql
    };
    let mut sql = format!(
        "{} UNION ALL {} ORDER BY id",
        part("closed_loans", &moved),
        part("closed_loans_recent", &recent)
    );
    let mut params = moved_params;
    params.extend(recent_params);
    if let Some(limit) = filter.limit {
        sql.push_str(" LIMIT ?");
        params.push(Value::Integer(count(limit)));
    }
    (sql, params)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::NaiveDateTime;
    use koc_core::Loan;

    use super::*;

    fn database() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        // The patrons and items the closed loans refer to.
        conn.execute_batch(
            "INSERT INTO patrons (cardnumber, surname) VALUES ('C0', 'A'), ('C1', 'B');
             INSERT INTO items (barcode) VALUES ('B0'), ('B1'), ('B2');",
        )
        .unwrap();
        conn
    }

    fn closed(n: usize) -> ClosedLoan {
        let at = |minutes: i64| NaiveDateTime::default() + chrono::Duration::minutes(minutes);
        let n64 = i64::try_from(n).unwrap();
        ClosedLoan {
            loan: Loan {
                barcode: format!("B{}", n % 3),
                cardnumber: format!("C{}", n % 2),
                issued_at: at(n64),
                due_at: at(n64 + 10),
                renewals: 0,
                last_renewed_at: None,
                branch: Some("CPL".into()),
            },
            returned_at: at(n64 + 5),
        }
    }

    fn count(conn: &Connection, table: &str) -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
            row.get(0)
        })
        .unwrap()
    }

    /// Every listing the API offers, as (what, the loans' `n`).
    fn listings(conn: &Connection) -> Vec<(String, Vec<ClosedLoan>)> {
        let mut filters = vec![LoanFilter::all(), {
            let mut first_four = LoanFilter::all();
            first_four.limit = Some(4);
            first_four
        }];
        for key in 0..3 {
            filters.push(LoanFilter::item(format!("B{key}")));
            filters.push(LoanFilter::patron(format!("C{key}")));
            let mut both = LoanFilter::patron("C1");
            both.barcode = Some(format!("B{key}"));
            filters.push(both);
        }
        filters
            .into_iter()
            .map(|filter| (format!("{filter:?}"), select(conn, &filter).unwrap()))
            .collect()
    }

    #[test]
    fn both_parts_read_as_one_list_in_the_order_loans_ended() {
        let conn = database();
        let loans: Vec<ClosedLoan> = (0..10).map(closed).collect();
        // All in the recent part, then part moved, then all moved.
        append(&conn, &loans[..6]).unwrap();
        let recent_only = listings(&conn);
        move_recent(&conn).unwrap();
        append(&conn, &loans[6..]).unwrap();
        let both = listings(&conn);
        move_recent(&conn).unwrap();
        let moved_only = listings(&conn);
        assert_eq!(count(&conn, "closed_loans_recent"), 0);
        assert_eq!(count(&conn, "closed_loans"), 10);
        assert_eq!(count(&conn, "closed_loan_items"), 10);
        assert_eq!(count(&conn, "closed_loan_patrons"), 10);
        for (what, listed) in &both {
            let expected: Vec<&ClosedLoan> = loans
                .iter()
                .filter(|c| {
                    what.contains("barcode: None")
                        || what.contains(&format!("\"{}\"", c.loan.barcode))
                })
                .filter(|c| {
                    what.contains("cardnumber: None")
                        || what.contains(&format!("\"{}\"", c.loan.cardnumber))
                })
                .take(if what.contains("Some(4)") {
                    4
                } else {
                    usize::MAX
                })
                .collect();
            assert_eq!(listed.iter().collect::<Vec<_>>(), expected, "{what}");
        }
        assert_eq!(moved_only, both);
        // What the first six were, before any move, is what they still are.
        for ((what, before), (_, after)) in recent_only.iter().zip(&moved_only) {
            let first_six: Vec<&ClosedLoan> =
                after.iter().filter(|c| loans[..6].contains(c)).collect();
            assert_eq!(before.iter().collect::<Vec<_>>(), first_six, "{what}");
        }
    }

    #[test]
    fn ids_follow_on_across_both_parts() {
        let conn = database();
        append(&conn, &[closed(0), closed(1)]).unwrap();
        move_recent(&conn).unwrap();
        append(&conn, &[closed(2)]).unwrap();
        let ids = |table: &str| -> Vec<i64> {
            let mut select = conn
                .prepare(&format!("SELECT id FROM {table} ORDER BY id"))
                .unwrap();
            select
                .query_map([], |row| row.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        assert_eq!(ids("closed_loans"), [1, 2]);
        assert_eq!(ids("closed_loans_recent"), [3]);
        // After a move the recent part is empty: numbering goes on from
        // the moved loans, never starts over.
        move_recent(&conn).unwrap();
        append(&conn, &[closed(3)]).unwrap();
        assert_eq!(ids("closed_loans_recent"), [4]);
    }

    #[test]
    fn the_recent_part_moves_once_it_holds_move_at() {
        let conn = database();
        let below = usize::try_from(MOVE_AT - 1).unwrap();
        let loans: Vec<ClosedLoan> = (0..below).map(closed).collect();
        append(&conn, &loans).unwrap();
        assert!(!move_when_due(&conn).unwrap());
        assert_eq!(count(&conn, "closed_loans"), 0);
        append(&conn, &[closed(below)]).unwrap();
        assert!(move_when_due(&conn).unwrap());
        assert_eq!(count(&conn, "closed_loans_recent"), 0);
        assert_eq!(count(&conn, "closed_loans"), MOVE_AT);
        assert_eq!(count(&conn, "closed_loan_items"), MOVE_AT);
        assert_eq!(count(&conn, "closed_loan_patrons"), MOVE_AT);
    }
}
