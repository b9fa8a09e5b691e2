//! `koc load fines`: cardnumber*, amount*, description, created_at.

use chrono::NaiveDateTime;
use koc_core::NewDebt;

use super::fields;
use super::rows::Row;

/// The columns that must be in the header.
pub const REQUIRED: &[&str] = &["cardnumber", "amount"];

/// A debt from a row; `now` when it has no `created_at`.
pub fn parse(row: &Row<'_>, now: NaiveDateTime) -> Result<NewDebt, String> {
    Ok(NewDebt {
        cardnumber: row.required("cardnumber")?.to_owned(),
        amount: row.parsed_required("amount", fields::positive_amount)?,
        description: row.text("description"),
        created_at: row.parsed("created_at", fields::datetime)?.unwrap_or(now),
    })
}
