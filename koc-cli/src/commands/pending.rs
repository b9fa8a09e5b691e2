//! `koc pending [--branch B] [--action A] [--upload N] [--limit N]`: the
//! review table.

use std::io::Write;

use koc_core::{PendingFilter, PendingOperation, Store, UploadId};

use crate::cli::PendingArgs;
use crate::commands::lookup::Names;
use crate::error::{CliError, CliResult, Status};
use crate::output::json::PendingJson;
use crate::output::table::{Table, or_dash};
use crate::output::{count, time};

/// Operations read (and names looked up) at a time.
const PAGE: usize = 2_000;

/// Calls `page` with each page of the pending operations passing `filter`,
/// in processing order, with their patrons' names and items' titles.
///
/// # Errors
///
/// A database error, or what `page` returns.
pub async fn for_each_page(
    store: &dyn Store,
    filter: PendingFilter,
    mut page: impl FnMut(&[PendingOperation], &Names) -> Result<(), CliError>,
) -> Result<(), CliError> {
    // What the caller's limit leaves to read, pages aside.
    let mut left = filter.limit.unwrap_or(usize::MAX);
    let mut filter = filter.limit(PAGE.min(left));
    loop {
        let operations = store
            .pending(&filter)
            .await
            .map_err(CliError::store("listing pending operations"))?;
        let Some(last) = operations.last() else {
            return Ok(());
        };
        let (time, id) = last.order_key();
        let names = Names::load(
            store,
            operations
                .iter()
                .filter_map(|p| p.operation.cardnumber.as_deref()),
            operations
                .iter()
                .filter_map(|p| p.operation.barcode.as_deref()),
        )
        .await?;
        page(&operations, &names)?;
        left = left.saturating_sub(operations.len());
        if operations.len() < PAGE || left == 0 {
            return Ok(());
        }
        filter = filter.after(time, id).limit(PAGE.min(left));
    }
}

/// The review table's columns.
pub fn table() -> Table {
    Table::new(&[
        ">ID", "TIME", "ACTION", "PATRON", "ITEM", ">AMOUNT", "LIBRARY", "UPLOADER", "SOURCE",
    ])
}

/// A row of the review table.
pub fn row(pending: &PendingOperation, names: &Names) -> Vec<String> {
    let op = &pending.operation;
    let mut item = names.barcode_cell(op.barcode.as_deref());
    if let Some(due) = op.due {
        item.push_str(&format!(" (due {due})"));
    }
    vec![
        pending.id.to_string(),
        time::millis(op.time),
        op.action.as_str().to_owned(),
        names.card_cell(op.cardnumber.as_deref()),
        item,
        op.amount.map_or_else(|| "-".to_owned(), |a| a.to_string()),
        op.branch.clone(),
        op.userid.clone(),
        or_dash(Some(&op.source.to_string())),
    ]
}

/// Prints the pending operations: a table, or a JSON array.
pub async fn run(args: &PendingArgs, store: &dyn Store, out: &mut dyn Write) -> CliResult {
    let mut filter = PendingFilter::all();
    if let Some(branch) = &args.branch {
        filter = filter.branch(branch.clone());
    }
    if let Some(action) = args.action {
        filter = filter.action(action.into());
    }
    if let Some(upload) = args.upload {
        filter = filter.upload(UploadId(upload));
    }
    // Counted without the limit: the count says how many there are.
    let counted = filter.clone();
    if let Some(limit) = args.limit {
        filter = filter.limit(limit);
    }
    if args.output.json {
        let mut first = true;
        write!(out, "[")?;
        for_each_page(store, filter, |operations, names| {
            for pending in operations {
                let op = &pending.operation;
                let json = PendingJson::new(
                    pending,
                    op.cardnumber
                        .as_deref()
                        .and_then(|c| names.patron(c))
                        .map(str::to_owned),
                    op.barcode
                        .as_deref()
                        .and_then(|b| names.title(b))
                        .map(str::to_owned),
                );
                write!(
                    out,
                    "{}\n  {}",
                    if first { "" } else { "," },
                    serde_json::to_string(&json)?
                )?;
                first = false;
            }
            Ok(())
        })
        .await?;
        writeln!(out, "{}]", if first { "" } else { "\n" })?;
        return Ok(Status::Success);
    }

    let total = store
        .count_pending(&counted)
        .await
        .map_err(CliError::store("counting pending operations"))?;
    let mut scope = args
        .branch
        .as_ref()
        .map(|b| format!(" for library {b}"))
        .unwrap_or_default();
    if let Some(upload) = args.upload {
        scope.push_str(&format!(" from upload {upload}"));
    }
    let kind = args
        .action
        .map(|a| format!("{} ", koc_core::Action::from(a).as_str()))
        .unwrap_or_default();
    let shown = match args.limit {
        Some(limit) if (limit as u64) < total => format!(" (the first {limit} shown)"),
        _ => String::new(),
    };
    writeln!(
        out,
        "{} pending{scope}{shown}.",
        count(
            total,
            &format!("{kind}operation"),
            &format!("{kind}operations")
        )
    )?;
    if total == 0 || args.limit == Some(0) {
        return Ok(Status::Success);
    }
    // A table per page keeps memory bounded; the header is printed once.
    let mut first = true;
    for_each_page(store, filter, |operations, names| {
        let mut table = table();
        for pending in operations {
            table.row(row(pending, names));
        }
        let mut text = Vec::new();
        table.write(&mut text)?;
        let text = String::from_utf8_lossy(&text);
        let body = if first {
            &text[..]
        } else {
            text.split_once('\n').map_or("", |(_, rest)| rest)
        };
        out.write_all(body.as_bytes())?;
        first = false;
        Ok(())
    })
    .await?;
    Ok(Status::Success)
}
