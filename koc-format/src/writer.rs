//! The writer: the desktop tool's exact bytes.
//!
//! The writer refuses, before writing anything, what would not read back the
//! same: a blank card number, a barcode with a TAB in it or blanks around it,
//! a payment of zero, a year of five digits ... So a file this writer made
//! always reads back as the transactions it was given (a property test and
//! the `round_trip` fuzz target check it).

use std::io::{self, Write};

use chrono::{Datelike, NaiveDateTime, Timelike};

use crate::{Amount, DueDate, Field, Header, Record, Timestamp, Transaction};

/// Why a line was not written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The destination failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// A field cannot be written so that it reads back the same: a text field
    /// that is blank, has blanks around it or holds a control character; a
    /// timestamp or due date outside the years 0000 to 9999 or on a leap
    /// second; an offset with seconds; extra fields that would read as a due
    /// date. Nothing of the line was written.
    #[error("cannot write the {field} `{value}`: {reason}")]
    InvalidField {
        /// Which field.
        field: Field,
        /// The value, as text.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A payment of zero or less: the format has no such thing (Koha fails on
    /// it). Nothing of the line was written.
    #[error("cannot write a payment of {0}: the amount must be positive")]
    AmountNotPositive(Amount),
    /// A header key or value cannot be written so that it reads back the same
    /// (a key with `=`, a TAB, CR or LF, blanks around it, or no fields at
    /// all). Nothing was written.
    #[error("cannot write the header field `{value}`: {reason}")]
    InvalidHeader {
        /// The key or value, as text.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The header can only be the first line.
    #[error("the header must be the first line, and {0} lines were already written")]
    HeaderNotFirst(u64),
}

/// Writes `.koc` files byte for byte as Koha's desktop tool does.
///
/// Each line goes to the destination in a single `write_all` call, LF after
/// every line; the writer does no other buffering, so wrap a file in a
/// [`std::io::BufWriter`] when writing many lines at once, and use it
/// directly for a journal where each line must reach the file as soon as it
/// is written.
///
/// ```
/// use koc_format::{Amount, Header, Timestamp, Transaction, Writer};
///
/// let mut writer = Writer::new(Vec::new());
/// writer.write_header(&Header::new("kocDesktop", "2.4.0"))?;
/// let at: Timestamp = "2026-07-22 10:17:45".parse()?;
/// writer.write_transaction(at, Transaction::Payment {
///     cardnumber: "23529001000463",
///     amount: Amount::from_cents(500),
/// })?;
/// assert_eq!(
///     writer.into_inner(),
///     b"Version=1.0\tGenerator=kocDesktop\tGeneratorVersion=2.4.0\n\
///       2026-07-22 10-17-45 000\tpayment\t23529001000463\t5.00\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Writer<W: Write> {
    inner: W,
    line: Vec<u8>,
    lines: u64,
}

impl<W: Write> Writer<W> {
    /// A writer to `inner`.
    pub fn new(inner: W) -> Writer<W> {
        Writer {
            inner,
            line: Vec::with_capacity(128),
            lines: 0,
        }
    }

    /// Writes the header line: `key=value` pairs separated by TABs, such as
    /// `Version=1.0<TAB>Generator=kocDesktop<TAB>GeneratorVersion=2.4.0` for
    /// [`Header::new("kocDesktop", "2.4.0")`](Header::new).
    ///
    /// # Errors
    ///
    /// [`WriteError::HeaderNotFirst`] after any other line,
    /// [`WriteError::InvalidHeader`] for a header that would not read back the
    /// same, [`WriteError::Io`] when the destination fails.
    pub fn write_header(&mut self, header: &Header) -> Result<(), WriteError> {
        if self.lines > 0 {
            return Err(WriteError::HeaderNotFirst(self.lines));
        }
        if header.fields.is_empty() {
            return Err(WriteError::InvalidHeader {
                value: String::new(),
                reason: "a header needs at least one field",
            });
        }
        self.line.clear();
        for (i, (key, value)) in header.fields.iter().enumerate() {
            check_header_text(key, true)?;
            check_header_text(value, false)?;
            if i == 0 && key.starts_with('\u{feff}') {
                return Err(invalid_header(key, "starts with a byte-order mark"));
            }
            if i > 0 {
                self.line.push(b'\t');
            }
            self.line.extend_from_slice(key.as_bytes());
            self.line.push(b'=');
            self.line.extend_from_slice(value.as_bytes());
        }
        self.finish_line()
    }

    /// Writes one transaction line, e.g.
    /// `2026-07-22 10-15-30 000<TAB>issue<TAB>23529001000463<TAB>31000000123456`,
    /// with the due date of an issue as a 5th field when it has one.
    ///
    /// The timestamp is written in the desktop tool's form, milliseconds
    /// included and digits beyond them dropped. A timestamp with a zone
    /// offset is written in ISO 8601 (`2026-07-22T08:15:30.000Z`), which the
    /// reader accepts, so the offset is not lost.
    ///
    /// # Errors
    ///
    /// [`WriteError::InvalidField`] or [`WriteError::AmountNotPositive`] for a
    /// line that would not read back the same (nothing is written then),
    /// [`WriteError::Io`] when the destination fails.
    pub fn write_transaction(
        &mut self,
        timestamp: Timestamp,
        transaction: Transaction<'_>,
    ) -> Result<(), WriteError> {
        self.line.clear();
        self.push_transaction(timestamp, transaction)?;
        self.finish_line()
    }

    /// Writes a record read earlier: its timestamp, its transaction and its
    /// extra fields, if any (so a file can be filtered or rewritten without
    /// losing them). Its position and header flag play no part.
    ///
    /// # Errors
    ///
    /// As [`Writer::write_transaction`]; extra fields must not be blank,
    /// have blanks around them, hold a CR or LF, or (on an issue without due
    /// date) start with something that reads as a due date.
    pub fn write_record(&mut self, record: &Record<'_>) -> Result<(), WriteError> {
        self.line.clear();
        self.push_transaction(record.timestamp, record.transaction)?;
        if let Some(extra) = record.extra {
            let bytes = extra.as_bytes();
            let reason = if bytes.trim_ascii().is_empty() {
                Some("it is blank")
            } else if bytes.trim_ascii().len() != bytes.len() {
                Some("it has blanks around it")
            } else if memchr::memchr2(b'\r', b'\n', bytes).is_some() {
                Some("it holds a CR or LF")
            } else if matches!(record.transaction, Transaction::Issue { due: None, .. })
                && DueDate::parse(extra.split('\t').next().unwrap_or_default().trim_ascii()).is_ok()
            {
                Some("its first field would read as the due date")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(invalid(Field::Extra, extra, reason));
            }
            self.line.push(b'\t');
            self.line.extend_from_slice(bytes);
        }
        self.finish_line()
    }

    /// The number of lines written so far.
    pub fn lines_written(&self) -> u64 {
        self.lines
    }

    /// Flushes the destination.
    ///
    /// # Errors
    ///
    /// The destination's.
    pub fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    /// The destination.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The destination, mutably. Writing to it directly breaks the count of
    /// lines written.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// The destination. It is not flushed.
    pub fn into_inner(self) -> W {
        self.inner
    }

    fn push_transaction(
        &mut self,
        timestamp: Timestamp,
        transaction: Transaction<'_>,
    ) -> Result<(), WriteError> {
        push_timestamp(&mut self.line, timestamp)?;
        self.line.push(b'\t');
        self.line
            .extend_from_slice(transaction.action().as_str().as_bytes());
        match transaction {
            Transaction::Issue {
                cardnumber,
                barcode,
                due,
            } => {
                self.push_text(Field::Cardnumber, cardnumber)?;
                self.push_text(Field::Barcode, barcode)?;
                if let Some(due) = due {
                    check_due(due)?;
                    self.line.push(b'\t');
                    // Writing to a Vec cannot fail.
                    let _ = write!(self.line, "{due}");
                }
            }
            Transaction::Return { barcode } => self.push_text(Field::Barcode, barcode)?,
            Transaction::Payment { cardnumber, amount } => {
                self.push_text(Field::Cardnumber, cardnumber)?;
                if !amount.is_positive() {
                    return Err(WriteError::AmountNotPositive(amount));
                }
                self.line.push(b'\t');
                let _ = write!(self.line, "{amount}");
            }
        }
        Ok(())
    }

    /// A TAB and a card number or barcode, refused when reading would not
    /// give it back.
    fn push_text(&mut self, field: Field, text: &str) -> Result<(), WriteError> {
        let bytes = text.as_bytes();
        let reason = if bytes.is_empty() {
            Some("it is blank")
        } else if crate::parse::has_control(bytes) {
            Some("it holds a control character (TAB, CR, LF ...)")
        } else if bytes.trim_ascii().len() != bytes.len() {
            Some("it has blanks around it")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(invalid(field, text, reason));
        }
        self.line.push(b'\t');
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn finish_line(&mut self) -> Result<(), WriteError> {
        self.line.push(b'\n');
        self.inner.write_all(&self.line)?;
        self.lines += 1;
        Ok(())
    }
}

/// The desktop tool's default name for a file started at `at`:
/// `koha-offline-circ-2026-09-03-12-10-30-000.koc`.
///
/// ```
/// let at = chrono::NaiveDate::from_ymd_opt(2026, 9, 3)
///     .and_then(|d| d.and_hms_milli_opt(12, 10, 30, 0))
///     .unwrap();
/// assert_eq!(
///     koc_format::default_file_name(at),
///     "koha-offline-circ-2026-09-03-12-10-30-000.koc"
/// );
/// ```
pub fn default_file_name(at: NaiveDateTime) -> String {
    format!(
        "koha-offline-circ-{}-{:03}.koc",
        at.format("%Y-%m-%d-%H-%M-%S"),
        (at.nanosecond() % 1_000_000_000) / 1_000_000
    )
}

fn invalid(field: Field, value: impl ToString, reason: &'static str) -> WriteError {
    WriteError::InvalidField {
        field,
        value: value.to_string(),
        reason,
    }
}

fn invalid_header(value: &str, reason: &'static str) -> WriteError {
    WriteError::InvalidHeader {
        value: value.to_owned(),
        reason,
    }
}

fn check_header_text(text: &str, key: bool) -> Result<(), WriteError> {
    if crate::parse::has_control(text.as_bytes()) {
        return Err(invalid_header(
            text,
            "it holds a control character (TAB, CR, LF ...)",
        ));
    }
    if text.trim() != text {
        return Err(invalid_header(text, "it has blanks around it"));
    }
    if key && text.contains('=') {
        return Err(invalid_header(text, "a key cannot hold `=`"));
    }
    Ok(())
}

/// Years the four-digit forms can hold, and no leap second (which has no
/// written form with three digits of milliseconds).
fn check_datetime(field: Field, at: NaiveDateTime) -> Result<(), WriteError> {
    if !(0..=9999).contains(&at.year()) {
        return Err(invalid(
            field,
            at,
            "the year must have four digits (0000 to 9999)",
        ));
    }
    if at.nanosecond() >= 1_000_000_000 {
        return Err(invalid(field, at, "a leap second has no written form"));
    }
    Ok(())
}

fn check_due(due: DueDate) -> Result<(), WriteError> {
    match due {
        DueDate::Date(date) => check_datetime(Field::DueDate, date.and_time(Default::default())),
        DueDate::DateTime(at) => check_datetime(Field::DueDate, at),
    }
}

/// `2026-07-22 10-15-30 123`, or `2026-07-22T10:15:30.123+02:00` with an
/// offset.
fn push_timestamp(line: &mut Vec<u8>, timestamp: Timestamp) -> Result<(), WriteError> {
    let at = timestamp.naive();
    check_datetime(Field::Timestamp, at)?;
    let offset = timestamp.offset();
    let (date_time, time) = if offset.is_some() {
        (b'T', b':')
    } else {
        (b' ', b'-')
    };
    // The year is checked to have four digits, the rest are below 100.
    push_digits(line, at.year() as u32, 4);
    line.push(b'-');
    push_digits(line, at.month(), 2);
    line.push(b'-');
    push_digits(line, at.day(), 2);
    line.push(date_time);
    push_digits(line, at.hour(), 2);
    line.push(time);
    push_digits(line, at.minute(), 2);
    line.push(time);
    push_digits(line, at.second(), 2);
    line.push(if offset.is_some() { b'.' } else { b' ' });
    push_digits(line, at.nanosecond() / 1_000_000, 3);
    if let Some(offset) = offset {
        let seconds = offset.local_minus_utc();
        if seconds % 60 != 0 {
            return Err(invalid(
                Field::Timestamp,
                timestamp,
                "a zone offset with seconds has no written form",
            ));
        }
        if seconds == 0 {
            line.push(b'Z');
        } else {
            line.push(if seconds < 0 { b'-' } else { b'+' });
            let minutes = seconds.unsigned_abs() / 60;
            push_digits(line, minutes / 60, 2);
            line.push(b':');
            push_digits(line, minutes % 60, 2);
        }
    }
    Ok(())
}

/// `value` in exactly `width` decimal digits (`value` must fit).
fn push_digits(line: &mut Vec<u8>, value: u32, width: u32) {
    let mut divisor = 10_u32.pow(width - 1);
    while divisor > 0 {
        line.push(b'0' + ((value / divisor) % 10) as u8);
        divisor /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut Writer<Vec<u8>>) -> Result<(), WriteError>) -> String {
        let mut writer = Writer::new(Vec::new());
        f(&mut writer).unwrap();
        String::from_utf8(writer.into_inner()).unwrap()
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn pinned_lines_of_the_desktop_tool() {
        let text = written(|w| {
            w.write_header(&Header::new("kocDesktop", "2.4.0"))?;
            w.write_transaction(
                at("2026-07-22 10:15:30"),
                Transaction::Issue {
                    cardnumber: "23529001000463",
                    barcode: "31000000123456",
                    due: None,
                },
            )?;
            w.write_transaction(
                at("2026-07-22 10:16:02"),
                Transaction::Return {
                    barcode: "31000000654321",
                },
            )?;
            w.write_transaction(
                at("2026-07-22 10:17:45"),
                Transaction::Payment {
                    cardnumber: "23529001000463",
                    amount: Amount::from_cents(500),
                },
            )
        });
        assert_eq!(
            text,
            "Version=1.0\tGenerator=kocDesktop\tGeneratorVersion=2.4.0\n\
             2026-07-22 10-15-30 000\tissue\t23529001000463\t31000000123456\n\
             2026-07-22 10-16-02 000\treturn\t31000000654321\n\
             2026-07-22 10-17-45 000\tpayment\t23529001000463\t5.00\n"
        );
    }

    #[test]
    fn amounts_as_the_desktop_tool_writes_them() {
        for (amount, text) in [
            ("5", "5.00"),
            ("2.5", "2.50"),
            ("0.1", "0.10"),
            ("1234.56", "1234.56"),
            ("0.125", "0.125"),
        ] {
            let line = written(|w| {
                w.write_transaction(
                    at("2026-07-22 10:17:45.5"),
                    Transaction::Payment {
                        cardnumber: "1",
                        amount: amount.parse().unwrap(),
                    },
                )
            });
            assert_eq!(
                line,
                format!("2026-07-22 10-17-45 500\tpayment\t1\t{text}\n")
            );
        }
    }

    #[test]
    fn due_dates_and_offsets() {
        let text = written(|w| {
            w.write_transaction(
                at("2026-07-22T08:15:30.25Z"),
                Transaction::Issue {
                    cardnumber: "c",
                    barcode: "b",
                    due: Some("2026-08-05".parse().unwrap()),
                },
            )?;
            w.write_transaction(
                at("2026-07-22T10:15:30-05:30"),
                Transaction::Issue {
                    cardnumber: "c",
                    barcode: "b",
                    due: Some("2026-08-05 18:00".parse().unwrap()),
                },
            )
        });
        assert_eq!(
            text,
            "2026-07-22T08:15:30.250Z\tissue\tc\tb\t2026-08-05\n\
             2026-07-22T10:15:30.000-05:30\tissue\tc\tb\t2026-08-05 18:00:00\n"
        );
    }

    #[test]
    fn refuses_what_would_not_read_back() {
        let mut writer = Writer::new(Vec::new());
        let t = at("2026-07-22 10:15:30");
        for (barcode, field_reason) in [
            ("", "it is blank"),
            (" 3100", "it has blanks around it"),
            ("31\t00", "it holds a control character (TAB, CR, LF ...)"),
            ("3100\r", "it holds a control character (TAB, CR, LF ...)"),
        ] {
            match writer.write_transaction(t, Transaction::Return { barcode }) {
                Err(WriteError::InvalidField {
                    field: Field::Barcode,
                    reason,
                    ..
                }) => assert_eq!(reason, field_reason),
                other => panic!("{barcode:?}: {other:?}"),
            }
        }
        assert!(matches!(
            writer.write_transaction(
                t,
                Transaction::Payment {
                    cardnumber: "1",
                    amount: Amount::ZERO
                }
            ),
            Err(WriteError::AmountNotPositive(_))
        ));
        let far = Timestamp::new(
            chrono::NaiveDate::from_ymd_opt(10000, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        );
        assert!(matches!(
            writer.write_transaction(far, Transaction::Return { barcode: "1" }),
            Err(WriteError::InvalidField {
                field: Field::Timestamp,
                ..
            })
        ));
        assert!(writer.get_ref().is_empty());
        writer
            .write_transaction(t, Transaction::Return { barcode: "1" })
            .unwrap();
        assert!(matches!(
            writer.write_header(&Header::new("kocDesktop", "2.4.0")),
            Err(WriteError::HeaderNotFirst(1))
        ));
    }

    #[test]
    fn file_name() {
        let at = at("2026-09-03 12:10:30.007").naive();
        assert_eq!(
            default_file_name(at),
            "koha-offline-circ-2026-09-03-12-10-30-007.koc"
        );
    }
}
