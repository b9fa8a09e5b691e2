//! Per-line errors and warnings.

use std::fmt;

use crate::Position;

/// Which field of a transaction line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// The first field.
    Timestamp,
    /// The second field: `issue`, `return` or `payment`.
    Command,
    /// The patron's card number.
    Cardnumber,
    /// The item's barcode.
    Barcode,
    /// The amount of a payment.
    Amount,
    /// The optional due date of an issue (its 5th field).
    DueDate,
    /// The fields after the expected ones.
    Extra,
    /// The header line (line 1).
    Header,
}

impl Field {
    /// The field's name as messages use it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Field::Timestamp => "timestamp",
            Field::Command => "command",
            Field::Cardnumber => "card number",
            Field::Barcode => "barcode",
            Field::Amount => "amount",
            Field::DueDate => "due date",
            Field::Extra => "extra fields",
            Field::Header => "header",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is wrong with a line, in a form a program can match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The command is not `issue`, `return` or `payment`.
    UnknownCommand,
    /// A required field is absent or blank.
    MissingField(Field),
    /// The timestamp has no accepted form, or names an impossible date or time.
    InvalidTimestamp,
    /// The amount is not an exact decimal with `.` and up to six decimals.
    InvalidAmount,
    /// The amount is zero or negative.
    AmountNotPositive,
    /// The line is longer than the reader's limit; it was skipped unread.
    LineTooLong,
    /// The line is not valid UTF-8. Old Windows stations may have written
    /// Windows-1252; such a line is reported, never silently re-decoded.
    InvalidUtf8,
    /// A card number or barcode holds a control character (a carriage
    /// return, an escape ...) between other characters. Koha strips CRs
    /// anywhere and would then look up another barcode than the one written;
    /// such a line is reported instead. Blanks and CRs around a field are
    /// trimmed, as ever.
    ControlCharacter(Field),
}

impl ErrorKind {
    /// A stable snake_case code for programs and JSON output, e.g.
    /// `unknown_command`, `missing_field`, `invalid_timestamp`.
    pub const fn code(self) -> &'static str {
        match self {
            ErrorKind::UnknownCommand => "unknown_command",
            ErrorKind::MissingField(_) => "missing_field",
            ErrorKind::InvalidTimestamp => "invalid_timestamp",
            ErrorKind::InvalidAmount => "invalid_amount",
            ErrorKind::AmountNotPositive => "amount_not_positive",
            ErrorKind::LineTooLong => "line_too_long",
            ErrorKind::InvalidUtf8 => "invalid_utf8",
            ErrorKind::ControlCharacter(_) => "control_character",
        }
    }
}

/// A line that could not be read: where, what kind of fault, and the detail a
/// person needs (the offending text, the limit exceeded ...).
///
/// Displays as `line 4, byte 131: unknown command `chekout`: expected issue,
/// return or payment`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{position}: {}", self.message())]
pub struct LineError {
    /// Where the line starts.
    pub position: Position,
    /// What kind of fault.
    pub kind: ErrorKind,
    /// The offending text or other detail, for the message.
    pub detail: String,
}

impl LineError {
    /// The explanation without the position, e.g. ``unknown command `chekout`:
    /// expected issue, return or payment``.
    pub fn message(&self) -> String {
        let detail = &self.detail;
        match self.kind {
            ErrorKind::UnknownCommand => {
                format!("unknown command `{detail}`: expected issue, return or payment")
            }
            ErrorKind::MissingField(field) => format!("missing field: {field} ({detail})"),
            ErrorKind::InvalidTimestamp => format!("invalid timestamp {detail}"),
            ErrorKind::InvalidAmount => format!("invalid amount {detail}"),
            ErrorKind::AmountNotPositive => {
                format!("amount must be positive, got `{detail}`")
            }
            ErrorKind::LineTooLong => format!("line too long ({detail})"),
            ErrorKind::InvalidUtf8 => format!("invalid UTF-8 ({detail})"),
            ErrorKind::ControlCharacter(field) => {
                format!("a control character inside the {field}: {detail}")
            }
        }
    }
}

/// What is doubtful about a line that was read anyway.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WarningKind {
    /// The first line is a transaction, not a header. It is kept as a
    /// transaction (Koha would silently lose it).
    MissingHeader,
    /// The header's `Version` is not `1.0`; the file is read anyway.
    UnsupportedVersion,
    /// The line has fields after the expected ones; they are ignored, as
    /// Koha ignores them.
    ExtraFields,
}

impl WarningKind {
    /// A stable snake_case code: `missing_header`, `unsupported_version`,
    /// `extra_fields`.
    pub const fn code(self) -> &'static str {
        match self {
            WarningKind::MissingHeader => "missing_header",
            WarningKind::UnsupportedVersion => "unsupported_version",
            WarningKind::ExtraFields => "extra_fields",
        }
    }
}

/// A doubt about a line that was read anyway.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Warning {
    /// Where the line starts.
    pub position: Position,
    /// What kind of doubt.
    pub kind: WarningKind,
    /// Detail for the message (the extra fields, the version found ...).
    pub detail: String,
}

impl Warning {
    /// The explanation without the position.
    pub fn message(&self) -> String {
        let detail = &self.detail;
        match self.kind {
            WarningKind::MissingHeader => {
                "the file has no header line; the first line is read as a transaction".to_owned()
            }
            WarningKind::UnsupportedVersion => {
                format!("format version `{detail}` is not 1.0; reading it anyway")
            }
            WarningKind::ExtraFields => format!("extra fields ignored: `{detail}`"),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.position, self.message())
    }
}
