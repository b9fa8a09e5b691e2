//! The slice parser: records that borrow from a byte slice.
//!
//! # Advice for hackers
//!
//! Everything else in the crate funnels through [`parse_line`], so the slice
//! parser and the streaming [`Reader`](crate::Reader) cannot disagree. Its
//! invariants:
//!
//! - It is given one line without its `\n`; a trailing `\r` is still there.
//!   It never looks outside that line, and never allocates on the success
//!   path (errors and warnings carry owned detail; they are rare).
//! - It always returns exactly one [`Line`]; that is what makes "every line is
//!   a transaction, an error or blank" hold by construction.
//! - Fields are trimmed of ASCII blanks (space, `\r`, form feed ...), as
//!   Koha's HTTP service trims them; a `\r` inside a field is therefore only
//!   kept when it sits between other characters.
//! - UTF-8 is validated per field, only for fields that are returned as
//!   `&str`; a barcode with invalid UTF-8 is an error, never replaced.
//!
//! The hot path is: one `memchr` for the line end (done by the caller), a
//! split on TAB, a fixed-position timestamp parse, a match on the command.

use crate::error::{ErrorKind, Field, LineError};
use crate::record::{Action, Header, Line, Position, Record, Transaction};
use crate::{Amount, AmountError, DueDate, Timestamp};

/// The default longest line, in bytes, not counting the line end: 64 KiB.
pub const DEFAULT_MAX_LINE_LENGTH: usize = 64 * 1024;

/// The UTF-8 byte-order mark, accepted at the start of a file.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Settings shared by the slice parser and the reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParserConfig {
    /// Lines longer than this many bytes (line end excluded) are reported as
    /// [`ErrorKind::LineTooLong`] and skipped; the rest of the input is still
    /// read. Default [`DEFAULT_MAX_LINE_LENGTH`].
    pub max_line_length: usize,
}

impl Default for ParserConfig {
    fn default() -> ParserConfig {
        ParserConfig {
            max_line_length: DEFAULT_MAX_LINE_LENGTH,
        }
    }
}

impl ParserConfig {
    /// The default settings with another line limit.
    pub fn with_max_line_length(max_line_length: usize) -> ParserConfig {
        ParserConfig { max_line_length }
    }
}

/// Parses one line (without its `\n`) found at `position`.
///
/// `position.line == 1` makes it a candidate header: a first line whose first
/// field contains `=` is the header; any other first line is read as a
/// transaction and flagged [`Record::missing_header`]. A UTF-8 byte-order
/// mark at the start of line 1 is skipped.
///
/// The caller enforces the line limit (it must not even buffer a longer
/// line); see [`line_too_long`].
pub fn parse_line(line: &[u8], position: Position) -> Line<'_> {
    let mut line = line;
    if position.line == 1 {
        if let Some(rest) = line.strip_prefix(BOM) {
            line = rest;
        }
    }
    let line = trim(line);
    if line.is_empty() {
        return Line::Blank(position);
    }
    let mut fields = Fields { rest: Some(line) };
    let first = fields.next().unwrap_or_default();
    if position.line == 1 && memchr::memchr(b'=', first).is_some() {
        return parse_header(line, position);
    }
    match parse_transaction(first, fields, position) {
        Ok(mut record) => {
            record.missing_header = position.line == 1;
            Line::Transaction(record)
        }
        Err(error) => Line::Error(error),
    }
}

/// The error for a line of `length` bytes, over the limit, at `position`.
pub fn line_too_long(position: Position, length: u64, config: &ParserConfig) -> LineError {
    LineError {
        position,
        kind: ErrorKind::LineTooLong,
        detail: format!(
            "{length} bytes, the limit is {} bytes",
            config.max_line_length
        ),
    }
}

/// The lines of a byte slice, each parsed by [`parse_line`], borrowing from
/// the slice.
///
/// ```
/// use koc_format::{Line, Lines};
///
/// let input = b"Version=1.0\tGenerator=kocDesktop\tGeneratorVersion=2.4.0\n\
///               2026-07-22 10-16-02 000\treturn\t31000000654321\n";
/// let lines: Vec<Line> = Lines::new(input).collect();
/// assert!(matches!(lines[0], Line::Header(_)));
/// let Line::Transaction(record) = &lines[1] else { panic!() };
/// assert_eq!(record.transaction.barcode(), Some("31000000654321"));
/// ```
#[derive(Clone, Debug)]
pub struct Lines<'a> {
    input: &'a [u8],
    offset: usize,
    line: u64,
    config: ParserConfig,
}

impl<'a> Lines<'a> {
    /// The lines of `input`, with default settings.
    pub fn new(input: &'a [u8]) -> Lines<'a> {
        Lines::with_config(input, ParserConfig::default())
    }

    /// The lines of `input`, with `config`.
    pub fn with_config(input: &'a [u8], config: ParserConfig) -> Lines<'a> {
        Lines {
            input,
            offset: 0,
            line: 0,
            config,
        }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = Line<'a>;

    fn next(&mut self) -> Option<Line<'a>> {
        let rest = self.input.get(self.offset..).filter(|r| !r.is_empty())?;
        let (line, consumed) = match memchr::memchr(b'\n', rest) {
            Some(end) => (&rest[..end], end + 1),
            None => (rest, rest.len()),
        };
        self.line += 1;
        let position = Position {
            line: self.line,
            byte: self.offset as u64,
        };
        self.offset += consumed;
        if line.len() > self.config.max_line_length {
            let error = line_too_long(position, line.len() as u64, &self.config);
            return Some(Line::Error(error));
        }
        Some(parse_line(line, position))
    }
}

/// TAB-separated fields of a line, untrimmed.
struct Fields<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Fields<'a> {
    /// Everything after the fields taken so far, TABs included.
    fn remainder(&mut self) -> Option<&'a [u8]> {
        self.rest.take()
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        match memchr::memchr(b'\t', rest) {
            Some(tab) => {
                self.rest = Some(&rest[tab + 1..]);
                Some(&rest[..tab])
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn error(position: Position, kind: ErrorKind, detail: impl Into<String>) -> LineError {
    LineError {
        position,
        kind,
        detail: detail.into(),
    }
}

/// A required text field: present, not blank, valid UTF-8.
fn required<'a>(
    field: Option<&'a [u8]>,
    which: Field,
    action: Action,
    position: Position,
) -> Result<&'a str, LineError> {
    let bytes = trim(field.unwrap_or_default());
    if bytes.is_empty() {
        let what = if field.is_some() { "blank" } else { "absent" };
        return Err(error(
            position,
            ErrorKind::MissingField(which),
            format!("{action} needs a {which}; it is {what}"),
        ));
    }
    utf8(bytes, which, position)
}

fn utf8(bytes: &[u8], which: Field, position: Position) -> Result<&str, LineError> {
    std::str::from_utf8(bytes).map_err(|e| {
        error(
            position,
            ErrorKind::InvalidUtf8,
            format!(
                "in the {which}, {} bytes into the field: {}",
                e.valid_up_to(),
                text_of(bytes).escape_debug()
            ),
        )
    })
}

fn parse_transaction<'a>(
    first: &'a [u8],
    mut fields: Fields<'a>,
    position: Position,
) -> Result<Record<'a>, LineError> {
    let stamp = trim(first);
    let timestamp = Timestamp::parse_bytes(stamp).map_err(|e| {
        error(
            position,
            ErrorKind::InvalidTimestamp,
            format!("{}: {e}", text_of(stamp)),
        )
    })?;
    let command = trim(fields.next().unwrap_or_default());
    let action = match Action::from_command(command) {
        Some(action) => action,
        None if command.is_empty() => {
            return Err(error(
                position,
                ErrorKind::MissingField(Field::Command),
                "expected issue, return or payment after the timestamp",
            ));
        }
        None => {
            return Err(error(position, ErrorKind::UnknownCommand, text_of(command)));
        }
    };
    let mut extra_from = None;
    let transaction = match action {
        Action::Issue => {
            let cardnumber = required(fields.next(), Field::Cardnumber, action, position)?;
            let barcode = required(fields.next(), Field::Barcode, action, position)?;
            let rest = fields.remainder();
            let mut due = None;
            if let Some(rest) = rest {
                let mut more = Fields { rest: Some(rest) };
                let fifth = trim(more.next().unwrap_or_default());
                match DueDate::parse_bytes(fifth) {
                    Ok(date) => {
                        due = Some(date);
                        extra_from = more.remainder();
                    }
                    Err(_) => extra_from = Some(rest),
                }
            }
            Transaction::Issue {
                cardnumber,
                barcode,
                due,
            }
        }
        Action::Return => {
            let barcode = required(fields.next(), Field::Barcode, action, position)?;
            extra_from = fields.remainder();
            Transaction::Return { barcode }
        }
        Action::Payment => {
            let cardnumber = required(fields.next(), Field::Cardnumber, action, position)?;
            let amount_text = required(fields.next(), Field::Amount, action, position)?;
            let amount = Amount::parse(amount_text).map_err(|e| {
                let kind = match e {
                    AmountError::Empty => ErrorKind::MissingField(Field::Amount),
                    _ => ErrorKind::InvalidAmount,
                };
                error(position, kind, format!("{amount_text}: {e}"))
            })?;
            if !amount.is_positive() {
                return Err(error(
                    position,
                    ErrorKind::AmountNotPositive,
                    amount_text.to_owned(),
                ));
            }
            extra_from = fields.remainder();
            Transaction::Payment { cardnumber, amount }
        }
    };
    // Extra fields are kept when they say something; a trailing TAB or blanks
    // after the last field are not worth a warning.
    let extra = match extra_from.map(trim) {
        Some(extra) if !extra.is_empty() => Some(std::str::from_utf8(extra).map_err(|_| {
            error(
                position,
                ErrorKind::InvalidUtf8,
                format!("in the extra fields: {}", text_of(extra).escape_debug()),
            )
        })?),
        _ => None,
    };
    Ok(Record {
        position,
        timestamp,
        transaction,
        extra,
        missing_header: false,
    })
}

fn parse_header(line: &[u8], position: Position) -> Line<'_> {
    let text = match std::str::from_utf8(line) {
        Ok(text) => text,
        Err(_) => {
            return Line::Error(error(
                position,
                ErrorKind::InvalidUtf8,
                format!("in the header: {}", text_of(line).escape_debug()),
            ));
        }
    };
    let fields = text
        .split('\t')
        .map(str::trim)
        .filter(|field| !field.is_empty())
        .map(|field| match field.split_once('=') {
            Some((key, value)) => (key.trim().to_owned(), value.trim().to_owned()),
            None => (field.to_owned(), String::new()),
        })
        .collect();
    Line::Header(Header { position, fields })
}
