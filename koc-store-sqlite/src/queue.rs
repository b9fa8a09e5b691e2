//! The pending queue: enqueue with duplicate checks, listings, delete and
//! requeue.

use std::collections::HashMap;
use std::rc::Rc;

use async_trait::async_trait;
use koc_core::{
    DeleteReport, Duplicate, DuplicateOf, EnqueueReport, Operation, OperationId, Outcome,
    OutcomeCode, PendingFilter, PendingOperation, Queue, RequeueRefusal, RequeueReport, Result,
    UploadId,
};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};

use crate::SqliteStore;
use crate::codec::{Cash, Time};
use crate::error::{Context, damaged};
use crate::history::{now, settle};
use crate::query::Query;
use crate::rows::{self, due_parts, operation_columns, source_parts};

fn enqueue(
    conn: &Connection,
    upload: Option<UploadId>,
    operations: &[Operation],
) -> Result<EnqueueReport> {
    let enqueued_at = Time(now());
    let upload = match upload {
        // Joining an upload this store has not seen records it, as the
        // in-memory store accepts any id.
        Some(upload) => {
            conn.prepare_cached(
                "INSERT INTO uploads (id, created_at) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING",
            )
            .and_then(|mut insert| insert.execute((upload.0, enqueued_at)))
            .context("recording the upload")?;
            upload
        }
        None => {
            conn.prepare_cached("INSERT INTO uploads (created_at) VALUES (?1)")
                .and_then(|mut insert| insert.execute([enqueued_at]))
                .context("recording the upload")?;
            UploadId(conn.last_insert_rowid())
        }
    };
    let mut report = EnqueueReport {
        upload,
        ..EnqueueReport::default()
    };
    let fingerprints: Vec<String> = operations
        .iter()
        .map(|op| op.fingerprint().into_string())
        .collect();
    let known = known_fingerprints(conn, &fingerprints)?;

    let mut last_id: i64 = conn
        .prepare_cached("SELECT value FROM koc_counters WHERE name = 'operation'")
        .and_then(|mut select| select.query_row([], |row| row.get(0)))
        .context("reading the last operation id")?;
    let mut insert = conn
        .prepare_cached(concat!(
            "INSERT INTO pending (id, ",
            operation_columns!(),
            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
        ))
        .context("enqueuing operations")?;
    let mut in_batch: HashMap<&str, usize> = HashMap::with_capacity(operations.len());
    for (index, (operation, fingerprint)) in operations.iter().zip(&fingerprints).enumerate() {
        let of = match in_batch.get(fingerprint.as_str()) {
            Some(&first) => Some(DuplicateOf::Batch(first)),
            None => known.get(fingerprint.as_str()).copied(),
        };
        if let Some(of) = of {
            report.duplicates.push(Duplicate {
                index,
                source: operation.source.clone(),
                of,
            });
            continue;
        }
        in_batch.insert(fingerprint, index);
        last_id += 1;
        let (due_date, due_at) = due_parts(operation.due);
        let (source_kind, source_text, source_line) = source_parts(&operation.source);
        insert
            .execute(rusqlite::params![
                last_id,
                upload.0,
                enqueued_at,
                fingerprint,
                operation.action.as_str(),
                Time(operation.time),
                operation.cardnumber,
                operation.barcode,
                operation.amount.map(Cash),
                due_date,
                due_at,
                operation.userid,
                operation.branch,
                operation.workstation,
                source_kind,
                source_text,
                source_line,
            ])
            .context("enqueuing an operation")?;
        report.added.push(OperationId(last_id));
    }
    conn.prepare_cached("UPDATE koc_counters SET value = ?1 WHERE name = 'operation'")
        .and_then(|mut update| update.execute([last_id]))
        .context("recording the last operation id")?;
    Ok(report)
}

pub(crate) const HISTORY_FINGERPRINTS: &str =
    "SELECT fingerprint, operation FROM history WHERE fingerprint IN rarray(?1)";

pub(crate) const PENDING_FINGERPRINTS: &str =
    "SELECT fingerprint, id FROM pending WHERE fingerprint IN rarray(?1)";

/// Which of these fingerprints the store knows, and where: pending wins over
/// history (a requeued operation is in both).
fn known_fingerprints<'f>(
    conn: &Connection,
    fingerprints: &'f [String],
) -> Result<HashMap<&'f str, DuplicateOf>> {
    let mut known = HashMap::new();
    if fingerprints.is_empty() {
        return Ok(known);
    }
    let list = Rc::new(
        fingerprints
            .iter()
            .map(|f| Value::Text(f.clone()))
            .collect::<Vec<_>>(),
    );
    let index: HashMap<&str, &'f str> = fingerprints
        .iter()
        .map(|f| (f.as_str(), f.as_str()))
        .collect();
    for (sql, place) in [
        (
            HISTORY_FINGERPRINTS,
            DuplicateOf::History as fn(OperationId) -> DuplicateOf,
        ),
        (PENDING_FINGERPRINTS, DuplicateOf::Pending),
    ] {
        let mut select = conn
            .prepare_cached(sql)
            .context("checking for duplicates")?;
        let mut found = select.query([&list]).context("checking for duplicates")?;
        while let Some(row) = found.next().context("checking for duplicates")? {
            let fingerprint: String = row.get(0).context("checking for duplicates")?;
            let id = OperationId(row.get(1).context("checking for duplicates")?);
            if let Some(&key) = index.get(fingerprint.as_str()) {
                known.insert(key, place(id));
            }
        }
    }
    Ok(known)
}

const PENDING_SELECT: &str = concat!("SELECT id, ", operation_columns!(), " FROM pending");

fn pending_query(select: &str, filter: &PendingFilter) -> Query {
    let mut query = Query::new(select);
    query
        .filter(
            "branch = ?",
            filter.branch.clone().map(|b| vec![Value::Text(b)]),
        )
        .filter(
            "action = ?",
            filter
                .action
                .map(|a| vec![Value::Text(a.as_str().to_owned())]),
        )
        .filter(
            "time >= ? AND (time > ? OR id > ?)",
            filter.after.map(|(at, id)| {
                let at = Time(at).micros();
                vec![at, at, id.0]
            }),
        );
    query
}

fn requeue(conn: &Connection, ids: &[OperationId]) -> Result<RequeueReport> {
    let at = Time(now());
    let mut report = RequeueReport::default();
    for &id in ids {
        let pending = conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM pending WHERE id = ?1)")
            .and_then(|mut select| select.query_row([id.0], |row| row.get::<_, bool>(0)))
            .context("requeuing")?;
        if pending {
            report.refused.push((id, RequeueRefusal::AlreadyPending));
            continue;
        }
        let latest: Option<(i64, String)> = conn
            .prepare_cached(
                "SELECT id, outcome FROM history WHERE operation = ?1 ORDER BY id DESC LIMIT 1",
            )
            .and_then(|mut select| {
                select
                    .query_row([id.0], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()
            })
            .context("requeuing")?;
        let Some((entry, code)) = latest else {
            report.refused.push((id, RequeueRefusal::NotFound));
            continue;
        };
        let code = OutcomeCode::parse(&code)
            .ok_or_else(|| damaged(format!("history entry {entry} has outcome `{code}`")))?;
        if !code.is_requeueable() {
            report.refused.push((id, RequeueRefusal::Applied));
            continue;
        }
        conn.prepare_cached("UPDATE history SET requeued_at = ?2 WHERE id = ?1")
            .and_then(|mut update| update.execute((entry, at)))
            .context("requeuing")?;
        conn.prepare_cached(concat!(
            "INSERT INTO pending (id, ",
            operation_columns!(),
            ") SELECT operation, ",
            operation_columns!(),
            " FROM history WHERE id = ?1"
        ))
        .and_then(|mut insert| insert.execute([entry]))
        .context("requeuing")?;
        report.requeued.push(id);
    }
    Ok(report)
}

#[async_trait]
impl Queue for SqliteStore {
    async fn enqueue(
        &self,
        upload: Option<UploadId>,
        operations: &[Operation],
    ) -> Result<EnqueueReport> {
        let operations = operations.to_vec();
        self.write("enqueuing operations", move |tx| {
            enqueue(tx, upload, &operations)
        })
        .await
    }

    async fn pending(&self, filter: &PendingFilter) -> Result<Vec<PendingOperation>> {
        let filter = filter.clone();
        self.call(move |conn| {
            let mut query = pending_query(PENDING_SELECT, &filter);
            query.then("ORDER BY time, id").limit(filter.limit);
            query
                .rows(conn, |row| rows::pending(row, 0))
                .context("listing pending operations")
        })
        .await
    }

    async fn count_pending(&self, filter: &PendingFilter) -> Result<u64> {
        let filter = filter.clone();
        self.call(move |conn| {
            let counts = pending_query("SELECT count(*) FROM pending", &filter)
                .rows(conn, |row| row.get::<_, i64>(0))
                .context("counting pending operations")?;
            Ok(counts.first().map_or(0, |&n| u64::try_from(n).unwrap_or(0)))
        })
        .await
    }

    async fn pending_operation(&self, id: OperationId) -> Result<Option<PendingOperation>> {
        self.call(move |conn| {
            conn.prepare_cached(concat!(
                "SELECT id, ",
                operation_columns!(),
                " FROM pending WHERE id = ?1"
            ))
            .and_then(|mut select| {
                select
                    .query_row([id.0], |row| rows::pending(row, 0))
                    .optional()
            })
            .context("reading a pending operation")
        })
        .await
    }

    async fn delete(&self, ids: &[OperationId], by: &str) -> Result<DeleteReport> {
        let ids = ids.to_vec();
        let by = by.to_owned();
        self.write("deleting pending operations", move |tx| {
            let at = Time(now());
            let deleted = Outcome::new(OutcomeCode::Deleted);
            let mut report = DeleteReport::default();
            for id in ids {
                if settle(tx, id.0, &deleted, &by, at)? {
                    tx.prepare_cached("DELETE FROM pending WHERE id = ?1")
                        .and_then(|mut delete| delete.execute([id.0]))
                        .context("deleting a pending operation")?;
                    report.deleted.push(id);
                } else {
                    report.not_pending.push(id);
                }
            }
            Ok(report)
        })
        .await
    }

    async fn requeue(&self, ids: &[OperationId], _by: &str) -> Result<RequeueReport> {
        let ids = ids.to_vec();
        self.write("requeuing operations", move |tx| requeue(tx, &ids))
            .await
    }
}
