//! What a line of a `.koc` file is.

use std::fmt;
use std::str::FromStr;

use crate::{Amount, DueDate, Timestamp};

/// Where a line starts in its input.
///
/// `line` counts from 1; `byte` is the offset of the line's first byte from
/// the start of the input, counting from 0 (a byte-order mark included).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// The line number, from 1.
    pub line: u64,
    /// The byte offset of the start of the line, from 0.
    pub byte: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, byte {}", self.line, self.byte)
    }
}

/// The three circulation actions a `.koc` file records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Action {
    /// A check-out (`issue`): card number and barcode.
    Issue,
    /// A check-in (`return`): barcode.
    Return,
    /// A fine payment (`payment`): card number and amount.
    Payment,
}

impl Action {
    /// All actions, in the order of the file format's table.
    pub const ALL: [Action; 3] = [Action::Issue, Action::Return, Action::Payment];

    /// The command word in a `.koc` file: `issue`, `return` or `payment`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Issue => "issue",
            Action::Return => "return",
            Action::Payment => "payment",
        }
    }

    /// The action for a command word, exactly as written (lower case).
    pub fn from_command(command: &[u8]) -> Option<Action> {
        match command {
            b"issue" => Some(Action::Issue),
            b"return" => Some(Action::Return),
            b"payment" => Some(Action::Payment),
            _ => None,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not `issue`, `return` or `payment`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown action `{0}`: expected issue, return or payment")]
pub struct UnknownAction(pub String);

impl FromStr for Action {
    type Err = UnknownAction;

    fn from_str(s: &str) -> Result<Action, UnknownAction> {
        Action::from_command(s.as_bytes()).ok_or_else(|| UnknownAction(s.to_owned()))
    }
}

/// One circulation transaction, with fields borrowed from the input and
/// trimmed of blanks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transaction<'a> {
    /// `issue`: the item with `barcode` was lent to the patron with
    /// `cardnumber`, optionally until `due`.
    Issue {
        /// The patron's card number (or username, which Koha also accepts).
        cardnumber: &'a str,
        /// The item's barcode.
        barcode: &'a str,
        /// The due date chosen at the desk, when the line carries one.
        due: Option<DueDate>,
    },
    /// `return`: the item with `barcode` came back.
    Return {
        /// The item's barcode.
        barcode: &'a str,
    },
    /// `payment`: the patron with `cardnumber` paid `amount` (always positive).
    Payment {
        /// The patron's card number.
        cardnumber: &'a str,
        /// The amount paid.
        amount: Amount,
    },
}

impl<'a> Transaction<'a> {
    /// The action of this transaction.
    pub const fn action(&self) -> Action {
        match self {
            Transaction::Issue { .. } => Action::Issue,
            Transaction::Return { .. } => Action::Return,
            Transaction::Payment { .. } => Action::Payment,
        }
    }

    /// The patron's card number, for issues and payments.
    pub const fn cardnumber(&self) -> Option<&'a str> {
        match self {
            Transaction::Issue { cardnumber, .. } | Transaction::Payment { cardnumber, .. } => {
                Some(cardnumber)
            }
            Transaction::Return { .. } => None,
        }
    }

    /// The item's barcode, for issues and returns.
    pub const fn barcode(&self) -> Option<&'a str> {
        match self {
            Transaction::Issue { barcode, .. } | Transaction::Return { barcode } => Some(barcode),
            Transaction::Payment { .. } => None,
        }
    }

    /// The amount, for payments.
    pub const fn amount(&self) -> Option<Amount> {
        match self {
            Transaction::Payment { amount, .. } => Some(*amount),
            _ => None,
        }
    }

    /// The due date, for issues that carry one.
    pub const fn due(&self) -> Option<DueDate> {
        match self {
            Transaction::Issue { due, .. } => *due,
            _ => None,
        }
    }
}

/// A transaction line: when, what, and where it was in the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Record<'a> {
    /// Where the line starts.
    pub position: Position,
    /// When the transaction happened.
    pub timestamp: Timestamp,
    /// What happened.
    pub transaction: Transaction<'a>,
    /// Fields after the expected ones, unparsed, TAB-separated as written.
    /// Koha ignores them; the reader keeps them readable and warns
    /// ([`WarningKind::ExtraFields`](crate::WarningKind::ExtraFields)).
    pub extra: Option<&'a str>,
    /// This is the first line of a file that has no header: the transaction
    /// is kept (Koha would lose it) and
    /// [`WarningKind::MissingHeader`](crate::WarningKind::MissingHeader) is
    /// reported.
    pub missing_header: bool,
}

impl Record<'_> {
    /// The warnings this line deserves, in a stable order.
    pub fn warnings(&self) -> impl Iterator<Item = crate::Warning> + '_ {
        let missing_header = self.missing_header.then(|| crate::Warning {
            position: self.position,
            kind: crate::WarningKind::MissingHeader,
            detail: String::new(),
        });
        let extra = self.extra.map(|extra| crate::Warning {
            position: self.position,
            kind: crate::WarningKind::ExtraFields,
            detail: extra.to_owned(),
        });
        missing_header.into_iter().chain(extra)
    }
}

/// The header line of a `.koc` file: TAB-separated `key=value` pairs, such as
/// `Version=1.0<TAB>Generator=kocDesktop<TAB>GeneratorVersion=2.4.0`.
///
/// Every pair is kept in order, unknown keys included.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Header {
    /// Where the header line starts (always line 1).
    pub position: Position,
    /// The pairs as written, blanks trimmed. A field without `=` is kept with
    /// an empty value.
    pub fields: Vec<(String, String)>,
}

impl Header {
    /// The only version of the format: `1.0`.
    pub const VERSION: &'static str = "1.0";

    /// A header as the desktop tool writes it.
    pub fn new(generator: &str, generator_version: &str) -> Header {
        Header {
            position: Position { line: 1, byte: 0 },
            fields: vec![
                ("Version".to_owned(), Header::VERSION.to_owned()),
                ("Generator".to_owned(), generator.to_owned()),
                ("GeneratorVersion".to_owned(), generator_version.to_owned()),
            ],
        }
    }

    /// The value of the first field named `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The `Version` field.
    pub fn version(&self) -> Option<&str> {
        self.get("Version")
    }

    /// The `Generator` field: the program that wrote the file.
    pub fn generator(&self) -> Option<&str> {
        self.get("Generator")
    }

    /// The `GeneratorVersion` field.
    pub fn generator_version(&self) -> Option<&str> {
        self.get("GeneratorVersion")
    }

    /// The warning this header deserves: a version other than 1.0 (Koha warns
    /// and tries anyway, and so does this reader).
    pub fn warning(&self) -> Option<crate::Warning> {
        match self.version() {
            Some(Header::VERSION) => None,
            other => Some(crate::Warning {
                position: self.position,
                kind: crate::WarningKind::UnsupportedVersion,
                detail: other.unwrap_or_default().to_owned(),
            }),
        }
    }
}

/// What one line of input is. Every line is exactly one of these, so nothing
/// is dropped without a trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// The header (only ever line 1).
    Header(Header),
    /// A transaction.
    Transaction(Record<'a>),
    /// An empty line, or one of blanks only. Skipped, not an error.
    Blank(Position),
    /// A line that could not be read, and why. The reader goes on after it.
    Error(crate::LineError),
}

impl Line<'_> {
    /// Where the line starts.
    pub fn position(&self) -> Position {
        match self {
            Line::Header(header) => header.position,
            Line::Transaction(record) => record.position,
            Line::Blank(position) => *position,
            Line::Error(error) => error.position,
        }
    }
}
