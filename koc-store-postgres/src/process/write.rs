//! Writing a decided batch: its effects on the circulation data, and its
//! move from the queue to history.
//!
//! Every write is one `INSERT`, `UPDATE` or `DELETE` of `unnest`ed arrays,
//! not `COPY`, whose separate end message can wait up to 40 ms for an
//! acknowledgement at a batch's sizes (see `queue::COPY_FROM`).
//!
//! The arrays are unnested in a select list (`SELECT unnest($1) AS a,
//! unnest($2) AS b`), which the server streams row by row, not in a `FROM`
//! clause (`unnest($1, $2)`), which it first copies whole into a tuple
//! store: 6.8% of the server's instructions for processing 100 000
//! operations (`benches/server-instructions`: 21 480 M -> 20 020 M). The
//! loads do the same with their keys ([`super::load`]).

use chrono::NaiveDateTime;
use koc_core::{
    ConstraintKind, Effects, Error, Item, Loan, ProcessedOperation, RecordedPayment, Result,
};
use sqlx::PgConnection;

use super::load::{Barcodes, Places};
use crate::circulation::{LOANS_KEY, LoanColumns, PgQuery};
use crate::error::{Doing, corrupt};
use crate::history::{RECORD_BATCH, warnings_json};
use crate::place::Place;
use crate::rows::loan_columns;
use crate::store::now;

/// The `SET` list that makes an open loan `l` what `u` says.
macro_rules! loan_update {
    () => {
        "cardnumber = u.cardnumber, issued_at = u.issued_at, due_at = u.due_at, \
         renewals = u.renewals, last_renewed_at = u.last_renewed_at, branch = u.branch"
    };
}
pub(super) use loan_update;

/// Inserts the credits of a batch's payments, in payment order, and returns
/// each credit's id and operation: for a `WITH` part named `credits`.
/// `$a`..`$e` number the parameters holding the columns of
/// [`PaymentColumns`] from `operation` to `paid_at`. (The same SQL for the
/// one statement and for the statements one at a time.)
macro_rules! record_credits {
    ($a:literal, $b:literal, $c:literal, $d:literal, $e:literal) => {
        concat!(
            "INSERT INTO account_lines \
             (cardnumber, kind, amount, outstanding, description, created_at, operation_id) \
             SELECT u.cardnumber, 'credit', u.amount::numeric / 1000000, \
             u.unapplied::numeric / 1000000, 'Payment (offline)', u.paid_at, u.operation \
             FROM (SELECT unnest($",
            $a,
            "::bigint[]) AS operation, unnest($",
            $b,
            "::text[]) AS cardnumber, unnest($",
            $c,
            "::bigint[]) AS amount, unnest($",
            $d,
            "::bigint[]) AS unapplied, unnest($",
            $e,
            "::timestamp[]) AS paid_at, \
             generate_series(1, cardinality($",
            $a,
            "::bigint[])) AS ord) AS u ORDER BY u.ord \
             RETURNING id, operation_id"
        )
    };
}
pub(super) use record_credits;

/// Inserts what each payment paid of which debt, each part with the id of
/// its payment's credit from the `credits` part; `$f`..`$h` number the
/// parameters holding the columns of [`PaymentColumns`] from `by` to
/// `part`.
///
/// The credits and the parts are put together and sorted by payment, and
/// each part takes its payment's credit id over a window, rather than
/// joined: a batch's writes plan without hash or merge joins
/// ([`plan_as_lookups`]), and the join was a nested loop comparing every
/// part with every credit, work that grew with the square of a batch's
/// payments (3 s for a batch of 5 000 payments, against milliseconds). A
/// part whose payment has no credit would have no credit id, and its
/// insert fails on the key instead of dropping it.
macro_rules! record_offsets {
    ($f:literal, $g:literal, $h:literal) => {
        concat!(
            "INSERT INTO payment_offsets (credit_id, debit_id, amount) \
             SELECT x.credit, x.debit, x.amount::numeric / 1000000 FROM \
             (SELECT max(x.credit) OVER (PARTITION BY x.operation) AS credit, x.debit, x.amount \
             FROM (SELECT c.operation_id AS operation, c.id AS credit, NULL::bigint AS debit, \
             NULL::bigint AS amount FROM credits c UNION ALL SELECT unnest($",
            $f,
            "::bigint[]), NULL, unnest($",
            $g,
            "::bigint[]), unnest($",
            $h,
            "::bigint[])) AS x) AS x WHERE x.debit IS NOT NULL"
        )
    };
}
pub(super) use record_offsets;

/// Records a batch's payments, bound by [`PaymentColumns::bound`]: their
/// credits, then what each paid of which debt.
pub(super) const RECORD_PAYMENTS: &str = concat!(
    "WITH credits AS (",
    record_credits!(1, 2, 3, 4, 5),
    ") ",
    record_offsets!(6, 7, 8)
);

/// A batch's payments as column arrays: one credit per payment, and what
/// each paid of which debt.
pub(super) struct PaymentColumns<'a> {
    pub operation: Vec<i64>,
    pub cardnumber: Vec<&'a str>,
    pub amount: Vec<i64>,
    pub unapplied: Vec<i64>,
    pub paid_at: Vec<NaiveDateTime>,
    /// The operation of each part paid.
    pub by: Vec<i64>,
    pub debit: Vec<i64>,
    pub part: Vec<i64>,
}

impl<'a> PaymentColumns<'a> {
    pub(super) fn of(payments: &'a [RecordedPayment]) -> PaymentColumns<'a> {
        let (mut by, mut debit, mut part) = (Vec::new(), Vec::new(), Vec::new());
        for payment in payments {
            for (paid, amount) in &payment.applied {
                by.push(payment.operation.0);
                debit.push(paid.0);
                part.push(amount.micros());
            }
        }
        PaymentColumns {
            operation: payments.iter().map(|p| p.operation.0).collect(),
            cardnumber: payments.iter().map(|p| p.cardnumber.as_str()).collect(),
            amount: payments.iter().map(|p| p.amount.micros()).collect(),
            unapplied: payments.iter().map(|p| p.unapplied.micros()).collect(),
            paid_at: payments.iter().map(|p| p.paid_at).collect(),
            by,
            debit,
            part,
        }
    }

    /// `query` with these columns bound as its next eight parameters, in
    /// the order of the fields.
    pub(super) fn bound<'q>(&self, query: PgQuery<'q>) -> PgQuery<'q> {
        query
            .bind(&self.operation)
            .bind(&self.cardnumber)
            .bind(&self.amount)
            .bind(&self.unapplied)
            .bind(&self.paid_at)
            .bind(&self.by)
            .bind(&self.debit)
            .bind(&self.part)
    }
}

/// A batch's outcomes as column arrays, as history keeps them (warnings
/// as JSON, `None` for none).
pub(super) struct OutcomeColumns<'a> {
    pub operation: Vec<i64>,
    pub code: Vec<&'a str>,
    pub message: Vec<&'a str>,
    pub warnings: Vec<Option<String>>,
}

impl<'a> OutcomeColumns<'a> {
    pub(super) fn of(results: &'a [ProcessedOperation]) -> Result<OutcomeColumns<'a>> {
        Ok(OutcomeColumns {
            operation: results.iter().map(|r| r.pending.id.0).collect(),
            code: results.iter().map(|r| r.outcome.code.as_str()).collect(),
            message: results.iter().map(|r| r.outcome.message.as_str()).collect(),
            warnings: results
                .iter()
                .map(|r| match r.outcome.warnings.is_empty() {
                    true => Ok(None),
                    false => warnings_json(&r.outcome.warnings).map(Some),
                })
                .collect::<Result<_>>()?,
        })
    }

    /// `query` with these columns bound as its next four parameters, in
    /// the order of the fields.
    pub(super) fn bound<'q>(&self, query: PgQuery<'q>) -> PgQuery<'q> {
        query
            .bind(&self.operation)
            .bind(&self.code)
            .bind(&self.message)
            .bind(&self.warnings)
    }
}

/// Writes a batch's effects, to the rows at `places` where it can.
/// `had_loan`: the barcodes whose items had an open loan when the batch was
/// loaded.
pub(super) async fn apply(
    conn: &mut PgConnection,
    effects: &Effects,
    places: &Places,
    had_loan: &Barcodes,
) -> Result<()> {
    plan_as_lookups(conn).await?;
    // Each loan touched is deleted, changed in place (a renewal keeps its
    // row: an update that touches no index) or added.
    let (mut gone, mut changed, mut added) = (Vec::new(), Vec::new(), Vec::new());
    for (barcode, loan) in &effects.loans {
        let place = places.loans.get(barcode).copied();
        match (loan, had_loan.contains(barcode)) {
            (None, true) => gone.push((barcode.as_str(), place)),
            (None, false) => {}
            (Some(loan), true) => changed.push((loan, place)),
            (Some(loan), false) => added.push(loan),
        }
    }
    close_loans(conn, gone).await?;
    change_loans(conn, changed).await?;
    add_loans(conn, added).await?;
    if !effects.closed_loans.is_empty() {
        let first = take_ids(conn, "closed_loan_ids", effects.closed_loans.len()).await?;
        let closed = LoanColumns::of(effects.closed_loans.iter().map(|c| &c.loan));
        let returned: Vec<NaiveDateTime> =
            effects.closed_loans.iter().map(|c| c.returned_at).collect();
        let query = sqlx::query(concat!(
            "INSERT INTO closed_loans (id, ",
            loan_columns!(""),
            ", returned_at) SELECT generate_series($1::bigint, $1 + cardinality($2::text[]) - 1), \
             unnest($2::text[]), unnest($3::text[]), unnest($4::timestamp[]), \
             unnest($5::timestamp[]), unnest($6::bigint[]), unnest($7::timestamp[]), \
             unnest($8::text[]), unnest($9::timestamp[])"
        ))
        .bind(first);
        closed
            .bound(query)
            .bind(&returned)
            .execute(&mut *conn)
            .await
            .doing("recording ended loans")?;
    }
    let items = effects
        .items
        .iter()
        .map(|(barcode, item)| (item, places.items.get(barcode).copied()))
        .collect();
    update_items(conn, items).await?;
    if !effects.debts.is_empty() {
        let ids: Vec<i64> = effects.debts.keys().map(|id| id.0).collect();
        let outstanding: Vec<i64> = effects.debts.values().map(|m| m.micros()).collect();
        sqlx::query(
            "UPDATE account_lines a SET outstanding = u.outstanding::numeric / 1000000 \
             FROM (SELECT unnest($1::bigint[]) AS id, unnest($2::bigint[]) AS outstanding) AS u \
             WHERE a.id = u.id",
        )
        .bind(&ids)
        .bind(&outstanding)
        .execute(&mut *conn)
        .await
        .doing("updating debts")?;
    }
    if !effects.payments.is_empty() {
        let paid = PaymentColumns::of(&effects.payments);
        paid.bound(sqlx::query(RECORD_PAYMENTS))
            .execute(&mut *conn)
            .await
            .doing("recording payments")?;
    }
    if !effects.filled_holds.is_empty() {
        let ids: Vec<i64> = effects.filled_holds.keys().map(|id| id.0).collect();
        let at: Vec<NaiveDateTime> = effects.filled_holds.values().copied().collect();
        sqlx::query(
            "UPDATE holds h SET filled_at = u.at \
             FROM (SELECT unnest($1::bigint[]) AS id, unnest($2::timestamp[]) AS at) AS u \
             WHERE h.id = u.id",
        )
        .bind(&ids)
        .bind(&at)
        .execute(&mut *conn)
        .await
        .doing("filling holds")?;
    }
    Ok(())
}

/// What [`plan_as_lookups`] runs.
pub(super) const PLAN_AS_LOOKUPS: &str = "SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)";

/// Has the rest of the transaction find rows the way a batch's writes
/// need: each of a few thousand by its place (`ctid`) or its key, whatever
/// the size of the table. Left to its estimates, the planner would at
/// times join a batch's rows to a whole table instead (a hash join over a
/// sequential scan of every open loan or account line, or of the queue
/// for the batch's places), work that grows with the table and not with
/// the batch. Only joins are steered:
/// disabling a scan that is a statement's only way (the one row of
/// `queue_changes`) would price its plan past `jit_above_cost` and have
/// it compiled, 40 ms a statement. `SET LOCAL`: it ends with the
/// transaction.
pub(super) async fn plan_as_lookups(conn: &mut PgConnection) -> Result<()> {
    sqlx::query(PLAN_AS_LOOKUPS)
        .execute(&mut *conn)
        .await
        .doing("planning a batch's writes")?;
    Ok(())
}

/// Rows to write, split into those whose place is known (written through
/// it) and the others (written by key), with how the first went: a row
/// that moved since it was loaded is missed by its place, and then all of
/// them are written again by key (the same values: harmless).
fn by_place<T>(rows: Vec<(T, Option<Place>)>) -> (Vec<T>, Vec<Place>, Vec<T>) {
    let (mut placed, mut at, mut others) = (Vec::new(), Vec::new(), Vec::new());
    for (row, place) in rows {
        match place {
            Some(place) => {
                placed.push(row);
                at.push(place);
            }
            None => others.push(row),
        }
    }
    (placed, at, others)
}

/// Deletes the open loans of these barcodes.
async fn close_loans(conn: &mut PgConnection, gone: Vec<(&str, Option<Place>)>) -> Result<()> {
    let (placed, at, mut others) = by_place(gone);
    if !placed.is_empty() {
        let deleted = sqlx::query(
            "DELETE FROM loans l \
             USING (SELECT unnest($1::tid[]) AS at, unnest($2::text[]) AS barcode) AS u \
             WHERE l.ctid = u.at AND l.barcode = u.barcode",
        )
        .bind(&at)
        .bind(&placed)
        .execute(&mut *conn)
        .await
        .doing("closing loans")?;
        if deleted.rows_affected() != placed.len() as u64 {
            others.extend(placed);
        }
    }
    if !others.is_empty() {
        sqlx::query("DELETE FROM loans WHERE barcode = ANY($1)")
            .bind(&others)
            .execute(&mut *conn)
            .await
            .doing("closing loans")?;
    }
    Ok(())
}

/// Rewrites open loans that stay open (renewed, or lent to someone else).
pub(super) async fn change_loans(
    conn: &mut PgConnection,
    changed: Vec<(&Loan, Option<Place>)>,
) -> Result<()> {
    let (placed, at, mut others) = by_place(changed);
    if !placed.is_empty() {
        let columns = LoanColumns::of(placed.iter().copied());
        let updated = columns
            .bound(sqlx::query(concat!(
                "UPDATE loans l SET ",
                loan_update!(),
                " FROM (SELECT unnest($1::text[]) AS barcode, unnest($2::text[]) AS cardnumber, \
             unnest($3::timestamp[]) AS issued_at, unnest($4::timestamp[]) AS due_at, \
             unnest($5::bigint[]) AS renewals, unnest($6::timestamp[]) AS last_renewed_at, \
             unnest($7::text[]) AS branch, unnest($8::tid[]) AS at) AS u \
             WHERE l.ctid = u.at AND l.barcode = u.barcode"
            )))
            .bind(&at)
            .execute(&mut *conn)
            .await
            .doing("writing loans")?;
        if updated.rows_affected() != placed.len() as u64 {
            others.extend(placed);
        }
    }
    if !others.is_empty() {
        let columns = LoanColumns::of(others.into_iter());
        columns
            .bound(sqlx::query(concat!(
                "UPDATE loans l SET ",
                loan_update!(),
                " FROM (SELECT unnest($1::text[]) AS barcode, unnest($2::text[]) AS cardnumber, \
             unnest($3::timestamp[]) AS issued_at, unnest($4::timestamp[]) AS due_at, \
             unnest($5::bigint[]) AS renewals, unnest($6::timestamp[]) AS last_renewed_at, \
             unnest($7::text[]) AS branch) AS u WHERE l.barcode = u.barcode"
            )))
            .execute(&mut *conn)
            .await
            .doing("writing loans")?;
    }
    Ok(())
}

/// Adds open loans.
async fn add_loans(conn: &mut PgConnection, added: Vec<&Loan>) -> Result<()> {
    if added.is_empty() {
        return Ok(());
    }
    let columns = LoanColumns::of(added.into_iter());
    // The items had no open loan when the batch was loaded, and only
    // processing, which holds the queue lock, writes loans here; but a
    // host's upsert_loans may have added one meanwhile, and then the
    // processed operation, later, wins. So the loans are inserted
    // expecting them to be new, in a savepoint, and written again by
    // upsert when one was not.
    sqlx::query("SAVEPOINT koc_new_loans")
        .execute(&mut *conn)
        .await
        .doing("writing loans")?;
    match columns.insert(conn, "writing loans").await {
        Ok(()) => {
            sqlx::query("RELEASE SAVEPOINT koc_new_loans")
                .execute(&mut *conn)
                .await
                .doing("writing loans")?;
            Ok(())
        }
        Err(Error::Constraint {
            kind: ConstraintKind::Unique,
            detail,
        }) if detail.contains(LOANS_KEY) => {
            sqlx::query("ROLLBACK TO SAVEPOINT koc_new_loans")
                .execute(&mut *conn)
                .await
                .doing("writing loans")?;
            columns.upsert(conn, "writing loans").await
        }
        Err(other) => Err(other),
    }
}

/// Writes what processing changes of items: status, last seen, holding
/// library.
pub(super) async fn update_items(
    conn: &mut PgConnection,
    items: Vec<(&Item, Option<Place>)>,
) -> Result<()> {
    let (placed, at, mut others) = by_place(items);
    if !placed.is_empty() {
        let (barcodes, statuses, seen, holding) = item_columns(&placed);
        let updated = sqlx::query(
            "UPDATE items i SET status = u.status, last_seen = u.last_seen, \
             holdingbranch = u.holdingbranch \
             FROM (SELECT unnest($1::text[]) AS barcode, unnest($2::text[]) AS status, \
             unnest($3::timestamp[]) AS last_seen, unnest($4::text[]) AS holdingbranch, \
             unnest($5::tid[]) AS at) AS u \
             WHERE i.ctid = u.at AND i.barcode = u.barcode",
        )
        .bind(&barcodes)
        .bind(&statuses)
        .bind(&seen)
        .bind(&holding)
        .bind(&at)
        .execute(&mut *conn)
        .await
        .doing("updating items")?;
        if updated.rows_affected() != placed.len() as u64 {
            others.extend(placed);
        }
    }
    if !others.is_empty() {
        let (barcodes, statuses, seen, holding) = item_columns(&others);
        sqlx::query(
            "UPDATE items i SET status = u.status, last_seen = u.last_seen, \
             holdingbranch = u.holdingbranch \
             FROM (SELECT unnest($1::text[]) AS barcode, unnest($2::text[]) AS status, \
             unnest($3::timestamp[]) AS last_seen, unnest($4::text[]) AS holdingbranch) AS u \
             WHERE i.barcode = u.barcode",
        )
        .bind(&barcodes)
        .bind(&statuses)
        .bind(&seen)
        .bind(&holding)
        .execute(&mut *conn)
        .await
        .doing("updating items")?;
    }
    Ok(())
}

/// Items as column arrays: barcode, status, last seen, holding library.
pub(super) type ItemColumns<'a> = (
    Vec<&'a str>,
    Vec<&'static str>,
    Vec<Option<NaiveDateTime>>,
    Vec<Option<&'a str>>,
);

/// What [`update_items`] writes, as column arrays.
pub(super) fn item_columns<'a>(items: &[&'a Item]) -> ItemColumns<'a> {
    (
        items.iter().map(|i| i.barcode.as_str()).collect(),
        items.iter().map(|i| i.status.as_str()).collect(),
        items.iter().map(|i| i.last_seen).collect(),
        items.iter().map(|i| i.holdingbranch.as_deref()).collect(),
    )
}

/// Checks that the queue rows a batch deleted were its operations', all
/// of them. It cannot be otherwise under the queue lock; the batch is
/// never committed if it is.
pub(super) fn all_left_the_queue(mut gone: Vec<i64>, mut batch: Vec<i64>) -> Result<()> {
    gone.sort_unstable();
    batch.sort_unstable();
    if gone != batch {
        return Err(corrupt(format_args!(
            "{} of the {} operations of the batch left the queue",
            gone.len(),
            batch.len()
        )));
    }
    Ok(())
}

/// Moves a processed batch from the queue (its rows at `places`) to
/// history.
pub(super) async fn settle(
    conn: &mut PgConnection,
    results: &[ProcessedOperation],
    places: &[Place],
    by: &str,
) -> Result<()> {
    let gone: Vec<i64> = sqlx::query_scalar(
        "DELETE FROM pending p USING (SELECT unnest($1::tid[]) AS at) AS u \
             WHERE p.ctid = u.at RETURNING p.id",
    )
    .bind(places)
    .fetch_all(&mut *conn)
    .await
    .doing("taking operations out of the queue")?;
    all_left_the_queue(gone, results.iter().map(|r| r.pending.id.0).collect())?;
    let outcomes = OutcomeColumns::of(results)?;
    outcomes
        .bound(sqlx::query(RECORD_BATCH))
        .bind(by)
        .bind(now())
        .execute(&mut *conn)
        .await
        .doing("recording history")?;
    Ok(())
}

/// The first of `count` consecutive ids taken from `sequence` at once: safe
/// where every writer of the table holds the queue lock.
async fn take_ids(conn: &mut PgConnection, sequence: &str, count: usize) -> Result<i64> {
    if count == 0 {
        // Nothing to number (and a sequence cannot go back to 0).
        return Ok(1);
    }
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    let last: i64 =
        sqlx::query_scalar("SELECT setval($1::regclass, nextval($1::regclass) + $2 - 1)")
            .bind(sequence)
            .bind(count)
            .fetch_one(conn)
            .await
            .doing("numbering rows")?;
    Ok(last - count + 1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use chrono::NaiveDate;
    use sqlx::Connection;

    use super::*;
    use crate::testing::store;

    fn at(hour: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 7, 22)
            .and_then(|d| d.and_hms_opt(hour, 0, 0))
            .unwrap()
    }

    fn loan(barcode: &str, cardnumber: &str, hour: u32) -> Loan {
        Loan {
            barcode: barcode.into(),
            cardnumber: cardnumber.into(),
            issued_at: at(hour),
            due_at: at(hour + 1),
            renewals: 0,
            last_renewed_at: None,
            branch: Some("CPL".into()),
        }
    }

    async fn loans(conn: &mut PgConnection) -> Vec<(String, String, NaiveDateTime)> {
        sqlx::query_as("SELECT barcode, cardnumber, issued_at FROM loans ORDER BY barcode")
            .fetch_all(conn)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_loan_added_meanwhile_gives_way_to_the_processed_one() {
        let Some(store) = store("loans_meanwhile").await else {
            return;
        };
        let mut conn = store.pool().acquire().await.unwrap();
        let mut tx = conn.begin().await.unwrap();
        // A host lent B2 to P9 after the batch was loaded.
        let host = loan("B2", "P9", 9);
        LoanColumns::of([&host].into_iter())
            .upsert(&mut tx, "test")
            .await
            .unwrap();
        let (b1, b2) = (loan("B1", "P1", 10), loan("B2", "P1", 11));
        add_loans(&mut tx, vec![&b1, &b2]).await.unwrap();
        // The transaction goes on after the conflict, and commits both.
        tx.commit().await.unwrap();
        assert_eq!(
            loans(&mut conn).await,
            [
                ("B1".into(), "P1".into(), at(10)),
                ("B2".into(), "P1".into(), at(11)),
            ]
        );
        drop(conn);
        store.drop_schema().await.unwrap();
    }

    #[tokio::test]
    async fn new_loans_are_inserted_and_a_plain_insert_names_the_key_it_breaks() {
        let Some(store) = store("loans_new").await else {
            return;
        };
        let mut conn = store.pool().acquire().await.unwrap();
        let mut tx = conn.begin().await.unwrap();
        let (b1, b2) = (loan("B1", "P1", 10), loan("B2", "P2", 11));
        add_loans(&mut tx, vec![&b1, &b2]).await.unwrap();
        assert_eq!(loans(&mut tx).await.len(), 2);
        // What add_loans tells a conflict by.
        let again = loan("B2", "P3", 12);
        match LoanColumns::of([&again].into_iter())
            .insert(&mut tx, "test")
            .await
        {
            Err(Error::Constraint {
                kind: ConstraintKind::Unique,
                detail,
            }) => assert!(detail.contains(LOANS_KEY), "{detail}"),
            other => panic!("expected a unique violation, got {other:?}"),
        }
        drop(tx);
        drop(conn);
        store.drop_schema().await.unwrap();
    }
}
