//! The columns read for each domain type, and how a row becomes one.
//!
//! Each `*_columns!` macro expands to a column list (a string literal, so
//! queries stay `&'static str` with `concat!`); the matching function reads
//! those columns from a row, starting at column `at`.

use chrono::{NaiveDate, NaiveDateTime};
use koc_core::{
    AccountLine, AccountLineId, AccountLineKind, Fingerprint, Hold, HoldId, Item, Loan, LoanRule,
    Money, Operation, OperationId, PendingOperation, Result, UploadId,
};
use sqlx::postgres::PgRow;
use sqlx::{Column, Row};

use crate::codec;
use crate::error::corrupt;

/// Reads column `i` of `row`.
///
/// Without sqlx's check of the column's type against `T` for each value
/// (a tenth of `koc`'s instructions when processing): the columns are the
/// ones this crate's queries name, of the types its migrations give them.
/// Decoding still checks what it can (a value of another width fails, text
/// must be UTF-8), though a column changed by hand to another type of the
/// same width would be misread. A value that does not decode is answered
/// with its column's name.
fn get<'r, T>(row: &'r PgRow, i: usize) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get_unchecked(i).map_err(|error| match error {
        sqlx::Error::ColumnDecode { index, source } => {
            let name = row.try_column(i).map_or(index.as_str(), |c| c.name());
            corrupt(format_args!("column {name}: {source}"))
        }
        other => crate::error::from_sqlx("reading a row", other),
    })
}

/// Reads the `date` in column `i` of `row` (see [`codec::Day`]).
fn day(row: &PgRow, i: usize) -> Result<Option<NaiveDate>> {
    Ok(get::<Option<codec::Day>>(row, i)?.map(|day| day.0))
}

/// Reads the `timestamp` in column `i` of `row` (see [`codec::Moment`]).
pub(crate) fn moment(row: &PgRow, i: usize) -> Result<NaiveDateTime> {
    get::<codec::Moment>(row, i).map(|moment| moment.0)
}

/// Reads the `timestamp` or `NULL` in column `i` of `row`.
pub(crate) fn maybe_moment(row: &PgRow, i: usize) -> Result<Option<NaiveDateTime>> {
    Ok(get::<Option<codec::Moment>>(row, i)?.map(|moment| moment.0))
}

/// The columns [`patron`] reads, with `$contact` (one or more literals,
/// or macros that give them) in place of its four contact details.
macro_rules! patron_columns_with {
    ($p:literal, $($contact:tt)+) => {
        concat!(
            $p,
            "cardnumber, ",
            $p,
            "userid, ",
            $p,
            "surname, ",
            $p,
            "firstname, ",
            $p,
            "category, ",
            $p,
            "branch, ",
            $p,
            "expiry, ",
            $p,
            "restricted_until, ",
            $($contact)+,
            ", ",
            $p,
            "date_of_birth"
        )
    };
}
pub(crate) use patron_columns_with;

/// The columns [`patron`] reads.
macro_rules! patron_columns {
    () => {
        $crate::rows::patron_columns!("")
    };
    ($p:literal) => {
        $crate::rows::patron_columns_with!(
            $p,
            concat!($p, "email, ", $p, "phone, ", $p, "address, ", $p, "city")
        )
    };
}
pub(crate) use patron_columns;

/// The columns [`patron`] reads, for processing: its contact details
/// (email, phone, address, city) left out (`NULL`), as `BatchState`
/// allows, since processing never reads them (a tenth of a batch's
/// patrons' memory, and four strings a patron to send and decode).
macro_rules! patron_circulation_columns {
    ($p:literal) => {
        $crate::rows::patron_columns_with!($p, "NULL::text, NULL::text, NULL::text, NULL::text")
    };
}
pub(crate) use patron_circulation_columns;

pub(crate) fn patron(row: &PgRow, at: usize) -> Result<koc_core::Patron> {
    Ok(koc_core::Patron {
        cardnumber: get(row, at)?,
        userid: get(row, at + 1)?,
        surname: get(row, at + 2)?,
        firstname: get(row, at + 3)?,
        category: get(row, at + 4)?,
        branch: get(row, at + 5)?,
        expiry: day(row, at + 6)?,
        restricted_until: day(row, at + 7)?,
        email: get(row, at + 8)?,
        phone: get(row, at + 9)?,
        address: get(row, at + 10)?,
        city: get(row, at + 11)?,
        date_of_birth: day(row, at + 12)?,
    })
}

/// The columns [`item`] reads, with `$text` (one or more literals, or
/// macros that give them) in place of its catalogue text.
macro_rules! item_columns_with {
    ($p:literal, $($text:tt)+) => {
        concat!(
            $p,
            "barcode, ",
            $($text)+,
            ", ",
            $p,
            "itemtype, ",
            $p,
            "homebranch, ",
            $p,
            "holdingbranch, ",
            $p,
            "status, ",
            $p,
            "last_seen"
        )
    };
}
pub(crate) use item_columns_with;

/// The columns [`item`] reads.
macro_rules! item_columns {
    ($p:literal) => {
        $crate::rows::item_columns_with!(
            $p,
            concat!($p, "title, ", $p, "author, ", $p, "callnumber")
        )
    };
}
pub(crate) use item_columns;

/// The columns [`item`] reads, for processing: its catalogue text (title,
/// author, call number) left out (`NULL`), as `BatchState` allows, since
/// processing never reads it.
macro_rules! item_circulation_columns {
    ($p:literal) => {
        $crate::rows::item_columns_with!($p, "NULL::text, NULL::text, NULL::text")
    };
}
pub(crate) use item_circulation_columns;

/// Columns of [`item_columns!`] and [`item_circulation_columns!`].
pub(crate) const ITEM_WIDTH: usize = 9;

pub(crate) fn item(row: &PgRow, at: usize) -> Result<Item> {
    let status: String = get(row, at + 7)?;
    Ok(Item {
        barcode: get(row, at)?,
        title: get(row, at + 1)?,
        author: get(row, at + 2)?,
        callnumber: get(row, at + 3)?,
        itemtype: get(row, at + 4)?,
        homebranch: get(row, at + 5)?,
        holdingbranch: get(row, at + 6)?,
        status: codec::item_status(&status)?,
        last_seen: maybe_moment(row, at + 8)?,
    })
}

macro_rules! loan_columns {
    ($p:literal) => {
        concat!(
            $p,
            "barcode, ",
            $p,
            "cardnumber, ",
            $p,
            "issued_at, ",
            $p,
            "due_at, ",
            $p,
            "renewals, ",
            $p,
            "last_renewed_at, ",
            $p,
            "branch"
        )
    };
}
pub(crate) use loan_columns;

/// Columns of [`loan_columns!`].
pub(crate) const LOAN_WIDTH: usize = 7;

pub(crate) fn loan(row: &PgRow, at: usize) -> Result<Loan> {
    Ok(Loan {
        barcode: get(row, at)?,
        cardnumber: get(row, at + 1)?,
        issued_at: moment(row, at + 2)?,
        due_at: moment(row, at + 3)?,
        renewals: codec::count(get(row, at + 4)?)?,
        last_renewed_at: maybe_moment(row, at + 5)?,
        branch: get(row, at + 6)?,
    })
}

/// An open loan read through a left join: `None` when its first column is
/// null.
pub(crate) fn maybe_loan(row: &PgRow, at: usize) -> Result<Option<Loan>> {
    match get::<Option<String>>(row, at)? {
        None => Ok(None),
        Some(_) => loan(row, at).map(Some),
    }
}

macro_rules! account_line_columns {
    () => {
        $crate::rows::account_line_columns!("")
    };
    ($p:literal) => {
        concat!(
            $p,
            "id, ",
            $p,
            "cardnumber, ",
            $p,
            "kind, (",
            $p,
            "amount * 1000000)::bigint, (",
            $p,
            "outstanding * 1000000)::bigint, ",
            $p,
            "description, ",
            $p,
            "created_at, ",
            $p,
            "operation_id"
        )
    };
}
pub(crate) use account_line_columns;

pub(crate) fn account_line(row: &PgRow) -> Result<AccountLine> {
    let kind: String = get(row, 2)?;
    Ok(AccountLine {
        id: AccountLineId(get(row, 0)?),
        cardnumber: get(row, 1)?,
        kind: match kind.as_str() {
            "debit" => AccountLineKind::Debit,
            "credit" => AccountLineKind::Credit,
            other => return Err(corrupt(format_args!("account line kind {other:?}"))),
        },
        amount: Money::from_micros(get(row, 3)?),
        outstanding: Money::from_micros(get(row, 4)?),
        description: get(row, 5)?,
        created_at: moment(row, 6)?,
        operation: get::<Option<i64>>(row, 7)?.map(OperationId),
    })
}

macro_rules! hold_columns {
    () => {
        $crate::rows::hold_columns!("")
    };
    ($p:literal) => {
        concat!(
            $p,
            "id, ",
            $p,
            "barcode, ",
            $p,
            "cardnumber, ",
            $p,
            "placed_at, ",
            $p,
            "filled_at"
        )
    };
}
pub(crate) use hold_columns;

pub(crate) fn hold(row: &PgRow) -> Result<Hold> {
    Ok(Hold {
        id: HoldId(get(row, 0)?),
        barcode: get(row, 1)?,
        cardnumber: get(row, 2)?,
        placed_at: moment(row, 3)?,
        filled_at: maybe_moment(row, 4)?,
    })
}

macro_rules! rule_columns {
    () => {
        "category, itemtype, loan_days, renewal_days"
    };
}
pub(crate) use rule_columns;

pub(crate) fn rule(row: &PgRow) -> Result<LoanRule> {
    let days = |value: i64| u32::try_from(value).map_err(|_| corrupt(format_args!("{value} days")));
    Ok(LoanRule {
        category: get(row, 0)?,
        itemtype: get(row, 1)?,
        loan_days: days(get(row, 2)?)?,
        renewal_days: get::<Option<i64>>(row, 3)?.map(days).transpose()?,
    })
}

/// The columns of an operation as the queue and history keep it, after its
/// id (`id` in the queue, `operation_id` in history); the name of its file
/// from `f`, joined by [`source_file_join!`].
macro_rules! operation_columns {
    ($p:literal) => {
        concat!(
            $p,
            "upload_id, ",
            $p,
            "enqueued_at, ",
            $p,
            "fingerprint, ",
            $p,
            "action, ",
            $p,
            "time, ",
            $p,
            "time_ns, ",
            $p,
            "cardnumber, ",
            $p,
            "barcode, (",
            $p,
            "amount * 1000000)::bigint, ",
            $p,
            "due_date, ",
            $p,
            "due_at, ",
            $p,
            "due_ns, ",
            $p,
            "userid, ",
            $p,
            "branch, ",
            $p,
            "workstation, ",
            $p,
            "source_kind, ",
            "coalesce(",
            $p,
            "source_file, f.name), ",
            $p,
            "source_line, ",
            $p,
            "source_detail"
        )
    };
}
pub(crate) use operation_columns;

/// Joins `f`, the name of the file of operation `o` (none for a request, or
/// for a row that holds its file's name itself), in a `FROM` that reads
/// [`operation_columns!`].
macro_rules! source_file_join {
    () => {
        " LEFT JOIN source_files f ON f.id = o.source_file_id"
    };
}
pub(crate) use source_file_join;

/// Columns of an operation id followed by [`operation_columns!`].
pub(crate) const PENDING_WIDTH: usize = 20;

/// A pending operation: its id at `at`, then [`operation_columns!`].
pub(crate) fn pending(row: &PgRow, at: usize) -> Result<PendingOperation> {
    let action: String = get(row, at + 4)?;
    let kind: String = get(row, at + 16)?;
    Ok(PendingOperation {
        id: OperationId(get(row, at)?),
        upload: UploadId(get(row, at + 1)?),
        enqueued_at: moment(row, at + 2)?,
        fingerprint: Fingerprint::from_stored(get(row, at + 3)?),
        operation: Operation {
            action: codec::action(&action)?,
            time: codec::join_time(moment(row, at + 5)?, get(row, at + 6)?)?,
            cardnumber: get(row, at + 7)?,
            barcode: get(row, at + 8)?,
            amount: get::<Option<i64>>(row, at + 9)?.map(Money::from_micros),
            due: codec::due((
                day(row, at + 10)?,
                maybe_moment(row, at + 11)?,
                get(row, at + 12)?,
            ))?,
            userid: get(row, at + 13)?,
            branch: get(row, at + 14)?,
            workstation: get(row, at + 15)?,
            source: codec::source(
                &kind,
                get(row, at + 17)?,
                get(row, at + 18)?,
                get(row, at + 19)?,
            )?,
        },
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn processing_reads_the_columns_of_patrons_and_items_with_texts_left_out() {
        assert_eq!(
            patron_columns!("p."),
            "p.cardnumber, p.userid, p.surname, p.firstname, p.category, p.branch, p.expiry, \
             p.restricted_until, p.email, p.phone, p.address, p.city, p.date_of_birth"
        );
        assert_eq!(
            patron_circulation_columns!("p."),
            "p.cardnumber, p.userid, p.surname, p.firstname, p.category, p.branch, p.expiry, \
             p.restricted_until, NULL::text, NULL::text, NULL::text, NULL::text, p.date_of_birth"
        );
        assert_eq!(
            item_columns!("i."),
            "i.barcode, i.title, i.author, i.callnumber, i.itemtype, i.homebranch, \
             i.holdingbranch, i.status, i.last_seen"
        );
        assert_eq!(
            item_circulation_columns!("i."),
            "i.barcode, NULL::text, NULL::text, NULL::text, i.itemtype, i.homebranch, \
             i.holdingbranch, i.status, i.last_seen"
        );
    }
}
