//! Rows that name a patron or an item the database does not have: found
//! before anything is written, so they are reported with their line numbers
//! instead of failing the whole load on a database constraint.

use std::collections::{BTreeSet, HashSet};

use koc_core::Store;

use crate::error::CliError;

/// Looked up this many at a time.
const CHUNK: usize = 1_000;

/// The card numbers of `wanted` that no patron has.
pub async fn unknown_cards(
    store: &dyn Store,
    wanted: BTreeSet<&str>,
) -> Result<HashSet<String>, CliError> {
    let wanted: Vec<String> = wanted.into_iter().map(str::to_owned).collect();
    let mut known = HashSet::new();
    for chunk in wanted.chunks(CHUNK) {
        let found = store
            .patrons(chunk)
            .await
            .map_err(CliError::store("looking up patrons"))?;
        known.extend(found.into_iter().map(|p| p.cardnumber));
    }
    Ok(wanted.into_iter().filter(|c| !known.contains(c)).collect())
}

/// The barcodes of `wanted` that no item has.
pub async fn unknown_barcodes(
    store: &dyn Store,
    wanted: BTreeSet<&str>,
) -> Result<HashSet<String>, CliError> {
    let wanted: Vec<String> = wanted.into_iter().map(str::to_owned).collect();
    let mut known = HashSet::new();
    for chunk in wanted.chunks(CHUNK) {
        let found = store
            .items(chunk)
            .await
            .map_err(CliError::store("looking up items"))?;
        known.extend(found.into_iter().map(|i| i.barcode));
    }
    Ok(wanted.into_iter().filter(|b| !known.contains(b)).collect())
}

/// A bad row for each row whose patron or item is unknown.
pub async fn check<T>(
    store: &dyn Store,
    rows: &[(u64, T)],
    card: impl Fn(&T) -> Option<&str>,
    barcode: impl Fn(&T) -> Option<&str>,
) -> Result<Vec<(u64, String)>, CliError> {
    let cards = unknown_cards(store, rows.iter().filter_map(|(_, r)| card(r)).collect()).await?;
    let barcodes =
        unknown_barcodes(store, rows.iter().filter_map(|(_, r)| barcode(r)).collect()).await?;
    let mut bad = Vec::new();
    for (line, row) in rows {
        let mut problems = Vec::new();
        if let Some(c) = card(row).filter(|c| cards.contains(*c)) {
            problems.push(format!(
                "no patron has card number {c} (load patrons first)"
            ));
        }
        if let Some(b) = barcode(row).filter(|b| barcodes.contains(*b)) {
            problems.push(format!("no item has barcode {b} (load items first)"));
        }
        if !problems.is_empty() {
            bad.push((*line, problems.join("; ")));
        }
    }
    Ok(bad)
}
