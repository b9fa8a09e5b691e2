//! The library as koc's domain types, loaded straight into a store (what
//! `koc load` does from the CSV files, without the files).

use chrono::NaiveDate;
use koc_core::{Circulation, Item, ItemStatus, Loan, LoanRule, Money, NewDebt, NewHold, Patron};

use super::{
    Aftermath, FineRecord, HoldRecord, ItemRecord, Library, LoanRecord, PatronRecord, RULES,
    barcode, cardnumber,
};

/// Records per store call.
const CHUNK: usize = 10_000;

impl PatronRecord {
    /// As a [`Patron`].
    pub fn to_patron(&self) -> Patron {
        Patron {
            cardnumber: self.cardnumber.clone(),
            userid: self.userid.clone(),
            surname: self.surname.to_owned(),
            firstname: Some(self.firstname.to_owned()),
            category: Some(self.category.to_owned()),
            branch: Some(self.branch.to_owned()),
            expiry: Some(self.expiry),
            restricted_until: self.restricted_until,
            email: self.email.clone(),
            phone: self.phone.clone(),
            address: Some(self.address.clone()),
            city: Some(self.city.to_owned()),
            date_of_birth: Some(self.date_of_birth).filter(|d| *d != NaiveDate::MIN),
        }
    }
}

impl ItemRecord {
    /// As an [`Item`].
    pub fn to_item(&self) -> Item {
        Item {
            title: Some(self.title.clone()),
            author: Some(self.author.clone()),
            callnumber: Some(self.callnumber.clone()),
            itemtype: Some(self.itemtype.to_owned()),
            homebranch: Some(self.homebranch.to_owned()),
            holdingbranch: Some(self.holdingbranch.to_owned()),
            status: self.status.parse().unwrap_or(ItemStatus::Available),
            ..Item::new(self.barcode.clone(), self.title.clone())
        }
    }
}

impl LoanRecord {
    /// As a [`Loan`].
    pub fn to_loan(&self) -> Loan {
        Loan {
            barcode: barcode(self.item),
            cardnumber: cardnumber(self.patron),
            issued_at: self.issued_at,
            due_at: self.due_at,
            renewals: self.renewals,
            last_renewed_at: None,
            branch: None,
        }
    }
}

impl FineRecord {
    /// As a [`NewDebt`].
    pub fn to_debt(&self) -> NewDebt {
        NewDebt {
            cardnumber: cardnumber(self.patron),
            amount: Money::from_cents(i64::from(self.cents)),
            description: Some(self.description.to_owned()),
            created_at: Some(self.created_at),
        }
    }
}

impl HoldRecord {
    /// As a [`NewHold`].
    pub fn to_hold(&self) -> NewHold {
        NewHold {
            barcode: barcode(self.item),
            cardnumber: cardnumber(self.patron),
            placed_at: self.placed_at,
        }
    }
}

/// Loads the library into `store` as it is once the outages are over:
/// patrons, items, loans, fines, holds and rules, in calls of 10 000
/// records.
///
/// # Errors
///
/// The store's.
pub async fn load_library<S: Circulation + ?Sized>(
    store: &S,
    library: &Library,
    aftermath: &Aftermath,
) -> koc_core::Result<()> {
    let mut patrons = Vec::with_capacity(CHUNK);
    for record in library.patrons() {
        patrons.push(record.to_patron());
        if patrons.len() == CHUNK {
            store.upsert_patrons(&patrons).await?;
            patrons.clear();
        }
    }
    store.upsert_patrons(&patrons).await?;
    let mut items = Vec::with_capacity(CHUNK);
    for record in library.items() {
        items.push(record.to_item());
        if items.len() == CHUNK {
            store.upsert_items(&items).await?;
            items.clear();
        }
    }
    store.upsert_items(&items).await?;
    let loans: Vec<Loan> = library.loans(aftermath).map(|l| l.to_loan()).collect();
    for chunk in loans.chunks(CHUNK) {
        store.upsert_loans(chunk).await?;
    }
    let debts: Vec<NewDebt> = library.fines().map(|f| f.to_debt()).collect();
    for chunk in debts.chunks(CHUNK) {
        store.upsert_debts(chunk).await?;
    }
    let holds: Vec<NewHold> = library.holds().map(|h| h.to_hold()).collect();
    for chunk in holds.chunks(CHUNK) {
        store.upsert_holds(chunk).await?;
    }
    let rules: Vec<LoanRule> = RULES
        .iter()
        .map(|r| LoanRule {
            category: (r.category != "*").then(|| r.category.to_owned()),
            itemtype: (r.itemtype != "*").then(|| r.itemtype.to_owned()),
            loan_days: r.loan_days,
            renewal_days: Some(r.renewal_days),
        })
        .collect();
    store.upsert_rules(&rules).await?;
    Ok(())
}
