//! Processing runs: batches in `BEGIN IMMEDIATE` transactions, or a dry run
//! in one transaction rolled back at the end.

pub(crate) mod batch;
pub(crate) mod earlier;
mod pipeline;

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use koc_core::{
    LoanPolicy, OperationId, ProcessObserver, ProcessRun, ProcessSummary, ProcessedOperation,
    Processor, Result, RuleTable, Selection,
};
use rusqlite::Connection;

use crate::SqliteStore;
use crate::busy;
use crate::error::Context;
use crate::rows;
use crate::store::{Conn, foreign_keys, restore};
use batch::Plan;

/// Where a run is: after a position in processing order, or at an index
/// in the list of chosen operations.
pub(crate) enum Cursor {
    /// After this (time in microseconds, id).
    All { after: (i64, i64) },
    /// The chosen operations still to look at are `ids[next..]`, in
    /// processing order.
    Chosen { ids: Vec<OperationId>, next: usize },
}

/// Where a run is, and what it knows of the operations it leaves behind
/// (only for runs that may leave some earlier than theirs).
pub(crate) struct Progress {
    pub cursor: Cursor,
    pub earlier: Option<earlier::Earlier>,
}

/// What a run needs before its first batch.
struct Start {
    cursor: Cursor,
    policy: Arc<dyn LoanPolicy>,
    not_pending: Vec<OperationId>,
}

fn start(
    conn: &Connection,
    run_policy: Option<Arc<dyn LoanPolicy>>,
    selection: &Selection,
) -> Result<Start> {
    let policy: Arc<dyn LoanPolicy> = match run_policy {
        Some(policy) => policy,
        None => {
            let rules = conn
                .prepare_cached(crate::circulation::RULES)
                .and_then(|mut select| select.query_map([], rows::rule)?.collect())
                .context("reading loan rules")?;
            Arc::new(RuleTable::new(rules))
        }
    };
    let (cursor, not_pending) = match selection {
        Selection::Ids(ids) => {
            let mut wanted = ids.clone();
            wanted.sort();
            wanted.dedup();
            let pending = batch::chosen(conn, &wanted)?;
            let mut found = pending.clone();
            found.sort();
            let not_pending = wanted
                .into_iter()
                .filter(|id| found.binary_search(id).is_err())
                .collect();
            (
                Cursor::Chosen {
                    ids: pending,
                    next: 0,
                },
                not_pending,
            )
        }
        // `Selection` may grow: anything but a list of ids is everything.
        _ => (
            Cursor::All {
                after: (i64::MIN, i64::MIN),
            },
            Vec::new(),
        ),
    };
    Ok(Start {
        cursor,
        policy,
        not_pending,
    })
}

/// The connection of a dry run, whose transaction is rolled back however
/// the run ends: it goes back and forth to the blocking threads with the
/// connection, so that if the caller stops awaiting the run half-way,
/// wherever it is dropped (with the future, or with the result of a step
/// nobody waits for any more), the transaction is rolled back then, rather
/// than holding the write lock until the next call on this store.
struct DryRun {
    conn: Conn,
    /// The store's busy timeout, for the threads that run its steps.
    busy_timeout: std::time::Duration,
}

impl DryRun {
    /// Runs one step on a blocking thread.
    async fn step<T, F>(self, work: F) -> Result<(DryRun, Result<T>)>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let handle = tokio::task::spawn_blocking(move || {
            let mut dry = self;
            busy::set_timeout(dry.busy_timeout);
            let out = work(&mut dry.conn);
            (dry, out)
        });
        handle
            .await
            .map_err(|e| koc_core::Error::database("the SQLite worker thread failed", e))
    }
}

impl Drop for DryRun {
    fn drop(&mut self) {
        if !self.conn.is_autocommit() {
            let _ = restore(&self.conn);
        }
    }
}

/// A step of a run on a task of its own, so that the caller's observer
/// sees a batch while the next one is processed (and a call the observer
/// makes on the same store still gets the connection after it). Aborted if
/// dropped before it ends, like any future, wherever it is waiting.
struct Spawned<T>(tokio::task::JoinHandle<T>);

impl<T: Send + 'static> Spawned<T> {
    fn start(work: impl Future<Output = T> + Send + 'static) -> Spawned<T> {
        Spawned(tokio::spawn(work))
    }

    async fn join(mut self) -> Result<T> {
        (&mut self.0)
            .await
            .map_err(|e| koc_core::Error::database("the processing task failed", e))
    }
}

impl<T> Drop for Spawned<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl SqliteStore {
    async fn run(
        &self,
        run: &ProcessRun,
        plan: Arc<Plan>,
        observer: &mut dyn ProcessObserver,
        summary: &mut ProcessSummary,
    ) -> Result<()> {
        let policy = run.policy.clone();
        let selection = run.selection.clone();
        let Start {
            cursor,
            policy,
            not_pending,
        } = self
            .call(move |conn| start(conn, policy, &selection))
            .await?;
        summary.not_pending = not_pending;
        let mut progress = Progress {
            cursor,
            earlier: plan.with_earlier.then(earlier::Earlier::default),
        };
        let mut committed: Option<Vec<ProcessedOperation>> = None;
        // After a batch commits, a writer waiting in another connection gets
        // the file before the next batch (see `busy.rs`); in memory there is
        // no other connection.
        let pause = self.path().is_some();
        loop {
            let plan = plan.clone();
            let policy = policy.clone();
            let store = self.clone();
            let after_a_batch = pause && committed.is_some();
            let next = Spawned::start(async move {
                if after_a_batch {
                    tokio::time::sleep(busy::BETWEEN_BATCHES).await;
                }
                store
                    // Every row a batch writes refers to patrons and items
                    // it loaded in the same transaction.
                    .write_checked_by_construction("processing a batch", move |tx| {
                        let results = batch::process(tx, &plan, &*policy, &mut progress)?;
                        Ok((progress, results))
                    })
                    .await
            });
            if let Some(results) = committed.take() {
                summary.count(&results);
                observer.batch(&results);
            }
            let (moved, results) = next.join().await??;
            progress = moved;
            let Some(results) = results else {
                return Ok(());
            };
            committed = Some(results);
        }
    }

    /// The whole run in one transaction, rolled back at the end: each batch
    /// sees the effects of the batches before, as in a real run, and
    /// nothing is kept.
    async fn dry_run(
        &self,
        run: &ProcessRun,
        plan: Arc<Plan>,
        observer: &mut dyn ProcessObserver,
        summary: &mut ProcessSummary,
    ) -> Result<()> {
        let dry = DryRun {
            conn: self.lock().await,
            busy_timeout: self.busy_timeout(),
        };
        let policy = run.policy.clone();
        let selection = run.selection.clone();
        let (mut dry, started) = dry
            .step(move |conn| {
                restore(conn)?;
                // Nothing is kept: checking references is of no use.
                foreign_keys(conn, false)?;
                conn.execute_batch("BEGIN IMMEDIATE")
                    .context("starting a dry run")?;
                start(conn, policy, &selection)
            })
            .await?;
        let Start {
            cursor,
            policy,
            not_pending,
        } = started?;
        summary.not_pending = not_pending;
        let mut progress = Progress {
            cursor,
            earlier: plan.with_earlier.then(earlier::Earlier::default),
        };
        let mut decided_before: Option<Vec<ProcessedOperation>> = None;
        loop {
            let plan = plan.clone();
            let policy = policy.clone();
            let step = Spawned::start(dry.step(move |conn| {
                let results = batch::process(conn, &plan, &*policy, &mut progress)?;
                Ok((progress, results))
            }));
            if let Some(results) = decided_before.take() {
                summary.count(&results);
                observer.batch(&results);
            }
            let (next, decided) = step.join().await??;
            dry = next;
            // On an error, `dry` is dropped and rolls back.
            let (moved, results) = decided?;
            progress = moved;
            let Some(results) = results else {
                break;
            };
            decided_before = Some(results);
        }
        let (_dry, rolled_back) = dry.step(|conn| restore(conn)).await?;
        rolled_back
    }
}

#[async_trait]
impl Processor for SqliteStore {
    async fn process(
        &self,
        run: &ProcessRun,
        observer: &mut dyn ProcessObserver,
    ) -> Result<ProcessSummary> {
        let mut summary = ProcessSummary {
            dry_run: run.dry_run,
            ..ProcessSummary::default()
        };
        let plan = Arc::new(Plan {
            branch: run.branch.clone(),
            conflicts: run.conflicts,
            user: run.user.clone(),
            batch_size: run.batch_size.max(1),
            with_earlier: run.may_leave_earlier_operations(),
        });
        if run.dry_run {
            self.dry_run(run, plan, observer, &mut summary).await?;
        } else if plan.with_earlier {
            self.run(run, plan, observer, &mut summary).await?;
        } else if let Some(reader) = self.reader().await? {
            let run_policy = run.policy.clone();
            let policy = self
                .call(move |conn| Ok(start(conn, run_policy, &Selection::All)?.policy))
                .await?;
            self.run_pipelined(plan, policy, reader, observer, &mut summary)
                .await?;
        } else {
            self.run(run, plan, observer, &mut summary).await?;
        }
        Ok(summary)
    }
}
