use std::fmt;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::Operation;
use crate::time_text::{TimePrecision, push_time};

/// What makes two uploaded operations the same: the time with milliseconds,
/// the action, the card number, the barcode and the amount.
///
/// It is a canonical text, not a hash: stable across versions and platforms
/// by construction, free of collisions, and readable in a database. Fields
/// are separated by TAB; a TAB or backslash inside a field is escaped, so two
/// different operations never share a fingerprint. Time comes first, so
/// fingerprints of a file sort like its operations.
///
/// ```
/// use koc_core::Fingerprint;
/// use koc_format::Action;
///
/// let text = Fingerprint::from_parts(
///     "2026-07-22T10:17:45".parse().unwrap(),
///     Action::Payment,
///     Some("23529001000463"),
///     None,
///     Some("5".parse().unwrap()),
/// );
/// assert_eq!(text.as_str(), "2026-07-22 10:17:45.000\tpayment\t23529001000463\t\t5.00");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The fingerprint of an operation.
    pub fn of(operation: &Operation) -> Fingerprint {
        Fingerprint::from_parts(
            operation.time,
            operation.action,
            operation.cardnumber.as_deref(),
            operation.barcode.as_deref(),
            operation.amount,
        )
    }

    /// The fingerprint of these parts.
    pub fn from_parts(
        time: chrono::NaiveDateTime,
        action: koc_format::Action,
        cardnumber: Option<&str>,
        barcode: Option<&str>,
        amount: Option<crate::Money>,
    ) -> Fingerprint {
        let mut text = String::with_capacity(64);
        // Milliseconds always, finer digits only when present.
        push_time(&mut text, time, TimePrecision::Millis);
        let sub_milli = chrono::Timelike::nanosecond(&time) % 1_000_000;
        if sub_milli != 0 {
            let _ = write!(text, "{sub_milli:06}");
        }
        text.push('\t');
        text.push_str(action.as_str());
        text.push('\t');
        push_escaped(&mut text, cardnumber.unwrap_or_default());
        text.push('\t');
        push_escaped(&mut text, barcode.unwrap_or_default());
        text.push('\t');
        if let Some(amount) = amount {
            let _ = write!(text, "{amount}");
        }
        Fingerprint(text)
    }

    /// A fingerprint read back from a store, as [`Fingerprint::as_str`] gave it.
    pub fn from_stored(text: String) -> Fingerprint {
        Fingerprint(text)
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The canonical text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

fn push_escaped(text: &mut String, field: &str) {
    // A byte search: TAB and backslash are ASCII, and never part of
    // another character in UTF-8.
    if !field.bytes().any(|b| b == b'\t' || b == b'\\') {
        text.push_str(field);
        return;
    }
    for c in field.chars() {
        match c {
            '\t' => text.push_str("\\t"),
            '\\' => text.push_str("\\\\"),
            c => text.push(c),
        }
    }
}

impl AsRef<str> for Fingerprint {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Fingerprint {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koc_format::Action;

    fn at(text: &str) -> chrono::NaiveDateTime {
        chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    #[test]
    fn pinned_texts_never_change() {
        // These exact strings are stored in databases: changing them would
        // let re-uploads in. Never edit this test to make it pass.
        let issue = Fingerprint::from_parts(
            at("2026-07-22 10:15:30.000"),
            Action::Issue,
            Some("23529001000463"),
            Some("31000000123456"),
            None,
        );
        assert_eq!(
            issue.as_str(),
            "2026-07-22 10:15:30.000\tissue\t23529001000463\t31000000123456\t"
        );
        let payment = Fingerprint::from_parts(
            at("2026-07-22 10:17:45.250"),
            Action::Payment,
            Some("23529001000463"),
            None,
            Some("1234.56".parse().unwrap()),
        );
        assert_eq!(
            payment.as_str(),
            "2026-07-22 10:17:45.250\tpayment\t23529001000463\t\t1234.56"
        );
        let micro = Fingerprint::from_parts(
            at("2026-07-22 10:17:45.250100"),
            Action::Return,
            None,
            Some("b"),
            None,
        );
        assert_eq!(
            micro.as_str(),
            "2026-07-22 10:17:45.250100000\treturn\t\tb\t"
        );
    }

    #[test]
    fn equal_amounts_written_differently_are_the_same() {
        let a = Fingerprint::from_parts(
            at("2026-07-22 10:00:00"),
            Action::Payment,
            Some("c"),
            None,
            Some("5".parse().unwrap()),
        );
        let b = Fingerprint::from_parts(
            at("2026-07-22 10:00:00"),
            Action::Payment,
            Some("c"),
            None,
            Some("5.000".parse().unwrap()),
        );
        assert_eq!(a, b);
    }

    #[test]
    fn tabs_inside_fields_cannot_forge_another_operation() {
        let a = Fingerprint::from_parts(
            at("2026-07-22 10:00:00"),
            Action::Issue,
            Some("a\tb"),
            Some("c"),
            None,
        );
        let b = Fingerprint::from_parts(
            at("2026-07-22 10:00:00"),
            Action::Issue,
            Some("a"),
            Some("b\tc"),
            None,
        );
        assert_ne!(a, b);
        let c = Fingerprint::from_parts(
            at("2026-07-22 10:00:00"),
            Action::Issue,
            Some("a\\"),
            Some("tc"),
            None,
        );
        assert_ne!(a, c);
    }

    #[test]
    fn milliseconds_tell_operations_apart() {
        let a = Fingerprint::from_parts(
            at("2026-07-22 10:00:00.001"),
            Action::Return,
            None,
            Some("b"),
            None,
        );
        let b = Fingerprint::from_parts(
            at("2026-07-22 10:00:00.002"),
            Action::Return,
            None,
            Some("b"),
            None,
        );
        assert_ne!(a, b);
    }
}
