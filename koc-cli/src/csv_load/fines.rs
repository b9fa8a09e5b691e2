//! `koc load fines`: cardnumber*, amount*, description, created_at.

use koc_core::NewDebt;

use super::fields;
use super::rows::Row;

/// The columns that must be in the header.
pub const REQUIRED: &[&str] = &["cardnumber", "amount"];

/// A debt from a row; without `created_at`, the store dates it when it is
/// added, and takes it as recorded when an equal debt of any time is.
pub fn parse(row: &Row<'_>) -> Result<NewDebt, String> {
    Ok(NewDebt {
        cardnumber: row.required("cardnumber")?.to_owned(),
        amount: row.parsed_required("amount", fields::positive_amount)?,
        description: row.text("description"),
        created_at: row.parsed("created_at", fields::datetime)?,
    })
}
