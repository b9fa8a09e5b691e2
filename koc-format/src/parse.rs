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
//! - UTF-8 is checked, never replaced: a barcode with invalid UTF-8 is an
//!   error.
//!
//! It has two stages. `parse_plain` takes the lines the desktop tool writes
//! (fixed 23-byte timestamp, one TAB between fields, nothing to trim, no
//! extra field, nothing wrong) straight through, and gives up (`None`) on
//! anything else; `parse_any` then reads the line with the general code,
//! which is the only code that reports faults and warnings. So the fast path
//! can only ever be wrong by accepting a line it should not, and a property
//! test (in this file) checks that whatever it accepts, `parse_any` reads
//! the same. Keep it that way: when in doubt, return `None`.
//!
//! The hot path of the slice parser is `parse_plain_first`, which also
//! finds the line end (so there is no separate search for it): a
//! fixed-position timestamp checked a word at a time, a prefix match on the
//! command, a word-at-a-time search for the LF and the TABs, and an ASCII
//! check of the arguments. The reader finds line ends itself (a word at a
//! time as well) and calls `parse_plain`. The last date and minute seen are
//! kept (`DateCache`): building a `NaiveDate` costs more than all the rest
//! of a timestamp. Both write the record of the fast path straight into
//! their result: when a shared exit with the general path made the compiler
//! assemble it on the stack and copy it out, the copy stalled (a wide load
//! of narrow stores) and cost a fifth of the time.

use crate::error::{ErrorKind, Field, LineError};
use crate::record::{Action, Header, Line, Position, Record, Transaction};
use crate::timestamp::DateCache;
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
    parse_line_cached(line, position, &mut DateCache::default())
}

/// [`parse_line`], remembering the last date in `dates` (the slice parser
/// and the reader keep one across lines).
#[inline]
pub(crate) fn parse_line_cached<'a>(
    line: &'a [u8],
    position: Position,
    dates: &mut DateCache,
) -> Line<'a> {
    match parse_plain(line, position, dates) {
        Some(record) => Line::Transaction(record),
        None => parse_any(line, position, dates),
    }
}

/// The fast path: a line exactly as the desktop tool writes it (after line 1,
/// a 23-byte timestamp, one TAB between fields, no blanks around them, no
/// extra field, a valid date, positive amount and UTF-8), parsed straight
/// through. `None` for anything else, which [`parse_any`] then reads, so
/// that every fault is reported by one piece of code. On every line it
/// accepts, the result is exactly [`parse_any`]'s (a property test checks
/// it).
#[inline(always)]
pub(crate) fn parse_plain<'a>(
    line: &'a [u8],
    position: Position,
    dates: &mut DateCache,
) -> Option<Record<'a>> {
    // A line has no LF, so the first line of `line` is all of it; should a
    // caller pass one with an LF inside, the general parser reads it whole.
    match parse_plain_first(line, position, dates) {
        Some((record, length)) if length == line.len() => Some(record),
        _ => None,
    }
}

/// [`parse_plain`] on the first line of `input` (up to its first LF or its
/// end), finding the line end on the way, which saves the slice parser a
/// search for it. Also returns the length of the line, LF excluded.
#[inline(always)]
pub(crate) fn parse_plain_first<'a>(
    input: &'a [u8],
    position: Position,
    dates: &mut DateCache,
) -> Option<(Record<'a>, usize)> {
    if position.line == 1 {
        return None;
    }
    let (stamp, rest) = input.split_first_chunk::<23>()?;
    let (&b'\t', rest) = rest.split_first()? else {
        return None;
    };
    let timestamp = crate::timestamp::parse_desktop(stamp, dates)?.ok()?;
    let (action, command, rest) = if let Some(rest) = rest.strip_prefix(b"issue\t") {
        (Action::Issue, 6, rest)
    } else if let Some(rest) = rest.strip_prefix(b"return\t") {
        (Action::Return, 7, rest)
    } else if let Some(rest) = rest.strip_prefix(b"payment\t") {
        (Action::Payment, 8, rest)
    } else {
        return None;
    };
    // The timestamp and command hold no LF: the line ends at the first LF
    // of the arguments.
    let end = find_byte::<b'\n'>(rest).unwrap_or(rest.len());
    let length = 24 + command + end;
    let args = rest.get(..end)?;
    let args = args.strip_suffix(b"\r").unwrap_or(args);
    // A field is plain when it is not empty, has no blank at either end and
    // no control character inside.
    let plain = |field: &[u8]| match (field.first(), field.last()) {
        (Some(first), Some(last)) => {
            !first.is_ascii_whitespace() && !last.is_ascii_whitespace() && !has_control(field)
        }
        _ => false,
    };
    // The timestamp and the command are ASCII, so the line is UTF-8 exactly
    // when its arguments are.
    let args_text = utf8(args)?;
    let transaction = match action {
        Action::Return => {
            if !plain(args) || find_tab(args).is_some() {
                return None;
            }
            Transaction::Return { barcode: args_text }
        }
        Action::Issue | Action::Payment => {
            let tab = find_tab(args)?;
            let (first, second) = (args.get(..tab)?, args.get(tab + 1..)?);
            if !plain(first) || !plain(second) || find_tab(second).is_some() {
                return None;
            }
            let cardnumber = args_text.get(..tab)?;
            if action == Action::Issue {
                Transaction::Issue {
                    cardnumber,
                    barcode: args_text.get(tab + 1..)?,
                    due: None,
                }
            } else {
                let amount = Amount::parse_bytes(second).ok()?;
                if !amount.is_positive() {
                    return None;
                }
                Transaction::Payment { cardnumber, amount }
            }
        }
    };
    let record = Record {
        position,
        timestamp,
        transaction,
        extra: None,
        missing_header: false,
    };
    Some((record, length))
}

/// Any line at all: the general parser, which every fault goes through.
#[cold]
#[inline(never)]
pub(crate) fn parse_any<'a>(line: &'a [u8], position: Position, dates: &mut DateCache) -> Line<'a> {
    let mut line = line;
    if position.line == 1
        && let Some(rest) = line.strip_prefix(BOM)
    {
        line = rest;
    }
    let line = trim(line);
    if line.is_empty() {
        return Line::Blank(position);
    }
    let mut fields = Fields::new(line);
    let first = fields.next().unwrap_or_default();
    if position.line == 1 && memchr::memchr(b'=', fields.bytes(first)).is_some() {
        return parse_header(line, position);
    }
    match parse_transaction(first, fields, position, dates) {
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
    dates: DateCache,
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
            dates: DateCache::default(),
        }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = Line<'a>;

    fn next(&mut self) -> Option<Line<'a>> {
        let rest = self.input.get(self.offset..).filter(|r| !r.is_empty())?;
        // The fast path finds the line end itself; the record is written
        // straight into the result (a shared exit with the general path
        // made the compiler assemble it on the stack and copy it, which
        // stalled).
        let position = Position {
            line: self.line + 1,
            byte: self.offset as u64,
        };
        if let Some((record, length)) = parse_plain_first(rest, position, &mut self.dates)
            && length <= self.config.max_line_length
        {
            self.line += 1;
            self.offset += length + usize::from(rest.get(length) == Some(&b'\n'));
            return Some(Line::Transaction(record));
        }
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
            return Some(Line::Error(line_too_long(
                position,
                line.len() as u64,
                &self.config,
            )));
        }
        Some(parse_any(line, position, &mut self.dates))
    }
}

/// Where a field lies in its line: `line[start..end]`.
#[derive(Clone, Copy, Debug, Default)]
struct Span {
    start: usize,
    end: usize,
}

/// TAB-separated fields of a line, as spans, untrimmed.
///
/// The line is checked for UTF-8 once, as a whole: when it is valid, each
/// field's `&str` is a slice of it (TABs and blanks are ASCII, so field
/// bounds are always character bounds). Only a line that is not valid
/// UTF-8 has its fields checked one by one, to say which one is wrong.
struct Fields<'a> {
    line: &'a [u8],
    text: Option<&'a str>,
    /// Where the next field starts; `None` after the last field.
    next: Option<usize>,
}

impl<'a> Fields<'a> {
    fn new(line: &'a [u8]) -> Fields<'a> {
        Fields {
            line,
            text: std::str::from_utf8(line).ok(),
            next: Some(0),
        }
    }

    fn bytes(&self, span: Span) -> &'a [u8] {
        self.line.get(span.start..span.end).unwrap_or_default()
    }

    /// The field as text, or `Err` with its bytes when they are not UTF-8.
    fn text(&self, span: Span) -> Result<&'a str, &'a [u8]> {
        match self.text.and_then(|text| text.get(span.start..span.end)) {
            Some(text) => Ok(text),
            None => {
                let bytes = self.bytes(span);
                std::str::from_utf8(bytes).map_err(|_| bytes)
            }
        }
    }

    /// The span without the ASCII blanks around it.
    fn trim(&self, span: Span) -> Span {
        let bytes = self.bytes(span);
        let leading = bytes.len() - bytes.trim_ascii_start().len();
        let trailing = bytes.len() - bytes.trim_ascii_end().len();
        if leading == bytes.len() {
            return Span {
                start: span.start,
                end: span.start,
            };
        }
        Span {
            start: span.start + leading,
            end: span.end - trailing,
        }
    }

    /// Everything after the fields taken so far, TABs included.
    fn remainder(&mut self) -> Option<Span> {
        let start = self.next.take()?;
        Some(Span {
            start,
            end: self.line.len(),
        })
    }

    /// The remainder, without taking it.
    fn peek_remainder(&self) -> Option<Span> {
        self.next.map(|start| Span {
            start,
            end: self.line.len(),
        })
    }
}

impl Iterator for Fields<'_> {
    type Item = Span;

    #[inline]
    fn next(&mut self) -> Option<Span> {
        let start = self.next?;
        let rest = self.line.get(start..).unwrap_or_default();
        match find_tab(rest) {
            Some(tab) => {
                self.next = Some(start + tab + 1);
                Some(Span {
                    start,
                    end: start + tab,
                })
            }
            None => {
                self.next = None;
                Some(Span {
                    start,
                    end: self.line.len(),
                })
            }
        }
    }
}

/// The first TAB in `bytes`.
#[inline(always)]
fn find_tab(bytes: &[u8]) -> Option<usize> {
    find_byte::<b'\t'>(bytes)
}

/// The first `BYTE` in `bytes`. Fields and lines are short (5 to 60
/// bytes), where a word-at-a-time scan beats a call to `memchr`.
#[inline(always)]
pub(crate) fn find_byte<const BYTE: u8>(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let tabs: u64 = ONES * BYTE as u64;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or_default());
        // A byte of `x` is zero where `word` has a TAB; the lowest flagged
        // byte is exact (higher ones may be false alarms, and are ignored).
        let x = word ^ tabs;
        let zero = x.wrapping_sub(ONES) & !x & HIGHS;
        if zero != 0 {
            return Some(offset + (zero.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == BYTE)
        .map(|i| offset + i)
}

/// Whether `bytes` hold an ASCII control character (below 0x20, or DEL).
/// Word at a time, as [`find_byte`]: fields are short.
#[inline(always)]
pub(crate) fn has_control(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or_default());
        // A byte below 0x20 turns its high bit on in `word - 0x20…`, where
        // `word` itself had it off; bytes of 0x80 and above are not ASCII
        // and are left to the UTF-8 check.
        let below = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
        // DEL is 0x7F: its high bit turns on when 1 is added.
        let del = (word ^ (ONES * 0x7F)).wrapping_sub(ONES) & !(word ^ (ONES * 0x7F)) & HIGHS;
        if below | del != 0 {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| b < 0x20 || b == 0x7F)
}

/// `bytes` as text, when they are UTF-8.
///
/// The one `unsafe` block of the crate, for a measured need: on the
/// benchmark's desktop-style file (2 million lines, see
/// `benches/README.md`), checking each line's card number and barcode with
/// `std::str::from_utf8` took 15% of the whole parse (72 ms of thread CPU
/// time against 61 ms with this function, best of 10 runs; the `csv` crate
/// takes 110 ms), so that the parser was 1.5× as fast as `csv`, the
/// project's bare minimum, instead of 1.8×; the streaming reader, 1.26×
/// instead of 1.38×. Barcodes and card numbers are ASCII, which `is_ascii`
/// checks a word at a time; anything else goes through `std::str::from_utf8`.
/// To drop it, make this function `std::str::from_utf8(bytes).ok()`.
#[inline(always)]
#[allow(unsafe_code)]
fn utf8(bytes: &[u8]) -> Option<&str> {
    if bytes.is_ascii() {
        // SAFETY: every byte is below 0x80, checked just above, and a
        // sequence of such bytes is valid UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(bytes) })
    } else {
        std::str::from_utf8(bytes).ok()
    }
}

#[inline]
fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cold]
fn error(position: Position, kind: ErrorKind, detail: impl Into<String>) -> LineError {
    LineError {
        position,
        kind,
        detail: detail.into(),
    }
}

/// A required text field: present, not blank, valid UTF-8.
#[inline]
fn required<'a>(
    fields: &Fields<'a>,
    field: Option<Span>,
    which: Field,
    action: Action,
    position: Position,
) -> Result<&'a str, LineError> {
    let span = fields.trim(field.unwrap_or_default());
    if span.start == span.end {
        let what = if field.is_some() { "blank" } else { "absent" };
        return Err(error(
            position,
            ErrorKind::MissingField(which),
            format!("{action} needs a {which}; it is {what}"),
        ));
    }
    let bytes = fields.bytes(span);
    if has_control(bytes) {
        return Err(error(
            position,
            ErrorKind::ControlCharacter(which),
            format!("{}", text_of(bytes).escape_debug()),
        ));
    }
    fields
        .text(span)
        .map_err(|bytes| invalid_utf8(bytes, which, position))
}

#[cold]
fn invalid_utf8(bytes: &[u8], which: Field, position: Position) -> LineError {
    let valid_up_to = match std::str::from_utf8(bytes) {
        Ok(_) => bytes.len(),
        Err(e) => e.valid_up_to(),
    };
    error(
        position,
        ErrorKind::InvalidUtf8,
        format!(
            "in the {which}, {valid_up_to} bytes into the field: {}",
            text_of(bytes).escape_debug()
        ),
    )
}

fn parse_transaction<'a>(
    first: Span,
    mut fields: Fields<'a>,
    position: Position,
    dates: &mut DateCache,
) -> Result<Record<'a>, LineError> {
    let stamp = trim(fields.bytes(first));
    let timestamp = Timestamp::parse_cached(stamp, dates).map_err(|e| {
        error(
            position,
            ErrorKind::InvalidTimestamp,
            format!("`{}`: {e}", text_of(stamp)),
        )
    })?;
    let command = trim(fields.next().map(|f| fields.bytes(f)).unwrap_or_default());
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
            let next = fields.next();
            let cardnumber = required(&fields, next, Field::Cardnumber, action, position)?;
            let next = fields.next();
            let barcode = required(&fields, next, Field::Barcode, action, position)?;
            let rest = fields.peek_remainder();
            let mut due = None;
            if rest.is_some() {
                let fifth = fields.next().unwrap_or_default();
                match DueDate::parse_bytes(trim(fields.bytes(fifth))) {
                    Ok(date) => {
                        due = Some(date);
                        extra_from = fields.remainder();
                    }
                    Err(_) => extra_from = rest,
                }
            }
            Transaction::Issue {
                cardnumber,
                barcode,
                due,
            }
        }
        Action::Return => {
            let next = fields.next();
            let barcode = required(&fields, next, Field::Barcode, action, position)?;
            extra_from = fields.remainder();
            Transaction::Return { barcode }
        }
        Action::Payment => {
            let next = fields.next();
            let cardnumber = required(&fields, next, Field::Cardnumber, action, position)?;
            let next = fields.next();
            let amount_text = required(&fields, next, Field::Amount, action, position)?;
            let amount = Amount::parse(amount_text).map_err(|e| {
                let kind = match e {
                    AmountError::Empty => ErrorKind::MissingField(Field::Amount),
                    _ => ErrorKind::InvalidAmount,
                };
                error(position, kind, format!("`{amount_text}`: {e}"))
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
    let extra = match extra_from.map(|span| fields.trim(span)) {
        Some(span) if span.start != span.end => Some(fields.text(span).map_err(|extra| {
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
    // A file with CR-only line ends (old Macs) is one long line: say so
    // instead of reading its transactions as header fields.
    if text
        .split('\t')
        .any(|field| has_control(field.trim().as_bytes()))
    {
        return Line::Error(error(
            position,
            ErrorKind::ControlCharacter(Field::Header),
            format!(
                "{} (koc reads LF or CRLF line ends; a CR alone does not end a line)",
                text_of(&line[..line.len().min(80)]).escape_debug()
            ),
        ));
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const AT: Position = Position { line: 2, byte: 0 };

    proptest! {
        #[test]
        fn has_control_is_exact(bytes in prop::collection::vec(any::<u8>(), 0..40)) {
            let naive = bytes.iter().any(|&b| b < 0x20 || b == 0x7F);
            prop_assert_eq!(has_control(&bytes), naive);
        }
    }

    #[test]
    fn has_control_at_every_position() {
        for len in 1..20 {
            for at in 0..len {
                for control in [0x00, 0x09, 0x0B, 0x0D, 0x1F, 0x7F] {
                    let mut bytes = vec![b'7'; len];
                    bytes[at] = control;
                    assert!(has_control(&bytes), "{bytes:?}");
                }
                let mut bytes = vec![0xC3; len];
                bytes[at] = 0x20;
                assert!(!has_control(&bytes), "{bytes:?}");
            }
        }
    }

    #[test]
    fn the_fast_path_takes_the_desktop_tool_lines() {
        for line in [
            &b"2026-07-22 10-15-30 000\tissue\t23529001000463\t31000000123456"[..],
            b"2026-07-22 10-16-02 000\treturn\t31000000654321\r",
            b"2026-07-22 10-17-45 000\tpayment\t23529001000463\t5.00",
            "2026-07-22 10:17:45 999\tissue\tJosé\tn° 1".as_bytes(),
        ] {
            let fast = parse_plain(line, AT, &mut DateCache::default());
            assert!(fast.is_some(), "{}", line.escape_ascii());
            assert_eq!(
                fast.map(Line::Transaction),
                Some(parse_any(line, AT, &mut DateCache::default()))
            );
        }
    }

    #[test]
    fn the_fast_path_leaves_the_rest_to_the_general_parser() {
        for line in [
            &b"2026-07-22 10-16-02 000\treturn\t3100\n0000"[..],
            &b"2026-07-22 10-15-30 000\tissue\t23529001000463\t31000000123456\t2026-08-05"[..],
            b"2026-07-22 10-15-30 000\tissue\t 23529001000463\t31000000123456",
            b"2026-07-22 10-15-30 000\tissue\t23529001000463\t",
            b"2026-07-22 10-16-02 000\treturn\t31000000654321\tx",
            b"2026-07-22 10-16-02 000\treturn\t31000000654321\r\r",
            b"2026-07-22 10-17-45 000\tpayment\t23529001000463\t0.00",
            b"2026-07-22 10-17-45 000\tpayment\t23529001000463\t5,00",
            b"2026-02-30 10-17-45 000\treturn\t1",
            b"2026-07-22 10:17:45.000\treturn\t1",
            b"2026-07-22 10-16-02 000\treturn\t\xE9",
        ] {
            assert_eq!(parse_plain(line, AT, &mut DateCache::default()), None);
        }
    }

    fn koc_line() -> impl Strategy<Value = Vec<u8>> {
        let stamp = prop_oneof![
            Just(b"2026-07-22 10-15-30 000".to_vec()),
            Just(b"2026-07-22 10:15:30 999".to_vec()),
            Just(b"2026-02-29 10-15-30 000".to_vec()),
            Just(b"2026-07-22 24-15-30 000".to_vec()),
            "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}[-:][0-9]{2}[-:][0-9]{2} [0-9]{3}"
                .prop_map(String::into_bytes),
        ];
        let command = prop_oneof![
            Just(b"issue".to_vec()),
            Just(b"return".to_vec()),
            Just(b"payment".to_vec()),
            "[a-z ]{0,8}".prop_map(String::into_bytes),
        ];
        let arg = prop_oneof![
            Just(b"23529001000463".to_vec()),
            Just(b"5.00".to_vec()),
            Just(b"-5".to_vec()),
            Just(b"2026-08-05".to_vec()),
            Just(b"\xE9".to_vec()),
            Just("José".as_bytes().to_vec()),
            // Any byte but LF: these are lines.
            proptest::collection::vec(any::<u8>().prop_filter("not LF", |&b| b != b'\n'), 0..6),
            "[ \t\r\x0c0-9a-z.,]{0,6}".prop_map(String::into_bytes),
        ];
        (
            stamp,
            command,
            proptest::collection::vec(arg, 0..4),
            any::<bool>(),
        )
            .prop_map(|(stamp, command, args, cr)| {
                let mut line = stamp;
                line.push(b'\t');
                line.extend(command);
                for arg in args {
                    line.push(b'\t');
                    line.extend(arg);
                }
                if cr {
                    line.push(b'\r');
                }
                line
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn the_fast_path_finds_the_line_end(
            line in koc_line(),
            next in proptest::collection::vec(any::<u8>(), 0..30),
        ) {
            let mut input = line.clone();
            input.push(b'\n');
            input.extend(&next);
            let first = parse_plain_first(&input, AT, &mut DateCache::default());
            let alone = parse_plain(&line, AT, &mut DateCache::default());
            prop_assert_eq!(first, alone.map(|record| (record, line.len())));
        }

        #[test]
        fn the_fast_path_agrees_with_the_general_parser(line in koc_line()) {
            if let Some(fast) = parse_plain(&line, AT, &mut DateCache::default()) {
                prop_assert_eq!(
                    Line::Transaction(fast),
                    parse_any(&line, AT, &mut DateCache::default())
                );
            }
        }
    }
}
