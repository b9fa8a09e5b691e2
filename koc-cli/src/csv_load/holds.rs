//! `koc load holds`: barcode*, cardnumber*, placed_at.

use chrono::NaiveDateTime;
use koc_core::NewHold;

use super::fields;
use super::rows::Row;

/// The columns that must be in the header.
pub const REQUIRED: &[&str] = &["barcode", "cardnumber"];

/// A hold from a row; placed `now` when it has no `placed_at`.
pub fn parse(row: &Row<'_>, now: NaiveDateTime) -> Result<NewHold, String> {
    Ok(NewHold {
        barcode: row.required("barcode")?.to_owned(),
        cardnumber: row.required("cardnumber")?.to_owned(),
        placed_at: row.parsed("placed_at", fields::datetime)?.unwrap_or(now),
    })
}
