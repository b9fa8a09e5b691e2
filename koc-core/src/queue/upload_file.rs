use std::io::BufRead;

use chrono::TimeZone;
use koc_format::{Line, ParserConfig, Reader};
use serde::{Deserialize, Serialize};

use crate::{Duplicate, Error, Operation, Queue, Upload, UploadId};

/// Operations per enqueue transaction when streaming a file.
pub const DEFAULT_ENQUEUE_BATCH: usize = 10_000;

/// A line of an uploaded file that was not queued, or was queued with a
/// doubt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineReport {
    /// The line number, from 1.
    pub line: u64,
    /// The byte offset of the line, from 0.
    pub byte: u64,
    /// The code (`unknown_command`, `invalid_timestamp`, `extra_fields` ...).
    pub kind: String,
    /// What was wrong, for a person.
    pub message: String,
}

/// What enqueuing a whole `.koc` file did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileUploadReport {
    /// The upload the file's operations joined.
    pub upload: UploadId,
    /// Transactions read from the file.
    pub transactions: u64,
    /// Operations added to the queue.
    pub added: u64,
    /// Operations already known (see [`Duplicate`]).
    pub duplicates: Vec<Duplicate>,
    /// Lines that are neither transactions nor blank, with why.
    pub rejected: Vec<LineReport>,
    /// Doubts about lines that were read anyway (missing header, extra
    /// fields, unknown version).
    pub warnings: Vec<LineReport>,
}

/// How far an upload has got, for a progress bar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UploadProgress {
    /// Bytes of the file read.
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Operations added so far.
    pub added: u64,
}

/// Why a file could not be enqueued (bad lines are not such a reason: they
/// are reported in [`FileUploadReport::rejected`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileUploadError {
    /// The file could not be read; batches before `line` were enqueued, and
    /// enqueuing the file again adds only the rest (the others are
    /// duplicates).
    #[error("reading {file} at line {line}: {source}")]
    Io {
        /// The file's name.
        file: String,
        /// The last line read.
        line: u64,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The store failed; batches before this one were enqueued.
    #[error(transparent)]
    Store(#[from] Error),
}

/// How to stream a file into the queue.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FileUpload<'a, Tz: TimeZone> {
    /// The file's name, recorded as the source of each operation.
    pub file_name: &'a str,
    /// Who uploads, for which library.
    pub upload: &'a Upload,
    /// The library's time zone, for timestamps written with an offset.
    pub tz: Tz,
    /// Operations per enqueue transaction.
    pub batch_size: usize,
    /// The reader's settings (line limit).
    pub parser: ParserConfig,
}

impl<'a, Tz: TimeZone> FileUpload<'a, Tz> {
    /// An upload of `file_name` by `upload`, in the zone `tz`, with default
    /// settings.
    pub fn new(file_name: &'a str, upload: &'a Upload, tz: Tz) -> FileUpload<'a, Tz> {
        FileUpload {
            file_name,
            upload,
            tz,
            batch_size: DEFAULT_ENQUEUE_BATCH,
            parser: ParserConfig::default(),
        }
    }

    /// With `batch_size` operations per transaction (at least 1).
    pub fn batch_size(mut self, batch_size: usize) -> FileUpload<'a, Tz> {
        self.batch_size = batch_size.max(1);
        self
    }
}

fn line_report(position: koc_format::Position, kind: &str, message: String) -> LineReport {
    LineReport {
        line: position.line,
        byte: position.byte,
        kind: kind.to_owned(),
        message,
    }
}

/// Streams a `.koc` file into the queue in constant memory: reads it with
/// [`Reader`], turns each transaction into an [`Operation`], and enqueues
/// them in batches that all join one upload. Bad lines are reported, never
/// dropped silently, and do not stop the good ones. Enqueuing the same file
/// again adds nothing.
///
/// ```
/// use koc_core::{FileUpload, MemoryStore, Upload, enqueue_file};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryStore::new();
/// let file = b"Version=1.0\tGenerator=kocDesktop\tGeneratorVersion=1.3.2\n\
///              2026-07-22 10-16-02 000\treturn\t31000000654321\n\
///              2026-07-22 10-17-45 000\tpayment\t23529001000463\t5,00\n";
/// let upload = Upload { userid: "admin".into(), branch: "CPL".into(), workstation: None };
/// let settings = FileUpload::new("desk1.koc", &upload, chrono::Local);
/// let report = enqueue_file(&store, &file[..], &settings, &mut |_| {}).await?;
/// assert_eq!(report.added, 1);
/// assert_eq!(report.rejected[0].line, 3);
/// assert_eq!(report.rejected[0].kind, "invalid_amount");
/// # Ok::<(), koc_core::FileUploadError>(())
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// [`FileUploadError`] when the file cannot be read or the store fails;
/// the batches before it stay enqueued.
pub async fn enqueue_file<S, R, Tz>(
    store: &S,
    reader: R,
    settings: &FileUpload<'_, Tz>,
    progress: &mut (dyn FnMut(UploadProgress) + Send),
) -> Result<FileUploadReport, FileUploadError>
where
    S: Queue + ?Sized,
    R: BufRead + Send,
    Tz: TimeZone + Send + Sync,
    Tz::Offset: Send + Sync,
{
    let mut reader = Reader::with_config(reader, settings.parser);
    let mut report = FileUploadReport::default();
    let mut upload = None;
    let mut batch: Vec<Operation> = Vec::with_capacity(settings.batch_size);
    loop {
        let lines_before = reader.lines_read();
        let line = reader.read_line().map_err(|source| FileUploadError::Io {
            file: settings.file_name.to_owned(),
            line: lines_before + 1,
            source,
        })?;
        let Some(line) = line else {
            break;
        };
        match line {
            Line::Header(header) => {
                if let Some(warning) = header.warning() {
                    report.warnings.push(line_report(
                        warning.position,
                        warning.kind.code(),
                        warning.message(),
                    ));
                }
            }
            Line::Transaction(record) => {
                report.transactions += 1;
                for warning in record.warnings() {
                    report.warnings.push(line_report(
                        warning.position,
                        warning.kind.code(),
                        warning.message(),
                    ));
                }
                batch.push(Operation::from_record(
                    &record,
                    settings.upload,
                    settings.file_name,
                    &settings.tz,
                ));
            }
            Line::Blank(_) => {}
            Line::Error(error) => {
                report.rejected.push(line_report(
                    error.position,
                    error.kind.code(),
                    error.message(),
                ));
            }
        }
        if batch.len() >= settings.batch_size {
            flush(store, &mut batch, &mut upload, &mut report).await?;
            progress(UploadProgress {
                bytes: reader.byte_offset(),
                lines: reader.lines_read(),
                added: report.added,
            });
        }
    }
    flush(store, &mut batch, &mut upload, &mut report).await?;
    progress(UploadProgress {
        bytes: reader.byte_offset(),
        lines: reader.lines_read(),
        added: report.added,
    });
    Ok(report)
}

async fn flush<S: Queue + ?Sized>(
    store: &S,
    batch: &mut Vec<Operation>,
    upload: &mut Option<UploadId>,
    report: &mut FileUploadReport,
) -> Result<(), Error> {
    if batch.is_empty() {
        return Ok(());
    }
    // The batch is given away (a store may hand it to another thread
    // without copying it) and starts again, as large.
    let operations = std::mem::replace(batch, Vec::with_capacity(batch.capacity()));
    let queued = store.enqueue_owned(*upload, operations).await?;
    *upload = Some(queued.upload);
    report.upload = queued.upload;
    report.added += queued.added.len() as u64;
    report.duplicates.extend(queued.duplicates);
    Ok(())
}
