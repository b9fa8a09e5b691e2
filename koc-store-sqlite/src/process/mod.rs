//! Processing runs: batches in `BEGIN IMMEDIATE` transactions, or a dry run
//! in one transaction rolled back at the end.

pub(crate) mod batch;

use std::sync::Arc;

use async_trait::async_trait;
use koc_core::{
    LoanPolicy, OperationId, ProcessObserver, ProcessRun, ProcessSummary, Processor, Result,
    RuleTable, Selection,
};
use rusqlite::Connection;

use crate::SqliteStore;
use crate::error::Context;
use crate::rows;
use crate::store::{Conn, blocking, foreign_keys, restore};
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
/// the run ends.
struct DryRun {
    conn: Option<Conn>,
}

impl DryRun {
    /// Runs one step on the connection, on a blocking thread.
    async fn step<T, F>(&mut self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let Some(conn) = self.conn.take() else {
            return Err(koc_core::Error::Database {
                message: "the dry run lost its connection".to_owned(),
                source: None,
            });
        };
        let (conn, out) = blocking(conn, work).await?;
        self.conn = Some(conn);
        out
    }
}

impl Drop for DryRun {
    /// Reached with the connection only when the caller stopped awaiting
    /// the run half-way: roll back now, so that the write lock is not held
    /// until the next call on this store, on a blocking thread when there
    /// is a runtime to run it.
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    runtime.spawn_blocking(move || restore(&conn));
                }
                Err(_) => {
                    let _ = restore(&conn);
                }
            }
        }
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
            mut cursor,
            policy,
            not_pending,
        } = self
            .call(move |conn| start(conn, policy, &selection))
            .await?;
        summary.not_pending = not_pending;
        loop {
            let plan = plan.clone();
            let policy = policy.clone();
            let (moved, results) = self
                // Every row a batch writes refers to patrons and items it
                // loaded in the same transaction.
                .write_checked_by_construction("processing a batch", move |tx| {
                    let results = batch::process(tx, &plan, &*policy, &mut cursor)?;
                    Ok((cursor, results))
                })
                .await?;
            cursor = moved;
            let Some(results) = results else {
                return Ok(());
            };
            summary.count(&results);
            observer.batch(&results);
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
        let mut dry = DryRun {
            conn: Some(self.lock().await),
        };
        let decided = dry_batches(&mut dry, run, plan, observer, summary).await;
        let rolled_back = dry.step(|conn| restore(conn)).await;
        // Rolled back: nothing left for `Drop` to do.
        dry.conn = None;
        decided.and(rolled_back)
    }
}

async fn dry_batches(
    dry: &mut DryRun,
    run: &ProcessRun,
    plan: Arc<Plan>,
    observer: &mut dyn ProcessObserver,
    summary: &mut ProcessSummary,
) -> Result<()> {
    let policy = run.policy.clone();
    let selection = run.selection.clone();
    let Start {
        mut cursor,
        policy,
        not_pending,
    } = dry
        .step(move |conn| {
            restore(conn)?;
            foreign_keys(conn, false)?;
            conn.execute_batch("BEGIN IMMEDIATE")
                .context("starting a dry run")?;
            start(conn, policy, &selection)
        })
        .await?;
    summary.not_pending = not_pending;
    loop {
        let plan = plan.clone();
        let policy = policy.clone();
        let (moved, results) = dry
            .step(move |conn| {
                let results = batch::process(conn, &plan, &*policy, &mut cursor)?;
                Ok((cursor, results))
            })
            .await?;
        cursor = moved;
        let Some(results) = results else {
            return Ok(());
        };
        summary.count(&results);
        observer.batch(&results);
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
        } else {
            self.run(run, plan, observer, &mut summary).await?;
        }
        Ok(summary)
    }
}
