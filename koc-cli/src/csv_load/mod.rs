//! Loading the library's circulation data from CSV files.
//!
//! Every file is read and checked whole before anything is written: each
//! bad row is reported with its line number, and then nothing of the file
//! is loaded. A good file is written with one upsert call, which the store
//! makes atomic.

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
            let (rows, mut bad) = rows::read(path, patrons::REQUIRED, patrons::parse)?;
            bad.extend(patrons::conflicts(&rows));
            rows::none_bad(path, bad)?;
            let patrons: Vec<_> = rows.into_iter().map(|(_, p)| p).collect();
            store
                .upsert_patrons(&patrons)
                .await
                .map_err(failed("saving patrons"))?;
            report.rows = patrons.len();
        }
        LoadKind::Items => {
            let (rows, bad) = rows::read(path, items::REQUIRED, items::parse)?;
            rows::none_bad(path, bad)?;
            let items: Vec<_> = rows.into_iter().map(|(_, i)| i).collect();
            store
                .upsert_items(&items)
                .await
                .map_err(failed("saving items"))?;
            report.rows = items.len();
        }
        LoadKind::Loans => {
            let (rows, mut bad) = rows::read(path, loans::REQUIRED, loans::parse)?;
            bad.extend(loans::conflicts(&rows));
            bad.extend(
                references::check(
                    store,
                    &rows,
                    |l| Some(l.cardnumber.as_str()),
                    |l| Some(l.barcode.as_str()),
                )
                .await?,
            );
            rows::none_bad(path, bad)?;
            let loans: Vec<_> = rows.into_iter().map(|(_, l)| l).collect();
            store
                .upsert_loans(&loans)
                .await
                .map_err(failed("saving loans"))?;
            report.rows = loans.len();
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

/// Whole seconds: what the CSV formats can say.
trait WithoutFraction {
    fn with_nanosecond_zero(self) -> Self;
}

impl WithoutFraction for chrono::NaiveDateTime {
    fn with_nanosecond_zero(self) -> Self {
        chrono::Timelike::with_nanosecond(&self, 0).unwrap_or(self)
    }
}
