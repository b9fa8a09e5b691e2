use chrono::{NaiveDateTime, NaiveTime};
use koc_format::{Action, DueDate};

use super::touched::Changes;
use super::{BatchState, ConflictRule, Effects, LoanPolicy, PolicyError};
use crate::{
    ClosedLoan, Item, ItemStatus, Loan, Outcome, OutcomeCode, Patron, PendingOperation,
    RecordedPayment, Warning, WarningCode,
};

/// The decisions for a batch: one outcome per operation, in the order given,
/// and the net effects to write.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decisions {
    /// `outcomes[i]` is the outcome of `operations[i]`.
    pub outcomes: Vec<Outcome>,
    /// What to write.
    pub effects: Effects,
}

/// Decides what each pending operation does, following Koha's rules with the
/// documented improvements (see `koc-spec.md`, section 4).
///
/// ```
/// use koc_core::{BatchState, ConflictRule, Engine, Item, OutcomeCode, Patron, RuleTable};
/// # use koc_core::*;
/// # fn pending(op: Operation) -> PendingOperation {
/// #     PendingOperation { id: OperationId(1), upload: UploadId(1), enqueued_at: op.time,
/// #         fingerprint: op.fingerprint(), operation: op }
/// # }
/// let mut state = BatchState::default();
/// state.add_patron(Patron::new("23529001000463", "Doe"));
/// state.add_item(Item::new("31000000123456", "The Left Hand of Darkness"));
/// let issue = Operation {
///     action: koc_format::Action::Issue,
///     time: "2026-07-22T10:15:30".parse().unwrap(),
///     cardnumber: Some("23529001000463".into()),
///     barcode: Some("31000000123456".into()),
///     amount: None, due: None,
///     userid: "admin".into(), branch: "CPL".into(), workstation: None,
///     source: Source::Request { detail: None },
/// };
/// let rules = RuleTable::default();
/// let engine = Engine::new(ConflictRule::NewerActivityWins, &rules);
/// let decisions = engine.decide(&[pending(issue)], &mut state)?;
/// assert_eq!(decisions.outcomes[0].code, OutcomeCode::Issued);
/// let loan = decisions.effects.loans["31000000123456"].as_ref().unwrap();
/// assert_eq!(loan.due_at.to_string(), "2026-08-05 23:59:00");
/// # Ok::<(), koc_core::PolicyError>(())
/// ```
pub struct Engine<'p> {
    conflicts: ConflictRule,
    policy: &'p dyn LoanPolicy,
}

impl<'p> Engine<'p> {
    /// An engine with this conflict rule and loan policy.
    pub fn new(conflicts: ConflictRule, policy: &'p dyn LoanPolicy) -> Engine<'p> {
        Engine { conflicts, policy }
    }

    /// Walks `operations` in the order given (the store gives them in time
    /// order, then enqueue order) over `state`, which it updates as it goes
    /// so that each operation sees the effects of the ones before.
    ///
    /// # Errors
    ///
    /// A [`PolicyError`] from the loan policy: the whole batch must then be
    /// abandoned (the store rolls back).
    pub fn decide(
        &self,
        operations: &[PendingOperation],
        state: &mut BatchState,
    ) -> Result<Decisions, PolicyError> {
        let mut outcomes = Vec::with_capacity(operations.len());
        let mut changes = Changes::new();
        for pending in operations {
            let mut outcome = match pending.operation.action {
                Action::Issue => self.issue(pending, state, &mut changes)?,
                Action::Return => self.return_item(pending, state, &mut changes),
                Action::Payment => payment(pending, state, &mut changes.effects),
            };
            if let Some(barcode) = &pending.operation.barcode
                && let Some(&(time, id)) = state.earlier_pending.get(barcode)
                && (time, id) < pending.order_key()
            {
                outcome.warnings.push(Warning::new(
                            WarningCode::EarlierPendingForItem,
                            format!(
                                "Operation {id} on item {barcode}, at {}, is still pending and was processed after this one.",
                                minutes(time)
                            ),
                        ));
            }
            outcomes.push(outcome);
        }
        Ok(Decisions {
            outcomes,
            effects: changes.finish(state),
        })
    }

    fn issue<'a>(
        &self,
        pending: &'a PendingOperation,
        state: &mut BatchState,
        changes: &mut Changes<'a>,
    ) -> Result<Outcome, PolicyError> {
        let op = &pending.operation;
        let (Some(card), Some(barcode)) = (non_blank(&op.cardnumber), non_blank(&op.barcode))
        else {
            return Ok(invalid("An issue needs a card number and a barcode."));
        };
        let Some(card) = state.resolve_card(card).map(str::to_owned) else {
            return Ok(Outcome::new(OutcomeCode::PatronNotFound));
        };
        if !state.items.contains_key(barcode) {
            return Ok(Outcome::new(OutcomeCode::ItemNotFound));
        }
        let mut warnings = Vec::new();

        if let Some(current) = state.loans.get(barcode) {
            if current.issued_at > op.time && self.conflicts == ConflictRule::NewerActivityWins {
                return Ok(conflict(current, op.time));
            }
            if current.cardnumber == card {
                let (Some(patron), Some(item)) =
                    (state.patrons.get(&card), state.items.get(barcode))
                else {
                    return Ok(Outcome::new(OutcomeCode::PatronNotFound));
                };
                let due_at = match op.due {
                    Some(due) => due_at(due),
                    None => self.policy.renewal_due_at(patron, item, current, op.time)?,
                };
                patron_warnings(patron, op.time, &mut warnings);
                let renewed = Loan {
                    due_at,
                    renewals: current.renewals.saturating_add(1),
                    last_renewed_at: Some(op.time),
                    ..current.clone()
                };
                state.loans.insert(barcode.to_owned(), renewed);
                changes.loan(barcode);
                self.touch_item(barcode, op.time, &op.branch, state, changes, &mut warnings);
                return Ok(with_warnings(OutcomeCode::Renewed, warnings));
            }
            let previous = current.clone();
            warnings.push(Warning::new(
                WarningCode::ReturnedFromOtherPatron,
                format!(
                    "Item {barcode} was on loan to {} since {}; that loan was closed first.",
                    previous.cardnumber,
                    minutes(previous.issued_at)
                ),
            ));
            state.loans.remove(barcode);
            changes.loan(barcode);
            changes.effects.closed_loans.push(ClosedLoan {
                loan: previous,
                returned_at: op.time,
            });
        }

        let (Some(patron), Some(item)) = (state.patrons.get(&card), state.items.get(barcode))
        else {
            return Ok(Outcome::new(OutcomeCode::PatronNotFound));
        };
        let due_at = match op.due {
            Some(due) => due_at(due),
            None => self.policy.due_at(patron, item, op.time)?,
        };
        patron_warnings(patron, op.time, &mut warnings);
        let loan = Loan {
            barcode: barcode.to_owned(),
            cardnumber: card.clone(),
            issued_at: op.time,
            due_at,
            renewals: 0,
            last_renewed_at: None,
            branch: Some(op.branch.clone()),
        };
        state.loans.insert(barcode.to_owned(), loan);
        changes.loan(barcode);
        self.touch_item(barcode, op.time, &op.branch, state, changes, &mut warnings);

        if let Some(holds) = state.holds.get_mut(barcode) {
            if let Some(mine) = holds.iter().position(|h| h.cardnumber == card) {
                let hold = holds.remove(mine);
                warnings.push(Warning::new(
                    WarningCode::HoldFilled,
                    format!(
                        "The hold placed by {card} on {} is filled by this loan.",
                        minutes(hold.placed_at)
                    ),
                ));
                changes.effects.filled_holds.insert(hold.id, op.time);
            }
            if let Some(other) = holds.first() {
                warnings.push(Warning::new(
                    WarningCode::HoldForOtherPatron,
                    format!(
                        "Patron {} has a hold on item {barcode} since {}; it was left in place.",
                        other.cardnumber,
                        minutes(other.placed_at)
                    ),
                ));
            }
        }
        Ok(with_warnings(OutcomeCode::Issued, warnings))
    }

    fn return_item<'a>(
        &self,
        pending: &'a PendingOperation,
        state: &mut BatchState,
        changes: &mut Changes<'a>,
    ) -> Outcome {
        let op = &pending.operation;
        let Some(barcode) = non_blank(&op.barcode) else {
            return invalid("A return needs a barcode.");
        };
        if !state.items.contains_key(barcode) {
            return Outcome::new(OutcomeCode::ItemNotFound);
        }
        let Some(current) = state.loans.get(barcode) else {
            return Outcome::new(OutcomeCode::NotIssued);
        };
        if current.issued_at > op.time && self.conflicts == ConflictRule::NewerActivityWins {
            return conflict(current, op.time);
        }
        let mut warnings = Vec::new();
        let loan = current.clone();
        if op.time > loan.due_at {
            let days = (op.time.date() - loan.due_at.date()).num_days().max(1);
            warnings.push(Warning::new(
                WarningCode::ReturnedOverdue,
                format!(
                    "Returned {days} day{} late (due {}).",
                    if days == 1 { "" } else { "s" },
                    minutes(loan.due_at)
                ),
            ));
        }
        state.loans.remove(barcode);
        changes.loan(barcode);
        changes.effects.closed_loans.push(ClosedLoan {
            loan,
            returned_at: op.time,
        });
        self.touch_item(barcode, op.time, &op.branch, state, changes, &mut warnings);
        if let Some(hold) = state.holds.get(barcode).and_then(|h| h.first()) {
            warnings.push(Warning::new(
                WarningCode::HoldWaiting,
                format!(
                    "Patron {} has a hold on item {barcode} since {}: put it on the hold shelf.",
                    hold.cardnumber,
                    minutes(hold.placed_at)
                ),
            ));
        }
        with_warnings(OutcomeCode::Returned, warnings)
    }

    /// Marks the item seen at `at` in `branch`, found if it was lost, and
    /// warns about its status.
    fn touch_item<'a>(
        &self,
        barcode: &'a str,
        at: NaiveDateTime,
        branch: &str,
        state: &mut BatchState,
        changes: &mut Changes<'a>,
        warnings: &mut Vec<Warning>,
    ) {
        let Some(item) = state.items.get_mut(barcode) else {
            return;
        };
        item_warnings(item, warnings);
        if item.status == ItemStatus::Lost {
            item.status = ItemStatus::Available;
        }
        if item.last_seen.is_none_or(|seen| seen < at) {
            item.last_seen = Some(at);
        }
        item.holdingbranch = Some(branch.to_owned());
        changes.item(barcode);
    }
}

fn payment(pending: &PendingOperation, state: &mut BatchState, effects: &mut Effects) -> Outcome {
    let op = &pending.operation;
    let Some(card) = non_blank(&op.cardnumber) else {
        return invalid("A payment needs a card number.");
    };
    let amount = match op.amount {
        Some(amount) if amount.is_positive() => amount,
        Some(amount) => {
            return invalid(format!(
                "A payment must be greater than zero; this one is {amount}."
            ));
        }
        None => return invalid("A payment needs an amount."),
    };
    let Some(card) = state.resolve_card(card).map(str::to_owned) else {
        return Outcome::new(OutcomeCode::PatronNotFound);
    };
    let mut left = amount;
    let mut applied = Vec::new();
    if let Some(debts) = state.debts.get_mut(&card) {
        for debt in debts.iter_mut() {
            if left.is_zero() {
                break;
            }
            if !debt.outstanding.is_positive() {
                continue;
            }
            let part = left.min(debt.outstanding);
            debt.outstanding = debt.outstanding.saturating_sub(part);
            left = left.saturating_sub(part);
            applied.push((debt.id, part));
            effects.debts.insert(debt.id, debt.outstanding);
        }
        debts.retain(|d| d.outstanding.is_positive());
    }
    let mut outcome = Outcome::new(OutcomeCode::PaymentRecorded);
    if left.is_positive() {
        outcome.warnings.push(Warning::new(
            WarningCode::CreditLeft,
            format!("{left} of {amount} was more than {card} owed; it is kept as credit."),
        ));
    }
    effects.payments.push(RecordedPayment {
        operation: pending.id,
        cardnumber: card,
        amount,
        paid_at: op.time,
        applied,
        unapplied: left,
    });
    outcome
}

fn patron_warnings(patron: &Patron, at: NaiveDateTime, warnings: &mut Vec<Warning>) {
    let day = at.date();
    if patron.is_expired_on(day)
        && let Some(expiry) = patron.expiry
    {
        warnings.push(Warning::new(
            WarningCode::PatronExpired,
            format!("Patron {} expired on {expiry}.", patron.cardnumber),
        ));
    }
    if patron.is_restricted_on(day)
        && let Some(until) = patron.restricted_until
    {
        warnings.push(Warning::new(
            WarningCode::PatronRestricted,
            format!("Patron {} is restricted until {until}.", patron.cardnumber),
        ));
    }
}

fn item_warnings(item: &Item, warnings: &mut Vec<Warning>) {
    let barcode = &item.barcode;
    let warning = match item.status {
        ItemStatus::Available => return,
        ItemStatus::Lost => Warning::new(
            WarningCode::ItemLost,
            format!("Item {barcode} was marked lost; it is marked found."),
        ),
        ItemStatus::Withdrawn => Warning::new(
            WarningCode::ItemWithdrawn,
            format!("Item {barcode} is withdrawn."),
        ),
        ItemStatus::NotForLoan => Warning::new(
            WarningCode::ItemNotForLoan,
            format!("Item {barcode} is not for loan."),
        ),
        ItemStatus::Damaged => Warning::new(
            WarningCode::ItemDamaged,
            format!("Item {barcode} is damaged."),
        ),
    };
    warnings.push(warning);
}

/// The due date a desk chose: a date alone means the end of that day.
fn due_at(due: DueDate) -> NaiveDateTime {
    match due {
        DueDate::Date(date) => {
            date.and_time(NaiveTime::from_hms_opt(23, 59, 0).unwrap_or(NaiveTime::MIN))
        }
        DueDate::DateTime(at) => at,
    }
}

fn conflict(current: &Loan, time: NaiveDateTime) -> Outcome {
    Outcome::with_message(
        OutcomeCode::Conflict,
        format!(
            "Item {} was lent to {} at {}, after this operation ({}); nothing changed.",
            current.barcode,
            current.cardnumber,
            minutes(current.issued_at),
            minutes(time)
        ),
    )
}

fn invalid(message: impl Into<String>) -> Outcome {
    Outcome::with_message(OutcomeCode::Invalid, message)
}

fn with_warnings(code: OutcomeCode, warnings: Vec<Warning>) -> Outcome {
    Outcome {
        warnings,
        ..Outcome::new(code)
    }
}

/// The field, as given, unless it is absent or blank.
fn non_blank(field: &Option<String>) -> Option<&str> {
    field.as_deref().filter(|f| !f.trim().is_empty())
}

fn minutes(at: NaiveDateTime) -> String {
    crate::format_time(at, crate::TimePrecision::Minutes)
}
