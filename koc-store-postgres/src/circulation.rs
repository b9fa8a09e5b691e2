//! [`Circulation`]: the library's patrons, items, loans, accounts, holds and
//! loan rules. Every write is one statement or one transaction, so atomic
//! per call; a broken constraint comes back as
//! [`Error::Constraint`].

use std::collections::HashSet;
use std::hash::Hash;

use async_trait::async_trait;
use chrono::{NaiveDate, NaiveDateTime};
use koc_core::{
    AccountLine, Circulation, ClosedLoan, ConstraintKind, Error, Hold, HoldFilter, Item, Loan,
    LoanFilter, LoanRule, NewDebt, NewHold, Patron, Result, search_tokens,
};
use sqlx::PgConnection;

use crate::error::Doing;
use crate::history::sql_limit;
use crate::rows::{
    self, account_line_columns, hold_columns, item_columns, loan_columns, patron_columns,
    rule_columns,
};
use crate::store::in_transaction;
use crate::{PostgresStore, locks};

/// The last of each run of values with the same key, in the order of those
/// last ones: what a database's upsert does row by row, in one statement.
fn last_by_key<T, K: Eq + Hash>(values: &[T], key: impl Fn(&T) -> K) -> Vec<&T> {
    let mut seen = HashSet::with_capacity(values.len());
    let mut kept: Vec<&T> = values
        .iter()
        .rev()
        .filter(|v| seen.insert(key(v)))
        .collect();
    kept.reverse();
    kept
}

fn not_null(what: &str) -> Error {
    Error::Constraint {
        kind: ConstraintKind::NotNull,
        detail: what.to_owned(),
    }
}

/// The words a patron is found by.
fn name_tokens(patron: &Patron) -> Vec<String> {
    search_tokens([
        patron.surname.as_str(),
        patron.firstname.as_deref().unwrap_or_default(),
    ])
}

/// The least text greater than every text that begins with `prefix`, in
/// byte order: the end of a prefix range scan.
fn prefix_end(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = u32::from(last) + 1;
        if (0xd800..0xe000).contains(&next) {
            next = 0xe000;
        }
        if let Some(next) = char::from_u32(next) {
            chars.push(next);
            return chars.into_iter().collect();
        }
    }
    // Only U+10FFFF characters: no upper bound but the largest text.
    "\u{10ffff}".repeat(prefix.chars().count() + 1)
}

impl PostgresStore {
    async fn upsert_patrons_in(&self, conn: &mut PgConnection, patrons: &[&Patron]) -> Result<()> {
        let mut columns = PatronColumns::default();
        for patron in patrons {
            columns.push(patron);
        }
        sqlx::query(concat!(
            "INSERT INTO patrons (",
            patron_columns!(),
            ") SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
             $6::text[], $7::date[], $8::date[], $9::text[], $10::text[], $11::text[], \
             $12::text[], $13::date[]) \
             ON CONFLICT (cardnumber) DO UPDATE SET userid = EXCLUDED.userid, \
             surname = EXCLUDED.surname, firstname = EXCLUDED.firstname, \
             category = EXCLUDED.category, branch = EXCLUDED.branch, \
             expiry = EXCLUDED.expiry, restricted_until = EXCLUDED.restricted_until, \
             email = EXCLUDED.email, phone = EXCLUDED.phone, address = EXCLUDED.address, \
             city = EXCLUDED.city, date_of_birth = EXCLUDED.date_of_birth"
        ))
        .bind(&columns.cardnumber)
        .bind(&columns.userid)
        .bind(&columns.surname)
        .bind(&columns.firstname)
        .bind(&columns.category)
        .bind(&columns.branch)
        .bind(&columns.expiry)
        .bind(&columns.restricted_until)
        .bind(&columns.email)
        .bind(&columns.phone)
        .bind(&columns.address)
        .bind(&columns.city)
        .bind(&columns.date_of_birth)
        .execute(&mut *conn)
        .await
        .doing("saving patrons")?;

        let (mut tokens, mut owners) = (Vec::new(), Vec::new());
        for patron in patrons {
            for token in name_tokens(patron) {
                tokens.push(token);
                owners.push(patron.cardnumber.as_str());
            }
        }
        sqlx::query("DELETE FROM patron_names WHERE cardnumber = ANY($1)")
            .bind(&columns.cardnumber)
            .execute(&mut *conn)
            .await
            .doing("indexing patron names")?;
        sqlx::query(
            "INSERT INTO patron_names (token, cardnumber) \
             SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING",
        )
        .bind(&tokens)
        .bind(&owners)
        .execute(&mut *conn)
        .await
        .doing("indexing patron names")?;
        Ok(())
    }

    async fn upsert_debts_in(&self, conn: &mut PgConnection, debts: &[NewDebt]) -> Result<usize> {
        self.lock(conn, locks::DEBTS).await?;
        let cards: Vec<&str> = debts.iter().map(|d| d.cardnumber.as_str()).collect();
        let known: Vec<String> =
            sqlx::query_scalar("SELECT cardnumber FROM patrons WHERE cardnumber = ANY($1)")
                .bind(&cards)
                .fetch_all(&mut *conn)
                .await
                .doing("looking up patrons")?;
        let known: HashSet<String> = known.into_iter().collect();
        for debt in debts {
            if !known.contains(&debt.cardnumber) {
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
        }
        // Equal debts are counted: the n-th of its kind in the call (`nth`)
        // is added when fewer than n are recorded (the statement's snapshot
        // does not see the rows it adds).
        let cards: Vec<&str> = debts.iter().map(|d| d.cardnumber.as_str()).collect();
        let amounts: Vec<i64> = debts.iter().map(|d| d.amount.micros()).collect();
        let descriptions: Vec<Option<&str>> =
            debts.iter().map(|d| d.description.as_deref()).collect();
        let times: Vec<Option<NaiveDateTime>> = debts.iter().map(|d| d.created_at).collect();
        let added = sqlx::query(
            "INSERT INTO account_lines (cardnumber, kind, amount, outstanding, description, created_at) \
             SELECT u.cardnumber, 'debit', u.amount::numeric / 1000000, \
             u.amount::numeric / 1000000, u.description, coalesce(u.created_at, $5) \
             FROM (SELECT *, row_number() OVER (PARTITION BY cardnumber, amount, description, \
             created_at ORDER BY ord) AS nth \
             FROM unnest($1::text[], $2::bigint[], $3::text[], $4::timestamp[]) \
             WITH ORDINALITY AS d(cardnumber, amount, description, created_at, ord)) AS u \
             WHERE u.nth > (SELECT count(*) FROM account_lines a WHERE a.kind = 'debit' \
             AND a.cardnumber = u.cardnumber \
             AND (u.created_at IS NULL OR a.created_at = u.created_at) \
             AND a.amount = u.amount::numeric / 1000000 \
             AND a.description IS NOT DISTINCT FROM u.description) \
             ORDER BY u.ord",
        )
        .bind(&cards)
        .bind(&amounts)
        .bind(&descriptions)
        .bind(&times)
        .bind(crate::store::now())
        .execute(&mut *conn)
        .await
        .doing("saving debts")?;
        Ok(usize::try_from(added.rows_affected()).unwrap_or(usize::MAX))
    }
}

impl PostgresStore {
    async fn upsert_loans_in(&self, conn: &mut PgConnection, loans: &[&Loan]) -> Result<()> {
        let columns = LoanColumns::of(loans.iter().copied());
        // What a foreign key would check (see the schema: the loans table
        // has none, so that processing does not pay for the check).
        let missing = sqlx::query_as::<_, (String, String, bool)>(
            "SELECT u.barcode, u.cardnumber, \
             EXISTS (SELECT 1 FROM items i WHERE i.barcode = u.barcode) \
             FROM unnest($1::text[], $2::text[]) AS u(barcode, cardnumber) \
             WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.barcode = u.barcode) \
             OR NOT EXISTS (SELECT 1 FROM patrons p WHERE p.cardnumber = u.cardnumber) LIMIT 1",
        )
        .bind(&columns.barcode)
        .bind(&columns.cardnumber)
        .fetch_optional(&mut *conn)
        .await
        .doing("looking up patrons and items")?;
        if let Some((barcode, cardnumber, item_exists)) = missing {
            return Err(Error::Constraint {
                kind: ConstraintKind::ForeignKey,
                detail: if item_exists {
                    format!("no patron with card number {cardnumber} (loan of {barcode})")
                } else {
                    format!("no item with barcode {barcode}")
                },
            });
        }
        columns.upsert(conn, "saving loans").await
    }
}

/// Patrons as column arrays, for one `unnest`.
#[derive(Default)]
struct PatronColumns<'a> {
    cardnumber: Vec<&'a str>,
    userid: Vec<Option<&'a str>>,
    surname: Vec<&'a str>,
    firstname: Vec<Option<&'a str>>,
    category: Vec<Option<&'a str>>,
    branch: Vec<Option<&'a str>>,
    expiry: Vec<Option<NaiveDate>>,
    restricted_until: Vec<Option<NaiveDate>>,
    email: Vec<Option<&'a str>>,
    phone: Vec<Option<&'a str>>,
    address: Vec<Option<&'a str>>,
    city: Vec<Option<&'a str>>,
    date_of_birth: Vec<Option<NaiveDate>>,
}

impl<'a> PatronColumns<'a> {
    fn push(&mut self, p: &'a Patron) {
        self.cardnumber.push(&p.cardnumber);
        self.userid.push(p.userid.as_deref());
        self.surname.push(&p.surname);
        self.firstname.push(p.firstname.as_deref());
        self.category.push(p.category.as_deref());
        self.branch.push(p.branch.as_deref());
        self.expiry.push(p.expiry);
        self.restricted_until.push(p.restricted_until);
        self.email.push(p.email.as_deref());
        self.phone.push(p.phone.as_deref());
        self.address.push(p.address.as_deref());
        self.city.push(p.city.as_deref());
        self.date_of_birth.push(p.date_of_birth);
    }
}

#[async_trait]
impl Circulation for PostgresStore {
    async fn upsert_patrons(&self, patrons: &[Patron]) -> Result<()> {
        if patrons.iter().any(|p| p.cardnumber.trim().is_empty()) {
            return Err(not_null("a patron needs a card number"));
        }
        let patrons = last_by_key(patrons, |p| p.cardnumber.clone());
        if patrons.is_empty() {
            return Ok(());
        }
        in_transaction!(self, "saving patrons", |conn| self
            .upsert_patrons_in(conn, &patrons))
    }

    async fn upsert_items(&self, items: &[Item]) -> Result<()> {
        if items.iter().any(|i| i.barcode.trim().is_empty()) {
            return Err(not_null("an item needs a barcode"));
        }
        let items = last_by_key(items, |i| i.barcode.clone());
        if items.is_empty() {
            return Ok(());
        }
        let text = |f: fn(&Item) -> Option<&str>| items.iter().map(|i| f(i)).collect::<Vec<_>>();
        let barcodes: Vec<&str> = items.iter().map(|i| i.barcode.as_str()).collect();
        let statuses: Vec<&str> = items.iter().map(|i| i.status.as_str()).collect();
        let seen: Vec<Option<NaiveDateTime>> = items.iter().map(|i| i.last_seen).collect();
        sqlx::query(concat!(
            "INSERT INTO items (",
            item_columns!(""),
            ") SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
             $6::text[], $7::text[], $8::text[], $9::timestamp[]) \
             ON CONFLICT (barcode) DO UPDATE SET title = EXCLUDED.title, \
             author = EXCLUDED.author, callnumber = EXCLUDED.callnumber, \
             itemtype = EXCLUDED.itemtype, homebranch = EXCLUDED.homebranch, \
             holdingbranch = EXCLUDED.holdingbranch, status = EXCLUDED.status, \
             last_seen = EXCLUDED.last_seen"
        ))
        .bind(&barcodes)
        .bind(text(|i| i.title.as_deref()))
        .bind(text(|i| i.author.as_deref()))
        .bind(text(|i| i.callnumber.as_deref()))
        .bind(text(|i| i.itemtype.as_deref()))
        .bind(text(|i| i.homebranch.as_deref()))
        .bind(text(|i| i.holdingbranch.as_deref()))
        .bind(&statuses)
        .bind(&seen)
        .execute(&self.pool)
        .await
        .doing("saving items")?;
        Ok(())
    }

    async fn upsert_loans(&self, loans: &[Loan]) -> Result<()> {
        let loans = last_by_key(loans, |l| l.barcode.clone());
        if loans.is_empty() {
            return Ok(());
        }
        in_transaction!(self, "saving loans", |conn| self
            .upsert_loans_in(conn, &loans))
    }

    async fn upsert_debts(&self, debts: &[NewDebt]) -> Result<usize> {
        if debts.is_empty() {
            return Ok(0);
        }
        in_transaction!(self, "saving debts", |conn| self
            .upsert_debts_in(conn, debts))
    }

    async fn upsert_holds(&self, holds: &[NewHold]) -> Result<()> {
        let holds = last_by_key(holds, |h| (h.barcode.clone(), h.cardnumber.clone()));
        if holds.is_empty() {
            return Ok(());
        }
        let barcodes: Vec<&str> = holds.iter().map(|h| h.barcode.as_str()).collect();
        let cards: Vec<&str> = holds.iter().map(|h| h.cardnumber.as_str()).collect();
        let placed: Vec<NaiveDateTime> = holds.iter().map(|h| h.placed_at).collect();
        sqlx::query(
            "INSERT INTO holds (barcode, cardnumber, placed_at) \
             SELECT u.barcode, u.cardnumber, u.placed_at \
             FROM unnest($1::text[], $2::text[], $3::timestamp[]) \
             WITH ORDINALITY AS u(barcode, cardnumber, placed_at, ord) ORDER BY u.ord \
             ON CONFLICT (barcode, cardnumber) WHERE filled_at IS NULL \
             DO UPDATE SET placed_at = EXCLUDED.placed_at",
        )
        .bind(&barcodes)
        .bind(&cards)
        .bind(&placed)
        .execute(&self.pool)
        .await
        .doing("saving holds")?;
        Ok(())
    }

    async fn upsert_rules(&self, rules: &[LoanRule]) -> Result<()> {
        let rules = last_by_key(rules, |r| (r.category.clone(), r.itemtype.clone()));
        if rules.is_empty() {
            return Ok(());
        }
        let categories: Vec<Option<&str>> = rules.iter().map(|r| r.category.as_deref()).collect();
        let itemtypes: Vec<Option<&str>> = rules.iter().map(|r| r.itemtype.as_deref()).collect();
        let loan_days: Vec<i64> = rules.iter().map(|r| i64::from(r.loan_days)).collect();
        let renewal_days: Vec<Option<i64>> = rules
            .iter()
            .map(|r| r.renewal_days.map(i64::from))
            .collect();
        sqlx::query(
            "INSERT INTO loan_rules (category, itemtype, loan_days, renewal_days) \
             SELECT u.category, u.itemtype, u.loan_days, u.renewal_days \
             FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) \
             WITH ORDINALITY AS u(category, itemtype, loan_days, renewal_days, ord) \
             ORDER BY u.ord \
             ON CONFLICT (category_key, itemtype_key) DO UPDATE SET \
             loan_days = EXCLUDED.loan_days, renewal_days = EXCLUDED.renewal_days, \
             position = nextval('loan_rule_positions')",
        )
        .bind(&categories)
        .bind(&itemtypes)
        .bind(&loan_days)
        .bind(&renewal_days)
        .execute(&self.pool)
        .await
        .doing("saving loan rules")?;
        Ok(())
    }

    async fn patrons(&self, cardnumbers: &[String]) -> Result<Vec<Patron>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            patron_columns!(),
            " FROM patrons WHERE cardnumber = ANY($1) ORDER BY cardnumber COLLATE \"C\""
        ))
        .bind(cardnumbers)
        .fetch_all(&self.pool)
        .await
        .doing("looking up patrons")?;
        rows.iter().map(|row| rows::patron(row, 0)).collect()
    }

    async fn patron_by_userid(&self, userid: &str) -> Result<Option<Patron>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            patron_columns!(),
            " FROM patrons WHERE userid = $1"
        ))
        .bind(userid)
        .fetch_optional(&self.pool)
        .await
        .doing("looking up a patron")?;
        row.map(|row| rows::patron(&row, 0)).transpose()
    }

    async fn search_patrons(&self, text: &str, limit: usize) -> Result<Vec<Patron>> {
        let lows = search_tokens([text]);
        if lows.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let highs: Vec<String> = lows.iter().map(|t| prefix_end(t)).collect();
        let words = i64::try_from(lows.len()).unwrap_or(i64::MAX);
        let rows = sqlx::query(concat!(
            "SELECT ",
            patron_columns!(),
            " FROM patrons WHERE cardnumber IN (\
             SELECT n.cardnumber FROM unnest($1::text[], $2::text[]) AS q(low, high) \
             JOIN patron_names n ON n.token >= q.low COLLATE \"C\" \
             AND n.token < q.high COLLATE \"C\" \
             GROUP BY n.cardnumber HAVING count(DISTINCT q.low) = $3) \
             ORDER BY surname COLLATE \"C\", firstname COLLATE \"C\" NULLS FIRST, \
             cardnumber COLLATE \"C\" LIMIT $4"
        ))
        .bind(&lows)
        .bind(&highs)
        .bind(words)
        .bind(sql_limit(Some(limit)))
        .fetch_all(&self.pool)
        .await
        .doing("searching patrons")?;
        rows.iter().map(|row| rows::patron(row, 0)).collect()
    }

    async fn items(&self, barcodes: &[String]) -> Result<Vec<Item>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            item_columns!(""),
            " FROM items WHERE barcode = ANY($1) ORDER BY barcode COLLATE \"C\""
        ))
        .bind(barcodes)
        .fetch_all(&self.pool)
        .await
        .doing("looking up items")?;
        rows.iter().map(|row| rows::item(row, 0)).collect()
    }

    async fn loans(&self, filter: &LoanFilter) -> Result<Vec<Loan>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            loan_columns!(""),
            " FROM loans WHERE ($1::text IS NULL OR cardnumber = $1) \
             AND ($2::text IS NULL OR barcode = $2) \
             ORDER BY barcode COLLATE \"C\" LIMIT $3"
        ))
        .bind(filter.cardnumber.as_deref())
        .bind(filter.barcode.as_deref())
        .bind(sql_limit(filter.limit))
        .fetch_all(&self.pool)
        .await
        .doing("listing loans")?;
        rows.iter().map(|row| rows::loan(row, 0)).collect()
    }

    async fn closed_loans(&self, filter: &LoanFilter) -> Result<Vec<ClosedLoan>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            loan_columns!(""),
            ", returned_at FROM closed_loans WHERE ($1::text IS NULL OR cardnumber = $1) \
             AND ($2::text IS NULL OR barcode = $2) ORDER BY id LIMIT $3"
        ))
        .bind(filter.cardnumber.as_deref())
        .bind(filter.barcode.as_deref())
        .bind(sql_limit(filter.limit))
        .fetch_all(&self.pool)
        .await
        .doing("listing ended loans")?;
        rows.iter()
            .map(|row| {
                Ok(ClosedLoan {
                    loan: rows::loan(row, 0)?,
                    returned_at: rows::moment(row, rows::LOAN_WIDTH)?,
                })
            })
            .collect()
    }

    async fn account_lines(&self, cardnumber: &str) -> Result<Vec<AccountLine>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            account_line_columns!(),
            " FROM account_lines WHERE cardnumber = $1 ORDER BY id"
        ))
        .bind(cardnumber)
        .fetch_all(&self.pool)
        .await
        .doing("listing account lines")?;
        rows.iter().map(rows::account_line).collect()
    }

    async fn holds(&self, filter: &HoldFilter) -> Result<Vec<Hold>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            hold_columns!(),
            " FROM holds WHERE ($1::text IS NULL OR barcode = $1) \
             AND ($2::text IS NULL OR cardnumber = $2) AND ($3 OR filled_at IS NULL) \
             ORDER BY placed_at, id"
        ))
        .bind(filter.barcode.as_deref())
        .bind(filter.cardnumber.as_deref())
        .bind(filter.include_filled)
        .fetch_all(&self.pool)
        .await
        .doing("listing holds")?;
        rows.iter().map(rows::hold).collect()
    }

    async fn rules(&self) -> Result<Vec<LoanRule>> {
        load_rules(&self.pool).await
    }
}

/// The loan rules, in the order they were last saved.
pub(crate) async fn load_rules<'e>(executor: impl sqlx::PgExecutor<'e>) -> Result<Vec<LoanRule>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        rule_columns!(),
        " FROM loan_rules ORDER BY position"
    ))
    .fetch_all(executor)
    .await
    .doing("reading loan rules")?;
    rows.iter().map(rows::rule).collect()
}

/// The primary key of open loans, as a unique violation names it.
pub(crate) const LOANS_KEY: &str = "loans_pkey";

/// The `INSERT` of [`LoanColumns`]' arrays into open loans.
macro_rules! insert_loans {
    () => {
        concat!(
            "INSERT INTO loans (",
            loan_columns!(""),
            ") SELECT unnest($1::text[]), unnest($2::text[]), unnest($3::timestamp[]), \
             unnest($4::timestamp[]), unnest($5::bigint[]), unnest($6::timestamp[]), \
             unnest($7::text[])"
        )
    };
}

/// A statement with its parameters being bound.
pub(crate) type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// Loans as column arrays, for one `unnest`.
#[derive(Default)]
pub(crate) struct LoanColumns<'a> {
    pub barcode: Vec<&'a str>,
    pub cardnumber: Vec<&'a str>,
    pub issued_at: Vec<NaiveDateTime>,
    pub due_at: Vec<NaiveDateTime>,
    pub renewals: Vec<i64>,
    pub last_renewed_at: Vec<Option<NaiveDateTime>>,
    pub branch: Vec<Option<&'a str>>,
}

impl<'a> LoanColumns<'a> {
    pub(crate) fn of(loans: impl Iterator<Item = &'a Loan>) -> LoanColumns<'a> {
        let mut columns = LoanColumns::default();
        for loan in loans {
            columns.barcode.push(&loan.barcode);
            columns.cardnumber.push(&loan.cardnumber);
            columns.issued_at.push(loan.issued_at);
            columns.due_at.push(loan.due_at);
            columns.renewals.push(i64::from(loan.renewals));
            columns.last_renewed_at.push(loan.last_renewed_at);
            columns.branch.push(loan.branch.as_deref());
        }
        columns
    }

    /// Inserts these loans, replacing the open loan of an item that has
    /// one.
    pub(crate) async fn upsert(&self, conn: &mut PgConnection, what: &str) -> Result<()> {
        self.write(
            conn,
            what,
            concat!(
                insert_loans!(),
                " ON CONFLICT (barcode) DO UPDATE SET cardnumber = EXCLUDED.cardnumber, \
                 issued_at = EXCLUDED.issued_at, due_at = EXCLUDED.due_at, \
                 renewals = EXCLUDED.renewals, last_renewed_at = EXCLUDED.last_renewed_at, \
                 branch = EXCLUDED.branch"
            ),
        )
        .await
    }

    /// Inserts these loans, which must be new: a loan of an item that has
    /// one breaks the primary key ([`LOANS_KEY`]). About a third cheaper
    /// than [`upsert`](Self::upsert), which looks for a conflict before
    /// each row and marks each row it inserts as a speculative insertion
    /// confirmed after.
    pub(crate) async fn insert(&self, conn: &mut PgConnection, what: &str) -> Result<()> {
        self.write(conn, what, insert_loans!()).await
    }

    /// `query` with these columns bound as its next seven parameters, in
    /// [`loan_columns!`] order.
    pub(crate) fn bound<'q>(&self, query: PgQuery<'q>) -> PgQuery<'q> {
        query
            .bind(&self.barcode)
            .bind(&self.cardnumber)
            .bind(&self.issued_at)
            .bind(&self.due_at)
            .bind(&self.renewals)
            .bind(&self.last_renewed_at)
            .bind(&self.branch)
    }

    async fn write(&self, conn: &mut PgConnection, what: &str, sql: &'static str) -> Result<()> {
        self.bound(sqlx::query(sql))
            .execute(conn)
            .await
            .doing(what)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ranges_hold_exactly_the_texts_with_the_prefix() {
        assert_eq!(prefix_end("lop"), "loq");
        assert_eq!(prefix_end("a9"), "a:");
        let end = prefix_end("jo");
        for inside in ["jo", "john", "jozzzz", "jo\u{10ffff}"] {
            assert!(inside >= "jo" && inside < end.as_str(), "{inside}");
        }
        for outside in ["jn", "jp", "j", "k"] {
            assert!(!(outside >= "jo" && outside < end.as_str()), "{outside}");
        }
        assert_eq!(prefix_end("\u{d7ff}"), "\u{e000}");
        assert!(prefix_end("\u{10ffff}").as_str() > "\u{10ffff}");
    }

    #[test]
    fn later_values_win_and_keep_their_place() {
        let values = [(1, 'a'), (2, 'b'), (1, 'c'), (3, 'd')];
        let kept: Vec<_> = last_by_key(&values, |v| v.0).into_iter().copied().collect();
        assert_eq!(kept, vec![(2, 'b'), (1, 'c'), (3, 'd')]);
    }
}
