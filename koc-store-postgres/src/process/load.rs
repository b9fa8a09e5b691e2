//! Loading what a batch touches: [`BatchState`] and where its rows are
//! ([`Places`]).
//!
//! Each statement looks its batch's keys up one by one: the keys unnested
//! in a select list (streamed, not copied first into a tuple store: see
//! [`super::write`]), then for each a `LATERAL` subquery on the table's
//! index, kept
//! apart by `OFFSET 0` so the planner cannot merge it into a join. Left
//! to its estimates, it joined a batch's keys to a whole table (a hash
//! join over a sequential scan, or a merge join along a whole index) as
//! soon as the keys were a fair share of the table's rows: work that grows
//! with the catalogue, the patrons, the account lines or the holds instead
//! of with the batch (`plans.rs` tests both).

use std::collections::HashSet;

use koc_core::{Action, BatchKeys, BatchState, ByKey, PendingOperation, Result};
use sqlx::{PgConnection, Row};

use crate::error::Doing;
use crate::place::Place;
use crate::rows::{
    self, account_line_columns, hold_columns, item_circulation_columns, loan_columns,
    patron_circulation_columns,
};

/// Where the items and open loans a batch loaded are, by barcode: their
/// rows' `ctid`, so that the batch's writes go straight to the rows instead
/// of searching the primary key again. A row changed since it was loaded
/// (by a host, or by the previous batch when this one was read ahead) has
/// moved: writes go by barcode for rows without a place, and again by
/// barcode when a write by place finds fewer rows than it should.
///
/// And whose debts the batch loaded (`debts_of`, card numbers): only a
/// payment reads debts, so only its patron's are loaded.
#[derive(Default)]
pub(super) struct Places {
    pub items: ByKey<Place>,
    pub loans: ByKey<Place>,
    pub debts_of: HashSet<String>,
}

/// A set of barcodes hashed as [`ByKey`] is (foldhash, not std's SipHash):
/// the barcodes whose items had an open loan when a batch was loaded.
pub(super) type Barcodes = HashSet<String, foldhash::fast::RandomState>;

/// Everything `batch` touches (see [`BatchState`]; debts only of its
/// payments' patrons), and where its items and open loans are.
pub(super) async fn load_state(
    conn: &mut PgConnection,
    batch: &[PendingOperation],
) -> Result<(BatchState, Places)> {
    let mut places = Places::default();
    let keys = BatchKeys::of(batch);
    let cards: Vec<&str> = keys.cards.iter().map(String::as_str).collect();
    let barcodes: Vec<&str> = keys.barcodes.iter().map(String::as_str).collect();
    let mut state = BatchState::default();
    state.reserve(cards.len(), barcodes.len());

    if !cards.is_empty() {
        // By card number, then by username for the cards that are not
        // card numbers (Koha's order; what the engine resolves).
        let rows = sqlx::query(concat!(
            "SELECT x.* FROM (SELECT unnest($1::text[]) AS card) AS k CROSS JOIN LATERAL (SELECT ",
            patron_circulation_columns!("p."),
            " FROM patrons p WHERE p.cardnumber = k.card OFFSET 0) AS x"
        ))
        .bind(&cards)
        .fetch_all(&mut *conn)
        .await
        .doing("loading patrons")?;
        for row in &rows {
            state.add_patron(rows::patron(row, 0)?);
        }
        let others: Vec<&str> = cards
            .iter()
            .copied()
            .filter(|c| !state.patrons.contains_key(*c))
            .collect();
        if !others.is_empty() {
            let rows = sqlx::query(concat!(
                "SELECT x.* FROM (SELECT unnest($1::text[]) AS userid) AS k CROSS JOIN LATERAL (SELECT ",
                patron_circulation_columns!("p."),
                " FROM patrons p WHERE p.userid = k.userid OFFSET 0) AS x"
            ))
            .bind(&others)
            .fetch_all(&mut *conn)
            .await
            .doing("loading patrons")?;
            for row in &rows {
                state.add_patron(rows::patron(row, 0)?);
            }
        }
    }
    // The patrons of the batch's payments, by card number or username as
    // the engine resolves them: a patron's debts are a probe of the
    // account lines' index each, and nothing but a payment reads them
    // (4% of the benchmarks' outage file, where 55% of the operations give
    // a card).
    let payers: HashSet<&str> = batch
        .iter()
        .filter(|p| p.operation.action == Action::Payment)
        .filter_map(|p| p.operation.cardnumber.as_deref())
        .collect();
    let debtors: Vec<&str> = state
        .patrons
        .values()
        .filter(|p| {
            payers.contains(p.cardnumber.as_str())
                || p.userid.as_deref().is_some_and(|u| payers.contains(u))
        })
        .map(|p| p.cardnumber.as_str())
        .collect();
    if !debtors.is_empty() {
        let rows = sqlx::query(concat!(
            "SELECT x.* FROM (SELECT unnest($1::text[]) AS card) AS k CROSS JOIN LATERAL (SELECT ",
            account_line_columns!("a."),
            " FROM account_lines a WHERE a.cardnumber = k.card AND a.kind = 'debit' \
             AND a.outstanding > 0 OFFSET 0) AS x ORDER BY x.created_at, x.id"
        ))
        .bind(&debtors)
        .fetch_all(&mut *conn)
        .await
        .doing("loading debts")?;
        places.debts_of = debtors.iter().map(|&card| card.to_owned()).collect();
        for row in &rows {
            state.add_debt(rows::account_line(row)?);
        }
    }
    if !barcodes.is_empty() {
        let rows = sqlx::query(concat!(
            "SELECT x.* FROM (SELECT unnest($1::text[]) AS barcode) AS k CROSS JOIN LATERAL (SELECT ",
            item_circulation_columns!("i."),
            ", ",
            loan_columns!("l."),
            ", i.ctid, l.ctid FROM items i \
             LEFT JOIN loans l ON l.barcode = i.barcode WHERE i.barcode = k.barcode OFFSET 0) AS x"
        ))
        .bind(&barcodes)
        .fetch_all(&mut *conn)
        .await
        .doing("loading items and loans")?;
        let at = rows::ITEM_WIDTH + rows::LOAN_WIDTH;
        for row in &rows {
            let item = rows::item(row, 0)?;
            let place: Place = row.try_get(at).doing("loading items")?;
            places.items.insert(item.barcode.clone(), place);
            if let Some(loan) = rows::maybe_loan(row, rows::ITEM_WIDTH)? {
                let place: Place = row.try_get(at + 1).doing("loading loans")?;
                places.loans.insert(loan.barcode.clone(), place);
                state.add_loan(loan);
            }
            state.add_item(item);
        }
        let rows = sqlx::query(concat!(
            "SELECT x.* FROM (SELECT unnest($1::text[]) AS barcode) AS k CROSS JOIN LATERAL (SELECT ",
            hold_columns!("h."),
            " FROM holds h WHERE h.barcode = k.barcode AND h.filled_at IS NULL OFFSET 0) AS x \
             ORDER BY x.placed_at, x.id"
        ))
        .bind(&barcodes)
        .fetch_all(&mut *conn)
        .await
        .doing("loading holds")?;
        for row in &rows {
            state.add_hold(rows::hold(row)?);
        }
    }
    Ok((state, places))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use koc_core::conformance::fixtures::{
        BRANCH, JANE, KAI, LEFT_HAND, enqueue, issue, library, payment,
    };
    use koc_core::{Circulation, Item, Patron, PendingFilter, Queue};

    use super::*;
    use crate::testing::store;

    #[tokio::test]
    async fn a_batch_loads_patrons_without_contact_details_and_items_without_catalogue_text() {
        let Some(store) = store("load_circulation").await else {
            return;
        };
        let patron = Patron {
            cardnumber: "C1".into(),
            userid: Some("u1".into()),
            surname: "Doe".into(),
            firstname: Some("Jo".into()),
            category: Some("PT".into()),
            branch: Some(BRANCH.into()),
            email: Some("jo@example.org".into()),
            phone: Some("555-0100".into()),
            address: Some("1 Main St".into()),
            city: Some("Springfield".into()),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(2010, 1, 1),
            ..Patron::default()
        };
        let item = Item {
            barcode: "B1".into(),
            title: Some("Middlemarch".into()),
            author: Some("George Eliot".into()),
            callnumber: Some("823 ELI".into()),
            itemtype: Some("BK".into()),
            homebranch: Some(BRANCH.into()),
            holdingbranch: Some(BRANCH.into()),
            ..Item::default()
        };
        store.upsert_patrons(&[patron]).await.unwrap();
        store.upsert_items(&[item]).await.unwrap();
        // One patron by card number, the same by username.
        enqueue(
            &store,
            &[
                issue("2026-07-22 10:00", "C1", "B1"),
                issue("2026-07-22 10:01", "u1", "B1"),
            ],
        )
        .await
        .unwrap();
        let batch = store.pending(&PendingFilter::default()).await.unwrap();
        assert_eq!(batch.len(), 2);
        let mut conn = store.pool().acquire().await.unwrap();
        let (state, _) = load_state(&mut conn, &batch).await.unwrap();

        let patron = state.patrons.get("C1").expect("C1 loaded");
        // What processing and the loan policies read is there ...
        assert_eq!(patron.userid.as_deref(), Some("u1"));
        assert_eq!(patron.category.as_deref(), Some("PT"));
        assert_eq!(patron.branch.as_deref(), Some(BRANCH));
        assert!(patron.date_of_birth.is_some());
        // ... and the contact details are not.
        assert_eq!(
            (&patron.email, &patron.phone, &patron.address, &patron.city),
            (&None, &None, &None, &None)
        );
        let item = state.items.get("B1").expect("B1 loaded");
        assert_eq!(item.itemtype.as_deref(), Some("BK"));
        assert_eq!(item.holdingbranch.as_deref(), Some(BRANCH));
        assert_eq!(
            (&item.title, &item.author, &item.callnumber),
            (&None, &None, &None)
        );
        drop(conn);
        store.drop_schema().await.unwrap();
    }

    #[tokio::test]
    async fn a_batch_loads_the_debts_of_its_payments_patrons_only() {
        let Some(store) = store("load_debts").await else {
            return;
        };
        // Jane and Kai both owe; Jane borrows, Kai pays by username.
        library(&store).await.unwrap();
        enqueue(
            &store,
            &[
                issue("2026-07-22 10:00", JANE, LEFT_HAND),
                payment("2026-07-22 10:01", "kchen", "1.00"),
            ],
        )
        .await
        .unwrap();
        let batch = store.pending(&PendingFilter::default()).await.unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        let (state, places) = load_state(&mut conn, &batch).await.unwrap();

        assert!(state.patrons.contains_key(JANE) && state.patrons.contains_key(KAI));
        let kai: Vec<String> = state.debts[KAI]
            .iter()
            .map(|d| d.outstanding.to_string())
            .collect();
        assert_eq!(kai, ["40.00"]);
        assert!(!state.debts.contains_key(JANE), "{:?}", state.debts);
        assert_eq!(places.debts_of, HashSet::from([KAI.to_owned()]));
        drop(conn);
        store.drop_schema().await.unwrap();
    }
}
