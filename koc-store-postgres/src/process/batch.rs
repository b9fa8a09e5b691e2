//! Taking batches from the queue: where a run is ([`Cursor`]) and the next
//! operations it takes ([`Batch`]).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::NaiveDateTime;
use koc_core::{OperationId, PendingOperation, Result};
use sqlx::{PgConnection, Row};

use crate::error::{Doing, corrupt};
use crate::place::Place;
use crate::queue::pending_of_ids;
use crate::rows::{self, operation_columns, source_file_join};

/// The operations of a batch, in processing order, and where each is in
/// the queue table.
pub(super) struct Batch {
    pub operations: Vec<PendingOperation>,
    /// The `ctid` of each operation's row in `pending`: the batch leaves
    /// the queue by these, without a search. Stable until the transaction
    /// ends: queue rows are never updated, and only holders of the queue
    /// lock delete them.
    pub places: Vec<Place>,
}

/// Where a run is in the queue.
#[derive(Clone)]
pub(super) enum Cursor {
    /// Processing everything (of a library): the order key of the last
    /// operation taken.
    All(Option<(NaiveDateTime, i16, i64)>),
    /// Processing a selection: the selected ids, in processing order, and
    /// how many were taken.
    Ids { ids: Arc<[i64]>, next: usize },
}

/// Where the next operations are: id, `ctid`, time, nanoseconds.
macro_rules! keys {
    () => {
        "SELECT p.id, p.ctid, p.time, p.time_ns"
    };
}

/// The next batch of a run over everything: `$1` the limit, `$2` the
/// branch, `$3`..`$5` the key to start after.
macro_rules! next_of_all {
    ($where:literal) => {
        concat!(
            keys!(),
            " FROM pending p",
            $where,
            " ORDER BY p.time, p.time_ns, p.id LIMIT $1"
        )
    };
}

/// The query for the next batch of everything, by whether it starts after
/// a key and whether it is one branch's.
fn next_of_all(after: bool, branch: bool) -> &'static str {
    match (after, branch) {
        (false, false) => next_of_all!(""),
        (false, true) => next_of_all!(" WHERE p.branch = $2"),
        (true, false) => next_of_all!(" WHERE (p.time, p.time_ns, p.id) > ($3, $4, $5)"),
        (true, true) => {
            next_of_all!(" WHERE p.branch = $2 AND (p.time, p.time_ns, p.id) > ($3, $4, $5)")
        }
    }
}

/// Where the next batch of the run at `cursor` is: ids and `ctid`s of its
/// operations, still pending, in processing order; moves the cursor past
/// them.
pub(super) async fn next_keys(
    conn: &mut PgConnection,
    cursor: &mut Cursor,
    branch: Option<&str>,
    size: usize,
) -> Result<Vec<(i64, Place)>> {
    let limit = i64::try_from(size).unwrap_or(i64::MAX);
    let rows = match cursor {
        Cursor::All(after) => {
            let mut query = sqlx::query(next_of_all(after.is_some(), branch.is_some()))
                .bind(limit)
                .bind(branch.unwrap_or_default());
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
                keys!(),
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
    let mut keys = Vec::with_capacity(rows.len());
    let mut last = None;
    for row in &rows {
        let id: i64 = row.try_get(0).doing("taking the next batch")?;
        keys.push((id, row.try_get(1).doing("taking the next batch")?));
        last = Some((
            crate::rows::moment(row, 2)?,
            row.try_get(3).doing("taking the next batch")?,
            id,
        ));
    }
    if let (Cursor::All(after), Some(last)) = (cursor, last) {
        *after = Some(last);
    }
    Ok(keys)
}

/// The next batch of the run at `cursor`, still pending, in processing
/// order; moves the cursor past it.
pub(super) async fn next_batch(
    conn: &mut PgConnection,
    cursor: &mut Cursor,
    branch: Option<&str>,
    size: usize,
) -> Result<Batch> {
    let keys = next_keys(conn, cursor, branch, size).await?;
    let mut operations = operations(conn, keys.iter().map(|(id, _)| *id)).await?;
    let mut batch = Batch {
        operations: Vec::with_capacity(keys.len()),
        places: Vec::with_capacity(keys.len()),
    };
    for (id, place) in keys {
        let pending = operations
            .remove(&id)
            .ok_or_else(|| corrupt(format_args!("pending operation {id} without its operation")))?;
        batch.operations.push(pending);
        batch.places.push(place);
    }
    Ok(batch)
}

/// The operations with these ids, by id. Operations are numbered as they
/// are enqueued, so a batch's ids are mostly one range: read as a range
/// when it is not much wider than the batch (one index search, then
/// neighbouring rows), one by one otherwise.
async fn operations(
    conn: &mut PgConnection,
    ids: impl Iterator<Item = i64>,
) -> Result<HashMap<i64, PendingOperation>> {
    let ids: Vec<i64> = ids.collect();
    let (Some(&low), Some(&high)) = (ids.iter().min(), ids.iter().max()) else {
        return Ok(HashMap::new());
    };
    let wanted = u64::try_from(ids.len()).unwrap_or(u64::MAX);
    let rows = if high.abs_diff(low) < wanted.saturating_mul(2) {
        sqlx::query(concat!(
            "SELECT o.id, ",
            operation_columns!("o."),
            " FROM operations o",
            source_file_join!(),
            " WHERE o.id BETWEEN $1 AND $2"
        ))
        .bind(low)
        .bind(high)
        .fetch_all(&mut *conn)
        .await
    } else {
        sqlx::query(concat!(
            "SELECT o.id, ",
            operation_columns!("o."),
            " FROM operations o",
            source_file_join!(),
            " WHERE o.id = ANY($1)"
        ))
        .bind(&ids)
        .fetch_all(&mut *conn)
        .await
    }
    .doing("reading the batch's operations")?;
    let wanted: HashSet<i64> = ids.into_iter().collect();
    let mut operations = HashMap::with_capacity(wanted.len());
    for row in &rows {
        let id: i64 = row.try_get(0).doing("reading the batch's operations")?;
        if wanted.contains(&id) {
            operations.insert(id, rows::pending(row, 0)?);
        }
    }
    Ok(operations)
}

/// The selected ids still pending (of the run's library), in processing
/// order, and the ids that are not pending.
pub(super) async fn selection(
    conn: &mut PgConnection,
    ids: &[OperationId],
    branch: Option<&str>,
) -> Result<(Vec<i64>, Vec<OperationId>)> {
    let wanted: Vec<i64> = ids
        .iter()
        .map(|id| id.0)
        .collect::<BTreeSet<_>>()
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
