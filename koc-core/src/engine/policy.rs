use std::fmt;
use std::str::FromStr;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::{Item, Loan, Patron};

/// What to do when an offline operation meets a loan that started after it
/// (someone lent the item again once the system was back).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ConflictRule {
    /// The newer loan stands: the operation is reported as a `conflict` and
    /// changes nothing (as Alma does; Evergreen offers it as a setting).
    #[default]
    NewerActivityWins,
    /// Do what Koha does: close the newer loan anyway.
    KohaCompatible,
}

impl ConflictRule {
    /// `newer-activity-wins` or `koha-compatible`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ConflictRule::NewerActivityWins => "newer-activity-wins",
            ConflictRule::KohaCompatible => "koha-compatible",
        }
    }
}

impl fmt::Display for ConflictRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not a conflict rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown conflict rule `{0}`: expected newer-activity-wins or koha-compatible")]
pub struct UnknownConflictRule(pub String);

impl FromStr for ConflictRule {
    type Err = UnknownConflictRule;

    fn from_str(s: &str) -> Result<ConflictRule, UnknownConflictRule> {
        match s {
            "newer-activity-wins" => Ok(ConflictRule::NewerActivityWins),
            "koha-compatible" => Ok(ConflictRule::KohaCompatible),
            other => Err(UnknownConflictRule(other.to_owned())),
        }
    }
}

/// A loan policy could not decide; processing of the batch stops and nothing
/// of it is applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("loan policy: {message}")]
pub struct PolicyError {
    /// What went wrong.
    pub message: String,
}

impl PolicyError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> PolicyError {
        PolicyError {
            message: message.into(),
        }
    }
}

/// How due dates are chosen when the desk did not choose one: the seam where
/// a host plugs its own circulation rules (calendars, closed days ...).
///
/// [`RuleTable`](crate::RuleTable), built from the loan rules in the store,
/// is the default.
///
/// The item it is given may lack its catalogue text (title, author, call
/// number): a store need not load what processing does not read (see
/// [`BatchState`](crate::BatchState)). Circulation rules go by the item's
/// type and branches, the patron's category and branch, as Koha's do.
pub trait LoanPolicy: Send + Sync {
    /// When a loan of `item` to `patron` made at `issued_at` is due.
    ///
    /// # Errors
    ///
    /// A [`PolicyError`] stops the batch; nothing of it is applied.
    fn due_at(
        &self,
        patron: &Patron,
        item: &Item,
        issued_at: NaiveDateTime,
    ) -> Result<NaiveDateTime, PolicyError>;

    /// When `loan` is due after a renewal at `renewed_at`.
    ///
    /// # Errors
    ///
    /// As [`LoanPolicy::due_at`].
    fn renewal_due_at(
        &self,
        patron: &Patron,
        item: &Item,
        loan: &Loan,
        renewed_at: NaiveDateTime,
    ) -> Result<NaiveDateTime, PolicyError>;
}
