//! A busy queue: copies lent and returned, with payments between.

use chrono::{Duration, NaiveDateTime};
use koc_core::conformance::fixtures::{self, JANE, JOHN, KAI};
use koc_core::{Circulation, Item, Queue};
use koc_store_postgres::PostgresStore;

pub fn start() -> NaiveDateTime {
    fixtures::at("2026-07-22 08:00:00")
}

/// A library with `items` copies on the shelf, and a queue where each copy
/// is lent and later returned, interleaved with payments: an operation
/// applied twice or out of order would show (a renewal, a return of an item
/// not on loan, a payment counted twice).
pub async fn busy_queue(store: &PostgresStore, items: usize) -> usize {
    fixtures::library(store).await.unwrap();
    let shelf: Vec<Item> = (0..items)
        .map(|i| Item::new(format!("3900000{i:07}"), format!("Copy {i}")))
        .collect();
    store.upsert_items(&shelf).await.unwrap();
    let readers = [JANE, JOHN, KAI];
    let mut operations = Vec::new();
    for (i, item) in shelf.iter().enumerate() {
        let lent = start() + Duration::seconds(i as i64);
        let card = readers[i % readers.len()];
        operations.push(fixtures::issue(
            &lent.format("%Y-%m-%d %H:%M:%S").to_string(),
            card,
            &item.barcode,
        ));
        operations.push(fixtures::checkin(
            &(lent + Duration::hours(2))
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            &item.barcode,
        ));
        if i % 10 == 0 {
            operations.push(fixtures::payment(
                &(lent + Duration::milliseconds(500))
                    .format("%Y-%m-%d %H:%M:%S%.3f")
                    .to_string(),
                JANE,
                "0.01",
            ));
        }
    }
    for chunk in operations.chunks(1_000) {
        let report = store.enqueue(None, chunk).await.unwrap();
        assert_eq!(report.added.len(), chunk.len());
    }
    operations.len()
}
