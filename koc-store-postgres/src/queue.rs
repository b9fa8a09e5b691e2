//! [`Queue`]: enqueue, list, delete and requeue, each call one transaction.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::NaiveDateTime;
use koc_core::{
    DeleteReport, Duplicate, DuplicateOf, EnqueueReport, Operation, OperationId, OutcomeCode,
    PendingFilter, PendingOperation, Queue, RequeueRefusal, RequeueReport, Result, UploadId,
};
use sqlx::{PgConnection, Row};

use crate::error::{Doing, corrupt};
use crate::rows::{self, operation_columns, operation_fields};
use crate::store::{in_transaction, now};
use crate::{PostgresStore, codec, locks};

/// The operations of one enqueue that are new, as column arrays for one
/// `INSERT ... SELECT FROM unnest(...)`.
#[derive(Default)]
struct NewOperations<'a> {
    ids: Vec<i64>,
    fingerprints: Vec<String>,
    actions: Vec<&'static str>,
    times: Vec<NaiveDateTime>,
    time_ns: Vec<i16>,
    cardnumbers: Vec<Option<&'a str>>,
    barcodes: Vec<Option<&'a str>>,
    amounts: Vec<Option<i64>>,
    due_dates: Vec<Option<chrono::NaiveDate>>,
    due_ats: Vec<Option<NaiveDateTime>>,
    due_ns: Vec<i16>,
    userids: Vec<&'a str>,
    branches: Vec<&'a str>,
    workstations: Vec<Option<&'a str>>,
    source_kinds: Vec<&'static str>,
    source_files: Vec<Option<&'a str>>,
    source_lines: Vec<Option<i64>>,
    source_details: Vec<Option<&'a str>>,
}

impl<'a> NewOperations<'a> {
    fn push(&mut self, operation: &'a Operation, fingerprint: String) -> Result<()> {
        let (time, ns) = codec::split_time(operation.time);
        let (due_date, due_at, due_ns) = codec::due_columns(operation.due);
        let (kind, file, line, detail) = codec::source_columns(&operation.source)?;
        self.fingerprints.push(fingerprint);
        self.actions.push(operation.action.as_str());
        self.times.push(time);
        self.time_ns.push(ns);
        self.cardnumbers.push(operation.cardnumber.as_deref());
        self.barcodes.push(operation.barcode.as_deref());
        self.amounts.push(operation.amount.map(|a| a.micros()));
        self.due_dates.push(due_date);
        self.due_ats.push(due_at);
        self.due_ns.push(due_ns);
        self.userids.push(&operation.userid);
        self.branches.push(&operation.branch);
        self.workstations.push(operation.workstation.as_deref());
        self.source_kinds.push(kind);
        self.source_files.push(file);
        self.source_lines.push(line);
        self.source_details.push(detail);
        Ok(())
    }

    fn len(&self) -> usize {
        self.fingerprints.len()
    }

    async fn insert(
        &self,
        conn: &mut PgConnection,
        upload: UploadId,
        enqueued_at: NaiveDateTime,
    ) -> Result<()> {
        sqlx::query(concat!(
            "INSERT INTO pending_operations (id, ",
            operation_fields!(""),
            ") SELECT u.id, $2, $3, u.fingerprint, u.action, u.time, u.time_ns, u.cardnumber, \
             u.barcode, u.amount::numeric / 1000000, u.due_date, u.due_at, u.due_ns, u.userid, \
             u.branch, u.workstation, u.source_kind, u.source_file, u.source_line, \
             u.source_detail \
             FROM unnest($1::bigint[], $4::text[], $5::text[], $6::timestamp[], $7::int2[], \
             $8::text[], $9::text[], $10::bigint[], $11::date[], $12::timestamp[], $13::int2[], \
             $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::bigint[], \
             $20::text[]) AS u(id, fingerprint, action, time, time_ns, cardnumber, barcode, \
             amount, due_date, due_at, due_ns, userid, branch, workstation, source_kind, \
             source_file, source_line, source_detail)"
        ))
        .bind(&self.ids)
        .bind(upload.0)
        .bind(enqueued_at)
        .bind(&self.fingerprints)
        .bind(&self.actions)
        .bind(&self.times)
        .bind(&self.time_ns)
        .bind(&self.cardnumbers)
        .bind(&self.barcodes)
        .bind(&self.amounts)
        .bind(&self.due_dates)
        .bind(&self.due_ats)
        .bind(&self.due_ns)
        .bind(&self.userids)
        .bind(&self.branches)
        .bind(&self.workstations)
        .bind(&self.source_kinds)
        .bind(&self.source_files)
        .bind(&self.source_lines)
        .bind(&self.source_details)
        .execute(conn)
        .await
        .doing("adding operations to the queue")?;
        Ok(())
    }
}

/// Where each of `fingerprints` is known already: pending first, then
/// history.
async fn known(
    conn: &mut PgConnection,
    fingerprints: &[String],
) -> Result<HashMap<String, DuplicateOf>> {
    let rows = sqlx::query(
        "SELECT p.fingerprint, p.id, true FROM unnest($1::text[]) AS k(fingerprint) \
         JOIN pending_operations p ON p.fingerprint = k.fingerprint \
         UNION ALL \
         SELECT h.fingerprint, h.operation_id, false FROM unnest($1::text[]) AS k(fingerprint) \
         JOIN history h ON h.fingerprint = k.fingerprint",
    )
    .bind(fingerprints)
    .fetch_all(conn)
    .await
    .doing("looking for operations already known")?;
    let mut known = HashMap::with_capacity(rows.len());
    for row in rows {
        let fingerprint: String = row.try_get(0).doing("reading fingerprints")?;
        let id = OperationId(row.try_get(1).doing("reading fingerprints")?);
        let pending: bool = row.try_get(2).doing("reading fingerprints")?;
        let of = if pending {
            DuplicateOf::Pending(id)
        } else {
            DuplicateOf::History(id)
        };
        match known.get(&fingerprint) {
            Some(DuplicateOf::Pending(_)) => {}
            _ => {
                known.insert(fingerprint, of);
            }
        }
    }
    Ok(known)
}

impl PostgresStore {
    async fn enqueue_in(
        &self,
        conn: &mut PgConnection,
        upload: Option<UploadId>,
        operations: &[Operation],
    ) -> Result<EnqueueReport> {
        self.lock(conn, locks::ENQUEUE).await?;
        let enqueued_at = now();
        let upload = match upload {
            Some(upload) => upload,
            None => UploadId(
                sqlx::query_scalar("INSERT INTO uploads (created_at) VALUES ($1) RETURNING id")
                    .bind(enqueued_at)
                    .fetch_one(&mut *conn)
                    .await
                    .doing("recording the upload")?,
            ),
        };
        let mut report = EnqueueReport {
            upload,
            ..EnqueueReport::default()
        };
        if operations.is_empty() {
            return Ok(report);
        }
        let fingerprints: Vec<String> = operations
            .iter()
            .map(|o| o.fingerprint().into_string())
            .collect();
        let known = known(conn, &fingerprints).await?;
        let mut in_batch: HashMap<&str, usize> = HashMap::with_capacity(operations.len());
        let mut new = NewOperations::default();
        for (index, (operation, fingerprint)) in operations.iter().zip(&fingerprints).enumerate() {
            let of = match in_batch.get(fingerprint.as_str()) {
                Some(&first) => Some(DuplicateOf::Batch(first)),
                None => known.get(fingerprint).copied(),
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
            new.push(operation, fingerprint.clone())?;
        }
        if new.len() == 0 {
            return Ok(report);
        }
        let count = i64::try_from(new.len()).unwrap_or(i64::MAX);
        let mut ids: Vec<i64> = sqlx::query_scalar(
            "SELECT nextval('operation_ids') FROM generate_series(1, $1::bigint)",
        )
        .bind(count)
        .fetch_all(&mut *conn)
        .await
        .doing("numbering operations")?;
        // Ids grow in the order the operations were given.
        ids.sort_unstable();
        new.ids = ids;
        new.insert(conn, upload, enqueued_at).await?;
        report.added = new.ids.iter().copied().map(OperationId).collect();
        Ok(report)
    }

    async fn delete_in(
        &self,
        conn: &mut PgConnection,
        ids: &[OperationId],
        by: &str,
    ) -> Result<DeleteReport> {
        self.lock(conn, locks::QUEUE).await?;
        let unique = first_occurrences(ids);
        let moved: Vec<i64> = sqlx::query_scalar(concat!(
            "WITH moved AS (DELETE FROM pending_operations WHERE id = ANY($1) RETURNING *) \
             INSERT INTO history (operation_id, ",
            operation_fields!(""),
            ", outcome, message, by_user, at) SELECT m.id, ",
            operation_fields!("m."),
            ", $2, $3, $4, $5 FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, ord) \
             JOIN moved m ON m.id = u.id ORDER BY u.ord RETURNING operation_id"
        ))
        .bind(&unique)
        .bind(OutcomeCode::Deleted.as_str())
        .bind(OutcomeCode::Deleted.koha_message())
        .bind(by)
        .bind(now())
        .fetch_all(&mut *conn)
        .await
        .doing("deleting operations")?;
        let mut moved: HashSet<i64> = moved.into_iter().collect();
        let mut report = DeleteReport::default();
        for &id in ids {
            if moved.remove(&id.0) {
                report.deleted.push(id);
            } else {
                report.not_pending.push(id);
            }
        }
        Ok(report)
    }

    async fn requeue_in(
        &self,
        conn: &mut PgConnection,
        ids: &[OperationId],
    ) -> Result<RequeueReport> {
        self.lock(conn, locks::QUEUE).await?;
        let unique = first_occurrences(ids);
        let pending: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM pending_operations WHERE id = ANY($1)")
                .bind(&unique)
                .fetch_all(&mut *conn)
                .await
                .doing("looking at the queue")?;
        let mut pending: HashSet<i64> = pending.into_iter().collect();
        let latest_rows = sqlx::query(
            "SELECT DISTINCT ON (operation_id) operation_id, id, outcome FROM history \
             WHERE operation_id = ANY($1) ORDER BY operation_id, id DESC",
        )
        .bind(&unique)
        .fetch_all(&mut *conn)
        .await
        .doing("looking at history")?;
        let mut latest: HashMap<i64, (i64, OutcomeCode)> = HashMap::new();
        for row in latest_rows {
            let operation: i64 = row.try_get(0).doing("reading history")?;
            let entry: i64 = row.try_get(1).doing("reading history")?;
            let code: String = row.try_get(2).doing("reading history")?;
            let code = OutcomeCode::parse(&code)
                .ok_or_else(|| corrupt(format_args!("outcome {code:?}")))?;
            latest.insert(operation, (entry, code));
        }
        let mut report = RequeueReport::default();
        let mut entries = Vec::new();
        for &id in ids {
            if pending.contains(&id.0) {
                report.refused.push((id, RequeueRefusal::AlreadyPending));
                continue;
            }
            match latest.get(&id.0) {
                None => report.refused.push((id, RequeueRefusal::NotFound)),
                Some((_, code)) if !code.is_requeueable() => {
                    report.refused.push((id, RequeueRefusal::Applied))
                }
                Some(&(entry, _)) => {
                    entries.push(entry);
                    pending.insert(id.0);
                    report.requeued.push(id);
                }
            }
        }
        if entries.is_empty() {
            return Ok(report);
        }
        sqlx::query(concat!(
            "WITH marked AS (UPDATE history SET requeued_at = $2 WHERE id = ANY($1) RETURNING *) \
             INSERT INTO pending_operations (id, ",
            operation_fields!(""),
            ") SELECT operation_id, ",
            operation_fields!(""),
            " FROM marked"
        ))
        .bind(&entries)
        .bind(now())
        .execute(&mut *conn)
        .await
        .doing("putting operations back in the queue")?;
        Ok(report)
    }
}

/// The ids, each once, in the order first given.
fn first_occurrences(ids: &[OperationId]) -> Vec<i64> {
    let mut seen = HashSet::with_capacity(ids.len());
    ids.iter()
        .map(|id| id.0)
        .filter(|id| seen.insert(*id))
        .collect()
}

#[async_trait]
impl Queue for PostgresStore {
    async fn enqueue(
        &self,
        upload: Option<UploadId>,
        operations: &[Operation],
    ) -> Result<EnqueueReport> {
        in_transaction!(self, "enqueuing", |conn| self
            .enqueue_in(conn, upload, operations))
    }

    async fn pending(&self, filter: &PendingFilter) -> Result<Vec<PendingOperation>> {
        let (after_time, after_ns, after_id) = match filter.after {
            Some((time, id)) => {
                let (time, ns) = codec::split_time(time);
                (Some(time), ns, id.0)
            }
            None => (None, 0, 0),
        };
        let rows = sqlx::query(concat!(
            "SELECT id, ",
            operation_columns!(""),
            " FROM pending_operations \
             WHERE ($1::text IS NULL OR branch = $1) AND ($2::text IS NULL OR action = $2) \
             AND ($3::timestamp IS NULL OR (time, time_ns, id) > ($3, $4, $5)) \
             ORDER BY time, time_ns, id LIMIT $6"
        ))
        .bind(filter.branch.as_deref())
        .bind(filter.action.map(|a| a.as_str()))
        .bind(after_time)
        .bind(after_ns)
        .bind(after_id)
        .bind(crate::history::sql_limit(filter.limit))
        .fetch_all(&self.pool)
        .await
        .doing("listing the queue")?;
        rows.iter().map(|row| rows::pending(row, 0)).collect()
    }

    async fn count_pending(&self, filter: &PendingFilter) -> Result<u64> {
        let (after_time, after_ns, after_id) = match filter.after {
            Some((time, id)) => {
                let (time, ns) = codec::split_time(time);
                (Some(time), ns, id.0)
            }
            None => (None, 0, 0),
        };
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pending_operations \
             WHERE ($1::text IS NULL OR branch = $1) AND ($2::text IS NULL OR action = $2) \
             AND ($3::timestamp IS NULL OR (time, time_ns, id) > ($3, $4, $5))",
        )
        .bind(filter.branch.as_deref())
        .bind(filter.action.map(|a| a.as_str()))
        .bind(after_time)
        .bind(after_ns)
        .bind(after_id)
        .fetch_one(&self.pool)
        .await
        .doing("counting the queue")?;
        u64::try_from(count).map_err(|_| corrupt(format_args!("count {count}")))
    }

    async fn pending_operation(&self, id: OperationId) -> Result<Option<PendingOperation>> {
        let row = sqlx::query(concat!(
            "SELECT id, ",
            operation_columns!(""),
            " FROM pending_operations WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .doing("reading the queue")?;
        row.map(|row| rows::pending(&row, 0)).transpose()
    }

    async fn delete(&self, ids: &[OperationId], by: &str) -> Result<DeleteReport> {
        in_transaction!(self, "deleting", |conn| self.delete_in(conn, ids, by))
    }

    async fn requeue(&self, ids: &[OperationId], _by: &str) -> Result<RequeueReport> {
        in_transaction!(self, "requeuing", |conn| self.requeue_in(conn, ids))
    }
}
