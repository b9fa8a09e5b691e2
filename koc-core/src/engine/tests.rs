//! The engine's rules, one by one, without any store.

use chrono::{NaiveDate, NaiveDateTime};
use koc_format::{Action, DueDate};

use super::*;
use crate::{
    AccountLine, AccountLineId, AccountLineKind, Hold, HoldId, Item, ItemStatus, Loan, LoanRule,
    Money, Operation, OperationId, OutcomeCode, Patron, PendingOperation, RuleTable, Source,
    UploadId, WarningCode,
};

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn money(text: &str) -> Money {
    Money::parse(text).unwrap()
}

fn op(id: i64, action: Action, time: &str) -> PendingOperation {
    let operation = Operation {
        action,
        time: at(time),
        cardnumber: None,
        barcode: None,
        amount: None,
        due: None,
        userid: "staff".into(),
        branch: "CPL".into(),
        workstation: None,
        source: Source::Request { detail: None },
    };
    PendingOperation {
        id: OperationId(id),
        upload: UploadId(1),
        enqueued_at: at(time),
        fingerprint: operation.fingerprint(),
        operation,
    }
}

fn issue(id: i64, time: &str, card: &str, barcode: &str) -> PendingOperation {
    let mut p = op(id, Action::Issue, time);
    p.operation.cardnumber = Some(card.into());
    p.operation.barcode = Some(barcode.into());
    p
}

fn checkin(id: i64, time: &str, barcode: &str) -> PendingOperation {
    let mut p = op(id, Action::Return, time);
    p.operation.barcode = Some(barcode.into());
    p
}

fn payment(id: i64, time: &str, card: &str, amount: &str) -> PendingOperation {
    let mut p = op(id, Action::Payment, time);
    p.operation.cardnumber = Some(card.into());
    p.operation.amount = Some(money(amount));
    p
}

fn patron(card: &str, category: &str) -> Patron {
    Patron {
        category: Some(category.into()),
        userid: Some(format!("user{card}")),
        ..Patron::new(card, format!("Surname {card}"))
    }
}

fn item(barcode: &str, itemtype: &str, status: ItemStatus) -> Item {
    Item {
        itemtype: Some(itemtype.into()),
        status,
        ..Item::new(barcode, format!("Title {barcode}"))
    }
}

fn loan(barcode: &str, card: &str, issued: &str, due: &str) -> Loan {
    Loan {
        barcode: barcode.into(),
        cardnumber: card.into(),
        issued_at: at(issued),
        due_at: at(due),
        renewals: 0,
        last_renewed_at: None,
        branch: None,
    }
}

/// Patrons A (PT) and S (ST); books B1, B2 and a DVD; no loans.
fn state() -> BatchState {
    let mut state = BatchState::default();
    state.add_patron(patron("A", "PT"));
    state.add_patron(patron("S", "ST"));
    state.add_item(item("B1", "BK", ItemStatus::Available));
    state.add_item(item("B2", "BK", ItemStatus::Available));
    state.add_item(item("DVD", "DVD", ItemStatus::Available));
    state
}

fn rules() -> RuleTable {
    RuleTable::new(vec![
        LoanRule {
            category: None,
            itemtype: None,
            loan_days: 14,
            renewal_days: Some(10),
        },
        LoanRule {
            category: None,
            itemtype: Some("DVD".into()),
            loan_days: 7,
            renewal_days: None,
        },
    ])
}

fn decide(ops: &[PendingOperation], state: &mut BatchState) -> Decisions {
    let rules = rules();
    Engine::new(ConflictRule::NewerActivityWins, &rules)
        .decide(ops, state)
        .unwrap()
}

fn decide_koha(ops: &[PendingOperation], state: &mut BatchState) -> Decisions {
    let rules = rules();
    Engine::new(ConflictRule::KohaCompatible, &rules)
        .decide(ops, state)
        .unwrap()
}

fn codes(decisions: &Decisions) -> Vec<OutcomeCode> {
    decisions.outcomes.iter().map(|o| o.code).collect()
}

#[test]
fn issue_makes_a_loan_due_by_the_rules() {
    let mut state = state();
    let d = decide(&[issue(1, "2026-07-22 10:15:30", "A", "DVD")], &mut state);
    assert_eq!(codes(&d), [OutcomeCode::Issued]);
    assert_eq!(d.outcomes[0].message, "Success.");
    let made = d.effects.loans["DVD"].clone().unwrap();
    assert_eq!(made.cardnumber, "A");
    assert_eq!(made.issued_at, at("2026-07-22 10:15:30"));
    assert_eq!(made.due_at, at("2026-07-29 23:59:00"));
    assert_eq!(made.branch.as_deref(), Some("CPL"));
    let seen = &d.effects.items["DVD"];
    assert_eq!(seen.last_seen, Some(at("2026-07-22 10:15:30")));
    assert_eq!(seen.holdingbranch.as_deref(), Some("CPL"));
}

#[test]
fn without_rules_a_loan_lasts_fourteen_days() {
    let mut state = state();
    let none = RuleTable::default();
    let d = Engine::new(ConflictRule::default(), &none)
        .decide(&[issue(1, "2026-07-22 10:00:00", "A", "DVD")], &mut state)
        .unwrap();
    assert_eq!(
        d.effects.loans["DVD"].as_ref().unwrap().due_at,
        at("2026-08-05 23:59:00")
    );
}

#[test]
fn issue_finds_the_patron_by_username_else_fails() {
    let mut state = state();
    let d = decide(
        &[
            issue(1, "2026-07-22 10:00:00", "userA", "B1"),
            issue(2, "2026-07-22 10:01:00", "nobody", "B2"),
            issue(3, "2026-07-22 10:02:00", "A", "nothing"),
        ],
        &mut state,
    );
    assert_eq!(
        codes(&d),
        [
            OutcomeCode::Issued,
            OutcomeCode::PatronNotFound,
            OutcomeCode::ItemNotFound
        ]
    );
    assert_eq!(d.outcomes[1].message, "Borrower not found.");
    assert_eq!(d.outcomes[2].message, "Item not found.");
    assert_eq!(d.effects.loans["B1"].as_ref().unwrap().cardnumber, "A");
    assert!(!d.effects.loans.contains_key("B2"));
}

#[test]
fn issue_without_card_or_barcode_is_invalid() {
    let mut state = state();
    let mut no_card = issue(1, "2026-07-22 10:00:00", "A", "B1");
    no_card.operation.cardnumber = None;
    let mut blank_barcode = issue(2, "2026-07-22 10:00:00", "A", "B1");
    blank_barcode.operation.barcode = Some(" ".into());
    let mut no_barcode = checkin(3, "2026-07-22 10:00:00", "B1");
    no_barcode.operation.barcode = None;
    let d = decide(&[no_card, blank_barcode, no_barcode], &mut state);
    assert_eq!(codes(&d), [OutcomeCode::Invalid; 3]);
    assert!(d.effects.is_empty());
}

#[test]
fn issue_to_the_same_patron_renews() {
    let mut state = state();
    state.add_loan(loan(
        "B1",
        "A",
        "2026-07-01 10:00:00",
        "2026-07-15 23:59:00",
    ));
    let d = decide(&[issue(1, "2026-07-22 10:00:00", "A", "B1")], &mut state);
    assert_eq!(codes(&d), [OutcomeCode::Renewed]);
    let renewed = d.effects.loans["B1"].clone().unwrap();
    assert_eq!(renewed.issued_at, at("2026-07-01 10:00:00"));
    assert_eq!(renewed.renewals, 1);
    assert_eq!(renewed.last_renewed_at, Some(at("2026-07-22 10:00:00")));
    assert_eq!(renewed.due_at, at("2026-08-01 23:59:00"), "10 renewal days");
    assert!(d.effects.closed_loans.is_empty());
}

#[test]
fn renewal_keeps_a_due_date_chosen_at_the_desk() {
    let mut state = state();
    state.add_loan(loan(
        "B1",
        "A",
        "2026-07-01 10:00:00",
        "2026-07-15 23:59:00",
    ));
    let mut renewal = issue(1, "2026-07-22 10:00:00", "A", "B1");
    renewal.operation.due = Some(DueDate::Date(day("2026-09-01")));
    let d = decide(&[renewal], &mut state);
    assert_eq!(
        d.effects.loans["B1"].as_ref().unwrap().due_at,
        at("2026-09-01 23:59:00")
    );
}

#[test]
fn explicit_due_dates_win_over_rules() {
    let mut state = state();
    let mut by_day = issue(1, "2026-07-22 10:00:00", "A", "B1");
    by_day.operation.due = Some(DueDate::Date(day("2026-08-01")));
    let mut by_time = issue(2, "2026-07-22 10:00:00", "A", "B2");
    by_time.operation.due = Some(DueDate::DateTime(at("2026-08-02 12:00:00")));
    let d = decide(&[by_day, by_time], &mut state);
    assert_eq!(
        d.effects.loans["B1"].as_ref().unwrap().due_at,
        at("2026-08-01 23:59:00")
    );
    assert_eq!(
        d.effects.loans["B2"].as_ref().unwrap().due_at,
        at("2026-08-02 12:00:00")
    );
}

#[test]
fn issue_closes_another_patrons_older_loan_first() {
    for engine in [decide, decide_koha] {
        let mut state = state();
        state.add_loan(loan(
            "B1",
            "S",
            "2026-07-01 10:00:00",
            "2026-07-22 23:59:00",
        ));
        let d = engine(&[issue(1, "2026-07-22 10:00:00", "A", "B1")], &mut state);
        assert_eq!(codes(&d), [OutcomeCode::Issued]);
        assert_eq!(
            d.outcomes[0].warning_codes(),
            [WarningCode::ReturnedFromOtherPatron]
        );
        assert_eq!(d.effects.closed_loans.len(), 1);
        assert_eq!(d.effects.closed_loans[0].loan.cardnumber, "S");
        assert_eq!(
            d.effects.closed_loans[0].returned_at,
            at("2026-07-22 10:00:00")
        );
        assert_eq!(d.effects.loans["B1"].as_ref().unwrap().cardnumber, "A");
    }
}

#[test]
fn newer_loans_win_by_default() {
    let mut state = state();
    state.add_loan(loan(
        "B1",
        "S",
        "2026-07-23 09:00:00",
        "2026-08-06 23:59:00",
    ));
    state.add_loan(loan(
        "B2",
        "A",
        "2026-07-23 09:00:00",
        "2026-08-06 23:59:00",
    ));
    let d = decide(
        &[
            issue(1, "2026-07-22 10:00:00", "A", "B1"),
            checkin(2, "2026-07-22 10:01:00", "B1"),
            issue(3, "2026-07-22 10:02:00", "A", "B2"),
        ],
        &mut state,
    );
    assert_eq!(codes(&d), [OutcomeCode::Conflict; 3]);
    assert!(d.outcomes[0].message.contains("2026-07-23 09:00"));
    assert!(d.outcomes[0].message.contains('S'));
    assert!(d.effects.is_empty(), "{:?}", d.effects);
}

#[test]
fn a_loan_made_at_the_same_instant_is_not_newer() {
    let mut state = state();
    state.add_loan(loan(
        "B1",
        "S",
        "2026-07-22 10:00:00",
        "2026-08-06 23:59:00",
    ));
    let d = decide(&[checkin(1, "2026-07-22 10:00:00", "B1")], &mut state);
    assert_eq!(codes(&d), [OutcomeCode::Returned]);
}

#[test]
fn koha_compatible_closes_newer_loans() {
    let mut state = state();
    state.add_loan(loan(
        "B1",
        "S",
        "2026-07-23 09:00:00",
        "2026-08-06 23:59:00",
    ));
    state.add_loan(loan(
        "B2",
        "S",
        "2026-07-23 09:00:00",
        "2026-08-06 23:59:00",
    ));
    let d = decide_koha(
        &[
            issue(1, "2026-07-22 10:00:00", "A", "B1"),
            checkin(2, "2026-07-22 10:01:00", "B2"),
        ],
        &mut state,
    );
    assert_eq!(codes(&d), [OutcomeCode::Issued, OutcomeCode::Returned]);
    assert_eq!(d.effects.closed_loans.len(), 2);
    assert_eq!(d.effects.loans["B2"], None);
}

#[test]
fn return_closes_the_loan_and_counts_days_late() {
    let mut state = state();
    state.add_loan(loan(
        "B1",
        "S",
        "2026-07-01 10:00:00",
        "2026-07-15 23:59:00",
    ));
    state.add_loan(loan(
        "B2",
        "S",
        "2026-07-01 10:00:00",
        "2026-07-21 23:59:00",
    ));
    state.add_loan(loan(
        "DVD",
        "S",
        "2026-07-01 10:00:00",
        "2026-07-30 23:59:00",
    ));
    let d = decide(
        &[
            checkin(1, "2026-07-22 10:00:00", "B1"),
            checkin(2, "2026-07-22 10:00:00", "B2"),
            checkin(3, "2026-07-22 10:00:00", "DVD"),
        ],
        &mut state,
    );
    assert_eq!(codes(&d), [OutcomeCode::Returned; 3]);
    assert!(d.outcomes[0].warnings[0].message.contains("7 days"));
    assert!(d.outcomes[1].warnings[0].message.contains("1 day late"));
    assert!(d.outcomes[2].warnings.is_empty());
    assert_eq!(d.effects.closed_loans.len(), 3);
    assert!(d.effects.loans.values().all(Option::is_none));
}

#[test]
fn return_of_what_is_not_on_loan_or_unknown() {
    let mut state = state();
    let d = decide(
        &[
            checkin(1, "2026-07-22 10:00:00", "B1"),
            checkin(2, "2026-07-22 10:00:00", "nothing"),
        ],
        &mut state,
    );
    assert_eq!(
        codes(&d),
        [OutcomeCode::NotIssued, OutcomeCode::ItemNotFound]
    );
    assert_eq!(d.outcomes[0].message, "Item not issued.");
    assert!(d.effects.is_empty());
}

#[test]
fn expired_and_restricted_patrons_on_the_boundary_days() {
    let mut state = state();
    let mut expired = patron("E", "PT");
    expired.expiry = Some(day("2026-07-21"));
    let mut valid_today = patron("V", "PT");
    valid_today.expiry = Some(day("2026-07-22"));
    let mut restricted = patron("R", "PT");
    restricted.restricted_until = Some(day("2026-07-22"));
    let mut was_restricted = patron("W", "PT");
    was_restricted.restricted_until = Some(day("2026-07-21"));
    for p in [expired, valid_today, restricted, was_restricted] {
        state.add_patron(p);
    }
    for b in ["X1", "X2", "X3", "X4"] {
        state.add_item(item(b, "BK", ItemStatus::Available));
    }
    let d = decide(
        &[
            issue(1, "2026-07-22 10:00:00", "E", "X1"),
            issue(2, "2026-07-22 10:00:00", "V", "X2"),
            issue(3, "2026-07-22 10:00:00", "R", "X3"),
            issue(4, "2026-07-22 10:00:00", "W", "X4"),
        ],
        &mut state,
    );
    assert_eq!(codes(&d), [OutcomeCode::Issued; 4]);
    let warnings: Vec<_> = d.outcomes.iter().map(|o| o.warning_codes()).collect();
    assert_eq!(
        warnings,
        [
            vec![WarningCode::PatronExpired],
            vec![],
            vec![WarningCode::PatronRestricted],
            vec![],
        ]
    );
}

#[test]
fn item_status_warnings_and_lost_items_are_found() {
    let mut state = state();
    let statuses = [
        ("L", ItemStatus::Lost, WarningCode::ItemLost),
        ("W", ItemStatus::Withdrawn, WarningCode::ItemWithdrawn),
        ("N", ItemStatus::NotForLoan, WarningCode::ItemNotForLoan),
        ("D", ItemStatus::Damaged, WarningCode::ItemDamaged),
    ];
    let mut ops = Vec::new();
    for (i, (barcode, status, _)) in statuses.iter().enumerate() {
        state.add_item(item(barcode, "BK", *status));
        ops.push(issue(i as i64, "2026-07-22 10:00:00", "A", barcode));
    }
    let d = decide(&ops, &mut state);
    for (outcome, (barcode, status, warning)) in d.outcomes.iter().zip(statuses) {
        assert_eq!(outcome.code, OutcomeCode::Issued);
        assert_eq!(outcome.warning_codes(), [warning]);
        let after = d.effects.items[barcode].status;
        let expected = if status == ItemStatus::Lost {
            ItemStatus::Available
        } else {
            status
        };
        assert_eq!(after, expected);
    }
}

fn hold(id: i64, barcode: &str, card: &str, placed: &str) -> Hold {
    Hold {
        id: HoldId(id),
        barcode: barcode.into(),
        cardnumber: card.into(),
        placed_at: at(placed),
        filled_at: None,
    }
}

#[test]
fn holds_filled_left_alone_and_waiting() {
    let mut state = state();
    state.add_hold(hold(1, "DVD", "S", "2026-07-10 09:00:00"));
    state.add_hold(hold(2, "DVD", "A", "2026-07-11 09:00:00"));
    state.add_hold(hold(3, "B1", "S", "2026-07-10 09:00:00"));
    let d = decide(
        &[
            issue(1, "2026-07-22 10:00:00", "A", "DVD"),
            issue(2, "2026-07-22 10:01:00", "A", "B1"),
            checkin(3, "2026-07-22 11:00:00", "B1"),
        ],
        &mut state,
    );
    assert_eq!(
        d.outcomes[0].warning_codes(),
        [WarningCode::HoldFilled, WarningCode::HoldForOtherPatron]
    );
    assert_eq!(
        d.effects.filled_holds.keys().copied().collect::<Vec<_>>(),
        [HoldId(2)]
    );
    assert_eq!(
        d.outcomes[1].warning_codes(),
        [WarningCode::HoldForOtherPatron]
    );
    assert_eq!(d.outcomes[2].warning_codes(), [WarningCode::HoldWaiting]);
    assert!(d.outcomes[2].warnings[0].message.contains('S'));
}

fn debt(id: i64, card: &str, amount: &str, created: &str) -> AccountLine {
    AccountLine {
        id: AccountLineId(id),
        cardnumber: card.into(),
        kind: AccountLineKind::Debit,
        amount: money(amount),
        outstanding: money(amount),
        description: None,
        created_at: at(created),
        operation: None,
    }
}

#[test]
fn payments_pay_oldest_first_and_keep_the_rest_as_credit() {
    let mut state = state();
    state.add_debt(debt(7, "A", "3.50", "2026-06-01 09:00:00"));
    state.add_debt(debt(9, "A", "2.00", "2026-06-15 12:00:00"));
    let d = decide(
        &[
            payment(1, "2026-07-22 10:00:00", "A", "4.00"),
            payment(2, "2026-07-22 10:01:00", "userA", "2.00"),
        ],
        &mut state,
    );
    assert_eq!(codes(&d), [OutcomeCode::PaymentRecorded; 2]);
    assert!(d.outcomes[0].warnings.is_empty());
    assert_eq!(d.outcomes[1].warning_codes(), [WarningCode::CreditLeft]);
    let first = &d.effects.payments[0];
    assert_eq!(
        first.applied,
        [
            (AccountLineId(7), money("3.50")),
            (AccountLineId(9), money("0.50"))
        ]
    );
    assert_eq!(first.unapplied, money("0"));
    assert_eq!(first.paid_at, at("2026-07-22 10:00:00"));
    let second = &d.effects.payments[1];
    assert_eq!(second.cardnumber, "A");
    assert_eq!(second.applied, [(AccountLineId(9), money("1.50"))]);
    assert_eq!(second.unapplied, money("0.50"));
    assert_eq!(d.effects.debts[&AccountLineId(7)], money("0"));
    assert_eq!(d.effects.debts[&AccountLineId(9)], money("0"));
}

#[test]
fn bad_payments_are_invalid_or_unknown() {
    let mut state = state();
    let mut zero = payment(1, "2026-07-22 10:00:00", "A", "1");
    zero.operation.amount = Some(Money::ZERO);
    let mut negative = payment(2, "2026-07-22 10:00:00", "A", "1");
    negative.operation.amount = Some(money("-1"));
    let mut none = payment(3, "2026-07-22 10:00:00", "A", "1");
    none.operation.amount = None;
    let unknown = payment(4, "2026-07-22 10:00:00", "nobody", "1");
    let d = decide(&[zero, negative, none, unknown], &mut state);
    assert_eq!(
        codes(&d),
        [
            OutcomeCode::Invalid,
            OutcomeCode::Invalid,
            OutcomeCode::Invalid,
            OutcomeCode::PatronNotFound
        ]
    );
    assert!(d.outcomes[1].message.contains("-1.00"));
    assert!(d.effects.is_empty());
}

#[test]
fn earlier_pending_operations_outside_the_batch_are_flagged() {
    let mut state = state();
    state.add_earlier_pending("B1".into(), (at("2026-07-22 09:00:00"), OperationId(40)));
    state.add_earlier_pending("B2".into(), (at("2026-07-22 11:00:00"), OperationId(41)));
    let d = decide(
        &[
            issue(50, "2026-07-22 10:00:00", "A", "B1"),
            issue(51, "2026-07-22 10:00:00", "A", "B2"),
        ],
        &mut state,
    );
    assert_eq!(
        d.outcomes[0].warning_codes(),
        [WarningCode::EarlierPendingForItem]
    );
    assert!(d.outcomes[0].warnings[0].message.contains("40"));
    assert!(d.outcomes[1].warnings.is_empty());
}

#[test]
fn effects_are_the_net_change_of_the_batch() {
    let mut state = state();
    let d = decide(
        &[
            issue(1, "2026-07-22 10:00:00", "A", "B1"),
            checkin(2, "2026-07-22 11:00:00", "B1"),
            issue(3, "2026-07-22 12:00:00", "S", "B1"),
            issue(4, "2026-07-22 13:00:00", "A", "B2"),
            checkin(5, "2026-07-22 14:00:00", "B2"),
        ],
        &mut state,
    );
    assert_eq!(d.effects.loans["B1"].as_ref().unwrap().cardnumber, "S");
    assert_eq!(d.effects.loans["B2"], None);
    // Each item and loan changed is there once, and nothing else.
    assert_eq!(d.effects.loans.keys().collect::<Vec<_>>(), ["B1", "B2"]);
    assert_eq!(d.effects.items.keys().collect::<Vec<_>>(), ["B1", "B2"]);
    assert_eq!(d.effects.items["B2"], state.items["B2"]);
    assert_eq!(d.effects.closed_loans.len(), 2);
    assert_eq!(
        d.effects.items["B1"].last_seen,
        Some(at("2026-07-22 12:00:00"))
    );
    // The state follows, so the next batch of a dry run would see it.
    assert_eq!(state.loans["B1"].cardnumber, "S");
    assert!(!state.loans.contains_key("B2"));
}

struct Broken;

impl LoanPolicy for Broken {
    fn due_at(&self, _: &Patron, _: &Item, _: NaiveDateTime) -> Result<NaiveDateTime, PolicyError> {
        Err(PolicyError::new("no calendar"))
    }

    fn renewal_due_at(
        &self,
        _: &Patron,
        _: &Item,
        _: &Loan,
        _: NaiveDateTime,
    ) -> Result<NaiveDateTime, PolicyError> {
        Err(PolicyError::new("no calendar"))
    }
}

#[test]
fn a_policy_error_stops_the_batch() {
    let mut state = state();
    let result = Engine::new(ConflictRule::default(), &Broken).decide(
        &[
            checkin(1, "2026-07-22 09:00:00", "B1"),
            issue(2, "2026-07-22 10:00:00", "A", "B1"),
        ],
        &mut state,
    );
    assert_eq!(result, Err(PolicyError::new("no calendar")));
}

/// A library of three patrons' worth of state, with a loan, debts and holds.
fn library_state() -> BatchState {
    let mut state = state();
    state.add_loan(loan(
        "B2",
        "S",
        "2026-07-01 10:00:00",
        "2026-07-15 23:59:00",
    ));
    state.add_debt(debt(7, "A", "3.50", "2026-06-01 09:00:00"));
    state.add_debt(debt(9, "A", "2.00", "2026-06-15 12:00:00"));
    state.add_hold(hold(1, "DVD", "A", "2026-07-10 09:00:00"));
    state.add_hold(hold(2, "B1", "S", "2026-07-10 09:00:00"));
    state
}

#[test]
fn a_state_caught_up_with_a_batch_decides_as_if_loaded_after_it() {
    let first = [
        issue(1, "2026-07-22 10:00:00", "A", "DVD"),
        checkin(2, "2026-07-22 10:01:00", "B2"),
        payment(3, "2026-07-22 10:02:00", "A", "4.00"),
        issue(4, "2026-07-22 10:03:00", "S", "B1"),
    ];
    let second = [
        issue(5, "2026-07-22 11:00:00", "S", "DVD"),
        issue(6, "2026-07-22 11:01:00", "A", "B2"),
        payment(7, "2026-07-22 11:02:00", "A", "1.00"),
        checkin(8, "2026-07-22 11:03:00", "B1"),
    ];
    // Reference: both batches decided one after the other on one state.
    let mut reference = library_state();
    let first_decided = decide(&first, &mut reference);
    let after_first = reference.clone();
    let second_decided = decide(&second, &mut reference);

    // The second batch on a state loaded before the first was written.
    let mut stale = library_state();
    stale.catch_up(&first_decided.effects);
    assert_eq!(stale.items, after_first.items);
    assert_eq!(stale.loans, after_first.loans);
    assert_eq!(stale.patrons, after_first.patrons);
    // Loaded debts are those still owed; holds those still waiting.
    assert_eq!(
        stale.debts["A"]
            .iter()
            .map(|d| (d.id, d.outstanding))
            .collect::<Vec<_>>(),
        [(AccountLineId(9), money("1.50"))]
    );
    assert!(
        stale.holds.is_empty(),
        "A got the DVD, S got B1: both holds filled"
    );
    let caught_up = decide(&second, &mut stale);
    assert_eq!(caught_up.outcomes, second_decided.outcomes);
    assert_eq!(caught_up.effects, second_decided.effects);
    // The second batch depends on the first: A holds the DVD that S now
    // borrows, B2 is back for A, B1 is on loan to S.
    assert_eq!(
        codes(&caught_up),
        [
            OutcomeCode::Issued,
            OutcomeCode::Issued,
            OutcomeCode::PaymentRecorded,
            OutcomeCode::Returned
        ]
    );
    assert_eq!(
        caught_up.effects.closed_loans.len(),
        2,
        "A's DVD and S's B1"
    );
}

#[test]
fn catching_up_leaves_out_what_was_not_loaded() {
    let mut state = BatchState::default();
    state.add_patron(patron("A", "PT"));
    let mut other = library_state();
    let decided = decide(
        &[
            issue(1, "2026-07-22 10:00:00", "S", "B1"),
            checkin(2, "2026-07-22 10:01:00", "B2"),
        ],
        &mut other,
    );
    assert!(!decided.effects.loans.is_empty());
    state.catch_up(&decided.effects);
    assert!(state.items.is_empty());
    assert!(state.loans.is_empty());
}

#[test]
fn reserve_makes_room_for_a_batch_and_adds_nothing() {
    let mut state = BatchState::default();
    state.reserve(300, 500);
    assert!(state.patrons.capacity() >= 300);
    assert!(state.items.capacity() >= 500);
    // Open loans grow as they come (only some items are on loan).
    assert_eq!(state.loans.capacity(), 0);
    assert!(state.patrons.is_empty() && state.items.is_empty() && state.loans.is_empty());
    // What was reserved for is added without growing the maps.
    let (patrons, items) = (state.patrons.capacity(), state.items.capacity());
    for n in 0..300 {
        state.add_patron(patron(&format!("P{n}"), "PT"));
    }
    for n in 0..500 {
        state.add_item(item(&format!("B{n}"), "BK", ItemStatus::Available));
    }
    assert_eq!(state.patrons.capacity(), patrons);
    assert_eq!(state.items.capacity(), items);
    // Patrons are still found by username.
    let d = decide(
        &[issue(1, "2026-07-22 10:00:00", "userP7", "B3")],
        &mut state,
    );
    assert_eq!(codes(&d), [OutcomeCode::Issued]);
}
