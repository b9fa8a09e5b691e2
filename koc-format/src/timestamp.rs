//! Timestamps of transactions and due dates.
//!
//! Every form seen in the wild (see `koc-spec.md`, section 2) parses to the
//! same value, milliseconds kept:
//!
//! | form | written by |
//! |---|---|
//! | `2026-07-22 10-15-30 123` | the desktop tool |
//! | `2026-07-22 10:15:30 123` | Koha's wiki |
//! | `2026-07-22 10:15:30.123` | the browser client |
//! | `2026-07-22 10:15:30`, `2026-07-22 10-15-30` | hand-made files |
//! | `2026-07-22T10:15:30Z`, `...+02:00`, `...T10:15:30.123` | ISO 8601 (HTTP uploads) |

use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike,
};

/// When a transaction happened, as the station wrote it.
///
/// Stations write local wall-clock time without a zone, which
/// [`Timestamp::naive`] returns unchanged. An ISO 8601 timestamp with a zone
/// (as the desktop tool sends over HTTP) keeps its offset, so that
/// [`Timestamp::to_local`] can turn it into the library's local time.
///
/// ```
/// use koc_format::Timestamp;
///
/// let desktop: Timestamp = "2026-07-22 10-15-30 123".parse()?;
/// let browser: Timestamp = "2026-07-22 10:15:30.123".parse()?;
/// assert_eq!(desktop, browser);
/// assert_eq!(desktop.naive().to_string(), "2026-07-22 10:15:30.123");
///
/// let utc: Timestamp = "2026-07-22T08:15:30Z".parse()?;
/// let paris = chrono::FixedOffset::east_opt(2 * 3600).unwrap();
/// assert_eq!(utc.to_local(&paris).to_string(), "2026-07-22 10:15:30");
/// # Ok::<(), koc_format::TimestampError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Timestamp {
    datetime: NaiveDateTime,
    offset: Option<FixedOffset>,
}

/// Why a text is not a timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampError {
    /// The text has none of the accepted forms.
    #[error(
        "expected a timestamp like `2026-07-22 10-15-30 000`, `2026-07-22 10:15:30.000` or `2026-07-22T10:15:30Z`"
    )]
    Syntax,
    /// The text has an accepted form but names an impossible date.
    #[error("no such date")]
    InvalidDate,
    /// The text has an accepted form but names an impossible time of day.
    #[error("no such time of day")]
    InvalidTime,
    /// The zone offset is out of range.
    #[error("no such zone offset")]
    InvalidOffset,
}

impl Timestamp {
    /// A timestamp in local wall-clock time, without zone.
    pub const fn new(datetime: NaiveDateTime) -> Timestamp {
        Timestamp {
            datetime,
            offset: None,
        }
    }

    /// A timestamp written with a zone offset; `datetime` is the wall-clock
    /// time at that offset.
    pub const fn with_offset(datetime: NaiveDateTime, offset: FixedOffset) -> Timestamp {
        Timestamp {
            datetime,
            offset: Some(offset),
        }
    }

    /// The date and time as written, without applying any offset.
    pub const fn naive(&self) -> NaiveDateTime {
        self.datetime
    }

    /// The zone offset, if the text had one.
    pub const fn offset(&self) -> Option<FixedOffset> {
        self.offset
    }

    /// The milliseconds within the second.
    pub fn millisecond(&self) -> u32 {
        self.datetime.nanosecond() / 1_000_000
    }

    /// The wall-clock time in the zone `tz`: unchanged when the text had no
    /// offset (stations write local time), converted when it had one.
    pub fn to_local<Tz: TimeZone>(&self, tz: &Tz) -> NaiveDateTime {
        match self.offset {
            None => self.datetime,
            Some(offset) => match offset.from_local_datetime(&self.datetime) {
                LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => {
                    at.with_timezone(tz).naive_local()
                }
                // A fixed offset has neither gaps nor folds.
                LocalResult::None => self.datetime,
            },
        }
    }

    /// The timestamp as an instant, when it had a zone offset.
    pub fn to_datetime(&self) -> Option<DateTime<FixedOffset>> {
        let offset = self.offset?;
        offset.from_local_datetime(&self.datetime).single()
    }

    /// Parses any accepted form.
    ///
    /// # Errors
    ///
    /// A [`TimestampError`] saying whether the form or the value is wrong.
    pub fn parse(text: &str) -> Result<Timestamp, TimestampError> {
        Timestamp::parse_bytes(text.as_bytes())
    }

    /// [`Timestamp::parse`] over bytes.
    ///
    /// # Errors
    ///
    /// As [`Timestamp::parse`].
    pub fn parse_bytes(text: &[u8]) -> Result<Timestamp, TimestampError> {
        Timestamp::parse_cached(text, &mut DateCache::default())
    }

    /// [`Timestamp::parse_bytes`], remembering the last date in `dates`.
    #[inline]
    pub(crate) fn parse_cached(
        text: &[u8],
        dates: &mut DateCache,
    ) -> Result<Timestamp, TimestampError> {
        if let Ok(fixed) = <&[u8; 23]>::try_from(text)
            && let Some(result) = parse_desktop(fixed, dates)
        {
            return result;
        }
        parse_general(text)
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(s: &str) -> Result<Timestamp, TimestampError> {
        Timestamp::parse(s)
    }
}

impl From<NaiveDateTime> for Timestamp {
    fn from(datetime: NaiveDateTime) -> Timestamp {
        Timestamp::new(datetime)
    }
}

/// Writes the desktop tool's form, `2026-07-22 10-15-30 123`, or, when the
/// timestamp has a zone offset, ISO 8601 with milliseconds and the offset
/// (`2026-07-22T10:15:30.123+02:00`), so that what is written always parses
/// back to the same timestamp (digits beyond the millisecond aside).
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            None => write!(
                f,
                "{} {:03}",
                self.datetime.format("%Y-%m-%d %H-%M-%S"),
                self.millisecond()
            ),
            Some(offset) => write!(
                f,
                "{}.{:03}{offset}",
                self.datetime.format("%Y-%m-%dT%H:%M:%S"),
                self.millisecond()
            ),
        }
    }
}

/// The due date an `issue` line may carry in its fifth field: a date alone
/// (due at the end of that day, as the library's rules say) or a date and time.
///
/// ```
/// use koc_format::DueDate;
///
/// let date: DueDate = "2026-08-05".parse()?;
/// assert_eq!(date.to_string(), "2026-08-05");
/// let at: DueDate = "2026-08-05 18:00:00".parse()?;
/// assert_eq!(at.to_string(), "2026-08-05 18:00:00");
/// # Ok::<(), koc_format::TimestampError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DueDate {
    /// Due on this day, at the time the library uses for day loans.
    Date(NaiveDate),
    /// Due at this date and time.
    DateTime(NaiveDateTime),
}

impl DueDate {
    /// The date the loan is due.
    pub fn date(&self) -> NaiveDate {
        match self {
            DueDate::Date(date) => *date,
            DueDate::DateTime(at) => at.date(),
        }
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM`, or any [`Timestamp`] form
    /// (a zone offset, if any, is dropped: due dates are local).
    ///
    /// # Errors
    ///
    /// A [`TimestampError`] when the text is none of those.
    pub fn parse(text: &str) -> Result<DueDate, TimestampError> {
        DueDate::parse_bytes(text.as_bytes())
    }

    /// [`DueDate::parse`] over bytes.
    ///
    /// # Errors
    ///
    /// As [`DueDate::parse`].
    pub fn parse_bytes(text: &[u8]) -> Result<DueDate, TimestampError> {
        let (date, rest) = parse_date(text)?;
        match rest {
            [] => Ok(DueDate::Date(date)),
            [b' ' | b'T', h1, h2, b':', m1, m2] => {
                let hour = two_digits(*h1, *h2)?;
                let minute = two_digits(*m1, *m2)?;
                let time =
                    NaiveTime::from_hms_opt(hour, minute, 0).ok_or(TimestampError::InvalidTime)?;
                Ok(DueDate::DateTime(date.and_time(time)))
            }
            _ => Timestamp::parse_bytes(text).map(|t| DueDate::DateTime(t.naive())),
        }
    }
}

impl FromStr for DueDate {
    type Err = TimestampError;

    fn from_str(s: &str) -> Result<DueDate, TimestampError> {
        DueDate::parse(s)
    }
}

/// `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS` (milliseconds when not zero).
impl fmt::Display for DueDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DueDate::Date(date) => write!(f, "{}", date.format("%Y-%m-%d")),
            DueDate::DateTime(at) => write!(f, "{}", at.format("%Y-%m-%d %H:%M:%S%.f")),
        }
    }
}

/// What the last lines' timestamps had in common, so that the lines of a
/// file, which mostly share their date and often their minute, do not each
/// pay for them again: the last valid date built, by its digits (building a
/// `NaiveDate` costs more than the rest of a timestamp), and the first 16
/// bytes (`2026-07-22 10-15`) of the last desktop-form timestamp that was
/// valid, with its date, hour and minute. Only valid values are kept, so a
/// hit gives exactly what parsing again would.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DateCache {
    key: u32,
    date: Option<NaiveDate>,
    minute: Option<(u64, u64, NaiveDate, u32, u32)>,
}

impl DateCache {
    #[inline(always)]
    fn date(&mut self, year: u32, month: u32, day: u32) -> Option<NaiveDate> {
        // Four digits, then two and two: at most 9999, 99, 99.
        let key = (year << 14) | (month << 7) | day;
        if self.key == key && self.date.is_some() {
            return self.date;
        }
        // Four digits always fit in an i32.
        let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
        self.key = key;
        self.date = Some(date);
        Some(date)
    }
}

/// Every accepted form.
fn parse_general(text: &[u8]) -> Result<Timestamp, TimestampError> {
    let (date, rest) = parse_date(text)?;
    let separator = match rest.first() {
        Some(&b) if b == b' ' || b == b'T' => b,
        _ => return Err(TimestampError::Syntax),
    };
    let (datetime, offset) = parse_time(date, separator, &rest[1..])?;
    Ok(Timestamp { datetime, offset })
}

/// The desktop tool's form `2026-07-22 10-15-30 123` (or the wiki's, with
/// colons), which nearly every line has, at fixed positions: the fast path
/// of [`Timestamp::parse_bytes`]. `None` when `text` is not in that shape,
/// for the general parser to deal with (and report); otherwise exactly what
/// the general parser would say.
#[inline(always)]
pub(crate) fn parse_desktop(
    text: &[u8; 23],
    dates: &mut DateCache,
) -> Option<Result<Timestamp, TimestampError>> {
    // Three little-endian words: `YYYY-MM-`, `DD HH-MI`, `I-SS FFF` (the
    // last overlaps the second by one byte, the minute's second digit).
    let word = |at: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&text[at..at + 8]);
        u64::from_le_bytes(bytes)
    };
    let (w0, w1, w2) = (word(0), word(8), word(15));
    let (s1, s2) = (text[13], text[16]);
    if let Some((p0, p1, date, hour, minute)) = dates.minute
        && p0 == w0
        && p1 == w1
        && s2 == s1
        && let Some(time) = seconds(w2, hour, minute)
    {
        return Some(Ok(Timestamp::new(date.and_time(time))));
    }
    let separators_ok = w0 & S0 == u64::from(b'-') * ones(S0)
        && w1 & S1 == u64::from(b' ') * ones(S1)
        && w2 & S2 == u64::from(b' ') * ones(S2);
    if !separators_ok || s1 != s2 || !(s1 == b'-' || s1 == b':') {
        return None;
    }
    if !(digits_ok(w0, D0) && digits_ok(w1, D1) && digits_ok(w2, D2)) {
        return None;
    }
    let (v0, v1, v2) = (values(w0, D0), values(w1, D1), values(w2, D2));
    let year = two(v0, 0) * 100 + two(v0, 2);
    let Some(date) = dates.date(year, two(v0, 5), two(v1, 0)) else {
        return Some(Err(TimestampError::InvalidDate));
    };
    let (hour, minute, second) = (two(v1, 3), two(v1, 6), two(v2, 2));
    if hour > 23 || minute > 59 || second > 59 {
        return Some(Err(TimestampError::InvalidTime));
    }
    let millis = digit_at(v2, 5) * 100 + two(v2, 6);
    let time = NaiveTime::from_hms_milli_opt(hour, minute, second, millis)?;
    dates.minute = Some((w0, w1, date, hour, minute));
    Some(Ok(Timestamp::new(date.and_time(time))))
}

/// The time from the third word (`I-SS FFF`) when the first two are those
/// of a valid timestamp already seen (so the minute's digit and the
/// separator before the seconds are known good); `None` when anything is
/// off, for the full check to deal with.
#[inline(always)]
fn seconds(w2: u64, hour: u32, minute: u32) -> Option<NaiveTime> {
    if w2 & S2 != u64::from(b' ') * ones(S2) || !digits_ok(w2, D2) {
        return None;
    }
    let v2 = values(w2, D2);
    let second = two(v2, 2);
    if second > 59 {
        return None;
    }
    NaiveTime::from_hms_milli_opt(hour, minute, second, digit_at(v2, 5) * 100 + two(v2, 6))
}

// Which bytes of each word of a desktop timestamp are digits; the others
// are separators.
const D0: u64 = 0x00FF_FF00_FFFF_FFFF;
const D1: u64 = 0xFFFF_00FF_FF00_FFFF;
const D2: u64 = 0xFFFF_FF00_FFFF_00FF;
// The fixed separators: `-` `-` in the first word, ` ` in the second, ` ` in
// the third; the time's two separators are checked apart.
const S0: u64 = 0xFF00_00FF_0000_0000;
const S1: u64 = 0x0000_0000_00FF_0000;
const S2: u64 = 0x0000_00FF_0000_0000;

/// 0x01 in each byte of `mask`.
const fn ones(mask: u64) -> u64 {
    0x0101_0101_0101_0101 & mask
}

/// Whether the bytes of `w` under `mask` are all ASCII digits: high nibble
/// 3, and adding 6 does not carry into the high nibble. No byte carries into
/// the next: digit bytes are at most 0x3F + 6 once the high nibble is
/// checked, and the others are masked to zero.
#[inline(always)]
fn digits_ok(w: u64, mask: u64) -> bool {
    let w = w & mask;
    let high = 0xF0 * ones(mask);
    w & high == 0x30 * ones(mask) && (w + 0x06 * ones(mask)) & high == 0x30 * ones(mask)
}

/// The digits of `w` under `mask` as values 0 to 9 (checked digits only).
#[inline(always)]
fn values(w: u64, mask: u64) -> u64 {
    (w & mask) - 0x30 * ones(mask)
}

/// The value at byte `i`.
#[inline(always)]
fn digit_at(v: u64, i: u32) -> u32 {
    ((v >> (8 * i)) & 0xFF) as u32
}

/// The two-digit number at bytes `i` and `i + 1`.
#[inline(always)]
fn two(v: u64, i: u32) -> u32 {
    digit_at(v, i) * 10 + digit_at(v, i + 1)
}

#[inline]
fn digit(b: u8) -> Result<u32, TimestampError> {
    if b.is_ascii_digit() {
        Ok(u32::from(b - b'0'))
    } else {
        Err(TimestampError::Syntax)
    }
}

#[inline]
fn two_digits(a: u8, b: u8) -> Result<u32, TimestampError> {
    Ok(digit(a)? * 10 + digit(b)?)
}

/// `YYYY-MM-DD` at the start of `text`; returns the date and what follows.
fn parse_date(text: &[u8]) -> Result<(NaiveDate, &[u8]), TimestampError> {
    let [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2, rest @ ..] = text else {
        return Err(TimestampError::Syntax);
    };
    let year = two_digits(*y1, *y2)? * 100 + two_digits(*y3, *y4)?;
    let month = two_digits(*m1, *m2)?;
    let day = two_digits(*d1, *d2)?;
    // `year` has four digits, so it always fits in an i32.
    let date =
        NaiveDate::from_ymd_opt(year as i32, month, day).ok_or(TimestampError::InvalidDate)?;
    Ok((date, rest))
}

/// The time after the date and its separator (`b' '` or `b'T'`).
fn parse_time(
    date: NaiveDate,
    date_separator: u8,
    text: &[u8],
) -> Result<(NaiveDateTime, Option<FixedOffset>), TimestampError> {
    let [h1, h2, s1, m1, m2, s2, c1, c2, rest @ ..] = text else {
        return Err(TimestampError::Syntax);
    };
    let separator = *s1;
    if separator != *s2 || !(separator == b':' || (separator == b'-' && date_separator == b' ')) {
        return Err(TimestampError::Syntax);
    }
    let hour = two_digits(*h1, *h2)?;
    let minute = two_digits(*m1, *m2)?;
    let second = two_digits(*c1, *c2)?;

    let (nanos, rest) = match rest {
        // Desktop tool and wiki: a space and exactly three digits of milliseconds.
        [b' ', a, b, c, rest @ ..] if date_separator == b' ' => {
            let millis = digit(*a)? * 100 + digit(*b)? * 10 + digit(*c)?;
            if !rest.is_empty() {
                return Err(TimestampError::Syntax);
            }
            (millis * 1_000_000, rest)
        }
        // Browser client and ISO 8601: a dot and a decimal fraction.
        [b'.', rest @ ..] if separator == b':' => {
            let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 || digits > 9 {
                return Err(TimestampError::Syntax);
            }
            let mut nanos = 0;
            for &b in &rest[..digits] {
                nanos = nanos * 10 + u32::from(b - b'0');
            }
            nanos *= 10_u32.pow(9 - digits as u32);
            (nanos, &rest[digits..])
        }
        rest => (0, rest),
    };

    let offset = match rest {
        [] => None,
        _ if separator != b':' => return Err(TimestampError::Syntax),
        [b'Z'] => Some(FixedOffset::east_opt(0).ok_or(TimestampError::InvalidOffset)?),
        [sign @ (b'+' | b'-'), zone @ ..] => Some(parse_offset(*sign, zone)?),
        _ => return Err(TimestampError::Syntax),
    };

    if hour > 23 || minute > 59 || second > 59 {
        return Err(TimestampError::InvalidTime);
    }
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)
        .ok_or(TimestampError::InvalidTime)?;
    Ok((date.and_time(time), offset))
}

/// `HH:MM`, `HHMM` or `HH` after the sign.
fn parse_offset(sign: u8, zone: &[u8]) -> Result<FixedOffset, TimestampError> {
    let (hours, minutes) = match zone {
        [h1, h2] => (two_digits(*h1, *h2)?, 0),
        [h1, h2, m1, m2] | [h1, h2, b':', m1, m2] => (two_digits(*h1, *h2)?, two_digits(*m1, *m2)?),
        _ => return Err(TimestampError::Syntax),
    };
    if hours > 23 || minutes > 59 {
        return Err(TimestampError::InvalidOffset);
    }
    // At most 23*3600 + 59*60, so it fits in an i32.
    let seconds = (hours * 3600 + minutes * 60) as i32;
    let seconds = if sign == b'-' { -seconds } else { seconds };
    FixedOffset::east_opt(seconds).ok_or(TimestampError::InvalidOffset)
}

/// Serialized as its [`Display`](fmt::Display) text: `2026-08-05` or
/// `2026-08-05 18:00:00`.
#[cfg(feature = "serde")]
impl serde::Serialize for DueDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for DueDate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<DueDate, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        DueDate::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    #[test]
    fn every_form_gives_the_same_instant() {
        let expected = at("2026-07-22 10:15:30.123");
        for text in [
            "2026-07-22 10-15-30 123",
            "2026-07-22 10:15:30 123",
            "2026-07-22 10:15:30.123",
            "2026-07-22T10:15:30.123",
        ] {
            let parsed = Timestamp::parse(text).unwrap();
            assert_eq!(parsed.naive(), expected, "{text}");
            assert_eq!(parsed.offset(), None, "{text}");
        }
        for text in [
            "2026-07-22 10:15:30",
            "2026-07-22 10-15-30",
            "2026-07-22T10:15:30",
        ] {
            assert_eq!(
                Timestamp::parse(text).unwrap().naive(),
                at("2026-07-22 10:15:30.000")
            );
        }
    }

    #[test]
    fn iso_keeps_its_offset() {
        let utc = Timestamp::parse("2026-07-22T08:15:30Z").unwrap();
        assert_eq!(utc.offset(), FixedOffset::east_opt(0));
        let plus2 = Timestamp::parse("2026-07-22T10:15:30+02:00").unwrap();
        assert_eq!(plus2.offset(), FixedOffset::east_opt(7200));
        assert_eq!(utc.to_datetime(), plus2.to_datetime());
        let minus = Timestamp::parse("2026-07-22T03:15:30.5-0500").unwrap();
        assert_eq!(minus.to_local(&chrono::Utc), at("2026-07-22 08:15:30.500"));
    }

    #[test]
    fn impossible_dates_and_times_are_errors() {
        assert_eq!(
            Timestamp::parse("2026-02-30 10-15-33 000"),
            Err(TimestampError::InvalidDate)
        );
        assert_eq!(
            Timestamp::parse("2026-07-22 25-15-37 000"),
            Err(TimestampError::InvalidTime)
        );
        assert_eq!(
            Timestamp::parse("2026-07-22 10:60:00"),
            Err(TimestampError::InvalidTime)
        );
        assert_eq!(
            Timestamp::parse("2026-07-22 10:15:60"),
            Err(TimestampError::InvalidTime)
        );
        assert_eq!(
            Timestamp::parse("2026-07-22T10:15:30+24:00"),
            Err(TimestampError::InvalidOffset)
        );
    }

    #[test]
    fn malformed_text_is_a_syntax_error() {
        for text in [
            "",
            "2026-07-22",
            "2026-07-22 10:15",
            "2026-07-22 10-15:30",
            "2026-07-22T10-15-30",
            "2026-07-22 10-15-30.123",
            "2026-07-22 10:15:30 12",
            "2026-07-22 10:15:30 1234",
            "2026-07-22 10:15:30.",
            "2026-07-22 10-15-30Z",
            "2026-7-22 10:15:30",
            "22/07/2026 10:15:30",
            "2026-07-22 10:15:30+2:00",
        ] {
            assert_eq!(
                Timestamp::parse(text),
                Err(TimestampError::Syntax),
                "{text:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn a_shared_cache_changes_nothing(
            texts in proptest::collection::vec(
                (
                    proptest::sample::select(vec![
                        "2026-07-22 10-15", "2026-07-22 10:15", "2026-07-22 23-59",
                        "2026-02-29 10-15", "2024-02-29 10-15", "2026-07-22 24-15",
                    ]),
                    "[-:][0-9]{2} [0-9]{3}|[-: 0-9a]{7}",
                ),
                1..20,
            ),
        ) {
            let mut cache = DateCache::default();
            for (prefix, suffix) in texts {
                let text = format!("{prefix}{suffix}");
                let bytes: &[u8; 23] = text.as_bytes().try_into().unwrap();
                let fresh = parse_desktop(bytes, &mut DateCache::default());
                proptest::prop_assert_eq!(parse_desktop(bytes, &mut cache), fresh, "{}", text);
                if let Some(fast) = fresh {
                    proptest::prop_assert_eq!(fast, parse_general(bytes));
                }
            }
        }

        #[test]
        fn the_fast_path_agrees_with_the_general_parser(
            text in "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}[-:][0-9]{2}[-:][0-9]{2} [0-9]{3}|[0-9 :-]{23}",
        ) {
            let bytes: &[u8; 23] = text.as_bytes().try_into().unwrap();
            if let Some(fast) = parse_desktop(bytes, &mut DateCache::default()) {
                proptest::prop_assert_eq!(fast, parse_general(bytes));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn a_cache_gives_what_building_the_date_gives(
            dates in proptest::collection::vec((1990u32..2030, 0u32..15, 0u32..33), 1..50),
        ) {
            let mut cache = DateCache::default();
            for (year, month, day) in dates {
                proptest::prop_assert_eq!(
                    cache.date(year, month, day),
                    NaiveDate::from_ymd_opt(year as i32, month, day)
                );
            }
        }
    }

    #[test]
    fn the_fast_path_takes_the_desktop_and_wiki_forms() {
        for text in ["2026-07-22 10-15-30 123", "2026-07-22 10:15:30 123"] {
            let fast = parse_desktop(
                text.as_bytes().try_into().unwrap(),
                &mut DateCache::default(),
            );
            assert_eq!(
                fast,
                Some(Ok(Timestamp::new(at("2026-07-22 10:15:30.123"))))
            );
        }
        for text in ["2026-07-22 10-15:30 123", "2026-07-22T10:15:30.123"] {
            assert_eq!(
                parse_desktop(
                    text.as_bytes().try_into().unwrap(),
                    &mut DateCache::default()
                ),
                None
            );
        }
    }

    #[test]
    fn displays_what_parses_back() {
        for text in [
            "2026-07-22T08:15:30Z",
            "2026-07-22T10:15:30.123+02:00",
            "2026-07-22T03:15:30.5-0530",
        ] {
            let parsed = Timestamp::parse(text).unwrap();
            let shown = parsed.to_string();
            assert_eq!(
                Timestamp::parse(&shown),
                Ok(parsed),
                "{text} shown as {shown}"
            );
        }
        let utc = Timestamp::parse("2026-07-22T08:15:30Z").unwrap();
        assert_eq!(utc.to_string(), "2026-07-22T08:15:30.000+00:00");
    }

    #[test]
    fn displays_the_desktop_form() {
        let t = Timestamp::parse("2026-07-22 10:15:30.123").unwrap();
        assert_eq!(t.to_string(), "2026-07-22 10-15-30 123");
    }

    #[test]
    fn due_dates() {
        let date = NaiveDate::from_ymd_opt(2026, 8, 5).unwrap();
        assert_eq!(DueDate::parse("2026-08-05"), Ok(DueDate::Date(date)));
        assert_eq!(
            DueDate::parse("2026-08-05 18:30"),
            Ok(DueDate::DateTime(at("2026-08-05 18:30:00.0")))
        );
        assert_eq!(
            DueDate::parse("2026-08-05 18-30-00 000"),
            Ok(DueDate::DateTime(at("2026-08-05 18:30:00.0")))
        );
        assert!(DueDate::parse("soon").is_err());
        assert!(DueDate::parse("2026-08-32").is_err());
    }
}
