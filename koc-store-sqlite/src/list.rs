//! Lists of values bound to `rarray(?)`, for set-based `IN` queries.
//!
//! rusqlite 0.39 hands SQLite an `Rc<Vec<Value>>` with a destructor that
//! releases it as an `Rc` of nothing: when SQLite drops the last reference
//! (a list bound by value, once the statement is reset or finalized), the
//! `Rc`'s box is freed but not the values in it, and every batch leaked its
//! keys (about 100 bytes per operation enqueued or processed). A [`List`]
//! can only be bound by reference, so the caller's `List`, which outlives
//! the statement, always drops the last reference itself.

use std::rc::Rc;

use rusqlite::ToSql;
use rusqlite::types::{ToSqlOutput, Value};

/// Values to bind to `rarray(?)`: bind `&list`, and keep `list` until the
/// statement is dropped (declare it before the statement).
pub(crate) struct List(Rc<Vec<Value>>);

impl List {
    /// These values.
    pub fn new(values: impl Iterator<Item = Value>) -> List {
        List(Rc::new(values.collect()))
    }

    /// These texts.
    pub fn texts<'a>(values: impl Iterator<Item = &'a str>) -> List {
        List::new(values.map(|v| Value::Text(v.to_owned())))
    }

    /// These integers.
    pub fn integers(values: impl Iterator<Item = i64>) -> List {
        List::new(values.map(Value::Integer))
    }
}

// Only by reference: a `List` bound by value would be dropped before the
// statement, leaving SQLite the last reference.
impl ToSql for &List {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        self.0.to_sql()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Binding a list many times does not keep its values.
    #[test]
    fn values_are_freed_once_the_statement_is_done() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        rusqlite::vtab::array::load_module(&conn).unwrap();
        let list = List::texts(["a", "b", "c"].into_iter());
        let weak = Rc::downgrade(&list.0);
        {
            let mut select = conn
                .prepare_cached("SELECT count(*) FROM rarray(?1)")
                .unwrap();
            let n: i64 = select.query_row([&list], |row| row.get(0)).unwrap();
            assert_eq!(n, 3);
        }
        assert_eq!(weak.strong_count(), 1, "the statement let go of it");
        drop(list);
        assert!(weak.upgrade().is_none());
    }
}
