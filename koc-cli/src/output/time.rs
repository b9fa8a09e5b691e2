//! How times are written in tables and JSON.

use chrono::{NaiveDate, NaiveDateTime};
use koc_core::{TimePrecision, format_time};

/// `YYYY-MM-DD HH:MM:SS.mmm`: the time of an operation, to the millisecond.
pub fn millis(at: NaiveDateTime) -> String {
    format_time(at, TimePrecision::Millis)
}

/// `YYYY-MM-DD HH:MM:SS`: loans, history, account lines.
pub fn seconds(at: NaiveDateTime) -> String {
    format_time(at, TimePrecision::Seconds)
}

/// `YYYY-MM-DD`.
pub fn date(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let at = NaiveDate::from_ymd_opt(2026, 7, 22)
            .unwrap()
            .and_hms_milli_opt(10, 15, 41, 512)
            .unwrap();
        assert_eq!(millis(at), "2026-07-22 10:15:41.512");
        assert_eq!(seconds(at), "2026-07-22 10:15:41");
        assert_eq!(date(at.date()), "2026-07-22");
    }
}
