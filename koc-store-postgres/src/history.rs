//! [`History`]: what became of the operations that left the queue.

use async_trait::async_trait;
use koc_core::{
    History, HistoryEntry, HistoryFilter, HistoryId, Outcome, OutcomeCode, Result, Warning,
};
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::PostgresStore;
use crate::error::{Doing, corrupt};
use crate::rows::{self, operation_columns, source_file_join};

/// The codes of outcomes that failed (neither applied nor deleted), as
/// stored.
pub(crate) fn failure_codes() -> Vec<&'static str> {
    OutcomeCode::ALL
        .into_iter()
        .filter(|c| c.is_failure())
        .map(OutcomeCode::as_str)
        .collect()
}

/// Warnings as stored: a JSON array of `{"code", "message"}`.
pub(crate) fn warnings_json(warnings: &[Warning]) -> Result<String> {
    serde_json::to_string(warnings)
        .map_err(|e| koc_core::Error::Invalid(format!("cannot store warnings: {e}")))
}

fn entry(row: &PgRow) -> Result<HistoryEntry> {
    let at = 1 + rows::PENDING_WIDTH;
    let code: String = row.try_get(at).doing("reading history")?;
    let warnings: String = row.try_get(at + 2).doing("reading history")?;
    Ok(HistoryEntry {
        id: HistoryId(row.try_get(0).doing("reading history")?),
        pending: rows::pending(row, 1)?,
        outcome: Outcome {
            code: OutcomeCode::parse(&code)
                .ok_or_else(|| corrupt(format_args!("outcome {code:?}")))?,
            message: row.try_get(at + 1).doing("reading history")?,
            warnings: serde_json::from_str(&warnings)
                .map_err(|e| corrupt(format_args!("warnings {warnings:?}: {e}")))?,
        },
        by: row.try_get(at + 3).doing("reading history")?,
        at: rows::moment(row, at + 4)?,
        requeued_at: rows::maybe_moment(row, at + 5)?,
    })
}

/// A limit as SQL wants it: `NULL` for none.
pub(crate) fn sql_limit(limit: Option<usize>) -> Option<i64> {
    limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX))
}

/// The operation ids `$ids` (a `bigint[]` parameter) as a multirange: one
/// range per run of consecutive ids. What `history_batches.operations`
/// holds, and what its index is searched with.
macro_rules! as_ranges {
    ($ids:literal) => {
        concat!(
            "(SELECT range_agg(int8range(o, o, '[]')) FROM unnest(",
            $ids,
            "::bigint[]) AS o)"
        )
    };
}
pub(crate) use as_ranges;

/// Records a batch of entries (one row of `history_batches`) with ids
/// taken from `history_ids` in the order given: `$1` the operations, `$2`
/// the outcomes' codes, `$3` their messages, `$4` their warnings (JSON,
/// `NULL` for none), `$5` by whom, `$6` when. Nothing for no operations.
/// Call holding the queue lock, as every writer of history does: the ids
/// are taken as one range.
pub(crate) const RECORD_BATCH: &str = concat!(
    "INSERT INTO history_batches \
     (first_id, operations, operation_ids, outcomes, messages, warnings, by_user, at) \
     SELECT setval('history_ids'::regclass, nextval('history_ids'::regclass) + c.n - 1) - c.n + 1, ",
    as_ranges!("$1"),
    ", $1, $2, $3, $4, $5, $6 FROM (SELECT cardinality($1::bigint[]) AS n) AS c WHERE c.n > 0"
);

/// The entries `e` of the batches `b` (one row each: `e.operation_id`,
/// `e.outcome`, `e.message`, `e.warnings`, `e.place` from 1), with their
/// ids, `b.first_id + e.place - 1`.
macro_rules! entries_of_batches {
    () => {
        "history_batches b CROSS JOIN LATERAL unnest(b.operation_ids, b.outcomes, b.messages, \
         b.warnings) WITH ORDINALITY AS e(operation_id, outcome, message, warnings, place)"
    };
}

/// Each operation's latest entry (operation, entry id, outcome's code), of
/// the operations `$1`: in the batches whose operations' ranges hold one of
/// them, found through their index. The operations are joined to the
/// batches' entries by hash rather than tested with `= ANY($1)`, which a
/// generic plan does element by element: for 1 000 operations spread over
/// 20 batches of 5 000, 23 ms against 355 ms.
pub(crate) const LATEST_ENTRIES: &str = concat!(
    "SELECT DISTINCT ON (e.operation_id) e.operation_id, b.first_id + e.place - 1, \
     e.outcome FROM history_batches b \
     CROSS JOIN LATERAL unnest(b.operation_ids, b.outcomes) WITH ORDINALITY \
     AS e(operation_id, outcome, place) \
     JOIN (SELECT DISTINCT unnest($1::bigint[]) AS id) AS w ON w.id = e.operation_id \
     WHERE b.operations && ",
    as_ranges!("$1"),
    " ORDER BY e.operation_id, b.first_id DESC, e.place DESC"
);

/// The listing's query, newest first, with `$where` added to its
/// conditions (`$1`: failed only, `$2`: the failures' codes, `$3`: the
/// operation, `$4`: the library, `$5`: the limit).
macro_rules! listing {
    ($where:literal) => {
        concat!(
            "SELECT b.first_id + e.place - 1, o.id, ",
            operation_columns!("o."),
            ", e.outcome, e.message, coalesce(e.warnings, '[]'), b.by_user, b.at, r.at FROM ",
            entries_of_batches!(),
            " JOIN operations o ON o.id = e.operation_id",
            source_file_join!(),
            " LEFT JOIN history_requeued r ON r.entry_id = b.first_id + e.place - 1 \
             WHERE (NOT $1 OR (e.outcome = ANY($2) AND r.entry_id IS NULL)) \
             AND ($4::text IS NULL OR o.branch = $4)",
            $where,
            " ORDER BY b.first_id DESC, e.place DESC LIMIT $5"
        )
    };
}

#[async_trait]
impl History for PostgresStore {
    async fn history(&self, filter: &HistoryFilter) -> Result<Vec<HistoryEntry>> {
        // One operation's entries: its batches found through the index of
        // their operations' ranges.
        let query = match filter.operation {
            Some(_) => sqlx::query(listing!(
                " AND b.operations @> $3::bigint AND e.operation_id = $3"
            )),
            None => sqlx::query(listing!(" AND $3::bigint IS NULL")),
        };
        let rows = query
            .bind(filter.failed)
            .bind(failure_codes())
            .bind(filter.operation.map(|id| id.0))
            .bind(filter.branch.as_deref())
            .bind(sql_limit(filter.limit))
            .fetch_all(&self.pool)
            .await
            .doing("listing history")?;
        rows.iter().map(entry).collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use sqlx::Connection;

    use super::*;
    use crate::testing::store;

    /// The plan of `sql` (one `bigint[]` or `bigint` parameter, `value`)
    /// as the server makes it for any value: generic, not for this one.
    async fn generic_plan<T>(conn: &mut sqlx::PgConnection, sql: &str, value: T) -> String
    where
        T: for<'q> sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send,
    {
        let mut tx = conn.begin().await.unwrap();
        sqlx::query("SET LOCAL plan_cache_mode = force_generic_plan")
            .execute(&mut *tx)
            .await
            .unwrap();
        let lines: Vec<String> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN (COSTS OFF) {sql}")))
                .bind(value)
                .fetch_all(&mut *tx)
                .await
                .unwrap();
        lines.join("\n")
    }

    /// The server's time for `LATEST_ENTRIES` of `ids`, in ms: the least
    /// of three runs.
    async fn latest_entries_ms(conn: &mut sqlx::PgConnection, ids: &[i64]) -> f64 {
        let mut least = f64::INFINITY;
        for _ in 0..3 {
            let plan: serde_json::Value = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "EXPLAIN (ANALYZE, FORMAT JSON) {LATEST_ENTRIES}"
            )))
            .bind(ids)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
            least = least.min(plan[0]["Execution Time"].as_f64().unwrap());
        }
        least
    }

    /// Requeue looks up each operation's latest entry among the entries of
    /// the batches that hold it. Each batch's arrays are read once for all
    /// of its entries: the outcome was read for each entry by subscript
    /// (`b.outcomes[e.place]`), which decompresses the whole array each
    /// time, so a lookup of a batch's operations grew with the square of
    /// the batch (`koc requeue` of 100 000 operations deleted at once took
    /// 93 s; now 1.3 s). Compared in one run: a batch sixteen times larger
    /// takes about sixteen to twenty times longer (sorting), not 256 (the
    /// old reading: 217 to 227).
    #[tokio::test]
    async fn looking_up_a_batchs_operations_grows_with_the_batch_not_its_square() {
        let Some(store) = store("history_square").await else {
            return;
        };
        let mut conn = store.pool().acquire().await.unwrap();
        // A batch of 1 000 entries (operations 1 to 1 000), one of 16 000
        // (1 001 to 17 000), as a deletion writes them.
        for (first, n) in [(1_i64, 1_000_i64), (1_001, 16_000)] {
            sqlx::query(
                "INSERT INTO history_batches \
                 (first_id, operations, operation_ids, outcomes, messages, warnings, by_user, at) \
                 SELECT $1, int8multirange(int8range($1, $1 + $2)), \
                 ARRAY(SELECT generate_series($1, $1 + $2 - 1)), \
                 array_fill('deleted'::text, ARRAY[$2::int]), \
                 array_fill('Deleted.'::text, ARRAY[$2::int]), \
                 array_fill(NULL::text, ARRAY[$2::int]), 'staff', TIMESTAMP '2026-07-22 10:00'",
            )
            .bind(first)
            .bind(n)
            .execute(&mut *conn)
            .await
            .unwrap();
        }
        let small: Vec<i64> = (1..=1_000).collect();
        let large: Vec<i64> = (1_001..=17_000).collect();
        let found: Vec<(i64, i64, String)> = sqlx::query_as(LATEST_ENTRIES)
            .bind(&large)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        assert_eq!(found.len(), 16_000);
        assert!(
            found
                .iter()
                .all(|(operation, entry, outcome)| operation == entry && outcome == "deleted")
        );

        let small_ms = latest_entries_ms(&mut conn, &small).await;
        let large_ms = latest_entries_ms(&mut conn, &large).await;
        let ratio = large_ms / small_ms;
        assert!(
            ratio < 80.0,
            "16 times the batch took {ratio:.0} times as long ({small_ms:.1} ms, {large_ms:.1} ms)"
        );
        drop(conn);
        store.drop_schema().await.unwrap();
    }

    #[tokio::test]
    async fn an_operations_entries_are_found_through_the_index_of_the_batches_operations() {
        let Some(store) = store("history_lookup").await else {
            return;
        };
        let mut conn = store.pool().acquire().await.unwrap();
        // 20 000 batches of five operations each: 100 000 entries.
        sqlx::query(
            "INSERT INTO history_batches \
             (first_id, operations, operation_ids, outcomes, messages, warnings, by_user, at) \
             SELECT 5 * g + 1, int8multirange(int8range(5 * g + 1, 5 * g + 6)), \
             ARRAY(SELECT generate_series(5 * g + 1, 5 * g + 5)), \
             array_fill('issued'::text, ARRAY[5]), array_fill('Success.'::text, ARRAY[5]), \
             array_fill(NULL::text, ARRAY[5]), 'staff', TIMESTAMP '2026-07-22 10:00' \
             FROM generate_series(0, 19999) g",
        )
        .execute(&mut *conn)
        .await
        .unwrap();
        sqlx::query("ANALYZE history_batches")
            .execute(&mut *conn)
            .await
            .unwrap();

        // What requeueing looks up, and the listing of one operation.
        let latest = generic_plan(&mut conn, LATEST_ENTRIES, vec![42_i64, 77_777]).await;
        assert!(latest.contains("history_batches_operations"), "{latest}");
        // The operations asked for are found among the entries by hash,
        // not by a search of the whole array for each entry.
        assert!(!latest.contains("ANY"), "{latest}");
        let one = generic_plan(
            &mut conn,
            listing!(" AND b.operations @> $3::bigint AND e.operation_id = $3")
                .replace("$1", "false")
                .replace("$2", "'{}'::text[]")
                .replace("$4", "NULL")
                .replace("$5", "10")
                .replace("$3", "$1")
                .as_str(),
            77_777_i64,
        )
        .await;
        assert!(one.contains("history_batches_operations"), "{one}");
        assert!(!one.contains("Seq Scan on history_batches"), "{one}");

        // And they find the entry.
        let found: Vec<(i64, i64, String)> = sqlx::query_as(LATEST_ENTRIES)
            .bind(vec![77_777_i64, 100_001])
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        assert_eq!(found, [(77_777, 77_777, "issued".to_owned())]);
        drop(conn);
        store.drop_schema().await.unwrap();
    }
}
