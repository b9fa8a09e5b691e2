//! Enqueuing a desk's `.koc` file of 100 000 operations into an empty
//! queue, as `koc enqueue` does: read, parse, fingerprint, insert in
//! batches, duplicates found. On the in-memory reference store, SQLite
//! and PostgreSQL (when `DATABASE_URL` is set; skipped loudly otherwise).
//! Throughput in operations (transaction lines) per second; each iteration
//! checks the numbers added and found duplicate against the generator's.
//!
//! `cargo bench -p koc-benches --bench enqueue`; in test mode (`-- --test`,
//! or `cargo test --benches`) the file has 2 000 operations.
//! `KOC_BENCH_OPERATIONS=N` sets another size.
//!
//! Timed by the wall clock: the work runs on the store's threads and in the
//! PostgreSQL server, which the benchmarking thread's CPU time would miss.
//! Opening and removing the store are not timed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use koc_benches::stores::Backend;
use koc_benches::workload::Workload;

fn enqueue(c: &mut Criterion) {
    let runtime = koc_benches::workload::runtime();
    let workload = Workload::new(koc_benches::workload::operations_from_args(), 0x6b6f63);
    eprintln!(
        "enqueue: {} transactions ({} bytes), {} to add, {} duplicates; wall-clock time",
        workload.expected.transactions,
        workload.file.len(),
        workload.expected.added(),
        workload.expected.duplicates(),
    );

    let mut group = c.benchmark_group("enqueue");
    group.throughput(Throughput::Elements(workload.expected.transactions));
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_millis(1));
    for backend in Backend::from_env("enqueue") {
        group.bench_function(backend.name(), |b| {
            b.iter_custom(|iterations| {
                let mut timed = Duration::ZERO;
                for _ in 0..iterations {
                    runtime.block_on(async {
                        let open = backend.open().await.expect("opening the store");
                        let started = Instant::now();
                        workload
                            .enqueue(open.store())
                            .await
                            .unwrap_or_else(|e| panic!("{}: {e}", backend.name()));
                        timed += started.elapsed();
                        open.remove().await.expect("removing the store");
                    });
                }
                timed
            })
        });
    }
    group.finish();
}

criterion_group!(benches, enqueue);
criterion_main!(benches);
