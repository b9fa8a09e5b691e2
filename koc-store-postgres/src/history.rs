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

#[async_trait]
impl History for PostgresStore {
    async fn history(&self, filter: &HistoryFilter) -> Result<Vec<HistoryEntry>> {
        let rows = sqlx::query(concat!(
            "SELECT h.id, o.id, ",
            operation_columns!("o."),
            ", h.outcome, h.message, h.warnings::text, h.by_user, h.at, h.requeued_at \
             FROM history h JOIN operations o ON o.id = h.operation_id",
            source_file_join!(),
            " WHERE (NOT $1 OR (h.outcome = ANY($2) AND h.requeued_at IS NULL)) \
             AND ($3::bigint IS NULL OR h.operation_id = $3) \
             AND ($4::text IS NULL OR o.branch = $4) \
             ORDER BY h.id DESC LIMIT $5"
        ))
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
