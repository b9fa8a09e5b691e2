//! What the schema keeps true by itself: patrons, items and account lines
//! that open loans, account lines and payments refer to cannot be deleted
//! or re-keyed behind koc's back (the half of a foreign key that the schema
//! keeps; koc checks the other half where it writes).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use koc_core::conformance::fixtures::{
    self, ASE, HAWKING, JANE, KAI, LEFT_HAND, MARIA, MIDDLEMARCH,
};

#[tokio::test]
async fn rows_referred_to_cannot_be_removed() {
    let Some(store) = common::fresh_store("refs").await else {
        return;
    };
    fixtures::library(&store).await.unwrap();
    // Jane pays part of a debt: a credit line and what it paid of a debit.
    fixtures::enqueue_and_process(
        &store,
        &[fixtures::payment("2026-07-22 10:00:00", JANE, "1.00")],
    )
    .await
    .unwrap();

    let refused: [(&str, &str); 6] = [
        // Maria has Hawking on loan.
        ("DELETE FROM patrons WHERE cardnumber = $1", MARIA),
        (
            "UPDATE patrons SET cardnumber = 'x' || $1 WHERE cardnumber = $1",
            MARIA,
        ),
        ("DELETE FROM items WHERE barcode = $1", HAWKING),
        (
            "UPDATE items SET barcode = 'x' || $1 WHERE barcode = $1",
            HAWKING,
        ),
        // Kai owes money; Jane's lines are tied by her payment.
        ("DELETE FROM patrons WHERE cardnumber = $1", KAI),
        ("DELETE FROM account_lines WHERE cardnumber = $1", JANE),
    ];
    for (sql, key) in refused {
        let error = sqlx::query(sql)
            .bind(key)
            .execute(store.pool())
            .await
            .expect_err(sql);
        let code = error.as_database_error().and_then(|e| e.code());
        assert_eq!(code.as_deref(), Some("23503"), "{sql}: {error}");
    }

    // What nothing refers to can go, and keys that stay may be written.
    let allowed: [(&str, &str); 4] = [
        (
            "UPDATE patrons SET surname = 'Renamed' WHERE cardnumber = $1",
            MARIA,
        ),
        (
            "UPDATE items SET barcode = barcode, title = 'T' WHERE barcode = $1",
            HAWKING,
        ),
        ("DELETE FROM items WHERE barcode = $1", LEFT_HAND),
        ("DELETE FROM patrons WHERE cardnumber = $1", ASE),
    ];
    for (sql, key) in allowed {
        let done = sqlx::query(sql).bind(key).execute(store.pool()).await;
        assert_eq!(done.map(|d| d.rows_affected()).ok(), Some(1), "{sql}");
    }
    // Middlemarch was never lent: its barcode may change.
    sqlx::query("UPDATE items SET barcode = 'x' || barcode WHERE barcode = $1")
        .bind(MIDDLEMARCH)
        .execute(store.pool())
        .await
        .unwrap();
    store.drop_schema().await.unwrap();
}
