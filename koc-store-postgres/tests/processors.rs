//! Several processors on one queue: as tasks with their own pools, as
//! separate processes, and processes killed mid-batch. Every operation is
//! applied exactly once, in time order, and nothing is ever half-applied.
//!
//! The process tests run this test binary again (`current_exe`) with
//! `KOC_PG_CHILD` saying what the child does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::NaiveDateTime;
use koc_core::conformance::fixtures::{self, JANE};
use koc_core::{
    Circulation, History, HistoryFilter, Item, LoanFilter, LoanPolicy, OperationId, OutcomeCode,
    PendingFilter, PolicyError, ProcessRun, ProcessedOperation, Processor, Queue, RuleTable, Store,
    StoreExt,
};
use koc_store_postgres::{PostgresOptions, PostgresStore};

const CHILD: &str = "KOC_PG_CHILD";
const SCHEMA: &str = "KOC_PG_SCHEMA";

/// Every operation left the queue exactly once, in time order, and the data
/// shows each applied once.
async fn assert_applied_exactly_once(store: &PostgresStore, items: usize, operations: usize) {
    assert_eq!(store.count_pending(&PendingFilter::all()).await.unwrap(), 0);
    let mut history = store.history(&HistoryFilter::all()).await.unwrap();
    history.reverse(); // oldest first
    assert_eq!(history.len(), operations, "one history entry per operation");
    let ids: HashSet<OperationId> = history.iter().map(|e| e.pending.id).collect();
    assert_eq!(ids.len(), operations, "no operation processed twice");
    for pair in history.windows(2) {
        assert!(
            pair[0].pending.order_key() < pair[1].pending.order_key(),
            "time order across processors: {:?} then {:?}",
            pair[0].pending.order_key(),
            pair[1].pending.order_key()
        );
    }
    for entry in &history {
        assert!(
            matches!(
                entry.outcome.code,
                OutcomeCode::Issued | OutcomeCode::Returned | OutcomeCode::PaymentRecorded
            ),
            "{entry:?}"
        );
    }
    let shelf: Vec<String> = (0..items).map(|i| format!("3900000{i:07}")).collect();
    let closed = store.closed_loans(&LoanFilter::all()).await.unwrap();
    let closed_of_shelf = closed
        .iter()
        .filter(|c| shelf.contains(&c.loan.barcode))
        .count();
    assert_eq!(closed_of_shelf, items, "each copy lent and returned once");
    let open = store.loans(&LoanFilter::all()).await.unwrap();
    assert!(open.iter().all(|l| !shelf.contains(&l.barcode)), "{open:?}");
    let payments = items.div_ceil(10);
    let credits = store
        .account_lines(JANE)
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.kind == koc_core::AccountLineKind::Credit)
        .count();
    assert_eq!(credits, payments, "each payment recorded once");
    // Jane owed 5.50 before the payments of 0.01 each.
    let paid = koc_core::Money::from_cents(payments as i64);
    assert_eq!(
        store.balance(JANE).await.unwrap(),
        koc_core::Money::from_cents(550).saturating_sub(paid)
    );
}

async fn connect(url: &str, schema: &str) -> PostgresStore {
    PostgresOptions::new(url)
        .schema(schema)
        .max_connections(2)
        .connect()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn processors_in_tasks_apply_each_operation_once() {
    let Some(url) = common::database_url() else {
        return;
    };
    let store = common::options(&url, "tasks").connect().await.unwrap();
    let items = 1_500;
    let operations = common::busy::busy_queue(&store, items).await;
    let mut tasks = Vec::new();
    for (n, batch) in [7, 50, 333, 1_000].into_iter().enumerate() {
        let processor = connect(&url, store.schema()).await;
        tasks.push(tokio::spawn(async move {
            let mut seen = 0;
            let mut observer = |b: &[ProcessedOperation]| seen += b.len();
            let run = ProcessRun::all(format!("task-{n}")).batch_size(batch);
            processor.process(&run, &mut observer).await.unwrap();
            processor.close().await;
            seen
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    assert_eq!(total, operations);
    assert_applied_exactly_once(&store, items, operations).await;
    store.drop_schema().await.unwrap();
}

/// Runs this test binary again as a child doing `role` on `schema`.
fn spawn_child(test: &str, role: &str, schema: &str, piped: bool) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, role)
        .env(SCHEMA, schema)
        .stdin(Stdio::null());
    // The child's harness lines would mix with ours; its errors go to
    // stderr, which it shares with us.
    command.stdout(if piped { Stdio::piped() } else { Stdio::null() });
    command.spawn().unwrap()
}

/// Reads the child's output until a line holding `marker`, `count`
/// times, on a blocking thread.
async fn wait_for(child: &mut Child, marker: &'static str, count: usize) {
    let stdout = child.stdout.take().unwrap();
    let reading = tokio::task::spawn_blocking(move || {
        let mut reader = BufReader::new(stdout);
        let mut seen = 0;
        let mut line = String::new();
        while seen < count {
            line.clear();
            if reader.read_line(&mut line).unwrap() == 0 {
                break;
            }
            // The harness may have written "test NAME ... " on the same line.
            if line.contains(marker) {
                seen += 1;
            }
        }
        seen
    });
    // A bound, not a wait: the child says it within seconds.
    let lines = match tokio::time::timeout(std::time::Duration::from_secs(300), reading).await {
        Ok(lines) => lines.unwrap(),
        Err(_) => {
            let _ = child.kill();
            panic!("the child did not say {marker} within 5 minutes");
        }
    };
    assert_eq!(lines, count, "the child said {marker} {count} times");
}

/// What a child process does, per `KOC_PG_CHILD`:
/// - `process:N`: processes everything in batches of N;
/// - `announce:N`: the same, printing `KOC-BATCH` after each commit;
/// - `block:N`: processes in batches of N with a loan policy that, on its
///   N-th call, prints `KOC-BLOCKED` and never returns (in the middle of a
///   batch, holding the queue lock).
async fn child(role: &str) {
    let url = std::env::var("DATABASE_URL").unwrap();
    let schema = std::env::var(SCHEMA).unwrap();
    let store = connect(&url, &schema).await;
    let (kind, n) = role.split_once(':').unwrap();
    let n: usize = n.parse().unwrap();
    let mut run = ProcessRun::all(format!("child-{}", std::process::id())).batch_size(n);
    if kind == "block" {
        run = run.policy(Arc::new(BlockingPolicy {
            calls: AtomicUsize::new(0),
            block_at: n,
        }));
    }
    let announce = kind == "announce";
    let mut observer = |_: &[ProcessedOperation]| {
        if announce {
            let mut out = std::io::stdout();
            let _ = writeln!(out, "KOC-BATCH");
            let _ = out.flush();
        }
    };
    store.process(&run, &mut observer).await.unwrap();
}

/// A loan policy that hangs on its n-th call, after saying so.
struct BlockingPolicy {
    calls: AtomicUsize,
    block_at: usize,
}

impl LoanPolicy for BlockingPolicy {
    fn due_at(
        &self,
        patron: &koc_core::Patron,
        item: &Item,
        issued_at: NaiveDateTime,
    ) -> Result<NaiveDateTime, PolicyError> {
        if self.calls.fetch_add(1, Ordering::SeqCst) + 1 == self.block_at {
            let mut out = std::io::stdout();
            let _ = writeln!(out, "KOC-BLOCKED");
            let _ = out.flush();
            loop {
                std::thread::park();
            }
        }
        RuleTable::default().due_at(patron, item, issued_at)
    }

    fn renewal_due_at(
        &self,
        patron: &koc_core::Patron,
        item: &Item,
        loan: &koc_core::Loan,
        renewed_at: NaiveDateTime,
    ) -> Result<NaiveDateTime, PolicyError> {
        RuleTable::default().renewal_due_at(patron, item, loan, renewed_at)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processors_in_processes_apply_each_operation_once() {
    if let Ok(role) = std::env::var(CHILD) {
        return child(&role).await;
    }
    let Some(url) = common::database_url() else {
        return;
    };
    let store = common::options(&url, "procs").connect().await.unwrap();
    let items = 1_500;
    let operations = common::busy::busy_queue(&store, items).await;
    let test = "processors_in_processes_apply_each_operation_once";
    let children: Vec<Child> = [17, 101, 400]
        .into_iter()
        .map(|batch| spawn_child(test, &format!("process:{batch}"), store.schema(), false))
        .collect();
    for mut child in children {
        let status = tokio::task::spawn_blocking(move || child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(status.success(), "a child processor failed: {status}");
    }
    let by: HashSet<String> = store
        .history(&HistoryFilter::all())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.by)
        .collect();
    assert!(!by.is_empty());
    assert_applied_exactly_once(&store, items, operations).await;
    store.drop_schema().await.unwrap();
}

/// What the queue and the data look like, to compare before and after a
/// kill.
async fn snapshot(store: &PostgresStore) -> (u64, usize, usize, usize) {
    (
        store.count_pending(&PendingFilter::all()).await.unwrap(),
        store.history(&HistoryFilter::all()).await.unwrap().len(),
        store.loans(&LoanFilter::all()).await.unwrap().len(),
        store.closed_loans(&LoanFilter::all()).await.unwrap().len(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_processor_killed_mid_batch_leaves_nothing_half_applied() {
    if let Ok(role) = std::env::var(CHILD) {
        return child(&role).await;
    }
    let Some(url) = common::database_url() else {
        return;
    };
    let store = common::options(&url, "kill").connect().await.unwrap();
    let items = 1_000;
    let operations = common::busy::busy_queue(&store, items).await;
    let test = "a_processor_killed_mid_batch_leaves_nothing_half_applied";

    // 1. Killed while deciding a batch, holding the queue lock: the batches
    //    before it are committed, nothing of it is.
    let batch = 150;
    let mut blocked = spawn_child(test, &format!("block:{batch}"), store.schema(), true);
    wait_for(&mut blocked, "KOC-BLOCKED", 1).await;
    blocked.kill().unwrap(); // SIGKILL
    blocked.wait().unwrap();
    let (pending, history, _, _) = snapshot(&store).await;
    assert_eq!(pending as usize + history, operations, "nothing lost");
    assert_eq!(history % batch, 0, "whole batches only: {history}");
    assert!(history > 0 && (pending as usize) > 0);

    // 2. Killed right after a commit, somewhere in the next batch (loading,
    //    deciding or writing), several times over.
    for round in 0..3 {
        let mut child = spawn_child(test, "announce:97", store.schema(), true);
        wait_for(&mut child, "KOC-BATCH", 2).await;
        child.kill().unwrap();
        child.wait().unwrap();
        let (pending, history, _, _) = snapshot(&store).await;
        assert_eq!(pending as usize + history, operations, "round {round}");
    }

    // 3. Another processor finishes the work, which the killed ones'
    //    locks no longer block.
    let results = fixtures::process_all(&store).await.unwrap();
    assert!(!results.is_empty());
    assert_applied_exactly_once(&store, items, operations).await;
    store.drop_schema().await.unwrap();
}

/// The CLI keeps the store as `Arc<dyn Store>`.
#[test]
fn the_store_is_a_shareable_store() {
    fn shareable<T: Store + Clone + Send + Sync + 'static>() {}
    shareable::<PostgresStore>();
}
