//! [`Processor`]: applying pending operations, one transaction per batch.
//!
//! # How a batch is processed
//!
//! Each batch is one transaction on the run's connection:
//!
//! 1. `BEGIN`, `pg_advisory_xact_lock` on the schema's queue lock, the
//!    planner settings of [`write::plan_as_lookups`] and the savepoint the
//!    batch's write may go back to, in one round trip. Processors in other
//!    tasks, processes or machines wait here, so batches never interleave:
//!    no operation is processed twice, and time order holds across
//!    processors. The lock ends with the transaction, also when the
//!    processor's connection dies, so a crashed processor never blocks the
//!    queue.
//! 2. The next operations still pending, in (time, id) order, after the
//!    last one this run took (or the next chunk of the selected ids)
//!    ([`batch`]).
//! 3. The state they touch, one set-based query per kind (joins on
//!    `unnest` of arrays): patrons by card number or username, items with
//!    their open loans, the outstanding debts of the patrons who pay (only
//!    a payment reads them), the items' waiting holds ([`load`]) and, for
//!    a run that may leave operations behind, the earliest of those on
//!    each item ([`crate::earlier`]).
//! 4. [`Engine::decide`], in memory.
//! 5. In one statement ([`one_statement`]): the effects, one set-based
//!    part per kind, the rows loaded in step 3 written through their
//!    `ctid`; the move of the batch from the queue to history, its queue
//!    rows deleted by `ctid` and its outcomes inserted into `history`; and
//!    the batch's count in `queue_changes`. (One statement per kind instead
//!    when a host lent an item meanwhile: [`write`](mod@write).)
//! 6. Commit; then the observer sees the batch.
//!
//! Steps 2 and 3 of the next batch are done meanwhile, on another
//! connection, while steps 4 and 5 run, and used only if still right under
//! the lock ([`ahead`]). And as returns end open loans, a vacuum of
//! `loans` runs now and then beside the batches, on a third connection
//! ([`vacuum`]).
//!
//! An error anywhere (the database, a loan policy) rolls the batch back:
//! nothing of it is applied and its operations stay pending.
//!
//! A dry run is all of that inside **one** transaction that is rolled back
//! at the end (and nothing read ahead: another connection could not see
//! what the run would have done): later batches see what earlier ones
//! would have done, so the outcomes are exactly a real run's, and nothing
//! is written. It holds the queue lock for the whole run, so real
//! processing, deleting and requeuing wait for it.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use koc_core::{
    BatchState, Engine, Error, LoanPolicy, OperationId, Outcome, PendingOperation, ProcessObserver,
    ProcessRun, ProcessSummary, ProcessedOperation, Processor, Result, RuleTable, Selection,
};
use sqlx::{Connection, PgConnection};

use crate::circulation::load_rules;
use crate::earlier::{Changes, Earlier};
use crate::error::Doing;
use crate::{PostgresStore, locks};

mod ahead;
mod batch;
mod load;
mod one_statement;
mod vacuum;
mod write;

#[cfg(test)]
mod plans;
#[cfg(test)]
mod row_locks;

use ahead::{Committed, Reader};
use batch::{Batch, Cursor};
use load::{Barcodes, Places};
use one_statement::Savepoint;
use vacuum::LoansVacuum;
pub(crate) use vacuum::VacuumOptions;

/// A batch taken from the queue, with everything it touches.
struct Loaded {
    batch: Batch,
    state: BatchState,
    places: Places,
}

/// Where a run is: its place in the queue, and, when it may leave
/// operations behind, what it knows of them.
struct Position {
    cursor: Cursor,
    earlier: Option<Earlier>,
}

/// A batch decided and written (not yet committed).
struct Written {
    results: Vec<ProcessedOperation>,
    /// What the batch loaded, after its decisions: what it leaves in the
    /// database.
    state: BatchState,
    /// The queue's counts the batch's transaction left (not for a dry run).
    counts: Option<Changes>,
    /// The patrons whose debts `state` has, by card number.
    debts_of: HashSet<String>,
    /// How many open loans the batch ended or changed: rows of `loans` it
    /// left dead.
    loans_changed: usize,
}

impl PostgresStore {
    /// Takes the next batch of the run at `cursor` and loads what it
    /// touches; `None` when nothing is left.
    async fn take(
        &self,
        conn: &mut PgConnection,
        run: &ProcessRun,
        cursor: &mut Cursor,
    ) -> Result<Option<Loaded>> {
        let batch =
            batch::next_batch(conn, cursor, run.branch.as_deref(), run.batch_size.max(1)).await?;
        if batch.operations.is_empty() {
            return Ok(None);
        }
        let (state, places) = load::load_state(conn, &batch.operations).await?;
        Ok(Some(Loaded {
            batch,
            state,
            places,
        }))
    }

    /// Decides `loaded` and writes it on `conn` (in a transaction holding
    /// the queue lock). A real run counts its change of the queue.
    async fn decide_and_write(
        &self,
        conn: &mut PgConnection,
        run: &ProcessRun,
        engine: &Engine<'_>,
        position: &mut Position,
        loaded: Loaded,
        savepoint: Savepoint,
    ) -> Result<Written> {
        let Loaded {
            batch,
            mut state,
            places,
        } = loaded;
        if let Some(earlier) = &mut position.earlier {
            earlier.load(conn, &batch.operations, &mut state).await?;
        }
        let had_loan: Barcodes = state.loans.keys().cloned().collect();
        let decisions = engine.decide(&batch.operations, &mut state)?;
        let loans_changed = decisions
            .effects
            .loans
            .keys()
            .filter(|barcode| had_loan.contains(barcode.as_str()))
            .count();
        let results = processed(batch.operations, decisions.outcomes);
        // A dry run counts no change: nothing others could see.
        let counts = one_statement::write_batch(
            conn,
            &decisions.effects,
            &places,
            &had_loan,
            &results,
            &batch.places,
            &run.user,
            !run.dry_run,
            savepoint,
        )
        .await?;
        if let (Some(earlier), Some(counts)) = (&mut position.earlier, counts) {
            earlier.counted(counts.changes);
        }
        Ok(Written {
            results,
            state,
            counts,
            debts_of: places.debts_of,
            loans_changed,
        })
    }

    /// Begins a batch's transaction on `conn` holding the queue lock,
    /// planning its statements as lookups ([`write::plan_as_lookups`]) and
    /// with the savepoint its write may go back to
    /// ([`Savepoint::Taken`]): one round trip for the four.
    async fn begin_batch<'c>(
        &self,
        conn: &'c mut PgConnection,
    ) -> Result<sqlx::Transaction<'c, sqlx::Postgres>> {
        let begin = format!(
            "BEGIN; SELECT pg_advisory_xact_lock({}, {}); {}; {}",
            locks::QUEUE,
            self.schema_key,
            write::PLAN_AS_LOOKUPS,
            one_statement::SAVEPOINT,
        );
        conn.begin_with(sqlx::AssertSqlSafe(begin))
            .await
            .doing("starting a batch and waiting for the queue lock")
    }

    /// The position at the start of `run`, the ids not pending, and the
    /// stored rules when the run brings no policy.
    async fn start(
        &self,
        conn: &mut PgConnection,
        run: &ProcessRun,
    ) -> Result<(Position, Vec<OperationId>, Option<RuleTable>)> {
        let (cursor, not_pending) = match &run.selection {
            Selection::All => (Cursor::All(None), Vec::new()),
            Selection::Ids(ids) => {
                let (ids, not_pending) = batch::selection(conn, ids, run.branch.as_deref()).await?;
                (
                    Cursor::Ids {
                        ids: Arc::from(ids),
                        next: 0,
                    },
                    not_pending,
                )
            }
            other => {
                return Err(Error::Invalid(format!(
                    "this store does not know the selection {other:?}"
                )));
            }
        };
        let rules = match run.policy {
            Some(_) => None,
            None => Some(RuleTable::new(load_rules(&mut *conn).await?)),
        };
        let position = Position {
            cursor,
            earlier: run.may_leave_earlier_operations().then(Earlier::default),
        };
        Ok((position, not_pending, rules))
    }

    async fn dry_run(
        &self,
        run: &ProcessRun,
        observer: &mut dyn ProcessObserver,
        summary: &mut ProcessSummary,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await.doing("starting a dry run")?;
        let result = async {
            let conn: &mut PgConnection = &mut tx;
            self.lock(conn, locks::QUEUE).await?;
            write::plan_as_lookups(conn).await?;
            let (mut position, not_pending, rules) = self.start(conn, run).await?;
            summary.not_pending = not_pending;
            let engine = Engine::new(run.conflicts, policy(run, rules.as_ref())?);
            while let Some(loaded) = self.take(conn, run, &mut position.cursor).await? {
                let written = self
                    .decide_and_write(conn, run, &engine, &mut position, loaded, Savepoint::Take)
                    .await?;
                summary.count(&written.results);
                observer.batch(&written.results);
            }
            Ok(())
        }
        .await;
        // Whatever happened, nothing of a dry run stays.
        tx.rollback().await.doing("ending a dry run")?;
        result
    }
}

/// A batch's operations with the outcomes decided for them, in order.
fn processed(operations: Vec<PendingOperation>, outcomes: Vec<Outcome>) -> Vec<ProcessedOperation> {
    operations
        .into_iter()
        .zip(outcomes)
        .map(|(pending, outcome)| ProcessedOperation { pending, outcome })
        .collect()
}

/// The policy a run decides due dates with.
fn policy<'a>(run: &'a ProcessRun, rules: Option<&'a RuleTable>) -> Result<&'a dyn LoanPolicy> {
    match (&run.policy, rules) {
        (Some(policy), _) => Ok(policy.as_ref()),
        (None, Some(rules)) => Ok(rules),
        (None, None) => Err(Error::Invalid("no loan policy and no rules".to_owned())),
    }
}

#[async_trait]
impl Processor for PostgresStore {
    async fn process(
        &self,
        run: &ProcessRun,
        observer: &mut dyn ProcessObserver,
    ) -> Result<ProcessSummary> {
        let mut summary = ProcessSummary {
            dry_run: run.dry_run,
            ..ProcessSummary::default()
        };
        if run.dry_run {
            self.dry_run(run, observer, &mut summary).await?;
            return Ok(summary);
        }
        // The run's batches are written on one connection, not on
        // whichever the pool hands out next: one server process for the
        // run's writes besides the reader's.
        let mut writer = self.pool.acquire().await.doing("connecting")?;
        let (mut position, not_pending, rules) = self.start(&mut writer, run).await?;
        summary.not_pending = not_pending;
        let engine = Engine::new(run.conflicts, policy(run, rules.as_ref())?);
        // Batches read ahead on another connection, and what they need to
        // be brought up to date with.
        let mut reader: Option<Reader> = None;
        let mut committed = Committed::default();
        let mut vacuum = LoansVacuum::start(&self.pool, self.vacuum).await;
        loop {
            let read_ahead = match &mut reader {
                Some(r) => r.next().await,
                None => None,
            };
            if read_ahead.is_none() {
                // Done, or failed: batches are taken here again.
                reader = None;
            }
            let mut tx = self.begin_batch(&mut writer).await?;
            let result = async {
                let conn: &mut PgConnection = &mut tx;
                let adopted = match read_ahead {
                    Some(next) => {
                        next.adopt(conn, &mut position.cursor, run, &committed)
                            .await?
                    }
                    None => None,
                };
                let loaded = match adopted {
                    Some(loaded) => loaded,
                    None => {
                        // What the reader holds was read after a batch
                        // that is not the next one: start again after
                        // this one.
                        reader = None;
                        match self.take(conn, run, &mut position.cursor).await? {
                            Some(loaded) => loaded,
                            None => return Ok(None),
                        }
                    }
                };
                if reader.is_none() {
                    reader = Reader::start(&self.pool, run, position.cursor.clone());
                }
                self.decide_and_write(conn, run, &engine, &mut position, loaded, Savepoint::Taken)
                    .await
                    .map(Some)
            }
            .await;
            match result {
                Ok(Some(written)) => {
                    tx.commit().await.doing("committing a batch")?;
                    if let Some(vacuum) = &mut vacuum {
                        vacuum.committed(written.loans_changed);
                    }
                    if let Some(counts) = written.counts {
                        committed.push(counts, written.state, written.debts_of);
                    }
                    summary.count(&written.results);
                    observer.batch(&written.results);
                }
                Ok(None) => {
                    tx.rollback().await.doing("ending the run")?;
                    if let Some(vacuum) = vacuum {
                        vacuum.finish().await;
                    }
                    return Ok(summary);
                }
                Err(error) => {
                    // Release the lock now, not when the connection is next
                    // used.
                    let _ = tx.rollback().await;
                    return Err(error);
                }
            }
        }
    }
}
