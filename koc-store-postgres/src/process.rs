//! [`Processor`]: applying pending operations, one transaction per batch.
//!
//! # How a batch is processed
//!
//! Each batch is one transaction on one connection:
//!
//! 1. `pg_advisory_xact_lock` on the schema's queue lock. Processors in
//!    other tasks, processes or machines wait here, so batches never
//!    interleave: no operation is processed twice, and time order holds
//!    across processors. The lock ends with the transaction, also when the
//!    processor's connection dies, so a crashed processor never blocks the
//!    queue.
//! 2. The next operations still pending, in (time, id) order, after the
//!    last one this run took (or the next chunk of the selected ids).
//! 3. The state they touch, one set-based query per kind (`= ANY($1)` with
//!    arrays): patrons by card number or username, items with their open
//!    loans, the patrons' outstanding debts, the items' waiting holds and,
//!    for a selection, the earliest operation on each item left in the
//!    queue.
//! 4. [`Engine::decide`], in memory.
//! 5. The effects, one set-based statement per kind (`unnest` of arrays),
//!    and the move of the batch from the queue to history: its keys deleted
//!    from `pending`, its outcomes copied into `history` (binary `COPY`).
//! 6. Commit; then the observer sees the batch.
//!
//! An error anywhere (the database, a loan policy) rolls the batch back:
//! nothing of it is applied and its operations stay pending.
//!
//! A dry run is all of that inside **one** transaction that is rolled back
//! at the end: later batches see what earlier ones would have done, so the
//! outcomes are exactly a real run's, and nothing is written. It holds the
//! queue lock for the whole run, so real processing waits for it.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::NaiveDateTime;
use koc_core::{
    BatchKeys, BatchState, Effects, Engine, Error, LoanPolicy, OperationId, PendingOperation,
    ProcessObserver, ProcessRun, ProcessSummary, ProcessedOperation, Processor, Result, RuleTable,
    Selection,
};
use sqlx::{PgConnection, Row};

use crate::circulation::{LoanColumns, load_rules};
use crate::copy::CopyRows;
use crate::earlier::{self, Earlier};
use crate::error::{Doing, corrupt};
use crate::history::warnings_json;
use crate::queue::pending_of_ids;
use crate::rows::{
    self, account_line_columns, hold_columns, item_columns, loan_columns, operation_columns,
    patron_columns,
};
use crate::store::now;
use crate::{PostgresStore, codec, locks};

/// The operations of a batch, in processing order, and where each is in
/// the queue table.
struct Batch {
    operations: Vec<PendingOperation>,
    /// The `ctid` of each operation's row in `pending`: the batch leaves
    /// the queue by these, without a search. Stable until the transaction
    /// ends: queue rows are never updated, and only holders of the queue
    /// lock delete them.
    places: Vec<String>,
}

/// Where the items and open loans a batch loaded are, by barcode: their
/// rows' `ctid`, so that the batch's writes go straight to the rows instead
/// of searching the primary key again. A row a host changed meanwhile has
/// moved; a write that finds fewer rows than it should is done again by
/// barcode.
#[derive(Default)]
struct Places {
    items: HashMap<String, String>,
    loans: HashMap<String, String>,
}

/// Where a run is: its place in the queue, and, when it may leave
/// operations behind, what it knows of them.
struct Position {
    cursor: Cursor,
    earlier: Option<Earlier>,
}

/// Where a run is in the queue.
enum Cursor {
    /// Processing everything (of a library): the order key of the last
    /// operation taken.
    All(Option<(NaiveDateTime, i16, i64)>),
    /// Processing a selection: the selected ids still to take, in
    /// processing order.
    Ids { ids: Vec<i64>, next: usize },
}

impl PostgresStore {
    /// The selected ids still pending (of the run's library), in
    /// processing order, and the ids that are not pending.
    async fn selection(
        &self,
        conn: &mut PgConnection,
        ids: &[OperationId],
        branch: Option<&str>,
    ) -> Result<(Vec<i64>, Vec<OperationId>)> {
        let wanted: Vec<i64> = ids
            .iter()
            .map(|id| id.0)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let rows = sqlx::query(concat!(
            "SELECT p.id, p.branch",
            pending_of_ids!(),
            " ORDER BY p.time, p.time_ns, p.id"
        ))
        .bind(&wanted)
        .fetch_all(&mut *conn)
        .await
        .doing("reading the selection")?;
        let mut selected = Vec::with_capacity(rows.len());
        let mut found = HashSet::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.try_get(0).doing("reading the selection")?;
            let of: String = row.try_get(1).doing("reading the selection")?;
            found.insert(id);
            if branch.is_none_or(|b| b == of) {
                selected.push(id);
            }
        }
        let not_pending = wanted
            .into_iter()
            .filter(|id| !found.contains(id))
            .map(OperationId)
            .collect();
        Ok((selected, not_pending))
    }

    /// The next batch of the run, still pending, in processing order.
    async fn next_batch(
        &self,
        conn: &mut PgConnection,
        cursor: &mut Cursor,
        branch: Option<&str>,
        size: usize,
    ) -> Result<Batch> {
        let limit = i64::try_from(size).unwrap_or(i64::MAX);
        let rows = match cursor {
            Cursor::All(after) => {
                let query = match (&after, branch) {
                    (None, None) => sqlx::query(concat!(
                        "SELECT o.id, ",
                        operation_columns!("o."),
                        ", p.ctid::text FROM pending p JOIN operations o ON o.id = p.id \
                         ORDER BY p.time, p.time_ns, p.id LIMIT $1"
                    )),
                    (None, Some(_)) => sqlx::query(concat!(
                        "SELECT o.id, ",
                        operation_columns!("o."),
                        ", p.ctid::text FROM pending p JOIN operations o ON o.id = p.id WHERE p.branch = $2 \
                         ORDER BY p.time, p.time_ns, p.id LIMIT $1"
                    )),
                    (Some(_), None) => sqlx::query(concat!(
                        "SELECT o.id, ",
                        operation_columns!("o."),
                        ", p.ctid::text FROM pending p JOIN operations o ON o.id = p.id \
                         WHERE (p.time, p.time_ns, p.id) > ($3, $4, $5) \
                         ORDER BY p.time, p.time_ns, p.id LIMIT $1"
                    )),
                    (Some(_), Some(_)) => sqlx::query(concat!(
                        "SELECT o.id, ",
                        operation_columns!("o."),
                        ", p.ctid::text FROM pending p JOIN operations o ON o.id = p.id WHERE p.branch = $2 \
                         AND (p.time, p.time_ns, p.id) > ($3, $4, $5) \
                         ORDER BY p.time, p.time_ns, p.id LIMIT $1"
                    )),
                };
                let mut query = query.bind(limit).bind(branch.unwrap_or_default());
                if let Some((time, ns, id)) = after {
                    query = query.bind(*time).bind(*ns).bind(*id);
                }
                query.fetch_all(&mut *conn).await
            }
            Cursor::Ids { ids, next } => loop {
                // Chunks whose operations all left the queue meanwhile
                // (another processor, a delete) are skipped, not the end.
                let end = ids.len().min(next.saturating_add(size));
                let chunk = ids.get(*next..end).unwrap_or_default();
                *next = end;
                let rows = sqlx::query(concat!(
                    "SELECT o.id, ",
                    operation_columns!("o."),
                    ", p.ctid::text",
                    pending_of_ids!(),
                    " ORDER BY p.time, p.time_ns, p.id"
                ))
                .bind(chunk)
                .fetch_all(&mut *conn)
                .await;
                if !matches!(&rows, Ok(rows) if rows.is_empty()) || *next >= ids.len() {
                    break rows;
                }
            },
        }
        .doing("taking the next batch")?;
        let mut batch = Batch {
            operations: Vec::with_capacity(rows.len()),
            places: Vec::with_capacity(rows.len()),
        };
        for row in &rows {
            batch.operations.push(rows::pending(row, 0)?);
            batch.places.push(
                row.try_get(rows::PENDING_WIDTH)
                    .doing("taking the next batch")?,
            );
        }
        if let (Cursor::All(after), Some(last)) = (cursor, batch.operations.last()) {
            let (time, ns) = codec::split_time(last.operation.time);
            *after = Some((time, ns, last.id.0));
        }
        Ok(batch)
    }

    /// Everything `batch` touches (see [`BatchState`]), and where its items
    /// and open loans are.
    async fn load_state(
        &self,
        conn: &mut PgConnection,
        batch: &[PendingOperation],
    ) -> Result<(BatchState, Places)> {
        let mut places = Places::default();
        let keys = BatchKeys::of(batch);
        let cards: Vec<&str> = keys.cards.iter().map(String::as_str).collect();
        let barcodes: Vec<&str> = keys.barcodes.iter().map(String::as_str).collect();
        let mut state = BatchState::default();

        if !cards.is_empty() {
            // By card number, then by username for the cards that are not
            // card numbers (Koha's order; what the engine resolves). Joins
            // on unnest keep the planner on the indexes however many keys.
            let rows = sqlx::query(concat!(
                "SELECT ",
                patron_columns!("p."),
                " FROM unnest($1::text[]) AS k(card) JOIN patrons p ON p.cardnumber = k.card"
            ))
            .bind(&cards)
            .fetch_all(&mut *conn)
            .await
            .doing("loading patrons")?;
            for row in &rows {
                state.add_patron(rows::patron(row, 0)?);
            }
            let others: Vec<&str> = cards
                .iter()
                .copied()
                .filter(|c| !state.patrons.contains_key(*c))
                .collect();
            if !others.is_empty() {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    patron_columns!("p."),
                    " FROM unnest($1::text[]) AS k(userid) JOIN patrons p ON p.userid = k.userid"
                ))
                .bind(&others)
                .fetch_all(&mut *conn)
                .await
                .doing("loading patrons")?;
                for row in &rows {
                    state.add_patron(rows::patron(row, 0)?);
                }
            }
        }
        if !state.patrons.is_empty() {
            let loaded: Vec<&str> = state.patrons.keys().map(String::as_str).collect();
            let rows = sqlx::query(concat!(
                "SELECT ",
                account_line_columns!("a."),
                " FROM unnest($1::text[]) AS k(card) JOIN account_lines a \
                 ON a.cardnumber = k.card AND a.kind = 'debit' AND a.outstanding > 0 \
                 ORDER BY a.created_at, a.id"
            ))
            .bind(&loaded)
            .fetch_all(&mut *conn)
            .await
            .doing("loading debts")?;
            for row in &rows {
                state.add_debt(rows::account_line(row)?);
            }
        }
        if !barcodes.is_empty() {
            let rows = sqlx::query(concat!(
                "SELECT ",
                item_columns!("i."),
                ", ",
                loan_columns!("l."),
                ", i.ctid::text, l.ctid::text \
                 FROM unnest($1::text[]) AS k(barcode) JOIN items i ON i.barcode = k.barcode \
                 LEFT JOIN loans l ON l.barcode = i.barcode"
            ))
            .bind(&barcodes)
            .fetch_all(&mut *conn)
            .await
            .doing("loading items and loans")?;
            let at = rows::ITEM_WIDTH + rows::LOAN_WIDTH;
            for row in &rows {
                let item = rows::item(row, 0)?;
                let place: String = row.try_get(at).doing("loading items")?;
                places.items.insert(item.barcode.clone(), place);
                if let Some(loan) = rows::maybe_loan(row, rows::ITEM_WIDTH)? {
                    let place: String = row.try_get(at + 1).doing("loading loans")?;
                    places.loans.insert(loan.barcode.clone(), place);
                    state.add_loan(loan);
                }
                state.add_item(item);
            }
            let rows = sqlx::query(concat!(
                "SELECT ",
                hold_columns!("h."),
                " FROM unnest($1::text[]) AS k(barcode) JOIN holds h \
                 ON h.barcode = k.barcode AND h.filled_at IS NULL ORDER BY h.placed_at, h.id"
            ))
            .bind(&barcodes)
            .fetch_all(&mut *conn)
            .await
            .doing("loading holds")?;
            for row in &rows {
                state.add_hold(rows::hold(row)?);
            }
        }
        Ok((state, places))
    }

    /// Writes a batch's effects, to the rows at `places` where it can.
    async fn apply(
        &self,
        conn: &mut PgConnection,
        effects: &Effects,
        places: &Places,
    ) -> Result<()> {
        // Each loan touched is deleted, changed in place (a renewal keeps
        // its row: an update that touches no index) or added.
        let mut gone = Vec::new();
        let (mut changed, mut added) = (Vec::new(), Vec::new());
        for (barcode, loan) in &effects.loans {
            match (loan, places.loans.get(barcode)) {
                (None, Some(place)) => gone.push((barcode.as_str(), Some(place.as_str()))),
                (None, None) => {}
                (Some(loan), Some(place)) => changed.push((loan, Some(place.as_str()))),
                (Some(loan), None) => added.push(loan),
            }
        }
        if !gone.is_empty() {
            let (barcodes, at): (Vec<&str>, Vec<Option<&str>>) = gone.into_iter().unzip();
            let deleted = sqlx::query(
                "DELETE FROM loans l USING unnest($1::text[]::tid[], $2::text[]) AS u(at, barcode) \
                 WHERE l.ctid = u.at AND l.barcode = u.barcode",
            )
            .bind(&at)
            .bind(&barcodes)
            .execute(&mut *conn)
            .await
            .doing("closing loans")?;
            if deleted.rows_affected() != barcodes.len() as u64 {
                sqlx::query("DELETE FROM loans WHERE barcode = ANY($1)")
                    .bind(&barcodes)
                    .execute(&mut *conn)
                    .await
                    .doing("closing loans")?;
            }
        }
        if !changed.is_empty() {
            let at: Vec<Option<&str>> = changed.iter().map(|(_, at)| *at).collect();
            let changed = LoanColumns::of(changed.into_iter().map(|(loan, _)| loan));
            let updated = sqlx::query(concat!(
                "UPDATE loans l SET ",
                loan_update!(),
                " FROM unnest($1::text[], $2::text[], $3::timestamp[], $4::timestamp[], \
                 $5::bigint[], $6::timestamp[], $7::text[], $8::text[]::tid[]) \
                 AS u(barcode, cardnumber, issued_at, due_at, renewals, last_renewed_at, \
                 branch, at) WHERE l.ctid = u.at AND l.barcode = u.barcode"
            ))
            .bind(&changed.barcode)
            .bind(&changed.cardnumber)
            .bind(&changed.issued_at)
            .bind(&changed.due_at)
            .bind(&changed.renewals)
            .bind(&changed.last_renewed_at)
            .bind(&changed.branch)
            .bind(&at)
            .execute(&mut *conn)
            .await
            .doing("writing loans")?;
            if updated.rows_affected() != changed.barcode.len() as u64 {
                sqlx::query(concat!(
                    "UPDATE loans l SET ",
                    loan_update!(),
                    " FROM unnest($1::text[], $2::text[], $3::timestamp[], $4::timestamp[], \
                     $5::bigint[], $6::timestamp[], $7::text[]) \
                     AS u(barcode, cardnumber, issued_at, due_at, renewals, last_renewed_at, \
                     branch) WHERE l.barcode = u.barcode"
                ))
                .bind(&changed.barcode)
                .bind(&changed.cardnumber)
                .bind(&changed.issued_at)
                .bind(&changed.due_at)
                .bind(&changed.renewals)
                .bind(&changed.last_renewed_at)
                .bind(&changed.branch)
                .execute(&mut *conn)
                .await
                .doing("writing loans")?;
            }
        }
        if !added.is_empty() {
            let added = LoanColumns::of(added.into_iter());
            // A host's upsert_loans may have added one meanwhile: the
            // processed operation, later, wins.
            sqlx::query(concat!(
                "INSERT INTO loans (",
                loan_columns!(""),
                ") SELECT * FROM unnest($1::text[], $2::text[], $3::timestamp[], \
                 $4::timestamp[], $5::bigint[], $6::timestamp[], $7::text[]) \
                 ON CONFLICT (barcode) DO UPDATE SET cardnumber = EXCLUDED.cardnumber, \
                 issued_at = EXCLUDED.issued_at, due_at = EXCLUDED.due_at, \
                 renewals = EXCLUDED.renewals, last_renewed_at = EXCLUDED.last_renewed_at, \
                 branch = EXCLUDED.branch"
            ))
            .bind(&added.barcode)
            .bind(&added.cardnumber)
            .bind(&added.issued_at)
            .bind(&added.due_at)
            .bind(&added.renewals)
            .bind(&added.last_renewed_at)
            .bind(&added.branch)
            .execute(&mut *conn)
            .await
            .doing("writing loans")?;
        }
        if !effects.closed_loans.is_empty() {
            let first = take_ids(conn, "closed_loan_ids", effects.closed_loans.len()).await?;
            let mut rows = CopyRows::new(9, effects.closed_loans.len() * 128);
            for (id, closed) in (first..).zip(&effects.closed_loans) {
                let loan = &closed.loan;
                rows.row()
                    .int8(id)
                    .text(&loan.barcode)?
                    .text(&loan.cardnumber)?
                    .timestamp(loan.issued_at)?
                    .timestamp(loan.due_at)?
                    .int8(i64::from(loan.renewals))
                    .timestamp_or_null(loan.last_renewed_at)?
                    .text_or_null(loan.branch.as_deref())?
                    .timestamp(closed.returned_at)?;
            }
            rows.send(
                conn,
                concat!(
                    "COPY closed_loans (id, ",
                    loan_columns!(""),
                    ", returned_at) FROM STDIN (FORMAT binary)"
                ),
                "recording ended loans",
            )
            .await?;
        }
        if !effects.items.is_empty() {
            let barcodes: Vec<&str> = effects.items.keys().map(String::as_str).collect();
            let statuses: Vec<&str> = effects.items.values().map(|i| i.status.as_str()).collect();
            let seen: Vec<Option<NaiveDateTime>> =
                effects.items.values().map(|i| i.last_seen).collect();
            let holding: Vec<Option<&str>> = effects
                .items
                .values()
                .map(|i| i.holdingbranch.as_deref())
                .collect();
            let at: Vec<Option<&str>> = barcodes
                .iter()
                .map(|b| places.items.get(*b).map(String::as_str))
                .collect();
            let updated = sqlx::query(
                "UPDATE items i SET status = u.status, last_seen = u.last_seen, \
                 holdingbranch = u.holdingbranch \
                 FROM unnest($1::text[], $2::text[], $3::timestamp[], $4::text[], \
                 $5::text[]::tid[]) AS u(barcode, status, last_seen, holdingbranch, at) \
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
            if updated.rows_affected() != barcodes.len() as u64 {
                sqlx::query(
                    "UPDATE items i SET status = u.status, last_seen = u.last_seen, \
                     holdingbranch = u.holdingbranch \
                     FROM unnest($1::text[], $2::text[], $3::timestamp[], $4::text[]) \
                     AS u(barcode, status, last_seen, holdingbranch) WHERE i.barcode = u.barcode",
                )
                .bind(&barcodes)
                .bind(&statuses)
                .bind(&seen)
                .bind(&holding)
                .execute(&mut *conn)
                .await
                .doing("updating items")?;
            }
        }
        if !effects.debts.is_empty() {
            let ids: Vec<i64> = effects.debts.keys().map(|id| id.0).collect();
            let outstanding: Vec<i64> = effects.debts.values().map(|m| m.micros()).collect();
            sqlx::query(
                "UPDATE account_lines a SET outstanding = u.outstanding::numeric / 1000000 \
                 FROM unnest($1::bigint[], $2::bigint[]) AS u(id, outstanding) WHERE a.id = u.id",
            )
            .bind(&ids)
            .bind(&outstanding)
            .execute(&mut *conn)
            .await
            .doing("updating debts")?;
        }
        if !effects.payments.is_empty() {
            let payments = &effects.payments;
            let operations: Vec<i64> = payments.iter().map(|p| p.operation.0).collect();
            let cards: Vec<&str> = payments.iter().map(|p| p.cardnumber.as_str()).collect();
            let amounts: Vec<i64> = payments.iter().map(|p| p.amount.micros()).collect();
            let unapplied: Vec<i64> = payments.iter().map(|p| p.unapplied.micros()).collect();
            let paid_at: Vec<NaiveDateTime> = payments.iter().map(|p| p.paid_at).collect();
            let (mut by, mut debits, mut parts) = (Vec::new(), Vec::new(), Vec::new());
            for payment in payments {
                for (debit, part) in &payment.applied {
                    by.push(payment.operation.0);
                    debits.push(debit.0);
                    parts.push(part.micros());
                }
            }
            sqlx::query(
                "WITH credits AS (INSERT INTO account_lines \
                 (cardnumber, kind, amount, outstanding, description, created_at, operation_id) \
                 SELECT u.cardnumber, 'credit', u.amount::numeric / 1000000, \
                 u.unapplied::numeric / 1000000, 'Payment (offline)', u.paid_at, u.operation \
                 FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], \
                 $5::timestamp[]) WITH ORDINALITY \
                 AS u(operation, cardnumber, amount, unapplied, paid_at, ord) ORDER BY u.ord \
                 RETURNING id, operation_id) \
                 INSERT INTO payment_offsets (credit_id, debit_id, amount) \
                 SELECT c.id, o.debit, o.amount::numeric / 1000000 \
                 FROM unnest($6::bigint[], $7::bigint[], $8::bigint[]) AS o(operation, debit, amount) \
                 JOIN credits c ON c.operation_id = o.operation",
            )
            .bind(&operations)
            .bind(&cards)
            .bind(&amounts)
            .bind(&unapplied)
            .bind(&paid_at)
            .bind(&by)
            .bind(&debits)
            .bind(&parts)
            .execute(&mut *conn)
            .await
            .doing("recording payments")?;
        }
        if !effects.filled_holds.is_empty() {
            let ids: Vec<i64> = effects.filled_holds.keys().map(|id| id.0).collect();
            let at: Vec<NaiveDateTime> = effects.filled_holds.values().copied().collect();
            sqlx::query(
                "UPDATE holds h SET filled_at = u.at \
                 FROM unnest($1::bigint[], $2::timestamp[]) AS u(id, at) WHERE h.id = u.id",
            )
            .bind(&ids)
            .bind(&at)
            .execute(&mut *conn)
            .await
            .doing("filling holds")?;
        }
        Ok(())
    }

    /// Moves a processed batch from the queue to history.
    async fn settle(
        &self,
        conn: &mut PgConnection,
        results: &[ProcessedOperation],
        places: &[String],
        by: &str,
    ) -> Result<()> {
        let mut gone: Vec<i64> = sqlx::query_scalar(
            "DELETE FROM pending WHERE ctid = ANY($1::text[]::tid[]) RETURNING id",
        )
        .bind(places)
        .fetch_all(&mut *conn)
        .await
        .doing("taking operations out of the queue")?;
        let mut ids: Vec<i64> = results.iter().map(|r| r.pending.id.0).collect();
        gone.sort_unstable();
        ids.sort_unstable();
        if gone != ids {
            // Cannot happen under the queue lock; never commit if it does.
            return Err(corrupt(format_args!(
                "{} of the {} operations of the batch left the queue",
                gone.len(),
                results.len()
            )));
        }
        let first = take_ids(conn, "history_ids", results.len()).await?;
        let mut rows = CopyRows::new(7, results.len() * 96);
        let at = now();
        for (id, result) in (first..).zip(results) {
            let outcome = &result.outcome;
            rows.row()
                .int8(id)
                .int8(result.pending.id.0)
                .text(outcome.code.as_str())?
                .text(&outcome.message)?;
            if outcome.warnings.is_empty() {
                rows.jsonb("[]")?;
            } else {
                rows.jsonb(&warnings_json(&outcome.warnings)?)?;
            }
            rows.text(by)?.timestamp(at)?;
        }
        // COPY keeps the rows' order: history ids follow processing order.
        rows.send(
            conn,
            "COPY history (id, operation_id, outcome, message, warnings, by_user, at) \
             FROM STDIN (FORMAT binary)",
            "recording history",
        )
        .await?;
        Ok(())
    }

    /// Takes, decides, applies and settles the next batch, on `conn` (in a
    /// transaction holding the queue lock). `None` when nothing is left.
    async fn step(
        &self,
        conn: &mut PgConnection,
        run: &ProcessRun,
        engine: &Engine<'_>,
        position: &mut Position,
    ) -> Result<Option<Vec<ProcessedOperation>>> {
        let batch = self
            .next_batch(
                conn,
                &mut position.cursor,
                run.branch.as_deref(),
                run.batch_size.max(1),
            )
            .await?;
        if batch.operations.is_empty() {
            return Ok(None);
        }
        let (mut state, places) = self.load_state(conn, &batch.operations).await?;
        if let Some(earlier) = &mut position.earlier {
            earlier.load(conn, &batch.operations, &mut state).await?;
        }
        let decisions = engine.decide(&batch.operations, &mut state)?;
        self.apply(conn, &decisions.effects, &places).await?;
        let results: Vec<ProcessedOperation> = batch
            .operations
            .into_iter()
            .zip(decisions.outcomes)
            .map(|(pending, outcome)| ProcessedOperation { pending, outcome })
            .collect();
        self.settle(conn, &results, &batch.places, &run.user)
            .await?;
        // A dry run changes nothing that others could see.
        if !run.dry_run {
            let changes = earlier::count_change(conn).await?;
            if let Some(earlier) = &mut position.earlier {
                earlier.counted(changes);
            }
        }
        Ok(Some(results))
    }

    /// The position at the start of `run`, the ids not pending, and the
    /// stored rules when the run brings no policy.
    async fn start(
        &self,
        conn: &mut PgConnection,
        run: &ProcessRun,
    ) -> Result<(Position, Vec<OperationId>, Option<RuleTable>)> {
        let (cursor, not_pending) = match &run.selection {
            Selection::All => (Cursor::All(None), Vec::new()),
            Selection::Ids(ids) => {
                let (ids, not_pending) = self.selection(conn, ids, run.branch.as_deref()).await?;
                (Cursor::Ids { ids, next: 0 }, not_pending)
            }
            other => {
                return Err(Error::Invalid(format!(
                    "this store does not know the selection {other:?}"
                )));
            }
        };
        let rules = match run.policy {
            Some(_) => None,
            None => Some(RuleTable::new(load_rules(&mut *conn).await?)),
        };
        let position = Position {
            cursor,
            earlier: run.may_leave_earlier_operations().then(Earlier::default),
        };
        Ok((position, not_pending, rules))
    }

    async fn dry_run(
        &self,
        run: &ProcessRun,
        observer: &mut dyn ProcessObserver,
        summary: &mut ProcessSummary,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await.doing("starting a dry run")?;
        let result = async {
            let conn: &mut PgConnection = &mut tx;
            self.lock(conn, locks::QUEUE).await?;
            let (mut position, not_pending, rules) = self.start(conn, run).await?;
            summary.not_pending = not_pending;
            let engine = Engine::new(run.conflicts, policy(run, rules.as_ref())?);
            while let Some(results) = self.step(conn, run, &engine, &mut position).await? {
                summary.count(&results);
                observer.batch(&results);
            }
            Ok(())
        }
        .await;
        // Whatever happened, nothing of a dry run stays.
        tx.rollback().await.doing("ending a dry run")?;
        result
    }
}

/// The `SET` list that makes an open loan `l` what `u` says.
macro_rules! loan_update {
    () => {
        "cardnumber = u.cardnumber, issued_at = u.issued_at, due_at = u.due_at, \
         renewals = u.renewals, last_renewed_at = u.last_renewed_at, branch = u.branch"
    };
}
use loan_update;

/// The first of `count` consecutive ids taken from `sequence` at once: safe
/// where every writer of the table holds the queue lock.
async fn take_ids(conn: &mut PgConnection, sequence: &str, count: usize) -> Result<i64> {
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

/// The policy a run decides due dates with.
fn policy<'a>(run: &'a ProcessRun, rules: Option<&'a RuleTable>) -> Result<&'a dyn LoanPolicy> {
    match (&run.policy, rules) {
        (Some(policy), _) => Ok(policy.as_ref()),
        (None, Some(rules)) => Ok(rules),
        (None, None) => Err(Error::Invalid("no loan policy and no rules".to_owned())),
    }
}

#[async_trait]
impl Processor for PostgresStore {
    async fn process(
        &self,
        run: &ProcessRun,
        observer: &mut dyn ProcessObserver,
    ) -> Result<ProcessSummary> {
        let mut summary = ProcessSummary {
            dry_run: run.dry_run,
            ..ProcessSummary::default()
        };
        if run.dry_run {
            self.dry_run(run, observer, &mut summary).await?;
            return Ok(summary);
        }
        let mut conn = self.pool.acquire().await.doing("connecting")?;
        let (mut position, not_pending, rules) = self.start(&mut conn, run).await?;
        drop(conn);
        summary.not_pending = not_pending;
        let engine = Engine::new(run.conflicts, policy(run, rules.as_ref())?);
        loop {
            let mut tx = self.pool.begin().await.doing("starting a batch")?;
            let result = async {
                let conn: &mut PgConnection = &mut tx;
                self.lock(conn, locks::QUEUE).await?;
                self.step(conn, run, &engine, &mut position).await
            }
            .await;
            match result {
                Ok(Some(results)) => {
                    tx.commit().await.doing("committing a batch")?;
                    summary.count(&results);
                    observer.batch(&results);
                }
                Ok(None) => {
                    tx.rollback().await.doing("ending the run")?;
                    return Ok(summary);
                }
                Err(error) => {
                    // Release the lock now, not when the connection is next
                    // used.
                    let _ = tx.rollback().await;
                    return Err(error);
                }
            }
        }
    }
}
