//! The columns each table is read with, and the rows they become.
//!
//! Each `*_COLUMNS` list and its reader go together: the reader takes the
//! columns in that order, from `start` on.

use koc_core::{
    AccountLine, AccountLineId, ClosedLoan, DueDate, Fingerprint, Hold, HoldId, Item, Loan,
    LoanRule, Operation, OperationId, Patron, PendingOperation, Source, UploadId,
};
use std::borrow::Cow;

use rusqlite::Row;

use crate::codec::{ActionCode, Cash, Day, KindCode, StatusCode, Time};

/// The columns [`patron`] reads, in order.
macro_rules! patron_columns {
    () => {
        "cardnumber, userid, surname, firstname, category, \
     branch, expiry, restricted_until, email, phone, address, city, date_of_birth"
    };
}
pub(crate) use patron_columns;

/// The columns [`patron`] reads, for processing: its contact details
/// (email, phone, address, city) left out, as `BatchState` allows, since
/// processing never reads them (about a tenth of a batch's patrons' memory
/// in the benchmarks' library).
macro_rules! patron_circulation_columns {
    () => {
        "cardnumber, userid, surname, firstname, category, \
     branch, expiry, restricted_until, NULL, NULL, NULL, NULL, date_of_birth"
    };
}
pub(crate) use patron_circulation_columns;

pub(crate) fn patron(row: &Row<'_>) -> rusqlite::Result<Patron> {
    Ok(Patron {
        cardnumber: row.get(0)?,
        userid: row.get(1)?,
        surname: row.get(2)?,
        firstname: row.get(3)?,
        category: row.get(4)?,
        branch: row.get(5)?,
        expiry: row.get::<_, Option<Day>>(6)?.map(|d| d.0),
        restricted_until: row.get::<_, Option<Day>>(7)?.map(|d| d.0),
        email: row.get(8)?,
        phone: row.get(9)?,
        address: row.get(10)?,
        city: row.get(11)?,
        date_of_birth: row.get::<_, Option<Day>>(12)?.map(|d| d.0),
    })
}

/// The columns [`item`] reads, in order.
/// An item's columns, from [`items_with_texts`].
macro_rules! item_columns {
    () => {
        "i.barcode, t.title, t.author, t.callnumber, i.itemtype, i.homebranch, \
         i.holdingbranch, i.status, i.last_seen"
    };
}
pub(crate) use item_columns;

/// An item's columns from `items AS i` alone, without its catalogue text
/// (`NULL`): what processing reads.
macro_rules! item_circulation_columns {
    () => {
        "i.barcode, NULL, NULL, NULL, i.itemtype, i.homebranch, \
         i.holdingbranch, i.status, i.last_seen"
    };
}
pub(crate) use item_circulation_columns;

/// Items (`i`) with their catalogue text (`t`).
macro_rules! items_with_texts {
    () => {
        "items AS i JOIN item_texts AS t ON t.barcode = i.barcode"
    };
}
pub(crate) use items_with_texts;

pub(crate) fn item(row: &Row<'_>) -> rusqlite::Result<Item> {
    Ok(Item {
        barcode: row.get(0)?,
        title: row.get(1)?,
        author: row.get(2)?,
        callnumber: row.get(3)?,
        itemtype: row.get(4)?,
        homebranch: row.get(5)?,
        holdingbranch: row.get(6)?,
        status: row.get::<_, StatusCode>(7)?.0,
        last_seen: row.get::<_, Option<Time>>(8)?.map(|t| t.0),
    })
}

/// The columns [`loan`] reads, in order.
macro_rules! loan_columns {
    () => {
        "barcode, cardnumber, issued_at, due_at, renewals, last_renewed_at, branch"
    };
}
pub(crate) use loan_columns;

pub(crate) fn loan(row: &Row<'_>) -> rusqlite::Result<Loan> {
    loan_at(row, 0)
}

/// A loan from [`loan_columns!`] starting at column `start`.
fn loan_at(row: &Row<'_>, start: usize) -> rusqlite::Result<Loan> {
    let at = |i: usize| start + i;
    Ok(Loan {
        barcode: row.get(at(0))?,
        cardnumber: row.get(at(1))?,
        issued_at: row.get::<_, Time>(at(2))?.0,
        due_at: row.get::<_, Time>(at(3))?.0,
        renewals: row.get(at(4))?,
        last_renewed_at: row.get::<_, Option<Time>>(at(5))?.map(|t| t.0),
        branch: row.get(at(6))?,
    })
}

/// An item (as [`item`] reads it) and, from the next columns
/// ([`loan_columns!`] of a `LEFT JOIN`, all `NULL` when the item is not on
/// loan), its open loan.
pub(crate) fn item_with_loan(row: &Row<'_>) -> rusqlite::Result<(Item, Option<Loan>)> {
    const LOAN: usize = 9;
    let item = item(row)?;
    let loan = match row.get_ref(LOAN)? {
        rusqlite::types::ValueRef::Null => None,
        _ => Some(loan_at(row, LOAN)?),
    };
    Ok((item, loan))
}

/// [`loan_columns!`], then `returned_at`.
pub(crate) fn closed_loan(row: &Row<'_>) -> rusqlite::Result<ClosedLoan> {
    Ok(ClosedLoan {
        loan: loan(row)?,
        returned_at: row.get::<_, Time>(7)?.0,
    })
}

/// The columns [`account_line`] reads, in order.
macro_rules! account_line_columns {
    () => {
        "id, cardnumber, kind, amount, outstanding, description, created_at, operation"
    };
}
pub(crate) use account_line_columns;

pub(crate) fn account_line(row: &Row<'_>) -> rusqlite::Result<AccountLine> {
    Ok(AccountLine {
        id: AccountLineId(row.get(0)?),
        cardnumber: row.get(1)?,
        kind: row.get::<_, KindCode>(2)?.0,
        amount: row.get::<_, Cash>(3)?.0,
        outstanding: row.get::<_, Cash>(4)?.0,
        description: row.get(5)?,
        created_at: row.get::<_, Time>(6)?.0,
        operation: row.get::<_, Option<i64>>(7)?.map(OperationId),
    })
}

/// The columns [`hold`] reads, in order.
macro_rules! hold_columns {
    () => {
        "id, barcode, cardnumber, placed_at, filled_at"
    };
}
pub(crate) use hold_columns;

pub(crate) fn hold(row: &Row<'_>) -> rusqlite::Result<Hold> {
    Ok(Hold {
        id: HoldId(row.get(0)?),
        barcode: row.get(1)?,
        cardnumber: row.get(2)?,
        placed_at: row.get::<_, Time>(3)?.0,
        filled_at: row.get::<_, Option<Time>>(4)?.map(|t| t.0),
    })
}

/// The columns [`rule`] reads, in order.
macro_rules! rule_columns {
    () => {
        "category, itemtype, loan_days, renewal_days"
    };
}
pub(crate) use rule_columns;

pub(crate) fn rule(row: &Row<'_>) -> rusqlite::Result<LoanRule> {
    Ok(LoanRule {
        category: row.get(0)?,
        itemtype: row.get(1)?,
        loan_days: row.get(2)?,
        renewal_days: row.get(3)?,
    })
}

/// The columns of the `operations` table after `id`, to write them.
macro_rules! operation_fields {
    () => {
        "upload, enqueued_at, fingerprint, action, time, cardnumber, barcode, amount, \
         due_date, due_at, userid, branch, workstation, source_kind, source_text, source_line, \
         source_file"
    };
}
pub(crate) use operation_fields;

/// The columns [`pending`] reads, from `operations` named `o` and the
/// name of its file, `f` (joined by [`source_file_join!`]).
macro_rules! operation_columns {
    () => {
        "o.id, o.upload, o.enqueued_at, o.fingerprint, o.action, o.time, o.cardnumber, \
         o.barcode, o.amount, o.due_date, o.due_at, o.userid, o.branch, o.workstation, \
         o.source_kind, coalesce(o.source_text, f.name), o.source_line"
    };
}
pub(crate) use operation_columns;

/// Joins `f`, the name of the file of operation `o` (none for another kind
/// of source), last in a `FROM` that reads [`operation_columns!`]. A join
/// rather than a subquery in the columns, which opened a cursor for each
/// row: 1.6% of a processing run's instructions.
macro_rules! source_file_join {
    () => {
        " LEFT JOIN source_files AS f ON f.id = o.source_file"
    };
}
pub(crate) use source_file_join;

/// How many columns [`pending`] reads.
pub(crate) const PENDING_WIDTH: usize = 17;

/// An operation, from [`operation_columns!`] at column `start` on.
pub(crate) fn pending(row: &Row<'_>, start: usize) -> rusqlite::Result<PendingOperation> {
    let at = |i: usize| start + i;
    let due = match (
        row.get::<_, Option<Day>>(at(9))?,
        row.get::<_, Option<Time>>(at(10))?,
    ) {
        (Some(Day(date)), _) => Some(DueDate::Date(date)),
        (None, Some(Time(time))) => Some(DueDate::DateTime(time)),
        (None, None) => None,
    };
    let source = source(
        row.get_ref(at(14))?.as_str()?,
        row.get(at(15))?,
        row.get(at(16))?,
    )
    .map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(at(14), rusqlite::types::Type::Text, e)
    })?;
    Ok(PendingOperation {
        id: OperationId(row.get(at(0))?),
        upload: UploadId(row.get(at(1))?),
        enqueued_at: row.get::<_, Time>(at(2))?.0,
        fingerprint: Fingerprint::from_stored(row.get(at(3))?),
        operation: Operation {
            action: row.get::<_, ActionCode>(at(4))?.0,
            time: row.get::<_, Time>(at(5))?.0,
            cardnumber: row.get(at(6))?,
            barcode: row.get(at(7))?,
            amount: row.get::<_, Option<Cash>>(at(8))?.map(|c| c.0),
            due,
            userid: row.get(at(11))?,
            branch: row.get(at(12))?,
            workstation: row.get(at(13))?,
            source,
        },
    })
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn source(kind: &str, text: Option<String>, line: Option<i64>) -> Result<Source, BoxError> {
    match (kind, text, line) {
        ("file", Some(name), Some(line)) => Ok(Source::File {
            name,
            line: u64::try_from(line)?,
        }),
        ("request", detail, None) => Ok(Source::Request { detail }),
        ("json", Some(json), None) => Ok(serde_json::from_str(&json)?),
        (kind, ..) => Err(format!("unknown source `{kind}`").into()),
    }
}

/// A source as stored in its operation's row: kind, text, line. A file's
/// name is not in the row: it is in `source_files`, found by
/// [`SourceFiles`](crate::source_files::SourceFiles).
pub(crate) fn source_parts(source: &Source) -> (&'static str, Option<Cow<'_, str>>, Option<i64>) {
    match source {
        Source::File { line, .. } => ("file", None, Some(i64::try_from(*line).unwrap_or(i64::MAX))),
        Source::Request { detail } => ("request", detail.as_deref().map(Cow::Borrowed), None),
        // A kind of source this code does not know yet keeps all it says.
        other => (
            "json",
            serde_json::to_string(other).ok().map(Cow::Owned),
            None,
        ),
    }
}

/// A due date as stored: a day, or a time.
pub(crate) fn due_parts(due: Option<DueDate>) -> (Option<Day>, Option<Time>) {
    match due {
        Some(DueDate::Date(date)) => (Some(Day(date)), None),
        Some(DueDate::DateTime(time)) => (None, Some(Time(time))),
        None => (None, None),
    }
}
