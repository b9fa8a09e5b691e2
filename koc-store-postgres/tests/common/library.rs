//! A generated library and a day of offline operations on it, for the
//! throughput test and for comparing the store with the reference store.

use chrono::{Duration, NaiveDateTime};
use koc_core::{
    Action, Item, Loan, LoanRule, Money, NewDebt, Operation, Patron, Result, Source, Store,
};

/// A small deterministic generator (xorshift64*).
pub struct Dice(pub u64);

impl Dice {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

pub fn card(i: usize) -> String {
    format!("2352900{i:07}")
}

pub fn barcode(i: usize) -> String {
    format!("3100000{i:07}")
}

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
}

pub struct Library {
    pub patrons: Vec<Patron>,
    pub items: Vec<Item>,
    pub loans: Vec<Loan>,
    pub debts: Vec<NewDebt>,
    pub operations: Vec<Operation>,
}

/// A library and a day of offline operations on it that mostly succeed:
/// issues of items on the shelf, returns and renewals of items on loan,
/// payments of real debts, and a few unknown cards and barcodes and
/// returns from other patrons.
pub fn generate(patrons: usize, items: usize, operations: usize) -> Library {
    let mut dice = Dice(0x6b6f_6321);
    let surnames = [
        "Doe",
        "Smith",
        "López",
        "Chen",
        "Østergård",
        "Nakamura",
        "Okafor",
    ];
    let firsts = ["Jane", "John", "María", "Kai", "Åse", "Yuki", "Ada"];
    let patron_list: Vec<Patron> = (0..patrons)
        .map(|i| Patron {
            userid: Some(format!("user{i}")),
            firstname: Some(firsts[i % firsts.len()].to_owned()),
            category: Some(if i % 5 == 0 { "ST" } else { "PT" }.to_owned()),
            branch: Some("CPL".to_owned()),
            ..Patron::new(
                card(i),
                format!("{}{}", surnames[i % surnames.len()], i % 1000),
            )
        })
        .collect();
    let item_list: Vec<Item> = (0..items)
        .map(|i| Item {
            itemtype: Some(if i % 10 == 0 { "DVD" } else { "BK" }.to_owned()),
            homebranch: Some("CPL".to_owned()),
            ..Item::new(barcode(i), format!("Title {i}"))
        })
        .collect();
    // A fifth of the items are on loan when the outage starts.
    let mut borrower: Vec<Option<usize>> = vec![None; items];
    let mut on_loan: Vec<usize> = Vec::new();
    let mut loans = Vec::new();
    for i in (0..items).step_by(5) {
        let p = dice.below(patrons);
        borrower[i] = Some(p);
        on_loan.push(i);
        loans.push(Loan {
            barcode: barcode(i),
            cardnumber: card(p),
            issued_at: at("2026-07-01 10:00:00"),
            due_at: at("2026-07-15 23:59:00"),
            renewals: 0,
            last_renewed_at: None,
            branch: Some("CPL".to_owned()),
        });
    }
    let debtors: Vec<usize> = (0..patrons).step_by(10).collect();
    let debts = debtors
        .iter()
        .map(|&p| NewDebt {
            cardnumber: card(p),
            amount: Money::from_cents(250 + (p % 7) as i64 * 100),
            description: Some("Overdue".to_owned()),
            created_at: Some(at("2026-06-01 09:00:00")),
        })
        .collect();

    let mut time = at("2026-07-22 08:00:00");
    let mut list = Vec::with_capacity(operations);
    for line in 0..operations {
        time += Duration::milliseconds(1 + dice.below(40) as i64);
        let roll = dice.below(100);
        let (action, cardnumber, code, amount) = match roll {
            0..35 => {
                // An issue of an item on the shelf (or, failing that, a renewal).
                let mut i = dice.below(items);
                for _ in 0..4 {
                    if borrower[i].is_none() {
                        break;
                    }
                    i = dice.below(items);
                }
                let p = borrower[i].unwrap_or_else(|| dice.below(patrons));
                if borrower[i].is_none() {
                    borrower[i] = Some(p);
                    on_loan.push(i);
                }
                (Action::Issue, Some(card(p)), Some(barcode(i)), None)
            }
            35..70 if !on_loan.is_empty() => {
                let k = dice.below(on_loan.len());
                let i = on_loan.swap_remove(k);
                borrower[i] = None;
                (Action::Return, None, Some(barcode(i)), None)
            }
            70..80 if !on_loan.is_empty() => {
                let i = on_loan[dice.below(on_loan.len())];
                (Action::Issue, borrower[i].map(card), Some(barcode(i)), None)
            }
            80..90 => {
                let p = debtors[dice.below(debtors.len())];
                let cents = 100 + dice.below(400) as i64;
                (
                    Action::Payment,
                    Some(card(p)),
                    None,
                    Some(Money::from_cents(cents)),
                )
            }
            90..94 => (
                Action::Issue,
                Some(format!("9999{line:010}")),
                Some(barcode(dice.below(items))),
                None,
            ),
            94..97 => (Action::Return, None, Some(format!("8888{line:010}")), None),
            _ if !on_loan.is_empty() => {
                // Lent to someone else without a return in between.
                let i = on_loan[dice.below(on_loan.len())];
                let p = dice.below(patrons);
                borrower[i] = Some(p);
                (Action::Issue, Some(card(p)), Some(barcode(i)), None)
            }
            _ => (Action::Return, None, Some(barcode(0)), None),
        };
        list.push(Operation {
            action,
            time,
            cardnumber,
            barcode: code,
            amount,
            due: None,
            userid: "staff".to_owned(),
            branch: "CPL".to_owned(),
            workstation: Some(format!("desk-{}", line % 12)),
            source: Source::File {
                name: "koha-offline-circ-2026-07-22.koc".to_owned(),
                line: line as u64 + 2,
            },
        });
    }
    Library {
        patrons: patron_list,
        items: item_list,
        loans,
        debts,
        operations: list,
    }
}

impl Library {
    /// Loads the library (not the operations) into `store`, with two loan
    /// rules.
    pub async fn load<S: Store + ?Sized>(&self, store: &S) -> Result<()> {
        for chunk in self.patrons.chunks(10_000) {
            store.upsert_patrons(chunk).await?;
        }
        for chunk in self.items.chunks(20_000) {
            store.upsert_items(chunk).await?;
        }
        for chunk in self.loans.chunks(20_000) {
            store.upsert_loans(chunk).await?;
        }
        store.upsert_debts(&self.debts).await?;
        store
            .upsert_rules(&[
                LoanRule {
                    category: None,
                    itemtype: None,
                    loan_days: 14,
                    renewal_days: Some(10),
                },
                LoanRule {
                    category: None,
                    itemtype: Some("DVD".to_owned()),
                    loan_days: 7,
                    renewal_days: None,
                },
            ])
            .await
    }
}
