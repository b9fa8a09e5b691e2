use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::engine::{LoanPolicy, PolicyError};
use crate::{Item, Loan, Patron};

/// The loan period when no rule matches: 14 days, as Koha's default.
pub const DEFAULT_LOAN_DAYS: u32 = 14;

/// How long a patron category may borrow an item type. `None` in a key means
/// any (`*` in Koha's circulation rules).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanRule {
    /// Patron category, or any.
    pub category: Option<String>,
    /// Item type, or any.
    pub itemtype: Option<String>,
    /// Days a loan lasts.
    pub loan_days: u32,
    /// Days a renewal adds; the loan period when not set.
    pub renewal_days: Option<u32>,
}

/// The end of the loan: 23:59:00 on the day `days` after `from`'s date.
pub fn due_at_end_of_day(from: NaiveDateTime, days: u32) -> NaiveDateTime {
    let day = from
        .date()
        .checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX);
    day.and_time(end_of_day())
}

fn end_of_day() -> NaiveTime {
    NaiveTime::from_hms_opt(23, 59, 0).unwrap_or(NaiveTime::MIN)
}

/// Loan rules looked up with Koha's precedence: the exact (category, item
/// type) pair, then (category, any), then (any, item type), then (any, any),
/// else [`DEFAULT_LOAN_DAYS`].
///
/// ```
/// use koc_core::{Item, LoanRule, Patron, RuleTable};
///
/// let rules = RuleTable::new(vec![
///     LoanRule { category: None, itemtype: None, loan_days: 14, renewal_days: None },
///     LoanRule { category: None, itemtype: Some("DVD".into()), loan_days: 7, renewal_days: Some(3) },
/// ]);
/// let patron = Patron { category: Some("PT".into()), ..Patron::new("1", "Doe") };
/// let dvd = Item { itemtype: Some("DVD".into()), ..Item::new("2", "Seven Samurai") };
/// assert_eq!(rules.rule_for(&patron, &dvd).map(|r| r.loan_days), Some(7));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleTable {
    rules: Vec<LoanRule>,
}

impl RuleTable {
    /// A table of these rules. When two rules have the same keys, the later
    /// one counts.
    pub fn new(rules: Vec<LoanRule>) -> RuleTable {
        RuleTable { rules }
    }

    /// The rules, as given.
    pub fn rules(&self) -> &[LoanRule] {
        &self.rules
    }

    /// The rule that applies to this patron and item, if any.
    pub fn rule_for(&self, patron: &Patron, item: &Item) -> Option<&LoanRule> {
        let category = patron.category.as_deref();
        let itemtype = item.itemtype.as_deref();
        let find = |c: Option<&str>, t: Option<&str>| {
            self.rules
                .iter()
                .rev()
                .find(|r| r.category.as_deref() == c && r.itemtype.as_deref() == t)
        };
        let exact = match (category, itemtype) {
            (Some(_), Some(_)) => find(category, itemtype),
            _ => None,
        };
        exact
            .or_else(|| category.and_then(|c| find(Some(c), None)))
            .or_else(|| itemtype.and_then(|t| find(None, Some(t))))
            .or_else(|| find(None, None))
    }

    /// Days of a loan for this patron and item.
    pub fn loan_days(&self, patron: &Patron, item: &Item) -> u32 {
        self.rule_for(patron, item)
            .map_or(DEFAULT_LOAN_DAYS, |r| r.loan_days)
    }

    /// Days a renewal adds for this patron and item.
    pub fn renewal_days(&self, patron: &Patron, item: &Item) -> u32 {
        self.rule_for(patron, item)
            .map_or(DEFAULT_LOAN_DAYS, |r| r.renewal_days.unwrap_or(r.loan_days))
    }
}

impl LoanPolicy for RuleTable {
    fn due_at(
        &self,
        patron: &Patron,
        item: &Item,
        issued_at: NaiveDateTime,
    ) -> Result<NaiveDateTime, PolicyError> {
        Ok(due_at_end_of_day(issued_at, self.loan_days(patron, item)))
    }

    fn renewal_due_at(
        &self,
        patron: &Patron,
        item: &Item,
        _loan: &Loan,
        renewed_at: NaiveDateTime,
    ) -> Result<NaiveDateTime, PolicyError> {
        Ok(due_at_end_of_day(
            renewed_at,
            self.renewal_days(patron, item),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(category: Option<&str>, itemtype: Option<&str>, days: u32) -> LoanRule {
        LoanRule {
            category: category.map(str::to_owned),
            itemtype: itemtype.map(str::to_owned),
            loan_days: days,
            renewal_days: None,
        }
    }

    fn patron(category: &str) -> Patron {
        Patron {
            category: Some(category.to_owned()),
            ..Patron::new("c", "s")
        }
    }

    fn item(itemtype: &str) -> Item {
        Item {
            itemtype: Some(itemtype.to_owned()),
            ..Item::new("b", "t")
        }
    }

    #[test]
    fn precedence_is_exact_then_category_then_itemtype_then_any() {
        let all = RuleTable::new(vec![
            rule(None, None, 1),
            rule(None, Some("DVD"), 2),
            rule(Some("ST"), None, 3),
            rule(Some("ST"), Some("DVD"), 4),
        ]);
        assert_eq!(all.loan_days(&patron("ST"), &item("DVD")), 4);
        assert_eq!(all.loan_days(&patron("ST"), &item("BK")), 3);
        assert_eq!(all.loan_days(&patron("PT"), &item("DVD")), 2);
        assert_eq!(all.loan_days(&patron("PT"), &item("BK")), 1);
        let without_exact = RuleTable::new(all.rules()[..3].to_vec());
        assert_eq!(without_exact.loan_days(&patron("ST"), &item("DVD")), 3);
        assert_eq!(
            RuleTable::default().loan_days(&patron("PT"), &item("BK")),
            14
        );
    }

    #[test]
    fn renewal_days_fall_back_to_loan_days() {
        let table = RuleTable::new(vec![
            LoanRule {
                renewal_days: Some(5),
                ..rule(None, Some("DVD"), 7)
            },
            rule(None, None, 21),
        ]);
        assert_eq!(table.renewal_days(&patron("PT"), &item("DVD")), 5);
        assert_eq!(table.renewal_days(&patron("PT"), &item("BK")), 21);
        assert_eq!(
            RuleTable::default().renewal_days(&patron("PT"), &item("BK")),
            14
        );
    }

    #[test]
    fn due_at_the_end_of_the_last_day() {
        let from = NaiveDate::from_ymd_opt(2026, 7, 22)
            .unwrap()
            .and_hms_opt(10, 15, 30)
            .unwrap();
        assert_eq!(
            due_at_end_of_day(from, 14).to_string(),
            "2026-08-05 23:59:00"
        );
        assert_eq!(due_at_end_of_day(from, u32::MAX).date(), NaiveDate::MAX);
    }
}
