use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use crate::{AccountLineId, ClosedLoan, HoldId, Item, Loan, Money, RecordedPayment};

/// The net changes a batch makes to the circulation data, ready for
/// set-based writes. Every map holds the **final** state of what the batch
/// touched, so a store may apply the parts in any order:
///
/// - `loans`: for each barcode touched, its open loan after the batch
///   (`None`: no open loan). Delete the open loans of these barcodes, then
///   insert the `Some` ones.
/// - `closed_loans`: loans that ended, to append to the loan history.
/// - `items`: the touched items as they are after the batch (status, last
///   seen, holding library).
/// - `payments`: credit lines to add, with what each pays of which debt.
/// - `debts`: the outstanding amount of each debit touched, after the batch.
/// - `filled_holds`: holds filled by loans, and when.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effects {
    /// Open loan after the batch, per touched barcode.
    pub loans: BTreeMap<String, Option<Loan>>,
    /// Loans that ended.
    pub closed_loans: Vec<ClosedLoan>,
    /// Final state of touched items.
    pub items: BTreeMap<String, Item>,
    /// Payments to record.
    pub payments: Vec<RecordedPayment>,
    /// Final outstanding amount of touched debits.
    pub debts: BTreeMap<AccountLineId, Money>,
    /// Holds filled, with when.
    pub filled_holds: BTreeMap<HoldId, NaiveDateTime>,
}

impl Effects {
    /// Whether the batch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.loans.is_empty()
            && self.closed_loans.is_empty()
            && self.items.is_empty()
            && self.payments.is_empty()
            && self.debts.is_empty()
            && self.filled_holds.is_empty()
    }
}
