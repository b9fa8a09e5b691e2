//! The values a CSV cell may hold: dates, date-times, amounts, counts.

use chrono::{NaiveDate, NaiveDateTime};
use koc_core::Money;

/// `YYYY-MM-DD`.
pub fn date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is not a date: expected YYYY-MM-DD"))
}

/// `YYYY-MM-DD HH:MM:SS` (a `T` instead of the space is accepted too).
pub fn datetime(text: &str) -> Result<NaiveDateTime, String> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| format!("`{text}` is not a date and time: expected YYYY-MM-DD HH:MM:SS"))
}

/// A positive amount such as `5.00`.
pub fn positive_amount(text: &str) -> Result<Money, String> {
    let amount = Money::parse(text)
        .map_err(|e| format!("`{text}` is not an amount ({e}): expected e.g. 5.00"))?;
    if amount.is_positive() {
        Ok(amount)
    } else {
        Err(format!("amount `{text}` must be more than zero"))
    }
}

/// A whole number of zero or more.
pub fn count(text: &str) -> Result<u32, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not a whole number of zero or more"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(date("2026-07-22").unwrap().to_string(), "2026-07-22");
        assert!(date("22/07/2026").unwrap_err().contains("YYYY-MM-DD"));
        assert!(date("2026-02-30").is_err());
        assert_eq!(
            datetime("2026-07-01 14:03:00").unwrap().to_string(),
            "2026-07-01 14:03:00"
        );
        assert!(datetime("2026-07-01T14:03:00").is_ok());
        assert!(datetime("2026-07-01").unwrap_err().contains("HH:MM:SS"));
        assert_eq!(positive_amount("3.50").unwrap().to_string(), "3.50");
        assert!(positive_amount("0").unwrap_err().contains("more than zero"));
        assert!(positive_amount("-1").is_err());
        assert!(
            positive_amount("3,50")
                .unwrap_err()
                .contains("not an amount")
        );
        assert_eq!(count("21").unwrap(), 21);
        assert!(count("-1").is_err());
        assert!(count("two").is_err());
    }
}
