//! A run on two connections at once: while the store's connection writes a
//! batch, a connection of the run's own reads and decides the next one.
//!
//! A batch is half reading (choosing the operations, loading what they
//! touch, deciding) and half writing (effects, history, commit). In WAL
//! mode a reader does not wait for the writer, so on a file the two halves
//! of consecutive batches run side by side, each on its own thread:
//!
//! ```text
//! reader:  decide 1 | decide 2       | decide 3       | ...
//! writer:           | write 1        | write 2        | write 3 ...
//! ```
//!
//! The reader decides batch `k` from the data committed when it starts,
//! which is everything up to batch `k - 2`: batch `k - 1` is being written.
//! It catches the loaded state up with the effects of batch `k - 1`
//! ([`BatchState::catch_up`](koc_core::BatchState::catch_up)), so it
//! decides on what the writer will have committed by the time it writes
//! batch `k`, as a run on one connection would.
//!
//! That holds only if nothing else wrote in between. Before writing a
//! batch decided this way, the writer checks, in its write transaction,
//! that no other connection committed (`PRAGMA data_version`) and that no
//! other call wrote on the store's own connection (its count of changed
//! rows) since the run last looked. If something did, the batch is chosen,
//! loaded and decided again in the write transaction, as on one connection,
//! and what the reader decided meanwhile is dropped: nothing is written
//! from data another writer changed.
//!
//! Runs that may leave earlier operations behind (a library, or chosen
//! ids), dry runs and databases in memory use one connection.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use koc_core::{Effects, LoanPolicy, ProcessedOperation, Result};
use rusqlite::Connection;

use super::batch::{self, Decided, Plan};
use super::{Cursor, Progress};
use crate::SqliteStore;
use crate::busy;
use crate::error::Context;

/// What the run knows of the database: it wrote everything up to here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Unchanged {
    /// Changes committed by other connections (`PRAGMA data_version`).
    data_version: i64,
    /// Rows changed by the store's connection (its own writes included).
    total_changes: u64,
}

impl Unchanged {
    /// Where the store's connection is now.
    pub(crate) fn now(conn: &Connection) -> Result<Unchanged> {
        let data_version = conn
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut pragma| pragma.query_row([], |row| row.get(0)))
            .context("reading the data version")?;
        Ok(Unchanged {
            data_version,
            total_changes: conn.total_changes(),
        })
    }
}

/// The run's reading connection, with where it is in the queue.
struct Reader {
    conn: Connection,
    /// After the last batch it chose: (time in microseconds, id).
    after: (i64, i64),
    busy_timeout: std::time::Duration,
}

impl Reader {
    /// Chooses, loads and decides the next batch in a read transaction of
    /// its own, caught up with `written_since`.
    fn decide(
        &mut self,
        plan: &Plan,
        policy: &dyn LoanPolicy,
        written_since: Option<&Effects>,
    ) -> Result<Option<ToWrite>> {
        let from = self.after;
        busy::set_timeout(self.busy_timeout);
        let what = "reading the next batch";
        // One snapshot for choosing the batch and loading its state.
        self.conn.execute_batch("BEGIN").context(what)?;
        let mut cursor = Cursor::All { after: self.after };
        let decided = batch::decide(&self.conn, plan, policy, &mut cursor, None, written_since);
        let ended = self.conn.execute_batch("COMMIT").context(what);
        let decided = decided?;
        ended?;
        if let Cursor::All { after } = cursor {
            self.after = after;
        }
        Ok(decided.map(|decided| ToWrite { decided, from }))
    }
}

/// What the store's connection did with a batch the reader decided.
enum Written {
    /// Wrote it as decided; the run has written everything up to `now`.
    AsDecided {
        results: Vec<ProcessedOperation>,
        now: Unchanged,
    },
    /// Another writer got in first: it chose, loaded and decided the next
    /// batch again (`None`: nothing was left), and stopped at `after`.
    Again {
        results: Option<Vec<ProcessedOperation>>,
        after: (i64, i64),
        now: Unchanged,
    },
}

/// A batch decided by the reader, waiting for the writer.
struct ToWrite {
    decided: Decided,
    /// Where the batch was chosen from, to choose again from.
    from: (i64, i64),
}

impl SqliteStore {
    /// Processes everything in time order on two connections (see the
    /// module documentation); `reader` is the run's own.
    pub(super) async fn run_pipelined(
        &self,
        plan: Arc<Plan>,
        policy: Arc<dyn LoanPolicy>,
        reader: Connection,
        observer: &mut dyn koc_core::ProcessObserver,
        summary: &mut koc_core::ProcessSummary,
    ) -> Result<()> {
        let _two_connections = self.two_connection_run();
        let mut known = self.call(|conn| Unchanged::now(conn)).await?;
        let mut reader = Some(Reader {
            conn: reader,
            after: (i64::MIN, i64::MIN),
            busy_timeout: self.busy_timeout(),
        });
        let mut to_write: Option<ToWrite> = None;
        let mut committed: Option<Vec<ProcessedOperation>> = None;
        let mut reader_done = false;
        loop {
            if reader_done && to_write.is_none() {
                if let Some(results) = committed.take() {
                    summary.count(&results);
                    observer.batch(&results);
                }
                return Ok(());
            }
            // Here neither connection has a transaction open: the only
            // moment a checkpoint can copy the whole WAL back, so that it
            // starts over rather than grow through the run.
            self.checkpoint_between_transactions().await?;
            // The reader decides the next batch, caught up with the one
            // the writer writes meanwhile.
            let reading = match (reader_done, reader.take()) {
                (false, Some(mut reading)) => {
                    let plan = plan.clone();
                    let policy = policy.clone();
                    let since = to_write.as_ref().map(|w| w.decided.effects.clone());
                    Some(super::Spawned::start(async move {
                        let joined = tokio::task::spawn_blocking(move || {
                            let decided = reading.decide(&plan, &*policy, since.as_deref());
                            (reading, decided)
                        })
                        .await;
                        joined.map_err(|e| {
                            koc_core::Error::database("the SQLite reading thread failed", e)
                        })
                    }))
                }
                (_, taken) => {
                    reader = taken;
                    None
                }
            };
            let writing = to_write.take().map(|batch| {
                let store = self.clone();
                let plan = plan.clone();
                let policy = policy.clone();
                let pause = committed.is_some();
                super::Spawned::start(async move {
                    if pause {
                        tokio::time::sleep(busy::BETWEEN_BATCHES).await;
                    }
                    store
                        .write_checked_by_construction("processing a batch", move |tx| {
                            write(tx, &plan, &*policy, known, batch)
                        })
                        .await
                })
            });
            if let Some(results) = committed.take() {
                summary.count(&results);
                observer.batch(&results);
            }
            let written = match writing {
                Some(writing) => Some(writing.join().await?),
                None => None,
            };
            let read = match reading {
                Some(reading) => Some(reading.join().await??),
                None => None,
            };
            // Results of a write come before any error of the reader's.
            let written = match written {
                Some(Err(e)) => return Err(e),
                Some(Ok(written)) => Some(written),
                None => None,
            };
            let mut read = match read {
                Some((reading, decided)) => {
                    let decided = match decided {
                        Ok(decided) => decided,
                        Err(e) => {
                            if let Some(Written::AsDecided { results, .. })
                            | Some(Written::Again {
                                results: Some(results),
                                ..
                            }) = written
                            {
                                summary.count(&results);
                                observer.batch(&results);
                            }
                            return Err(e);
                        }
                    };
                    reader = Some(reading);
                    Some(decided)
                }
                None => None,
            };
            match written {
                None => {}
                Some(Written::AsDecided { results, now }) => {
                    known = now;
                    committed = Some(results);
                }
                Some(Written::Again {
                    results,
                    after,
                    now,
                }) => {
                    self.redone.fetch_add(1, Ordering::Relaxed);
                    known = now;
                    // What the reader decided meanwhile was caught up with
                    // a batch that was not written as decided: drop it and
                    // read on from where the writer stopped.
                    read = None;
                    if let Some(reading) = reader.as_mut() {
                        reading.after = after;
                    }
                    match results {
                        Some(results) => {
                            committed = Some(results);
                            reader_done = false;
                        }
                        None => reader_done = true,
                    }
                }
            }
            match read {
                Some(Some(next)) => to_write = Some(next),
                Some(None) => reader_done = true,
                None => {}
            }
        }
    }
}

/// In the store's write transaction: writes the batch as the reader decided
/// it if nothing else wrote since `known`, or else decides it again here.
fn write(
    conn: &Connection,
    plan: &Plan,
    policy: &dyn LoanPolicy,
    known: Unchanged,
    batch: ToWrite,
) -> Result<Written> {
    if Unchanged::now(conn)? == known {
        let cursor = Cursor::All { after: batch.from };
        let results = batch::write(conn, plan, &cursor, None, batch.decided)?;
        return Ok(Written::AsDecided {
            results,
            now: Unchanged::now(conn)?,
        });
    }
    let mut progress = Progress {
        cursor: Cursor::All { after: batch.from },
        earlier: None,
    };
    let results = batch::process(conn, plan, policy, &mut progress)?;
    let after = match progress.cursor {
        Cursor::All { after } => after,
        Cursor::Chosen { .. } => batch.from,
    };
    Ok(Written::Again {
        results,
        after,
        now: Unchanged::now(conn)?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::atomic::Ordering;

    use koc_core::conformance::fixtures::{self, *};
    use koc_core::{
        Circulation, ItemStatus, MemoryStore, Operation, OutcomeCode, ProcessRun,
        ProcessedOperation, Queue, Store, WarningCode,
    };

    use crate::{SqliteOptions, SqliteStore};

    /// A morning at the desk: each item goes out and comes back, some twice.
    fn morning() -> Vec<Operation> {
        let mut operations = Vec::new();
        for (hour, card) in [(9, JANE), (10, JOHN), (11, MARIA)] {
            for (minute, barcode) in [(0, LEFT_HAND), (5, MIDDLEMARCH), (10, OLD_ENCYCLOPEDIA)] {
                operations.push(issue(
                    &format!("2026-07-22 {hour:02}:{minute:02}:00"),
                    card,
                    barcode,
                ));
                operations.push(checkin(
                    &format!("2026-07-22 {hour:02}:{:02}:00", minute + 30),
                    barcode,
                ));
            }
            operations.push(payment(
                &format!("2026-07-22 {hour:02}:50:00"),
                card,
                "1.00",
            ));
        }
        operations
    }

    /// A file store with the fixtures library and [`morning`] queued, and
    /// the directory that holds it.
    async fn queued_morning() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = file_store(&dir, SqliteOptions::default()).await;
        store.enqueue(None, &morning()).await.unwrap();
        (dir, store)
    }

    /// Another store on the same file: another connection.
    async fn another_connection(dir: &tempfile::TempDir) -> SqliteStore {
        SqliteStore::open(dir.path().join("koc.sqlite"))
            .await
            .unwrap()
    }

    async fn file_store(dir: &tempfile::TempDir, options: SqliteOptions) -> SqliteStore {
        let store = SqliteStore::open_with(dir.path().join("koc.sqlite"), options)
            .await
            .unwrap();
        fixtures::library(&store).await.unwrap();
        store
    }

    async fn process(
        store: &dyn Store,
        batch_size: usize,
        mut between_batches: impl FnMut(usize) + Send,
    ) -> Vec<ProcessedOperation> {
        let mut results: Vec<ProcessedOperation> = Vec::new();
        let mut observer = |batch: &[ProcessedOperation]| {
            results.extend_from_slice(batch);
            between_batches(results.len());
        };
        store
            .process(
                &ProcessRun::all(STAFF).batch_size(batch_size),
                &mut observer,
            )
            .await
            .unwrap();
        results
    }

    fn outcomes(results: &[ProcessedOperation]) -> Vec<(i64, OutcomeCode, Vec<WarningCode>)> {
        results
            .iter()
            .map(|r| (r.pending.id.0, r.outcome.code, r.outcome.warning_codes()))
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_quiet_run_decides_each_batch_once_as_on_one_connection() {
        let memory = MemoryStore::new();
        fixtures::library(&memory).await.unwrap();
        memory.enqueue(None, &morning()).await.unwrap();
        let expected = outcomes(&process(&memory, 1_000, |_| {}).await);

        for batch_size in [1, 2, 3, 7] {
            let dir = tempfile::tempdir().unwrap();
            // A checkpoint after every commit: checkpoints are no other
            // writer's changes, and must not make batches be decided again.
            let store = file_store(&dir, SqliteOptions::default().checkpoint_pages(1)).await;
            store.enqueue(None, &morning()).await.unwrap();
            let results = process(&store, batch_size, |_| {}).await;
            assert_eq!(outcomes(&results), expected, "batches of {batch_size}");
            assert_eq!(
                store.redone.load(Ordering::Relaxed),
                0,
                "batches of {batch_size}: decided again with nobody else writing"
            );
            assert_eq!(
                store.loans(&koc_core::LoanFilter::all()).await.unwrap(),
                memory.loans(&koc_core::LoanFilter::all()).await.unwrap()
            );
        }
    }

    /// The fixture item `barcode`, withdrawn.
    async fn withdrawn(store: &SqliteStore, barcode: &str) -> koc_core::Item {
        let mut item = store.items(&[barcode.to_owned()]).await.unwrap().remove(0);
        item.status = ItemStatus::Withdrawn;
        item
    }

    /// Runs `work` from the observer, which is synchronous, on the runtime
    /// the run is on.
    fn wait_for<T>(work: impl std::future::Future<Output = T>) -> T {
        tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(work))
    }

    /// Whether every issue of `barcode` from the third result on says the
    /// item is withdrawn (there are some).
    fn withdrawn_from_the_third_batch(results: &[ProcessedOperation], barcode: &str) {
        let issues: Vec<&ProcessedOperation> = results[2..]
            .iter()
            .filter(|r| {
                r.pending.operation.barcode.as_deref() == Some(barcode)
                    && r.pending.operation.action == koc_format::Action::Issue
            })
            .collect();
        assert_eq!(issues.len(), 2);
        for issue in issues {
            assert_eq!(issue.outcome.code, OutcomeCode::Issued);
            assert!(
                issue
                    .outcome
                    .warning_codes()
                    .contains(&WarningCode::ItemWithdrawn),
                "{issue:?}"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_by_another_connection_is_seen_by_the_next_batches() {
        let (dir, store) = queued_morning().await;
        let other = another_connection(&dir).await;
        let item = withdrawn(&other, MIDDLEMARCH).await;
        // After the first batch is written, while the second is written
        // (or about to be) and the third decided, another connection
        // withdraws an item that later batches issue: every batch written
        // after that sees it.
        let results = process(&store, 1, |done| {
            if done == 1 {
                wait_for(other.upsert_items(std::slice::from_ref(&item))).unwrap();
            }
        })
        .await;
        withdrawn_from_the_third_batch(&results, MIDDLEMARCH);
        assert!(store.redone.load(Ordering::Relaxed) >= 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_on_the_stores_own_connection_is_seen_by_the_next_batches() {
        let (_dir, store) = queued_morning().await;
        let item = withdrawn(&store, MIDDLEMARCH).await;
        let same = store.clone();
        let results = process(&store, 1, |done| {
            if done == 1 {
                wait_for(same.upsert_items(std::slice::from_ref(&item))).unwrap();
            }
        })
        .await;
        withdrawn_from_the_third_batch(&results, MIDDLEMARCH);
        assert!(store.redone.load(Ordering::Relaxed) >= 1);
    }

    /// Decides the first three operations on a reading connection, lets
    /// `meanwhile` write (or not), and writes them on the store's.
    async fn decided_then_written(
        store: &SqliteStore,
        meanwhile: impl std::future::Future<Output = ()>,
    ) -> (super::Written, Vec<ProcessedOperation>) {
        use super::{Reader, ToWrite, Unchanged, write};
        let plan = std::sync::Arc::new(super::Plan {
            branch: None,
            conflicts: koc_core::ConflictRule::default(),
            user: STAFF.to_owned(),
            batch_size: 3,
            with_earlier: false,
        });
        let policy: std::sync::Arc<dyn koc_core::LoanPolicy + Send + Sync> =
            std::sync::Arc::new(koc_core::RuleTable::new(store.rules().await.unwrap()));
        let known = store.call(|conn| Unchanged::now(conn)).await.unwrap();
        let mut reader = Reader {
            conn: store.reader().await.unwrap().unwrap(),
            after: (i64::MIN, i64::MIN),
            busy_timeout: store.busy_timeout(),
        };
        let batch: ToWrite = reader.decide(&plan, &*policy, None).unwrap().unwrap();
        let decided: Vec<ProcessedOperation> = batch
            .decided
            .batch
            .iter()
            .cloned()
            .zip(batch.decided.outcomes.iter().cloned())
            .map(|(pending, outcome)| ProcessedOperation { pending, outcome })
            .collect();
        meanwhile.await;
        let written = store
            .write_checked_by_construction("processing a batch", move |tx| {
                write(tx, &plan, &*policy, known, batch)
            })
            .await
            .unwrap();
        (written, decided)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_is_written_as_decided_when_nothing_else_wrote() {
        let (_dir, store) = queued_morning().await;
        let (written, decided) = decided_then_written(&store, async {}).await;
        let super::Written::AsDecided { results, .. } = written else {
            panic!("decided again with nothing else writing");
        };
        assert_eq!(results, decided);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_is_decided_again_when_another_connection_wrote_after_its_reading() {
        let (dir, store) = queued_morning().await;
        let other = another_connection(&dir).await;
        let item = withdrawn(&other, MIDDLEMARCH).await;
        let (written, decided) = decided_then_written(&store, async {
            other.upsert_items(&[item]).await.unwrap();
        })
        .await;
        assert_eq!(
            decided[1].pending.operation.barcode.as_deref(),
            Some(MIDDLEMARCH)
        );
        assert!(
            decided[1].outcome.warnings.is_empty(),
            "read before the write"
        );
        let super::Written::Again {
            results: Some(results),
            ..
        } = written
        else {
            panic!("written as decided from data another connection changed since");
        };
        assert_eq!(results.len(), 3);
        assert_eq!(results[1].pending.id, decided[1].pending.id);
        assert_eq!(
            results[1].outcome.warning_codes(),
            [WarningCode::ItemWithdrawn]
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_is_decided_again_when_the_store_itself_wrote_after_its_reading() {
        let (_dir, store) = queued_morning().await;
        let item = withdrawn(&store, MIDDLEMARCH).await;
        let (written, _) = decided_then_written(&store, async {
            store.upsert_items(&[item]).await.unwrap();
        })
        .await;
        let super::Written::Again {
            results: Some(results),
            ..
        } = written
        else {
            panic!("written as decided from data the store's connection changed since");
        };
        assert_eq!(
            results[1].outcome.warning_codes(),
            [WarningCode::ItemWithdrawn]
        );
    }
}
