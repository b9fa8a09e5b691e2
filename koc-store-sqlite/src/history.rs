//! History: what became of the operations that left the queue, and how they
//! get there.

use async_trait::async_trait;
use chrono::NaiveDateTime;
use koc_core::{
    Error, History, HistoryEntry, HistoryFilter, HistoryId, Outcome, OutcomeCode, Result,
};
use rusqlite::types::Value;
use rusqlite::{Connection, Row, ToSql};

use crate::SqliteStore;
use crate::codec::Time;
use crate::error::Context;
use crate::insert::insert_many;
use crate::query::Query;
use crate::rows::{self, PENDING_WIDTH, operation_columns, source_file_join};

/// A history row to write.
struct NewEntry<'a> {
    operation: i64,
    code: &'static str,
    message: &'a str,
    warnings: Option<String>,
    failed: bool,
}

/// Records what became of operations that left the queue (`entries`:
/// operation id and outcome), by `by` at `at`. The caller removes them
/// from `pending`.
pub(crate) fn record<'o>(
    conn: &Connection,
    entries: impl IntoIterator<Item = (i64, &'o Outcome)>,
    by: &str,
    at: Time,
) -> Result<()> {
    let mut rows = Vec::new();
    for (operation, outcome) in entries {
        let warnings = if outcome.warnings.is_empty() {
            None
        } else {
            Some(serde_json::to_string(&outcome.warnings).map_err(|e| {
                Error::database(format!("writing the warnings of operation {operation}"), e)
            })?)
        };
        rows.push(NewEntry {
            operation,
            code: outcome.code.as_str(),
            message: &outcome.message,
            warnings,
            failed: outcome.code.is_failure(),
        });
    }
    // `OR FAIL`: the caller's transaction is rolled back on error (see
    // `process/batch.rs`).
    insert_many(
        conn,
        "recording history",
        "INSERT OR FAIL INTO history (operation, outcome, message, warnings, failed, processed_by, \
         processed_at) VALUES ",
        "(?, ?, ?, ?, ?, ?1, ?2)",
        &[&by, &at],
        &rows,
        |row, values| {
            values.extend([
                &row.operation as &dyn ToSql,
                &row.code,
                &row.message,
                &row.warnings,
                &row.failed,
            ]);
        },
    )
}

const HISTORY_SELECT: &str = concat!(
    "SELECT h.id, ",
    operation_columns!(),
    ", h.outcome, h.message, h.warnings, h.processed_by, h.processed_at, h.requeued_at \
     FROM history AS h JOIN operations AS o ON o.id = h.operation",
    source_file_join!()
);

fn entry(row: &Row<'_>) -> rusqlite::Result<HistoryEntry> {
    let after = 1 + PENDING_WIDTH;
    let code: String = row.get(after)?;
    let code = OutcomeCode::parse(&code).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            after,
            rusqlite::types::Type::Text,
            format!("unknown outcome `{code}`").into(),
        )
    })?;
    let warnings = match row.get::<_, Option<String>>(after + 2)? {
        None => Vec::new(),
        Some(json) => serde_json::from_str(&json).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(
                after + 2,
                rusqlite::types::Type::Text,
                Box::new(e),
            )
        })?,
    };
    Ok(HistoryEntry {
        id: HistoryId(row.get(0)?),
        pending: rows::pending(row, 1)?,
        outcome: Outcome {
            code,
            message: row.get(after + 1)?,
            warnings,
        },
        by: row.get(after + 3)?,
        at: row.get::<_, Time>(after + 4)?.0,
        requeued_at: row.get::<_, Option<Time>>(after + 5)?.map(|t| t.0),
    })
}

fn history(conn: &Connection, filter: &HistoryFilter) -> Result<Vec<HistoryEntry>> {
    history_query(filter)
        .rows(conn, entry)
        .context("listing history")
}

pub(crate) fn history_query(filter: &HistoryFilter) -> Query {
    let mut query = Query::new(HISTORY_SELECT);
    query
        .filter_if("h.failed = 1 AND h.requeued_at IS NULL", filter.failed)
        .filter("h.operation = ?", filter.operation.map(|id| vec![id.0]))
        .filter(
            "o.branch = ?",
            filter.branch.clone().map(|b| vec![Value::Text(b)]),
        )
        .then("ORDER BY h.id DESC")
        .limit(filter.limit);
    query
}

/// The current local time, as history records it.
pub(crate) fn now() -> NaiveDateTime {
    chrono::Local::now().naive_local()
}

#[async_trait]
impl History for SqliteStore {
    async fn history(&self, filter: &HistoryFilter) -> Result<Vec<HistoryEntry>> {
        let filter = filter.clone();
        self.call(move |conn| history(conn, &filter)).await
    }
}
