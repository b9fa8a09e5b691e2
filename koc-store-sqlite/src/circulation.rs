//! The circulation data: upserts, lookups and the desk search.

use async_trait::async_trait;
use koc_core::{
    AccountLine, Circulation, ClosedLoan, ConstraintKind, Error, Hold, HoldFilter, Item, Loan,
    LoanFilter, LoanRule, NewDebt, NewHold, Patron, Result, search_tokens,
};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};

use crate::SqliteStore;
use crate::codec::{Cash, Time, count, day, time};
use crate::error::{Context, sqlite};
use crate::list::List;
use crate::query::Query;
use crate::rows::{
    self, account_line_columns, hold_columns, item_columns, items_with_texts, loan_columns,
    patron_columns, rule_columns,
};

pub(crate) const RULES: &str = concat!("SELECT ", rule_columns!(), " FROM loan_rules ORDER BY id");

/// The desk search. Each word is a range scan of `patron_names`' primary
/// key (`CROSS JOIN` keeps the words as the outer loop); a patron matches
/// when every word begins one of their names.
pub(crate) const SEARCH_PATRONS: &str = concat!(
    "SELECT ",
    patron_columns!(),
    " FROM patrons WHERE cardnumber IN (
         SELECT n.cardnumber FROM rarray(?1) AS w
         CROSS JOIN patron_names AS n
             ON n.token >= w.value AND n.token < w.value || char(1114111)
         GROUP BY n.cardnumber HAVING count(DISTINCT w.value) = ?2
     )
     ORDER BY surname, firstname, cardnumber LIMIT ?3"
);

/// Adds or replaces an item, but for its catalogue text
/// ([`UPSERT_ITEM_TEXT`], after it).
pub(crate) const UPSERT_ITEM: &str = "INSERT INTO items (barcode, itemtype, homebranch, \
     holdingbranch, status, last_seen)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
     ON CONFLICT (barcode) DO UPDATE SET itemtype = excluded.itemtype,
         homebranch = excluded.homebranch, holdingbranch = excluded.holdingbranch,
         status = excluded.status, last_seen = excluded.last_seen";

/// Adds or replaces an item's catalogue text.
pub(crate) const UPSERT_ITEM_TEXT: &str = "INSERT INTO item_texts (barcode, title, author, \
     callnumber)
     VALUES (?1, ?2, ?3, ?4)
     ON CONFLICT (barcode) DO UPDATE SET title = excluded.title, author = excluded.author,
         callnumber = excluded.callnumber";

/// Adds or replaces the open loan of an item. `OR FAIL`: see
/// `process/batch.rs`; every caller is inside a transaction rolled back on
/// error.
pub(crate) const UPSERT_LOAN: &str =
    "INSERT OR FAIL INTO loans (barcode, cardnumber, issued_at, due_at, \
     renewals, last_renewed_at, branch)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
     ON CONFLICT (barcode) DO UPDATE SET cardnumber = excluded.cardnumber,
         issued_at = excluded.issued_at, due_at = excluded.due_at,
         renewals = excluded.renewals, last_renewed_at = excluded.last_renewed_at,
         branch = excluded.branch";

pub(crate) fn item_params(item: &Item) -> impl rusqlite::Params + '_ {
    (
        &item.barcode,
        &item.itemtype,
        &item.homebranch,
        &item.holdingbranch,
        item.status.as_str(),
        time(item.last_seen),
    )
}

pub(crate) fn item_text_params(item: &Item) -> impl rusqlite::Params + '_ {
    (&item.barcode, &item.title, &item.author, &item.callnumber)
}

pub(crate) fn loan_params(loan: &Loan) -> impl rusqlite::Params + '_ {
    (
        &loan.barcode,
        &loan.cardnumber,
        Time(loan.issued_at),
        Time(loan.due_at),
        loan.renewals,
        time(loan.last_renewed_at),
        &loan.branch,
    )
}

fn upsert_patrons(conn: &Connection, patrons: &[Patron]) -> Result<()> {
    let mut upsert = conn
        .prepare_cached(
            "INSERT INTO patrons (cardnumber, userid, surname, firstname, category, branch, \
             expiry, restricted_until, email, phone, address, city, date_of_birth)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT (cardnumber) DO UPDATE SET userid = excluded.userid,
                 surname = excluded.surname, firstname = excluded.firstname,
                 category = excluded.category, branch = excluded.branch,
                 expiry = excluded.expiry, restricted_until = excluded.restricted_until,
                 email = excluded.email, phone = excluded.phone, address = excluded.address,
                 city = excluded.city, date_of_birth = excluded.date_of_birth",
        )
        .context("saving patrons")?;
    let mut forget_names = conn
        .prepare_cached("DELETE FROM patron_names WHERE cardnumber = ?1")
        .context("saving patrons")?;
    let mut add_name = conn
        .prepare_cached(
            "INSERT INTO patron_names (token, cardnumber) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )
        .context("saving patrons")?;
    for patron in patrons {
        let card = &patron.cardnumber;
        if card.trim().is_empty() {
            return Err(Error::Constraint {
                kind: ConstraintKind::NotNull,
                detail: "a patron needs a card number".to_owned(),
            });
        }
        upsert
            .execute(rusqlite::params![
                card,
                patron.userid,
                patron.surname,
                patron.firstname,
                patron.category,
                patron.branch,
                day(patron.expiry),
                day(patron.restricted_until),
                patron.email,
                patron.phone,
                patron.address,
                patron.city,
                day(patron.date_of_birth),
            ])
            .map_err(|e| sqlite(&format!("saving patron {card}"), e))?;
        forget_names
            .execute([card])
            .context("saving patron names")?;
        let names = [
            patron.surname.as_str(),
            patron.firstname.as_deref().unwrap_or_default(),
        ];
        for token in search_tokens(names) {
            add_name
                .execute((token, card))
                .context("saving patron names")?;
        }
    }
    Ok(())
}

fn upsert_debts(conn: &Connection, debts: &[NewDebt]) -> Result<usize> {
    let mut patron_known = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM patrons WHERE cardnumber = ?1)")
        .context("saving debts")?;
    let mut recorded = conn
        .prepare_cached(
            "SELECT count(*) FROM account_lines WHERE cardnumber = ?1 AND kind = 'debit' \
             AND amount = ?2 AND description IS ?3 AND (?4 IS NULL OR created_at = ?4)",
        )
        .context("saving debts")?;
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO account_lines (cardnumber, kind, amount, outstanding, description, \
             created_at) VALUES (?1, 'debit', ?2, ?2, ?3, coalesce(?4, ?5))",
        )
        .context("saving debts")?;
    let to_add = NewDebt::not_recorded(debts, |debt| {
        let known: bool = patron_known
            .query_row([&debt.cardnumber], |row| row.get(0))
            .context("saving debts")?;
        if !known {
            return Err(Error::Constraint {
                kind: ConstraintKind::ForeignKey,
                detail: format!("no patron with card number {}", debt.cardnumber),
            });
        }
        if !debt.amount.is_positive() {
            return Err(Error::Invalid(format!(
                "a debt must be positive; {} owes {}",
                debt.cardnumber, debt.amount
            )));
        }
        let count: i64 = recorded
            .query_row(values(debt), |row| row.get(0))
            .context("saving debts")?;
        Ok(usize::try_from(count).unwrap_or(0))
    })?;
    let now = Time(crate::history::now());
    for debt in &to_add {
        let (cardnumber, amount, description, created_at) = values(debt);
        insert
            .execute((cardnumber, amount, description, created_at, now))
            .map_err(|e| sqlite(&format!("saving a debt of {}", debt.cardnumber), e))?;
    }
    let added = to_add.len();
    Ok(added)
}

/// A debt as the parameters of the statements that find and add it.
fn values(debt: &NewDebt) -> (&String, Cash, &Option<String>, Option<Time>) {
    (
        &debt.cardnumber,
        Cash(debt.amount),
        &debt.description,
        time(debt.created_at),
    )
}

fn search_patrons(conn: &Connection, text: &str, limit: usize) -> Result<Vec<Patron>> {
    let words = search_tokens([text]);
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let count_words = count(words.len());
    let words = List::new(words.into_iter().map(Value::Text));
    let mut select = conn
        .prepare_cached(SEARCH_PATRONS)
        .context("searching patrons")?;
    select
        .query_map((&words, count_words, count(limit)), rows::patron)
        .and_then(Iterator::collect)
        .context("searching patrons")
}

/// Rows whose key is in `keys`, by key.
fn by_keys<T>(
    conn: &Connection,
    sql: &str,
    keys: &[String],
    read: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    what: &str,
) -> Result<Vec<T>> {
    let keys = List::texts(keys.iter().map(String::as_str));
    conn.prepare_cached(sql)
        .and_then(|mut select| select.query_map([&keys], read)?.collect())
        .context(what)
}

#[async_trait]
impl Circulation for SqliteStore {
    async fn upsert_patrons(&self, patrons: &[Patron]) -> Result<()> {
        let patrons = patrons.to_vec();
        self.write("saving patrons", move |tx| upsert_patrons(tx, &patrons))
            .await
    }

    async fn upsert_items(&self, items: &[Item]) -> Result<()> {
        if items.iter().any(|i| i.barcode.trim().is_empty()) {
            return Err(Error::Constraint {
                kind: ConstraintKind::NotNull,
                detail: "an item needs a barcode".to_owned(),
            });
        }
        let items = items.to_vec();
        self.write("saving items", move |tx| {
            let mut upsert = tx.prepare_cached(UPSERT_ITEM).context("saving items")?;
            let mut text = tx
                .prepare_cached(UPSERT_ITEM_TEXT)
                .context("saving items")?;
            for item in &items {
                upsert
                    .execute(item_params(item))
                    .and_then(|_| text.execute(item_text_params(item)))
                    .map_err(|e| sqlite(&format!("saving item {}", item.barcode), e))?;
            }
            Ok(())
        })
        .await
    }

    async fn upsert_loans(&self, loans: &[Loan]) -> Result<()> {
        let loans = loans.to_vec();
        self.write("saving loans", move |tx| {
            let mut upsert = tx.prepare_cached(UPSERT_LOAN).context("saving loans")?;
            for loan in &loans {
                upsert.execute(loan_params(loan)).map_err(|e| {
                    sqlite(
                        &format!(
                            "saving the loan of item {} to patron {} (both must exist)",
                            loan.barcode, loan.cardnumber
                        ),
                        e,
                    )
                })?;
            }
            Ok(())
        })
        .await
    }

    async fn upsert_debts(&self, debts: &[NewDebt]) -> Result<usize> {
        let debts = debts.to_vec();
        self.write("saving debts", move |tx| upsert_debts(tx, &debts))
            .await
    }

    async fn upsert_holds(&self, holds: &[NewHold]) -> Result<()> {
        let holds = holds.to_vec();
        self.write("saving holds", move |tx| {
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO holds (barcode, cardnumber, placed_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (barcode, cardnumber) WHERE filled_at IS NULL
                     DO UPDATE SET placed_at = excluded.placed_at",
                )
                .context("saving holds")?;
            for hold in &holds {
                upsert
                    .execute((&hold.barcode, &hold.cardnumber, Time(hold.placed_at)))
                    .map_err(|e| {
                        sqlite(
                            &format!(
                                "saving the hold of patron {} on item {} (both must exist)",
                                hold.cardnumber, hold.barcode
                            ),
                            e,
                        )
                    })?;
            }
            Ok(())
        })
        .await
    }

    async fn upsert_rules(&self, rules: &[LoanRule]) -> Result<()> {
        let rules = rules.to_vec();
        self.write("saving loan rules", move |tx| {
            let mut forget = tx
                .prepare_cached("DELETE FROM loan_rules WHERE category IS ?1 AND itemtype IS ?2")
                .context("saving loan rules")?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO loan_rules (category, itemtype, loan_days, renewal_days)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .context("saving loan rules")?;
            for rule in &rules {
                forget
                    .execute((&rule.category, &rule.itemtype))
                    .context("saving loan rules")?;
                insert
                    .execute((
                        &rule.category,
                        &rule.itemtype,
                        rule.loan_days,
                        rule.renewal_days,
                    ))
                    .context("saving loan rules")?;
            }
            Ok(())
        })
        .await
    }

    async fn patrons(&self, cardnumbers: &[String]) -> Result<Vec<Patron>> {
        let cards = cardnumbers.to_vec();
        self.call(move |conn| {
            by_keys(
                conn,
                concat!(
                    "SELECT ",
                    patron_columns!(),
                    " FROM patrons WHERE cardnumber IN rarray(?1) ORDER BY cardnumber"
                ),
                &cards,
                rows::patron,
                "reading patrons",
            )
        })
        .await
    }

    async fn patron_by_userid(&self, userid: &str) -> Result<Option<Patron>> {
        let userid = userid.to_owned();
        self.call(move |conn| {
            conn.prepare_cached(concat!(
                "SELECT ",
                patron_columns!(),
                " FROM patrons WHERE userid = ?1"
            ))
            .and_then(|mut select| select.query_row([userid], rows::patron).optional())
            .context("reading a patron")
        })
        .await
    }

    async fn search_patrons(&self, text: &str, limit: usize) -> Result<Vec<Patron>> {
        let text = text.to_owned();
        self.call(move |conn| search_patrons(conn, &text, limit))
            .await
    }

    async fn items(&self, barcodes: &[String]) -> Result<Vec<Item>> {
        let barcodes = barcodes.to_vec();
        self.call(move |conn| {
            by_keys(
                conn,
                concat!(
                    "SELECT ",
                    item_columns!(),
                    " FROM ",
                    items_with_texts!(),
                    " WHERE i.barcode IN rarray(?1) ORDER BY i.barcode"
                ),
                &barcodes,
                rows::item,
                "reading items",
            )
        })
        .await
    }

    async fn loans(&self, filter: &LoanFilter) -> Result<Vec<Loan>> {
        let filter = filter.clone();
        self.call(move |conn| {
            let mut query = Query::new(concat!("SELECT ", loan_columns!(), " FROM loans"));
            query
                .filter("cardnumber = ?", filter.cardnumber.map(|c| vec![c]))
                .filter("barcode = ?", filter.barcode.map(|b| vec![b]))
                .then("ORDER BY barcode")
                .limit(filter.limit);
            query.rows(conn, rows::loan).context("listing loans")
        })
        .await
    }

    async fn closed_loans(&self, filter: &LoanFilter) -> Result<Vec<ClosedLoan>> {
        let filter = filter.clone();
        self.call(move |conn| crate::closed_loans::select(conn, &filter))
            .await
    }

    async fn account_lines(&self, cardnumber: &str) -> Result<Vec<AccountLine>> {
        let card = cardnumber.to_owned();
        self.call(move |conn| {
            conn.prepare_cached(concat!(
                "SELECT ",
                account_line_columns!(),
                " FROM account_lines WHERE cardnumber = ?1 ORDER BY id"
            ))
            .and_then(|mut select| select.query_map([card], rows::account_line)?.collect())
            .context("reading account lines")
        })
        .await
    }

    async fn holds(&self, filter: &HoldFilter) -> Result<Vec<Hold>> {
        let filter = filter.clone();
        self.call(move |conn| {
            let mut query = Query::new(concat!("SELECT ", hold_columns!(), " FROM holds"));
            query
                .filter("barcode = ?", filter.barcode.map(|b| vec![b]))
                .filter("cardnumber = ?", filter.cardnumber.map(|c| vec![c]))
                .filter_if("filled_at IS NULL", !filter.include_filled)
                .then("ORDER BY placed_at, id");
            query.rows(conn, rows::hold).context("listing holds")
        })
        .await
    }

    async fn rules(&self) -> Result<Vec<LoanRule>> {
        self.call(|conn| {
            conn.prepare_cached(RULES)
                .and_then(|mut select| select.query_map([], rows::rule)?.collect())
                .context("reading loan rules")
        })
        .await
    }
}
