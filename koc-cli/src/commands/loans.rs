//! `koc loans [--patron CARD] [--item BARCODE]`: current loans.

use std::io::Write;

use koc_core::{Loan, LoanFilter, Store};

use crate::cli::LoansArgs;
use crate::commands::lookup::Names;
use crate::error::{CliError, CliResult, Status};
use crate::output::json::LoanJson;
use crate::output::table::{Table, or_dash};
use crate::output::{count, write_json};

/// Loans with their titles and patrons' names.
///
/// # Errors
///
/// A database error.
pub async fn with_names(store: &dyn Store, loans: &[Loan]) -> Result<Vec<LoanJson>, CliError> {
    let names = Names::load(
        store,
        loans.iter().map(|l| l.cardnumber.as_str()),
        loans.iter().map(|l| l.barcode.as_str()),
    )
    .await?;
    Ok(loans
        .iter()
        .map(|loan| {
            LoanJson::new(
                loan,
                names.title(&loan.barcode).map(str::to_owned),
                names.patron(&loan.cardnumber).map(str::to_owned),
            )
        })
        .collect())
}

/// A table of loans.
pub fn table(loans: &[LoanJson]) -> Table {
    let mut table = Table::new(&[
        "BARCODE",
        "TITLE",
        "CARD",
        "PATRON",
        "ISSUED",
        "DUE",
        ">RENEWALS",
    ]);
    for loan in loans {
        table.row(vec![
            loan.barcode.clone(),
            or_dash(loan.title.as_deref()),
            loan.cardnumber.clone(),
            or_dash(loan.patron.as_deref()),
            loan.issued_at.clone(),
            loan.due_at.clone(),
            loan.renewals.to_string(),
        ]);
    }
    table
}

/// Lists current loans.
pub async fn run(args: &LoansArgs, store: &dyn Store, out: &mut dyn Write) -> CliResult {
    let mut filter = LoanFilter::all();
    filter.cardnumber = args.patron.clone();
    filter.barcode = args.item.clone();
    let loans = store
        .loans(&filter)
        .await
        .map_err(CliError::store("listing loans"))?;
    let loans = with_names(store, &loans).await?;
    if args.output.json {
        write_json(out, &loans)?;
    } else {
        writeln!(out, "{}.", count(loans.len() as u64, "loan", "loans"))?;
        if !loans.is_empty() {
            table(&loans).write(out)?;
        }
    }
    Ok(Status::Success)
}
