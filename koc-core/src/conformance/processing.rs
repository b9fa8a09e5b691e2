//! Scenarios: what processing each kind of operation does.

use super::fixtures::*;
use crate::{
    ConflictRule, DueDate, HoldFilter, ItemStatus, Loan, LoanFilter, OutcomeCode, ProcessRun,
    Result, Store, StoreExt, WarningCode,
};

/// An issue makes a loan due by the rules, and marks the item seen.
pub async fn issue_makes_a_loan<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let before = store.item(LEFT_HAND).await?;
    assert!(
        before
            .as_ref()
            .is_some_and(|i| i.title.is_some() && i.itemtype.is_some())
    );
    let results =
        enqueue_and_process(store, &[issue("2026-07-22 10:15:30.250", JANE, LEFT_HAND)]).await?;
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].outcome.code, OutcomeCode::Issued);
    assert_eq!(results[0].outcome.message, "Success.");
    assert!(
        results[0].outcome.warnings.is_empty(),
        "{:?}",
        results[0].outcome
    );
    let loans = store.loans(&LoanFilter::item(LEFT_HAND)).await?;
    assert_eq!(
        loans,
        vec![Loan {
            barcode: LEFT_HAND.to_owned(),
            cardnumber: JANE.to_owned(),
            issued_at: at("2026-07-22 10:15:30.250"),
            due_at: at("2026-08-05 23:59:00"),
            renewals: 0,
            last_renewed_at: None,
            branch: Some(BRANCH.to_owned()),
        }]
    );
    // Processing changes when the item was last seen and where it is, and
    // nothing else of it (a store may decide without its catalogue text).
    let item = store.item(LEFT_HAND).await?;
    assert_eq!(
        item,
        before.map(|before| crate::Item {
            last_seen: Some(at("2026-07-22 10:15:30.250")),
            holdingbranch: Some(BRANCH.to_owned()),
            ..before
        })
    );
    assert_eq!(store.count_pending(&Default::default()).await?, 0);
    Ok(())
}

/// Koha finds the patron by username when no card number matches.
pub async fn issue_finds_the_patron_by_username<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let results =
        enqueue_and_process(store, &[issue("2026-07-22 10:00:00", "jdoe", LEFT_HAND)]).await?;
    assert_eq!(results[0].outcome.code, OutcomeCode::Issued);
    let loans = store.loans(&LoanFilter::item(LEFT_HAND)).await?;
    assert_eq!(loans.len(), 1);
    assert_eq!(loans[0].cardnumber, JANE);
    Ok(())
}

/// An issue of an item already on loan to the same patron renews the loan.
pub async fn issue_to_the_same_patron_renews<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let results = enqueue_and_process(
        store,
        &[
            issue("2026-07-22 10:00:00", JANE, LEFT_HAND),
            issue("2026-07-25 11:00:00", JANE, LEFT_HAND),
        ],
    )
    .await?;
    assert_eq!(results[0].outcome.code, OutcomeCode::Issued);
    assert_eq!(results[1].outcome.code, OutcomeCode::Renewed);
    assert_eq!(results[1].outcome.message, "Success.");
    let loan = store.loans(&LoanFilter::item(LEFT_HAND)).await?;
    assert_eq!(loan.len(), 1);
    assert_eq!(loan[0].issued_at, at("2026-07-22 10:00:00"));
    assert_eq!(loan[0].renewals, 1);
    assert_eq!(loan[0].last_renewed_at, Some(at("2026-07-25 11:00:00")));
    // Renewal period of the (any, any) rule: 10 days from the renewal.
    assert_eq!(loan[0].due_at, at("2026-08-04 23:59:00"));
    assert!(
        store
            .closed_loans(&LoanFilter::item(LEFT_HAND))
            .await?
            .is_empty()
    );
    Ok(())
}

/// A return closes the loan, dated at the operation, and says how late it is.
pub async fn return_closes_the_loan<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let results = enqueue_and_process(store, &[checkin("2026-07-22 10:16:02", HAWKING)]).await?;
    assert_eq!(results[0].outcome.code, OutcomeCode::Returned);
    assert_eq!(results[0].outcome.message, "Success.");
    assert_eq!(
        results[0].outcome.warning_codes(),
        vec![WarningCode::ReturnedOverdue]
    );
    assert!(
        results[0].outcome.warnings[0].message.contains("7 days"),
        "{:?}",
        results[0].outcome.warnings
    );
    assert!(store.loans(&LoanFilter::item(HAWKING)).await?.is_empty());
    let closed = store.closed_loans(&LoanFilter::item(HAWKING)).await?;
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].loan.cardnumber, MARIA);
    assert_eq!(closed[0].loan.issued_at, at("2026-07-01 14:03:00"));
    assert_eq!(closed[0].returned_at, at("2026-07-22 10:16:02"));
    let item = store.item(HAWKING).await?;
    assert_eq!(
        item.and_then(|i| i.last_seen),
        Some(at("2026-07-22 10:16:02"))
    );
    Ok(())
}

/// A payment pays the oldest debt first; what is left over stays as credit.
pub async fn payment_pays_oldest_debt_first<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let results = enqueue_and_process(
        store,
        &[
            payment("2026-07-22 10:17:45", JANE, "5.00"),
            payment("2026-07-22 10:20:00", JANE, "1.00"),
        ],
    )
    .await?;
    assert_eq!(results[0].outcome.code, OutcomeCode::PaymentRecorded);
    assert_eq!(results[0].outcome.message, "Success.");
    assert!(results[0].outcome.warnings.is_empty());
    assert_eq!(results[1].outcome.code, OutcomeCode::PaymentRecorded);
    assert_eq!(
        results[1].outcome.warning_codes(),
        vec![WarningCode::CreditLeft]
    );

    let lines = store.account_lines(JANE).await?;
    let debt = |description: &str| {
        lines
            .iter()
            .find(|l| l.description.as_deref() == Some(description))
            .map(|l| l.outstanding)
    };
    assert_eq!(debt("Overdue: Middlemarch"), Some(money("0")));
    assert_eq!(debt("Lost card replacement"), Some(money("0")));
    let credits: Vec<_> = lines
        .iter()
        .filter(|l| l.kind == crate::AccountLineKind::Credit)
        .map(|l| (l.amount, l.outstanding, l.created_at))
        .collect();
    assert_eq!(
        credits,
        vec![
            (money("5.00"), money("0"), at("2026-07-22 10:17:45")),
            (money("1.00"), money("0.50"), at("2026-07-22 10:20:00")),
        ]
    );
    assert_eq!(store.balance(JANE).await?, money("-0.50"));
    assert_eq!(store.balance(KAI).await?, money("40.00"));
    Ok(())
}

/// A partial payment leaves the rest of the oldest debt outstanding.
pub async fn partial_payment_leaves_the_rest<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let results =
        enqueue_and_process(store, &[payment("2026-07-22 10:17:45", JANE, "4.00")]).await?;
    assert_eq!(results[0].outcome.code, OutcomeCode::PaymentRecorded);
    let lines = store.account_lines(JANE).await?;
    let outstanding: Vec<_> = lines
        .iter()
        .filter(|l| l.kind == crate::AccountLineKind::Debit)
        .map(|l| (l.description.clone().unwrap_or_default(), l.outstanding))
        .collect();
    assert!(outstanding.contains(&("Overdue: Middlemarch".to_owned(), money("0"))));
    assert!(outstanding.contains(&("Lost card replacement".to_owned(), money("1.50"))));
    assert_eq!(store.balance(JANE).await?, money("1.50"));
    Ok(())
}

/// Unknown patrons and items, and returns of items not on loan, fail with
/// Koha's messages and change nothing.
pub async fn unknown_patron_item_and_loan<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let results = enqueue_and_process(
        store,
        &[
            issue("2026-07-22 10:00:00", "99999999999999", LEFT_HAND),
            issue("2026-07-22 10:01:00", JANE, "39999999999999"),
            checkin("2026-07-22 10:02:00", "39999999999999"),
            checkin("2026-07-22 10:03:00", LEFT_HAND),
            payment("2026-07-22 10:04:00", "99999999999999", "5.00"),
        ],
    )
    .await?;
    let got: Vec<_> = results
        .iter()
        .map(|r| (r.outcome.code, r.outcome.message.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (OutcomeCode::PatronNotFound, "Borrower not found."),
            (OutcomeCode::ItemNotFound, "Item not found."),
            (OutcomeCode::ItemNotFound, "Item not found."),
            (OutcomeCode::NotIssued, "Item not issued."),
            (OutcomeCode::PatronNotFound, "Borrower not found."),
        ]
    );
    assert_eq!(
        store.loans(&LoanFilter::all()).await?.len(),
        1,
        "only María's loan"
    );
    assert!(store.closed_loans(&LoanFilter::all()).await?.is_empty());
    assert_eq!(
        store.history(&crate::HistoryFilter::failed()).await?.len(),
        5
    );
    Ok(())
}

/// Operations that cannot be applied as given are `invalid`, not lost.
pub async fn invalid_operations_are_reported<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let mut zero = payment("2026-07-22 10:00:00", JANE, "1.00");
    zero.amount = Some(money("0"));
    let mut negative = payment("2026-07-22 10:01:00", JANE, "1.00");
    negative.amount = Some(money("-5.00"));
    let mut no_amount = payment("2026-07-22 10:02:00", JANE, "1.00");
    no_amount.amount = None;
    let mut no_barcode = issue("2026-07-22 10:03:00", JANE, LEFT_HAND);
    no_barcode.barcode = None;
    let mut blank_barcode = checkin("2026-07-22 10:04:00", LEFT_HAND);
    blank_barcode.barcode = Some("  ".to_owned());
    let results = enqueue_and_process(
        store,
        &[zero, negative, no_amount, no_barcode, blank_barcode],
    )
    .await?;
    for result in &results {
        assert_eq!(result.outcome.code, OutcomeCode::Invalid, "{result:?}");
        assert!(!result.outcome.message.is_empty());
    }
    assert_eq!(store.balance(JANE).await?, money("5.50"));
    assert_eq!(
        store.history(&crate::HistoryFilter::failed()).await?.len(),
        5
    );
    Ok(())
}

/// An issue of an item on loan to another patron closes that loan first,
/// under both conflict rules when that loan is older.
pub async fn issue_returns_from_another_patron<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    enqueue(store, &[issue("2026-07-22 11:02:13", JANE, HAWKING)]).await?;
    let results = run(
        store,
        &ProcessRun::all(STAFF).conflicts(ConflictRule::NewerActivityWins),
    )
    .await?;
    assert_eq!(results[0].outcome.code, OutcomeCode::Issued);
    assert_eq!(
        results[0].outcome.warning_codes(),
        vec![WarningCode::ReturnedFromOtherPatron]
    );
    let closed = store.closed_loans(&LoanFilter::item(HAWKING)).await?;
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].loan.cardnumber, MARIA);
    assert_eq!(closed[0].returned_at, at("2026-07-22 11:02:13"));
    let loans = store.loans(&LoanFilter::item(HAWKING)).await?;
    assert_eq!(loans.len(), 1);
    assert_eq!(loans[0].cardnumber, JANE);

    // The same under koha-compatible.
    enqueue(store, &[issue("2026-07-23 09:00:00", JOHN, HAWKING)]).await?;
    let results = run(
        store,
        &ProcessRun::all(STAFF).conflicts(ConflictRule::KohaCompatible),
    )
    .await?;
    assert_eq!(results[0].outcome.code, OutcomeCode::Issued);
    assert!(
        results[0]
            .outcome
            .has_warning(WarningCode::ReturnedFromOtherPatron)
    );
    assert_eq!(
        store.loans(&LoanFilter::item(HAWKING)).await?[0].cardnumber,
        JOHN
    );
    assert_eq!(
        store.closed_loans(&LoanFilter::item(HAWKING)).await?.len(),
        2
    );
    Ok(())
}

async fn lent_after_the_outage<S: Store + ?Sized>(store: &S, barcode: &str) -> Result<Loan> {
    let loan = Loan {
        barcode: barcode.to_owned(),
        cardnumber: JOHN.to_owned(),
        issued_at: at("2026-07-23 09:00:00"),
        due_at: at("2026-08-06 23:59:00"),
        renewals: 0,
        last_renewed_at: None,
        branch: Some(BRANCH.to_owned()),
    };
    store.upsert_loans(std::slice::from_ref(&loan)).await?;
    Ok(loan)
}

/// By default an offline issue never closes a loan made after it: it is a
/// `conflict` and nothing changes.
pub async fn issue_conflicts_with_a_newer_loan<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let newer = lent_after_the_outage(store, LEFT_HAND).await?;
    let results = enqueue_and_process(
        store,
        &[
            issue("2026-07-22 10:00:00", JANE, LEFT_HAND),
            issue("2026-07-22 10:05:00", JOHN, LEFT_HAND),
        ],
    )
    .await?;
    for result in &results {
        assert_eq!(result.outcome.code, OutcomeCode::Conflict, "{result:?}");
        assert!(
            result.outcome.message.contains(JOHN),
            "{}",
            result.outcome.message
        );
        assert!(
            result.outcome.message.contains("2026-07-23 09:00"),
            "{}",
            result.outcome.message
        );
    }
    assert_eq!(
        store.loans(&LoanFilter::item(LEFT_HAND)).await?,
        vec![newer]
    );
    assert!(
        store
            .closed_loans(&LoanFilter::item(LEFT_HAND))
            .await?
            .is_empty()
    );
    Ok(())
}

/// By default an offline return never closes a loan made after it.
pub async fn return_conflicts_with_a_newer_loan<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let newer = lent_after_the_outage(store, LEFT_HAND).await?;
    let results = enqueue_and_process(store, &[checkin("2026-07-22 10:00:00", LEFT_HAND)]).await?;
    assert_eq!(results[0].outcome.code, OutcomeCode::Conflict);
    assert_eq!(
        store.loans(&LoanFilter::item(LEFT_HAND)).await?,
        vec![newer]
    );
    Ok(())
}

/// `koha-compatible` does what Koha does: it closes the newer loan.
pub async fn koha_compatible_closes_newer_loans<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    lent_after_the_outage(store, LEFT_HAND).await?;
    lent_after_the_outage(store, MIDDLEMARCH).await?;
    enqueue(
        store,
        &[
            issue("2026-07-22 10:00:00", JANE, LEFT_HAND),
            checkin("2026-07-22 10:05:00", MIDDLEMARCH),
        ],
    )
    .await?;
    let results = run(
        store,
        &ProcessRun::all(STAFF).conflicts(ConflictRule::KohaCompatible),
    )
    .await?;
    assert_eq!(results[0].outcome.code, OutcomeCode::Issued);
    assert!(
        results[0]
            .outcome
            .has_warning(WarningCode::ReturnedFromOtherPatron)
    );
    assert_eq!(results[1].outcome.code, OutcomeCode::Returned);
    let loans = store.loans(&LoanFilter::patron(JOHN)).await?;
    assert!(loans.is_empty(), "{loans:?}");
    assert_eq!(
        store.loans(&LoanFilter::item(LEFT_HAND)).await?[0].cardnumber,
        JANE
    );
    let closed = store.closed_loans(&LoanFilter::patron(JOHN)).await?;
    assert_eq!(closed.len(), 2);
    Ok(())
}

/// Due dates: the exact (category, item type) rule, then (category, any),
/// then (any, item type), then (any, any); at 23:59 of the last day.
pub async fn due_dates_follow_the_rules<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    enqueue_and_process(
        store,
        &[
            issue("2026-07-22 10:00:00", JANE, LEFT_HAND),
            issue("2026-07-22 10:01:00", JANE, SAMURAI),
            issue("2026-07-22 10:02:00", MARIA, MIDDLEMARCH),
            checkin("2026-07-22 10:30:00", SAMURAI),
            issue("2026-07-22 11:00:00", MARIA, SAMURAI),
        ],
    )
    .await?;
    let due = |loans: Vec<Loan>| loans.first().map(|l| l.due_at);
    // PT + BK: (any, any) 14 days.
    assert_eq!(
        due(store.loans(&LoanFilter::item(LEFT_HAND)).await?),
        Some(at("2026-08-05 23:59:00"))
    );
    // ST + BK: (ST, any) 21 days.
    assert_eq!(
        due(store.loans(&LoanFilter::item(MIDDLEMARCH)).await?),
        Some(at("2026-08-12 23:59:00"))
    );
    // ST + DVD: the exact pair, 5 days.
    assert_eq!(
        due(store.loans(&LoanFilter::item(SAMURAI)).await?),
        Some(at("2026-07-27 23:59:00"))
    );
    // PT + DVD: (any, DVD) 7 days; the loan was closed, look in history.
    let closed = store.closed_loans(&LoanFilter::item(SAMURAI)).await?;
    assert_eq!(closed[0].loan.due_at, at("2026-07-29 23:59:00"));
    Ok(())
}

/// A due date chosen at the desk is honoured (Koha's test), as a day or a
/// day and time.
pub async fn explicit_due_date_is_honoured<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let mut by_day = issue("2026-07-22 10:00:00", JANE, LEFT_HAND);
    by_day.due = Some(DueDate::Date(day("2026-08-01")));
    let mut by_time = issue("2026-07-22 10:01:00", JANE, MIDDLEMARCH);
    by_time.due = Some(DueDate::DateTime(at("2026-08-02 12:00:00")));
    let mut renewal = issue("2026-07-23 10:00:00", JANE, LEFT_HAND);
    renewal.due = Some(DueDate::Date(day("2026-09-01")));
    let results = enqueue_and_process(store, &[by_day, by_time]).await?;
    assert!(
        results
            .iter()
            .all(|r| r.outcome.code == OutcomeCode::Issued)
    );
    let due = |loans: Vec<Loan>| loans.first().map(|l| l.due_at);
    assert_eq!(
        due(store.loans(&LoanFilter::item(LEFT_HAND)).await?),
        Some(at("2026-08-01 23:59:00"))
    );
    assert_eq!(
        due(store.loans(&LoanFilter::item(MIDDLEMARCH)).await?),
        Some(at("2026-08-02 12:00:00"))
    );
    let results = enqueue_and_process(store, &[renewal]).await?;
    assert_eq!(results[0].outcome.code, OutcomeCode::Renewed);
    assert_eq!(
        due(store.loans(&LoanFilter::item(LEFT_HAND)).await?),
        Some(at("2026-09-01 23:59:00"))
    );
    Ok(())
}

/// Expired and restricted patrons still get the loan (the book has left the
/// building), with a warning.
pub async fn patron_warnings<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let results = enqueue_and_process(
        store,
        &[
            issue("2026-07-22 10:00:00", MARIA, MIDDLEMARCH),
            issue("2026-07-22 10:01:00", KAI, LEFT_HAND),
        ],
    )
    .await?;
    assert_eq!(results[0].outcome.code, OutcomeCode::Issued);
    assert_eq!(
        results[0].outcome.warning_codes(),
        vec![WarningCode::PatronExpired]
    );
    assert_eq!(results[1].outcome.code, OutcomeCode::Issued);
    assert_eq!(
        results[1].outcome.warning_codes(),
        vec![WarningCode::PatronRestricted]
    );
    assert_eq!(store.loans(&LoanFilter::all()).await?.len(), 3);
    Ok(())
}

/// Lost, withdrawn, not-for-loan and damaged items are lent with a warning;
/// a lost item is marked found.
pub async fn item_warnings<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let results = enqueue_and_process(
        store,
        &[
            issue("2026-07-22 10:00:00", JANE, LOST_ATLAS),
            issue("2026-07-22 10:01:00", JANE, OLD_ENCYCLOPEDIA),
            issue("2026-07-22 10:02:00", JANE, DISPLAY_COPY),
            issue("2026-07-22 10:03:00", JANE, DAMAGED_COPY),
        ],
    )
    .await?;
    let got: Vec<_> = results
        .iter()
        .map(|r| (r.outcome.code, r.outcome.warning_codes()))
        .collect();
    assert_eq!(
        got,
        vec![
            (OutcomeCode::Issued, vec![WarningCode::ItemLost]),
            (OutcomeCode::Issued, vec![WarningCode::ItemWithdrawn]),
            (OutcomeCode::Issued, vec![WarningCode::ItemNotForLoan]),
            (OutcomeCode::Issued, vec![WarningCode::ItemDamaged]),
        ]
    );
    let status = |barcode: &'static str| async move {
        store.item(barcode).await.map(|i| i.map(|i| i.status))
    };
    assert_eq!(status(LOST_ATLAS).await?, Some(ItemStatus::Available));
    assert_eq!(status(OLD_ENCYCLOPEDIA).await?, Some(ItemStatus::Withdrawn));
    assert_eq!(status(DAMAGED_COPY).await?, Some(ItemStatus::Damaged));
    Ok(())
}

/// A lost item that comes back is marked found.
pub async fn return_of_a_lost_item_marks_it_found<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    store
        .upsert_loans(&[Loan {
            barcode: LOST_ATLAS.to_owned(),
            cardnumber: JOHN.to_owned(),
            issued_at: at("2026-05-01 10:00:00"),
            due_at: at("2026-05-15 23:59:00"),
            renewals: 0,
            last_renewed_at: None,
            branch: None,
        }])
        .await?;
    let results = enqueue_and_process(store, &[checkin("2026-07-22 10:00:00", LOST_ATLAS)]).await?;
    assert_eq!(results[0].outcome.code, OutcomeCode::Returned);
    assert!(results[0].outcome.has_warning(WarningCode::ItemLost));
    assert!(results[0].outcome.has_warning(WarningCode::ReturnedOverdue));
    let item = store.item(LOST_ATLAS).await?;
    assert_eq!(item.map(|i| i.status), Some(ItemStatus::Available));
    Ok(())
}

/// A loan to the patron who placed a hold on the item fills the hold.
pub async fn hold_of_the_patron_is_filled<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let results =
        enqueue_and_process(store, &[issue("2026-07-22 10:00:00", JOHN, SAMURAI)]).await?;
    assert_eq!(results[0].outcome.code, OutcomeCode::Issued);
    assert_eq!(
        results[0].outcome.warning_codes(),
        vec![WarningCode::HoldFilled]
    );
    assert!(store.holds(&HoldFilter::item(SAMURAI)).await?.is_empty());
    let all = store
        .holds(&HoldFilter::item(SAMURAI).include_filled())
        .await?;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].filled_at, Some(at("2026-07-22 10:00:00")));
    Ok(())
}

/// A loan to someone else leaves other patrons' holds alone (Koha's test),
/// and says so.
pub async fn hold_of_another_patron_is_left_alone<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let results =
        enqueue_and_process(store, &[issue("2026-07-22 10:00:00", JANE, SAMURAI)]).await?;
    assert_eq!(results[0].outcome.code, OutcomeCode::Issued);
    assert_eq!(
        results[0].outcome.warning_codes(),
        vec![WarningCode::HoldForOtherPatron]
    );
    let holds = store.holds(&HoldFilter::item(SAMURAI)).await?;
    assert_eq!(holds.len(), 1);
    assert_eq!(holds[0].cardnumber, JOHN);
    assert_eq!(store.holds(&HoldFilter::patron(JOHN)).await?, holds);
    assert!(store.holds(&HoldFilter::patron(JANE)).await?.is_empty());
    assert_eq!(holds[0].filled_at, None);
    Ok(())
}

/// A returned item with a hold waiting goes to the hold shelf.
pub async fn returned_item_with_a_hold_goes_to_the_hold_shelf<S: Store + ?Sized>(
    store: &S,
) -> Result<()> {
    library(store).await?;
    let results = enqueue_and_process(
        store,
        &[
            issue("2026-07-22 10:00:00", JANE, SAMURAI),
            checkin("2026-07-22 11:00:00", SAMURAI),
        ],
    )
    .await?;
    assert_eq!(results[1].outcome.code, OutcomeCode::Returned);
    assert_eq!(
        results[1].outcome.warning_codes(),
        vec![WarningCode::HoldWaiting]
    );
    assert!(results[1].outcome.warnings[0].message.contains(JOHN));
    Ok(())
}
