use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::{Money, OperationId};

/// Identifies an account line within a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountLineId(pub i64);

/// Whether a patron owes (a fine, a fee) or has paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountLineKind {
    /// Money owed: a fine or a fee.
    Debit,
    /// Money paid.
    Credit,
}

/// One line of a patron's account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountLine {
    /// The line's id.
    pub id: AccountLineId,
    /// The patron.
    pub cardnumber: String,
    /// Debit or credit.
    pub kind: AccountLineKind,
    /// The amount, always positive.
    pub amount: Money,
    /// For a debit, what is still owed; for a credit, what has not been
    /// applied to any debit yet.
    pub outstanding: Money,
    /// What it is for.
    pub description: Option<String>,
    /// When it arose (for a payment: when it was paid).
    pub created_at: NaiveDateTime,
    /// The offline operation that recorded it, for payments.
    pub operation: Option<OperationId>,
}

/// A debt to record (a fine loaded from the library's data).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NewDebt {
    /// The patron who owes it.
    pub cardnumber: String,
    /// The amount, positive.
    pub amount: Money,
    /// What it is for.
    pub description: Option<String>,
    /// When it arose. `None` when the library's data does not say: the debt
    /// is then dated when it is added, and is taken as recorded already
    /// when an equal debt (same patron, amount and description) is,
    /// whatever its time.
    pub created_at: Option<NaiveDateTime>,
}

/// A payment decided by the engine: a credit line to add, and how much of it
/// goes to which debt, oldest debt first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedPayment {
    /// The operation that paid.
    pub operation: OperationId,
    /// The patron who paid.
    pub cardnumber: String,
    /// The amount paid.
    pub amount: Money,
    /// When it was paid (the operation's time, not the processing time).
    pub paid_at: NaiveDateTime,
    /// The part applied to each debt, oldest first.
    pub applied: Vec<(AccountLineId, Money)>,
    /// What is left as credit on the patron's account.
    pub unapplied: Money,
}
