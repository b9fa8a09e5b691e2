//! `koc`: Koha offline circulation from a terminal.
//!
//! Loads the library's data from CSV, reads `.koc` files into a pending
//! queue, shows the queue for review, processes it, and looks at the
//! result, on an SQLite file (`./koc.sqlite` by default) or PostgreSQL.
//! Exit codes: 0 success; 1 the work ran but some operations failed or
//! lines were rejected (or what was looked up was not found); 2 a usage or
//! input error, with a one-line message naming the problem.

mod allocator;
mod cli;
mod commands;
mod csv_load;
mod database;
mod error;
mod output;
mod runtime;
mod sample;

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::error::{CliError, Status};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let processes = matches!(
        cli.command,
        cli::Command::Process(_) | cli::Command::Apply(_)
    );
    allocator::set_up_for(&cli.database, processes);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(runtime::workers_for(&cli.database, processes))
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("koc: error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let mut out = BufWriter::new(std::io::stdout());
    let result = runtime.block_on(commands::run(cli, &mut out));
    let flushed = out.flush();
    match result.and_then(|status| flushed.map(|()| status).map_err(CliError::Output)) {
        Ok(status) => status.exit_code(),
        Err(CliError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            // The reader went away (`koc pending | head`): not an error.
            Status::Success.exit_code()
        }
        Err(error) => {
            report(&error);
            ExitCode::from(2)
        }
    }
}

/// Prints an error on standard error: one line, or one line per bad row of
/// a CSV file and a last line saying nothing was loaded.
fn report(error: &CliError) {
    if let CliError::BadRows { file, rows } = error {
        for (line, message) in rows {
            eprintln!("koc: error: {file}: line {line}: {}", one_line(message));
        }
    }
    eprintln!("koc: error: {}", one_line(&with_causes(error)));
}

/// The error's text followed by each cause that adds something (a store
/// error says what it was doing; its cause says why: "connection refused").
fn with_causes(error: &CliError) -> String {
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        let said = inner.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        cause = inner.source();
    }
    text
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
