//! What processing an operation did.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The result of processing (or deleting) one operation, as a code a program
/// can match. The messages are Koha's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OutcomeCode {
    /// A new loan was made.
    Issued,
    /// The item was already on loan to the same patron: the loan was renewed.
    Renewed,
    /// The loan was closed.
    Returned,
    /// The payment was recorded and applied to the patron's debts.
    PaymentRecorded,
    /// No patron has that card number or username.
    PatronNotFound,
    /// No item has that barcode.
    ItemNotFound,
    /// A return of an item that is not on loan.
    NotIssued,
    /// The item's current loan started after this operation; nothing changed.
    Conflict,
    /// The operation cannot be applied as given (a payment of zero, a
    /// missing field ...).
    Invalid,
    /// Deleted from the queue by staff, not processed.
    Deleted,
}

impl OutcomeCode {
    /// Every code.
    pub const ALL: [OutcomeCode; 10] = [
        OutcomeCode::Issued,
        OutcomeCode::Renewed,
        OutcomeCode::Returned,
        OutcomeCode::PaymentRecorded,
        OutcomeCode::PatronNotFound,
        OutcomeCode::ItemNotFound,
        OutcomeCode::NotIssued,
        OutcomeCode::Conflict,
        OutcomeCode::Invalid,
        OutcomeCode::Deleted,
    ];

    /// The snake_case code: `issued`, `patron_not_found` ...
    pub const fn as_str(self) -> &'static str {
        match self {
            OutcomeCode::Issued => "issued",
            OutcomeCode::Renewed => "renewed",
            OutcomeCode::Returned => "returned",
            OutcomeCode::PaymentRecorded => "payment_recorded",
            OutcomeCode::PatronNotFound => "patron_not_found",
            OutcomeCode::ItemNotFound => "item_not_found",
            OutcomeCode::NotIssued => "not_issued",
            OutcomeCode::Conflict => "conflict",
            OutcomeCode::Invalid => "invalid",
            OutcomeCode::Deleted => "deleted",
        }
    }

    /// The code for its text.
    pub fn parse(code: &str) -> Option<OutcomeCode> {
        OutcomeCode::ALL.into_iter().find(|c| c.as_str() == code)
    }

    /// Whether the operation changed the circulation data.
    pub const fn is_applied(self) -> bool {
        matches!(
            self,
            OutcomeCode::Issued
                | OutcomeCode::Renewed
                | OutcomeCode::Returned
                | OutcomeCode::PaymentRecorded
        )
    }

    /// Whether the operation may be put back in the queue: anything that did
    /// not change the circulation data.
    pub const fn is_requeueable(self) -> bool {
        !self.is_applied()
    }

    /// Whether processing failed (not applied, not deleted).
    pub const fn is_failure(self) -> bool {
        !self.is_applied() && !matches!(self, OutcomeCode::Deleted)
    }

    /// Koha's message for the code, where Koha has a fixed one.
    pub const fn koha_message(self) -> &'static str {
        match self {
            OutcomeCode::Issued
            | OutcomeCode::Renewed
            | OutcomeCode::Returned
            | OutcomeCode::PaymentRecorded => "Success.",
            OutcomeCode::PatronNotFound => "Borrower not found.",
            OutcomeCode::ItemNotFound => "Item not found.",
            OutcomeCode::NotIssued => "Item not issued.",
            OutcomeCode::Deleted => "Deleted.",
            OutcomeCode::Conflict => "A later action on this item happened.",
            OutcomeCode::Invalid => "Invalid operation.",
        }
    }
}

impl fmt::Display for OutcomeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something staff should know about an operation that was applied anyway
/// (Evergreen's exceptions list).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WarningCode {
    /// The item was on loan to another patron; that loan was closed first.
    ReturnedFromOtherPatron,
    /// The patron's membership had expired.
    PatronExpired,
    /// The patron was restricted.
    PatronRestricted,
    /// The item was marked lost; it is now marked available.
    ItemLost,
    /// The item is withdrawn.
    ItemWithdrawn,
    /// The item is not for loan.
    ItemNotForLoan,
    /// The item is damaged.
    ItemDamaged,
    /// The item came back after its due date.
    ReturnedOverdue,
    /// This patron's hold on the item was filled by the loan.
    HoldFilled,
    /// Another patron has a hold on the item; it was left in place.
    HoldForOtherPatron,
    /// The returned item has a hold waiting: route it to the hold shelf.
    HoldWaiting,
    /// An earlier operation on the same item is still pending, not processed
    /// with this one.
    EarlierPendingForItem,
    /// The payment was more than the patron owed; the rest is kept as credit.
    CreditLeft,
}

impl WarningCode {
    /// The snake_case code: `returned_from_other_patron` ...
    pub const fn as_str(self) -> &'static str {
        match self {
            WarningCode::ReturnedFromOtherPatron => "returned_from_other_patron",
            WarningCode::PatronExpired => "patron_expired",
            WarningCode::PatronRestricted => "patron_restricted",
            WarningCode::ItemLost => "item_lost",
            WarningCode::ItemWithdrawn => "item_withdrawn",
            WarningCode::ItemNotForLoan => "item_not_for_loan",
            WarningCode::ItemDamaged => "item_damaged",
            WarningCode::ReturnedOverdue => "returned_overdue",
            WarningCode::HoldFilled => "hold_filled",
            WarningCode::HoldForOtherPatron => "hold_for_other_patron",
            WarningCode::HoldWaiting => "hold_waiting",
            WarningCode::EarlierPendingForItem => "earlier_pending_for_item",
            WarningCode::CreditLeft => "credit_left",
        }
    }

    /// Every code.
    pub const ALL: [WarningCode; 13] = [
        WarningCode::ReturnedFromOtherPatron,
        WarningCode::PatronExpired,
        WarningCode::PatronRestricted,
        WarningCode::ItemLost,
        WarningCode::ItemWithdrawn,
        WarningCode::ItemNotForLoan,
        WarningCode::ItemDamaged,
        WarningCode::ReturnedOverdue,
        WarningCode::HoldFilled,
        WarningCode::HoldForOtherPatron,
        WarningCode::HoldWaiting,
        WarningCode::EarlierPendingForItem,
        WarningCode::CreditLeft,
    ];

    /// The code for its text.
    pub fn parse(code: &str) -> Option<WarningCode> {
        WarningCode::ALL.into_iter().find(|c| c.as_str() == code)
    }
}

impl fmt::Display for WarningCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A warning: its code and a sentence for staff.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Warning {
    /// What kind.
    pub code: WarningCode,
    /// A sentence naming the patron, item, loan or date concerned.
    pub message: String,
}

impl Warning {
    /// A warning with this code and message.
    pub fn new(code: WarningCode, message: impl Into<String>) -> Warning {
        Warning {
            code,
            message: message.into(),
        }
    }
}

/// What processing (or deleting) one operation did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The code.
    pub code: OutcomeCode,
    /// Koha's message, or a sentence where Koha has none.
    pub message: String,
    /// Things staff should know, in the order they were found.
    pub warnings: Vec<Warning>,
}

impl Outcome {
    /// An outcome with Koha's message for `code` and no warnings.
    pub fn new(code: OutcomeCode) -> Outcome {
        Outcome {
            code,
            message: code.koha_message().to_owned(),
            warnings: Vec::new(),
        }
    }

    /// An outcome with its own message.
    pub fn with_message(code: OutcomeCode, message: impl Into<String>) -> Outcome {
        Outcome {
            code,
            message: message.into(),
            warnings: Vec::new(),
        }
    }

    /// Whether it carries a warning with this code.
    pub fn has_warning(&self, code: WarningCode) -> bool {
        self.warnings.iter().any(|w| w.code == code)
    }

    /// The warning codes, in order.
    pub fn warning_codes(&self) -> Vec<WarningCode> {
        self.warnings.iter().map(|w| w.code).collect()
    }
}
