//! Times as text, the way koc writes them everywhere (`2026-07-22
//! 10:15:41.512`): in fingerprints, in messages, in the CLI's tables and
//! JSON.
//!
//! Written digit by digit: chrono's `format` interprets its pattern on
//! every call, which was about 6% of the CPU time of enqueuing a file and
//! 4% of the instructions of `koc process --all --json` (one time per
//! result). Held to chrono's text by a property test.
//!
//! ```
//! use chrono::NaiveDate;
//! use koc_core::{TimePrecision, format_time};
//!
//! let at = NaiveDate::from_ymd_opt(2026, 7, 22)
//!     .unwrap()
//!     .and_hms_milli_opt(10, 15, 41, 512)
//!     .unwrap();
//! assert_eq!(format_time(at, TimePrecision::Millis), "2026-07-22 10:15:41.512");
//! assert_eq!(format_time(at, TimePrecision::Seconds), "2026-07-22 10:15:41");
//! assert_eq!(format_time(at, TimePrecision::Minutes), "2026-07-22 10:15");
//! ```

use std::fmt::Write;

use chrono::{Datelike, NaiveDateTime, Timelike};

/// How much of a time is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimePrecision {
    /// `%Y-%m-%d %H:%M`
    Minutes,
    /// `%Y-%m-%d %H:%M:%S`
    Seconds,
    /// `%Y-%m-%d %H:%M:%S%.3f`
    Millis,
}

impl TimePrecision {
    /// The chrono pattern that writes the same text.
    pub fn pattern(self) -> &'static str {
        match self {
            TimePrecision::Minutes => "%Y-%m-%d %H:%M",
            TimePrecision::Seconds => "%Y-%m-%d %H:%M:%S",
            TimePrecision::Millis => "%Y-%m-%d %H:%M:%S%.3f",
        }
    }

    /// How many characters of `YYYY-MM-DD HH:MM:SS.mmm` it keeps.
    fn len(self) -> usize {
        match self {
            TimePrecision::Minutes => 16,
            TimePrecision::Seconds => 19,
            TimePrecision::Millis => 23,
        }
    }
}

/// `at` as text (see [`push_time`]).
pub fn format_time(at: NaiveDateTime, precision: TimePrecision) -> String {
    let mut text = String::with_capacity(precision.len());
    push_time(&mut text, at, precision);
    text
}

/// Appends `at` to `text` as chrono's [`TimePrecision::pattern`] writes it.
pub fn push_time(text: &mut String, at: NaiveDateTime, precision: TimePrecision) {
    let year = at.year();
    // Leap seconds are kept by chrono as 1 000 ms and more.
    let milli = at.nanosecond() / 1_000_000;
    if !(0..=9999).contains(&year) || milli >= 1000 {
        // A year with a sign or five digits, or a leap second: rare, so
        // chrono's own rules.
        let _ = write!(text, "{}", at.format(precision.pattern()));
        return;
    }
    let mut digits = [0u8; 23];
    let mut put = |at: usize, value: u32, width: usize| {
        let mut value = value;
        for i in (at..at + width).rev() {
            digits[i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(0, year.unsigned_abs(), 4);
    put(5, at.month(), 2);
    put(8, at.day(), 2);
    put(11, at.hour(), 2);
    put(14, at.minute(), 2);
    put(17, at.second(), 2);
    put(20, milli, 3);
    for (at, separator) in [
        (4, b'-'),
        (7, b'-'),
        (10, b' '),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
    ] {
        digits[at] = separator;
    }
    // Appended in one copy, not a character at a time; always valid UTF-8
    // (ASCII digits and separators).
    if let Ok(digits) = std::str::from_utf8(&digits[..precision.len()]) {
        text.push_str(digits);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn times_are_written_as_chrono_formats_them(
            days in -200_000i64..4_000_000,
            seconds in 0u32..86_400,
            nanos in 0u32..2_000_000_000,
        ) {
            let date = chrono::NaiveDate::from_ymd_opt(1, 1, 1).unwrap()
                + chrono::Duration::days(days);
            // Nanoseconds from 1 000 000 000 on are a leap second, which
            // chrono allows only in the last second of a minute.
            let second = if nanos >= 1_000_000_000 { seconds / 60 * 60 + 59 } else { seconds };
            let time = chrono::NaiveTime::from_num_seconds_from_midnight_opt(second, nanos).unwrap();
            let time = date.and_time(time);
            for precision in [TimePrecision::Minutes, TimePrecision::Seconds, TimePrecision::Millis] {
                proptest::prop_assert_eq!(
                    format_time(time, precision),
                    time.format(precision.pattern()).to_string()
                );
            }
        }
    }

    #[test]
    fn appends_to_what_is_there() {
        let at = chrono::NaiveDate::from_ymd_opt(987, 1, 2)
            .unwrap()
            .and_hms_milli_opt(3, 4, 5, 6)
            .unwrap();
        let mut text = String::from("at ");
        push_time(&mut text, at, TimePrecision::Millis);
        assert_eq!(text, "at 0987-01-02 03:04:05.006");
    }
}
