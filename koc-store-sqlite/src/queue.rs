//! The pending queue: enqueue with duplicate checks, listings, delete and
//! requeue.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use koc_core::{
    DeleteReport, DuplicateOf, EnqueueReport, Operation, OperationId, Outcome, OutcomeCode,
    PendingFilter, PendingOperation, Queue, RequeueRefusal, RequeueReport, Result, Source,
    UploadId,
};
use rusqlite::ToSql;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};

use crate::SqliteStore;
use crate::codec::{Cash, Day, Time};
use crate::error::{Context, damaged};
use crate::history::{now, record};
use crate::insert::{insert_many, insert_while_all_written};
use crate::list::List;
use crate::query::Query;
use crate::rows::{
    self, due_parts, operation_columns, operation_fields, source_file_join, source_parts,
};
use crate::source_files::SourceFiles;

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
    let fingerprints: Vec<String> = operations
        .iter()
        .map(|op| op.fingerprint().into_string())
        .collect();
    let last_id: i64 = conn
        .prepare_cached("SELECT coalesce(max(id), 0) FROM operations")
        .and_then(|mut select| select.query_row([], |row| row.get(0)))
        .context("reading the last operation id")?;

    // Most operations are new: written at once, each fingerprint is looked
    // up only by the unique index that refuses it. When one is known, what
    // was written is taken back and the fingerprints are looked up first,
    // as they are at once when the first operation is known (a file
    // uploaded again).
    let mut report = EnqueueReport {
        upload,
        ..EnqueueReport::default()
    };
    let new = report.sort_out_duplicates(operations, &fingerprints, |_| None);
    if let Some(&first) = new.first()
        && !is_known(conn, &fingerprints[first])?
    {
        let rows = new_rows(conn, last_id, &new, &fingerprints, operations)?;
        let origin = shared_origin(&rows);
        if write_operations(conn, upload, enqueued_at, &rows, origin, Unless::OneIsKnown)? {
            return queued(conn, upload, &rows, origin, report);
        }
        conn.prepare_cached("DELETE FROM operations WHERE id > ?1")
            .and_then(|mut delete| delete.execute([last_id]))
            .context("enqueuing operations")?;
    }
    let known = known_fingerprints(conn, &fingerprints)?;
    let mut report = EnqueueReport {
        upload,
        ..EnqueueReport::default()
    };
    let new = report.sort_out_duplicates(operations, &fingerprints, |fingerprint| {
        known.get(fingerprint).copied()
    });
    let rows = new_rows(conn, last_id, &new, &fingerprints, operations)?;
    let origin = shared_origin(&rows);
    write_operations(conn, upload, enqueued_at, &rows, origin, Unless::Never)?;
    queued(conn, upload, &rows, origin, report)
}

/// Whether an operation with this fingerprint was ever enqueued.
fn is_known(conn: &Connection, fingerprint: &str) -> Result<bool> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM operations WHERE fingerprint = ?1)")
        .and_then(|mut select| select.query_row([fingerprint], |row| row.get(0)))
        .context("checking for duplicates")
}

/// The rows of the operations at `new`, numbered after `last_id`; the
/// names of their files recorded.
fn new_rows<'a>(
    conn: &Connection,
    last_id: i64,
    new: &[usize],
    fingerprints: &'a [String],
    operations: &'a [Operation],
) -> Result<Vec<NewRow<'a>>> {
    let mut files = SourceFiles::default();
    // Filled in a loop: collecting results would not know the length and
    // copy the rows over as the vector grows.
    let mut rows = Vec::with_capacity(new.len());
    for (id, &index) in (last_id + 1..).zip(new) {
        let operation = &operations[index];
        let file = match &operation.source {
            Source::File { name, .. } => Some(files.id(conn, name)?),
            _ => None,
        };
        rows.push(NewRow::new(id, &fingerprints[index], operation, file));
    }
    Ok(rows)
}

/// The first of `rows` when all of them have its user, branch, workstation
/// and source (but the line): operations read from one file, most of them.
/// Those values are then bound once per statement, not once per row.
fn shared_origin<'r, 'a>(rows: &'r [NewRow<'a>]) -> Option<&'r NewRow<'a>> {
    let first = rows.first()?;
    rows.iter()
        .all(|row| row.same_origin(first))
        .then_some(first)
}

/// When [`write_operations`] stops short.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unless {
    /// When an operation's fingerprint is already stored: it is not
    /// written, nor any row after its statement's.
    OneIsKnown,
    /// Never: a known fingerprint is an error.
    Never,
}

/// Writes `rows` to `operations`; whether all of them were written.
/// `origin`: their [`shared_origin`].
fn write_operations(
    conn: &Connection,
    upload: UploadId,
    enqueued_at: Time,
    rows: &[NewRow<'_>],
    origin: Option<&NewRow<'_>>,
    unless: Unless,
) -> Result<bool> {
    let what = "enqueuing operations";
    let tail = match unless {
        Unless::OneIsKnown => " ON CONFLICT (fingerprint) DO NOTHING",
        Unless::Never => "",
    };
    match origin {
        Some(first) => {
            let op = first.operation;
            insert_while_all_written(
                conn,
                what,
                (INSERT_OPERATIONS, OPERATION_ROW_SAME_ORIGIN, tail),
                &[
                    &upload.0,
                    &enqueued_at,
                    &op.userid,
                    &op.branch,
                    &op.workstation,
                    &first.source_kind,
                    &first.source_text,
                    &first.source_file,
                ],
                rows,
                |row, values| row.operation_values(values, false),
            )
        }
        _ => insert_while_all_written(
            conn,
            what,
            (INSERT_OPERATIONS, OPERATION_ROW, tail),
            &[&upload.0, &enqueued_at],
            rows,
            |row, values| row.operation_values(values, true),
        ),
    }
}

/// Records the upload's range of the operations written (`rows`, of
/// [`shared_origin`] `origin`) and puts them in the queue; the report,
/// with their ids added.
fn queued(
    conn: &Connection,
    upload: UploadId,
    rows: &[NewRow<'_>],
    origin: Option<&NewRow<'_>>,
    mut report: EnqueueReport,
) -> Result<EnqueueReport> {
    report.added = rows.iter().map(|row| OperationId(row.id)).collect();
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        conn.prepare_cached("INSERT INTO upload_ranges (upload, first, last) VALUES (?1, ?2, ?3)")
            .and_then(|mut insert| insert.execute((upload.0, first.id, last.id)))
            .context("recording the upload's operations")?;
    }
    match origin {
        Some(first) => insert_many(
            conn,
            "enqueuing operations",
            INSERT_PENDING,
            "(?, ?, ?1)",
            &[&first.operation.branch],
            rows,
            |row, values| values.extend([&row.time as &dyn ToSql, &row.id]),
        )?,
        _ => insert_many(
            conn,
            "enqueuing operations",
            INSERT_PENDING,
            "(?, ?, ?)",
            &[],
            rows,
            |row, values| {
                values.extend([&row.time as &dyn ToSql, &row.id, &row.operation.branch]);
            },
        )?,
    }
    Ok(report)
}

// `OR FAIL` (here and for `pending`): a constraint a row breaks (none
// should; a known fingerprint is skipped by `ON CONFLICT ... DO NOTHING`)
// fails the enqueue, whose transaction is then rolled back whole, so no
// statement needs a journal to undo its own part first: 4.9% of the
// instructions of an enqueue (see `process/batch.rs` for processing).
const INSERT_OPERATIONS: &str = concat!(
    "INSERT OR FAIL INTO operations (id, ",
    operation_fields!(),
    ") VALUES "
);

/// A row of `operations`: id, then upload and enqueue time (the same for
/// every row), then the rest (see [`NewRow::operation_values`]).
const OPERATION_ROW: &str = "(?, ?1, ?2, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// [`OPERATION_ROW`] when user, branch, workstation and source (but the
/// line) are the same for every row: `?3` to `?8`.
const OPERATION_ROW_SAME_ORIGIN: &str =
    "(?, ?1, ?2, ?, ?, ?, ?, ?, ?, ?, ?, ?3, ?4, ?5, ?6, ?7, ?, ?8)";

const INSERT_PENDING: &str = "INSERT OR FAIL INTO pending (time, id, branch) VALUES ";

/// An operation to enqueue, with its values as SQLite takes them.
struct NewRow<'a> {
    id: i64,
    fingerprint: &'a str,
    operation: &'a Operation,
    action: &'static str,
    time: Time,
    amount: Option<Cash>,
    due_date: Option<Day>,
    due_at: Option<Time>,
    source_kind: &'static str,
    source_text: Option<Cow<'a, str>>,
    source_line: Option<i64>,
    /// The id of the file's name, for an operation read from a file.
    source_file: Option<i64>,
}

impl<'a> NewRow<'a> {
    fn new(
        id: i64,
        fingerprint: &'a str,
        operation: &'a Operation,
        source_file: Option<i64>,
    ) -> NewRow<'a> {
        let (due_date, due_at) = due_parts(operation.due);
        let (source_kind, source_text, source_line) = source_parts(&operation.source);
        NewRow {
            id,
            fingerprint,
            operation,
            action: operation.action.as_str(),
            time: Time(operation.time),
            amount: operation.amount.map(Cash),
            due_date,
            due_at,
            source_kind,
            source_text,
            source_line,
            source_file,
        }
    }

    /// Whether user, branch, workstation and source (but the line) are the
    /// same as `other`'s.
    fn same_origin(&self, other: &NewRow<'_>) -> bool {
        let (op, theirs) = (self.operation, other.operation);
        op.userid == theirs.userid
            && op.branch == theirs.branch
            && op.workstation == theirs.workstation
            && self.source_kind == other.source_kind
            && self.source_text == other.source_text
            && self.source_file == other.source_file
    }

    /// The values of `operations`' columns, in [`operation_fields!`] order,
    /// but for upload and enqueue time (the same for every row), and for
    /// user, branch, workstation, source kind, text and file unless `origin`.
    fn operation_values<'v>(&'v self, values: &mut Vec<&'v dyn ToSql>, origin: bool) {
        let op = self.operation;
        values.extend([
            &self.id as &dyn ToSql,
            &self.fingerprint,
            &self.action,
            &self.time,
            &op.cardnumber,
            &op.barcode,
            &self.amount,
            &self.due_date,
            &self.due_at,
        ]);
        if origin {
            values.extend([
                &op.userid as &dyn ToSql,
                &op.branch,
                &op.workstation,
                &self.source_kind,
                &self.source_text,
            ]);
        }
        values.push(&self.source_line);
        if origin {
            values.push(&self.source_file);
        }
    }
}

pub(crate) const KNOWN_FINGERPRINTS: &str =
    "SELECT o.fingerprint, o.id FROM rarray(?1) AS k CROSS JOIN operations AS o
     ON o.fingerprint = k.value";

/// Which of these fingerprints the store knows, and where: pending, or
/// else in history.
fn known_fingerprints<'f>(
    conn: &Connection,
    fingerprints: &'f [String],
) -> Result<HashMap<&'f str, DuplicateOf>> {
    let what = "checking for duplicates";
    let mut known = HashMap::new();
    if fingerprints.is_empty() {
        return Ok(known);
    }
    let list = List::texts(fingerprints.iter().map(String::as_str));
    let mut found: HashMap<String, i64> = HashMap::new();
    let mut select = conn.prepare_cached(KNOWN_FINGERPRINTS).context(what)?;
    let mut rows = select.query([&list]).context(what)?;
    while let Some(row) = rows.next().context(what)? {
        found.insert(row.get(0).context(what)?, row.get(1).context(what)?);
    }
    if found.is_empty() {
        return Ok(known);
    }
    let ids = List::integers(found.values().copied());
    let mut select = conn
        .prepare_cached(
            "SELECT o.id FROM rarray(?1) AS k CROSS JOIN operations AS o ON o.id = k.value
             JOIN pending AS p ON p.time = o.time AND p.id = o.id",
        )
        .context(what)?;
    let pending = select
        .query_map([&ids], |row| row.get::<_, i64>(0))
        .and_then(Iterator::collect::<rusqlite::Result<HashSet<i64>>>)
        .context(what)?;
    for fingerprint in fingerprints {
        if let Some(&id) = found.get(fingerprint) {
            let id = OperationId(id);
            let of = if pending.contains(&id.0) {
                DuplicateOf::Pending(id)
            } else {
                DuplicateOf::History(id)
            };
            known.insert(fingerprint.as_str(), of);
        }
    }
    Ok(known)
}

/// Whether operation `?1` is pending.
pub(crate) const IS_PENDING: &str = "SELECT EXISTS (SELECT 1 FROM operations AS o
     JOIN pending AS p ON p.time = o.time AND p.id = o.id WHERE o.id = ?1)";

/// Removes operation `?1` from the queue.
pub(crate) const DELETE_PENDING: &str =
    "DELETE FROM pending WHERE time = (SELECT time FROM operations WHERE id = ?1) AND id = ?1";

/// What a pending listing reads.
pub(crate) const PENDING_COLUMNS: &str = operation_columns!();

/// `SELECT columns` of the pending operations passing `filter`.
pub(crate) fn pending_query(columns: &str, filter: &PendingFilter) -> Query {
    let from = if filter.upload.is_some() {
        // One upload's operations are found by its ranges of ids, then each
        // looked up in the queue (`CROSS JOIN` keeps that order), rather
        // than by reading the whole queue for them.
        concat!(
            "upload_ranges AS r CROSS JOIN operations AS o ON o.id BETWEEN r.first AND r.last \
             CROSS JOIN pending AS p ON p.time = o.time AND p.id = o.id",
            source_file_join!()
        )
    } else if filter.action.is_some() || columns != "count(*)" {
        concat!(
            "pending AS p JOIN operations AS o ON o.id = p.id",
            source_file_join!()
        )
    } else {
        "pending AS p"
    };
    let mut query = Query::new(&format!("SELECT {columns} FROM {from}"));
    query
        .filter(
            "p.branch = ?",
            filter.branch.clone().map(|b| vec![Value::Text(b)]),
        )
        .filter("r.upload = ?", filter.upload.map(|u| vec![u.0]))
        .filter(
            "o.action = ?",
            filter
                .action
                .map(|a| vec![Value::Text(a.as_str().to_owned())]),
        )
        .filter(
            "p.time >= ? AND (p.time > ? OR p.id > ?)",
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
            .prepare_cached(IS_PENDING)
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
        conn.prepare_cached(
            "INSERT INTO pending (time, id, branch)
             SELECT time, id, branch FROM operations WHERE id = ?1",
        )
        .and_then(|mut insert| insert.execute([id.0]))
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
        self.enqueue_owned(upload, operations.to_vec()).await
    }

    async fn enqueue_owned(
        &self,
        upload: Option<UploadId>,
        operations: Vec<Operation>,
    ) -> Result<EnqueueReport> {
        // Each row refers to the upload or the operation just written.
        self.write_checked_by_construction("enqueuing operations", move |tx| {
            enqueue(tx, upload, &operations)
        })
        .await
    }

    async fn pending(&self, filter: &PendingFilter) -> Result<Vec<PendingOperation>> {
        let filter = filter.clone();
        self.call(move |conn| {
            let mut query = pending_query(PENDING_COLUMNS, &filter);
            query.then("ORDER BY p.time, p.id").limit(filter.limit);
            query
                .rows(conn, |row| rows::pending(row, 0))
                .context("listing pending operations")
        })
        .await
    }

    async fn count_pending(&self, filter: &PendingFilter) -> Result<u64> {
        let filter = filter.clone();
        self.call(move |conn| {
            let counts = pending_query("count(*)", &filter)
                .rows(conn, |row| row.get::<_, i64>(0))
                .context("counting pending operations")?;
            Ok(counts.first().map_or(0, |&n| u64::try_from(n).unwrap_or(0)))
        })
        .await
    }

    async fn pending_operation(&self, id: OperationId) -> Result<Option<PendingOperation>> {
        self.call(move |conn| {
            conn.prepare_cached(concat!(
                "SELECT ",
                operation_columns!(),
                " FROM operations AS o JOIN pending AS p ON p.time = o.time AND p.id = o.id",
                source_file_join!(),
                " WHERE o.id = ?1"
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
            let mut delete = tx
                .prepare_cached(DELETE_PENDING)
                .context("deleting pending operations")?;
            for id in ids {
                let removed = delete
                    .execute([id.0])
                    .context("deleting a pending operation")?;
                if removed == 1 {
                    report.deleted.push(id);
                } else {
                    report.not_pending.push(id);
                }
            }
            record(
                tx,
                report.deleted.iter().map(|id| (id.0, &deleted)),
                &by,
                at,
            )?;
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
