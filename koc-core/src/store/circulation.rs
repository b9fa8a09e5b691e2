use async_trait::async_trait;

use crate::{
    AccountLine, ClosedLoan, Hold, Item, Loan, LoanRule, NewDebt, NewHold, Patron, Result,
};

/// Which loans to list. The default lists all, by barcode.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoanFilter {
    /// Only loans of this patron (card number).
    pub cardnumber: Option<String>,
    /// Only loans of this item.
    pub barcode: Option<String>,
    /// At most this many.
    pub limit: Option<usize>,
}

impl LoanFilter {
    /// All loans.
    pub fn all() -> LoanFilter {
        LoanFilter::default()
    }

    /// Only those of the patron with this card number.
    pub fn patron(cardnumber: impl Into<String>) -> LoanFilter {
        LoanFilter {
            cardnumber: Some(cardnumber.into()),
            ..LoanFilter::default()
        }
    }

    /// Only those of the item with this barcode.
    pub fn item(barcode: impl Into<String>) -> LoanFilter {
        LoanFilter {
            barcode: Some(barcode.into()),
            ..LoanFilter::default()
        }
    }

    /// At most `limit`.
    pub fn limit(mut self, limit: usize) -> LoanFilter {
        self.limit = Some(limit);
        self
    }

    /// Whether `loan` passes the filter (the limit aside).
    pub fn matches(&self, loan: &Loan) -> bool {
        self.cardnumber
            .as_ref()
            .is_none_or(|c| *c == loan.cardnumber)
            && self.barcode.as_ref().is_none_or(|b| *b == loan.barcode)
    }
}

/// Which holds to list. The default lists unfilled holds, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HoldFilter {
    /// Only holds on this item.
    pub barcode: Option<String>,
    /// Only holds of this patron.
    pub cardnumber: Option<String>,
    /// Filled holds too.
    pub include_filled: bool,
}

impl HoldFilter {
    /// Unfilled holds.
    pub fn unfilled() -> HoldFilter {
        HoldFilter::default()
    }

    /// Unfilled holds on this item.
    pub fn item(barcode: impl Into<String>) -> HoldFilter {
        HoldFilter {
            barcode: Some(barcode.into()),
            ..HoldFilter::default()
        }
    }

    /// Unfilled holds of the patron with this card number.
    pub fn patron(cardnumber: impl Into<String>) -> HoldFilter {
        HoldFilter {
            cardnumber: Some(cardnumber.into()),
            ..HoldFilter::default()
        }
    }

    /// Filled holds too.
    pub fn include_filled(mut self) -> HoldFilter {
        self.include_filled = true;
        self
    }

    /// Whether `hold` passes the filter.
    pub fn matches(&self, hold: &Hold) -> bool {
        self.barcode.as_ref().is_none_or(|b| *b == hold.barcode)
            && self
                .cardnumber
                .as_ref()
                .is_none_or(|c| *c == hold.cardnumber)
            && (self.include_filled || hold.filled_at.is_none())
    }
}

/// The library's circulation data: loaded from its system, looked up at the
/// desk and in review, changed by processing.
///
/// Every write is atomic per call. Card numbers, usernames and barcodes are
/// unique; a loan or hold must name an existing patron and item, a debt an
/// existing patron ([`ConstraintKind::ForeignKey`](crate::ConstraintKind)
/// otherwise).
#[async_trait]
pub trait Circulation: Send + Sync {
    /// Adds patrons, or replaces those with the same card number.
    ///
    /// # Errors
    ///
    /// [`ConstraintKind::Unique`](crate::ConstraintKind) when a username
    /// belongs to another patron; a database error.
    async fn upsert_patrons(&self, patrons: &[Patron]) -> Result<()>;

    /// Adds items, or replaces those with the same barcode.
    ///
    /// # Errors
    ///
    /// A database error.
    async fn upsert_items(&self, items: &[Item]) -> Result<()>;

    /// Adds open loans, or replaces the open loan of the same item.
    ///
    /// # Errors
    ///
    /// [`ConstraintKind::ForeignKey`](crate::ConstraintKind) for an unknown
    /// patron or item; a database error.
    async fn upsert_loans(&self, loans: &[Loan]) -> Result<()>;

    /// Adds debts (fines, fees) with their whole amount outstanding, and
    /// returns how many were added. Equal debts (same patron, amount,
    /// description and time) are counted, not merged: of each, a call adds
    /// as many as it gives beyond those already recorded (paid or not). So
    /// loading a file twice changes nothing, and a patron fined twice alike
    /// at the same time owes both. A debt without a time is dated now, and
    /// is equal to any debt of the same patron, amount and description.
    ///
    /// # Errors
    ///
    /// [`ConstraintKind::ForeignKey`](crate::ConstraintKind) for an unknown
    /// patron; [`Error::Invalid`](crate::Error::Invalid) for an amount that
    /// is not positive; a database error.
    async fn upsert_debts(&self, debts: &[NewDebt]) -> Result<usize>;

    /// Adds holds, or updates the time of the unfilled hold of the same
    /// patron on the same item.
    ///
    /// # Errors
    ///
    /// [`ConstraintKind::ForeignKey`](crate::ConstraintKind) for an unknown
    /// patron or item; a database error.
    async fn upsert_holds(&self, holds: &[NewHold]) -> Result<()>;

    /// Adds loan rules, or replaces the rule with the same category and item
    /// type.
    ///
    /// # Errors
    ///
    /// A database error.
    async fn upsert_rules(&self, rules: &[LoanRule]) -> Result<()>;

    /// The patrons with these card numbers (those that exist, any order).
    ///
    /// # Errors
    ///
    /// A database error.
    async fn patrons(&self, cardnumbers: &[String]) -> Result<Vec<Patron>>;

    /// The patron with this username.
    ///
    /// # Errors
    ///
    /// A database error.
    async fn patron_by_userid(&self, userid: &str) -> Result<Option<Patron>>;

    /// Patrons whose names match `text`, as a desk search: every word of
    /// `text` must begin a word of the surname or first names, ignoring case
    /// and accents (see [`search_tokens`](crate::search_tokens)). Sorted by
    /// surname, first name, card number; at most `limit`.
    ///
    /// # Errors
    ///
    /// A database error.
    async fn search_patrons(&self, text: &str, limit: usize) -> Result<Vec<Patron>>;

    /// The items with these barcodes (those that exist, any order).
    ///
    /// # Errors
    ///
    /// A database error.
    async fn items(&self, barcodes: &[String]) -> Result<Vec<Item>>;

    /// Open loans passing `filter`, by barcode.
    ///
    /// # Errors
    ///
    /// A database error.
    async fn loans(&self, filter: &LoanFilter) -> Result<Vec<Loan>>;

    /// Ended loans passing `filter`, in the order they ended.
    ///
    /// # Errors
    ///
    /// A database error.
    async fn closed_loans(&self, filter: &LoanFilter) -> Result<Vec<ClosedLoan>>;

    /// Every account line of the patron, debits and credits, by id.
    ///
    /// # Errors
    ///
    /// A database error.
    async fn account_lines(&self, cardnumber: &str) -> Result<Vec<AccountLine>>;

    /// Holds passing `filter`, oldest first.
    ///
    /// # Errors
    ///
    /// A database error.
    async fn holds(&self, filter: &HoldFilter) -> Result<Vec<Hold>>;

    /// The loan rules.
    ///
    /// # Errors
    ///
    /// A database error.
    async fn rules(&self) -> Result<Vec<LoanRule>>;
}
