//! The command line: every command, its arguments and their help.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use koc_core::ConflictRule;

/// Offline circulation for Koha's `.koc` files: load the library's data,
/// queue what desks recorded offline, review it, process it.
#[derive(Debug, Parser)]
#[command(name = "koc", version, about, long_about = None)]
#[command(after_help = "Start with `koc demo`: it runs the whole workflow on a sample library.")]
pub struct Cli {
    /// The database: a file path or `sqlite:PATH` (SQLite), or a
    /// `postgres://` / `postgresql://` URL (PostgreSQL).
    #[arg(
        long,
        global = true,
        env = "KOC_DATABASE",
        default_value = "./koc.sqlite",
        value_name = "URL"
    )]
    pub database: String,

    /// How long to keep trying to reach a PostgreSQL server before giving
    /// up, in seconds.
    #[arg(
        long,
        global = true,
        env = "KOC_CONNECT_TIMEOUT",
        default_value_t = crate::database::CONNECT_TIMEOUT_SECONDS,
        value_name = "SECONDS"
    )]
    pub connect_timeout: u64,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add or update circulation data from a CSV file with a header row.
    Load(LoadArgs),
    /// Read a .koc file and report what it holds; changes nothing.
    Validate(ValidateArgs),
    /// Upload a .koc file to the pending queue.
    Enqueue(EnqueueArgs),
    /// The review table of pending operations.
    Pending(PendingArgs),
    /// Apply pending operations to the circulation data.
    Process(ProcessArgs),
    /// Remove pending operations without applying them (they go to history).
    Delete(DeleteArgs),
    /// Operations that were processed or deleted, most recent first.
    History(HistoryArgs),
    /// Put failed or deleted operations back in the queue.
    Requeue(RequeueArgs),
    /// Enqueue a .koc file and process what it added, in one go.
    Apply(ApplyArgs),
    /// Current loans.
    Loans(LoansArgs),
    /// A patron with loans and balance, or `koc patron search TEXT`.
    Patron(PatronArgs),
    /// An item with its loan and holds.
    Item(ItemArgs),
    /// Run the whole workflow on a bundled sample library, in a fresh
    /// database.
    Demo(DemoArgs),
}

/// `--json`, for every command that reports.
#[derive(Clone, Copy, Debug, Default, Args)]
pub struct OutputArgs {
    /// Print JSON for scripts instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// What a CSV file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LoadKind {
    /// cardnumber*, userid, surname*, firstname, categorycode, branchcode,
    /// dateexpiry, debarred, email, phone, address, city, dateofbirth
    Patrons,
    /// barcode*, title, author, callnumber, itemtype, homebranch,
    /// holdingbranch, status
    Items,
    /// barcode*, cardnumber*, issued_at*, due_at*, renewals
    Loans,
    /// cardnumber*, amount*, description, created_at
    Fines,
    /// barcode*, cardnumber*, placed_at
    Holds,
    /// categorycode*, itemtype* (`*` = any), loan_days*, renewal_days
    Rules,
}

impl LoadKind {
    /// The plural noun: `patrons`, `items` ...
    pub const fn as_str(self) -> &'static str {
        match self {
            LoadKind::Patrons => "patrons",
            LoadKind::Items => "items",
            LoadKind::Loans => "loans",
            LoadKind::Fines => "fines",
            LoadKind::Holds => "holds",
            LoadKind::Rules => "rules",
        }
    }
}

/// `koc load`.
#[derive(Debug, Args)]
#[command(
    after_help = "Extra columns are ignored. Every bad row is reported with its line number, and then nothing of the file is loaded.\nDates are YYYY-MM-DD, date-times YYYY-MM-DD HH:MM:SS, amounts like 5.00."
)]
pub struct LoadArgs {
    /// What the file holds.
    pub kind: LoadKind,
    /// The CSV file.
    pub file: PathBuf,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
}

/// `koc validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The .koc file.
    pub file: PathBuf,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
}

/// Who uploads a file, for which library.
#[derive(Debug, Args)]
pub struct UploadArgs {
    /// The library the operations are uploaded for (Koha's branchcode).
    #[arg(long, value_name = "B")]
    pub branch: String,
    /// The staff user who uploads.
    #[arg(long, value_name = "U")]
    pub user: String,
    /// The workstation that recorded the file.
    #[arg(long, value_name = "W")]
    pub workstation: Option<String>,
    /// Queue nothing when any line of the file is rejected.
    #[arg(long)]
    pub strict: bool,
}

/// `koc enqueue`.
#[derive(Debug, Args)]
pub struct EnqueueArgs {
    /// The .koc file.
    pub file: PathBuf,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub upload: UploadArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
}

/// `koc pending`.
#[derive(Debug, Args)]
pub struct PendingArgs {
    /// Only operations uploaded for this library.
    #[arg(long, value_name = "B")]
    pub branch: Option<String>,
    /// Only operations of this action.
    #[arg(long, value_enum, value_name = "ACTION")]
    pub action: Option<ActionArg>,
    /// Only operations of this upload (one file, or one request), by the
    /// number `koc enqueue` gave it.
    #[arg(long, value_name = "N")]
    pub upload: Option<i64>,
    /// At most this many, the first in processing order (the count says
    /// how many there are in all).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
}

/// `--action`: a circulation action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ActionArg {
    /// Check-outs.
    Issue,
    /// Check-ins.
    Return,
    /// Fine payments.
    Payment,
}

impl From<ActionArg> for koc_core::Action {
    fn from(action: ActionArg) -> koc_core::Action {
        match action {
            ActionArg::Issue => koc_core::Action::Issue,
            ActionArg::Return => koc_core::Action::Return,
            ActionArg::Payment => koc_core::Action::Payment,
        }
    }
}

/// `--conflicts`: what to do when an operation meets a newer loan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Conflicts {
    /// The newer loan stands; the operation is reported as a conflict.
    #[default]
    NewerActivityWins,
    /// Close the newer loan anyway, as Koha does.
    KohaCompatible,
}

impl From<Conflicts> for ConflictRule {
    fn from(conflicts: Conflicts) -> ConflictRule {
        match conflicts {
            Conflicts::NewerActivityWins => ConflictRule::NewerActivityWins,
            Conflicts::KohaCompatible => ConflictRule::KohaCompatible,
        }
    }
}

/// How to process: the options `process` and `apply` share.
#[derive(Debug, Args)]
pub struct ProcessOptions {
    /// What to do when an operation meets a loan made after it.
    #[arg(long, value_enum, default_value_t = Conflicts::NewerActivityWins)]
    pub conflicts: Conflicts,
    /// Operations per transaction; `None`: the database's own default
    /// ([`Database::batch_size`](crate::database::Database::batch_size)).
    #[arg(long, value_name = "N", hide = true)]
    pub batch_size: Option<usize>,
}

impl Command {
    /// The processing options of `process` and `apply`.
    pub fn process_options_mut(&mut self) -> Option<&mut ProcessOptions> {
        match self {
            Command::Process(args) => Some(&mut args.options),
            Command::Apply(args) => Some(&mut args.options),
            _ => None,
        }
    }
}

/// `koc process`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").required(true).args(["all", "ids"])))]
pub struct ProcessArgs {
    /// Process every pending operation (of `--branch`, if given).
    #[arg(long)]
    pub all: bool,
    /// The operations to process, by id.
    #[arg(value_name = "ID")]
    pub ids: Vec<i64>,
    /// Only operations uploaded for this library.
    #[arg(long, value_name = "B")]
    pub branch: Option<String>,
    /// The staff user processing, recorded in history [default: $KOC_USER,
    /// else $USER, else koc].
    #[arg(long, value_name = "U")]
    pub user: Option<String>,
    /// Decide and report, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub options: ProcessOptions,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
}

/// `koc delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The operations to delete, by id.
    #[arg(value_name = "ID", required = true)]
    pub ids: Vec<i64>,
    /// The staff user deleting, recorded in history [default: $KOC_USER,
    /// else $USER, else koc].
    #[arg(long, value_name = "U")]
    pub user: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
}

/// `koc history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only failures not yet requeued.
    #[arg(long)]
    pub failed: bool,
    /// Only the entries of this operation, by id: what became of it each
    /// time it was processed or deleted (and requeued).
    #[arg(long, value_name = "ID")]
    pub operation: Option<i64>,
    /// Only operations uploaded for this library.
    #[arg(long, value_name = "B")]
    pub branch: Option<String>,
    /// At most this many entries.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
}

/// `koc requeue`.
#[derive(Debug, Args)]
pub struct RequeueArgs {
    /// The operations to put back, by id.
    #[arg(value_name = "ID", required = true)]
    pub ids: Vec<i64>,
    /// The staff user requeuing [default: $KOC_USER, else $USER, else koc].
    #[arg(long, value_name = "U")]
    pub user: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
}

/// `koc apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The .koc file.
    pub file: PathBuf,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub upload: UploadArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub options: ProcessOptions,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
}

/// `koc loans`.
#[derive(Debug, Args)]
pub struct LoansArgs {
    /// Only loans of the patron with this card number.
    #[arg(long, value_name = "CARDNUMBER")]
    pub patron: Option<String>,
    /// Only the loan of the item with this barcode.
    #[arg(long, value_name = "BARCODE")]
    pub item: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
}

/// `koc patron`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct PatronArgs {
    /// Search patrons by name instead.
    #[command(subcommand)]
    pub search: Option<PatronCommand>,
    /// The patron's card number, or else username.
    #[arg(value_name = "CARDNUMBER_OR_USERID", required = true)]
    pub card: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
}

/// `koc patron search`.
#[derive(Debug, Subcommand)]
pub enum PatronCommand {
    /// Patrons whose names begin with the words given, ignoring case and
    /// accents.
    Search(SearchArgs),
}

/// `koc patron search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words of the name (`lopez`, `jane doe`, `øst`).
    #[arg(value_name = "TEXT", required = true)]
    pub text: Vec<String>,
    /// At most this many patrons.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: usize,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
}

/// `koc item`.
#[derive(Debug, Args)]
pub struct ItemArgs {
    /// The item's barcode.
    pub barcode: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
}

/// `koc demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the demo's database and sample files in this directory (created
    /// if missing; it must not hold a koc.sqlite yet) instead of a temporary
    /// one removed at the end.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}
