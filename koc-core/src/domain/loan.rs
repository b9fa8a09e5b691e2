use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// An item on loan to a patron: at most one open loan per item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loan {
    /// The item lent.
    pub barcode: String,
    /// The patron it is lent to.
    pub cardnumber: String,
    /// When it was lent.
    pub issued_at: NaiveDateTime,
    /// When it is due back.
    pub due_at: NaiveDateTime,
    /// How many times it was renewed.
    pub renewals: u32,
    /// When it was last renewed.
    pub last_renewed_at: Option<NaiveDateTime>,
    /// The library that lent it.
    pub branch: Option<String>,
}

/// A loan that has ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedLoan {
    /// The loan as it was when it ended.
    #[serde(flatten)]
    pub loan: Loan,
    /// When the item came back (or was lent to someone else).
    pub returned_at: NaiveDateTime,
}
