//! How domain values are kept in PostgreSQL columns, both ways.
//!
//! - Money is `numeric(28,6)` as Koha keeps it, sent and read as a whole
//!   number of millionths (`bigint`), so no value ever passes through
//!   floating point.
//! - `timestamp` keeps microseconds. An operation's time (and a due date
//!   chosen at the desk) may carry nanoseconds, which its fingerprint and
//!   its place in the queue depend on, so the queue and history keep the
//!   nanoseconds below the microsecond in a `smallint` beside it. Times in
//!   the circulation data (loans, items, accounts) are kept to the
//!   microsecond.
//! - Dates and times are read back by [`Day`] and [`Moment`], which answer
//!   a value chrono cannot hold (`infinity`, or a year past 262 142, both
//!   valid in PostgreSQL and possible in a row a host wrote) with an error
//!   rather than a panic, as sqlx's own decoding of chrono types would.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Timelike};
use koc_core::{Action, DueDate, Error, ItemStatus, Result, Source};
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgTypeInfo, PgValueFormat, PgValueRef};
use sqlx::{Decode, Postgres, Type};

use crate::error::corrupt;

/// PostgreSQL's epoch, 2000-01-01, from which a `date` counts days: the
/// day number chrono counts it as from the common era.
const EPOCH_DAYS_FROM_CE: i32 = 730_120;

/// PostgreSQL's epoch, from which a `timestamp` counts microseconds, in
/// microseconds from the Unix epoch.
const EPOCH_UNIX_MICROS: i64 = 946_684_800_000_000;

/// A `date` column's value.
pub(crate) struct Day(pub NaiveDate);

impl Type<Postgres> for Day {
    fn type_info() -> PgTypeInfo {
        <NaiveDate as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <NaiveDate as Type<Postgres>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Postgres> for Day {
    fn decode(value: PgValueRef<'r>) -> std::result::Result<Day, BoxDynError> {
        if value.format() == PgValueFormat::Text {
            // chrono's parser refuses what it cannot hold.
            return <NaiveDate as Decode<Postgres>>::decode(value).map(Day);
        }
        let days = <i32 as Decode<Postgres>>::decode(value)?;
        days.checked_add(EPOCH_DAYS_FROM_CE)
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .map(Day)
            .ok_or_else(|| {
                out_of_range(
                    "date",
                    days.into(),
                    "days",
                    (i32::MIN.into(), i32::MAX.into()),
                )
            })
    }
}

/// A `timestamp` column's value.
pub(crate) struct Moment(pub NaiveDateTime);

impl Type<Postgres> for Moment {
    fn type_info() -> PgTypeInfo {
        <NaiveDateTime as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <NaiveDateTime as Type<Postgres>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Postgres> for Moment {
    fn decode(value: PgValueRef<'r>) -> std::result::Result<Moment, BoxDynError> {
        if value.format() == PgValueFormat::Text {
            return <NaiveDateTime as Decode<Postgres>>::decode(value).map(Moment);
        }
        let micros = <i64 as Decode<Postgres>>::decode(value)?;
        micros
            .checked_add(EPOCH_UNIX_MICROS)
            .and_then(DateTime::from_timestamp_micros)
            .map(|at| Moment(at.naive_utc()))
            .ok_or_else(|| out_of_range("timestamp", micros, "microseconds", (i64::MIN, i64::MAX)))
    }
}

/// The error for a stored value chrono cannot hold: PostgreSQL's
/// infinities (the greatest and least values of the column's count) or a
/// count of `unit`s from 2000-01-01 past chrono's years.
fn out_of_range(kind: &str, count: i64, unit: &str, infinities: (i64, i64)) -> BoxDynError {
    let what = if count == infinities.0 {
        "-infinity".to_owned()
    } else if count == infinities.1 {
        "infinity".to_owned()
    } else {
        format!("{count} {unit} from 2000-01-01")
    };
    format!("a {kind} koc cannot hold: {what}").into()
}

/// `time` cut to the microsecond, and the nanoseconds cut off (0 to 999).
pub(crate) fn split_time(time: NaiveDateTime) -> (NaiveDateTime, i16) {
    let below = time.nanosecond() % 1_000;
    // `below` < 1000, so both conversions are exact.
    let ns = i16::try_from(below).unwrap_or(0);
    (time - Duration::nanoseconds(i64::from(below)), ns)
}

/// The time [`split_time`] split.
pub(crate) fn join_time(time: NaiveDateTime, ns: i16) -> Result<NaiveDateTime> {
    if !(0..1_000).contains(&ns) {
        return Err(corrupt(format_args!(
            "{ns} nanoseconds below a microsecond"
        )));
    }
    time.checked_add_signed(Duration::nanoseconds(i64::from(ns)))
        .ok_or_else(|| corrupt(format_args!("the time {time} and {ns} nanoseconds")))
}

/// The action for its stored word.
pub(crate) fn action(word: &str) -> Result<Action> {
    Action::from_command(word.as_bytes()).ok_or_else(|| corrupt(format_args!("action {word:?}")))
}

/// The item status for its stored code.
pub(crate) fn item_status(code: &str) -> Result<ItemStatus> {
    code.parse()
        .map_err(|_| corrupt(format_args!("item status {code:?}")))
}

/// A count kept as `bigint` (renewals).
pub(crate) fn count(value: i64) -> Result<u32> {
    u32::try_from(value).map_err(|_| corrupt(format_args!("count {value}")))
}

/// A due date chosen at the desk, as columns: the day alone, or the time
/// (split as [`split_time`] does).
pub(crate) type DueColumns = (Option<NaiveDate>, Option<NaiveDateTime>, i16);

/// The columns of a due date.
pub(crate) fn due_columns(due: Option<DueDate>) -> DueColumns {
    match due {
        None => (None, None, 0),
        Some(DueDate::Date(day)) => (Some(day), None, 0),
        Some(DueDate::DateTime(at)) => {
            let (at, ns) = split_time(at);
            (None, Some(at), ns)
        }
    }
}

/// The due date of its columns.
pub(crate) fn due(columns: DueColumns) -> Result<Option<DueDate>> {
    match columns {
        (None, None, _) => Ok(None),
        (Some(day), None, _) => Ok(Some(DueDate::Date(day))),
        (None, Some(at), ns) => Ok(Some(DueDate::DateTime(join_time(at, ns)?))),
        (Some(_), Some(_), _) => Err(corrupt("a due date that is both a day and a time")),
    }
}

/// Where an operation came from, as columns: kind, file name, line,
/// request detail.
pub(crate) type SourceColumns<'a> = (&'static str, Option<&'a str>, Option<i64>, Option<&'a str>);

/// The columns of a source.
pub(crate) fn source_columns(source: &Source) -> Result<SourceColumns<'_>> {
    match source {
        Source::File { name, line } => {
            let line = i64::try_from(*line)
                .map_err(|_| Error::Invalid(format!("line number {line} is too large")))?;
            Ok(("file", Some(name.as_str()), Some(line), None))
        }
        Source::Request { detail } => Ok(("request", None, None, detail.as_deref())),
        other => Err(Error::Invalid(format!(
            "this store cannot keep the source {other}"
        ))),
    }
}

/// The source of its columns.
pub(crate) fn source(
    kind: &str,
    file: Option<String>,
    line: Option<i64>,
    detail: Option<String>,
) -> Result<Source> {
    match (kind, file, line) {
        ("file", Some(name), Some(line)) => Ok(Source::File {
            name,
            line: u64::try_from(line).map_err(|_| corrupt(format_args!("line {line}")))?,
        }),
        ("request", None, None) => Ok(Source::Request { detail }),
        (kind, _, _) => Err(corrupt(format_args!("source of kind {kind:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    #[test]
    fn dates_and_times_count_from_postgres_epoch() {
        let epoch = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        assert_eq!(
            NaiveDate::from_num_days_from_ce_opt(EPOCH_DAYS_FROM_CE),
            Some(epoch)
        );
        assert_eq!(
            DateTime::from_timestamp_micros(EPOCH_UNIX_MICROS).map(|at| at.naive_utc()),
            epoch.and_hms_opt(0, 0, 0)
        );
    }

    #[test]
    fn times_split_below_the_microsecond_and_join_back() {
        for text in [
            "2026-07-22 10:15:30",
            "2026-07-22 10:15:30.123",
            "2026-07-22 10:15:30.123456",
            "2026-07-22 10:15:30.123456789",
            "1999-12-31 23:59:59.999999999",
        ] {
            let time = at(text);
            let (micros, ns) = split_time(time);
            assert_eq!(micros.nanosecond() % 1_000, 0, "{text}");
            assert!((0..1_000).contains(&ns));
            assert_eq!(join_time(micros, ns).unwrap(), time, "{text}");
        }
        assert!(join_time(at("2026-07-22 10:15:30"), 1_000).is_err());
    }

    #[test]
    fn due_dates_and_sources_round_trip() {
        for due_date in [
            None,
            Some(DueDate::Date(NaiveDate::from_ymd_opt(2026, 8, 5).unwrap())),
            Some(DueDate::DateTime(at("2026-08-05 18:00:00.000000001"))),
        ] {
            assert_eq!(due(due_columns(due_date)).unwrap(), due_date);
        }
        for original in [
            Source::File {
                name: "desk.koc".into(),
                line: 7,
            },
            Source::Request { detail: None },
            Source::Request {
                detail: Some("10.0.0.5".into()),
            },
        ] {
            let (kind, file, line, detail) = source_columns(&original).unwrap();
            let back = source(
                kind,
                file.map(str::to_owned),
                line,
                detail.map(str::to_owned),
            )
            .unwrap();
            assert_eq!(back, original);
        }
        assert!(
            source_columns(&Source::File {
                name: "x".into(),
                line: u64::MAX
            })
            .is_err()
        );
    }
}
