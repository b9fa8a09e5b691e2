//! `gen-library`: writes a synthetic library (the CSV files `koc load`
//! reads) and the `.koc` files of its desks' outages, deterministically.
//!
//! ```text
//! cargo run --release -p koc-benches --bin gen-library -- \
//!     --patrons 100000 --items 500000 --ops 1000000 --seed 1 --out DIR
//! ```
//!
//! Writes into DIR: `patrons.csv`, `items.csv`, `loans.csv`, `fines.csv`,
//! `holds.csv`, `rules.csv`, one `.koc` file per outage (`--files`, named
//! as the desktop tool names them) and `expected.json`: for each file, its
//! lines by kind and what `koc enqueue` and `koc process --all --json` must
//! report for it when the files are loaded, enqueued and processed in order.
//! Prints the same summary.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use koc_benches::library::{
    FileSummary, Library, LibrarySpec, write_catalogue_csv, write_loans_csv,
};

/// Writes a synthetic library and the .koc files of its outages.
#[derive(Debug, Parser)]
#[command(name = "gen-library", about, long_about = None)]
struct Args {
    /// Patrons.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..=999_999_999))]
    patrons: u32,
    /// Items.
    #[arg(long, default_value_t = 500_000, value_parser = clap::value_parser!(u32).range(1..=999_999_999))]
    items: u32,
    /// Transaction lines in each .koc file (repeated lines included).
    #[arg(long, default_value_t = 1_000_000)]
    ops: u64,
    /// .koc files, one per outage, each continuing from the one before.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    files: u32,
    /// The seed: the same seed writes the same files, byte for byte.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The directory to write into (created when missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gen-library: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let started = Instant::now();
    let dir = &args.out;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let library = Library::new(
        LibrarySpec::new(args.patrons, args.items, args.ops, args.seed).files(args.files),
    );
    let written = |what: &str| {
        let dir = dir.display().to_string();
        let what = what.to_owned();
        move |e: std::io::Error| format!("cannot write {what} in {dir}: {e}")
    };

    // The catalogue's files do not depend on the outages: write them on the
    // other core while the outages are simulated.
    let (csv, files) = std::thread::scope(|scope| {
        let csv = scope.spawn(|| write_catalogue_csv(&library, dir));
        let mut simulation = library.simulation();
        let mut files = Vec::new();
        for _ in 0..args.files {
            let name = simulation.next_file_name();
            let path = dir.join(&name);
            let file = File::create(&path).map_err(written(&name))?;
            let summary = simulation
                .write_file(BufWriter::with_capacity(1 << 16, file))
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            files.push(summary);
        }
        let aftermath = simulation.finish();
        let loans = write_loans_csv(&library, &aftermath, dir).map_err(written("loans.csv"))?;
        let csv = csv
            .join()
            .map_err(|_| "the thread writing the CSV files failed".to_owned())?
            .map_err(written("the CSV files"))?;
        Ok::<_, String>(((csv, loans, aftermath.conflicted_items()), files))
    })?;
    let ((counts, loans, conflicted), files) = (csv, files);

    let expected = serde_json::json!({
        "seed": args.seed,
        "patrons": counts.patrons,
        "items": counts.items,
        "loans": loans,
        "fines": counts.fines,
        "holds": counts.holds,
        "rules": counts.rules,
        "conflict_items_touched": conflicted,
        "files": files.iter().map(FileSummary::to_json).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&expected).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("expected.json"), text + "\n").map_err(written("expected.json"))?;

    println!(
        "gen-library: seed {}, in {} ({:.1} s)",
        args.seed,
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "  patrons.csv {}  items.csv {}  loans.csv {} ({} lent after the outages: conflicts)  fines.csv {}  holds.csv {}  rules.csv {}",
        counts.patrons, counts.items, loans, conflicted, counts.fines, counts.holds, counts.rules
    );
    for file in &files {
        println!("{file}");
    }
    println!("  expected.json: what koc enqueue and koc process --all --json must report");
    Ok(())
}
