//! The store conformance suite: every behaviour of the store contract as a
//! scenario, so that every store — the in-memory one, SQLite, PostgreSQL,
//! or yours — is proven to behave the same.
//!
//! Each scenario is a public async function taking a fresh, empty store and
//! returning `Ok(())` or panicking with what differs. [`conformance_tests!`](crate::conformance_tests)
//! stamps out one `#[tokio::test]` per scenario for a setup function; each
//! test runs its scenario on the store directly and again through
//! `Arc<dyn Store>`.
//!
//! A store of your own proves itself like this (in its tests, with `tokio`
//! among the dev-dependencies and `koc-core`'s `conformance` feature on):
//!
//! ```
//! // tests/conformance.rs
//! async fn fresh_store() -> koc_core::MemoryStore {
//!     koc_core::MemoryStore::new()
//! }
//!
//! koc_core::conformance_tests!(fresh_store);
//! # fn main() {}
//! ```
//!
//! Scenarios build on the sample library of [`fixtures`].

pub mod between;
mod circulation;
mod control;
pub mod fixtures;
mod processing;
mod queue;

pub use circulation::*;
pub use control::*;
pub use processing::*;
pub use queue::*;

/// Expands `__koc_conformance_each!(mode (args) scenario, ...)` with the
/// name of every scenario.
#[doc(hidden)]
#[macro_export]
macro_rules! __koc_conformance_scenarios {
    ($mode:ident ($($args:tt)*)) => {
        $crate::__koc_conformance_each! {
            $mode ($($args)*)
            issue_makes_a_loan,
            issue_finds_the_patron_by_username,
            issue_to_the_same_patron_renews,
            return_closes_the_loan,
            payment_pays_oldest_debt_first,
            partial_payment_leaves_the_rest,
            unknown_patron_item_and_loan,
            invalid_operations_are_reported,
            issue_returns_from_another_patron,
            issue_conflicts_with_a_newer_loan,
            return_conflicts_with_a_newer_loan,
            koha_compatible_closes_newer_loans,
            due_dates_follow_the_rules,
            explicit_due_date_is_honoured,
            patron_warnings,
            item_warnings,
            return_of_a_lost_item_marks_it_found,
            hold_of_the_patron_is_filled,
            hold_of_another_patron_is_left_alone,
            returned_item_with_a_hold_goes_to_the_hold_shelf,
            added_operation_reads_back_whole,
            duplicates_are_not_queued,
            owned_batch_is_enqueued_as_a_lent_one,
            known_operations_among_new_ones,
            uploads_interleave_in_time_order,
            upload_spans_several_batches,
            pending_filters,
            deleted_operation_leaves_the_queue,
            requeue_puts_failures_back,
            history_records_who_and_when,
            selected_operations_only,
            earlier_pending_operation_is_flagged,
            dry_run_changes_nothing,
            batches_see_earlier_batches,
            library_filter,
            failed_batch_changes_nothing,
            concurrent_runs_process_each_operation_once,
            upserts_replace_by_key,
            constraints_are_enforced,
            debts_load_once,
            patron_search_ignores_case_and_accents,
            lookups,
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __koc_conformance_each {
    (tests ($setup:expr) $($name:ident,)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store = ($setup)().await;
                if let Err(e) = $crate::conformance::$name(&store).await {
                    panic!("{} on the store itself: {e}", stringify!($name));
                }
                let shared: ::std::sync::Arc<dyn $crate::Store> =
                    ::std::sync::Arc::new(($setup)().await);
                if let Err(e) = $crate::conformance::$name(&*shared).await {
                    panic!("{} through Arc<dyn Store>: {e}", stringify!($name));
                }
            }
        )*
    };
    (optional_tests ($setup:expr) $($name:ident,)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(store) = ($setup)().await else {
                    return;
                };
                if let Err(e) = $crate::conformance::$name(&store).await {
                    panic!("{} on the store itself: {e}", stringify!($name));
                }
                let Some(again) = ($setup)().await else {
                    return;
                };
                let shared: ::std::sync::Arc<dyn $crate::Store> = ::std::sync::Arc::new(again);
                if let Err(e) = $crate::conformance::$name(&*shared).await {
                    panic!("{} through Arc<dyn Store>: {e}", stringify!($name));
                }
            }
        )*
    };
    (names () $($name:ident,)*) => {
        vec![$(stringify!($name)),*]
    };
}

/// Stamps out one `#[tokio::test]` per conformance scenario, each running on
/// a fresh store from `$setup` (an async function or closure returning the
/// store), directly and through `Arc<dyn Store>`.
///
/// A store that needs a server it may not have writes
/// `conformance_tests!(optional setup)`, where `setup` returns
/// `Option<store>`: `None` (after saying loudly why) makes every test return
/// without running its scenario.
#[macro_export]
macro_rules! conformance_tests {
    (optional $setup:expr) => {
        $crate::__koc_conformance_scenarios! { optional_tests ($setup) }
    };
    ($setup:expr) => {
        $crate::__koc_conformance_scenarios! { tests ($setup) }
    };
}

/// The names of every scenario, for reports and for checking that a suite
/// runs them all.
pub fn scenario_names() -> Vec<&'static str> {
    __koc_conformance_scenarios!(names())
}
