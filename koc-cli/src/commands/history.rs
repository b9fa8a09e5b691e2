//! `koc history [--failed] [--operation ID]`: what became of processed and
//! deleted operations.

use std::io::Write;

use koc_core::{HistoryFilter, OperationId, Store};

use crate::cli::HistoryArgs;
use crate::error::{CliError, CliResult, Status};
use crate::output::json::HistoryJson;
use crate::output::table::Table;
use crate::output::{count, time, write_json};

/// Lists history entries, most recent first.
pub async fn run(args: &HistoryArgs, store: &dyn Store, out: &mut dyn Write) -> CliResult {
    let mut filter = if args.failed {
        HistoryFilter::failed()
    } else {
        HistoryFilter::all()
    };
    if let Some(id) = args.operation {
        filter = filter.operation(OperationId(id));
    }
    if let Some(branch) = &args.branch {
        filter = filter.branch(branch.clone());
    }
    if let Some(limit) = args.limit {
        filter = filter.limit(limit);
    }
    let entries = store
        .history(&filter)
        .await
        .map_err(CliError::store("reading history"))?;
    if args.output.json {
        let json: Vec<HistoryJson> = entries.iter().map(HistoryJson::from).collect();
        write_json(out, &json)?;
        return Ok(Status::Success);
    }
    let what = if args.failed {
        "failed operation not requeued"
    } else {
        "history entry"
    };
    let whats = if args.failed {
        "failed operations not requeued"
    } else {
        "history entries"
    };
    writeln!(out, "{}.", count(entries.len() as u64, what, whats))?;
    if entries.is_empty() {
        return Ok(Status::Success);
    }
    let mut table = Table::new(&[
        ">ID",
        "TIME",
        "ACTION",
        "CARD",
        "BARCODE/AMOUNT",
        "OUTCOME",
        "MESSAGE",
        "BY",
        "AT",
        "REQUEUED",
    ]);
    for entry in &entries {
        let op = &entry.pending.operation;
        let what = match (&op.barcode, op.amount) {
            (Some(b), _) => b.clone(),
            (None, Some(a)) => a.to_string(),
            (None, None) => "-".to_owned(),
        };
        let mut outcome = entry.outcome.code.as_str().to_owned();
        for w in &entry.outcome.warnings {
            outcome.push_str(&format!(" !{}", w.code));
        }
        table.row(vec![
            entry.pending.id.to_string(),
            time::millis(op.time),
            op.action.as_str().to_owned(),
            op.cardnumber.clone().unwrap_or_else(|| "-".to_owned()),
            what,
            outcome,
            entry.outcome.message.clone(),
            entry.by.clone(),
            time::seconds(entry.at),
            entry
                .requeued_at
                .map_or_else(|| "-".to_owned(), time::seconds),
        ]);
    }
    table.write(out)?;
    Ok(Status::Success)
}
