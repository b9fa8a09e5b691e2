//! What the enqueue and process benchmarks do: a library sized for the
//! number of operations, its first outage file in memory, and the two steps
//! with every count checked against what the simulation expects, so that a
//! store that skipped work could not look fast.

use std::collections::BTreeMap;

use koc_core::{
    FileUpload, FileUploadError, OutcomeCode, ProcessRun, ProcessedOperation, Store, Upload,
    enqueue_file,
};

use crate::library::{Aftermath, FileSummary, Library, LibrarySpec, load_library};

/// Why a step of a workload failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkloadError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] koc_core::Error),
    /// Enqueuing the file failed.
    #[error(transparent)]
    Upload(#[from] FileUploadError),
    /// The store did something else than the simulation expected.
    #[error("{step}: expected {expected}, got {got}")]
    Mismatch {
        /// What was counted.
        step: &'static str,
        /// What the simulation expected.
        expected: String,
        /// What the store did.
        got: String,
    },
}

fn check<T: PartialEq + std::fmt::Debug>(
    step: &'static str,
    expected: T,
    got: T,
) -> Result<(), WorkloadError> {
    if expected == got {
        Ok(())
    } else {
        Err(WorkloadError::Mismatch {
            step,
            expected: format!("{expected:?}"),
            got: format!("{got:?}"),
        })
    }
}

/// A library and one outage file of it, in memory.
#[derive(Debug)]
pub struct Workload {
    /// The library, sized as the scale script's: a patron for every 10
    /// operations, an item for every 2.
    pub library: Library,
    /// The state after the outage, which the loans depend on.
    pub aftermath: Aftermath,
    /// The `.koc` file.
    pub file: Vec<u8>,
    /// What is in it and what processing it gives.
    pub expected: FileSummary,
    desk: Upload,
}

impl Workload {
    /// A library for `operations` transaction lines (a patron for every 10,
    /// an item for every 2, as 1 000 000 operations for 100 000 patrons and
    /// 500 000 items), from `seed`.
    pub fn new(operations: u64, seed: u64) -> Workload {
        let patrons = u32::try_from((operations / 10).max(1)).unwrap_or(u32::MAX);
        let items = u32::try_from((operations / 2).max(1)).unwrap_or(u32::MAX);
        let library = Library::new(LibrarySpec::new(patrons, items, operations, seed));
        let mut simulation = library.simulation();
        let mut file = Vec::with_capacity(operations as usize * 54 + 64);
        // Writing to a Vec cannot fail, and the simulation writes only
        // valid lines; the checked counts would show any fault.
        let expected = simulation
            .write_file(&mut file)
            .unwrap_or_else(|_| FileSummary::empty());
        let aftermath = simulation.finish();
        Workload {
            library,
            aftermath,
            file,
            expected,
            desk: Upload {
                userid: "bench".into(),
                branch: "CPL".into(),
                workstation: None,
            },
        }
    }

    /// Loads the library into `store` (not timed by the benchmarks).
    ///
    /// # Errors
    ///
    /// The store's.
    pub async fn load(&self, store: &dyn Store) -> Result<(), WorkloadError> {
        load_library(store, &self.library, &self.aftermath).await?;
        Ok(())
    }

    /// Enqueues the file as `koc enqueue` does (streamed, parsed,
    /// fingerprinted, in batches) and checks what was added and what was a
    /// duplicate.
    ///
    /// # Errors
    ///
    /// The store's, or [`WorkloadError::Mismatch`].
    pub async fn enqueue(&self, store: &dyn Store) -> Result<(), WorkloadError> {
        let settings = FileUpload::new(&self.expected.name, &self.desk, chrono::Local);
        let report = enqueue_file(store, &self.file[..], &settings, &mut |_| {}).await?;
        check(
            "transactions",
            self.expected.transactions,
            report.transactions,
        )?;
        check("rejected lines", 0, report.rejected.len())?;
        check("added", self.expected.added(), report.added)?;
        check(
            "duplicates",
            self.expected.duplicates(),
            report.duplicates.len() as u64,
        )
    }

    /// Processes every pending operation as `koc process --all` does, in
    /// batches of the default size, and checks the outcome of each.
    ///
    /// # Errors
    ///
    /// The store's, or [`WorkloadError::Mismatch`].
    pub async fn process(&self, store: &dyn Store) -> Result<(), WorkloadError> {
        let mut outcomes: BTreeMap<OutcomeCode, u64> = BTreeMap::new();
        let mut count = |batch: &[ProcessedOperation]| {
            for done in batch {
                *outcomes.entry(done.outcome.code).or_default() += 1;
            }
        };
        let summary = store.process(&ProcessRun::all("bench"), &mut count).await?;
        check("processed", self.expected.added(), summary.processed)?;
        check("outcomes", &self.expected.outcomes, &outcomes)
    }
}

/// Operations per benchmark iteration: `KOC_BENCH_OPERATIONS` if set, else
/// 100 000 under `cargo bench`, and 2 000 in test mode (`-- --test`, or
/// `cargo test --benches`, where criterion only checks that each benchmark
/// runs).
///
/// # Panics
///
/// When `KOC_BENCH_OPERATIONS` is not a number: a benchmark is a tool, and
/// its user should hear at once.
#[allow(clippy::panic)]
pub fn operations_from_args() -> u64 {
    if let Ok(n) = std::env::var("KOC_BENCH_OPERATIONS") {
        return n
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("KOC_BENCH_OPERATIONS=`{n}`: expected a number"));
    }
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test") {
        100_000
    } else {
        2_000
    }
}

/// The runtime the benchmarks drive the stores with: as `koc`'s, two worker
/// threads.
///
/// # Panics
///
/// When the runtime cannot start.
#[allow(clippy::expect_used)]
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("starting the tokio runtime")
}
