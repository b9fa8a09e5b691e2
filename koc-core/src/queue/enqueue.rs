use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{Operation, OperationId, Source, UploadId};

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

impl EnqueueReport {
    /// Sorts out the duplicates of a batch, for a store's enqueue: an
    /// operation is a duplicate of one earlier in the batch with the same
    /// fingerprint, else of what `known` says the store holds under its
    /// fingerprint (pending or in history). Duplicates are recorded in
    /// [`EnqueueReport::duplicates`]; the indexes of the others, the ones to
    /// add, are returned in order. `fingerprints[i]` is the fingerprint of
    /// `operations[i]`.
    ///
    /// ```
    /// use koc_core::{DuplicateOf, EnqueueReport, Operation, OperationId, Source};
    /// use koc_format::Action;
    ///
    /// let return_of = |barcode: &str| Operation {
    ///     action: Action::Return,
    ///     time: "2026-07-22T10:00:00".parse().unwrap(),
    ///     cardnumber: None,
    ///     barcode: Some(barcode.to_owned()),
    ///     amount: None,
    ///     due: None,
    ///     userid: "admin".to_owned(),
    ///     branch: "CPL".to_owned(),
    ///     workstation: None,
    ///     source: Source::Request { detail: None },
    /// };
    /// let batch = [return_of("a"), return_of("b"), return_of("a")];
    /// let fingerprints: Vec<_> = batch.iter().map(Operation::fingerprint).collect();
    /// let processed_before = fingerprints[1].clone();
    ///
    /// let mut report = EnqueueReport::default();
    /// let new = report.sort_out_duplicates(&batch, &fingerprints, |fingerprint| {
    ///     (fingerprint == processed_before.as_str()).then_some(DuplicateOf::History(OperationId(7)))
    /// });
    /// assert_eq!(new, [0]);
    /// let of: Vec<_> = report.duplicates.iter().map(|d| (d.index, d.of)).collect();
    /// assert_eq!(of, [(1, DuplicateOf::History(OperationId(7))), (2, DuplicateOf::Batch(0))]);
    /// ```
    pub fn sort_out_duplicates<F: AsRef<str>>(
        &mut self,
        operations: &[Operation],
        fingerprints: &[F],
        known: impl Fn(&str) -> Option<DuplicateOf>,
    ) -> Vec<usize> {
        let mut new = Vec::with_capacity(operations.len());
        // foldhash, as `ByKey`: a fingerprint per operation enqueued.
        let mut in_batch: HashMap<&str, usize, foldhash::fast::RandomState> =
            HashMap::with_capacity_and_hasher(operations.len(), Default::default());
        for (index, (operation, fingerprint)) in operations.iter().zip(fingerprints).enumerate() {
            let fingerprint = fingerprint.as_ref();
            let of = match in_batch.get(fingerprint) {
                Some(&first) => Some(DuplicateOf::Batch(first)),
                None => known(fingerprint),
            };
            match of {
                Some(of) => self.duplicates.push(Duplicate {
                    index,
                    source: operation.source.clone(),
                    of,
                }),
                None => {
                    in_batch.insert(fingerprint, index);
                    new.push(index);
                }
            }
        }
        new
    }
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
