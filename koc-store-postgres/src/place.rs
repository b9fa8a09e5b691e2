//! [`Place`]: where a row version is in its table, PostgreSQL's `ctid`
//! (a `tid`: block number and line number), read and sent in binary.
//!
//! Processing writes the rows it loaded through their places, without
//! searching an index again (see `process::load`). Kept as text, a place
//! cost the server a `tidout` (a `snprintf`) on the way out and a `tidin`
//! on the way back, and koc a `String` per row: a batch of 2 000
//! operations has about 6 000 places.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::types::Oid;
use sqlx::postgres::{PgArgumentBuffer, PgHasArrayType, PgTypeInfo, PgValueFormat, PgValueRef};
use sqlx::{Decode, Encode, Postgres, Type};

/// `tid`'s type id: a built-in type's, the same on every server.
const TID: Oid = Oid(27);
/// `tid[]`'s.
const TID_ARRAY: Oid = Oid(1010);

/// A row version's place in its table: block and line (`ctid`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Place {
    block: u32,
    line: u16,
}

impl Type<Postgres> for Place {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(TID)
    }
}

impl PgHasArrayType for Place {
    fn array_type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(TID_ARRAY)
    }
}

impl Encode<'_, Postgres> for Place {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        buf.extend_from_slice(&self.block.to_be_bytes());
        buf.extend_from_slice(&self.line.to_be_bytes());
        Ok(IsNull::No)
    }

    fn size_hint(&self) -> usize {
        6
    }
}

impl Decode<'_, Postgres> for Place {
    fn decode(value: PgValueRef<'_>) -> Result<Place, BoxDynError> {
        match value.format() {
            PgValueFormat::Binary => {
                let bytes = value.as_bytes()?;
                match *bytes {
                    [b0, b1, b2, b3, l0, l1] => Ok(Place {
                        block: u32::from_be_bytes([b0, b1, b2, b3]),
                        line: u16::from_be_bytes([l0, l1]),
                    }),
                    _ => Err(format!("a tid is 6 bytes, not {}", bytes.len()).into()),
                }
            }
            PgValueFormat::Text => {
                let text = value.as_str()?;
                Place::from_text(text).ok_or_else(|| format!("not a tid: {text:?}").into())
            }
        }
    }
}

impl Place {
    /// A place written as PostgreSQL writes a `tid`: `(block,line)`.
    fn from_text(text: &str) -> Option<Place> {
        let (block, line) = text.strip_prefix('(')?.strip_suffix(')')?.split_once(',')?;
        Some(Place {
            block: block.parse().ok()?,
            line: line.parse().ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use sqlx::Row;

    use super::*;
    use crate::testing::store;

    #[tokio::test]
    async fn places_go_both_ways_in_binary_and_as_text_and_find_their_rows() {
        let Some(store) = store("place").await else {
            return;
        };
        let pool = store.pool();
        sqlx::raw_sql(
            "CREATE TABLE places (n int); \
             INSERT INTO places SELECT generate_series(1, 1000)",
        )
        .execute(pool)
        .await
        .unwrap();
        // Binary, as processing reads them; several blocks (a wrong byte
        // order for either part would not match the text).
        let rows = sqlx::query("SELECT n, ctid, ctid::text FROM places ORDER BY n")
            .fetch_all(pool)
            .await
            .unwrap();
        let places: Vec<Place> = rows.iter().map(|r| r.get(1)).collect();
        assert!(places.iter().any(|p| p.block > 0));
        for (row, place) in rows.iter().zip(&places) {
            let text: String = row.get(2);
            assert_eq!(text, format!("({},{})", place.block, place.line));
        }
        // Sent back as an array, they find their rows.
        let mut found: Vec<i32> = sqlx::query_scalar(
            "SELECT p.n FROM (SELECT unnest($1::tid[]) AS at) AS u \
             JOIN places p ON p.ctid = u.at",
        )
        .bind(&places)
        .fetch_all(pool)
        .await
        .unwrap();
        found.sort_unstable();
        assert_eq!(found, (1..=1000).collect::<Vec<_>>());
        // Text, as a simple query returns them.
        let text = sqlx::raw_sql("SELECT ctid FROM places WHERE n = 1000")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(text.get::<Place, _>(0), *places.last().unwrap());
        store.drop_schema().await.unwrap();
    }

    #[test]
    fn a_place_is_read_from_text_as_postgresql_writes_it_and_nothing_else() {
        assert_eq!(
            Place::from_text("(4294967295,65535)"),
            Some(Place {
                block: u32::MAX,
                line: u16::MAX
            })
        );
        for bad in ["", "(1,2", "1,2)", "(a,2)", "(1,65536)", "(1;2)", "(-1,2)"] {
            assert_eq!(Place::from_text(bad), None, "{bad}");
        }
    }
}
