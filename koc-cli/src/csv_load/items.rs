//! `koc load items`: barcode*, title, author, callnumber, itemtype,
//! homebranch, holdingbranch, status.

use koc_core::{Item, ItemStatus};

use super::rows::Row;

/// The columns that must be in the header.
pub const REQUIRED: &[&str] = &["barcode"];

/// An item from a row.
pub fn parse(row: &Row<'_>) -> Result<Item, String> {
    let status = match row.get("status") {
        None => ItemStatus::Available,
        Some(code) => code
            .to_lowercase()
            .parse::<ItemStatus>()
            .map_err(|e| format!("status: {e}"))?,
    };
    Ok(Item {
        barcode: row.required("barcode")?.to_owned(),
        title: row.text("title"),
        author: row.text("author"),
        callnumber: row.text("callnumber"),
        itemtype: row.text("itemtype"),
        homebranch: row.text("homebranch"),
        holdingbranch: row.text("holdingbranch"),
        status,
        last_seen: None,
    })
}
