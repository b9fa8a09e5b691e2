use std::collections::HashMap;
use std::collections::hash_map::Entry;

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

impl NewDebt {
    /// Which of `debts` to add, in order: equal debts are counted, and the
    /// n-th equal debt of the call is added when fewer than n are recorded.
    /// `recorded` says how many debts equal to one are recorded already
    /// (see [`NewDebt::created_at`] for what is equal); it is asked once per
    /// distinct debt, and its first error is returned.
    ///
    /// ```
    /// use koc_core::NewDebt;
    ///
    /// let fine = NewDebt {
    ///     cardnumber: "23529001000463".into(),
    ///     amount: "0.50".parse().unwrap(),
    ///     description: Some("Overdue".into()),
    ///     created_at: None,
    /// };
    /// let three = [fine.clone(), fine.clone(), fine];
    /// let to_add = NewDebt::not_recorded(&three, |_| Ok::<_, ()>(1)).unwrap();
    /// assert_eq!(to_add.len(), 2);
    /// ```
    ///
    /// # Errors
    ///
    /// The first error of `recorded`.
    pub fn not_recorded<E>(
        debts: &[NewDebt],
        mut recorded: impl FnMut(&NewDebt) -> Result<usize, E>,
    ) -> Result<Vec<&NewDebt>, E> {
        // Of each debt: how many are recorded, how many the call has given.
        let mut counts: HashMap<&NewDebt, (usize, usize)> = HashMap::new();
        let mut to_add = Vec::new();
        for debt in debts {
            let (recorded, given) = match counts.entry(debt) {
                Entry::Occupied(counted) => counted.into_mut(),
                Entry::Vacant(new) => new.insert((recorded(debt)?, 0)),
            };
            *given += 1;
            if *given > *recorded {
                to_add.push(debt);
            }
        }
        Ok(to_add)
    }
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
