//! Vacuuming the open loans while a long run ends them.
//!
//! Every return deletes a row of `loans` and most issues add one. Without
//! a vacuum, PostgreSQL reuses none of the space the deleted rows leave
//! (its free space map is kept by vacuum only): a run adds each new loan
//! on a new page, and each search of `loans` by barcode meets the index
//! entries of every loan the run ended on that item, and looks at their
//! rows to see them dead. Autovacuum wakes once a minute at best, while
//! a run of a million operations ends half a million loans in twenty
//! seconds: `loans` grew five times over in such a run (7 MB to 36 MB, its
//! indexes 4.8 MB to 17.5 MB), and searching it by barcode took twice as long
//! at the end (see benches/README.md).
//!
//! So a run vacuums `loans` itself, on a spare connection of the pool,
//! once it has ended or changed, since its last vacuum, as many open loans
//! as half the table holds, and at least [`VacuumOptions`]'s floor
//! (10 000 unless told otherwise). Every fifth of the table, autovacuum's
//! own rule, was measured too: it vacuumed 29 times in a run of a million
//! operations instead of 12, for no more speed. It never waits for the
//! vacuum between batches: the vacuum runs beside them (it takes no lock
//! that processing takes), and the run waits only for the last one, when
//! it ends (a run that fails does not wait for it). It is
//! `VACUUM (SKIP_LOCKED, TRUNCATE false)`: skipped when another vacuum
//! holds the table, and never cutting the table's empty end, which would
//! lock out the run's reads for a moment. A role that does not own
//! `loans` cannot vacuum it: the server says so in a warning and the run
//! goes on. A vacuum that fails is not an error of the run: processing is
//! right without it, only slower.

use std::time::Duration;

use sqlx::PgPool;
use tokio::task::JoinHandle;

/// When a processing run vacuums the open loans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct VacuumOptions {
    /// Never before the run ended or changed this many open loans since
    /// the last vacuum; `None`: never.
    pub(crate) floor: Option<u64>,
}

impl Default for VacuumOptions {
    fn default() -> Self {
        VacuumOptions {
            floor: Some(DEFAULT_FLOOR),
        }
    }
}

/// The least number of loans ended between two vacuums of a run, unless
/// told otherwise: below it, a vacuum costs more than it saves.
pub(crate) const DEFAULT_FLOOR: u64 = 10_000;

/// How long a vacuum waits for a connection of the pool.
const CONNECTING: Duration = Duration::from_secs(1);

/// A run's vacuums of `loans`.
pub(super) struct LoansVacuum {
    pool: PgPool,
    /// Vacuum once `changed` reaches it.
    threshold: u64,
    /// Open loans ended or changed since the last vacuum began.
    changed: u64,
    running: Option<JoinHandle<()>>,
}

impl LoansVacuum {
    /// For a run on `pool`; `None` when `options` say never. The threshold
    /// is half the open loans the server counts (`reltuples`), and at least
    /// the floor.
    pub(super) async fn start(pool: &PgPool, options: VacuumOptions) -> Option<LoansVacuum> {
        let floor = options.floor?;
        let rows: i64 = sqlx::query_scalar(
            "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'loans'::regclass",
        )
        .fetch_one(pool)
        .await
        .unwrap_or(0);
        let half = u64::try_from(rows).unwrap_or(0) / 2;
        Some(LoansVacuum {
            pool: pool.clone(),
            threshold: half.max(floor),
            changed: 0,
            running: None,
        })
    }

    /// A batch committed, having ended or changed `loans` open loans: starts
    /// a vacuum when enough were since the last one, none is running and
    /// the pool has a connection free.
    pub(super) fn committed(&mut self, loans: usize) {
        self.changed = self
            .changed
            .saturating_add(u64::try_from(loans).unwrap_or(u64::MAX));
        if self.changed < self.threshold {
            return;
        }
        if self
            .running
            .as_ref()
            .is_some_and(|task| !task.is_finished())
        {
            return;
        }
        // A spare connection: an idle one, or room for one more.
        let pool = &self.pool;
        let spare = pool.num_idle() > 0 || pool.size() < pool.options().get_max_connections();
        if !spare {
            return;
        }
        self.changed = 0;
        let pool = pool.clone();
        self.running = Some(tokio::spawn(async move {
            // Best effort: see the module's documentation. Not waiting
            // long for a connection another user of the pool took first.
            let conn = match pool.try_acquire() {
                Some(conn) => Ok(conn),
                None => match tokio::time::timeout(CONNECTING, pool.acquire()).await {
                    Ok(conn) => conn,
                    Err(_) => return,
                },
            };
            if let Ok(mut conn) = conn {
                let _ = sqlx::query("VACUUM (SKIP_LOCKED, TRUNCATE false) loans")
                    .execute(&mut *conn)
                    .await;
            }
        }));
    }

    /// Waits for the vacuum running, if any.
    pub(super) async fn finish(self) {
        if let Some(task) = self.running {
            let _ = task.await;
        }
    }
}
