//! A quick throughput figure: enqueue and process generated operations on a
//! generated library, and print operations per second. Not a benchmark
//! (criterion benchmarks live in `benches/`); ignored unless asked for:
//!
//! ```text
//! eval "$(scripts/pg-start)"
//! cargo test --release -p koc-store-postgres --test throughput -- --ignored --nocapture
//! ```
//!
//! Sizes: `KOC_BENCH_OPS` (200 000), `KOC_BENCH_PATRONS` (100 000),
//! `KOC_BENCH_ITEMS` (500 000); operations per processing transaction:
//! `KOC_BENCH_BATCH` (`koc_core::DEFAULT_BATCH_SIZE`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::time::Instant;

use common::library::generate;
use koc_core::{OutcomeCode, ProcessRun, ProcessedOperation, Processor, Queue};

fn size(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// Where the server's CPU time is counted: the postmaster of the server
/// the pool talks to (found from a backend's parent), when that server runs
/// on this machine.
async fn postmaster(pool: &sqlx::PgPool) -> Option<u32> {
    let backend: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(pool)
        .await
        .ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{backend}/stat")).ok()?;
    let (_, tail) = stat.rsplit_once(") ")?;
    tail.split_whitespace().nth(1)?.parse().ok()
}

/// CPU seconds of a process from its `/proc/PID/stat`: its own, and with
/// its reaped children's.
fn ticks(stat: &str) -> Option<(u32, f64, f64)> {
    let (_, tail) = stat.rsplit_once(") ")?;
    let fields: Vec<&str> = tail.split_whitespace().collect();
    let parent: u32 = fields.get(1)?.parse().ok()?;
    let field = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
    // USER_HZ is 100 on every Linux this runs on.
    let own = (field(11)? + field(12)?) / 100.0;
    let reaped = (field(13)? + field(14)?) / 100.0;
    Some((parent, own, own + reaped))
}

/// CPU seconds used so far by this process and by the server, from
/// `/proc` (Linux; zeros elsewhere). The machine may be busy with other
/// work: CPU time says what the work itself costs, and client + server CPU
/// is what it would take on an idle machine with one core.
#[derive(Clone, Copy, Default)]
struct Cpu {
    client: f64,
    /// The server's backends (the store's connections).
    backends: f64,
    /// Autovacuum, live workers and those that have exited (the
    /// postmaster's reaped children).
    autovacuum: f64,
    /// The postmaster and the rest: WAL writer, checkpointer, background
    /// writer.
    background: f64,
}

impl Cpu {
    fn server(&self) -> f64 {
        self.backends + self.autovacuum + self.background
    }

    fn since(&self, before: &Cpu) -> Cpu {
        Cpu {
            client: self.client - before.client,
            backends: self.backends - before.backends,
            autovacuum: self.autovacuum - before.autovacuum,
            background: self.background - before.background,
        }
    }
}

fn cpu_seconds(server: Option<u32>) -> Cpu {
    let mut cpu = Cpu {
        client: std::fs::read_to_string("/proc/self/stat")
            .ok()
            .and_then(|s| ticks(&s))
            .map_or(0.0, |(_, own, _)| own),
        ..Cpu::default()
    };
    let Some(postmaster) = server else {
        return cpu;
    };
    if let Some((_, own, all)) = std::fs::read_to_string(format!("/proc/{postmaster}/stat"))
        .ok()
        .and_then(|s| ticks(&s))
    {
        cpu.background += own;
        cpu.autovacuum += all - own;
    }
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            let Some((parent, own, _)) = ticks(&stat) else {
                continue;
            };
            if parent != postmaster {
                continue;
            }
            let title = std::fs::read_to_string(entry.path().join("cmdline")).unwrap_or_default();
            if title.contains("autovacuum") {
                cpu.autovacuum += own;
            } else if ["walwriter", "checkpointer", "background writer", "launcher"]
                .iter()
                .any(|t| title.contains(t))
            {
                cpu.background += own;
            } else {
                cpu.backends += own;
            }
        }
    }
    cpu
}

/// Times one phase: wall clock, CPU of client and server, and (when the
/// server has `pg_stat_statements`) where the server spent its time.
struct Phase {
    what: &'static str,
    server: Option<u32>,
    statements: bool,
    cpu: Cpu,
    start: Instant,
}

impl Phase {
    async fn start(what: &'static str, pool: &sqlx::PgPool) -> Phase {
        let statements = sqlx::query("SELECT public.pg_stat_statements_reset()")
            .execute(pool)
            .await
            .is_ok();
        let server = postmaster(pool).await;
        Phase {
            what,
            server,
            statements,
            cpu: cpu_seconds(server),
            start: Instant::now(),
        }
    }

    /// Says how long the phase took for `ops` operations.
    async fn end(self, ops: usize, pool: &sqlx::PgPool) {
        let wall = self.start.elapsed();
        let cpu = cpu_seconds(self.server).since(&self.cpu);
        let (client, server) = (cpu.client, cpu.server());
        let micros = |seconds: f64| seconds * 1e6 / ops as f64;
        say(&format!(
            "{}: {ops} operations in {:.2}s = {:.0} ops/s; CPU: client {client:.2}s \
             ({:.1} µs/op) + server {server:.2}s ({:.1} µs/op) = {:.0} ops per CPU-second",
            self.what,
            wall.as_secs_f64(),
            ops as f64 / wall.as_secs_f64(),
            micros(client),
            micros(server),
            ops as f64 / (client + server).max(0.001)
        ));
        say(&format!(
            "  server CPU: backends {:.1} µs/op, autovacuum {:.1} µs/op, \
             WAL writer, checkpointer and the rest {:.1} µs/op",
            micros(cpu.backends),
            micros(cpu.autovacuum),
            micros(cpu.background)
        ));
        if self.server.is_none() {
            say("  (server CPU unknown: the server is not a process of this machine)");
        }
        if !self.statements {
            return;
        }
        // Buffers touched and WAL written do not depend on how busy the
        // machine is, unlike times.
        let rows = sqlx::query_as::<_, (i64, f64, i64, i64, i64, String)>(
            "SELECT calls, total_exec_time, rows, shared_blks_hit + shared_blks_read, \
             wal_bytes::bigint, regexp_replace(query, '\\s+', ' ', 'g') \
             FROM public.pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' \
             ORDER BY total_exec_time DESC LIMIT 14",
        )
        .fetch_all(pool)
        .await
        .unwrap_or_default();
        say("       ms  µs/op   calls     rows  blocks/op  WAL B/op  statement");
        for (calls, ms, rows, blocks, wal, query) in rows {
            let query: String = query.chars().take(72).collect();
            say(&format!(
                "  {ms:>7.0} {:>6.1} {calls:>7} {rows:>8} {:>10.1} {:>9.0}  {query}",
                ms * 1e3 / ops as f64,
                blocks as f64 / ops as f64,
                wal as f64 / ops as f64,
            ));
        }
    }
}

fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a test: run with --ignored --nocapture in --release"]
async fn enqueue_and_process_throughput() {
    let Some(url) = common::database_url() else {
        return;
    };
    let (patrons, items, ops) = (
        size("KOC_BENCH_PATRONS", 100_000),
        size("KOC_BENCH_ITEMS", 500_000),
        size("KOC_BENCH_OPS", 200_000),
    );
    let library = generate(patrons, items, ops);
    let store = common::options(&url, "bench").connect().await.unwrap();

    let start = Instant::now();
    library.load(&store).await.unwrap();
    // Vacuumed now, not by autovacuum in the middle of what is measured.
    sqlx::raw_sql(
        "VACUUM (ANALYZE) patrons, patron_names, items, loans, account_lines, loan_rules",
    )
    .execute(store.pool())
    .await
    .unwrap();
    let load = start.elapsed();
    say(&format!(
        "loaded {patrons} patrons, {items} items, {} loans, {} debts in {:.1}s",
        library.loans.len(),
        library.debts.len(),
        load.as_secs_f64()
    ));

    let phase = Phase::start("enqueue", store.pool()).await;
    let mut upload = None;
    let mut added = 0;
    for chunk in library.operations.chunks(koc_core::DEFAULT_ENQUEUE_BATCH) {
        let report = store.enqueue(upload, chunk).await.unwrap();
        upload = Some(report.upload);
        added += report.added.len();
    }
    phase.end(ops, store.pool()).await;
    assert_eq!(added, ops, "every generated operation is new");

    let phase = Phase::start("process", store.pool()).await;
    let mut outcomes: BTreeMap<OutcomeCode, u64> = BTreeMap::new();
    let mut observer = |batch: &[ProcessedOperation]| {
        for result in batch {
            *outcomes.entry(result.outcome.code).or_default() += 1;
        }
    };
    let summary = store
        .process(
            &ProcessRun::all("bench")
                .batch_size(size("KOC_BENCH_BATCH", koc_core::DEFAULT_BATCH_SIZE)),
            &mut observer,
        )
        .await
        .unwrap();
    phase.end(ops, store.pool()).await;
    assert_eq!(summary.processed, ops as u64);
    say(&format!("process: {} batches", summary.batches));
    say(&format!("outcomes: {outcomes:?}"));
    let applied: u64 = outcomes
        .iter()
        .filter(|(code, _)| code.is_applied())
        .map(|(_, n)| n)
        .sum();
    assert!(
        applied * 100 / ops as u64 >= 80,
        "mostly successes: {outcomes:?}"
    );
    if std::env::var_os("KOC_BENCH_KEEP").is_some() {
        say(&format!("kept schema {}", store.schema()));
    } else {
        store.drop_schema().await.unwrap();
    }
}
