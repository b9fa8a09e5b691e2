//! `koc demo [--dir DIR]`: the whole workflow on the bundled sample library,
//! in a fresh database, told step by step.
//!
//! Every step goes through the same code as the command it shows (`load`,
//! `validate`, `enqueue`, `pending`, `process`, `patron`, `history`), on
//! the sample files written into the demo's directory.

use std::io::Write;
use std::path::{Path, PathBuf};

use koc_core::{HistoryFilter, OutcomeCode, ProcessRun, ProcessedOperation, Store, StoreExt};

use crate::cli::{DemoArgs, OutputArgs, PendingArgs, UploadArgs};
use crate::commands::lookup::Names;
use crate::commands::{enqueue, pending, process, validate};
use crate::csv_load;
use crate::database::Database;
use crate::error::{CliError, CliResult, Status};
use crate::output::count;
use crate::sample;

/// Where the demo works: a directory kept, or a temporary one removed at
/// the end.
enum Place {
    Kept(PathBuf),
    Temporary(tempfile::TempDir),
}

impl Place {
    fn path(&self) -> &Path {
        match self {
            Place::Kept(path) => path,
            Place::Temporary(dir) => dir.path(),
        }
    }
}

fn prepare(dir: Option<&Path>) -> Result<Place, CliError> {
    let place = match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| CliError::Input(format!("cannot create {}: {e}", dir.display())))?;
            let database = dir.join("koc.sqlite");
            if database.exists() {
                return Err(CliError::Input(format!(
                    "{} exists already: the demo needs a fresh database; give another --dir or remove it",
                    database.display()
                )));
            }
            Place::Kept(dir.to_owned())
        }
        None => Place::Temporary(
            tempfile::Builder::new()
                .prefix("koc-demo-")
                .tempdir()
                .map_err(|e| {
                    CliError::Input(format!("cannot create a temporary directory: {e}"))
                })?,
        ),
    };
    for (_, name, text) in sample::CSV {
        write_file(&place.path().join(name), text.as_bytes())?;
    }
    write_file(&place.path().join(sample::KOC_NAME), sample::KOC)?;
    Ok(place)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    std::fs::write(path, bytes)
        .map_err(|e| CliError::Input(format!("cannot write {}: {e}", path.display())))
}

fn step(out: &mut dyn Write, number: u32, title: &str) -> std::io::Result<()> {
    writeln!(out)?;
    writeln!(out, "== {number}. {title}")?;
    writeln!(out)
}

/// Runs the demo.
pub async fn run(args: &DemoArgs, out: &mut (dyn Write + Send)) -> CliResult {
    let place = prepare(args.dir.as_deref())?;
    let dir = place.path().to_owned();
    let database = Database::Sqlite(dir.join("koc.sqlite"));
    writeln!(
        out,
        "koc demo: a library's offline circulation, start to finish, on a sample library."
    )?;
    writeln!(out, "Working in {} (database {database}).", dir.display())?;
    // SQLite: there is no server to wait for.
    let store = database.open(std::time::Duration::ZERO).await?;
    let store = &*store;

    step(
        out,
        1,
        "Load the library's data (what the system knew before the outage)",
    )?;
    for (kind, name, _) in sample::CSV {
        let report = csv_load::load(store, kind, &dir.join(name)).await?;
        writeln!(
            out,
            "$ koc load {:<8} {:<12}  # {}",
            kind.as_str(),
            name,
            count(report.rows as u64, "row", "rows")
        )?;
    }
    writeln!(
        out,
        "\nAmong them: María López has had \"A Brief History of Time\" since 1 July (due 15 July),\n\
         Jane Doe owes two fines (3.50 and 2.00), John Smith has a hold on \"Seven Samurai\",\n\
         Kai Chen is restricted and \"Lost Atlas\" is marked lost."
    )?;

    step(
        out,
        2,
        "The system goes down; desk1 records transactions in a .koc file",
    )?;
    let koc = dir.join(sample::KOC_NAME);
    let checked = validate::validate(&koc)?;
    writeln!(out, "$ koc validate {}", sample::KOC_NAME)?;
    validate::write_human(out, &checked)?;

    step(
        out,
        3,
        "The system is back: upload the file to the pending queue",
    )?;
    let upload = UploadArgs {
        branch: sample::BRANCH.to_owned(),
        user: sample::USER.to_owned(),
        workstation: Some(sample::WORKSTATION.to_owned()),
        strict: false,
    };
    writeln!(
        out,
        "$ koc enqueue {} --branch {} --user {} --workstation {}",
        sample::KOC_NAME,
        sample::BRANCH,
        sample::USER,
        sample::WORKSTATION
    )?;
    let report = enqueue::enqueue(store, &koc, &upload, false).await?;
    enqueue::write_human(out, &report, &upload)?;

    step(out, 4, "Review the queue, as staff would before processing")?;
    writeln!(out, "$ koc pending")?;
    pending::run(
        &PendingArgs {
            branch: None,
            action: None,
            upload: None,
            limit: None,
            output: OutputArgs::default(),
        },
        store,
        out,
    )
    .await?;

    step(out, 5, "Process everything, in time order")?;
    writeln!(out, "$ koc process --all --user {}", sample::USER)?;
    let mut results: Vec<ProcessedOperation> = Vec::new();
    let mut collect = |batch: &[ProcessedOperation]| results.extend_from_slice(batch);
    let summary = store
        .process(&ProcessRun::all(sample::USER), &mut collect)
        .await
        .map_err(CliError::store("processing"))?;
    writeln!(out, "{}", process::table_header())?;
    for result in &results {
        process::write_row(out, result)?;
    }
    process::write_summary(out, &summary)?;

    step(out, 6, "What happened, in plain words")?;
    tell(store, &results, out).await?;

    step(out, 7, "The data afterwards")?;
    let jane = "23529001000463";
    let balance = store
        .balance(jane)
        .await
        .map_err(CliError::store("reading an account"))?;
    writeln!(
        out,
        "$ koc patron {jane}\nJane Doe now owes {balance} (5.50 in fines, 5.00 paid offline, oldest fine first)."
    )?;
    let loans = store
        .loans(&koc_core::LoanFilter::all())
        .await
        .map_err(CliError::store("listing loans"))?;
    let loans = crate::commands::loans::with_names(store, &loans).await?;
    writeln!(
        out,
        "\n$ koc loans\n{}.",
        count(loans.len() as u64, "loan", "loans")
    )?;
    crate::commands::loans::table(&loans).write(out)?;

    step(
        out,
        8,
        "Upload the same file again: nothing is applied twice",
    )?;
    writeln!(
        out,
        "$ koc enqueue {} --branch {} --user {} --workstation {}",
        sample::KOC_NAME,
        sample::BRANCH,
        sample::USER,
        sample::WORKSTATION
    )?;
    let again = enqueue::enqueue(store, &koc, &upload, false).await?;
    enqueue::write_human(out, &again, &upload)?;

    step(out, 9, "What needs a person")?;
    let failed = store
        .history(&HistoryFilter::failed())
        .await
        .map_err(CliError::store("reading history"))?;
    writeln!(
        out,
        "$ koc history --failed\n{} failed and not requeued:",
        count(failed.len() as u64, "operation", "operations")
    )?;
    for entry in &failed {
        let op = &entry.pending.operation;
        writeln!(
            out,
            "  {} {} {}: {} Fix the catalogue, then `koc requeue {}` and process it again.",
            entry.pending.id,
            op.action,
            op.barcode
                .as_deref()
                .or(op.cardnumber.as_deref())
                .unwrap_or("-"),
            entry.outcome.message,
            entry.pending.id
        )?;
    }

    writeln!(out)?;
    match &place {
        Place::Kept(path) => {
            let db = path.join("koc.sqlite");
            writeln!(
                out,
                "Done. The database and the sample files are in {}. Try:",
                path.display()
            )?;
            for command in [
                "pending",
                "history",
                "loans",
                "patron jdoe",
                "patron search lopez",
                "item 31000000123458",
            ] {
                writeln!(out, "  koc --database {} {command}", db.display())?;
            }
        }
        Place::Temporary(_) => writeln!(
            out,
            "Done. The temporary database is removed now; `koc demo --dir DIR` keeps it to explore."
        )?,
    }
    out.flush()?;
    drop(place);
    Ok(Status::Success)
}

/// A sentence per processed operation, and its warnings.
async fn tell(
    store: &dyn Store,
    results: &[ProcessedOperation],
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let names = Names::load(
        store,
        results
            .iter()
            .filter_map(|r| r.pending.operation.cardnumber.as_deref()),
        results
            .iter()
            .filter_map(|r| r.pending.operation.barcode.as_deref()),
    )
    .await?;
    for result in results {
        let op = &result.pending.operation;
        let who = op
            .cardnumber
            .as_deref()
            .map(|c| names.patron(c).unwrap_or(c).to_owned())
            .unwrap_or_default();
        let what = op
            .barcode
            .as_deref()
            .map(|b| match names.title(b) {
                Some(title) => format!("\"{title}\""),
                None => format!("item {b}"),
            })
            .unwrap_or_default();
        let at = op.time.format("%H:%M");
        let sentence = match result.outcome.code {
            OutcomeCode::Issued => format!("{who} borrowed {what}."),
            OutcomeCode::Renewed => format!("{who} renewed {what}."),
            OutcomeCode::Returned => format!("{what} came back."),
            OutcomeCode::PaymentRecorded => format!(
                "{who} paid {}.",
                op.amount.map(|a| a.to_string()).unwrap_or_default()
            ),
            code => format!(
                "{} of {}: NOT APPLIED ({code}: {})",
                op.action,
                if what.is_empty() { &who } else { &what },
                result.outcome.message
            ),
        };
        writeln!(out, "  {at}  {sentence}")?;
        for warning in &result.outcome.warnings {
            writeln!(out, "         note: {}", warning.message)?;
        }
    }
    Ok(())
}
