//! `koc load KIND FILE.csv`.

use std::io::Write;

use koc_core::Store;
use serde::Serialize;

use crate::cli::LoadArgs;
use crate::csv_load;
use crate::error::{CliError, CliResult, Status};
use crate::output::{self, write_json};

#[derive(Serialize)]
struct BadRowJson<'a> {
    line: u64,
    message: &'a str,
}

#[derive(Serialize)]
struct FailedLoadJson<'a> {
    kind: &'static str,
    file: &'a str,
    rows: usize,
    errors: Vec<BadRowJson<'a>>,
}

/// Loads a CSV file; with `--json`, also the bad rows as JSON before
/// failing.
pub async fn run(args: &LoadArgs, store: &dyn Store, out: &mut dyn Write) -> CliResult {
    match csv_load::load(store, args.kind, &args.file).await {
        Ok(report) => {
            if args.output.json {
                write_json(out, &report)?;
            } else {
                let mut line = format!(
                    "Loaded {} from {}",
                    output::count(report.rows as u64, singular(args.kind), args.kind.as_str()),
                    report.file
                );
                if let Some(added) = report.added {
                    let known = report.rows.saturating_sub(added);
                    line.push_str(&format!(" ({added} new, {known} already recorded)"));
                }
                writeln!(out, "{line}.")?;
            }
            Ok(Status::Success)
        }
        Err(CliError::BadRows { file, rows }) => {
            if args.output.json {
                write_json(
                    out,
                    &FailedLoadJson {
                        kind: args.kind.as_str(),
                        file: &file,
                        rows: 0,
                        errors: rows
                            .iter()
                            .map(|(line, message)| BadRowJson {
                                line: *line,
                                message,
                            })
                            .collect(),
                    },
                )?;
            }
            Err(CliError::BadRows { file, rows })
        }
        Err(other) => Err(other),
    }
}

fn singular(kind: crate::cli::LoadKind) -> &'static str {
    use crate::cli::LoadKind;
    match kind {
        LoadKind::Patrons => "patron",
        LoadKind::Items => "item",
        LoadKind::Loans => "loan",
        LoadKind::Fines => "fine",
        LoadKind::Holds => "hold",
        LoadKind::Rules => "rule",
    }
}
