//! The pending queue: operations uploaded from desks, waiting for review.

mod enqueue;
mod fingerprint;
mod history;
mod operation;
mod pending;
mod upload_file;

pub use enqueue::{Duplicate, DuplicateOf, EnqueueReport};
pub use fingerprint::Fingerprint;
pub use history::{
    DeleteReport, HistoryEntry, HistoryFilter, HistoryId, RequeueRefusal, RequeueReport,
};
pub use operation::{Operation, OperationId, Source, Upload, UploadId};
pub use pending::{PendingFilter, PendingOperation};
pub use upload_file::{
    DEFAULT_ENQUEUE_BATCH, FileUpload, FileUploadError, FileUploadReport, LineReport,
    UploadProgress, enqueue_file,
};
