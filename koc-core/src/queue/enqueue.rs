use serde::{Deserialize, Serialize};

use crate::{OperationId, Source, UploadId};

/// What an enqueue did: which operations were added, and which were already
/// known.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnqueueReport {
    /// The upload the operations were added to.
    pub upload: UploadId,
    /// The ids given to the added operations, in the order they were given.
    pub added: Vec<OperationId>,
    /// The operations that were not added because the same operation was
    /// already pending, already in history, or earlier in the same batch.
    pub duplicates: Vec<Duplicate>,
}

/// An operation not added because it was already known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duplicate {
    /// Its index in the batch given to enqueue.
    pub index: usize,
    /// Where it came from (file line or request).
    pub source: Source,
    /// What it duplicates.
    pub of: DuplicateOf,
}

/// What a duplicate operation is a duplicate of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DuplicateOf {
    /// An operation still pending.
    Pending(OperationId),
    /// An operation already processed or deleted.
    History(OperationId),
    /// An operation earlier in the same batch (its index).
    Batch(usize),
}
