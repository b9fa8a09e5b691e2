//! Owned copies of the borrowed line types, for keeping lines past the buffer
//! they were read from.

use crate::{Amount, DueDate, Header, Line, LineError, Position, Record, Timestamp, Transaction};

/// A [`Transaction`] that owns its text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OwnedTransaction {
    /// See [`Transaction::Issue`].
    Issue {
        /// The patron's card number.
        cardnumber: String,
        /// The item's barcode.
        barcode: String,
        /// The due date chosen at the desk, when the line carries one.
        due: Option<DueDate>,
    },
    /// See [`Transaction::Return`].
    Return {
        /// The item's barcode.
        barcode: String,
    },
    /// See [`Transaction::Payment`].
    Payment {
        /// The patron's card number.
        cardnumber: String,
        /// The amount paid.
        amount: Amount,
    },
}

impl OwnedTransaction {
    /// The borrowed view, with all of [`Transaction`]'s accessors.
    pub fn as_transaction(&self) -> Transaction<'_> {
        match self {
            OwnedTransaction::Issue {
                cardnumber,
                barcode,
                due,
            } => Transaction::Issue {
                cardnumber,
                barcode,
                due: *due,
            },
            OwnedTransaction::Return { barcode } => Transaction::Return { barcode },
            OwnedTransaction::Payment { cardnumber, amount } => Transaction::Payment {
                cardnumber,
                amount: *amount,
            },
        }
    }

    /// The item's barcode, for issues and returns.
    pub fn barcode(&self) -> Option<&str> {
        self.as_transaction().barcode()
    }

    /// The patron's card number, for issues and payments.
    pub fn cardnumber(&self) -> Option<&str> {
        self.as_transaction().cardnumber()
    }
}

impl Transaction<'_> {
    /// An owned copy.
    pub fn into_owned(self) -> OwnedTransaction {
        match self {
            Transaction::Issue {
                cardnumber,
                barcode,
                due,
            } => OwnedTransaction::Issue {
                cardnumber: cardnumber.to_owned(),
                barcode: barcode.to_owned(),
                due,
            },
            Transaction::Return { barcode } => OwnedTransaction::Return {
                barcode: barcode.to_owned(),
            },
            Transaction::Payment { cardnumber, amount } => OwnedTransaction::Payment {
                cardnumber: cardnumber.to_owned(),
                amount,
            },
        }
    }
}

impl From<Transaction<'_>> for OwnedTransaction {
    fn from(transaction: Transaction<'_>) -> OwnedTransaction {
        transaction.into_owned()
    }
}

/// A [`Record`] that owns its text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OwnedRecord {
    /// Where the line starts.
    pub position: Position,
    /// When the transaction happened.
    pub timestamp: Timestamp,
    /// What happened.
    pub transaction: OwnedTransaction,
    /// Fields after the expected ones: see [`Record::extra`].
    pub extra: Option<String>,
    /// See [`Record::missing_header`].
    pub missing_header: bool,
}

impl OwnedRecord {
    /// The borrowed view, with all of [`Record`]'s methods.
    pub fn as_record(&self) -> Record<'_> {
        Record {
            position: self.position,
            timestamp: self.timestamp,
            transaction: self.transaction.as_transaction(),
            extra: self.extra.as_deref(),
            missing_header: self.missing_header,
        }
    }
}

impl Record<'_> {
    /// An owned copy.
    pub fn into_owned(self) -> OwnedRecord {
        OwnedRecord {
            position: self.position,
            timestamp: self.timestamp,
            transaction: self.transaction.into_owned(),
            extra: self.extra.map(str::to_owned),
            missing_header: self.missing_header,
        }
    }
}

impl From<Record<'_>> for OwnedRecord {
    fn from(record: Record<'_>) -> OwnedRecord {
        record.into_owned()
    }
}

/// A [`Line`] that owns its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnedLine {
    /// The header (only ever line 1).
    Header(Header),
    /// A transaction.
    Transaction(OwnedRecord),
    /// An empty line, or one of blanks only.
    Blank(Position),
    /// A line that could not be read, and why.
    Error(LineError),
}

impl OwnedLine {
    /// The borrowed view.
    pub fn as_line(&self) -> Line<'_> {
        match self {
            OwnedLine::Header(header) => Line::Header(header.clone()),
            OwnedLine::Transaction(record) => Line::Transaction(record.as_record()),
            OwnedLine::Blank(position) => Line::Blank(*position),
            OwnedLine::Error(error) => Line::Error(error.clone()),
        }
    }

    /// Where the line starts.
    pub fn position(&self) -> Position {
        match self {
            OwnedLine::Header(header) => header.position,
            OwnedLine::Transaction(record) => record.position,
            OwnedLine::Blank(position) => *position,
            OwnedLine::Error(error) => error.position,
        }
    }
}

impl Line<'_> {
    /// An owned copy, to keep past the buffer the line was read from.
    pub fn into_owned(self) -> OwnedLine {
        match self {
            Line::Header(header) => OwnedLine::Header(header),
            Line::Transaction(record) => OwnedLine::Transaction(record.into_owned()),
            Line::Blank(position) => OwnedLine::Blank(position),
            Line::Error(error) => OwnedLine::Error(error),
        }
    }
}

impl From<Line<'_>> for OwnedLine {
    fn from(line: Line<'_>) -> OwnedLine {
        line.into_owned()
    }
}
