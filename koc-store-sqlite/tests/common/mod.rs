//! A synthetic library and a day of offline operations on it, the same for
//! a given seed: for the crash, concurrency and throughput tests.

#![allow(dead_code)] // each test file uses part of it

use std::collections::HashSet;

use chrono::{Duration, NaiveDateTime};
use koc_core::{Action, Item, LoanRule, Money, NewDebt, NewHold, Operation, Patron, Source};

/// xorshift64*: small, fast, and the same everywhere.
pub struct Random(u64);

impl Random {
    pub fn new(seed: u64) -> Random {
        Random(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

pub fn card(n: usize) -> String {
    format!("2352900{n:07}")
}

pub fn barcode(n: usize) -> String {
    format!("3100000{n:07}")
}

const SURNAMES: [&str; 8] = [
    "Doe",
    "Smith",
    "López",
    "Chen",
    "Østergård",
    "Okafor",
    "Novak",
    "Tanaka",
];
const FIRSTNAMES: [&str; 6] = ["Jane", "John", "María", "Kai", "Åse", "Ada"];

pub fn patrons(count: usize) -> Vec<Patron> {
    (0..count)
        .map(|n| Patron {
            userid: (n % 3 == 0).then(|| format!("user{n}")),
            firstname: Some(FIRSTNAMES[n % FIRSTNAMES.len()].to_owned()),
            category: Some(if n % 5 == 0 { "ST" } else { "PT" }.to_owned()),
            branch: Some("CPL".to_owned()),
            ..Patron::new(card(n), SURNAMES[n % SURNAMES.len()])
        })
        .collect()
}

pub fn items(count: usize) -> Vec<Item> {
    (0..count)
        .map(|n| Item {
            itemtype: Some(if n % 7 == 0 { "DVD" } else { "BK" }.to_owned()),
            homebranch: Some("CPL".to_owned()),
            ..Item::new(barcode(n), format!("Title {n}"))
        })
        .collect()
}

pub fn start() -> NaiveDateTime {
    NaiveDateTime::parse_from_str("2026-07-22 08:00:00", "%Y-%m-%d %H:%M:%S").unwrap_or_default()
}

/// Debts of one patron in ten, dated before the operations.
pub fn debts(patrons: usize) -> Vec<NewDebt> {
    (0..patrons)
        .step_by(10)
        .map(|n| NewDebt {
            cardnumber: card(n),
            amount: Money::from_cents(150 + (n % 7) as i64 * 100),
            description: Some(format!("Overdue {n}")),
            created_at: Some(start() - Duration::days(30)),
        })
        .collect()
}

/// Holds on one item in fifty, by the patron whose number is the item's
/// modulo the patrons, placed before the operations.
pub fn holds(patrons: usize, items: usize) -> Vec<NewHold> {
    (0..items)
        .step_by(50)
        .map(|n| NewHold {
            barcode: barcode(n),
            cardnumber: card(n % patrons),
            placed_at: start() - Duration::days(2),
        })
        .collect()
}

/// Loan rules: 14 days, 7 for DVDs, 21 for students.
pub fn rules() -> Vec<LoanRule> {
    let rule = |category: Option<&str>, itemtype: Option<&str>, days: u32| LoanRule {
        category: category.map(str::to_owned),
        itemtype: itemtype.map(str::to_owned),
        loan_days: days,
        renewal_days: None,
    };
    vec![
        rule(None, None, 14),
        rule(None, Some("DVD"), 7),
        rule(Some("ST"), None, 21),
    ]
}

/// `count` operations, one every 250 ms from [`start`], for desks of two
/// libraries: mostly issues of items on the shelf, returns of items on loan,
/// renewals and payments, with a few percent of unknown cards and barcodes
/// and of returns of items not on loan.
pub fn operations(seed: u64, count: usize, patrons: usize, items: usize) -> Vec<Operation> {
    let mut random = Random::new(seed);
    let mut lent: Vec<(usize, usize)> = Vec::new(); // (item, patron)
    let mut on_loan: HashSet<usize> = HashSet::new();
    let mut time = start();
    let mut operations = Vec::with_capacity(count);
    for line in 0..count {
        time += Duration::milliseconds(250);
        let branch = if random.chance(50) { "CPL" } else { "FFL" };
        let roll = random.below(100);
        let (action, card_no, item_no, amount) = if roll < 45 || lent.is_empty() {
            let mut item = random.below(items);
            while on_loan.contains(&item) && on_loan.len() < items {
                item = random.below(items);
            }
            let patron = random.below(patrons);
            on_loan.insert(item);
            lent.push((item, patron));
            (Action::Issue, Some(patron), Some(item), None)
        } else if roll < 80 {
            let (item, _) = lent.swap_remove(random.below(lent.len()));
            on_loan.remove(&item);
            (Action::Return, None, Some(item), None)
        } else if roll < 90 {
            let (item, patron) = lent[random.below(lent.len())];
            (Action::Issue, Some(patron), Some(item), None)
        } else {
            let cents = 50 + random.below(500) as i64;
            (
                Action::Payment,
                Some(random.below(patrons)),
                None,
                Some(cents),
            )
        };
        let mut cardnumber = card_no.map(card);
        let mut barcode_text = item_no.map(barcode);
        if random.chance(2) {
            cardnumber = cardnumber.map(|_| format!("99999{line:09}"));
        }
        if random.chance(2) {
            barcode_text = barcode_text.map(|_| format!("39999{line:09}"));
        }
        operations.push(Operation {
            action,
            time,
            cardnumber,
            barcode: barcode_text,
            amount: amount.map(Money::from_cents),
            due: None,
            userid: "desk".to_owned(),
            branch: branch.to_owned(),
            workstation: Some(format!("{branch}-1")),
            source: Source::File {
                name: format!("{branch}.koc"),
                line: line as u64 + 2,
            },
        });
    }
    operations
}
