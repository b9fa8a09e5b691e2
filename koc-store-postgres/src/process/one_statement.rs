//! Writing a decided batch in one statement: its effects on the
//! circulation data, its move from the queue to history, and its count in
//! `queue_changes`, as the data-modifying parts of one `WITH`.
//!
//! The same writes as [`super::write`] makes one statement at a time, in
//! one round trip instead of about fifteen. Each round trip of the batch
//! being written is a wait on the run's critical path: koc's task must be
//! woken and scheduled to send the next statement, on a machine whose
//! cores are busy with the batch read ahead. A 1M run's timers showed the
//! writing half 6.9 s longer than the server's own time for its statements
//! (`benches/README.md`).
//!
//! The parts see the same snapshot and touch different rows (a loan is
//! ended, changed or added, never two of these; each item and debt is
//! written once), so their order does not matter. Rows whose place is
//! known are written through it and the others by key, as separate parts;
//! what the places missed (a row a host changed since the batch was read)
//! is written again by key after, as [`super::write`] does. New loans are
//! inserted expecting them to be new: when a host added one meanwhile, the
//! whole statement fails on the loans' key, is rolled back to a savepoint
//! taken before it, and the batch is written again one statement at a time
//! by [`super::write`], whose insert gives way to the processed loan.

use chrono::NaiveDateTime;
use koc_core::{ConstraintKind, Effects, Error, Item, Loan, ProcessedOperation, Result};
use sqlx::{PgConnection, Row};

use super::load::{Barcodes, Places};
use super::write::{self, loan_update, record_credits, record_offsets};
use crate::circulation::{LOANS_KEY, LoanColumns, PgQuery};
use crate::earlier::{self, Changes};
use crate::error::{Doing, corrupt};
use crate::history::as_ranges;
use crate::place::Place;
use crate::rows::loan_columns;
use crate::store::now;

/// The columns `u` gives for a loan, from `$a` to `$a + 6`.
macro_rules! loans_from {
    ($a:literal, $b:literal, $c:literal, $d:literal, $e:literal, $f:literal, $g:literal) => {
        concat!(
            "unnest($",
            $a,
            "::text[]) AS barcode, unnest($",
            $b,
            "::text[]) AS cardnumber, \
             unnest($",
            $c,
            "::timestamp[]) AS issued_at, unnest($",
            $d,
            "::timestamp[]) AS due_at, unnest($",
            $e,
            "::bigint[]) AS renewals, \
             unnest($",
            $f,
            "::timestamp[]) AS last_renewed_at, unnest($",
            $g,
            "::text[]) AS branch"
        )
    };
}

/// The columns `u` gives for an item, from `$a` to `$a + 3`.
macro_rules! items_from {
    ($a:literal, $b:literal, $c:literal, $d:literal) => {
        concat!(
            "unnest($",
            $a,
            "::text[]) AS barcode, unnest($",
            $b,
            "::text[]) AS status, \
             unnest($",
            $c,
            "::timestamp[]) AS last_seen, unnest($",
            $d,
            "::text[]) AS holdingbranch"
        )
    };
}

/// The first of `n` ids taken from `sequence` at once (`NULL` when `n` is
/// 0): safe where every writer of the table holds the queue lock.
macro_rules! first_id {
    ($sequence:literal, $n:literal) => {
        concat!(
            "SELECT CASE WHEN ",
            $n,
            " > 0 THEN setval('",
            $sequence,
            "'::regclass, nextval('",
            $sequence,
            "'::regclass) + ",
            $n,
            " - 1) - ",
            $n,
            " + 1 END AS first"
        )
    };
}

pub(super) const WRITE_BATCH: &str = concat!(
    "WITH loans_ended AS (DELETE FROM loans l USING (SELECT unnest($1::tid[]) AS at, \
     unnest($2::text[]) AS barcode) AS u WHERE l.ctid = u.at AND l.barcode = u.barcode \
     RETURNING 1), \
     loans_ended_by_key AS (DELETE FROM loans WHERE barcode = ANY($3::text[])), \
     loans_changed AS (UPDATE loans l SET ",
    loan_update!(),
    " FROM (SELECT ",
    loans_from!(4, 5, 6, 7, 8, 9, 10),
    ", unnest($11::tid[]) AS at) AS u WHERE l.ctid = u.at AND l.barcode = u.barcode RETURNING 1), \
     loans_changed_by_key AS (UPDATE loans l SET ",
    loan_update!(),
    " FROM (SELECT ",
    loans_from!(12, 13, 14, 15, 16, 17, 18),
    ") AS u WHERE l.barcode = u.barcode), \
     loans_added AS (INSERT INTO loans (",
    loan_columns!(""),
    ") SELECT unnest($19::text[]), unnest($20::text[]), unnest($21::timestamp[]), \
     unnest($22::timestamp[]), unnest($23::bigint[]), unnest($24::timestamp[]), \
     unnest($25::text[])), \
     closed_first AS (",
    first_id!("closed_loan_ids", "cardinality($26::text[])"),
    "), loans_closed AS (INSERT INTO closed_loans (id, ",
    loan_columns!(""),
    ", returned_at) SELECT generate_series((SELECT first FROM closed_first), \
     (SELECT first FROM closed_first) + cardinality($26::text[]) - 1), \
     unnest($26::text[]), unnest($27::text[]), unnest($28::timestamp[]), \
     unnest($29::timestamp[]), unnest($30::bigint[]), unnest($31::timestamp[]), \
     unnest($32::text[]), unnest($33::timestamp[])), \
     items_placed AS (UPDATE items i SET status = u.status, last_seen = u.last_seen, \
     holdingbranch = u.holdingbranch FROM (SELECT ",
    items_from!(34, 35, 36, 37),
    ", unnest($38::tid[]) AS at) AS u WHERE i.ctid = u.at AND i.barcode = u.barcode RETURNING 1), \
     items_by_key AS (UPDATE items i SET status = u.status, last_seen = u.last_seen, \
     holdingbranch = u.holdingbranch FROM (SELECT ",
    items_from!(39, 40, 41, 42),
    ") AS u WHERE i.barcode = u.barcode), \
     debts AS (UPDATE account_lines a SET outstanding = u.outstanding::numeric / 1000000 \
     FROM (SELECT unnest($43::bigint[]) AS id, unnest($44::bigint[]) AS outstanding) AS u \
     WHERE a.id = u.id), \
     credits AS (",
    record_credits!(45, 46, 47, 48, 49),
    "), offsets AS (",
    record_offsets!(50, 51, 52),
    "), \
     holds_filled AS (UPDATE holds h SET filled_at = u.at \
     FROM (SELECT unnest($53::bigint[]) AS id, unnest($54::timestamp[]) AS at) AS u \
     WHERE h.id = u.id), \
     left_queue AS (DELETE FROM pending p USING (SELECT unnest($55::tid[]) AS at) AS u \
     WHERE p.ctid = u.at RETURNING p.id), \
     history_first AS (",
    first_id!("history_ids", "cardinality($56::bigint[])"),
    "), recorded AS (INSERT INTO history_batches \
     (first_id, operations, operation_ids, outcomes, messages, warnings, by_user, at) \
     SELECT f.first, ",
    as_ranges!("$56"),
    ", $56, $57, $58, $59, $60, $61 FROM history_first f WHERE f.first IS NOT NULL), \
     counted AS (UPDATE queue_changes SET changes = changes + 1, batches = batches + 1 \
     WHERE $62 RETURNING changes, batches) \
     SELECT (SELECT count(*) FROM loans_ended), (SELECT count(*) FROM loans_changed), \
     (SELECT count(*) FROM items_placed), (SELECT array_agg(id) FROM left_queue), \
     (SELECT changes FROM counted), (SELECT batches FROM counted)"
);

/// Where a batch's writes can be undone to when a host lent one of its
/// items meanwhile (the savepoint `koc_batch`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Savepoint {
    /// The batch's transaction took it, right after its lock, and will
    /// commit or roll back right after the batch: a real run's batch, whose
    /// transaction begins with it in the same round trip.
    Taken,
    /// [`write_batch`] takes it when the batch adds loans (the only write
    /// that can fail this way) and releases it after: a dry run's batches,
    /// which share one transaction.
    Take,
}

/// What [`Savepoint::Taken`] runs, in the batch's first round trip.
pub(super) const SAVEPOINT: &str = "SAVEPOINT koc_batch";

/// Writes a decided batch: its effects (to the rows at `places` where it
/// can; `had_loan`: the barcodes whose items had an open loan when the
/// batch was loaded), its move from the queue (its rows at
/// `queue_places`) to history, and, when `count`, its change of the
/// queue, whose counts it returns. Call in a transaction that plans as
/// lookups ([`write::plan_as_lookups`]).
#[allow(clippy::too_many_arguments)]
pub(super) async fn write_batch(
    conn: &mut PgConnection,
    effects: &Effects,
    places: &Places,
    had_loan: &Barcodes,
    results: &[ProcessedOperation],
    queue_places: &[Place],
    by: &str,
    count: bool,
    savepoint: Savepoint,
) -> Result<Option<Changes>> {
    let split = Split::of(effects, places, had_loan);
    // Only a new loan can fail the statement in a way the batch recovers
    // from.
    let recoverable = !split.loans.added.is_empty();
    let take = recoverable && savepoint == Savepoint::Take;
    if take {
        sqlx::query(SAVEPOINT)
            .execute(&mut *conn)
            .await
            .doing("writing the batch")?;
    }
    match one_statement(conn, effects, &split, results, queue_places, by, count).await {
        Ok(counts) => {
            if take {
                sqlx::query("RELEASE SAVEPOINT koc_batch")
                    .execute(&mut *conn)
                    .await
                    .doing("writing the batch")?;
            }
            Ok(counts)
        }
        Err(Error::Constraint {
            kind: ConstraintKind::Unique,
            detail,
        }) if recoverable && detail.contains(LOANS_KEY) => {
            // A host lent one of the items meanwhile: one statement at a
            // time, the processed loan winning.
            sqlx::query("ROLLBACK TO SAVEPOINT koc_batch")
                .execute(&mut *conn)
                .await
                .doing("writing the batch")?;
            write::apply(conn, effects, places, had_loan).await?;
            write::settle(conn, results, queue_places, by).await?;
            match count {
                true => earlier::count_change(conn, true).await.map(Some),
                false => Ok(None),
            }
        }
        Err(other) => Err(other),
    }
}

/// A batch's loans, by what becomes of them and whether their place is
/// known.
#[derive(Default)]
struct LoanWrites<'a> {
    ended: Vec<&'a str>,
    ended_at: Vec<Place>,
    ended_by_key: Vec<&'a str>,
    changed: Vec<&'a Loan>,
    changed_at: Vec<Place>,
    changed_by_key: Vec<&'a Loan>,
    added: Vec<&'a Loan>,
}

/// A batch's changed loans and items, split by how they are written: by
/// place where it is known, else by key.
pub(super) struct Split<'a> {
    loans: LoanWrites<'a>,
    items: Vec<&'a Item>,
    items_at: Vec<Place>,
    items_by_key: Vec<&'a Item>,
}

impl<'a> Split<'a> {
    /// `effects`' loans and items, with the places the batch loaded
    /// (`had_loan`: the barcodes whose item had an open loan then).
    pub(super) fn of(effects: &'a Effects, places: &Places, had_loan: &Barcodes) -> Split<'a> {
        let mut loans = LoanWrites::default();
        for (barcode, loan) in &effects.loans {
            let place = places.loans.get(barcode).copied();
            match (loan, had_loan.contains(barcode), place) {
                (None, true, Some(place)) => {
                    loans.ended.push(barcode.as_str());
                    loans.ended_at.push(place);
                }
                (None, true, None) => loans.ended_by_key.push(barcode.as_str()),
                (None, false, _) => {}
                (Some(loan), true, Some(place)) => {
                    loans.changed.push(loan);
                    loans.changed_at.push(place);
                }
                (Some(loan), true, None) => loans.changed_by_key.push(loan),
                (Some(loan), false, _) => loans.added.push(loan),
            }
        }
        let (mut items, mut items_at, mut items_by_key) = (Vec::new(), Vec::new(), Vec::new());
        for (barcode, item) in &effects.items {
            match places.items.get(barcode) {
                Some(place) => {
                    items.push(item);
                    items_at.push(*place);
                }
                None => items_by_key.push(item),
            }
        }
        Split {
            loans,
            items,
            items_at,
            items_by_key,
        }
    }
}

/// The parameters of [`WRITE_BATCH`] but the last four (the batch's
/// places in the queue, who, when, whether to count), as column arrays.
pub(super) struct Columns<'a> {
    split: &'a Split<'a>,
    changed: LoanColumns<'a>,
    changed_by_key: LoanColumns<'a>,
    added: LoanColumns<'a>,
    closed: LoanColumns<'a>,
    returned: Vec<NaiveDateTime>,
    placed: write::ItemColumns<'a>,
    by_key: write::ItemColumns<'a>,
    debts: Vec<i64>,
    outstanding: Vec<i64>,
    paid: write::PaymentColumns<'a>,
    holds: Vec<i64>,
    filled_at: Vec<NaiveDateTime>,
    outcomes: write::OutcomeColumns<'a>,
}

impl<'a> Columns<'a> {
    pub(super) fn of(
        effects: &'a Effects,
        split: &'a Split<'a>,
        results: &'a [ProcessedOperation],
    ) -> Result<Columns<'a>> {
        Ok(Columns {
            split,
            changed: LoanColumns::of(split.loans.changed.iter().copied()),
            changed_by_key: LoanColumns::of(split.loans.changed_by_key.iter().copied()),
            added: LoanColumns::of(split.loans.added.iter().copied()),
            closed: LoanColumns::of(effects.closed_loans.iter().map(|c| &c.loan)),
            returned: effects.closed_loans.iter().map(|c| c.returned_at).collect(),
            placed: write::item_columns(&split.items),
            by_key: write::item_columns(&split.items_by_key),
            debts: effects.debts.keys().map(|id| id.0).collect(),
            outstanding: effects.debts.values().map(|m| m.micros()).collect(),
            paid: write::PaymentColumns::of(&effects.payments),
            holds: effects.filled_holds.keys().map(|id| id.0).collect(),
            filled_at: effects.filled_holds.values().copied().collect(),
            outcomes: write::OutcomeColumns::of(results)?,
        })
    }

    /// `query` (`WRITE_BATCH`, or a statement with its parameters) with
    /// its parameters bound.
    pub(super) fn bound<'q>(
        &'q self,
        query: PgQuery<'q>,
        queue_places: &'q [Place],
        by: &'q str,
        count: bool,
    ) -> PgQuery<'q> {
        let loans = &self.split.loans;
        let query = query
            .bind(&loans.ended_at)
            .bind(&loans.ended)
            .bind(&loans.ended_by_key);
        let query = self.changed.bound(query).bind(&loans.changed_at);
        let query = self.changed_by_key.bound(query);
        let query = self.added.bound(query);
        let query = self
            .closed
            .bound(query)
            .bind(&self.returned)
            .bind(&self.placed.0)
            .bind(&self.placed.1)
            .bind(&self.placed.2)
            .bind(&self.placed.3)
            .bind(&self.split.items_at)
            .bind(&self.by_key.0)
            .bind(&self.by_key.1)
            .bind(&self.by_key.2)
            .bind(&self.by_key.3)
            .bind(&self.debts)
            .bind(&self.outstanding);
        let query = self
            .paid
            .bound(query)
            .bind(&self.holds)
            .bind(&self.filled_at)
            .bind(queue_places);
        self.outcomes.bound(query).bind(by).bind(now()).bind(count)
    }
}

async fn one_statement(
    conn: &mut PgConnection,
    effects: &Effects,
    split: &Split<'_>,
    results: &[ProcessedOperation],
    queue_places: &[Place],
    by: &str,
    count: bool,
) -> Result<Option<Changes>> {
    let columns = Columns::of(effects, split, results)?;
    let row = columns
        .bound(sqlx::query(WRITE_BATCH), queue_places, by, count)
        .fetch_one(&mut *conn)
        .await
        .doing("writing the batch")?;
    let ended: i64 = row.try_get(0).doing("writing the batch")?;
    let changed_rows: i64 = row.try_get(1).doing("writing the batch")?;
    let items_written: i64 = row.try_get(2).doing("writing the batch")?;
    let gone: Option<Vec<i64>> = row.try_get(3).doing("writing the batch")?;
    let changes: Option<i64> = row.try_get(4).doing("writing the batch")?;
    let batches: Option<i64> = row.try_get(5).doing("writing the batch")?;
    let loans = &split.loans;
    // What the places missed, by key (the same values: harmless for the
    // rows the places found).
    if ended != loans.ended.len() as i64 {
        sqlx::query("DELETE FROM loans WHERE barcode = ANY($1)")
            .bind(&loans.ended)
            .execute(&mut *conn)
            .await
            .doing("closing loans")?;
    }
    if changed_rows != loans.changed.len() as i64 {
        write::change_loans(conn, loans.changed.iter().map(|l| (*l, None)).collect()).await?;
    }
    if items_written != split.items.len() as i64 {
        write::update_items(conn, split.items.iter().map(|i| (*i, None)).collect()).await?;
    }
    write::all_left_the_queue(gone.unwrap_or_default(), columns.outcomes.operation)?;
    match (count, changes, batches) {
        (false, _, _) => Ok(None),
        (true, Some(changes), Some(batches)) => Ok(Some(Changes { changes, batches })),
        (true, _, _) => Err(corrupt("the queue's counts are missing")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use koc_core::conformance::fixtures::{JANE, JOHN, LEFT_HAND, MIDDLEMARCH, at, library};
    use koc_core::{Circulation, ItemStatus, LoanFilter, StoreExt};
    use sqlx::Connection;

    use super::*;
    use crate::testing::store;

    fn loan(barcode: &str, cardnumber: &str, time: &str) -> Loan {
        Loan {
            barcode: barcode.into(),
            cardnumber: cardnumber.into(),
            issued_at: at(time),
            due_at: at("2026-08-12 23:59:00"),
            renewals: 0,
            last_renewed_at: None,
            branch: Some("CPL".into()),
        }
    }

    /// Jane borrows LEFT_HAND and MIDDLEMARCH, which the batch found
    /// available, both seen at 10:00.
    fn two_new_loans(store_items: &[Item]) -> Effects {
        let mut effects = Effects::default();
        for item in store_items {
            let mut seen = item.clone();
            seen.last_seen = Some(at("2026-07-22 10:00:00"));
            effects.loans.insert(
                item.barcode.clone(),
                Some(loan(&item.barcode, JANE, "2026-07-22 10:00:00")),
            );
            effects.items.insert(item.barcode.clone(), seen);
        }
        effects
    }

    /// Writes `effects` as a batch in a transaction of its own, which
    /// takes the savepoint first when `savepoint` says it is taken.
    async fn write(
        store: &crate::PostgresStore,
        effects: &Effects,
        savepoint: Savepoint,
    ) -> Option<Changes> {
        let mut conn = store.pool().acquire().await.unwrap();
        let mut tx = conn.begin().await.unwrap();
        write::plan_as_lookups(&mut tx).await.unwrap();
        if savepoint == Savepoint::Taken {
            sqlx::query(SAVEPOINT).execute(&mut *tx).await.unwrap();
        }
        let counts = write_batch(
            &mut tx,
            effects,
            &Places::default(),
            &Barcodes::default(),
            &[],
            &[],
            "staff",
            true,
            savepoint,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        counts
    }

    async fn items(store: &crate::PostgresStore) -> Vec<Item> {
        let mut items = Vec::new();
        for barcode in [LEFT_HAND, MIDDLEMARCH] {
            items.push(store.item(barcode).await.unwrap().unwrap());
        }
        items
    }

    #[tokio::test]
    async fn a_batch_is_written_in_one_statement_and_counted() {
        let Some(store) = store("one_statement").await else {
            return;
        };
        library(&store).await.unwrap();
        let before = items(&store).await;
        let counts = write(&store, &two_new_loans(&before), Savepoint::Take).await;
        let counts = counts.expect("the batch's counts");
        assert_eq!((counts.changes, counts.batches), (1, 1));
        let loans = store.loans(&LoanFilter::patron(JANE)).await.unwrap();
        assert_eq!(loans.len(), 2);
        for item in items(&store).await {
            assert_eq!(item.last_seen, Some(at("2026-07-22 10:00:00")));
            assert_eq!(item.status, ItemStatus::Available);
        }
        store.drop_schema().await.unwrap();
    }

    #[tokio::test]
    async fn a_loan_a_host_added_meanwhile_gives_way_and_the_rest_is_written() {
        // A dry run's batch takes its savepoint itself; a real run's
        // transaction took it in its first round trip.
        for savepoint in [Savepoint::Take, Savepoint::Taken] {
            a_loan_a_host_added_meanwhile_gives_way(savepoint).await;
        }
    }

    async fn a_loan_a_host_added_meanwhile_gives_way(savepoint: Savepoint) {
        let Some(store) = store("one_statement_host").await else {
            return;
        };
        library(&store).await.unwrap();
        let before = items(&store).await;
        // After the batch was loaded, a host lent LEFT_HAND to John.
        store
            .upsert_loans(&[loan(LEFT_HAND, JOHN, "2026-07-22 09:30:00")])
            .await
            .unwrap();
        let counts = write(&store, &two_new_loans(&before), savepoint).await;
        assert_eq!(counts.map(|c| c.batches), Some(1), "{savepoint:?}");
        // The processed loans win, and the items are written too.
        let loans = store.loans(&LoanFilter::patron(JANE)).await.unwrap();
        assert_eq!(loans.len(), 2, "{loans:?}");
        assert!(
            store
                .loans(&LoanFilter::patron(JOHN))
                .await
                .unwrap()
                .iter()
                .all(|l| l.barcode != LEFT_HAND)
        );
        for item in items(&store).await {
            assert_eq!(item.last_seen, Some(at("2026-07-22 10:00:00")));
        }
        store.drop_schema().await.unwrap();
    }
}
