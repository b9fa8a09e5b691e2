//! `koc load rules`: categorycode*, itemtype* (`*` = any), loan_days*,
//! renewal_days.

use koc_core::LoanRule;

use super::fields;
use super::rows::Row;

/// The columns that must be in the header.
pub const REQUIRED: &[&str] = &["categorycode", "itemtype", "loan_days"];

/// A loan rule from a row.
pub fn parse(row: &Row<'_>) -> Result<LoanRule, String> {
    let any = |code: &str| (code != "*").then(|| code.to_owned());
    Ok(LoanRule {
        category: any(row.required("categorycode")?),
        itemtype: any(row.required("itemtype")?),
        loan_days: row.parsed_required("loan_days", fields::count)?,
        renewal_days: row.parsed("renewal_days", fields::count)?,
    })
}
