use std::fmt;

use chrono::{NaiveDateTime, TimeZone};
use koc_format::{Action, DueDate, Record};
use serde::{Deserialize, Serialize};

use crate::{Fingerprint, Money};

/// Identifies a pending operation within a store. Ids grow in enqueue order
/// and an operation keeps its id in history and when requeued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OperationId(pub i64);

impl fmt::Display for OperationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Identifies an upload: the operations enqueued together from one file or
/// one request.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct UploadId(pub i64);

impl fmt::Display for UploadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where an operation came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[non_exhaustive]
pub enum Source {
    /// A line of an uploaded `.koc` file.
    File {
        /// The file's name as uploaded.
        name: String,
        /// The line number, from 1.
        line: u64,
    },
    /// A request from a station (Koha's `service.pl`).
    Request {
        /// What the host knows of the request (address, workstation ...).
        detail: Option<String>,
    },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File { name, line } => write!(f, "{name}:{line}"),
            Source::Request { detail: None } => f.write_str("request"),
            Source::Request {
                detail: Some(detail),
            } => write!(f, "request ({detail})"),
        }
    }
}

/// Who uploaded, for which library: what every operation of an upload shares.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Upload {
    /// The staff user who uploaded.
    pub userid: String,
    /// The library the upload was made for.
    pub branch: String,
    /// The workstation, if known.
    pub workstation: Option<String>,
}

/// A circulation transaction recorded offline, as it enters the queue.
///
/// Fields are optional where an upload may leave them out; processing
/// reports an `invalid` outcome when an action's required field is missing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    /// Issue, return or payment.
    pub action: Action,
    /// When it happened, in library-local time, with milliseconds.
    pub time: NaiveDateTime,
    /// The patron's card number (or username), for issues and payments.
    pub cardnumber: Option<String>,
    /// The item's barcode, for issues and returns.
    pub barcode: Option<String>,
    /// The amount, for payments.
    pub amount: Option<Money>,
    /// The due date chosen at the desk, for issues.
    pub due: Option<DueDate>,
    /// The staff user who uploaded it.
    pub userid: String,
    /// The library it was uploaded for.
    pub branch: String,
    /// The workstation that recorded it, if known.
    pub workstation: Option<String>,
    /// The file line or request it came from.
    pub source: Source,
}

impl Operation {
    /// The operation a `.koc` record describes, uploaded by `upload` from the
    /// file `file_name`. A timestamp written with a zone offset is converted
    /// to the library's zone `tz`; one without (what stations write) is
    /// taken as library-local already.
    ///
    /// ```
    /// use koc_core::{Operation, Upload};
    /// use koc_format::{Line, Lines};
    ///
    /// let line = b"2026-07-22 10-16-02 000\treturn\t31000000654321\n";
    /// let Some(Line::Transaction(record)) = Lines::new(line).next() else { unreachable!() };
    /// let upload = Upload { userid: "admin".into(), branch: "CPL".into(), workstation: None };
    /// let operation = Operation::from_record(&record, &upload, "desk1.koc", &chrono::Local);
    /// assert_eq!(operation.barcode.as_deref(), Some("31000000654321"));
    /// assert_eq!(operation.source.to_string(), "desk1.koc:1");
    /// ```
    pub fn from_record<Tz: TimeZone>(
        record: &Record<'_>,
        upload: &Upload,
        file_name: &str,
        tz: &Tz,
    ) -> Operation {
        let transaction = &record.transaction;
        Operation {
            action: transaction.action(),
            time: record.timestamp.to_local(tz),
            cardnumber: transaction.cardnumber().map(str::to_owned),
            barcode: transaction.barcode().map(str::to_owned),
            amount: transaction.amount(),
            due: transaction.due(),
            userid: upload.userid.clone(),
            branch: upload.branch.clone(),
            workstation: upload.workstation.clone(),
            source: Source::File {
                name: file_name.to_owned(),
                line: record.position.line,
            },
        }
    }

    /// The stable fingerprint that tells whether this operation was already
    /// uploaded.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(self)
    }
}
