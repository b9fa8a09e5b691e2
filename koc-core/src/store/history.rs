use async_trait::async_trait;

use crate::{HistoryEntry, HistoryFilter, Result};

/// What became of the operations that left the queue.
#[async_trait]
pub trait History: Send + Sync {
    /// Entries passing `filter`, most recent first (by id).
    ///
    /// # Errors
    ///
    /// A database error.
    async fn history(&self, filter: &HistoryFilter) -> Result<Vec<HistoryEntry>>;
}
