//! Listings with optional filters, built as SQL with only the conditions
//! given, so each shape can use its index (and is cached as a prepared
//! statement of its own).

use rusqlite::types::Value;
use rusqlite::{Connection, Row};

/// A `SELECT` with the conditions of a filter.
pub(crate) struct Query {
    sql: String,
    params: Vec<Value>,
    conditions: usize,
}

impl Query {
    /// `SELECT ... FROM ...`, without a `WHERE`.
    pub fn new(select: &str) -> Query {
        Query {
            sql: select.to_owned(),
            params: Vec::new(),
            conditions: 0,
        }
    }

    /// Adds a condition (with `?` for each value) when `values` is `Some`.
    pub fn filter<V: Into<Value>>(
        &mut self,
        condition: &str,
        values: Option<Vec<V>>,
    ) -> &mut Query {
        if let Some(values) = values {
            self.sql.push_str(if self.conditions == 0 {
                " WHERE "
            } else {
                " AND "
            });
            self.sql.push_str(condition);
            self.params.extend(values.into_iter().map(Into::into));
            self.conditions += 1;
        }
        self
    }

    /// Adds a condition without values when `on`.
    pub fn filter_if(&mut self, condition: &str, on: bool) -> &mut Query {
        self.filter::<Value>(condition, on.then(Vec::new))
    }

    /// Appends `ORDER BY ...` or the like.
    pub fn then(&mut self, tail: &str) -> &mut Query {
        self.sql.push(' ');
        self.sql.push_str(tail);
        self
    }

    /// Appends `LIMIT n` when there is a limit.
    pub fn limit(&mut self, limit: Option<usize>) -> &mut Query {
        if let Some(limit) = limit {
            self.sql.push_str(" LIMIT ?");
            self.params.push(Value::Integer(crate::codec::count(limit)));
        }
        self
    }

    /// The rows, each read with `read`.
    pub fn rows<T>(
        &self,
        conn: &Connection,
        read: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<Vec<T>> {
        let mut statement = conn.prepare_cached(&self.sql)?;
        statement
            .query_map(rusqlite::params_from_iter(&self.params), read)?
            .collect()
    }

    /// The SQL, for tests.
    #[cfg(test)]
    pub fn sql(&self) -> &str {
        &self.sql
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_conditions_given() {
        let mut query = Query::new("SELECT x FROM t");
        query
            .filter("a = ?", None::<Vec<i64>>)
            .filter("b = ?", Some(vec![1]))
            .filter_if("c IS NULL", true)
            .filter_if("d IS NULL", false)
            .then("ORDER BY x")
            .limit(Some(3));
        assert_eq!(
            query.sql(),
            "SELECT x FROM t WHERE b = ? AND c IS NULL ORDER BY x LIMIT ?"
        );
        let conn = Connection::open_in_memory().unwrap();
        let none = Query::new("SELECT 1")
            .rows(&conn, |r| r.get::<_, i64>(0))
            .unwrap();
        assert_eq!(none, vec![1]);
    }
}
