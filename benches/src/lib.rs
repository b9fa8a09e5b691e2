//! Benchmarks of the koc crates, and what they need: a generator of
//! deterministic `.koc` files shaped like the desktop tool's
//! ([`desktop_file`]), a synthetic library with the outages of its desks
//! ([`library`]), the stores the benchmarks run on ([`stores`]), what the
//! enqueue and process benchmarks do ([`workload`]) and the clock the parse
//! benchmark is timed with ([`Clock`]).
//!
//! The benchmarks themselves are in `benches/` (`cargo bench -p
//! koc-benches`); see `README.md` for the figures.
//!
//! ```
//! let file = koc_benches::desktop_file(1_000, 42);
//! assert_eq!(file.counts.total(), 1_000);
//! assert_eq!(
//!     koc_format::Lines::new(&file.bytes)
//!         .filter(|line| matches!(line, koc_format::Line::Transaction(_)))
//!         .count(),
//!     1_000
//! );
//! ```

pub mod library;
pub mod stores;
pub mod workload;

use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use koc_format::{Amount, Header, Timestamp, Transaction, Writer};

/// How many transactions of each kind a generated file holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// `issue` lines.
    pub issues: usize,
    /// `return` lines.
    pub returns: usize,
    /// `payment` lines.
    pub payments: usize,
}

impl Counts {
    /// All transactions.
    pub fn total(&self) -> usize {
        self.issues + self.returns + self.payments
    }
}

/// A generated `.koc` file and what is in it.
#[derive(Clone, Debug)]
pub struct GeneratedFile {
    /// The bytes, header line first, LF after every line.
    pub bytes: Vec<u8>,
    /// The transactions in it.
    pub counts: Counts,
}

/// A small, fast, deterministic generator (SplitMix64): the same seed gives
/// the same file on every machine.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0; the tiny bias does not matter
    /// here).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound.max(1)
    }
}

/// A file as a desk's desktop tool would write it during a long outage:
/// the desktop tool's header, then `transactions` lines, about 50% issues,
/// 45% returns and 5% payments, a few seconds apart (with milliseconds), for
/// 20 000 patrons and 500 000 items. About 53 bytes a line: 2 million
/// transactions make about 107 MB.
pub fn desktop_file(transactions: usize, seed: u64) -> GeneratedFile {
    let mut random = SplitMix64::new(seed);
    let mut bytes = Vec::with_capacity(transactions * 54 + 64);
    let mut counts = Counts::default();
    let mut at = NaiveDate::from_ymd_opt(2026, 7, 22)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap_or(NaiveDateTime::MIN);
    {
        let mut writer = Writer::new(&mut bytes);
        // Writing to a Vec cannot fail, and every generated field is valid:
        // a failure would be a bug in the generator, which the benchmarks'
        // counts would show.
        let _ = writer.write_header(&Header::new("kocDesktop", "2.4.0"));
        for _ in 0..transactions {
            let step = random.below(20_000) as i64;
            at += TimeDelta::try_milliseconds(step).unwrap_or_default();
            let cardnumber = format!("23529{:09}", random.below(20_000));
            let barcode = format!("31000{:09}", random.below(500_000));
            let transaction = match random.below(100) {
                0..50 => {
                    counts.issues += 1;
                    Transaction::Issue {
                        cardnumber: &cardnumber,
                        barcode: &barcode,
                        due: None,
                    }
                }
                50..95 => {
                    counts.returns += 1;
                    Transaction::Return { barcode: &barcode }
                }
                _ => {
                    counts.payments += 1;
                    let cents = 10 + random.below(5_000) as i64;
                    Transaction::Payment {
                        cardnumber: &cardnumber,
                        amount: Amount::from_cents(cents),
                    }
                }
            };
            let _ = writer.write_transaction(Timestamp::new(at), transaction);
        }
    }
    GeneratedFile { bytes, counts }
}

/// What the benchmarks time: the CPU time of the benchmarking thread (the
/// default, on Linux), or wall-clock time (`KOC_BENCH_CLOCK=wall`, and
/// wherever the thread's CPU time cannot be read).
///
/// The benchmarks run on a shared 2-core machine where builds and tests of
/// other work come and go; wall-clock time then counts the time the thread
/// waits for a core, and varies by half from one run to the next. The
/// thread's CPU time (from `/proc/thread-self/schedstat`, in nanoseconds)
/// counts only the time it runs, which is what a benchmark of a
/// single-threaded parser over memory means to measure. On an idle machine
/// the two agree.
#[derive(Clone, Copy, Debug)]
pub enum Clock {
    /// CPU time of the calling thread.
    ThreadCpu,
    /// Wall-clock time.
    Wall(Instant),
}

static WALL_TIME: WallTime = WallTime;

impl Clock {
    /// [`Clock::ThreadCpu`] unless `KOC_BENCH_CLOCK=wall` or the thread's
    /// CPU time is unavailable.
    pub fn from_env() -> Clock {
        let wall = std::env::var("KOC_BENCH_CLOCK").is_ok_and(|v| v == "wall");
        if wall || thread_cpu_nanos().is_none() {
            Clock::Wall(Instant::now())
        } else {
            Clock::ThreadCpu
        }
    }

    /// What this clock is, for a report.
    pub fn describe(&self) -> &'static str {
        match self {
            Clock::ThreadCpu => "thread CPU time",
            Clock::Wall(_) => "wall-clock time",
        }
    }

    fn now_nanos(&self) -> u64 {
        match self {
            Clock::ThreadCpu => thread_cpu_nanos().unwrap_or(0),
            Clock::Wall(origin) => u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX),
        }
    }
}

/// The CPU time of the calling thread so far, in nanoseconds (Linux).
pub fn thread_cpu_nanos() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

impl Measurement for Clock {
    type Intermediate = u64;
    type Value = Duration;

    fn start(&self) -> u64 {
        self.now_nanos()
    }

    fn end(&self, start: u64) -> Duration {
        Duration::from_nanos(self.now_nanos().saturating_sub(start))
    }

    fn add(&self, v1: &Duration, v2: &Duration) -> Duration {
        *v1 + *v2
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        WALL_TIME.formatter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koc_format::{Action, Line, Lines};

    #[test]
    fn the_file_holds_what_it_says() {
        let file = desktop_file(10_000, 7);
        let mut counts = Counts::default();
        for line in Lines::new(&file.bytes) {
            match line {
                Line::Header(_) => {}
                Line::Transaction(record) => match record.transaction.action() {
                    Action::Issue => counts.issues += 1,
                    Action::Return => counts.returns += 1,
                    Action::Payment => counts.payments += 1,
                },
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(counts, file.counts);
        assert!((4_700..5_300).contains(&counts.issues), "{counts:?}");
        assert!((4_200..4_800).contains(&counts.returns), "{counts:?}");
        assert!((350..650).contains(&counts.payments), "{counts:?}");
        let per_line = file.bytes.len() / 10_000;
        assert!((50..57).contains(&per_line), "{per_line}");
    }

    #[test]
    fn the_thread_clock_counts_work() {
        let clock = Clock::from_env();
        let start = clock.start();
        let file = desktop_file(20_000, 3);
        assert!(!file.bytes.is_empty());
        assert!(clock.end(start) > Duration::ZERO, "{}", clock.describe());
    }

    #[test]
    fn the_same_seed_gives_the_same_file() {
        assert_eq!(desktop_file(100, 1).bytes, desktop_file(100, 1).bytes);
        assert_ne!(desktop_file(100, 1).bytes, desktop_file(100, 2).bytes);
    }
}
