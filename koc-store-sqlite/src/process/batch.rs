//! One batch: select the operations, load what they touch, decide, write
//! the effects and move the operations to history. The caller wraps it in a
//! transaction.
//!
//! Every load is one statement for the whole batch (a join from the
//! batch's keys, `rarray(?)`, looking each one up in order), and
//! every write a cached prepared statement, so a batch of thousands of
//! operations costs a handful of statements plus one execution per row
//! written.
//!
//! The writes say `OR FAIL`: a constraint a write breaks (none should)
//! fails the batch, whose transaction is then rolled back whole, so no
//! statement needs to undo its own part first. With the default (`ABORT`)
//! SQLite keeps a statement journal for that, a copy of every page before
//! each statement changes it: about 3% of a run (1M operations, 22.8 s
//! against 23.5 s, means of four interleaved runs).

use std::sync::Arc;

use koc_core::{
    BatchState, ConflictRule, Effects, Engine, Error, LoanPolicy, OperationId, Outcome,
    PendingOperation, ProcessedOperation, Result,
};
use rusqlite::Connection;

use super::earlier::Earlier;
use super::{Cursor, Progress};
use crate::circulation::{UPSERT_LOAN, loan_params};
use crate::codec::{Cash, Time, count, kind_code, time};
use crate::error::Context;
use crate::history::{now, record};
use crate::list::List;
use crate::rows::{
    self, account_line_columns, hold_columns, item_circulation_columns, operation_columns,
    patron_circulation_columns, source_file_join,
};

/// What every batch of a run shares.
pub(crate) struct Plan {
    pub branch: Option<String>,
    pub conflicts: ConflictRule,
    pub user: String,
    pub batch_size: usize,
    /// Whether to look for earlier pending operations outside the run.
    pub with_earlier: bool,
}

/// A batch chosen and decided, not yet written.
pub(crate) struct Decided {
    /// The operations, in processing order.
    pub batch: Vec<PendingOperation>,
    /// `outcomes[i]` is the outcome of `batch[i]`.
    pub outcomes: Vec<Outcome>,
    /// What to write; shared with the decision of the next batch when
    /// that one is loaded before these are written (see `pipeline.rs`).
    pub effects: Arc<Effects>,
}

/// Processes the next batch after `cursor` and moves it on; `None` when
/// nothing is left.
pub(crate) fn process(
    conn: &Connection,
    plan: &Plan,
    policy: &dyn LoanPolicy,
    progress: &mut Progress,
) -> Result<Option<Vec<ProcessedOperation>>> {
    let Progress { cursor, earlier } = progress;
    let Some(decided) = decide(conn, plan, policy, cursor, earlier.as_mut(), None)? else {
        return Ok(None);
    };
    write(conn, plan, cursor, earlier.as_mut(), decided).map(Some)
}

/// Chooses the next batch after `cursor`, moves the cursor on, loads what
/// the batch touches and decides it; `None` when nothing is left.
/// `written_since`: the effects of a batch written after the data read
/// here was (the state is caught up with them).
pub(crate) fn decide(
    conn: &Connection,
    plan: &Plan,
    policy: &dyn LoanPolicy,
    cursor: &mut Cursor,
    earlier: Option<&mut Earlier>,
    written_since: Option<&Effects>,
) -> Result<Option<Decided>> {
    let batch = next_batch(conn, plan, cursor)?;
    if batch.is_empty() {
        return Ok(None);
    }
    let mut state = load(conn, &batch, earlier)?;
    if let Some(effects) = written_since {
        state.catch_up(effects);
    }
    let decisions = Engine::new(plan.conflicts, policy).decide(&batch, &mut state)?;
    Ok(Some(Decided {
        batch,
        outcomes: decisions.outcomes,
        effects: Arc::new(decisions.effects),
    }))
}

/// Writes a decided batch: its effects, its history, and its operations
/// out of the queue. `cursor` is where the batch was chosen from.
pub(crate) fn write(
    conn: &Connection,
    plan: &Plan,
    cursor: &Cursor,
    earlier: Option<&mut Earlier>,
    decided: Decided,
) -> Result<Vec<ProcessedOperation>> {
    let Decided {
        batch,
        outcomes,
        effects,
    } = decided;
    apply(conn, &effects)?;
    record(
        conn,
        batch.iter().map(|p| p.id.0).zip(&outcomes),
        &plan.user,
        Time(now()),
    )?;
    let removed = remove_from_queue(conn, plan, cursor, &batch)?;
    if let Some(earlier) = earlier {
        earlier.written(conn)?;
    }
    if removed != batch.len() {
        // Cannot happen inside the batch's write transaction; if it did,
        // committing would record operations that were not pending.
        return Err(Error::Database {
            message: format!(
                "{} of the {} operations of the batch left the queue while it was processed",
                batch.len().saturating_sub(removed),
                batch.len()
            ),
            source: None,
        });
    }
    Ok(batch
        .into_iter()
        .zip(outcomes)
        .map(|(pending, outcome)| ProcessedOperation { pending, outcome })
        .collect())
}

/// These values, sorted, each once.
fn distinct<'a>(values: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut values: Vec<&str> = values.collect();
    values.sort_unstable();
    values.dedup();
    values
}

pub(crate) const PENDING_AFTER: &str = concat!(
    "SELECT ",
    operation_columns!(),
    " FROM pending AS p JOIN operations AS o ON o.id = p.id",
    source_file_join!(),
    " WHERE p.time >= ?1 AND (p.time > ?1 OR p.id > ?2) ORDER BY p.time, p.id LIMIT ?3"
);

pub(crate) const PENDING_AFTER_IN_BRANCH: &str = concat!(
    "SELECT ",
    operation_columns!(),
    " FROM pending AS p JOIN operations AS o ON o.id = p.id",
    source_file_join!(),
    " WHERE p.branch = ?4 AND p.time >= ?1 AND (p.time > ?1 OR p.id > ?2)
     ORDER BY p.time, p.id LIMIT ?3"
);

pub(crate) const PENDING_CHOSEN: &str = concat!(
    "SELECT ",
    operation_columns!(),
    " FROM operations AS o JOIN pending AS p ON p.time = o.time AND p.id = o.id",
    source_file_join!(),
    " WHERE o.id IN rarray(?1) ORDER BY o.time, o.id"
);

// `+branch`: look the chosen ids up, rather than read all of the branch.
pub(crate) const PENDING_CHOSEN_IN_BRANCH: &str = concat!(
    "SELECT ",
    operation_columns!(),
    " FROM operations AS o JOIN pending AS p ON p.time = o.time AND p.id = o.id",
    source_file_join!(),
    " WHERE o.id IN rarray(?1) AND +p.branch = ?2 ORDER BY o.time, o.id"
);

/// The most operations [`next_batch`] makes room for before reading them,
/// whatever the batch size asked for (a run of a few operations with a
/// huge `--batch-size` does not reserve for all it asked).
const RESERVED_AT_MOST: usize = 1 << 16;

/// The next operations in processing order: after the cursor's position,
/// or the next of the chosen ids that are still pending.
fn next_batch(
    conn: &Connection,
    plan: &Plan,
    cursor: &mut Cursor,
) -> Result<Vec<PendingOperation>> {
    let what = "selecting the next batch";
    let read = |row: &rusqlite::Row<'_>| rows::pending(row, 0);
    let batch: Vec<PendingOperation> = match cursor {
        Cursor::All { after } => {
            let (at, id) = *after;
            let limit = count(plan.batch_size);
            // Room for a full batch from the start: collected as they
            // come, the operations' vector doubled past the batch's size
            // (16.8 MB where 12.3 MB was used, in batches of 48 000).
            let mut batch = Vec::with_capacity(plan.batch_size.min(RESERVED_AT_MOST));
            let mut add = |rows: rusqlite::MappedRows<'_, _>| {
                for row in rows {
                    batch.push(row?);
                }
                Ok(())
            };
            match &plan.branch {
                None => conn
                    .prepare_cached(PENDING_AFTER)
                    .and_then(|mut s| add(s.query_map((at, id, limit), read)?)),
                Some(branch) => conn
                    .prepare_cached(PENDING_AFTER_IN_BRANCH)
                    .and_then(|mut s| add(s.query_map((at, id, limit, branch), read)?)),
            }
            .context(what)?;
            if let Some(last) = batch.last() {
                *after = (Time(last.operation.time).micros(), last.id.0);
            }
            batch
        }
        Cursor::Chosen { ids, next } => {
            let mut batch = Vec::new();
            // Ids processed by another run since this one started are
            // skipped: take more until the batch is full or none are left.
            while batch.len() < plan.batch_size && *next < ids.len() {
                let end = ids.len().min(*next + (plan.batch_size - batch.len()));
                let chunk = List::integers(ids[*next..end].iter().map(|id| id.0));
                *next = end;
                let found: Vec<PendingOperation> = match &plan.branch {
                    None => conn
                        .prepare_cached(PENDING_CHOSEN)
                        .and_then(|mut s| s.query_map([&chunk], read)?.collect()),
                    Some(branch) => conn
                        .prepare_cached(PENDING_CHOSEN_IN_BRANCH)
                        .and_then(|mut s| s.query_map((&chunk, branch), read)?.collect()),
                }
                .context(what)?;
                batch.extend(found);
            }
            batch
        }
    };
    Ok(batch)
}

/// Which of `ids` are pending, in processing order.
pub(crate) fn chosen(conn: &Connection, ids: &[OperationId]) -> Result<Vec<OperationId>> {
    let list = List::integers(ids.iter().map(|id| id.0));
    conn.prepare_cached(
        "SELECT o.id FROM operations AS o JOIN pending AS p ON p.time = o.time AND p.id = o.id
         WHERE o.id IN rarray(?1) ORDER BY o.time, o.id",
    )
    .and_then(|mut select| {
        select
            .query_map([&list], |row| row.get(0).map(OperationId))?
            .collect()
    })
    .context("finding the chosen operations")
}

pub(crate) const LOAD_PATRONS_BY_CARD: &str = concat!(
    "SELECT ",
    patron_circulation_columns!(),
    " FROM rarray(?1) AS k CROSS JOIN patrons ON cardnumber = k.value"
);

pub(crate) const LOAD_PATRONS_BY_USERID: &str = concat!(
    "SELECT ",
    patron_circulation_columns!(),
    " FROM rarray(?1) AS k CROSS JOIN patrons ON userid = k.value"
);

// `INDEXED BY`: without statistics the planner would rather read every
// line of each patron than the partial index of what is owed.
pub(crate) const LOAD_DEBTS: &str = concat!(
    "SELECT ",
    account_line_columns!(),
    " FROM rarray(?1) AS k CROSS JOIN account_lines INDEXED BY account_lines_owed
     ON cardnumber = k.value WHERE kind = 'debit' AND outstanding > 0
     ORDER BY created_at, id"
);

// Each item with its open loan, if any, in one statement: the loan is
// looked up as the item is found, rather than by a second pass over the
// barcodes. Without the catalogue text, which processing never reads (see
// `BatchState`): one narrow row per item. (`rows::item_with_loan` reads
// these columns.)
pub(crate) const LOAD_ITEMS_WITH_LOANS: &str = concat!(
    "SELECT ",
    item_circulation_columns!(),
    ", l.barcode, l.cardnumber, l.issued_at, l.due_at, l.renewals, l.last_renewed_at, l.branch
     FROM rarray(?1) AS k CROSS JOIN items AS i ON i.barcode = k.value
     LEFT JOIN loans AS l ON l.barcode = i.barcode"
);

pub(crate) const LOAD_HOLDS: &str = concat!(
    "SELECT ",
    hold_columns!(),
    " FROM rarray(?1) AS k CROSS JOIN holds ON barcode = k.value
     WHERE filled_at IS NULL ORDER BY placed_at, id"
);

/// Writes what processing changes of an item, when it changed.
pub(crate) const UPDATE_ITEM: &str =
    "UPDATE OR FAIL items SET status = ?2, last_seen = ?3, holdingbranch = ?4 WHERE barcode = ?1
     AND (status IS NOT ?2 OR last_seen IS NOT ?3 OR holdingbranch IS NOT ?4)";

/// Removes the batch's operations from the queue; how many it removed.
fn remove_from_queue(
    conn: &Connection,
    plan: &Plan,
    cursor: &Cursor,
    batch: &[PendingOperation],
) -> Result<usize> {
    let what = "removing processed operations from the queue";
    match (cursor, &plan.branch, batch.first(), batch.last()) {
        // The batch is every pending operation from its first to its last:
        // remove that range of the queue's order.
        (Cursor::All { .. }, None, Some(first), Some(last)) => conn
            .prepare_cached(DELETE_RANGE)
            .and_then(|mut delete| {
                delete.execute((
                    Time(first.operation.time),
                    first.id.0,
                    Time(last.operation.time),
                    last.id.0,
                ))
            })
            .context(what),
        _ => {
            let ids = List::integers(batch.iter().map(|p| p.id.0));
            conn.prepare_cached(DELETE_PROCESSED)
                .and_then(|mut delete| delete.execute([&ids]))
                .context(what)
        }
    }
}

/// Removes the pending operations from (`?1`, `?2`) to (`?3`, `?4`) in
/// processing order, both included.
pub(crate) const DELETE_RANGE: &str = "DELETE FROM pending
     WHERE time >= ?1 AND time <= ?3 AND (time > ?1 OR id >= ?2) AND (time < ?3 OR id <= ?4)";

pub(crate) const DELETE_PROCESSED: &str = "DELETE FROM pending WHERE (time, id) IN
     (SELECT time, id FROM operations WHERE id IN rarray(?1))";

/// Runs `sql` with `params` and hands each row to `add`.
fn each_row<P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    mut add: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<()>,
) -> Result<()> {
    let what = "loading what the batch touches";
    let mut select = conn.prepare_cached(sql).context(what)?;
    let mut rows = select.query(params).context(what)?;
    while let Some(row) = rows.next().context(what)? {
        add(row).context(what)?;
    }
    Ok(())
}

/// The state the batch touches, as [`BatchState`] says a store must load it.
fn load(
    conn: &Connection,
    batch: &[PendingOperation],
    earlier: Option<&mut Earlier>,
) -> Result<BatchState> {
    // The keys of the batch (as `BatchKeys` has them), sorted: looked up
    // in index order, each page is read once.
    let card_keys = distinct(
        batch
            .iter()
            .filter_map(|p| p.operation.cardnumber.as_deref()),
    );
    let barcode_keys = distinct(batch.iter().filter_map(|p| p.operation.barcode.as_deref()));
    let mut state = BatchState::default();
    state.reserve(card_keys.len(), barcode_keys.len());
    let cards = List::texts(card_keys.iter().copied());
    let barcodes = List::texts(barcode_keys.iter().copied());

    each_row(conn, LOAD_PATRONS_BY_CARD, [&cards], |row| {
        state.add_patron(rows::patron(row)?);
        Ok(())
    })?;
    // A card may also be a username (Koha's fallback). Where a card number
    // matched, the engine never looks further, so only the others are
    // looked up as usernames.
    let unmatched: Vec<&str> = card_keys
        .iter()
        .copied()
        .filter(|card| !state.patrons.contains_key(*card))
        .collect();
    if !unmatched.is_empty() {
        let unmatched = List::texts(unmatched.into_iter());
        each_row(conn, LOAD_PATRONS_BY_USERID, [&unmatched], |row| {
            state.add_patron(rows::patron(row)?);
            Ok(())
        })?;
    }
    let patrons = List::texts(distinct(state.patrons.keys().map(String::as_str)).into_iter());
    each_row(conn, LOAD_DEBTS, [&patrons], |row| {
        state.add_debt(rows::account_line(row)?);
        Ok(())
    })?;
    each_row(conn, LOAD_ITEMS_WITH_LOANS, [&barcodes], |row| {
        let (item, loan) = rows::item_with_loan(row)?;
        if let Some(loan) = loan {
            state.add_loan(loan);
        }
        state.add_item(item);
        Ok(())
    })?;
    each_row(conn, LOAD_HOLDS, [&barcodes], |row| {
        state.add_hold(rows::hold(row)?);
        Ok(())
    })?;
    if let Some(earlier) = earlier {
        earlier.load(conn, batch, &barcode_keys, &mut state)?;
    }
    Ok(state)
}

/// Writes the net effects of a batch.
fn apply(conn: &Connection, effects: &Effects) -> Result<()> {
    let what = "writing the effects of the batch";
    if !effects.loans.is_empty() {
        let mut upsert = conn.prepare_cached(UPSERT_LOAN).context(what)?;
        let mut delete = conn
            .prepare_cached("DELETE FROM loans WHERE barcode = ?1")
            .context(what)?;
        for (barcode, loan) in &effects.loans {
            match loan {
                Some(loan) => upsert.execute(loan_params(loan)),
                None => delete.execute([barcode]),
            }
            .context(what)?;
        }
    }
    // Into the recent part, moved when it is due (see `closed_loans.rs`).
    crate::closed_loans::append(conn, &effects.closed_loans)?;
    crate::closed_loans::move_when_due(conn)?;
    if !effects.items.is_empty() {
        // Processing changes an item's status, when it was last seen and
        // where it is (`Effects::items`); the rest of the row, and rows
        // where none of them changed, are left alone.
        let mut update = conn.prepare_cached(UPDATE_ITEM).context(what)?;
        for item in effects.items.values() {
            update
                .execute((
                    &item.barcode,
                    item.status.as_str(),
                    time(item.last_seen),
                    &item.holdingbranch,
                ))
                .context(what)?;
        }
    }
    if !effects.debts.is_empty() {
        let mut update = conn
            .prepare_cached("UPDATE account_lines SET outstanding = ?2 WHERE id = ?1")
            .context(what)?;
        for (id, outstanding) in &effects.debts {
            update.execute((id.0, Cash(*outstanding))).context(what)?;
        }
    }
    if !effects.payments.is_empty() {
        let mut credit = conn
            .prepare_cached(
                "INSERT INTO account_lines (cardnumber, kind, amount, outstanding, description, \
                 created_at, operation) VALUES (?1, ?2, ?3, ?4, 'Payment (offline)', ?5, ?6)",
            )
            .context(what)?;
        let mut offset = conn
            .prepare_cached(
                "INSERT INTO account_offsets (credit, debit, amount) VALUES (?1, ?2, ?3)",
            )
            .context(what)?;
        for payment in &effects.payments {
            credit
                .execute((
                    &payment.cardnumber,
                    kind_code(koc_core::AccountLineKind::Credit),
                    Cash(payment.amount),
                    Cash(payment.unapplied),
                    Time(payment.paid_at),
                    payment.operation.0,
                ))
                .context(what)?;
            let credit_id = conn.last_insert_rowid();
            for (debit, amount) in &payment.applied {
                offset
                    .execute((credit_id, debit.0, Cash(*amount)))
                    .context(what)?;
            }
        }
    }
    if !effects.filled_holds.is_empty() {
        let mut update = conn
            .prepare_cached("UPDATE holds SET filled_at = ?2 WHERE id = ?1")
            .context(what)?;
        for (id, at) in &effects.filled_holds {
            update.execute((id.0, Time(*at))).context(what)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    #[test]
    fn a_batch_loads_its_patrons_without_their_contact_details() {
        let mut conn = Connection::open_in_memory().unwrap();
        rusqlite::vtab::array::load_module(&conn).unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO patrons (cardnumber, userid, surname, firstname, category, branch,
                 email, phone, address, city, date_of_birth)
             VALUES ('C1', 'u1', 'Doe', 'Jo', 'PT', 'CPL',
                 'jo@example.org', '555-0100', '1 Main St', 'Springfield', 3650)",
        )
        .unwrap();
        for (sql, key) in [(LOAD_PATRONS_BY_CARD, "C1"), (LOAD_PATRONS_BY_USERID, "u1")] {
            let keys = List::texts([key].into_iter());
            let mut loaded = Vec::new();
            each_row(&conn, sql, [&keys], |row| {
                loaded.push(rows::patron(row)?);
                Ok(())
            })
            .unwrap();
            let [patron] = loaded.as_slice() else {
                panic!("{sql}: expected one patron, got {loaded:?}");
            };
            // What processing and the loan policies read is there ...
            assert_eq!(patron.cardnumber, "C1");
            assert_eq!(patron.userid.as_deref(), Some("u1"));
            assert_eq!(patron.category.as_deref(), Some("PT"));
            assert_eq!(patron.branch.as_deref(), Some("CPL"));
            assert!(patron.date_of_birth.is_some());
            // ... and the contact details are not.
            assert_eq!(
                (&patron.email, &patron.phone, &patron.address, &patron.city),
                (&None, &None, &None, &None)
            );
        }
    }
}
