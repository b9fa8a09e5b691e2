//! How values are stored: times as microseconds, dates as days, money as
//! millionths, codes as text. See the comment at the top of
//! `migrations/0001_initial.sql`.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime};
use koc_core::{AccountLineKind, Action, ItemStatus, Money};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// A time, stored as microseconds since 1970-01-01 00:00 (no zone). Finer
/// digits are dropped, as PostgreSQL's `timestamp` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Time(pub NaiveDateTime);

impl Time {
    pub fn micros(self) -> i64 {
        self.0.and_utc().timestamp_micros()
    }
}

impl ToSql for Time {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.micros()))
    }
}

impl FromSql for Time {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Time> {
        let micros = value.as_i64()?;
        DateTime::from_timestamp_micros(micros)
            .map(|at| Time(at.naive_utc()))
            .ok_or(FromSqlError::OutOfRange(micros))
    }
}

/// An optional time.
pub(crate) fn time(at: Option<NaiveDateTime>) -> Option<Time> {
    at.map(Time)
}

const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// A date, stored as days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Day(pub NaiveDate);

impl ToSql for Day {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        let days = i64::from(self.0.num_days_from_ce()) - i64::from(UNIX_EPOCH_DAYS_FROM_CE);
        Ok(ToSqlOutput::from(days))
    }
}

impl FromSql for Day {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Day> {
        let days = value.as_i64()?;
        i32::try_from(days)
            .ok()
            .and_then(|d| d.checked_add(UNIX_EPOCH_DAYS_FROM_CE))
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .map(Day)
            .ok_or(FromSqlError::OutOfRange(days))
    }
}

/// An optional date.
pub(crate) fn day(date: Option<NaiveDate>) -> Option<Day> {
    date.map(Day)
}

/// An amount of money, stored as millionths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cash(pub Money);

impl ToSql for Cash {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.0.micros()))
    }
}

impl FromSql for Cash {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Cash> {
        Ok(Cash(Money::from_micros(value.as_i64()?)))
    }
}

/// A text code read back into its type.
fn code<T>(value: ValueRef<'_>, parse: impl FnOnce(&str) -> Option<T>) -> FromSqlResult<T> {
    let text = value.as_str()?;
    parse(text).ok_or_else(|| FromSqlError::Other(format!("unknown code `{text}`").into()))
}

/// An action: `issue`, `return`, `payment`.
pub(crate) struct ActionCode(pub Action);

impl FromSql for ActionCode {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<ActionCode> {
        code(value, |text| Action::from_command(text.as_bytes())).map(ActionCode)
    }
}

/// An item status: `available`, `lost` ...
pub(crate) struct StatusCode(pub ItemStatus);

impl FromSql for StatusCode {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<StatusCode> {
        code(value, |text| text.parse().ok()).map(StatusCode)
    }
}

/// `debit` or `credit`.
pub(crate) fn kind_code(kind: AccountLineKind) -> &'static str {
    match kind {
        AccountLineKind::Debit => "debit",
        AccountLineKind::Credit => "credit",
    }
}

/// An account line kind read back.
pub(crate) struct KindCode(pub AccountLineKind);

impl FromSql for KindCode {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<KindCode> {
        code(value, |text| match text {
            "debit" => Some(AccountLineKind::Debit),
            "credit" => Some(AccountLineKind::Credit),
            _ => None,
        })
        .map(KindCode)
    }
}

/// A count or limit as SQLite's integer, saturating.
pub(crate) fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    fn round_trip<T: ToSql + FromSql>(value: &T) -> T {
        let conn = Connection::open_in_memory().unwrap();
        conn.query_row("SELECT ?1", [value], |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn times_keep_microseconds_and_order() {
        let at: NaiveDateTime = "2026-07-22T10:15:30.123456".parse().unwrap();
        assert_eq!(round_trip(&Time(at)), Time(at));
        let nanos: NaiveDateTime = "2026-07-22T10:15:30.123456789".parse().unwrap();
        assert_eq!(round_trip(&Time(nanos)), Time(at), "finer digits dropped");
        let early: NaiveDateTime = "1901-01-01T00:00:00".parse().unwrap();
        assert!(Time(early).micros() < Time(at).micros());
        for extreme in [NaiveDateTime::MIN, NaiveDateTime::MAX] {
            let Time(back) = round_trip(&Time(extreme));
            assert_eq!(back.date(), extreme.date());
        }
    }

    #[test]
    fn dates_round_trip_over_the_whole_range() {
        for date in [
            NaiveDate::MIN,
            NaiveDate::from_ymd_opt(1969, 12, 31).unwrap(),
            NaiveDate::from_ymd_opt(1970, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 7, 22).unwrap(),
            NaiveDate::MAX,
        ] {
            assert_eq!(round_trip(&Day(date)), Day(date));
        }
        let conn = Connection::open_in_memory().unwrap();
        let stored: i64 = conn
            .query_row(
                "SELECT ?1",
                [Day(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap())],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(stored, 1);
        let bad = conn.query_row("SELECT 9223372036854775807", [], |r| r.get::<_, Day>(0));
        assert!(bad.is_err());
    }

    #[test]
    fn money_and_codes() {
        let amount = Money::parse("1234.56").unwrap();
        assert_eq!(round_trip(&Cash(amount)), Cash(amount));
        let conn = Connection::open_in_memory().unwrap();
        let status = conn
            .query_row("SELECT 'notforloan'", [], |r| r.get::<_, StatusCode>(0))
            .unwrap();
        assert_eq!(status.0, ItemStatus::NotForLoan);
        let action = conn
            .query_row("SELECT 'return'", [], |r| r.get::<_, ActionCode>(0))
            .unwrap();
        assert_eq!(action.0, Action::Return);
        assert!(
            conn.query_row("SELECT 'borrow'", [], |r| r.get::<_, ActionCode>(0))
                .is_err()
        );
        let kind = conn
            .query_row("SELECT ?1", [kind_code(AccountLineKind::Credit)], |r| {
                r.get::<_, KindCode>(0)
            })
            .unwrap();
        assert_eq!(kind.0, AccountLineKind::Credit);
    }
}
