//! Earlier pending operations on the items of a batch, for runs that may
//! leave some behind (a branch, or chosen ids), without an index of the
//! queue by barcode.
//!
//! The engine warns about an operation when another one on the same item,
//! earlier in processing order, is still pending outside the batch
//! ([`BatchState::earlier_pending`]). A run processes its operations in
//! (time, id) order, so an operation of batch *k* can only have such an
//! earlier one at or before the batch's last key *L*ₖ, and every pending
//! operation up to *L*ₖ that is not in batch *k* is outside the run for
//! good: later batches only take operations after *L*ₖ.
//!
//! So rather than keep an index of the whole queue by barcode (written for
//! every operation enqueued and removed, read only by such runs), a run
//! reads the queue once, in order, as its batches move on: each batch reads
//! the pending operations between the previous batch's last key and its
//! own, keeps those not in the batch in a map from barcode to the earliest
//! (time, id), and looks its barcodes up there. A run over all of a queue
//! reads it once; memory is one entry per barcode met outside the run.
//!
//! The map holds only while nobody else changes the queue: before each
//! batch, in its write transaction, the run compares `PRAGMA data_version`
//! (changed by other connections' commits) and the connection's total
//! changes (other calls on the same store) with what it saw after its own
//! previous batch, and starts the map over from the head of the queue if
//! either moved.
//!
//! An operation only has an entry when its earliest outside operation is at
//! or before *L*ₖ; the engine only warns when it is earlier than the
//! operation itself, so it decides exactly as with every entry.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use koc_core::{BatchState, OperationId, PendingOperation, Result};
use rusqlite::Connection;

use crate::codec::Time;
use crate::error::Context;

/// The pending operations from after (`?1`, `?2`) to (`?3`, `?4`) in
/// processing order, with a barcode: barcode, time, id.
pub(crate) const PENDING_BETWEEN: &str = "SELECT o.barcode, p.time, p.id
     FROM pending AS p JOIN operations AS o ON o.id = p.id
     WHERE p.time >= ?1 AND (p.time > ?1 OR p.id > ?2)
       AND p.time <= ?3 AND (p.time < ?3 OR p.id <= ?4)
       AND o.barcode IS NOT NULL
     ORDER BY p.time, p.id";

/// What a run knows of the pending operations it leaves behind.
#[derive(Debug, Default)]
pub(crate) struct Earlier {
    /// The earliest (time, id) per barcode of the pending operations
    /// outside the run up to `read_to`.
    earliest: HashMap<String, (NaiveDateTime, OperationId)>,
    /// The queue has been read up to this key, included.
    read_to: Option<(i64, i64)>,
    /// `PRAGMA data_version` and the connection's total changes after this
    /// run's last batch.
    seen: Option<(i64, u64)>,
}

impl Earlier {
    /// Adds to `state` the earliest pending operation outside `batch` on each
    /// of its barcodes, where it may be earlier than one of the batch's.
    /// Call inside the batch's transaction, after selecting it.
    pub fn load(
        &mut self,
        conn: &Connection,
        batch: &[PendingOperation],
        barcodes: &[&str],
        state: &mut BatchState,
    ) -> Result<()> {
        let what = "looking for earlier pending operations";
        let Some(last) = batch.last() else {
            return Ok(());
        };
        let now = (data_version(conn)?, conn.total_changes());
        if self.seen != Some(now) {
            // Someone else changed the queue since the last batch (or this
            // is the first): read it again from the head.
            self.earliest.clear();
            self.read_to = None;
        }
        let last = (Time(last.operation.time).micros(), last.id.0);
        let after = self.read_to.unwrap_or((i64::MIN, i64::MIN));
        if after < last {
            let in_batch: HashSet<i64> = batch.iter().map(|p| p.id.0).collect();
            let mut select = conn.prepare_cached(PENDING_BETWEEN).context(what)?;
            let mut rows = select
                .query((after.0, after.1, last.0, last.1))
                .context(what)?;
            while let Some(row) = rows.next().context(what)? {
                let id: i64 = row.get(2).context(what)?;
                if in_batch.contains(&id) {
                    continue;
                }
                let key = (row.get::<_, Time>(1).context(what)?.0, OperationId(id));
                let barcode = row.get_ref(0).and_then(|v| Ok(v.as_str()?)).context(what)?;
                // Rows come in key order: the first per barcode is the earliest.
                if !self.earliest.contains_key(barcode) {
                    self.earliest.insert(barcode.to_owned(), key);
                }
            }
            self.read_to = Some(last);
        }
        for &barcode in barcodes {
            if let Some(&key) = self.earliest.get(barcode) {
                state.add_earlier_pending(barcode.to_owned(), key);
            }
        }
        Ok(())
    }

    /// Call at the end of the batch's writes, inside its transaction.
    pub fn written(&mut self, conn: &Connection) -> Result<()> {
        self.seen = Some((data_version(conn)?, conn.total_changes()));
        Ok(())
    }
}

fn data_version(conn: &Connection) -> Result<i64> {
    conn.prepare_cached("PRAGMA data_version")
        .and_then(|mut pragma| pragma.query_row([], |row| row.get(0)))
        .context("reading the data version")
}
