//! Processing 100 000 pending operations, as `koc process --all` does:
//! in batches of 2 000, each loading what its operations touch, deciding,
//! writing the effects and moving the operations to history. On the
//! in-memory reference store (no database, but not tuned either: it clones
//! every record it loads, so it is no floor), SQLite and PostgreSQL
//! (when `DATABASE_URL` is set; skipped loudly otherwise), with a library
//! of 10 000 patrons and 50 000 items. Throughput in operations processed
//! per second; each iteration checks the outcome of every operation against
//! the generator's.
//!
//! `cargo bench -p koc-benches --bench process`; in test mode (`-- --test`,
//! or `cargo test --benches`) 2 000 operations. `KOC_BENCH_OPERATIONS=N`
//! sets another size (and the library grows with it).
//!
//! Timed by the wall clock: the work runs on the store's threads and in the
//! PostgreSQL server, which the benchmarking thread's CPU time would miss.
//! Opening the store, loading the library and enqueuing are not timed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use koc_benches::stores::Backend;
use koc_benches::workload::Workload;

fn process(c: &mut Criterion) {
    let runtime = koc_benches::workload::runtime();
    let workload = Workload::new(koc_benches::workload::operations_from_args(), 0x6b6f63);
    eprintln!(
        "process: {} operations, {} patrons, {} items; wall-clock time",
        workload.expected.added(),
        workload.library.spec().patrons,
        workload.library.spec().items,
    );

    let mut group = c.benchmark_group("process");
    group.throughput(Throughput::Elements(workload.expected.added()));
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_millis(1));
    for backend in Backend::from_env("process") {
        group.bench_function(backend.name(), |b| {
            b.iter_custom(|iterations| {
                let mut timed = Duration::ZERO;
                for _ in 0..iterations {
                    runtime.block_on(async {
                        let open = backend.open().await.expect("opening the store");
                        workload
                            .load(open.store())
                            .await
                            .expect("loading the library");
                        workload.enqueue(open.store()).await.expect("enqueuing");
                        let started = Instant::now();
                        workload
                            .process(open.store())
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

criterion_group!(benches, process);
criterion_main!(benches);
