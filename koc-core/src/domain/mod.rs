//! The circulation data offline operations act on: patrons, items, loans,
//! accounts, holds and loan rules.

mod account;
mod hold;
mod item;
mod loan;
mod patron;
mod rule;
mod search;

pub use account::{AccountLine, AccountLineId, AccountLineKind, NewDebt, RecordedPayment};
pub use hold::{Hold, HoldId, NewHold};
pub use item::{Item, ItemStatus, UnknownItemStatus};
pub use loan::{ClosedLoan, Loan};
pub use patron::Patron;
pub use rule::{DEFAULT_LOAN_DAYS, LoanRule, RuleTable, due_at_end_of_day};
pub use search::{fold_for_search, search_tokens};
