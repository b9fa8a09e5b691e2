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

/// CPU seconds used so far by this process and by every `postgres`
/// process (the server and its backends), from `/proc` (Linux; zeros
/// elsewhere). The machine may be busy with other work: CPU time says what
/// the work itself costs, and client + server CPU is what it would take on
/// an idle machine, since the two mostly take turns.
fn cpu_seconds() -> (f64, f64) {
    fn ticks(stat: &str) -> Option<(String, f64)> {
        let (head, tail) = stat.rsplit_once(") ")?;
        let name = head.split_once(" (")?.1.to_owned();
        let fields: Vec<&str> = tail.split_whitespace().collect();
        let user: f64 = fields.get(11)?.parse().ok()?;
        let system: f64 = fields.get(12)?.parse().ok()?;
        // USER_HZ is 100 on every Linux this runs on.
        Some((name, (user + system) / 100.0))
    }
    let own = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| ticks(&s))
        .map_or(0.0, |(_, t)| t);
    let mut server = 0.0;
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            if let Some((name, t)) = ticks(&stat) {
                if name.starts_with("postgres") {
                    server += t;
                }
            }
        }
    }
    (own, server)
}

/// Says how long `what` took, in wall time and in CPU time.
fn report(what: &str, ops: usize, wall: std::time::Duration, before: (f64, f64)) {
    let after = cpu_seconds();
    let (client, server) = (after.0 - before.0, after.1 - before.1);
    say(&format!(
        "{what}: {ops} operations in {:.2}s = {:.0} ops/s; CPU: client {client:.2}s + \
         server {server:.2}s = {:.0} ops per CPU-second",
        wall.as_secs_f64(),
        ops as f64 / wall.as_secs_f64(),
        ops as f64 / (client + server).max(0.001)
    ));
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
    sqlx::query("ANALYZE").execute(store.pool()).await.unwrap();
    let load = start.elapsed();
    say(&format!(
        "loaded {patrons} patrons, {items} items, {} loans, {} debts in {:.1}s",
        library.loans.len(),
        library.debts.len(),
        load.as_secs_f64()
    ));

    let cpu = cpu_seconds();
    let start = Instant::now();
    let mut upload = None;
    let mut added = 0;
    for chunk in library.operations.chunks(koc_core::DEFAULT_ENQUEUE_BATCH) {
        let report = store.enqueue(upload, chunk).await.unwrap();
        upload = Some(report.upload);
        added += report.added.len();
    }
    let enqueue = start.elapsed();
    assert_eq!(added, ops, "every generated operation is new");
    report("enqueue", ops, enqueue, cpu);

    let cpu = cpu_seconds();
    let start = Instant::now();
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
    let process = start.elapsed();
    assert_eq!(summary.processed, ops as u64);
    report("process", ops, process, cpu);
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
