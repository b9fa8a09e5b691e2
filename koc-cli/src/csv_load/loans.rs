//! `koc load loans`: barcode*, cardnumber*, issued_at*, due_at*, renewals.

use std::collections::HashMap;

use koc_core::Loan;

use super::fields;
use super::rows::{Parsed, Row};

/// What the checks across rows need of a loan.
pub struct Key {
    pub barcode: String,
    pub cardnumber: String,
}

impl From<Loan> for Key {
    fn from(loan: Loan) -> Key {
        Key {
            barcode: loan.barcode,
            cardnumber: loan.cardnumber,
        }
    }
}

/// The columns that must be in the header.
pub const REQUIRED: &[&str] = &["barcode", "cardnumber", "issued_at", "due_at"];

/// A loan from a row.
pub fn parse(row: &Row<'_>) -> Result<Loan, String> {
    let issued_at = row.parsed_required("issued_at", fields::datetime)?;
    let due_at = row.parsed_required("due_at", fields::datetime)?;
    if due_at < issued_at {
        return Err(format!("due_at {due_at} is before issued_at {issued_at}"));
    }
    Ok(Loan {
        barcode: row.required("barcode")?.to_owned(),
        cardnumber: row.required("cardnumber")?.to_owned(),
        issued_at,
        due_at,
        renewals: row.parsed("renewals", fields::count)?.unwrap_or(0),
        last_renewed_at: None,
        branch: None,
    })
}

/// Rows lending an item that an earlier row of the file lends already (an
/// item has at most one open loan).
pub fn conflicts(loans: &Parsed<Key>) -> Vec<(u64, String)> {
    let mut seen: HashMap<&str, u64> = HashMap::new();
    let mut bad = Vec::new();
    for (line, loan) in loans {
        if let Some(first) = seen.get(loan.barcode.as_str()) {
            bad.push((
                *line,
                format!(
                    "item {} is already lent on line {first}: an item has one open loan",
                    loan.barcode
                ),
            ));
        } else {
            seen.insert(&loan.barcode, *line);
        }
    }
    bad
}
