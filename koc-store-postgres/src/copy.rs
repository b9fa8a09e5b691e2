//! Rows in PostgreSQL's binary `COPY` format, written straight from domain
//! values: how a large enqueue sends its operations at a fraction of the
//! server's cost of `INSERT ... SELECT FROM unnest(...)` (no arrays to
//! parse and unnest, and the server inserts a page's worth of rows at a
//! time). See `queue::COPY_FROM` for why small ones do not.
//!
//! The format (<https://www.postgresql.org/docs/current/sql-copy.html>): a
//! header, then per row the number of fields and each field as its length
//! (`-1` for `NULL`) and its bytes in the type's binary `send` form, then a
//! trailer. Only the types the store sends are here; each writes exactly
//! what the server's `*_recv` function reads.

use chrono::{NaiveDate, NaiveDateTime};
use koc_core::{Error, Result};
use sqlx::PgConnection;

use crate::error::Doing;

/// Rows being written for one `COPY ... FROM STDIN (FORMAT binary)`.
pub(crate) struct CopyRows {
    buf: Vec<u8>,
    fields: i16,
}

/// Midnight of 2000-01-01, PostgreSQL's epoch for dates and times.
fn epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2000, 1, 1)
        .unwrap_or_default()
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
}

impl CopyRows {
    /// An empty set of rows of `fields` columns each, with room for about
    /// `capacity` bytes.
    pub(crate) fn new(fields: i16, capacity: usize) -> CopyRows {
        let mut buf = Vec::with_capacity(capacity.max(64));
        buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        buf.extend_from_slice(&0_i32.to_be_bytes()); // flags: no OIDs
        buf.extend_from_slice(&0_i32.to_be_bytes()); // no header extension
        CopyRows { buf, fields }
    }

    /// Starts a row; its `fields` values follow.
    pub(crate) fn row(&mut self) -> &mut CopyRows {
        self.buf.extend_from_slice(&self.fields.to_be_bytes());
        self
    }

    fn field(&mut self, bytes: &[u8]) -> Result<&mut CopyRows> {
        let len = i32::try_from(bytes.len())
            .map_err(|_| Error::Invalid(format!("a value of {} bytes", bytes.len())))?;
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(bytes);
        Ok(self)
    }

    /// `NULL`.
    pub(crate) fn null(&mut self) -> &mut CopyRows {
        self.buf.extend_from_slice(&(-1_i32).to_be_bytes());
        self
    }

    /// A `text` value.
    pub(crate) fn text(&mut self, value: &str) -> Result<&mut CopyRows> {
        self.field(value.as_bytes())
    }

    /// A `text` value or `NULL`.
    pub(crate) fn text_or_null(&mut self, value: Option<&str>) -> Result<&mut CopyRows> {
        match value {
            Some(value) => self.text(value),
            None => Ok(self.null()),
        }
    }

    /// A `bigint`.
    pub(crate) fn int8(&mut self, value: i64) -> &mut CopyRows {
        self.buf.extend_from_slice(&8_i32.to_be_bytes());
        self.buf.extend_from_slice(&value.to_be_bytes());
        self
    }

    /// A `bigint` or `NULL`.
    pub(crate) fn int8_or_null(&mut self, value: Option<i64>) -> &mut CopyRows {
        match value {
            Some(value) => self.int8(value),
            None => self.null(),
        }
    }

    /// A `smallint`.
    pub(crate) fn int2(&mut self, value: i16) -> &mut CopyRows {
        self.buf.extend_from_slice(&2_i32.to_be_bytes());
        self.buf.extend_from_slice(&value.to_be_bytes());
        self
    }

    /// A `timestamp` (microseconds since 2000-01-01; anything finer is
    /// cut, as the server would).
    pub(crate) fn timestamp(&mut self, value: NaiveDateTime) -> Result<&mut CopyRows> {
        let micros = (value - epoch())
            .num_microseconds()
            .ok_or_else(|| Error::Invalid(format!("time {value} is out of range")))?;
        Ok(self.int8(micros))
    }

    /// A `timestamp` or `NULL`.
    pub(crate) fn timestamp_or_null(
        &mut self,
        value: Option<NaiveDateTime>,
    ) -> Result<&mut CopyRows> {
        match value {
            Some(value) => self.timestamp(value),
            None => Ok(self.null()),
        }
    }

    /// A `date` or `NULL` (days since 2000-01-01).
    pub(crate) fn date_or_null(&mut self, value: Option<NaiveDate>) -> Result<&mut CopyRows> {
        let Some(value) = value else {
            return Ok(self.null());
        };
        let days = i32::try_from((value - epoch().date()).num_days())
            .map_err(|_| Error::Invalid(format!("date {value} is out of range")))?;
        self.buf.extend_from_slice(&4_i32.to_be_bytes());
        self.buf.extend_from_slice(&days.to_be_bytes());
        Ok(self)
    }

    /// A `numeric` of `micros` millionths (scale 6), or `NULL`.
    pub(crate) fn micros_or_null(&mut self, micros: Option<i64>) -> &mut CopyRows {
        let Some(micros) = micros else {
            return self.null();
        };
        // numeric_recv reads: ndigits, weight, sign, dscale, then ndigits
        // base-10 000 digits, most significant first; the value is
        // sum(digit[i] * 10000^(weight - i)). It strips zero digits itself.
        let abs = micros.unsigned_abs();
        let (mut whole, fraction) = (abs / 1_000_000, abs % 1_000_000);
        let mut digits = [0_i16; 7];
        let mut whole_digits = 0;
        while whole > 0 {
            // i64::MAX / 1e6 has 13 decimal digits: at most 4 groups.
            whole_digits += 1;
            digits[4 - whole_digits] = (whole % 10_000) as i16;
            whole /= 10_000;
        }
        // Six decimals are 1.5 groups: pad to eight.
        let fraction = fraction * 100;
        digits[4] = (fraction / 10_000) as i16;
        digits[5] = (fraction % 10_000) as i16;
        let used = &digits[4 - whole_digits..6];
        let ndigits = used.len() as i16;
        let weight = whole_digits as i16 - 1;
        let sign: u16 = if micros < 0 { 0x4000 } else { 0 };
        let len = 8 + 2 * used.len() as i32;
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(&ndigits.to_be_bytes());
        self.buf.extend_from_slice(&weight.to_be_bytes());
        self.buf.extend_from_slice(&sign.to_be_bytes());
        self.buf.extend_from_slice(&6_i16.to_be_bytes());
        for digit in used {
            self.buf.extend_from_slice(&digit.to_be_bytes());
        }
        self
    }

    /// Sends the rows with `statement` (a `COPY ... FROM STDIN (FORMAT
    /// binary)`) and returns how many the server took.
    pub(crate) async fn send(
        mut self,
        conn: &mut PgConnection,
        statement: &str,
        doing: &str,
    ) -> Result<u64> {
        self.buf.extend_from_slice(&(-1_i16).to_be_bytes());
        let mut copy = conn.copy_in_raw(statement).await.doing(doing)?;
        if let Err(error) = copy.send(self.buf).await {
            let _ = copy.abort("koc could not send the rows").await;
            return Err(error).doing(doing);
        }
        copy.finish().await.doing(doing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(micros: i64) -> Vec<u8> {
        let mut rows = CopyRows::new(1, 0);
        let header = rows.buf.len();
        rows.micros_or_null(Some(micros));
        rows.buf.split_off(header)
    }

    fn words(bytes: &[u8]) -> Vec<i16> {
        bytes[4..]
            .chunks(2)
            .map(|w| i16::from_be_bytes([w[0], w[1]]))
            .collect()
    }

    #[test]
    fn numerics_are_base_ten_thousand_digits_with_scale_six() {
        // 12.50: digits 0012 . 5000 00 -> weight 0.
        assert_eq!(words(&numeric(12_500_000)), [3, 0, 0, 6, 12, 5000, 0]);
        // 0.000001: no whole digits, weight -1.
        assert_eq!(words(&numeric(1)), [2, -1, 0, 6, 0, 100]);
        // -123456789.123456
        assert_eq!(
            words(&numeric(-123_456_789_123_456)),
            [5, 2, 0x4000, 6, 1, 2345, 6789, 1234, 5600]
        );
        assert_eq!(words(&numeric(0)), [2, -1, 0, 6, 0, 0]);
        let max = words(&numeric(i64::MAX));
        assert_eq!(max[0], 6);
        assert_eq!(words(&numeric(i64::MIN))[0], 6);
        // The length prefix counts the 8 header bytes and the digits.
        let bytes = numeric(12_500_000);
        assert_eq!(
            i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
            14
        );
    }

    #[test]
    fn times_count_from_the_year_2000() {
        let mut rows = CopyRows::new(1, 0);
        let header = rows.buf.len();
        let at = NaiveDate::from_ymd_opt(2000, 1, 2)
            .unwrap()
            .and_hms_micro_opt(0, 0, 1, 5)
            .unwrap();
        rows.timestamp(at).unwrap();
        rows.date_or_null(NaiveDate::from_ymd_opt(1999, 12, 31))
            .unwrap();
        let bytes = rows.buf.split_off(header);
        assert_eq!(&bytes[..4], &8_i32.to_be_bytes());
        assert_eq!(
            &bytes[4..12],
            &(86_400_000_000_i64 + 1_000_005).to_be_bytes()
        );
        assert_eq!(&bytes[12..16], &4_i32.to_be_bytes());
        assert_eq!(&bytes[16..20], &(-1_i32).to_be_bytes());
    }
}
