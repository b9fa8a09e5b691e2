//! `koc enqueue FILE.koc --branch B --user U`: upload a file to the pending
//! queue.

use std::io::Write;
use std::path::Path;

use koc_core::{FileUpload, FileUploadError, Store, Upload, enqueue_file};

use crate::cli::{EnqueueArgs, UploadArgs};
use crate::commands::koc_file::KocFile;
use crate::commands::validate;
use crate::error::{CliError, CliResult, Status};
use crate::output::json::EnqueueJson;
use crate::output::{count, progress, write_json};

/// Streams `path` into the queue as `upload` says. With `--strict`, reads
/// the file first and queues nothing when a line is rejected
/// ([`EnqueueJson::refused`]).
///
/// # Errors
///
/// [`CliError::Input`] when the file cannot be read, [`CliError::Store`]
/// when the database fails (batches before it stay queued; enqueuing the
/// file again adds only the rest).
pub async fn enqueue(
    store: &dyn Store,
    path: &Path,
    upload: &UploadArgs,
    show_progress: bool,
) -> Result<EnqueueJson, CliError> {
    if upload.strict {
        let checked = validate::validate(path)?;
        if !checked.errors.is_empty() {
            return Ok(EnqueueJson {
                file: KocFile::open(path)?.name,
                upload: None,
                transactions: checked.transactions,
                added: 0,
                duplicates: 0,
                rejected: checked.errors,
                warnings: checked.warnings,
                refused: true,
            });
        }
    }
    let file = KocFile::open(path)?;
    let who = Upload {
        userid: upload.user.clone(),
        branch: upload.branch.clone(),
        workstation: upload.workstation.clone(),
    };
    let settings = FileUpload::new(&file.name, &who, chrono::Local);
    let bar = progress::bytes(file.size, show_progress, &format!("enqueue {}", file.name));
    let mut on_progress = |p: koc_core::UploadProgress| {
        if let Some(bar) = &bar {
            bar.set_position(p.bytes);
        }
    };
    let result = enqueue_file(store, file.reader, &settings, &mut on_progress).await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = result.map_err(|e| match e {
        FileUploadError::Io { file, line, source } => {
            CliError::Input(format!("cannot read {file} at line {line}: {source}"))
        }
        FileUploadError::Store(source) => CliError::Store {
            context: format!("enqueuing {}", file.shown),
            source,
        },
        other => CliError::Input(other.to_string()),
    })?;
    Ok(EnqueueJson::new(&file.name, &report, false))
}

/// The human report of an enqueue.
pub fn write_human(
    out: &mut dyn Write,
    report: &EnqueueJson,
    upload: &UploadArgs,
) -> std::io::Result<()> {
    if report.refused {
        writeln!(
            out,
            "Refused {} (--strict): {} rejected; nothing was queued.",
            report.file,
            count(report.rejected.len() as u64, "line is", "lines are"),
        )?;
    } else {
        let upload_id = report
            .upload
            .map(|id| format!(" (upload {id})"))
            .unwrap_or_default();
        writeln!(
            out,
            "Enqueued {} for library {} by {}{upload_id}: {} read; {} added, {} already queued or processed, {} rejected.",
            report.file,
            upload.branch,
            upload.user,
            count(report.transactions, "transaction", "transactions"),
            report.added,
            report.duplicates,
            report.rejected.len(),
        )?;
    }
    validate::write_lines(out, "rejected", &report.rejected)?;
    validate::write_lines(out, "warning", &report.warnings)
}

/// Enqueues a file; exit 1 when lines were rejected.
pub async fn run(args: &EnqueueArgs, store: &dyn Store, out: &mut dyn Write) -> CliResult {
    let show_progress = progress::wanted(args.output.json);
    let report = enqueue(store, &args.file, &args.upload, show_progress).await?;
    if args.output.json {
        write_json(out, &report)?;
    } else {
        write_human(out, &report, &args.upload)?;
    }
    Ok(Status::partial_if(!report.rejected.is_empty()))
}
