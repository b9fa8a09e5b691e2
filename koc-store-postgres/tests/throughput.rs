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

use chrono::{Duration, NaiveDateTime};
use koc_core::{
    Action, Circulation, Item, Loan, LoanRule, Money, NewDebt, Operation, OutcomeCode, Patron,
    ProcessRun, ProcessedOperation, Processor, Queue, Source,
};

/// A small deterministic generator (xorshift64*).
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn size(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn card(i: usize) -> String {
    format!("2352900{i:07}")
}

fn barcode(i: usize) -> String {
    format!("3100000{i:07}")
}

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
}

struct Library {
    patrons: Vec<Patron>,
    items: Vec<Item>,
    loans: Vec<Loan>,
    debts: Vec<NewDebt>,
    operations: Vec<Operation>,
}

/// A library and a day of offline operations on it that mostly succeed:
/// issues of items on the shelf, returns and renewals of items on loan,
/// payments of real debts, and a few unknown cards and barcodes and
/// returns from other patrons.
fn generate(patrons: usize, items: usize, operations: usize) -> Library {
    let mut dice = Dice(0x6b6f_6321);
    let surnames = [
        "Doe",
        "Smith",
        "López",
        "Chen",
        "Østergård",
        "Nakamura",
        "Okafor",
    ];
    let firsts = ["Jane", "John", "María", "Kai", "Åse", "Yuki", "Ada"];
    let patron_list: Vec<Patron> = (0..patrons)
        .map(|i| Patron {
            userid: Some(format!("user{i}")),
            firstname: Some(firsts[i % firsts.len()].to_owned()),
            category: Some(if i % 5 == 0 { "ST" } else { "PT" }.to_owned()),
            branch: Some("CPL".to_owned()),
            ..Patron::new(
                card(i),
                format!("{}{}", surnames[i % surnames.len()], i % 1000),
            )
        })
        .collect();
    let item_list: Vec<Item> = (0..items)
        .map(|i| Item {
            itemtype: Some(if i % 10 == 0 { "DVD" } else { "BK" }.to_owned()),
            homebranch: Some("CPL".to_owned()),
            ..Item::new(barcode(i), format!("Title {i}"))
        })
        .collect();
    // A fifth of the items are on loan when the outage starts.
    let mut borrower: Vec<Option<usize>> = vec![None; items];
    let mut on_loan: Vec<usize> = Vec::new();
    let mut loans = Vec::new();
    for i in (0..items).step_by(5) {
        let p = dice.below(patrons);
        borrower[i] = Some(p);
        on_loan.push(i);
        loans.push(Loan {
            barcode: barcode(i),
            cardnumber: card(p),
            issued_at: at("2026-07-01 10:00:00"),
            due_at: at("2026-07-15 23:59:00"),
            renewals: 0,
            last_renewed_at: None,
            branch: Some("CPL".to_owned()),
        });
    }
    let debtors: Vec<usize> = (0..patrons).step_by(10).collect();
    let debts = debtors
        .iter()
        .map(|&p| NewDebt {
            cardnumber: card(p),
            amount: Money::from_cents(250 + (p % 7) as i64 * 100),
            description: Some("Overdue".to_owned()),
            created_at: at("2026-06-01 09:00:00"),
        })
        .collect();

    let mut time = at("2026-07-22 08:00:00");
    let mut list = Vec::with_capacity(operations);
    for line in 0..operations {
        time += Duration::milliseconds(1 + dice.below(40) as i64);
        let roll = dice.below(100);
        let (action, cardnumber, code, amount) = match roll {
            0..35 => {
                // An issue of an item on the shelf (or, failing that, a renewal).
                let mut i = dice.below(items);
                for _ in 0..4 {
                    if borrower[i].is_none() {
                        break;
                    }
                    i = dice.below(items);
                }
                let p = borrower[i].unwrap_or_else(|| dice.below(patrons));
                if borrower[i].is_none() {
                    borrower[i] = Some(p);
                    on_loan.push(i);
                }
                (Action::Issue, Some(card(p)), Some(barcode(i)), None)
            }
            35..70 if !on_loan.is_empty() => {
                let k = dice.below(on_loan.len());
                let i = on_loan.swap_remove(k);
                borrower[i] = None;
                (Action::Return, None, Some(barcode(i)), None)
            }
            70..80 if !on_loan.is_empty() => {
                let i = on_loan[dice.below(on_loan.len())];
                (Action::Issue, borrower[i].map(card), Some(barcode(i)), None)
            }
            80..90 => {
                let p = debtors[dice.below(debtors.len())];
                let cents = 100 + dice.below(400) as i64;
                (
                    Action::Payment,
                    Some(card(p)),
                    None,
                    Some(Money::from_cents(cents)),
                )
            }
            90..94 => (
                Action::Issue,
                Some(format!("9999{line:010}")),
                Some(barcode(dice.below(items))),
                None,
            ),
            94..97 => (Action::Return, None, Some(format!("8888{line:010}")), None),
            _ if !on_loan.is_empty() => {
                // Lent to someone else without a return in between.
                let i = on_loan[dice.below(on_loan.len())];
                let p = dice.below(patrons);
                borrower[i] = Some(p);
                (Action::Issue, Some(card(p)), Some(barcode(i)), None)
            }
            _ => (Action::Return, None, Some(barcode(0)), None),
        };
        list.push(Operation {
            action,
            time,
            cardnumber,
            barcode: code,
            amount,
            due: None,
            userid: "staff".to_owned(),
            branch: "CPL".to_owned(),
            workstation: Some(format!("desk-{}", line % 12)),
            source: Source::File {
                name: "koha-offline-circ-2026-07-22.koc".to_owned(),
                line: line as u64 + 2,
            },
        });
    }
    Library {
        patrons: patron_list,
        items: item_list,
        loans,
        debts,
        operations: list,
    }
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
    for chunk in library.patrons.chunks(10_000) {
        store.upsert_patrons(chunk).await.unwrap();
    }
    for chunk in library.items.chunks(20_000) {
        store.upsert_items(chunk).await.unwrap();
    }
    for chunk in library.loans.chunks(20_000) {
        store.upsert_loans(chunk).await.unwrap();
    }
    store.upsert_debts(&library.debts).await.unwrap();
    store
        .upsert_rules(&[
            LoanRule {
                category: None,
                itemtype: None,
                loan_days: 14,
                renewal_days: Some(10),
            },
            LoanRule {
                category: None,
                itemtype: Some("DVD".to_owned()),
                loan_days: 7,
                renewal_days: None,
            },
        ])
        .await
        .unwrap();
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
