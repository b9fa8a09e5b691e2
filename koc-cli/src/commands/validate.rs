//! `koc validate FILE.koc`: parse only, report what the file holds.

use std::io::{BufRead, Write};
use std::path::Path;

use koc_format::{Action, Line, Reader};
use serde::Serialize;

use crate::cli::ValidateArgs;
use crate::commands::koc_file::KocFile;
use crate::error::{CliError, CliResult, Status};
use crate::output::json::LineJson;
use crate::output::{count, write_json};

/// Transactions by action.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ByAction {
    /// Check-outs.
    pub issue: u64,
    /// Check-ins.
    #[serde(rename = "return")]
    pub return_: u64,
    /// Payments.
    pub payment: u64,
}

/// What a `.koc` file holds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Validation {
    /// The file as given.
    pub file: String,
    /// Lines read.
    pub lines: u64,
    /// Transactions read.
    pub transactions: u64,
    /// Transactions by action.
    pub by_action: ByAction,
    /// Lines that are not transactions, with why.
    pub errors: Vec<LineJson>,
    /// Doubts about lines that were read anyway.
    pub warnings: Vec<LineJson>,
}

/// Reads the whole file (in constant memory apart from the reports).
///
/// # Errors
///
/// [`CliError::Input`] when the file cannot be read.
pub fn validate(path: &Path) -> Result<Validation, CliError> {
    let file = KocFile::open(path)?;
    let shown = file.shown.clone();
    read(file.reader, &shown)
}

/// Reads `input`, named `shown` in messages.
///
/// # Errors
///
/// [`CliError::Input`] when reading fails.
pub fn read(input: impl BufRead, shown: &str) -> Result<Validation, CliError> {
    let mut reader = Reader::new(input);
    let mut report = Validation {
        file: shown.to_owned(),
        ..Validation::default()
    };
    let line_json = |line: u64, byte: u64, kind: &str, message: String| LineJson {
        line,
        byte,
        kind: kind.to_owned(),
        message,
    };
    loop {
        let next = reader.lines_read() + 1;
        let line = reader
            .read_line()
            .map_err(|e| CliError::Input(format!("cannot read {shown} at line {next}: {e}")))?;
        let Some(line) = line else { break };
        match line {
            Line::Header(header) => {
                if let Some(w) = header.warning() {
                    report.warnings.push(line_json(
                        w.position.line,
                        w.position.byte,
                        w.kind.code(),
                        w.message(),
                    ));
                }
            }
            Line::Transaction(record) => {
                report.transactions += 1;
                match record.transaction.action() {
                    Action::Issue => report.by_action.issue += 1,
                    Action::Return => report.by_action.return_ += 1,
                    Action::Payment => report.by_action.payment += 1,
                }
                for w in record.warnings() {
                    report.warnings.push(line_json(
                        w.position.line,
                        w.position.byte,
                        w.kind.code(),
                        w.message(),
                    ));
                }
            }
            Line::Blank(_) => {}
            Line::Error(e) => report.errors.push(line_json(
                e.position.line,
                e.position.byte,
                e.kind.code(),
                e.message(),
            )),
        }
    }
    report.lines = reader.lines_read();
    Ok(report)
}

/// Prints the summary line and each error and warning.
pub fn write_human(out: &mut dyn Write, report: &Validation) -> std::io::Result<()> {
    let by = report.by_action;
    writeln!(
        out,
        "{}: {} ({} issue, {} return, {} payment), {}, {}.",
        report.file,
        count(report.transactions, "transaction", "transactions"),
        by.issue,
        by.return_,
        by.payment,
        count(report.errors.len() as u64, "error", "errors"),
        count(report.warnings.len() as u64, "warning", "warnings"),
    )?;
    write_lines(out, "error", &report.errors)?;
    write_lines(out, "warning", &report.warnings)
}

/// One line per report: `error   line 4, byte 131 (unknown_command): ...`.
pub fn write_lines(out: &mut dyn Write, label: &str, lines: &[LineJson]) -> std::io::Result<()> {
    for line in lines {
        writeln!(
            out,
            "  {label:<8} line {}, byte {} ({}): {}",
            line.line, line.byte, line.kind, line.message
        )?;
    }
    Ok(())
}

/// Validates a file; exit 1 when lines are rejected.
pub fn run(args: &ValidateArgs, out: &mut dyn Write) -> CliResult {
    let report = validate(&args.file)?;
    if args.output.json {
        write_json(out, &report)?;
    } else {
        write_human(out, &report)?;
    }
    Ok(Status::partial_if(!report.errors.is_empty()))
}
