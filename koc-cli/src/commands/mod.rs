//! One module per command; [`run`] picks the command and opens the
//! database when it needs one.

pub mod apply;
pub mod delete;
pub mod demo;
pub mod enqueue;
pub mod history;
pub mod item;
pub mod koc_file;
pub mod load;
pub mod loans;
pub mod lookup;
pub mod patron;
pub mod pending;
pub mod process;
pub mod requeue;
pub mod validate;

use std::io::Write;
use std::time::Duration;

use crate::cli::{Cli, Command};
use crate::database::Database;
use crate::error::CliResult;

/// Runs the command `cli` names, printing to `out`.
///
/// # Errors
///
/// What the command returns: see [`CliError`](crate::error::CliError).
pub async fn run(mut cli: Cli, out: &mut (dyn Write + Send)) -> CliResult {
    match &cli.command {
        Command::Validate(args) => return validate::run(args, out),
        Command::Demo(args) => return demo::run(args, out).await,
        _ => {}
    }
    let database = Database::parse(&cli.database)?;
    if let Some(options) = cli.command.process_options_mut() {
        options.batch_size.get_or_insert(database.batch_size());
    }
    let store = database
        .open(Duration::from_secs(cli.connect_timeout))
        .await?;
    let store = &*store;
    match &cli.command {
        Command::Load(args) => load::run(args, store, out).await,
        Command::Enqueue(args) => enqueue::run(args, store, out).await,
        Command::Pending(args) => pending::run(args, store, out).await,
        Command::Process(args) => process::run(args, store, out).await,
        Command::Delete(args) => delete::run(args, store, out).await,
        Command::History(args) => history::run(args, store, out).await,
        Command::Requeue(args) => requeue::run(args, store, out).await,
        Command::Apply(args) => apply::run(args, store, out).await,
        Command::Loans(args) => loans::run(args, store, out).await,
        Command::Patron(args) => patron::run(args, store, out).await,
        Command::Item(args) => item::run(args, store, out).await,
        Command::Validate(args) => validate::run(args, out),
        Command::Demo(args) => demo::run(args, out).await,
    }
}

/// The staff user recorded in history: `--user`, else `$KOC_USER`, else
/// `$USER`, else `koc`.
pub fn staff_user(given: Option<&str>) -> String {
    given
        .map(str::to_owned)
        .or_else(|| std::env::var("KOC_USER").ok())
        .or_else(|| std::env::var("USER").ok())
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "koc".to_owned())
}

/// `1, 2, 3`.
pub fn id_list(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
