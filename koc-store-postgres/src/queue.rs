//! [`Queue`]: enqueue, list, delete and requeue, each call one transaction.
//!
//! An operation is written once, to `operations`, when it is enqueued; the
//! queue (`pending`) holds its processing order key and the keys it is
//! chosen by, and history one row per time it left the queue.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::NaiveDateTime;
use koc_core::{
    ConstraintKind, DeleteReport, DuplicateOf, EnqueueReport, Error, Operation, OperationId,
    OutcomeCode, PendingFilter, PendingOperation, Queue, RequeueRefusal, RequeueReport, Result,
    UploadId,
};
use sqlx::{PgConnection, Row};

use crate::copy::CopyRows;
use crate::earlier;
use crate::error::{Doing, corrupt};
use crate::history::{LATEST_ENTRIES, RECORD_BATCH};
use crate::rows::{self, operation_columns, source_file_join};
use crate::store::{in_transaction, now};
use crate::{PostgresStore, codec, locks, source_files};

/// The operations of one enqueue that are new, as column arrays for one
/// `INSERT ... SELECT FROM unnest(...)`.
#[derive(Default)]
struct NewOperations<'a> {
    fingerprints: Vec<&'a str>,
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
    source_file_ids: Vec<Option<i64>>,
}

impl<'a> NewOperations<'a> {
    /// Adds `operation`; `file_id`: the number of its file's name, which
    /// the row then holds instead of the name.
    fn push(
        &mut self,
        operation: &'a Operation,
        fingerprint: &'a str,
        file_id: Option<i64>,
    ) -> Result<()> {
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
        self.source_files.push(file.filter(|_| file_id.is_none()));
        self.source_lines.push(line);
        self.source_details.push(detail);
        self.source_file_ids.push(file_id);
        Ok(())
    }

    /// Adds the operations, numbered from `first` in the order given, and
    /// their queue rows: one statement.
    async fn insert(
        &self,
        conn: &mut PgConnection,
        first: i64,
        upload: UploadId,
        enqueued_at: NaiveDateTime,
    ) -> Result<()> {
        sqlx::query(
            "WITH added AS (INSERT INTO operations (id, upload_id, enqueued_at, fingerprint, \
             action, time, time_ns, cardnumber, barcode, amount, due_date, due_at, due_ns, \
             userid, branch, workstation, source_kind, source_file, source_line, source_detail, \
             source_file_id) \
             SELECT $1 + u.ord - 1, $2, $3, u.fingerprint, u.action, u.time, u.time_ns, \
             u.cardnumber, u.barcode, u.amount::numeric / 1000000, u.due_date, u.due_at, \
             u.due_ns, u.userid, u.branch, u.workstation, u.source_kind, u.source_file, \
             u.source_line, u.source_detail, u.source_file_id \
             FROM unnest($4::text[], $5::text[], $6::timestamp[], $7::int2[], $8::text[], \
             $9::text[], $10::bigint[], $11::date[], $12::timestamp[], $13::int2[], \
             $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::bigint[], \
             $20::text[], $21::bigint[]) WITH ORDINALITY AS u(fingerprint, action, time, \
             time_ns, cardnumber, barcode, amount, due_date, due_at, due_ns, userid, branch, \
             workstation, source_kind, source_file, source_line, source_detail, \
             source_file_id, ord) \
             RETURNING time, time_ns, id, branch, barcode, upload_id) \
             INSERT INTO pending (time, time_ns, id, branch, barcode, upload_id) \
             SELECT * FROM added",
        )
        .bind(first)
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
        .bind(&self.source_file_ids)
        .execute(conn)
        .await
        .doing("adding operations to the queue")?;
        Ok(())
    }
}

/// From how many new operations an enqueue sends them with `COPY` rather
/// than an `INSERT` of arrays.
///
/// `COPY` costs the server about 40% less per operation, but sqlx 0.9.0
/// does not set `TCP_NODELAY`: the message that ends a `COPY` is sent on
/// its own after the data, and Nagle's algorithm holds it until the server
/// acknowledges the data, which it delays by up to 40 ms when the data was
/// small (an enqueue of 1 to 100 operations took 45 ms on loopback with
/// `COPY`, 1 ms without). An `INSERT` is one message answered by the
/// server, which does not wait. With a thousand operations and more, the
/// data is large enough that the server acknowledges it as it reads
/// (measured on loopback: no wait from 300 operations on).
const COPY_FROM: usize = 1_000;

/// The columns of `operations` enqueue writes, in [`copy_operation`]'s
/// order.
const OPERATION_COPY: &str = "COPY operations (id, upload_id, enqueued_at, fingerprint, action, \
     time, time_ns, cardnumber, barcode, amount, due_date, due_at, due_ns, userid, branch, \
     workstation, source_kind, source_file, source_line, source_detail, source_file_id) \
     FROM STDIN (FORMAT binary)";

/// One new operation as a row of [`OPERATION_COPY`]; `file_id`: the
/// number of its file's name, which the row then holds instead of the name.
fn copy_operation(
    rows: &mut CopyRows,
    id: i64,
    (upload, enqueued_at): (UploadId, NaiveDateTime),
    fingerprint: &str,
    operation: &Operation,
    file_id: Option<i64>,
) -> Result<()> {
    let (time, ns) = codec::split_time(operation.time);
    let (due_date, due_at, due_ns) = codec::due_columns(operation.due);
    let (kind, file, line, detail) = codec::source_columns(&operation.source)?;
    rows.row()
        .int8(id)
        .int8(upload.0)
        .timestamp(enqueued_at)?
        .text(fingerprint)?
        .text(operation.action.as_str())?
        .timestamp(time)?
        .int2(ns)
        .text_or_null(operation.cardnumber.as_deref())?
        .text_or_null(operation.barcode.as_deref())?
        .micros_or_null(operation.amount.map(|a| a.micros()))
        .date_or_null(due_date)?
        .timestamp_or_null(due_at)?
        .int2(due_ns)
        .text(&operation.userid)?
        .text(&operation.branch)?
        .text_or_null(operation.workstation.as_deref())?
        .text(kind)?
        .text_or_null(file.filter(|_| file_id.is_none()))?
        .int8_or_null(line)
        .text_or_null(detail)?
        .int8_or_null(file_id);
    Ok(())
}

/// Where each of `fingerprints` is known already: pending, or in history.
async fn known(
    conn: &mut PgConnection,
    fingerprints: &[&str],
) -> Result<HashMap<String, DuplicateOf>> {
    let rows = sqlx::query(
        "SELECT o.fingerprint, o.id, EXISTS (SELECT 1 FROM pending p \
         WHERE p.time = o.time AND p.time_ns = o.time_ns AND p.id = o.id) \
         FROM unnest($1::text[]) AS k(fingerprint) JOIN operations o \
         ON o.fingerprint = k.fingerprint",
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
        known.insert(fingerprint, of);
    }
    Ok(known)
}

/// `FROM` the pending operations among the ids `$1` (found through
/// `operations`, whose time leads to them in the queue's key).
macro_rules! pending_of_ids {
    () => {
        " FROM operations o JOIN pending p \
         ON p.time = o.time AND p.time_ns = o.time_ns AND p.id = o.id WHERE o.id = ANY($1)"
    };
}
pub(crate) use pending_of_ids;

/// The unique index on operations' fingerprints, as an error names it.
const FINGERPRINT_KEY: &str = "operations_fingerprint_key";

/// The greatest fingerprint known: the last entry of its index.
///
/// With the planner's statistics taken while `operations` was empty (a new
/// database), `max(fingerprint)` read the whole table, or the whole index,
/// at each call: a first upload's cost grew with the square of its size
/// (1 000 000 operations in chunks of 10 000: 2.4 to 4.4 s of server
/// time). With sequential scans off for the statement, the plan is the
/// last entry of the index whatever the statistics (5 ms for the same 100
/// calls). Called in the enqueue's transaction, which then plans as it
/// did before: the setting it had is put back.
async fn greatest_fingerprint(conn: &mut PgConnection) -> Result<Option<String>> {
    let doing = "setting up the search for operations already known";
    let was: String = sqlx::query_scalar("SELECT current_setting('enable_seqscan')")
        .fetch_one(&mut *conn)
        .await
        .doing(doing)?;
    sqlx::query("SET LOCAL enable_seqscan = off")
        .execute(&mut *conn)
        .await
        .doing(doing)?;
    let greatest = sqlx::query_scalar(GREATEST_FINGERPRINT)
        .fetch_optional(&mut *conn)
        .await
        .doing("looking for operations already known")?;
    sqlx::query("SELECT set_config('enable_seqscan', $1, true)")
        .bind(&was)
        .execute(&mut *conn)
        .await
        .doing(doing)?;
    Ok(greatest)
}

const GREATEST_FINGERPRINT: &str =
    "SELECT fingerprint FROM operations ORDER BY fingerprint DESC LIMIT 1";

/// Whether an operation with this fingerprint was ever enqueued.
async fn is_known(conn: &mut PgConnection, fingerprint: &str) -> Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM operations WHERE fingerprint = $1)")
        .bind(fingerprint)
        .fetch_one(conn)
        .await
        .doing("looking for operations already known")
}

/// The operations at `indexes`, with their fingerprints.
fn with_fingerprints<'a>(
    indexes: &[usize],
    operations: &'a [Operation],
    fingerprints: &'a [String],
) -> Vec<(&'a Operation, &'a str)> {
    indexes
        .iter()
        .map(|&index| (&operations[index], fingerprints[index].as_str()))
        .collect()
}

/// Adds `new` to the operations and the queue, numbered in the order
/// given; their ids.
async fn write_new(
    conn: &mut PgConnection,
    new: &[(&Operation, &str)],
    upload: UploadId,
    enqueued_at: NaiveDateTime,
) -> Result<Vec<OperationId>> {
    // One range of ids for the call: only enqueue takes ids, and it holds
    // the enqueue lock. Ids grow in the order given.
    let count = i64::try_from(new.len()).unwrap_or(i64::MAX);
    let last: i64 =
        sqlx::query_scalar("SELECT setval('operation_ids', nextval('operation_ids') + $1 - 1)")
            .bind(count)
            .fetch_one(&mut *conn)
            .await
            .doing("numbering operations")?;
    let first = last - count + 1;
    let files = source_files::numbers(conn, new.iter().map(|(operation, _)| *operation)).await?;
    if new.len() >= COPY_FROM {
        let mut rows = CopyRows::new(21, new.len() * 256);
        for (id, (operation, fingerprint)) in (first..).zip(new) {
            let file = source_files::number_of(&files, operation);
            copy_operation(
                &mut rows,
                id,
                (upload, enqueued_at),
                fingerprint,
                operation,
                file,
            )?;
        }
        rows.send(conn, OPERATION_COPY, "adding operations to the queue")
            .await?;
        sqlx::query(
            "INSERT INTO pending (time, time_ns, id, branch, barcode, upload_id) \
             SELECT time, time_ns, id, branch, barcode, upload_id FROM operations \
             WHERE id BETWEEN $1 AND $2",
        )
        .bind(first)
        .bind(last)
        .execute(&mut *conn)
        .await
        .doing("adding operations to the queue")?;
    } else {
        let mut columns = NewOperations::default();
        for (operation, fingerprint) in new {
            columns.push(
                operation,
                fingerprint,
                source_files::number_of(&files, operation),
            )?;
        }
        columns.insert(conn, first, upload, enqueued_at).await?;
    }
    Ok((first..=last).map(OperationId).collect())
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
        // Fingerprints begin with the time, and uploads mostly bring
        // operations later than any known: only those not after the
        // greatest fingerprint known can be known. (Byte order, as the
        // column's collation "C" compares.)
        let greatest = greatest_fingerprint(conn).await?;
        let keys: Vec<&str> = match &greatest {
            Some(greatest) => fingerprints
                .iter()
                .map(String::as_str)
                .filter(|f| *f <= greatest.as_str())
                .collect(),
            None => Vec::new(),
        };
        // Operations that may be known (their times overlap the queue's:
        // another desk's file of the same hours) are written expecting them
        // to be new, in a savepoint: the unique index is then the only
        // lookup of each fingerprint. A known one rolls the savepoint back
        // (its ids stay taken: a gap), and the fingerprints are looked up
        // first, as they are at once when the first operation is known (a
        // file uploaded again).
        if !keys.is_empty() {
            let new = report.sort_out_duplicates(operations, &fingerprints, |_| None);
            if let Some(&first) = new.first()
                && !is_known(conn, &fingerprints[first]).await?
            {
                let new = with_fingerprints(&new, operations, &fingerprints);
                sqlx::query("SAVEPOINT koc_enqueue")
                    .execute(&mut *conn)
                    .await
                    .doing("adding operations to the queue")?;
                match write_new(conn, &new, upload, enqueued_at).await {
                    Ok(added) => {
                        sqlx::query("RELEASE SAVEPOINT koc_enqueue")
                            .execute(&mut *conn)
                            .await
                            .doing("adding operations to the queue")?;
                        report.added = added;
                        earlier::count_change(conn, false).await?;
                        return Ok(report);
                    }
                    Err(Error::Constraint {
                        kind: ConstraintKind::Unique,
                        detail,
                    }) if detail.contains(FINGERPRINT_KEY) => {
                        sqlx::query("ROLLBACK TO SAVEPOINT koc_enqueue")
                            .execute(&mut *conn)
                            .await
                            .doing("adding operations to the queue")?;
                    }
                    Err(other) => return Err(other),
                }
            }
            report = EnqueueReport {
                upload,
                ..EnqueueReport::default()
            };
        }
        let known = if keys.is_empty() {
            HashMap::new()
        } else {
            known(conn, &keys).await?
        };
        let new = report.sort_out_duplicates(operations, &fingerprints, |fingerprint| {
            known.get(fingerprint).copied()
        });
        let new = with_fingerprints(&new, operations, &fingerprints);
        if new.is_empty() {
            return Ok(report);
        }
        report.added = write_new(conn, &new, upload, enqueued_at).await?;
        earlier::count_change(conn, false).await?;
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
        // Out of the queue, in the order asked for; then into history as
        // one batch.
        let moved: Vec<i64> = sqlx::query_scalar(
            "WITH gone AS (DELETE FROM pending p USING operations o WHERE o.id = ANY($1) \
             AND p.time = o.time AND p.time_ns = o.time_ns AND p.id = o.id RETURNING p.id) \
             SELECT g.id FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, ord) \
             JOIN gone g ON g.id = u.id ORDER BY u.ord",
        )
        .bind(&unique)
        .fetch_all(&mut *conn)
        .await
        .doing("deleting operations")?;
        if !moved.is_empty() {
            let deleted = OutcomeCode::Deleted;
            sqlx::query(RECORD_BATCH)
                .bind(&moved)
                .bind(vec![deleted.as_str(); moved.len()])
                .bind(vec![deleted.koha_message(); moved.len()])
                .bind(vec![None::<&str>; moved.len()])
                .bind(by)
                .bind(now())
                .execute(&mut *conn)
                .await
                .doing("recording deleted operations in history")?;
            earlier::count_change(conn, false).await?;
        }
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
        let pending: Vec<i64> = sqlx::query_scalar(concat!("SELECT o.id", pending_of_ids!()))
            .bind(&unique)
            .fetch_all(&mut *conn)
            .await
            .doing("looking at the queue")?;
        let mut pending: HashSet<i64> = pending.into_iter().collect();
        let latest_rows = sqlx::query(LATEST_ENTRIES)
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
        let requeued: Vec<i64> = report.requeued.iter().map(|id| id.0).collect();
        sqlx::query(
            "INSERT INTO history_requeued (entry_id, at) SELECT unnest($1::bigint[]), $2 \
             ON CONFLICT (entry_id) DO UPDATE SET at = excluded.at",
        )
        .bind(&entries)
        .bind(now())
        .execute(&mut *conn)
        .await
        .doing("putting operations back in the queue")?;
        sqlx::query(
            "INSERT INTO pending (time, time_ns, id, branch, barcode, upload_id) \
             SELECT time, time_ns, id, branch, barcode, upload_id FROM operations \
             WHERE id = ANY($1)",
        )
        .bind(&requeued)
        .execute(&mut *conn)
        .await
        .doing("putting operations back in the queue")?;
        earlier::count_change(conn, false).await?;
        Ok(report)
    }
}

/// The queue position `filter` lists after, as columns (`NULL` time when
/// none).
fn after(filter: &PendingFilter) -> (Option<NaiveDateTime>, i16, i64) {
    match filter.after {
        Some((time, id)) => {
            let (time, ns) = codec::split_time(time);
            (Some(time), ns, id.0)
        }
        None => (None, 0, 0),
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
        let (after_time, after_ns, after_id) = after(filter);
        let rows = sqlx::query(concat!(
            "SELECT o.id, ",
            operation_columns!("o."),
            " FROM pending p JOIN operations o ON o.id = p.id",
            source_file_join!(),
            " WHERE ($1::text IS NULL OR p.branch = $1) AND ($2::text IS NULL OR o.action = $2) \
             AND ($3::bigint IS NULL OR p.upload_id = $3) \
             AND ($4::timestamp IS NULL OR (p.time, p.time_ns, p.id) > ($4, $5, $6)) \
             ORDER BY p.time, p.time_ns, p.id LIMIT $7"
        ))
        .bind(filter.branch.as_deref())
        .bind(filter.action.map(|a| a.as_str()))
        .bind(filter.upload.map(|u| u.0))
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
        let (after_time, after_ns, after_id) = after(filter);
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pending p \
             WHERE ($1::text IS NULL OR p.branch = $1) \
             AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM operations o \
                 WHERE o.id = p.id AND o.action = $2)) \
             AND ($3::bigint IS NULL OR p.upload_id = $3) \
             AND ($4::timestamp IS NULL OR (p.time, p.time_ns, p.id) > ($4, $5, $6))",
        )
        .bind(filter.branch.as_deref())
        .bind(filter.action.map(|a| a.as_str()))
        .bind(filter.upload.map(|u| u.0))
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
            "SELECT o.id, ",
            operation_columns!("o."),
            " FROM operations o JOIN pending p \
             ON p.time = o.time AND p.time_ns = o.time_ns AND p.id = o.id",
            source_file_join!(),
            " WHERE o.id = $1"
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use sqlx::Connection;

    use super::*;
    use crate::testing::store;

    /// How many times this transaction read `operations` in full, and
    /// through an index.
    async fn scans(conn: &mut PgConnection) -> (i64, i64) {
        sqlx::query_as(
            "SELECT seq_scan, coalesce(idx_scan, 0) FROM pg_stat_xact_user_tables \
             WHERE relid = 'operations'::regclass",
        )
        .fetch_one(conn)
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn the_greatest_fingerprint_is_the_last_index_entry_whatever_the_statistics() {
        let Some(store) = store("greatest").await else {
            return;
        };
        let mut conn = store.pool().acquire().await.unwrap();
        // Statistics of an empty table, as in a new database.
        sqlx::query("ANALYZE operations")
            .execute(&mut *conn)
            .await
            .unwrap();
        let mut tx = conn.begin().await.unwrap();
        assert_eq!(greatest_fingerprint(&mut tx).await.unwrap(), None);
        // A first upload, in the same transaction: the statistics still
        // say the table is empty.
        sqlx::query(
            "INSERT INTO operations (id, upload_id, enqueued_at, fingerprint, action, time, \
             userid, branch, source_kind) \
             SELECT g, 1, now(), 'f' || lpad(g::text, 6, '0'), 'issue', now(), 'u', 'CPL', \
             'request' FROM generate_series(1, 20000) AS g",
        )
        .execute(&mut *tx)
        .await
        .unwrap();
        let before = scans(&mut tx).await;
        assert_eq!(
            greatest_fingerprint(&mut tx).await.unwrap().as_deref(),
            Some("f020000")
        );
        // Found through the index, without reading the table in full.
        let (sequential, indexed) = scans(&mut tx).await;
        assert_eq!(sequential, before.0, "read the table in full");
        assert_eq!(indexed, before.1 + 1);
        // Sequential scans are allowed again for what follows.
        let allowed: String = sqlx::query_scalar("SELECT current_setting('enable_seqscan')")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(allowed, "on");
        // A transaction that had them off has them off again.
        sqlx::query("SET LOCAL enable_seqscan = off")
            .execute(&mut *tx)
            .await
            .unwrap();
        assert_eq!(
            greatest_fingerprint(&mut tx).await.unwrap().as_deref(),
            Some("f020000")
        );
        let kept: String = sqlx::query_scalar("SELECT current_setting('enable_seqscan')")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(kept, "off");
        drop(tx);
        drop(conn);
        store.drop_schema().await.unwrap();
    }
}
