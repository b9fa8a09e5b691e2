use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::{OperationId, Outcome, PendingOperation};

/// Identifies a history entry within a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HistoryId(pub i64);

/// What became of an operation that left the queue: processed (applied or
/// failed) or deleted, by whom and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The entry's id. An operation requeued and processed again has
    /// several entries.
    pub id: HistoryId,
    /// The operation as it was pending.
    pub pending: PendingOperation,
    /// What happened: an outcome of processing, or `deleted`.
    pub outcome: Outcome,
    /// The staff user who processed or deleted it.
    pub by: String,
    /// When.
    pub at: NaiveDateTime,
    /// When it was put back in the queue, if it was.
    pub requeued_at: Option<NaiveDateTime>,
}

/// Which history entries to list. The default lists all, most recent first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HistoryFilter {
    /// Only entries whose outcome is a failure that can be requeued (neither
    /// applied nor deleted), not yet requeued.
    pub failed: bool,
    /// Only entries of this operation.
    pub operation: Option<OperationId>,
    /// Only operations uploaded for this library.
    pub branch: Option<String>,
    /// At most this many.
    pub limit: Option<usize>,
}

impl HistoryFilter {
    /// All entries.
    pub fn all() -> HistoryFilter {
        HistoryFilter::default()
    }

    /// Only failures not yet requeued.
    pub fn failed() -> HistoryFilter {
        HistoryFilter {
            failed: true,
            ..HistoryFilter::default()
        }
    }

    /// Only entries of `operation`.
    pub fn operation(mut self, operation: OperationId) -> HistoryFilter {
        self.operation = Some(operation);
        self
    }

    /// Only entries of `branch`.
    pub fn branch(mut self, branch: impl Into<String>) -> HistoryFilter {
        self.branch = Some(branch.into());
        self
    }

    /// At most `limit`.
    pub fn limit(mut self, limit: usize) -> HistoryFilter {
        self.limit = Some(limit);
        self
    }

    /// Whether `entry` passes the filter (the limit aside).
    pub fn matches(&self, entry: &HistoryEntry) -> bool {
        (!self.failed || (entry.outcome.code.is_failure() && entry.requeued_at.is_none()))
            && self.operation.is_none_or(|id| id == entry.pending.id)
            && self
                .branch
                .as_ref()
                .is_none_or(|b| *b == entry.pending.operation.branch)
    }
}

/// What a delete did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteReport {
    /// Operations moved to history as deleted.
    pub deleted: Vec<OperationId>,
    /// Ids that were not pending (unknown, or already processed or deleted).
    pub not_pending: Vec<OperationId>,
}

/// What a requeue did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequeueReport {
    /// Operations put back in the queue.
    pub requeued: Vec<OperationId>,
    /// Operations that could not be put back, and why.
    pub refused: Vec<(OperationId, RequeueRefusal)>,
}

/// Why an operation cannot be put back in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RequeueRefusal {
    /// No such operation in history.
    NotFound,
    /// It is pending already.
    AlreadyPending,
    /// It was applied: requeuing it would apply it twice.
    Applied,
}
