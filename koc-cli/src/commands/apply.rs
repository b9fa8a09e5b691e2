//! `koc apply FILE.koc --branch B --user U`: "apply directly": enqueue the
//! file, then process the operations it added (by id), in one go.

use std::io::Write;

use koc_core::{OperationId, PendingFilter, ProcessRun, ProcessSummary, Store, UploadId};

use crate::cli::ApplyArgs;
use crate::commands::{enqueue, process};
use crate::error::{CliError, CliResult, Status};
use crate::output::json::{StreamedObject, SummaryJson};
use crate::output::progress;

/// Pending operations read at a time when collecting an upload's ids.
const PAGE: usize = 10_000;

/// The ids of the operations of `upload` still pending, in processing
/// order.
///
/// Pages through the upload's pending operations with the store's upload
/// filter (the rest of the queue is not read); their ids, not the
/// operations, are held.
///
/// # Errors
///
/// A database error.
pub async fn pending_ids_of_upload(
    store: &dyn Store,
    branch: &str,
    upload: UploadId,
) -> Result<Vec<OperationId>, CliError> {
    let mut ids = Vec::new();
    let mut filter = PendingFilter::all()
        .branch(branch)
        .upload(upload)
        .limit(PAGE);
    loop {
        let page = store
            .pending(&filter)
            .await
            .map_err(CliError::store("listing pending operations"))?;
        ids.extend(page.iter().map(|p| p.id));
        match page.last() {
            Some(last) if page.len() == PAGE => {
                let (time, id) = last.order_key();
                filter = filter.after(time, id);
            }
            _ => return Ok(ids),
        }
    }
}

/// Enqueues and processes; exit 1 when lines were rejected or operations
/// failed.
pub async fn run(args: &ApplyArgs, store: &dyn Store, out: &mut (dyn Write + Send)) -> CliResult {
    let show_progress = progress::wanted(args.output.json);
    let report = enqueue::enqueue(store, &args.file, &args.upload, show_progress).await?;
    let ids = match report.upload {
        Some(upload) if report.added > 0 => {
            pending_ids_of_upload(store, &args.upload.branch, UploadId(upload)).await?
        }
        _ => Vec::new(),
    };
    let run = process::run_for(
        ProcessRun::ids(args.upload.user.clone(), ids.clone()),
        &args.options,
    );
    let rejected = !report.rejected.is_empty();

    let summary = if args.output.json {
        let mut object = StreamedObject::begin(out)?;
        object.fields(&report)?;
        object.begin_array("results")?;
        let summary = if ids.is_empty() {
            ProcessSummary::default()
        } else {
            process::process(
                store,
                &run,
                process::Results::Json(&mut object),
                show_progress,
            )
            .await?
        };
        object.end_array()?;
        object.fields(&SummaryJson::from(&summary))?;
        object.finish()?;
        summary
    } else {
        enqueue::write_human(out, &report, &args.upload)?;
        if ids.is_empty() {
            writeln!(out, "Nothing new to process.")?;
            return Ok(Status::partial_if(rejected));
        }
        writeln!(out)?;
        let summary = process::process(
            store,
            &run,
            process::Results::Table(&mut *out),
            show_progress,
        )
        .await?;
        process::write_summary(out, &summary)?;
        summary
    };
    Ok(process::status(&summary).and(Status::partial_if(rejected)))
}
