//! `koc process (--all | ID...)`: apply pending operations, printing one
//! row per operation as each batch commits, then the totals.

use std::io::Write;

use koc_core::{OperationId, PendingFilter, ProcessRun, ProcessSummary, ProcessedOperation, Store};

use crate::cli::{ProcessArgs, ProcessOptions};
use crate::commands::staff_user;
use crate::error::{CliError, CliResult, Status};
use crate::output::json::{ResultJson, StreamedObject, SummaryJson};
use crate::output::{count, progress, time};

/// Where the results of a run go, one batch at a time.
pub enum Results<'o, 'w> {
    /// Rows of a table.
    Table(&'w mut (dyn Write + Send)),
    /// Elements of the `results` array of a JSON object.
    Json(&'o mut StreamedObject<'w>),
}

/// Runs `run`, sending each committed batch to `results` and advancing a
/// progress bar when `show_progress`; returns the totals.
///
/// # Errors
///
/// [`CliError::Store`] when the database or loan policy fails (batches
/// already printed stay committed); [`CliError::Output`] when printing
/// fails.
pub async fn process(
    store: &dyn Store,
    run: &ProcessRun,
    results: Results<'_, '_>,
    show_progress: bool,
) -> Result<ProcessSummary, CliError> {
    let total = if show_progress {
        match &run.selection {
            koc_core::Selection::Ids(ids) => ids.len() as u64,
            _ => {
                let mut filter = PendingFilter::all();
                if let Some(branch) = &run.branch {
                    filter = filter.branch(branch.clone());
                }
                store
                    .count_pending(&filter)
                    .await
                    .map_err(CliError::store("counting pending operations"))?
            }
        }
    } else {
        0
    };
    let verb = if run.dry_run { "dry run" } else { "process" };
    let bar = progress::operations(total, show_progress, verb);

    let mut results = results;
    let mut write_error: Option<std::io::Error> = None;
    let mut header_written = false;
    let mut observer = |batch: &[ProcessedOperation]| {
        if let Some(bar) = &bar {
            bar.inc(batch.len() as u64);
        }
        if write_error.is_some() {
            return;
        }
        let written = match &mut results {
            Results::Table(out) => {
                let mut write = || -> std::io::Result<()> {
                    if !header_written {
                        writeln!(out, "{}", table_header())?;
                        header_written = true;
                    }
                    for result in batch {
                        write_row(&mut **out, result)?;
                    }
                    out.flush()
                };
                match &bar {
                    Some(bar) => bar.suspend(write),
                    None => write(),
                }
            }
            Results::Json(object) => batch
                .iter()
                .try_for_each(|r| object.item(&ResultJson::from(r)))
                .map_err(|e| match e {
                    CliError::Output(io) => io,
                    other => std::io::Error::other(other.to_string()),
                }),
        };
        if let Err(e) = written {
            write_error = Some(e);
        }
    };
    let summary = store.process(run, &mut observer).await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let summary = summary.map_err(CliError::store(if run.dry_run {
        "dry run stopped"
    } else {
        "processing stopped (the batches printed above were committed)"
    }))?;
    if let Some(e) = write_error {
        return Err(CliError::Output(e));
    }
    Ok(summary)
}

/// The header of the results table.
pub fn table_header() -> String {
    format!(
        "{:>6}  {:<23}  {:<7}  {:<14}  {:<14}  {:<16}  MESSAGE",
        "ID", "TIME", "ACTION", "CARD", "BARCODE/AMOUNT", "OUTCOME"
    )
}

/// A row per operation, and a line per warning under it.
pub fn write_row(out: &mut dyn Write, result: &ProcessedOperation) -> std::io::Result<()> {
    let op = &result.pending.operation;
    let what = match (&op.barcode, op.amount) {
        (Some(barcode), _) => barcode.clone(),
        (None, Some(amount)) => amount.to_string(),
        (None, None) => "-".to_owned(),
    };
    writeln!(
        out,
        "{:>6}  {:<23}  {:<7}  {:<14}  {:<14}  {:<16}  {}",
        result.pending.id,
        time::millis(op.time),
        op.action.as_str(),
        op.cardnumber.as_deref().unwrap_or("-"),
        what,
        result.outcome.code.as_str(),
        result.outcome.message
    )?;
    for warning in &result.outcome.warnings {
        writeln!(out, "{:>8} {}: {}", "!", warning.code, warning.message)?;
    }
    Ok(())
}

/// The totals, in words.
pub fn write_summary(out: &mut dyn Write, summary: &ProcessSummary) -> std::io::Result<()> {
    let outcomes: Vec<String> = summary
        .outcomes
        .iter()
        .map(|(code, n)| format!("{n} {code}"))
        .collect();
    let outcomes = if outcomes.is_empty() {
        String::new()
    } else {
        format!(": {}", outcomes.join(", "))
    };
    let verb = if summary.dry_run {
        "Dry run, nothing changed: would process"
    } else {
        "Processed"
    };
    writeln!(
        out,
        "{verb} {}{outcomes}. {} failed, {} with warnings.",
        count(summary.processed, "operation", "operations"),
        summary.failed(),
        summary.with_warnings,
    )?;
    if !summary.not_pending.is_empty() {
        let ids: Vec<String> = summary
            .not_pending
            .iter()
            .map(|id| id.to_string())
            .collect();
        writeln!(
            out,
            "Not pending (unknown, already processed or deleted): {}.",
            ids.join(", ")
        )?;
    }
    Ok(())
}

/// Whether a run's totals make exit code 1.
pub fn status(summary: &ProcessSummary) -> Status {
    Status::partial_if(summary.failed() > 0 || !summary.not_pending.is_empty())
}

/// `run` with the options' conflict rule and batch size.
pub fn run_for(run: ProcessRun, options: &ProcessOptions) -> ProcessRun {
    run.conflicts(options.conflicts.into())
        .batch_size(options.batch_size.unwrap_or(koc_core::DEFAULT_BATCH_SIZE))
}

/// Processes the operations asked for.
pub async fn run(args: &ProcessArgs, store: &dyn Store, out: &mut (dyn Write + Send)) -> CliResult {
    let user = staff_user(args.user.as_deref());
    let mut run = if args.all {
        ProcessRun::all(user)
    } else {
        ProcessRun::ids(user, args.ids.iter().copied().map(OperationId).collect())
    };
    if let Some(branch) = &args.branch {
        run = run.branch(branch.clone());
    }
    let run = run_for(run, &args.options).dry_run(args.dry_run);
    let show_progress = progress::wanted(args.output.json);
    let summary = if args.output.json {
        let mut object = StreamedObject::begin(out)?;
        object.begin_array("results")?;
        let summary = process(store, &run, Results::Json(&mut object), show_progress).await?;
        object.end_array()?;
        object.fields(&SummaryJson::from(&summary))?;
        object.finish()?;
        summary
    } else {
        let summary = process(store, &run, Results::Table(&mut *out), show_progress).await?;
        write_summary(out, &summary)?;
        summary
    };
    Ok(status(&summary))
}
