//! The library's records: patrons, items, loans, fines, holds and loan rules.
//!
//! Every record is derived from the seed and its index alone, with a
//! generator of its own ([`stream`]). So the CSV files, the stores the
//! benchmarks fill and the simulation agree with each other without the
//! catalogue ever being held in memory, and a change to how one kind of
//! record is drawn leaves every other kind as it was.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

use super::Library;
use super::names::{
    BRANCHES, CITIES, FINE_DESCRIPTIONS, FIRST_NAMES, STREETS, SURNAMES, TITLE_ADJECTIVES,
    TITLE_NOUNS,
};

/// Card numbers of the library's patrons start with this; patron `i` has
/// `23529` and `i` in nine digits.
pub const CARD_PREFIX: &str = "23529";
/// Card numbers no patron has start with this.
pub const UNKNOWN_CARD_PREFIX: &str = "23599";
/// Barcodes of the library's items start with this; item `i` has `31000`
/// and `i` in nine digits.
pub const BARCODE_PREFIX: &str = "31000";
/// Barcodes no item has start with this.
pub const UNKNOWN_BARCODE_PREFIX: &str = "31999";

/// Which generator: each kind of record draws from streams of its own.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Stream {
    PatronText = 1,
    PatronFacts = 2,
    ItemText = 3,
    ItemFacts = 4,
    ConflictLoan = 5,
    Outage = 6,
}

/// The generator for record `index` of kind `stream`.
pub(crate) fn stream(seed: u64, stream: Stream, index: u64) -> Xoshiro256PlusPlus {
    let key = mix(mix(seed) ^ ((stream as u64) << 56) ^ index);
    Xoshiro256PlusPlus::seed_from_u64(key)
}

/// SplitMix64's finaliser: spreads neighbouring keys far apart.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Appends `prefix` and `index` in nine digits to `out` (card numbers and
/// barcodes, without an allocation each).
pub(crate) fn push_code(out: &mut String, prefix: &str, index: u64) {
    out.push_str(prefix);
    let mut digits = [b'0'; 9];
    let mut n = index % 1_000_000_000;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend(digits.iter().map(|&d| char::from(d)));
}

/// The card number of patron `index`.
pub fn cardnumber(index: u32) -> String {
    let mut card = String::with_capacity(14);
    push_code(&mut card, CARD_PREFIX, u64::from(index));
    card
}

/// The barcode of item `index`.
pub fn barcode(index: u32) -> String {
    let mut code = String::with_capacity(14);
    push_code(&mut code, BARCODE_PREFIX, u64::from(index));
    code
}

fn pick<T: Copy>(rng: &mut Xoshiro256PlusPlus, list: &[T]) -> T {
    list[rng.random_range(0..list.len())]
}

/// A time of day when libraries are open, 09:00 to 19:59.
fn opening_hours(rng: &mut Xoshiro256PlusPlus) -> NaiveTime {
    NaiveTime::from_hms_opt(
        rng.random_range(9..20),
        rng.random_range(0..60),
        rng.random_range(0..60),
    )
    .unwrap_or(NaiveTime::MIN)
}

/// A moment `1..=max_days` days before `at`, during opening hours.
fn days_before(rng: &mut Xoshiro256PlusPlus, at: NaiveDateTime, max_days: i64) -> NaiveDateTime {
    let day = at.date() - TimeDelta::days(rng.random_range(1..=max_days));
    day.and_time(opening_hours(rng))
}

fn end_of_day(day: NaiveDate, days_later: i64) -> NaiveDateTime {
    (day + TimeDelta::days(days_later))
        .and_hms_opt(23, 59, 0)
        .unwrap_or(NaiveDateTime::MIN)
}

/// A patron, with the columns of `koc load patrons`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatronRecord {
    /// `23529` and the index in nine digits.
    pub cardnumber: String,
    /// The login name, for most patrons.
    pub userid: Option<String>,
    /// Family name (some with accents).
    pub surname: &'static str,
    /// Given name.
    pub firstname: &'static str,
    /// `PT` (adult), `ST` (student), `J` (juvenile) or `STAFF`.
    pub category: &'static str,
    /// Home library.
    pub branch: &'static str,
    /// Last day of membership; about 3% expired before the first outage.
    pub expiry: NaiveDate,
    /// Restricted (Koha: debarred) until; about 1% of patrons.
    pub restricted_until: Option<NaiveDate>,
    /// E-mail address, for most.
    pub email: Option<String>,
    /// Phone number, for some.
    pub phone: Option<String>,
    /// Street address.
    pub address: String,
    /// City.
    pub city: &'static str,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
}

/// An item, with the columns of `koc load items`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemRecord {
    /// `31000` and the index in nine digits.
    pub barcode: String,
    /// Title.
    pub title: String,
    /// `Surname, Firstname`.
    pub author: String,
    /// Shelf mark.
    pub callnumber: String,
    /// `BK`, `JBK`, `DVD`, `CD` or `MAG`.
    pub itemtype: &'static str,
    /// Owning library.
    pub homebranch: &'static str,
    /// Where it is.
    pub holdingbranch: &'static str,
    /// `available` for about 97.5%; else `lost`, `withdrawn`, `notforloan`
    /// or `damaged`.
    pub status: &'static str,
}

/// What the simulation and the loans, holds and conflicts need of an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ItemFacts {
    /// Its open loan when the first outage begins (about 15% of items).
    pub loan: Option<LoanRecord>,
    /// A hold on it (about 1% of items).
    pub hold: Option<HoldRecord>,
    /// Whether someone borrows it at the live desk after the last outage
    /// (about 1% of items): an offline operation on it then meets a newer
    /// loan, a conflict.
    pub conflict: bool,
    /// `BK` ... (the loan period depends on it).
    pub itemtype: &'static str,
    /// `available` ...
    pub status: &'static str,
}

/// An open loan, with the columns of `koc load loans` (by index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoanRecord {
    /// The item lent.
    pub item: u32,
    /// The borrower.
    pub patron: u32,
    /// When it was lent.
    pub issued_at: NaiveDateTime,
    /// When it is due.
    pub due_at: NaiveDateTime,
    /// Renewals so far.
    pub renewals: u32,
}

/// A debt, with the columns of `koc load fines`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FineRecord {
    /// Who owes it.
    pub patron: u32,
    /// How much, in cents (50 to 1 500).
    pub cents: u32,
    /// What for.
    pub description: &'static str,
    /// When it was charged.
    pub created_at: NaiveDateTime,
}

/// A hold, with the columns of `koc load holds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HoldRecord {
    /// The item held.
    pub item: u32,
    /// Who placed it.
    pub patron: u32,
    /// When.
    pub placed_at: NaiveDateTime,
}

/// A loan rule, with the columns of `koc load rules` (`*` = any).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleRecord {
    /// Patron category or `*`.
    pub category: &'static str,
    /// Item type or `*`.
    pub itemtype: &'static str,
    /// Days a loan lasts.
    pub loan_days: u32,
    /// Days a renewal adds.
    pub renewal_days: u32,
}

/// The loan rules: 14 days, 7 for DVDs and magazines, 21 for juveniles,
/// 28 for staff.
pub const RULES: &[RuleRecord] = &[
    RuleRecord {
        category: "*",
        itemtype: "*",
        loan_days: 14,
        renewal_days: 14,
    },
    RuleRecord {
        category: "*",
        itemtype: "DVD",
        loan_days: 7,
        renewal_days: 7,
    },
    RuleRecord {
        category: "*",
        itemtype: "MAG",
        loan_days: 7,
        renewal_days: 7,
    },
    RuleRecord {
        category: "J",
        itemtype: "*",
        loan_days: 21,
        renewal_days: 21,
    },
    RuleRecord {
        category: "STAFF",
        itemtype: "*",
        loan_days: 28,
        renewal_days: 28,
    },
];

fn loan_days(itemtype: &str) -> i64 {
    match itemtype {
        "DVD" | "MAG" => 7,
        _ => 14,
    }
}

impl Library {
    /// Patron `index` (below the number of patrons).
    pub fn patron(&self, index: u32) -> PatronRecord {
        let mut rng = stream(self.spec.seed, Stream::PatronText, u64::from(index));
        let firstname = pick(&mut rng, FIRST_NAMES);
        let surname = pick(&mut rng, SURNAMES);
        let category = match rng.random_range(0..100) {
            0..75 => "PT",
            75..90 => "ST",
            90..98 => "J",
            _ => "STAFF",
        };
        let branch = pick(&mut rng, BRANCHES);
        let start = self.start.date();
        let expiry = match rng.random_range(0..100) {
            0..3 => start - TimeDelta::days(rng.random_range(1..=400)),
            _ => start + TimeDelta::days(rng.random_range(30..=1_500)),
        };
        let restricted_until = (rng.random_range(0..100) == 0)
            .then(|| start + TimeDelta::days(rng.random_range(1..=120)));
        let userid = (rng.random_range(0..100) < 85)
            .then(|| format!("{}.{index}", firstname.to_lowercase()));
        let email = (rng.random_range(0..100) < 70)
            .then(|| format!("{}.{index}@example.org", firstname.to_lowercase()));
        let phone = (rng.random_range(0..100) < 40)
            .then(|| format!("555-{:04}", rng.random_range(0..10_000)));
        let address = format!("{} {}", rng.random_range(1..300), pick(&mut rng, STREETS));
        let city = pick(&mut rng, CITIES);
        let born = start.year()
            - if category == "J" {
                rng.random_range(5..16)
            } else {
                rng.random_range(17..90)
            };
        let date_of_birth =
            NaiveDate::from_ymd_opt(born, rng.random_range(1..=12), rng.random_range(1..=28))
                .unwrap_or(NaiveDate::MIN);
        PatronRecord {
            cardnumber: cardnumber(index),
            userid,
            surname,
            firstname,
            category,
            branch,
            expiry,
            restricted_until,
            email,
            phone,
            address,
            city,
            date_of_birth,
        }
    }

    /// Item `index` (below the number of items).
    pub fn item(&self, index: u32) -> ItemRecord {
        let facts = self.item_facts(index);
        let mut rng = stream(self.spec.seed, Stream::ItemText, u64::from(index));
        let adjective = pick(&mut rng, TITLE_ADJECTIVES);
        let noun = pick(&mut rng, TITLE_NOUNS);
        let title = match rng.random_range(0..3) {
            0 => format!("The {adjective} {noun}"),
            1 => format!("{adjective} {noun} of the {}", pick(&mut rng, TITLE_NOUNS)),
            _ => format!("{noun}s of {adjective} Days"),
        };
        let surname = pick(&mut rng, SURNAMES);
        let author = format!("{surname}, {}", pick(&mut rng, FIRST_NAMES));
        let shelf: String = surname.chars().take(3).collect::<String>().to_uppercase();
        let callnumber = match facts.itemtype {
            "BK" | "JBK" if rng.random_range(0..2) == 0 => format!("FIC {shelf}"),
            "DVD" => format!("DVD {shelf}"),
            "CD" => format!("CD {shelf}"),
            _ => format!(
                "{:03}.{:02} {shelf}",
                rng.random_range(0..1000),
                rng.random_range(0..100)
            ),
        };
        let homebranch = pick(&mut rng, BRANCHES);
        let holdingbranch = if rng.random_range(0..10) == 0 {
            pick(&mut rng, BRANCHES)
        } else {
            homebranch
        };
        ItemRecord {
            barcode: barcode(index),
            title,
            author,
            callnumber,
            itemtype: facts.itemtype,
            homebranch,
            holdingbranch,
            status: facts.status,
        }
    }

    /// What the simulation needs of item `index`.
    pub(crate) fn item_facts(&self, index: u32) -> ItemFacts {
        let mut rng = stream(self.spec.seed, Stream::ItemFacts, u64::from(index));
        let itemtype = match rng.random_range(0..100) {
            0..72 => "BK",
            72..82 => "JBK",
            82..90 => "DVD",
            90..95 => "CD",
            _ => "MAG",
        };
        let status = match rng.random_range(0..1000) {
            0..975 => "available",
            975..985 => "lost",
            985..990 => "withdrawn",
            990..995 => "notforloan",
            _ => "damaged",
        };
        let patrons = self.spec.patrons;
        let loan = (rng.random_range(0..100) < 15).then(|| {
            let issued_at = days_before(&mut rng, self.start, 40);
            LoanRecord {
                item: index,
                patron: rng.random_range(0..patrons),
                issued_at,
                due_at: end_of_day(issued_at.date(), loan_days(itemtype)),
                renewals: match rng.random_range(0..10) {
                    0..7 => 0,
                    7..9 => 1,
                    _ => 2,
                },
            }
        });
        let hold = (rng.random_range(0..100) == 0).then(|| HoldRecord {
            item: index,
            patron: rng.random_range(0..patrons),
            placed_at: days_before(&mut rng, self.start, 20),
        });
        let conflict = rng.random_range(0..100) == 0;
        ItemFacts {
            loan,
            hold,
            conflict,
            itemtype,
            status,
        }
    }

    /// The loan made at the live desk, after the last outage ended at
    /// `last_end`, of conflict item `index`.
    pub(crate) fn conflict_loan(&self, index: u32, last_end: NaiveDateTime) -> LoanRecord {
        let mut rng = stream(self.spec.seed, Stream::ConflictLoan, u64::from(index));
        let issued_at = last_end + TimeDelta::minutes(rng.random_range(60..=72 * 60));
        LoanRecord {
            item: index,
            patron: rng.random_range(0..self.spec.patrons),
            issued_at,
            due_at: end_of_day(issued_at.date(), 14),
            renewals: 0,
        }
    }

    /// The fines of patron `index` (none for most patrons), oldest first.
    pub fn fines_of(&self, index: u32) -> Vec<FineRecord> {
        let mut rng = stream(self.spec.seed, Stream::PatronFacts, u64::from(index));
        if rng.random_range(0..1000) >= self.debtor_per_mille {
            return Vec::new();
        }
        let mut fines: Vec<FineRecord> = (0..rng.random_range(1..=3))
            .map(|_| FineRecord {
                patron: index,
                cents: rng.random_range(5..=150) * 10,
                description: pick(&mut rng, FINE_DESCRIPTIONS),
                created_at: days_before(&mut rng, self.start, 180),
            })
            .collect();
        fines.sort_by_key(|f| f.created_at);
        fines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::LibrarySpec;

    #[test]
    fn codes_have_fourteen_characters() {
        assert_eq!(cardnumber(0), "23529000000000");
        assert_eq!(cardnumber(123_456), "23529000123456");
        assert_eq!(barcode(499_999), "31000000499999");
    }

    #[test]
    fn records_depend_on_seed_and_index_only() {
        let a = Library::new(LibrarySpec::new(100, 100, 10, 1));
        let b = Library::new(LibrarySpec::new(100, 100, 10, 1));
        let c = Library::new(LibrarySpec::new(100, 100, 10, 2));
        assert_eq!(a.patron(7), b.patron(7));
        assert_eq!(a.item(7), b.item(7));
        assert_ne!(a.patron(7), a.patron(8));
        assert!((0..20).any(|i| a.item(i) != c.item(i)));
    }
}
