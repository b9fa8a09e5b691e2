//! Processes on one database file: a processing run killed with SIGKILL at
//! several points leaves a database that reopens and finishes to exactly the
//! state of an uninterrupted run; two processes processing the same queue
//! at once apply every operation exactly once, in time order.
//!
//! This test binary is its own child process: run with `KOC_TEST_CHILD` set,
//! `main` opens the database named by `KOC_TEST_DB` and processes its queue
//! (see [`child`]) instead of running the tests. (It has no libtest harness;
//! a name given on the command line selects the tests whose names contain
//! it.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use koc_core::{
    AccountLine, Circulation, ClosedLoan, History, HistoryFilter, Item, Loan, LoanFilter,
    MemoryStore, OperationId, OutcomeCode, PendingFilter, ProcessRun, ProcessedOperation,
    Processor, Queue, Store, Warning,
};
use koc_store_sqlite::{SqliteOptions, SqliteStore};

const PATRONS: usize = 300;
const ITEMS: usize = 1_500;
const OPERATIONS: usize = 6_000;
const SEED: u64 = 20_260_722;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if let Ok(role) = std::env::var("KOC_TEST_CHILD") {
        runtime.block_on(child(&role));
        return;
    }
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let tests: [(&str, fn() -> _); 3] = [
        ("killed_runs_finish_as_if_never_interrupted", || {
            Box::pin(killed_runs_finish_as_if_never_interrupted())
                as std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>
        }),
        ("a_writer_gets_in_while_another_process_runs", || {
            Box::pin(a_writer_gets_in_while_another_process_runs())
        }),
        (
            "two_processes_apply_each_operation_once_in_time_order",
            || Box::pin(two_processes_apply_each_operation_once_in_time_order()),
        ),
    ];
    for (name, test) in tests {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let started = Instant::now();
        println!("test {name} ...");
        runtime.block_on(test());
        println!("test {name} ... ok ({:.1?})", started.elapsed());
    }
}

/// The child: opens `KOC_TEST_DB`, says `ready`, waits for a line on stdin
/// if `KOC_TEST_WAIT` is set, then processes everything pending in batches
/// of `KOC_TEST_BATCH` as user `KOC_TEST_USER`, printing `processed N`
/// after each batch commits and pausing `KOC_TEST_PAUSE_MS` between batches
/// (to let another process in).
async fn child(role: &str) {
    assert_eq!(role, "process", "unknown child role");
    let env = |name: &str| std::env::var(name).unwrap_or_default();
    let store = SqliteStore::open(env("KOC_TEST_DB")).await.unwrap();
    let mut out = std::io::stdout();
    writeln!(out, "ready").unwrap();
    out.flush().unwrap();
    if std::env::var_os("KOC_TEST_WAIT").is_some() {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).unwrap();
    }
    let pause = Duration::from_millis(env("KOC_TEST_PAUSE_MS").parse().unwrap_or(0));
    let batch = env("KOC_TEST_BATCH").parse().unwrap_or(25);
    let mut processed = 0;
    let mut report = |results: &[ProcessedOperation]| {
        processed += results.len();
        writeln!(out, "processed {processed}").unwrap();
        out.flush().unwrap();
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
    };
    let run = ProcessRun::all(env("KOC_TEST_USER")).batch_size(batch);
    store.process(&run, &mut report).await.unwrap();
}

struct Worker {
    child: Child,
    lines: BufReader<ChildStdout>,
}

impl Worker {
    fn start(db: &Path, user: &str, batch: usize, wait: bool, pause_ms: u64) -> Worker {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .env("KOC_TEST_CHILD", "process")
            .env("KOC_TEST_DB", db)
            .env("KOC_TEST_USER", user)
            .env("KOC_TEST_BATCH", batch.to_string())
            .env("KOC_TEST_PAUSE_MS", pause_ms.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        if wait {
            command.env("KOC_TEST_WAIT", "1");
        }
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut worker = Worker {
            child,
            lines: BufReader::new(stdout),
        };
        assert_eq!(worker.next_line().as_deref(), Some("ready"));
        worker
    }

    fn next_line(&mut self) -> Option<String> {
        let mut line = String::new();
        match self.lines.read_line(&mut line).unwrap() {
            0 => None,
            _ => Some(line.trim_end().to_owned()),
        }
    }

    fn go(&mut self) {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "go").unwrap();
        stdin.flush().unwrap();
    }

    /// Reads progress until the child has processed `count` operations,
    /// lets it run `delay` more (so that kills land at different points of
    /// a batch: loading, writing, committing), then kills it with SIGKILL;
    /// it must not have finished first.
    fn kill_after(mut self, count: usize, delay: Duration) {
        self.wait_for(count);
        std::thread::sleep(delay);
        self.child.kill().unwrap();
        let status = self.child.wait().unwrap();
        assert_eq!(status.signal(), Some(9), "killed by SIGKILL: {status:?}");
    }

    /// Reads progress until the child has processed `count` operations.
    fn wait_for(&mut self, count: usize) {
        loop {
            let Some(line) = self.next_line() else {
                panic!("the child finished before processing {count} operations");
            };
            let done: usize = line
                .strip_prefix("processed ")
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("unexpected line from the child: {line}"));
            if done >= count {
                return;
            }
        }
    }

    fn finish(mut self) {
        while self.next_line().is_some() {}
        let status = self.child.wait().unwrap();
        assert!(status.success(), "the child failed: {status:?}");
    }
}

/// Loads the test library and its queue into `store`, the same way into any
/// store, so that ids agree.
async fn load<S: Store + ?Sized>(store: &S) {
    store
        .upsert_patrons(&common::patrons(PATRONS))
        .await
        .unwrap();
    store.upsert_items(&common::items(ITEMS)).await.unwrap();
    store.upsert_rules(&common::rules()).await.unwrap();
    store.upsert_debts(&common::debts(PATRONS)).await.unwrap();
    store
        .upsert_holds(&common::holds(PATRONS, ITEMS))
        .await
        .unwrap();
    let mut upload = None;
    for chunk in common::operations(SEED, OPERATIONS, PATRONS, ITEMS).chunks(1_000) {
        let report = store.enqueue(upload, chunk).await.unwrap();
        assert_eq!(report.added.len(), chunk.len());
        upload = Some(report.upload);
    }
}

/// Everything processing changes, comparable between stores.
#[derive(Debug)]
struct State {
    pending: Vec<OperationId>,
    /// Per operation, its outcomes (more than one would be a failure).
    outcomes: BTreeMap<OperationId, Vec<(OutcomeCode, String, Vec<Warning>)>>,
    loans: Vec<Loan>,
    closed: Vec<ClosedLoan>,
    items: Vec<Item>,
    accounts: Vec<AccountLine>,
    holds: Vec<koc_core::Hold>,
}

/// The first difference in each part of two states, briefly (a whole
/// state is too long to read in a failure message).
fn differences(actual: &State, expected: &State) -> Vec<String> {
    fn first<T: std::fmt::Debug + PartialEq>(name: &str, a: &[T], e: &[T], out: &mut Vec<String>) {
        if a == e {
            return;
        }
        let at = a
            .iter()
            .zip(e)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(e.len()));
        out.push(format!(
            "{name}: {} found, {} expected; first difference at {at}: found {:?}, expected {:?}",
            a.len(),
            e.len(),
            a.get(at),
            e.get(at)
        ));
    }
    let mut out = Vec::new();
    first("pending", &actual.pending, &expected.pending, &mut out);
    let outcomes = |s: &State| {
        s.outcomes
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect::<Vec<_>>()
    };
    first("outcomes", &outcomes(actual), &outcomes(expected), &mut out);
    first("loans", &actual.loans, &expected.loans, &mut out);
    first("closed loans", &actual.closed, &expected.closed, &mut out);
    first("items", &actual.items, &expected.items, &mut out);
    first(
        "account lines",
        &actual.accounts,
        &expected.accounts,
        &mut out,
    );
    first("holds", &actual.holds, &expected.holds, &mut out);
    out
}

#[track_caller]
fn assert_same(actual: &State, expected: &State, context: &str) {
    let differences = differences(actual, expected);
    assert!(
        differences.is_empty(),
        "{context}:\n  {}",
        differences.join("\n  ")
    );
}

async fn state<S: Store + ?Sized>(store: &S) -> State {
    let mut outcomes: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for entry in store.history(&HistoryFilter::all()).await.unwrap() {
        outcomes.entry(entry.pending.id).or_default().push((
            entry.outcome.code,
            entry.outcome.message,
            entry.outcome.warnings,
        ));
    }
    let barcodes: Vec<String> = (0..ITEMS).map(common::barcode).collect();
    let mut accounts = Vec::new();
    for n in 0..PATRONS {
        accounts.extend(store.account_lines(&common::card(n)).await.unwrap());
    }
    State {
        pending: store
            .pending(&PendingFilter::all())
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect(),
        outcomes,
        loans: store.loans(&LoanFilter::all()).await.unwrap(),
        closed: store.closed_loans(&LoanFilter::all()).await.unwrap(),
        items: store.items(&barcodes).await.unwrap(),
        accounts,
        holds: store
            .holds(&koc_core::HoldFilter::unfilled().include_filled())
            .await
            .unwrap(),
    }
}

/// The reference: the in-memory store after processing the first
/// `processed` operations of the queue, in processing order.
async fn reference(processed: usize) -> State {
    let store = MemoryStore::new();
    load(&store).await;
    let order: Vec<OperationId> = store
        .pending(&PendingFilter::all())
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    let first = order[..processed].to_vec();
    let run = ProcessRun::ids("reference", first).batch_size(OPERATIONS);
    store
        .process(&run, &mut |_: &[ProcessedOperation]| {})
        .await
        .unwrap();
    state(&store).await
}

/// Waits until every connection to the file is closed (the last one
/// removes the WAL).
fn wait_closed(path: &Path) {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    let deadline = Instant::now() + Duration::from_secs(30);
    while wal.exists() {
        assert!(Instant::now() < deadline, "{} stays open", path.display());
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A database file with the library loaded and the queue full, closed.
async fn template(dir: &Path) -> PathBuf {
    let path = dir.join("template.sqlite");
    let store = SqliteStore::open(&path).await.unwrap();
    load(&store).await;
    drop(store);
    wait_closed(&path);
    path
}

fn copy(template: &Path, name: &str) -> PathBuf {
    let path = template.with_file_name(name);
    std::fs::copy(template, &path).unwrap();
    path
}

async fn history_len(store: &SqliteStore) -> usize {
    store.history(&HistoryFilter::all()).await.unwrap().len()
}

async fn killed_runs_finish_as_if_never_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let template = template(dir.path()).await;
    let finished = reference(OPERATIONS).await;
    assert!(
        finished
            .outcomes
            .values()
            .filter(|o| o[0].0.is_applied())
            .count()
            > OPERATIONS * 3 / 4,
        "most operations of the generated queue succeed"
    );

    // The uninterrupted run, in a child process like the others.
    let whole = copy(&template, "whole.sqlite");
    Worker::start(&whole, "night", 25, false, 0).finish();
    let store = SqliteStore::open(&whole).await.unwrap();
    assert_same(&state(&store).await, &finished, "the uninterrupted run");
    drop(store);

    // One kill per trial, at several points; then one trial killed again
    // and again. After each kill the database holds exactly the first
    // operations, applied, and the rest pending; finishing it gives the
    // uninterrupted state.
    let trials: [&[usize]; 4] = [
        &[600, 3_000],
        &[1_500, 4_500],
        &[5_400],
        &[400, 1_100, 1_700, 2_300, 3_100, 3_900, 4_800],
    ];
    let mut kill_number = 0u64;
    for (trial, kills) in trials.iter().enumerate() {
        let path = copy(&template, &format!("trial-{trial}.sqlite"));
        for &kill in kills.iter() {
            let done = {
                let store = SqliteStore::open(&path).await.unwrap();
                history_len(&store).await
            };
            // Odd batch sizes, so that kills land at varied points of
            // varied batches.
            let batch = [25, 7, 64, 13][trial];
            kill_number += 1;
            let delay = Duration::from_micros(kill_number * 7_919 % 4_000);
            Worker::start(&path, "night", batch, false, 0).kill_after(kill - done, delay);
            let store = SqliteStore::open(&path).await.unwrap();
            let processed = history_len(&store).await;
            assert!(
                processed >= kill,
                "killed after {kill}, found {processed} processed"
            );
            assert_same(
                &state(&store).await,
                &reference(processed).await,
                &format!(
                    "trial {trial}: killed past {kill}, {processed} processed: they, and only they, are applied"
                ),
            );
        }
        let store = SqliteStore::open(&path).await.unwrap();
        store
            .process(
                &ProcessRun::all("morning"),
                &mut |_: &[ProcessedOperation]| {},
            )
            .await
            .unwrap();
        assert_same(
            &state(&store).await,
            &finished,
            &format!("trial {trial}, finished"),
        );
    }
}

async fn two_processes_apply_each_operation_once_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let template = template(dir.path()).await;
    // Which process gets the file after a commit is a race (a waiting one
    // gets in during the pause after each batch, see `src/busy.rs`, but the
    // other may win it). Every trial must apply each operation once in time
    // order; trials go on until one has had both processes take part, which
    // shows they really ran together.
    const TRIALS: usize = 5;
    let mut shares = Vec::new();
    for trial in 0..TRIALS {
        let (one, two) = two_processes_on_one_file(&template, trial).await;
        println!("    trial {trial}: process one applied {one}, process two {two}");
        shares.push((one, two));
        if one > 0 && two > 0 {
            return;
        }
    }
    panic!("in {TRIALS} trials one process always did all the work: {shares:?}");
}

/// One trial: two processes on a copy of `template`; how many operations
/// each applied.
async fn two_processes_on_one_file(template: &Path, trial: usize) -> (usize, usize) {
    let path = copy(template, &format!("shared-{trial}.sqlite"));
    let order: Vec<OperationId> = {
        let store = SqliteStore::open(&path).await.unwrap();
        let pending = store.pending(&PendingFilter::all()).await.unwrap();
        pending.into_iter().map(|p| p.id).collect()
    };

    // Both open the file, then start together.
    let mut one = Worker::start(&path, "one", 17, true, 1);
    let mut two = Worker::start(&path, "two", 23, true, 1);
    one.go();
    two.go();
    one.finish();
    two.finish();

    let store = SqliteStore::open(&path).await.unwrap();
    let mut history = store.history(&HistoryFilter::all()).await.unwrap();
    history.reverse(); // oldest first
    let processed: Vec<OperationId> = history.iter().map(|e| e.pending.id).collect();
    assert_eq!(
        processed, order,
        "every operation exactly once, in time order across both processes"
    );
    assert_same(
        &state(&store).await,
        &reference(OPERATIONS).await,
        "two processes",
    );
    let by = |user: &str| history.iter().filter(|e| e.by == user).count();
    (by("one"), by("two"))
}

/// A write from another process gets in while a processing run goes on
/// batch after batch, well before the run ends: a waiting connection tries
/// every millisecond and a run leaves a gap after each commit (see
/// `src/busy.rs`). With SQLite's own busy handler the write waited for the
/// whole run and failed when its timeout ended first.
async fn a_writer_gets_in_while_another_process_runs() {
    let dir = tempfile::tempdir().unwrap();
    let template = template(dir.path()).await;
    let path = copy(&template, "long.sqlite");
    // Patient enough for a batch or two, not for the whole run.
    let other = SqliteStore::open_with(
        &path,
        SqliteOptions::default().busy_timeout(Duration::from_millis(300)),
    )
    .await
    .unwrap();
    let mut worker = Worker::start(&path, "night", 20, true, 0);
    worker.go();
    worker.wait_for(200);
    for n in 0..5 {
        let barcode = format!("3900000000010{n}");
        other
            .upsert_items(&[Item::new(barcode, "Written during the run")])
            .await
            .unwrap_or_else(|e| panic!("write {n} during the run: {e}"));
    }
    assert!(
        worker.child.try_wait().unwrap().is_none(),
        "the writes got in while the run went on"
    );
    worker.finish();
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(
        store.count_pending(&PendingFilter::all()).await.unwrap(),
        0,
        "the run finished the queue"
    );
}
