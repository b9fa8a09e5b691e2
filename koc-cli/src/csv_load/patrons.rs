//! `koc load patrons`: cardnumber*, userid, surname*, firstname,
//! categorycode, branchcode, dateexpiry, debarred, email, phone, address,
//! city, dateofbirth.

use std::collections::HashMap;

use koc_core::Patron;

use super::fields;
use super::rows::{Parsed, Row};

/// The columns that must be in the header.
pub const REQUIRED: &[&str] = &["cardnumber", "surname"];

/// A patron from a row.
pub fn parse(row: &Row<'_>) -> Result<Patron, String> {
    Ok(Patron {
        cardnumber: row.required("cardnumber")?.to_owned(),
        userid: row.text("userid"),
        surname: row.required("surname")?.to_owned(),
        firstname: row.text("firstname"),
        category: row.text("categorycode"),
        branch: row.text("branchcode"),
        expiry: row.parsed("dateexpiry", fields::date)?,
        restricted_until: row.parsed("debarred", fields::date)?,
        email: row.text("email"),
        phone: row.text("phone"),
        address: row.text("address"),
        city: row.text("city"),
        date_of_birth: row.parsed("dateofbirth", fields::date)?,
    })
}

/// Rows giving one username to two different card numbers.
pub fn conflicts(patrons: &Parsed<Key>) -> Vec<(u64, String)> {
    let mut seen: HashMap<&str, (u64, &str)> = HashMap::new();
    let mut bad = Vec::new();
    for (line, patron) in patrons {
        let Some(userid) = patron.userid.as_deref() else {
            continue;
        };
        match seen.get(userid) {
            Some((first, card)) if *card != patron.cardnumber => bad.push((
                *line,
                format!("userid `{userid}` is already given to card number {card} on line {first}"),
            )),
            _ => {
                seen.insert(userid, (*line, &patron.cardnumber));
            }
        }
    }
    bad
}

/// What the checks across rows need of a patron.
pub struct Key {
    cardnumber: String,
    userid: Option<String>,
}

impl From<Patron> for Key {
    fn from(patron: Patron) -> Key {
        Key {
            cardnumber: patron.cardnumber,
            userid: patron.userid,
        }
    }
}
