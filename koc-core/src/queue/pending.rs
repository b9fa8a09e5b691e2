use chrono::NaiveDateTime;
use koc_format::Action;
use serde::{Deserialize, Serialize};

use crate::{Fingerprint, Operation, OperationId, UploadId};

/// An operation in the queue, waiting to be processed or deleted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingOperation {
    /// Its id in the store.
    pub id: OperationId,
    /// The upload it came in.
    pub upload: UploadId,
    /// When it was enqueued.
    pub enqueued_at: NaiveDateTime,
    /// Its fingerprint (see [`Fingerprint`]).
    pub fingerprint: Fingerprint,
    /// The operation itself.
    #[serde(flatten)]
    pub operation: Operation,
}

impl PendingOperation {
    /// The processing order: time, then enqueue order.
    pub fn order_key(&self) -> (NaiveDateTime, OperationId) {
        (self.operation.time, self.id)
    }
}

/// Which pending operations to list. The default lists all of them, in
/// processing order (time, then enqueue order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PendingFilter {
    /// Only operations uploaded for this library.
    pub branch: Option<String>,
    /// Only operations of this action.
    pub action: Option<Action>,
    /// Only operations of this upload (one file, or one request).
    pub upload: Option<UploadId>,
    /// Only operations that come after this (time, id) in processing order:
    /// to page through a long queue.
    pub after: Option<(NaiveDateTime, OperationId)>,
    /// At most this many.
    pub limit: Option<usize>,
}

impl PendingFilter {
    /// All pending operations.
    pub fn all() -> PendingFilter {
        PendingFilter::default()
    }

    /// Only those of `branch`.
    pub fn branch(mut self, branch: impl Into<String>) -> PendingFilter {
        self.branch = Some(branch.into());
        self
    }

    /// Only those of `action`.
    pub fn action(mut self, action: Action) -> PendingFilter {
        self.action = Some(action);
        self
    }

    /// Only those of `upload`.
    pub fn upload(mut self, upload: UploadId) -> PendingFilter {
        self.upload = Some(upload);
        self
    }

    /// Only those after `(time, id)`.
    pub fn after(mut self, time: NaiveDateTime, id: OperationId) -> PendingFilter {
        self.after = Some((time, id));
        self
    }

    /// At most `limit`.
    pub fn limit(mut self, limit: usize) -> PendingFilter {
        self.limit = Some(limit);
        self
    }

    /// Whether `operation` passes the filter (the limit aside).
    pub fn matches(&self, operation: &PendingOperation) -> bool {
        self.branch
            .as_ref()
            .is_none_or(|b| *b == operation.operation.branch)
            && self.action.is_none_or(|a| a == operation.operation.action)
            && self.upload.is_none_or(|u| u == operation.upload)
            && self.after.is_none_or(|after| operation.order_key() > after)
    }
}
