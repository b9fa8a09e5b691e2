//! Reading the next batch ahead while this one is decided and written.
//!
//! A batch's server work is in two halves of about the same size: taking
//! the batch and loading what it touches, then writing the effects and the
//! history. They need not wait for each other. From the moment batch *N*
//! is taken, while it is decided and written on the run's connection, a
//! second connection (when the pool has one
//! free) takes batch *N*+1, the operations after *N*'s last key, and loads
//! what they touch, without a transaction and without the queue lock: the
//! server does both halves at once, on two processes.
//!
//! What was read ahead was read before *N* committed, so it is brought up
//! to date with *N*'s final state ([`Ahead::overlay`]): the items, open
//! loans, holds and debts that *N* loaded are, after *N*'s decisions,
//! exactly what *N* leaves in the database, and *N*+1 takes those instead
//! of what it read. Patrons are never changed by processing.
//!
//! Then, in *N*+1's own transaction and holding the queue lock, the batch
//! read ahead is used only if it is still the next one
//! ([`Ahead::adopt`]): no other batch was processed since *N* (the
//! `batches` count of `queue_changes`: another processor's batch could
//! have changed what was read), and either nothing at all changed the
//! queue since *N*, or the queue's next batch, read again, is the same
//! operations. Otherwise the batch is taken and loaded again, as without
//! reading ahead. Either way *N*+1 decides on what a batch taken after *N*
//! committed would see. (Changes a host makes to the circulation data
//! while processing runs race with processing anyway: they are seen by the
//! next batch that loads after they commit, read ahead or not.)
//!
//! The rows read ahead are written through their `ctid`s like any batch's;
//! those *N* changed have moved, so they are written by key.

use koc_core::{BatchState, ProcessRun, Result};
use sqlx::PgPool;

use super::Loaded;
use super::batch::{Cursor, next_batch, next_keys};
use super::load::load_state;
use crate::earlier::{Changes, changes};

/// A batch read ahead and what it touches.
pub(super) struct Ahead {
    loaded: Loaded,
    /// The run's cursor after the batch.
    cursor: Cursor,
    /// The queue's counts after the batch written meanwhile, when known.
    after: Option<Changes>,
}

/// Starts taking the batch after `cursor` and loading what it touches, on
/// a connection of its own when the pool has one free, in a task of its own
/// (so that decoding what it reads does not hold up the batch being
/// written).
pub(super) fn read_ahead(pool: &PgPool, run: &ProcessRun, cursor: Cursor) -> Reading {
    let task = tokio::spawn(read(
        pool.clone(),
        run.branch.clone(),
        run.batch_size.max(1),
        cursor,
    ));
    Reading { task }
}

/// A batch being read ahead.
pub(super) struct Reading {
    task: tokio::task::JoinHandle<Option<Ahead>>,
}

impl Reading {
    /// The batch read ahead; `None` when there was no connection, no batch,
    /// or an error (the batch is then taken again in its own transaction,
    /// which reports errors).
    pub(super) async fn done(self) -> Option<Ahead> {
        self.task.await.ok().flatten()
    }

    /// Stops reading (the batch being written failed).
    pub(super) fn cancel(self) {
        self.task.abort();
    }
}

async fn read(
    pool: PgPool,
    branch: Option<String>,
    size: usize,
    mut cursor: Cursor,
) -> Option<Ahead> {
    let mut conn = pool.try_acquire()?;
    let batch = next_batch(&mut conn, &mut cursor, branch.as_deref(), size)
        .await
        .ok()?;
    if batch.operations.is_empty() {
        return None;
    }
    let (state, places) = load_state(&mut conn, &batch.operations).await.ok()?;
    Some(Ahead {
        loaded: Loaded {
            batch,
            state,
            places,
        },
        cursor,
        after: None,
    })
}

impl Ahead {
    /// Brings what was read up to date with the batch written meanwhile:
    /// `previous` is that batch's state after its decisions, `after` the
    /// queue's counts its transaction left.
    pub(super) fn overlay(&mut self, previous: &BatchState, after: Changes) {
        self.after = Some(after);
        let Loaded { state, places, .. } = &mut self.loaded;
        for (barcode, item) in &mut state.items {
            let Some(now) = previous.items.get(barcode) else {
                continue;
            };
            item.clone_from(now);
            match previous.loans.get(barcode) {
                Some(loan) => {
                    state.loans.insert(barcode.clone(), loan.clone());
                }
                None => {
                    state.loans.remove(barcode);
                }
            }
            match previous.holds.get(barcode) {
                Some(holds) if !holds.is_empty() => {
                    state.holds.insert(barcode.clone(), holds.clone());
                }
                _ => {
                    state.holds.remove(barcode);
                }
            }
            // Written meanwhile: these rows have moved.
            places.items.remove(barcode);
            places.loans.remove(barcode);
        }
        for card in state.patrons.keys() {
            if !previous.patrons.contains_key(card) {
                continue;
            }
            match previous.debts.get(card) {
                Some(debts) if !debts.is_empty() => {
                    state.debts.insert(card.clone(), debts.clone());
                }
                _ => {
                    state.debts.remove(card);
                }
            }
        }
    }

    /// The batch read ahead, if it is still the run's next one; call in the
    /// batch's transaction, holding the queue lock. Moves `cursor` past it
    /// when it is.
    pub(super) async fn adopt(
        mut self,
        conn: &mut sqlx::PgConnection,
        cursor: &mut Cursor,
        run: &ProcessRun,
    ) -> Result<Option<Loaded>> {
        let Some(after) = self.after else {
            return Ok(None);
        };
        let now = changes(conn).await?;
        if now.batches != after.batches {
            return Ok(None);
        }
        if now.changes != after.changes {
            // Enqueued, deleted or requeued meanwhile: is it still the
            // next batch?
            let mut check = cursor.clone();
            let keys = next_keys(
                conn,
                &mut check,
                run.branch.as_deref(),
                run.batch_size.max(1),
            )
            .await?;
            let same = keys.len() == self.loaded.batch.operations.len()
                && keys
                    .iter()
                    .zip(&self.loaded.batch.operations)
                    .all(|((id, _), pending)| *id == pending.id.0);
            if !same {
                return Ok(None);
            }
            self.loaded.batch.places = keys.into_iter().map(|(_, place)| place).collect();
            self.cursor = check;
        }
        *cursor = self.cursor;
        Ok(Some(self.loaded))
    }
}
