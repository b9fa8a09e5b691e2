use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{
    ConflictRule, LoanPolicy, OperationId, Outcome, OutcomeCode, PendingOperation, Result,
};

/// Operations per transaction when processing, unless a run says otherwise.
pub const DEFAULT_BATCH_SIZE: usize = 2_000;

/// Which pending operations a run processes.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Selection {
    /// All pending operations.
    All,
    /// These operations (those still pending; the others are reported in
    /// [`ProcessSummary::not_pending`]).
    Ids(Vec<OperationId>),
}

/// A processing run: what to process, how, and who asks.
///
/// ```
/// use koc_core::{ConflictRule, ProcessRun};
///
/// let run = ProcessRun::all("admin").branch("CPL").dry_run(true);
/// assert_eq!(run.conflicts, ConflictRule::NewerActivityWins);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct ProcessRun {
    /// Which operations.
    pub selection: Selection,
    /// Only operations uploaded for this library.
    pub branch: Option<String>,
    /// What to do when an operation meets a newer loan.
    pub conflicts: ConflictRule,
    /// How due dates are chosen; `None`: the loan rules in the store.
    pub policy: Option<Arc<dyn LoanPolicy>>,
    /// The staff user processing, recorded in history.
    pub user: String,
    /// Decide and report, change nothing.
    pub dry_run: bool,
    /// Operations per transaction.
    pub batch_size: usize,
}

impl std::fmt::Debug for ProcessRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessRun")
            .field("selection", &self.selection)
            .field("branch", &self.branch)
            .field("conflicts", &self.conflicts)
            .field("policy", &self.policy.as_ref().map(|_| "custom"))
            .field("user", &self.user)
            .field("dry_run", &self.dry_run)
            .field("batch_size", &self.batch_size)
            .finish()
    }
}

impl ProcessRun {
    /// All pending operations, by `user`, with the default rules.
    pub fn all(user: impl Into<String>) -> ProcessRun {
        ProcessRun {
            selection: Selection::All,
            branch: None,
            conflicts: ConflictRule::default(),
            policy: None,
            user: user.into(),
            dry_run: false,
            batch_size: DEFAULT_BATCH_SIZE,
        }
    }

    /// These operations, by `user`, with the default rules.
    pub fn ids(user: impl Into<String>, ids: Vec<OperationId>) -> ProcessRun {
        ProcessRun {
            selection: Selection::Ids(ids),
            ..ProcessRun::all(user)
        }
    }

    /// Only operations of `branch`.
    pub fn branch(mut self, branch: impl Into<String>) -> ProcessRun {
        self.branch = Some(branch.into());
        self
    }

    /// With this conflict rule.
    pub fn conflicts(mut self, conflicts: ConflictRule) -> ProcessRun {
        self.conflicts = conflicts;
        self
    }

    /// With this loan policy instead of the stored rules.
    pub fn policy(mut self, policy: Arc<dyn LoanPolicy>) -> ProcessRun {
        self.policy = Some(policy);
        self
    }

    /// Whether to change nothing.
    pub fn dry_run(mut self, dry_run: bool) -> ProcessRun {
        self.dry_run = dry_run;
        self
    }

    /// With this many operations per transaction (at least 1).
    pub fn batch_size(mut self, batch_size: usize) -> ProcessRun {
        self.batch_size = batch_size.max(1);
        self
    }

    /// Whether an operation on an item may be pending outside the run but
    /// earlier than one inside it. Processing everything in time order, it
    /// cannot: a store may skip looking for such operations.
    pub fn may_leave_earlier_operations(&self) -> bool {
        !matches!(self.selection, Selection::All) || self.branch.is_some()
    }
}

/// One operation processed, with its outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessedOperation {
    /// The operation as it was pending.
    pub pending: PendingOperation,
    /// What processing did.
    pub outcome: Outcome,
}

/// Receives the results of a run, batch by batch, as each commits: to print
/// them, count them or show progress without holding a million results in
/// memory. Any `FnMut(&[ProcessedOperation]) + Send` is one.
pub trait ProcessObserver: Send {
    /// A batch was processed (and committed, unless it is a dry run).
    fn batch(&mut self, results: &[ProcessedOperation]);
}

impl<F: FnMut(&[ProcessedOperation]) + Send> ProcessObserver for F {
    fn batch(&mut self, results: &[ProcessedOperation]) {
        self(results)
    }
}

/// What a run did, in numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessSummary {
    /// Operations processed.
    pub processed: u64,
    /// How many of each outcome.
    pub outcomes: BTreeMap<OutcomeCode, u64>,
    /// Operations processed with at least one warning.
    pub with_warnings: u64,
    /// Selected ids that were not pending.
    pub not_pending: Vec<OperationId>,
    /// Whether it was a dry run (nothing changed).
    pub dry_run: bool,
    /// Transactions committed (or, in a dry run, that would have been).
    pub batches: u64,
}

impl ProcessSummary {
    /// Counts a batch's results.
    pub fn count(&mut self, results: &[ProcessedOperation]) {
        self.batches += 1;
        for result in results {
            self.processed += 1;
            *self.outcomes.entry(result.outcome.code).or_default() += 1;
            if !result.outcome.warnings.is_empty() {
                self.with_warnings += 1;
            }
        }
    }

    /// How many operations had outcome `code`.
    pub fn count_of(&self, code: OutcomeCode) -> u64 {
        self.outcomes.get(&code).copied().unwrap_or(0)
    }

    /// How many operations failed (neither applied nor deleted).
    pub fn failed(&self) -> u64 {
        self.outcomes
            .iter()
            .filter(|(code, _)| code.is_failure())
            .map(|(_, n)| n)
            .sum()
    }
}

/// Processing: applies pending operations to the circulation data.
#[async_trait]
pub trait Processor: Send + Sync {
    /// Processes the operations `run` selects, in time order then enqueue
    /// order, in transactions of `run.batch_size` operations.
    ///
    /// Each transaction loads its operations and the state they touch,
    /// decides with [`Engine::decide`](crate::Engine::decide), writes the
    /// effects and moves the operations to history with their outcomes: all
    /// of it commits or none of it. Two runs on one store never process an
    /// operation twice. `observer` sees each batch after it commits.
    ///
    /// A dry run gives the same outcomes and changes nothing.
    ///
    /// # Errors
    ///
    /// A database error or a loan policy error: the batch in progress is
    /// rolled back; batches already reported to `observer` stay committed.
    async fn process(
        &self,
        run: &ProcessRun,
        observer: &mut dyn ProcessObserver,
    ) -> Result<ProcessSummary>;
}
