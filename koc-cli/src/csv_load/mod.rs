//! Loading the library's circulation data from CSV files.
//!
//! Every file is read and checked whole before anything is written: each
//! bad row is reported with its line number, and then nothing of the file
//! is loaded. A good file of fines, holds or rules is written with one
//! upsert call, which the store makes atomic. Patrons, items and loans, the
//! large files (a catalogue of millions of items), are read twice instead
//! of held whole: a first pass checks every row, keeping only what the
//! checks across rows need (card numbers, usernames, barcodes), and a
//! second writes the rows [`CHUNK`] at a time, each chunk one upsert call.
//! Memory stays that of the keys and one chunk; if the database fails
//! part-way, the chunks written stay written, and loading the file again
//! writes it whole (each row replaces the one with its key).

mod fields;
mod fines;
mod holds;
mod items;
mod loans;
mod patrons;
mod references;
mod rows;
mod rules;

use std::path::Path;

use koc_core::Store;
use serde::Serialize;

use crate::cli::LoadKind;
use crate::error::CliError;

/// What a load did.
#[derive(Clone, Debug, Serialize)]
pub struct LoadReport {
    /// `patrons`, `items` ...
    pub kind: &'static str,
    /// The file as given.
    pub file: String,
    /// Rows read and written.
    pub rows: usize,
    /// Rows that added something new; fines only (a fine already recorded
    /// is not added again).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added: Option<usize>,
}

/// Loads `path` as `kind` into `store`: all of it or, when any row is bad,
/// none of it.
///
/// # Errors
///
/// [`CliError::Input`] for an unreadable file or a missing column,
/// [`CliError::BadRows`] listing every bad row, [`CliError::Store`] when the
/// database refuses.
pub async fn load(store: &dyn Store, kind: LoadKind, path: &Path) -> Result<LoadReport, CliError> {
    let now = chrono::Local::now().naive_local().with_nanosecond_zero();
    let file = path.display().to_string();
    let failed = |what: &str| CliError::store(format!("{file}: nothing loaded: {what}"));
    let mut report = LoadReport {
        kind: kind.as_str(),
        file: file.clone(),
        rows: 0,
        added: None,
    };
    match kind {
        LoadKind::Patrons => {
            let (keys, mut bad) =
                rows::check(path, patrons::REQUIRED, patrons::parse, patrons::Key::from)?;
            bad.extend(patrons::conflicts(&keys));
            rows::none_bad(path, bad)?;
            drop(keys);
            report.rows = write_in_chunks(path, patrons::REQUIRED, patrons::parse, async |chunk| {
                store.upsert_patrons(chunk).await
            })
            .await?;
        }
        LoadKind::Items => {
            let bad = rows::check(path, items::REQUIRED, items::parse, drop)?.1;
            rows::none_bad(path, bad)?;
            report.rows = write_in_chunks(path, items::REQUIRED, items::parse, async |chunk| {
                store.upsert_items(chunk).await
            })
            .await?;
        }
        LoadKind::Loans => {
            let (keys, mut bad) =
                rows::check(path, loans::REQUIRED, loans::parse, loans::Key::from)?;
            bad.extend(loans::conflicts(&keys));
            bad.extend(
                references::check(
                    store,
                    &keys,
                    |l| Some(l.cardnumber.as_str()),
                    |l| Some(l.barcode.as_str()),
                )
                .await?,
            );
            rows::none_bad(path, bad)?;
            drop(keys);
            report.rows = write_in_chunks(path, loans::REQUIRED, loans::parse, async |chunk| {
                store.upsert_loans(chunk).await
            })
            .await?;
        }
        LoadKind::Fines => {
            let (rows, mut bad) = rows::read(path, fines::REQUIRED, fines::parse)?;
            bad.extend(
                references::check(store, &rows, |d| Some(d.cardnumber.as_str()), |_| None).await?,
            );
            rows::none_bad(path, bad)?;
            let debts: Vec<_> = rows.into_iter().map(|(_, d)| d).collect();
            let added = store
                .upsert_debts(&debts)
                .await
                .map_err(failed("saving fines"))?;
            report.rows = debts.len();
            report.added = Some(added);
        }
        LoadKind::Holds => {
            let (rows, mut bad) = rows::read(path, holds::REQUIRED, |row| holds::parse(row, now))?;
            bad.extend(
                references::check(
                    store,
                    &rows,
                    |h| Some(h.cardnumber.as_str()),
                    |h| Some(h.barcode.as_str()),
                )
                .await?,
            );
            rows::none_bad(path, bad)?;
            let holds: Vec<_> = rows.into_iter().map(|(_, h)| h).collect();
            store
                .upsert_holds(&holds)
                .await
                .map_err(failed("saving holds"))?;
            report.rows = holds.len();
        }
        LoadKind::Rules => {
            let (rows, bad) = rows::read(path, rules::REQUIRED, rules::parse)?;
            rows::none_bad(path, bad)?;
            let rules: Vec<_> = rows.into_iter().map(|(_, r)| r).collect();
            store
                .upsert_rules(&rules)
                .await
                .map_err(failed("saving rules"))?;
            report.rows = rules.len();
        }
    }
    Ok(report)
}

/// How many rows of a patrons, items or loans file one upsert call writes.
pub const CHUNK: usize = 10_000;

/// Reads `path` again, after its check, and writes its rows with `write`,
/// [`CHUNK`] at a time; how many it wrote.
///
/// # Errors
///
/// [`CliError::Input`] when the file cannot be read, or has changed since
/// it was checked so that a row is bad; [`CliError::Store`] when the
/// database refuses a chunk, saying how many rows were written before.
async fn write_in_chunks<T>(
    path: &Path,
    required: &[&str],
    parse: impl Fn(&rows::Row<'_>) -> Result<T, String>,
    mut write: impl AsyncFnMut(&[T]) -> koc_core::Result<()>,
) -> Result<usize, CliError> {
    let file = path.display().to_string();
    let mut reader = rows::RowReader::open(path, required)?;
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut written = 0;
    loop {
        let next = reader.next(&parse)?;
        let end = next.is_none();
        if let Some((line, parsed)) = next {
            let row = parsed.map_err(|message| {
                CliError::Input(format!(
                    "{file}: line {line}: {message} (the file changed while it was loaded; \
                     {written} rows were written before this one)"
                ))
            })?;
            chunk.push(row);
        }
        if chunk.len() == CHUNK || (end && !chunk.is_empty()) {
            write(&chunk)
                .await
                .map_err(CliError::store(if written == 0 {
                    format!("{file}: nothing loaded")
                } else {
                    format!(
                        "{file}: the first {written} rows were written, the rest not \
                     (loading the file again writes it whole)"
                    )
                }))?;
            written += chunk.len();
            chunk.clear();
        }
        if end {
            return Ok(written);
        }
    }
}

/// Whole seconds: what the CSV formats can say.
trait WithoutFraction {
    fn with_nanosecond_zero(self) -> Self;
}

impl WithoutFraction for chrono::NaiveDateTime {
    fn with_nanosecond_zero(self) -> Self {
        chrono::Timelike::with_nanosecond(&self, 0).unwrap_or(self)
    }
}
