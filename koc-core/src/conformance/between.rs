//! Helpers for a store's own tests of a run whose queue changes between
//! its batches: another connection or process enqueues or processes
//! operations while the run goes on. Such tests need a second handle to the
//! same database, which only the store's tests can make; what they share is
//! here.

use std::future::Future;

use super::fixtures::{MIDDLEMARCH, STAFF, checkin, for_branch};
use crate::{Operation, ProcessRun, ProcessedOperation, Processor, Result, Warning, WarningCode};

/// The warnings about an earlier pending operation on the same item.
pub fn earlier_warnings(result: &ProcessedOperation) -> Vec<&Warning> {
    result
        .outcome
        .warnings
        .iter()
        .filter(|w| w.code == WarningCode::EarlierPendingForItem)
        .collect()
}

/// The run [`branch_run_with`] makes: the branch CPL in batches of one.
pub fn branch_run() -> ProcessRun {
    ProcessRun::all(STAFF).branch("CPL").batch_size(1)
}

/// Processes the branch CPL in batches of one ([`branch_run`]); `between`
/// runs in the observer of the first batch (so, while the second is
/// processed, and before the third starts). Returns every operation
/// processed, in order.
///
/// # Errors
///
/// What the run returns.
pub async fn branch_run_with<S: Processor + ?Sized>(
    store: &S,
    between: impl FnOnce() + Send,
) -> Result<Vec<ProcessedOperation>> {
    run_with(store, &branch_run(), between).await
}

/// Makes `run`; `between` runs in the observer of the first batch.
///
/// # Errors
///
/// What the run returns.
pub async fn run_with<S: Processor + ?Sized>(
    store: &S,
    run: &ProcessRun,
    between: impl FnOnce() + Send,
) -> Result<Vec<ProcessedOperation>> {
    let mut results = Vec::new();
    let mut between = Some(between);
    let mut observer = |batch: &[ProcessedOperation]| {
        results.extend_from_slice(batch);
        if let Some(between) = between.take() {
            between();
        }
    };
    store.process(run, &mut observer).await?;
    Ok(results)
}

/// A return of MIDDLEMARCH at FFL at 09:55: outside a run of CPL, and
/// earlier than its operations of 10:00 and later.
pub fn earlier_elsewhere() -> Operation {
    for_branch(checkin("2026-07-22 09:55:00", MIDDLEMARCH), "FFL")
}

/// Runs `work` to completion on a runtime of its own, on another thread:
/// from inside an observer, which cannot await. A store bound to a runtime
/// (a connection pool) is made inside `work`.
///
/// # Panics
///
/// When the runtime cannot start or `work` panics: this is for tests.
#[allow(clippy::expect_used)]
pub fn on_another_thread<F: Future<Output = ()> + Send + 'static>(work: F) {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the other thread")
            .block_on(work)
    })
    .join()
    .expect("the other thread's work");
}
