//! A small library to run scenarios against, and helpers to build
//! operations.

use chrono::{NaiveDate, NaiveDateTime};

use crate::{
    Action, Item, ItemStatus, Loan, LoanRule, Money, NewDebt, NewHold, Operation, Patron,
    ProcessRun, ProcessedOperation, Result, Source, Store,
};

/// Jane Doe: category PT, username `jdoe`, in good standing.
pub const JANE: &str = "23529001000463";
/// John Smith: category PT, username `jsmith`.
pub const JOHN: &str = "23529001000470";
/// María López: category ST, membership expired on 2025-01-31; has
/// [`HAWKING`] on loan since 2026-07-01, due 2026-07-15.
pub const MARIA: &str = "23529001000487";
/// Kai Chen: restricted until 2026-12-31; owes 40.00.
pub const KAI: &str = "23529001000494";
/// Åse Østergård: no username.
pub const ASE: &str = "23529001000500";

/// A book (BK), available.
pub const LEFT_HAND: &str = "31000000123456";
/// A book (BK), available.
pub const MIDDLEMARCH: &str = "31000000123457";
/// A DVD, available; John has a hold on it.
pub const SAMURAI: &str = "31000000123458";
/// A book on loan to María since before the outage.
pub const HAWKING: &str = "31000000654321";
/// A lost book.
pub const LOST_ATLAS: &str = "31000000777777";
/// A withdrawn reference book.
pub const OLD_ENCYCLOPEDIA: &str = "31000000888888";
/// A book not for loan.
pub const DISPLAY_COPY: &str = "31000000999999";
/// A damaged book.
pub const DAMAGED_COPY: &str = "31000000555555";

/// The library the operations are uploaded for.
pub const BRANCH: &str = "CPL";
/// The staff user who uploads and processes.
pub const STAFF: &str = "staff";

/// A date and time from `YYYY-MM-DD HH:MM:SS[.fff]`.
///
/// # Panics
///
/// When the text is not such a time: fixtures are written by hand.
pub fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
        .unwrap_or_else(|e| unreachable!("fixture time {text:?}: {e}"))
}

/// A date from `YYYY-MM-DD`.
///
/// # Panics
///
/// When the text is not such a date.
pub fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .unwrap_or_else(|e| unreachable!("fixture date {text:?}: {e}"))
}

/// An amount.
///
/// # Panics
///
/// When the text is not an amount.
pub fn money(text: &str) -> Money {
    Money::parse(text).unwrap_or_else(|e| unreachable!("fixture amount {text:?}: {e}"))
}

fn operation(action: Action, time: &str) -> Operation {
    Operation {
        action,
        time: at(time),
        cardnumber: None,
        barcode: None,
        amount: None,
        due: None,
        userid: STAFF.to_owned(),
        branch: BRANCH.to_owned(),
        workstation: Some("desk-1".to_owned()),
        source: Source::Request { detail: None },
    }
}

/// A check-out of `barcode` to `card` at `time`.
pub fn issue(time: &str, card: &str, barcode: &str) -> Operation {
    Operation {
        cardnumber: Some(card.to_owned()),
        barcode: Some(barcode.to_owned()),
        ..operation(Action::Issue, time)
    }
}

/// A check-in of `barcode` at `time`.
pub fn checkin(time: &str, barcode: &str) -> Operation {
    Operation {
        barcode: Some(barcode.to_owned()),
        ..operation(Action::Return, time)
    }
}

/// A payment of `amount` by `card` at `time`.
pub fn payment(time: &str, card: &str, amount: &str) -> Operation {
    Operation {
        cardnumber: Some(card.to_owned()),
        amount: Some(money(amount)),
        ..operation(Action::Payment, time)
    }
}

/// `operations` as read from the file `name`, on lines 1, 2, ...
pub fn read_from(operations: &[Operation], name: &str) -> Vec<Operation> {
    operations
        .iter()
        .zip(1..)
        .map(|(operation, line)| Operation {
            source: Source::File {
                name: name.to_owned(),
                line,
            },
            ..operation.clone()
        })
        .collect()
}

/// Each operation's fingerprint with its source, sorted: what a store must
/// give back of where its operations came from, in any order.
pub fn sources<'a>(operations: impl Iterator<Item = &'a Operation>) -> Vec<(String, String)> {
    let mut sources: Vec<(String, String)> = operations
        .map(|op| (op.fingerprint().into_string(), op.source.to_string()))
        .collect();
    sources.sort();
    sources
}

/// The same operation uploaded for another library.
pub fn for_branch(operation: Operation, branch: &str) -> Operation {
    Operation {
        branch: branch.to_owned(),
        ..operation
    }
}

fn patron(
    card: &str,
    userid: Option<&str>,
    surname: &str,
    firstname: &str,
    category: &str,
) -> Patron {
    Patron {
        cardnumber: card.to_owned(),
        userid: userid.map(str::to_owned),
        surname: surname.to_owned(),
        firstname: Some(firstname.to_owned()),
        category: Some(category.to_owned()),
        branch: Some(BRANCH.to_owned()),
        expiry: Some(day("2027-12-31")),
        ..Patron::default()
    }
}

fn item(barcode: &str, title: &str, itemtype: &str, status: ItemStatus) -> Item {
    Item {
        barcode: barcode.to_owned(),
        title: Some(title.to_owned()),
        itemtype: Some(itemtype.to_owned()),
        homebranch: Some(BRANCH.to_owned()),
        holdingbranch: Some(BRANCH.to_owned()),
        status,
        ..Item::default()
    }
}

fn rule(category: Option<&str>, itemtype: Option<&str>, loan: u32, renewal: u32) -> LoanRule {
    LoanRule {
        category: category.map(str::to_owned),
        itemtype: itemtype.map(str::to_owned),
        loan_days: loan,
        renewal_days: Some(renewal),
    }
}

/// The patrons of the sample library.
pub fn patrons() -> Vec<Patron> {
    vec![
        patron(JANE, Some("jdoe"), "Doe", "Jane", "PT"),
        patron(JOHN, Some("jsmith"), "Smith", "John", "PT"),
        Patron {
            expiry: Some(day("2025-01-31")),
            ..patron(MARIA, Some("mlopez"), "López", "María", "ST")
        },
        Patron {
            restricted_until: Some(day("2026-12-31")),
            ..patron(KAI, Some("kchen"), "Chen", "Kai", "PT")
        },
        patron(ASE, None, "Østergård", "Åse", "PT"),
    ]
}

/// The items of the sample library.
pub fn items() -> Vec<Item> {
    vec![
        item(
            LEFT_HAND,
            "The Left Hand of Darkness",
            "BK",
            ItemStatus::Available,
        ),
        item(MIDDLEMARCH, "Middlemarch", "BK", ItemStatus::Available),
        item(SAMURAI, "Seven Samurai", "DVD", ItemStatus::Available),
        item(
            HAWKING,
            "A Brief History of Time",
            "BK",
            ItemStatus::Available,
        ),
        item(LOST_ATLAS, "Lost Atlas", "BK", ItemStatus::Lost),
        item(
            OLD_ENCYCLOPEDIA,
            "Old Encyclopedia",
            "REF",
            ItemStatus::Withdrawn,
        ),
        item(DISPLAY_COPY, "Display Copy", "BK", ItemStatus::NotForLoan),
        item(DAMAGED_COPY, "Damaged Copy", "BK", ItemStatus::Damaged),
    ]
}

/// The loan rules: any/any 14 days (renewal 10), any/DVD 7 (renewal 3),
/// ST/any 21 (renewal 21), ST/DVD 5 (renewal 2).
pub fn rules() -> Vec<LoanRule> {
    vec![
        rule(None, None, 14, 10),
        rule(None, Some("DVD"), 7, 3),
        rule(Some("ST"), None, 21, 21),
        rule(Some("ST"), Some("DVD"), 5, 2),
    ]
}

/// Loads the sample library: patrons, items, rules, María's loan of
/// [`HAWKING`], Jane's two debts (3.50 from June 1st, 2.00 from June 15th),
/// Kai's 40.00, and John's hold on [`SAMURAI`].
///
/// # Errors
///
/// Whatever the store says.
pub async fn library<S: Store + ?Sized>(store: &S) -> Result<()> {
    store.upsert_patrons(&patrons()).await?;
    store.upsert_items(&items()).await?;
    store.upsert_rules(&rules()).await?;
    store
        .upsert_loans(&[Loan {
            barcode: HAWKING.to_owned(),
            cardnumber: MARIA.to_owned(),
            issued_at: at("2026-07-01 14:03:00"),
            due_at: at("2026-07-15 23:59:00"),
            renewals: 0,
            last_renewed_at: None,
            branch: Some("FFL".to_owned()),
        }])
        .await?;
    store
        .upsert_debts(&[
            NewDebt {
                cardnumber: JANE.to_owned(),
                amount: money("2.00"),
                description: Some("Lost card replacement".to_owned()),
                created_at: Some(at("2026-06-15 12:00:00")),
            },
            NewDebt {
                cardnumber: JANE.to_owned(),
                amount: money("3.50"),
                description: Some("Overdue: Middlemarch".to_owned()),
                created_at: Some(at("2026-06-01 09:00:00")),
            },
            NewDebt {
                cardnumber: KAI.to_owned(),
                amount: money("40.00"),
                description: Some("Damaged item".to_owned()),
                created_at: Some(at("2026-05-20 10:00:00")),
            },
        ])
        .await?;
    store
        .upsert_holds(&[NewHold {
            barcode: SAMURAI.to_owned(),
            cardnumber: JOHN.to_owned(),
            placed_at: at("2026-07-10 09:30:00"),
        }])
        .await?;
    Ok(())
}

/// Enqueues `operations` as one upload and asserts they were all added.
///
/// # Errors
///
/// Whatever the store says.
pub async fn enqueue<S: Store + ?Sized>(store: &S, operations: &[Operation]) -> Result<()> {
    let report = store.enqueue(None, operations).await?;
    assert_eq!(
        report.added.len(),
        operations.len(),
        "every fixture operation is new: {report:?}"
    );
    Ok(())
}

/// Runs `run` and returns every result, in the order processed.
///
/// # Errors
///
/// Whatever the store says.
pub async fn run<S: Store + ?Sized>(
    store: &S,
    run: &ProcessRun,
) -> Result<Vec<ProcessedOperation>> {
    let mut results = Vec::new();
    let mut observer = |batch: &[ProcessedOperation]| results.extend_from_slice(batch);
    store.process(run, &mut observer).await?;
    Ok(results)
}

/// Processes everything pending with the default rules.
///
/// # Errors
///
/// Whatever the store says.
pub async fn process_all<S: Store + ?Sized>(store: &S) -> Result<Vec<ProcessedOperation>> {
    run(store, &ProcessRun::all(STAFF)).await
}

/// Enqueues `operations` and processes everything pending.
///
/// # Errors
///
/// Whatever the store says.
pub async fn enqueue_and_process<S: Store + ?Sized>(
    store: &S,
    operations: &[Operation],
) -> Result<Vec<ProcessedOperation>> {
    enqueue(store, operations).await?;
    process_all(store).await
}
