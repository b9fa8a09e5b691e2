//! Parsing a desktop-style `.koc` file of 2 million transactions (~107 MB):
//! the slice parser, the streaming reader, the `csv` crate, and a bare
//! memchr line-and-tab split (the floor). Each member counts what it read
//! and asserts the count inside the timed loop, so a parser that skipped
//! work could not look fast.
//!
//! `cargo bench -p koc-benches --bench parse`; in test mode (`-- --test`,
//! or `cargo test --benches`) the file has 20 000 transactions so that it
//! runs in a moment. The
//! environment variable `KOC_BENCH_TRANSACTIONS` sets another size.
//!
//! Times are the benchmarking thread's CPU time, or wall-clock time with
//! `KOC_BENCH_CLOCK=wall`: see [`koc_benches::Clock`].
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::io::BufReader;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use koc_benches::Clock;
use koc_format::{Line, Lines, Reader};

fn transactions() -> usize {
    if let Ok(n) = std::env::var("KOC_BENCH_TRANSACTIONS") {
        return n.parse().expect("KOC_BENCH_TRANSACTIONS: a number");
    }
    // `cargo bench` passes `--bench`; without it (`cargo test --benches`) or
    // with `--test`, criterion only checks that each benchmark runs.
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test") {
        2_000_000
    } else {
        20_000
    }
}

fn parse(c: &mut Criterion<Clock>) {
    let file = koc_benches::desktop_file(transactions(), 0x6b6f63);
    eprintln!(
        "parse: {} transactions, {} bytes, timed by {}",
        file.counts.total(),
        file.bytes.len(),
        Clock::from_env().describe()
    );
    let bytes = &file.bytes[..];
    let expected = file.counts.total();

    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.sample_size(10);

    group.bench_function("slice", |b| {
        b.iter(|| {
            let mut transactions = 0;
            for line in Lines::new(black_box(bytes)) {
                match line {
                    Line::Transaction(record) => {
                        black_box(&record);
                        transactions += 1;
                    }
                    Line::Header(_) => {}
                    other => panic!("{other:?}"),
                }
            }
            assert_eq!(transactions, expected);
        })
    });

    group.bench_function("reader", |b| {
        b.iter(|| {
            // As from a file: through a BufReader's 8 KiB buffer.
            let mut reader = Reader::new(BufReader::new(black_box(bytes)));
            let mut transactions = 0;
            while let Some(line) = reader.read_line().unwrap() {
                match line {
                    Line::Transaction(record) => {
                        black_box(&record);
                        transactions += 1;
                    }
                    Line::Header(_) => {}
                    other => panic!("{other:?}"),
                }
            }
            assert_eq!(transactions, expected);
        })
    });

    group.bench_function("csv", |b| {
        b.iter(|| {
            let mut reader = csv::ReaderBuilder::new()
                .delimiter(b'\t')
                .quoting(false)
                .flexible(true)
                .has_headers(false)
                .from_reader(black_box(bytes));
            let mut record = csv::ByteRecord::new();
            let mut records = 0;
            while reader.read_byte_record(&mut record).unwrap() {
                black_box(&record);
                records += 1;
            }
            // The header is a record too.
            assert_eq!(records, expected + 1);
        })
    });

    group.bench_function("memchr_split", |b| {
        b.iter(|| {
            let input = black_box(bytes);
            let mut lines = 0;
            let mut fields = 0;
            let mut start = 0;
            for end in memchr::memchr_iter(b'\n', input) {
                let line = &input[start..end];
                let mut field_start = 0;
                for tab in memchr::memchr_iter(b'\t', line) {
                    black_box(&line[field_start..tab]);
                    field_start = tab + 1;
                    fields += 1;
                }
                black_box(&line[field_start..]);
                fields += 1;
                lines += 1;
                start = end + 1;
            }
            assert_eq!(lines, expected + 1);
            black_box(fields);
        })
    });

    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(Clock::from_env());
    targets = parse
}
criterion_main!(benches);
