//! Exact money amounts.

use std::fmt;
use std::str::FromStr;

/// Number of decimal places an [`Amount`] keeps: Koha stores `decimal(28,6)`.
pub const SCALE: u32 = 6;

const ONE: i64 = 1_000_000;

/// An exact decimal amount of money with six decimal places, as Koha stores
/// it. Never floating point.
///
/// The value is held as a whole number of millionths, so `5.00` and `5` are
/// the same amount. It may be negative (a patron's balance can be a credit);
/// the `.koc` reader only accepts positive payments.
///
/// ```
/// use koc_format::Amount;
///
/// let amount: Amount = "1234.56".parse()?;
/// assert_eq!(amount.to_string(), "1234.56");
/// assert_eq!(Amount::from_cents(500).to_string(), "5.00");
/// assert_eq!("0.125".parse::<Amount>()?.to_string(), "0.125");
/// # Ok::<(), koc_format::AmountError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(i64);

/// Why a text is not an [`Amount`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AmountError {
    /// The text is empty.
    #[error("the amount is empty")]
    Empty,
    /// A character other than digits, one leading `-` and one `.` separator
    /// (a decimal comma, a `+`, grouping, an exponent ...).
    #[error("expected digits with an optional `.` and up to 6 decimals")]
    Syntax,
    /// More than six digits after the `.`.
    #[error("more than 6 decimals")]
    TooManyDecimals,
    /// The amount does not fit (more than 9 223 372 036 854 units).
    #[error("the amount is too large")]
    TooLarge,
}

impl Amount {
    /// Zero.
    pub const ZERO: Amount = Amount(0);

    /// The amount of `micros` millionths of a unit.
    pub const fn from_micros(micros: i64) -> Amount {
        Amount(micros)
    }

    /// The amount of `cents` hundredths of a unit.
    pub const fn from_cents(cents: i64) -> Amount {
        Amount(cents.saturating_mul(ONE / 100))
    }

    /// The amount as a whole number of millionths.
    pub const fn micros(self) -> i64 {
        self.0
    }

    /// Whether the amount is greater than zero.
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// Whether the amount is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Whether the amount is less than zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// `self + other`, or `None` on overflow.
    pub const fn checked_add(self, other: Amount) -> Option<Amount> {
        match self.0.checked_add(other.0) {
            Some(v) => Some(Amount(v)),
            None => None,
        }
    }

    /// `self - other`, or `None` on overflow.
    pub const fn checked_sub(self, other: Amount) -> Option<Amount> {
        match self.0.checked_sub(other.0) {
            Some(v) => Some(Amount(v)),
            None => None,
        }
    }

    /// `self + other`, saturating at the bounds.
    pub const fn saturating_add(self, other: Amount) -> Amount {
        Amount(self.0.saturating_add(other.0))
    }

    /// `self - other`, saturating at the bounds.
    pub const fn saturating_sub(self, other: Amount) -> Amount {
        Amount(self.0.saturating_sub(other.0))
    }

    /// The smaller of two amounts.
    pub fn min(self, other: Amount) -> Amount {
        Ord::min(self, other)
    }

    /// Parses an amount: optional `-`, digits, and optionally `.` followed by
    /// one to six digits. Nothing else is accepted: no `+`, no grouping, no
    /// decimal comma, no exponent, no blanks.
    ///
    /// # Errors
    ///
    /// An [`AmountError`] saying what is wrong with the text.
    pub fn parse(text: &str) -> Result<Amount, AmountError> {
        Self::parse_bytes(text.as_bytes())
    }

    /// [`Amount::parse`] over bytes.
    ///
    /// # Errors
    ///
    /// As [`Amount::parse`].
    pub fn parse_bytes(text: &[u8]) -> Result<Amount, AmountError> {
        let (negative, digits) = match text.split_first() {
            None => return Err(AmountError::Empty),
            Some((b'-', rest)) => (true, rest),
            Some(_) => (false, text),
        };
        let (whole, fraction) = match memchr::memchr(b'.', digits) {
            Some(dot) => (&digits[..dot], Some(&digits[dot + 1..])),
            None => (digits, None),
        };
        if whole.is_empty() {
            return Err(AmountError::Syntax);
        }
        let mut units: i64 = 0;
        for &b in whole {
            if !b.is_ascii_digit() {
                return Err(AmountError::Syntax);
            }
            units = units
                .checked_mul(10)
                .and_then(|u| u.checked_add(i64::from(b - b'0')))
                .ok_or(AmountError::TooLarge)?;
        }
        let mut micros: i64 = 0;
        if let Some(fraction) = fraction {
            if fraction.is_empty() {
                return Err(AmountError::Syntax);
            }
            if fraction.iter().any(|b| !b.is_ascii_digit()) {
                return Err(AmountError::Syntax);
            }
            if fraction.len() > SCALE as usize {
                return Err(AmountError::TooManyDecimals);
            }
            for &b in fraction {
                micros = micros * 10 + i64::from(b - b'0');
            }
            micros *= 10_i64.pow(SCALE - fraction.len() as u32);
        }
        let value = units
            .checked_mul(ONE)
            .and_then(|u| u.checked_add(micros))
            .ok_or(AmountError::TooLarge)?;
        Ok(Amount(if negative { -value } else { value }))
    }
}

impl FromStr for Amount {
    type Err = AmountError;

    fn from_str(s: &str) -> Result<Amount, AmountError> {
        Amount::parse(s)
    }
}

/// Writes at least two decimals and more only when the amount has them, as
/// the desktop tool does for currency: `5.00`, `0.10`, `1234.56`, `0.125`.
impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let units = abs / ONE as u64;
        let mut micros = abs % ONE as u64;
        let mut decimals = SCALE;
        while decimals > 2 && micros.is_multiple_of(10) {
            micros /= 10;
            decimals -= 1;
        }
        write!(
            f,
            "{sign}{units}.{micros:0width$}",
            width = decimals as usize
        )
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Amount, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Amount::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_two_decimals_at_least() {
        for (micros, text) in [
            (5_000_000, "5.00"),
            (2_500_000, "2.50"),
            (100_000, "0.10"),
            (1_234_560_000, "1234.56"),
            (125_000, "0.125"),
            (1, "0.000001"),
            (0, "0.00"),
            (-5_000_000, "-5.00"),
        ] {
            assert_eq!(Amount::from_micros(micros).to_string(), text);
        }
    }

    #[test]
    fn parses_exact_decimals() {
        assert_eq!(Amount::parse("5"), Ok(Amount::from_micros(5_000_000)));
        assert_eq!(Amount::parse("5.00"), Ok(Amount::from_micros(5_000_000)));
        assert_eq!(Amount::parse("0.1"), Ok(Amount::from_micros(100_000)));
        assert_eq!(Amount::parse("-5.00"), Ok(Amount::from_micros(-5_000_000)));
        assert_eq!(Amount::parse("0.123456"), Ok(Amount::from_micros(123_456)));
    }

    #[test]
    fn rejects_what_is_not_an_exact_decimal() {
        assert_eq!(Amount::parse(""), Err(AmountError::Empty));
        assert_eq!(Amount::parse("5,00"), Err(AmountError::Syntax));
        assert_eq!(Amount::parse("+5"), Err(AmountError::Syntax));
        assert_eq!(Amount::parse("5."), Err(AmountError::Syntax));
        assert_eq!(Amount::parse(".5"), Err(AmountError::Syntax));
        assert_eq!(Amount::parse("1e3"), Err(AmountError::Syntax));
        assert_eq!(Amount::parse("1 000"), Err(AmountError::Syntax));
        assert_eq!(Amount::parse("-"), Err(AmountError::Syntax));
        assert_eq!(
            Amount::parse("0.1234567"),
            Err(AmountError::TooManyDecimals)
        );
        assert_eq!(
            Amount::parse("99999999999999999999"),
            Err(AmountError::TooLarge)
        );
        assert_eq!(Amount::parse("9223372036855"), Err(AmountError::TooLarge));
    }
}
