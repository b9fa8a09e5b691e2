//! Earlier pending operations on the items of a batch, for runs that may
//! leave some behind (one library's, or chosen ids), without an index of
//! the queue by barcode.
//!
//! The engine warns about an operation when another one on the same item,
//! earlier in processing order, is still pending outside the batch
//! ([`BatchState::earlier_pending`]). A run takes its operations in (time,
//! id) order, so an operation of batch *k* can only have such an earlier one
//! at or before the batch's last key *L*ₖ, and every pending operation up to
//! *L*ₖ that is not in batch *k* is outside the run for good: later batches
//! only take operations after *L*ₖ.
//!
//! So rather than an index of the queue by barcode (a random page written
//! for every operation enqueued, read only by such runs), a run reads the
//! queue once, in order, as its batches move on: each batch reads the
//! pending operations between the previous batch's last key and its own,
//! keeps those not in the batch in a map from barcode to the earliest
//! (time, id), and looks its barcodes up there. A run over all of a queue
//! reads it once; memory is one entry per barcode met outside the run. (The
//! SQLite store does the same.)
//!
//! The map holds only while nobody else changes the queue. Every
//! transaction that does (enqueue, delete, requeue, a processed batch)
//! counts itself in `queue_changes`; a batch compares the count with the one
//! after the run's previous batch, and reads the queue again from its head
//! when another transaction committed a change in between. A change that
//! commits while the batch is running is seen by the next batch, as if it
//! had committed just after this one.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use koc_core::{BatchState, OperationId, PendingOperation, Result};
use sqlx::{PgConnection, Row};

use crate::codec;
use crate::error::Doing;

/// Pending operations read at a time.
const SLICE: i64 = 10_000;

/// What a run knows of the pending operations it leaves behind.
#[derive(Debug, Default)]
pub(crate) struct Earlier {
    /// The earliest (time, id) per barcode of the pending operations
    /// outside the run up to `read_to`.
    earliest: HashMap<String, (NaiveDateTime, OperationId)>,
    /// The queue has been read up to this key, included.
    read_to: Option<(NaiveDateTime, i16, i64)>,
    /// `queue_changes` after this run's last batch.
    seen: Option<i64>,
}

/// How many transactions have changed the queue, and how many of them
/// were processed batches (which change the circulation data too).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Changes {
    pub changes: i64,
    pub batches: i64,
}

/// Counts a change of the queue by the current transaction (a processed
/// batch when `batch`); returns the counts, which the transaction holds
/// until it ends.
pub(crate) async fn count_change(conn: &mut PgConnection, batch: bool) -> Result<Changes> {
    let (changes, batches) = sqlx::query_as(
        "UPDATE queue_changes SET changes = changes + 1, \
         batches = batches + CASE WHEN $1 THEN 1 ELSE 0 END RETURNING changes, batches",
    )
    .bind(batch)
    .fetch_one(conn)
    .await
    .doing("counting a change of the queue")?;
    Ok(Changes { changes, batches })
}

/// The counts as of now.
pub(crate) async fn changes(conn: &mut PgConnection) -> Result<Changes> {
    let (changes, batches) = sqlx::query_as("SELECT changes, batches FROM queue_changes")
        .fetch_one(conn)
        .await
        .doing("reading the queue's changes")?;
    Ok(Changes { changes, batches })
}

impl Earlier {
    /// Adds to `state` the earliest pending operation outside `batch` on each
    /// of its barcodes, where it may be earlier than one of the batch's. Call
    /// inside the batch's transaction, holding the queue lock, after taking
    /// the batch.
    pub(crate) async fn load(
        &mut self,
        conn: &mut PgConnection,
        batch: &[PendingOperation],
        state: &mut BatchState,
    ) -> Result<()> {
        let Some(last) = batch.last() else {
            return Ok(());
        };
        let changes = changes(conn).await?.changes;
        if self.seen != Some(changes) {
            // Someone else changed the queue since the last batch (or this
            // is the first): read it again from the head.
            self.earliest.clear();
            self.read_to = None;
        }
        self.seen = Some(changes);
        let (time, ns) = codec::split_time(last.operation.time);
        let last = (time, ns, last.id.0);
        if self.read_to.is_none_or(|read_to| read_to < last) {
            let in_batch: HashSet<i64> = batch.iter().map(|p| p.id.0).collect();
            // In slices: a run's first batch may read most of the queue.
            loop {
                let query = match self.read_to {
                    None => sqlx::query(
                        "SELECT barcode, time, time_ns, id FROM pending \
                         WHERE (time, time_ns, id) <= ($1, $2, $3) AND barcode IS NOT NULL \
                         ORDER BY time, time_ns, id LIMIT $4",
                    ),
                    Some(_) => sqlx::query(
                        "SELECT barcode, time, time_ns, id FROM pending \
                         WHERE (time, time_ns, id) <= ($1, $2, $3) AND barcode IS NOT NULL \
                         AND (time, time_ns, id) > ($5, $6, $7) \
                         ORDER BY time, time_ns, id LIMIT $4",
                    ),
                };
                let mut query = query.bind(last.0).bind(last.1).bind(last.2).bind(SLICE);
                if let Some((time, ns, id)) = self.read_to {
                    query = query.bind(time).bind(ns).bind(id);
                }
                let rows = query
                    .fetch_all(&mut *conn)
                    .await
                    .doing("looking for earlier pending operations")?;
                for row in &rows {
                    let id: i64 = row.try_get(3).doing("reading the queue")?;
                    let time = crate::rows::moment(row, 1)?;
                    let ns = row.try_get(2).doing("reading the queue")?;
                    self.read_to = Some((time, ns, id));
                    if in_batch.contains(&id) {
                        continue;
                    }
                    let barcode: &str = row.try_get(0).doing("reading the queue")?;
                    // Rows come in key order: the first per barcode is the
                    // earliest.
                    if !self.earliest.contains_key(barcode) {
                        let at = (codec::join_time(time, ns)?, OperationId(id));
                        self.earliest.insert(barcode.to_owned(), at);
                    }
                }
                if rows.len() < SLICE as usize {
                    break;
                }
            }
            self.read_to = Some(last);
        }
        for barcode in batch.iter().filter_map(|p| p.operation.barcode.as_deref()) {
            if let Some(&key) = self.earliest.get(barcode) {
                state.add_earlier_pending(barcode.to_owned(), key);
            }
        }
        Ok(())
    }

    /// The batch counted its own change of the queue as `changes`: the next
    /// batch sees whether anyone else changed it since.
    pub(crate) fn counted(&mut self, changes: i64) {
        self.seen = Some(changes);
    }
}
