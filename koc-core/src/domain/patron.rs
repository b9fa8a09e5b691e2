use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A library user who borrows items, known at the desk by card number.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patron {
    /// The card number (unique).
    pub cardnumber: String,
    /// The login name (unique when present). Koha finds a patron by it when
    /// no card number matches.
    pub userid: Option<String>,
    /// Family name.
    pub surname: String,
    /// Given name.
    pub firstname: Option<String>,
    /// Patron category code (`PT`, `ST` ...), which loan rules refer to.
    pub category: Option<String>,
    /// Home library code.
    pub branch: Option<String>,
    /// Last day the membership is valid.
    pub expiry: Option<NaiveDate>,
    /// Restricted (Koha: debarred) up to and including this day.
    pub restricted_until: Option<NaiveDate>,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Street address.
    pub address: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Date of birth.
    pub date_of_birth: Option<NaiveDate>,
}

impl Patron {
    /// A patron with a card number and a surname, nothing else.
    pub fn new(cardnumber: impl Into<String>, surname: impl Into<String>) -> Patron {
        Patron {
            cardnumber: cardnumber.into(),
            surname: surname.into(),
            ..Patron::default()
        }
    }

    /// `Firstname Surname`, or the surname alone.
    pub fn display_name(&self) -> String {
        match self.firstname.as_deref().filter(|f| !f.is_empty()) {
            Some(first) => format!("{first} {}", self.surname),
            None => self.surname.clone(),
        }
    }

    /// Whether the membership had expired on `day`.
    pub fn is_expired_on(&self, day: NaiveDate) -> bool {
        self.expiry.is_some_and(|expiry| expiry < day)
    }

    /// Whether the patron was restricted on `day`.
    pub fn is_restricted_on(&self, day: NaiveDate) -> bool {
        self.restricted_until.is_some_and(|until| day <= until)
    }
}
