//! Scenarios: the circulation data a store keeps and looks up.

use super::fixtures::*;
use crate::{
    ConstraintKind, HoldFilter, Item, Loan, LoanFilter, LoanRule, NewDebt, NewHold, Patron, Result,
    Store, StoreExt,
};

/// Upserts replace what has the same key and keep the rest.
pub async fn upserts_replace_by_key<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let mut jane = patrons()[0].clone();
    jane.surname = "Doe-Smith".to_owned();
    jane.userid = Some("jdoesmith".to_owned());
    store.upsert_patrons(&[jane.clone()]).await?;
    assert_eq!(store.patron(JANE).await?, Some(jane));
    assert_eq!(
        store.patron_by_userid("jdoe").await?,
        None,
        "the old username is freed"
    );
    assert!(store.patron_by_userid("jdoesmith").await?.is_some());

    let mut book = items()[0].clone();
    book.title = Some("The Left Hand of Darkness (2nd ed.)".to_owned());
    store.upsert_items(&[book.clone()]).await?;
    assert_eq!(store.item(LEFT_HAND).await?, Some(book));
    assert_eq!(
        store
            .items(&[MIDDLEMARCH.to_owned(), "nope".to_owned()])
            .await?
            .len(),
        1
    );

    store
        .upsert_rules(&[LoanRule {
            category: None,
            itemtype: Some("DVD".to_owned()),
            loan_days: 3,
            renewal_days: None,
        }])
        .await?;
    let rules = store.rules().await?;
    assert_eq!(rules.len(), 4);
    assert!(
        rules.iter().any(|r| r.itemtype.as_deref() == Some("DVD")
            && r.category.is_none()
            && r.loan_days == 3)
    );

    let loan = Loan {
        barcode: HAWKING.to_owned(),
        cardnumber: JOHN.to_owned(),
        issued_at: at("2026-07-02 10:00:00"),
        due_at: at("2026-07-16 23:59:00"),
        renewals: 2,
        last_renewed_at: Some(at("2026-07-10 10:00:00")),
        branch: None,
    };
    store.upsert_loans(std::slice::from_ref(&loan)).await?;
    assert_eq!(store.loans(&LoanFilter::item(HAWKING)).await?, vec![loan]);

    store
        .upsert_holds(&[NewHold {
            barcode: SAMURAI.to_owned(),
            cardnumber: JOHN.to_owned(),
            placed_at: at("2026-07-11 09:30:00"),
        }])
        .await?;
    let holds = store.holds(&HoldFilter::item(SAMURAI)).await?;
    assert_eq!(holds.len(), 1, "still one hold of John on the DVD");
    assert_eq!(holds[0].placed_at, at("2026-07-11 09:30:00"));
    Ok(())
}

/// Unique keys and references are enforced, and a call that breaks one
/// writes nothing.
pub async fn constraints_are_enforced<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let mut thief = Patron::new("23529001099999", "Thief");
    thief.userid = Some("jdoe".to_owned());
    let error = store
        .upsert_patrons(&[Patron::new("23529001088888", "Fine"), thief])
        .await;
    assert_eq!(
        error.err().and_then(|e| e.constraint()),
        Some(ConstraintKind::Unique)
    );
    assert_eq!(
        store.patron("23529001088888").await?,
        None,
        "nothing of the call written"
    );

    let good = Loan {
        barcode: LEFT_HAND.to_owned(),
        cardnumber: JANE.to_owned(),
        issued_at: at("2026-07-02 10:00:00"),
        due_at: at("2026-07-16 23:59:00"),
        renewals: 0,
        last_renewed_at: None,
        branch: None,
    };
    let unknown_patron = Loan {
        barcode: MIDDLEMARCH.to_owned(),
        cardnumber: "nobody".to_owned(),
        ..good.clone()
    };
    let unknown_item = Loan {
        barcode: "nothing".to_owned(),
        ..good.clone()
    };
    for bad in [unknown_patron, unknown_item] {
        let error = store.upsert_loans(&[good.clone(), bad]).await;
        assert_eq!(
            error.err().and_then(|e| e.constraint()),
            Some(ConstraintKind::ForeignKey)
        );
    }
    assert!(store.loans(&LoanFilter::item(LEFT_HAND)).await?.is_empty());

    let error = store
        .upsert_debts(&[NewDebt {
            cardnumber: "nobody".to_owned(),
            amount: money("1.00"),
            description: None,
            created_at: Some(at("2026-07-01 10:00:00")),
        }])
        .await;
    assert_eq!(
        error.err().and_then(|e| e.constraint()),
        Some(ConstraintKind::ForeignKey)
    );
    let error = store
        .upsert_holds(&[NewHold {
            barcode: "nothing".to_owned(),
            cardnumber: JANE.to_owned(),
            placed_at: at("2026-07-01 10:00:00"),
        }])
        .await;
    assert_eq!(
        error.err().and_then(|e| e.constraint()),
        Some(ConstraintKind::ForeignKey)
    );
    Ok(())
}

/// Loading the same fines twice records them once.
pub async fn debts_load_once<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let fine = NewDebt {
        cardnumber: JOHN.to_owned(),
        amount: money("0.75"),
        description: Some("Overdue".to_owned()),
        created_at: Some(at("2026-07-01 10:00:00")),
    };
    assert_eq!(store.upsert_debts(std::slice::from_ref(&fine)).await?, 1);
    assert_eq!(store.upsert_debts(std::slice::from_ref(&fine)).await?, 0);
    assert_eq!(store.balance(JOHN).await?, money("0.75"));
    // A patron fined twice alike at the same time owes both: each equal
    // debt a call gives is one debt, and a call adds those that are not
    // recorded as many times already. The first is; one more is added,
    // and loading the three again adds nothing.
    let three = [fine.clone(), fine.clone(), fine.clone()];
    assert_eq!(store.upsert_debts(&three[..2]).await?, 1);
    assert_eq!(store.balance(JOHN).await?, money("1.50"));
    assert_eq!(store.upsert_debts(&three[..2]).await?, 0);
    assert_eq!(store.upsert_debts(&three).await?, 1);
    assert_eq!(store.upsert_debts(&three).await?, 0);
    assert_eq!(store.balance(JOHN).await?, money("2.25"));
    // A debt differing by time, amount or description is another debt.
    let others = [
        NewDebt {
            created_at: Some(at("2026-07-02 10:00:00")),
            ..fine.clone()
        },
        NewDebt {
            amount: money("0.50"),
            ..fine.clone()
        },
        NewDebt {
            description: None,
            ..fine.clone()
        },
    ];
    assert_eq!(store.upsert_debts(&others).await?, 3);
    assert_eq!(store.upsert_debts(&others).await?, 0);
    assert_eq!(store.balance(JOHN).await?, money("4.25"));
    // Without a time, a debt is dated when added, and equal to any debt
    // of the same patron, amount and description: four "Overdue" fines of
    // 0.75 are recorded, so five undated ones add one.
    let before = chrono::Local::now().naive_local() - chrono::Duration::minutes(1);
    let undated = NewDebt {
        amount: money("0.30"),
        description: Some("Photocopies".to_owned()),
        created_at: None,
        ..fine.clone()
    };
    let two = [undated.clone(), undated.clone()];
    assert_eq!(store.upsert_debts(&two).await?, 2);
    assert_eq!(store.upsert_debts(&two).await?, 0);
    let undated_overdue = NewDebt {
        created_at: None,
        ..fine.clone()
    };
    assert_eq!(store.upsert_debts(&vec![undated_overdue; 5]).await?, 1);
    assert_eq!(store.balance(JOHN).await?, money("5.60"));
    let after = chrono::Local::now().naive_local() + chrono::Duration::minutes(1);
    let dated_now = store
        .account_lines(JOHN)
        .await?
        .into_iter()
        .filter(|line| line.created_at > before && line.created_at < after)
        .count();
    assert_eq!(dated_now, 3);
    let negative = NewDebt {
        amount: money("-1"),
        ..fine
    };
    assert!(matches!(
        store.upsert_debts(&[negative]).await,
        Err(crate::Error::Invalid(_))
    ));
    Ok(())
}

/// The desk search finds patrons by the beginnings of their names, ignoring
/// case and accents.
pub async fn patron_search_ignores_case_and_accents<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    let cards = |found: Vec<Patron>| found.into_iter().map(|p| p.cardnumber).collect::<Vec<_>>();
    assert_eq!(
        cards(store.search_patrons("ostergard", 10).await?),
        vec![ASE]
    );
    assert_eq!(cards(store.search_patrons("ØSTER", 10).await?), vec![ASE]);
    assert_eq!(cards(store.search_patrons("lop", 10).await?), vec![MARIA]);
    assert_eq!(
        cards(store.search_patrons("maria lópez", 10).await?),
        vec![MARIA]
    );
    assert_eq!(
        cards(store.search_patrons("Doe, Jane", 10).await?),
        vec![JANE]
    );
    assert_eq!(
        cards(store.search_patrons("j", 10).await?),
        vec![JANE, JOHN]
    );
    assert_eq!(cards(store.search_patrons("j", 1).await?), vec![JANE]);
    assert!(store.search_patrons("zzz", 10).await?.is_empty());
    assert!(store.search_patrons("jane smith", 10).await?.is_empty());
    assert!(store.search_patrons("", 10).await?.is_empty());
    // Renamed patrons are found by their new name only.
    let mut kai = patrons()[3].clone();
    kai.surname = "Chan".to_owned();
    store.upsert_patrons(&[kai]).await?;
    assert!(store.search_patrons("chen", 10).await?.is_empty());
    assert_eq!(cards(store.search_patrons("chan", 10).await?), vec![KAI]);
    Ok(())
}

/// Lookups by card number, username and barcode, and the loan lists.
pub async fn lookups<S: Store + ?Sized>(store: &S) -> Result<()> {
    library(store).await?;
    assert_eq!(
        store.find_patron("mlopez").await?.map(|p| p.cardnumber),
        Some(MARIA.to_owned())
    );
    assert_eq!(
        store.find_patron(MARIA).await?.map(|p| p.surname),
        Some("López".to_owned())
    );
    assert_eq!(store.find_patron("nobody").await?, None);
    let found = store
        .patrons(&[JANE.to_owned(), "nobody".to_owned(), ASE.to_owned()])
        .await?;
    assert_eq!(found.len(), 2);
    assert_eq!(
        store.item(SAMURAI).await?.and_then(|i| i.itemtype),
        Some("DVD".to_owned())
    );
    assert_eq!(store.item("nothing").await?, None::<Item>);
    assert_eq!(store.loans(&LoanFilter::patron(MARIA)).await?.len(), 1);
    assert!(store.loans(&LoanFilter::patron(JANE)).await?.is_empty());
    assert_eq!(store.loans(&LoanFilter::all().limit(0)).await?.len(), 0);
    assert_eq!(store.holds(&HoldFilter::unfilled()).await?.len(), 1);
    assert_eq!(store.balance(JANE).await?, money("5.50"));
    assert_eq!(store.balance(ASE).await?, money("0"));
    assert_eq!(store.account_lines(JANE).await?.len(), 2);
    Ok(())
}
