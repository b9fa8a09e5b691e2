use async_trait::async_trait;

use crate::{
    DeleteReport, EnqueueReport, Operation, OperationId, PendingFilter, PendingOperation,
    RequeueReport, Result, UploadId,
};

/// The pending queue.
#[async_trait]
pub trait Queue: Send + Sync {
    /// Adds operations to the queue, atomically: all of the batch or none.
    ///
    /// An operation whose [fingerprint](crate::Fingerprint) is already
    /// pending, already in history (processed or deleted), or earlier in the
    /// batch is not added: it is listed in
    /// [`EnqueueReport::duplicates`]. The others get ids that grow in the
    /// order given. They join `upload` when given (to stream one file in
    /// several batches), else a new upload.
    ///
    /// # Errors
    ///
    /// A database error; then nothing of the batch was added.
    async fn enqueue(
        &self,
        upload: Option<UploadId>,
        operations: &[Operation],
    ) -> Result<EnqueueReport>;

    /// [`Queue::enqueue`] of operations the caller has no further use for:
    /// a store that hands them to another thread (SQLite's) takes them as
    /// they are instead of copying them. [`enqueue_file`](crate::enqueue_file)
    /// calls it. By default, [`Queue::enqueue`].
    ///
    /// # Errors
    ///
    /// As [`Queue::enqueue`].
    async fn enqueue_owned(
        &self,
        upload: Option<UploadId>,
        operations: Vec<Operation>,
    ) -> Result<EnqueueReport> {
        self.enqueue(upload, &operations).await
    }

    /// Pending operations passing `filter`, in processing order: time, then
    /// enqueue order.
    ///
    /// # Errors
    ///
    /// A database error.
    async fn pending(&self, filter: &PendingFilter) -> Result<Vec<PendingOperation>>;

    /// How many operations pass `filter` (its limit aside).
    ///
    /// # Errors
    ///
    /// A database error.
    async fn count_pending(&self, filter: &PendingFilter) -> Result<u64>;

    /// One pending operation; `Ok(None)` when it is not pending.
    ///
    /// # Errors
    ///
    /// A database error.
    async fn pending_operation(&self, id: OperationId) -> Result<Option<PendingOperation>>;

    /// Moves pending operations to history as deleted by `by`, atomically.
    /// Ids not pending are listed in [`DeleteReport::not_pending`].
    ///
    /// # Errors
    ///
    /// A database error; then nothing was deleted.
    async fn delete(&self, ids: &[OperationId], by: &str) -> Result<DeleteReport>;

    /// Puts operations back in the queue, with their ids, from their latest
    /// history entry, atomically. Only operations that were not applied
    /// (failed or deleted) can be; the entry is kept and marked requeued.
    ///
    /// # Errors
    ///
    /// A database error; then nothing was requeued.
    async fn requeue(&self, ids: &[OperationId], by: &str) -> Result<RequeueReport>;
}
