//! Reading batches ahead while the run's batch is decided and written.
//!
//! A batch's server work is in two halves of about the same size: taking
//! the batch and loading what it touches, then writing the effects and the
//! history. They need not wait for each other. While batch *N* is decided
//! and written on the run's connection, a [`Reader`] on a second
//! connection (when the pool has one free) takes the batches after it, in
//! order, and loads what they touch, without a transaction and without the
//! queue lock: the server does both halves at once, on two processes. It
//! reads one batch at a time: the next one, while the run writes this one,
//! and then waits for the run to take it. (Reading two batches ahead was
//! measured and gave nothing: the writing half is the longer one, so the
//! reader waits for it either way; see benches/README.md.)
//!
//! A batch read ahead was read before the batches the run committed since
//! (its read began before they committed), so it is brought up to date
//! with each of them, in order ([`Ahead::overlay`]): the items, open
//! loans, holds and debts that such a batch loaded are, after its
//! decisions, exactly what it left in the database, and the batch read
//! ahead takes those instead of what it read. Patrons are never changed
//! by processing. The run keeps the last few committed batches' states for
//! this ([`Committed`]).
//!
//! Then, in the batch's own transaction and holding the queue lock, it is
//! used only if it is still the next one ([`Ahead::adopt`]). The reader
//! notes the queue's counts (`queue_changes`) before it reads each batch.
//! Every transaction that changes the queue counts itself, and processed
//! batches count twice (a change, and a batch): so if, since that note,
//! every change counted was one of the run's own batches, nothing else
//! changed the queue or the circulation data in between, and the batch
//! read ahead is the next one. If another processor's batch was counted,
//! it is read again. If something else changed the queue (an enqueue,
//! which does not wait for the queue lock, a delete, a requeue), the
//! queue's next batch is read again and must be the same operations.
//! Either way the batch decides on what a batch taken after the previous
//! one committed would see. (Changes a host makes to the circulation data
//! while processing runs race with processing anyway: they are seen by the
//! next batch that loads after they commit, read ahead or not.)
//!
//! The rows read ahead are written through their `ctid`s like any batch's;
//! those that a batch committed meanwhile changed have moved, so they are
//! written by key.

use std::collections::{HashSet, VecDeque};

use koc_core::{BatchState, ProcessRun, Result};
use sqlx::PgPool;
use sqlx::pool::PoolConnection;
use tokio::sync::mpsc;

use super::Loaded;
use super::batch::{Cursor, next_batch, next_keys};
use super::load::load_state;
use crate::earlier::{Changes, changes};

/// A batch read ahead and what it touches.
pub(super) struct Ahead {
    loaded: Loaded,
    /// The run's cursor after the batch.
    cursor: Cursor,
    /// The queue's counts before the batch was read.
    seen: Changes,
}

/// A task that takes a run's next batches in order and loads what they
/// touch, on a connection of its own. Dropping it stops it.
pub(super) struct Reader {
    batches: mpsc::Receiver<Ahead>,
    task: tokio::task::JoinHandle<()>,
}

impl Reader {
    /// Starts reading the batches after `cursor`, when the pool has a
    /// connection free; in a task of its own, so that decoding what it
    /// reads does not hold up the batch being written.
    pub(super) fn start(pool: &PgPool, run: &ProcessRun, cursor: Cursor) -> Option<Reader> {
        let conn = pool.try_acquire()?;
        let (out, batches) = mpsc::channel(1);
        let task = tokio::spawn(read(
            conn,
            run.branch.clone(),
            run.batch_size.max(1),
            cursor,
            out,
        ));
        Some(Reader { batches, task })
    }

    /// The next batch read ahead; `None` when the reader found no more
    /// batches or met an error (the batch is then taken again in its own
    /// transaction, which reports errors).
    pub(super) async fn next(&mut self) -> Option<Ahead> {
        self.batches.recv().await
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn read(
    mut conn: PoolConnection<sqlx::Postgres>,
    branch: Option<String>,
    size: usize,
    mut cursor: Cursor,
    out: mpsc::Sender<Ahead>,
) {
    loop {
        // Not before the run took the batch read before.
        let Ok(slot) = out.reserve().await else {
            return;
        };
        let Ok(seen) = changes(&mut conn).await else {
            return;
        };
        let Ok(batch) = next_batch(&mut conn, &mut cursor, branch.as_deref(), size).await else {
            return;
        };
        if batch.operations.is_empty() {
            return;
        }
        let Ok((state, places)) = load_state(&mut conn, &batch.operations).await else {
            return;
        };
        let ahead = Ahead {
            loaded: Loaded {
                batch,
                state,
                places,
            },
            cursor: cursor.clone(),
            seen,
        };
        slot.send(ahead);
    }
}

/// The run's last batches committed, each with the queue's counts its
/// transaction left and its state after its decisions.
#[derive(Default)]
pub(super) struct Committed {
    batches: VecDeque<CommittedBatch>,
}

/// A batch the run committed: the queue's counts its transaction left,
/// its state after its decisions, and whose debts that state has.
struct CommittedBatch {
    counts: Changes,
    state: BatchState,
    debts_of: HashSet<String>,
}

impl Committed {
    /// Enough to bring any batch a reader holds up to date (the reader
    /// reads a batch while the one before it is written).
    const KEPT: usize = 3;

    /// Notes a batch the run committed (`debts_of`: the patrons whose
    /// debts `state` has).
    pub(super) fn push(&mut self, counts: Changes, state: BatchState, debts_of: HashSet<String>) {
        if self.batches.len() == Self::KEPT {
            self.batches.pop_front();
        }
        self.batches.push_back(CommittedBatch {
            counts,
            state,
            debts_of,
        });
    }

    /// The run's batches counted after `seen`, in order.
    fn since(&self, seen: Changes) -> impl Iterator<Item = &CommittedBatch> {
        self.batches
            .iter()
            .filter(move |batch| batch.counts.batches > seen.batches)
    }
}

impl Ahead {
    /// Brings what was read up to date with a batch committed since:
    /// `previous` is that batch's state after its decisions.
    fn overlay(&mut self, previous: &CommittedBatch) {
        let CommittedBatch {
            state: previous,
            debts_of: previous_debts_of,
            ..
        } = previous;
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
        // Debts: a batch loads only its payments' patrons' (load.rs). Those
        // the batch committed loaded are as it left them; the others it
        // did not change (only a payment does), so what was read stands.
        for card in previous_debts_of {
            if !state.patrons.contains_key(card) {
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
            places.debts_of.insert(card.clone());
        }
    }

    /// The batch read ahead, brought up to date with the run's batches
    /// committed since it was read, if it is still the run's next one; call
    /// in the batch's transaction, holding the queue lock. Moves `cursor`
    /// past it when it is.
    pub(super) async fn adopt(
        mut self,
        conn: &mut sqlx::PgConnection,
        cursor: &mut Cursor,
        run: &ProcessRun,
        committed: &Committed,
    ) -> Result<Option<Loaded>> {
        let now = changes(conn).await?;
        let own = committed.since(self.seen).count();
        let own = i64::try_from(own).unwrap_or(i64::MAX);
        if now.batches - self.seen.batches != own {
            // Another processor's batch (which may have changed what was
            // read), or one of the run's that is no longer kept.
            return Ok(None);
        }
        for batch in committed.since(self.seen) {
            self.overlay(batch);
        }
        if now.changes - self.seen.changes != own {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use koc_core::conformance::fixtures::{
        DISPLAY_COPY, HAWKING, LEFT_HAND, MIDDLEMARCH, SAMURAI, STAFF, at, checkin, library,
    };
    use koc_core::{PendingOperation, Queue};
    use sqlx::Connection;

    use super::*;
    use crate::testing::store;
    use crate::{PostgresStore, earlier, locks};

    fn times(operations: &[PendingOperation]) -> Vec<chrono::NaiveDateTime> {
        operations.iter().map(|p| p.operation.time).collect()
    }

    /// Takes the first batch of two in a transaction holding the queue
    /// lock, has a reader read the second, runs `meanwhile` while the first
    /// is still being written, commits the first, and returns what adopting
    /// the second then gives, with the batch taken instead when it was not
    /// adopted.
    async fn second_batch_after<F, Fut>(
        store: &PostgresStore,
        meanwhile: F,
    ) -> (Option<Loaded>, Option<Loaded>)
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        library(store).await.unwrap();
        let returns = [LEFT_HAND, MIDDLEMARCH, SAMURAI, HAWKING];
        let operations: Vec<_> = returns
            .iter()
            .enumerate()
            .map(|(minute, barcode)| checkin(&format!("2026-07-22 10:0{minute}:00"), barcode))
            .collect();
        store.enqueue(None, &operations).await.unwrap();
        let run = ProcessRun::all(STAFF).batch_size(2);
        let mut cursor = Cursor::All(None);
        let mut conn = store.pool().acquire().await.unwrap();
        let mut tx = conn.begin().await.unwrap();
        store.lock(&mut tx, locks::QUEUE).await.unwrap();
        let first = store
            .take(&mut tx, &run, &mut cursor)
            .await
            .unwrap()
            .unwrap();
        let mut reader = Reader::start(store.pool(), &run, cursor.clone()).unwrap();
        let second = reader.next().await.expect("the second batch, read ahead");
        meanwhile().await;
        let counts = earlier::count_change(&mut tx, true).await.unwrap();
        tx.commit().await.unwrap();
        let mut committed = Committed::default();
        committed.push(counts, first.state, first.places.debts_of);
        let mut tx = conn.begin().await.unwrap();
        store.lock(&mut tx, locks::QUEUE).await.unwrap();
        let adopted = second
            .adopt(&mut tx, &mut cursor, &run, &committed)
            .await
            .unwrap();
        let taken = match adopted {
            Some(_) => None,
            None => store.take(&mut tx, &run, &mut cursor).await.unwrap(),
        };
        tx.rollback().await.unwrap();
        (adopted, taken)
    }

    #[tokio::test]
    async fn the_batch_read_ahead_is_used_when_only_the_run_changed_the_queue() {
        let Some(store) = store("ahead_used").await else {
            return;
        };
        let (adopted, _) = second_batch_after(&store, || async {}).await;
        let adopted = adopted.expect("the batch read ahead, adopted");
        assert_eq!(
            times(&adopted.batch.operations),
            [at("2026-07-22 10:02:00"), at("2026-07-22 10:03:00")]
        );
        store.drop_schema().await.unwrap();
    }

    #[tokio::test]
    async fn an_operation_enqueued_while_a_batch_is_written_is_in_the_next_batch() {
        let Some(store) = store("ahead_enqueued").await else {
            return;
        };
        // Enqueue does not wait for the queue lock: it commits while the
        // first batch is written, after the reader read the second, before
        // the first counts its change.
        let late = [checkin("2026-07-22 10:02:30", DISPLAY_COPY)];
        let (adopted, taken) = second_batch_after(&store, || async {
            let report = store.enqueue(None, &late).await.unwrap();
            assert_eq!(report.added.len(), 1);
        })
        .await;
        assert!(
            adopted.is_none(),
            "a batch read before the enqueue was used"
        );
        let taken = taken.expect("the second batch, taken again");
        assert_eq!(
            times(&taken.batch.operations),
            [at("2026-07-22 10:02:00"), at("2026-07-22 10:02:30")]
        );
        store.drop_schema().await.unwrap();
    }
}
