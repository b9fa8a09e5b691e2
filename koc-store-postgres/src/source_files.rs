//! The names of the files operations were read from, each stored once in
//! `source_files` (schema version 2) and referred to by number from the
//! operations' rows.

use std::collections::HashMap;

use koc_core::{Operation, Result, Source};
use sqlx::PgConnection;

use crate::error::Doing;

/// The numbers of the file names of `operations`, each added to the table
/// when it is not there yet, in the enqueue's transaction (rolled back
/// with it). An enqueue's operations nearly always come from one file: a
/// statement or two per enqueue.
pub(crate) async fn numbers<'a>(
    conn: &mut PgConnection,
    operations: impl Iterator<Item = &'a Operation>,
) -> Result<HashMap<&'a str, i64>> {
    let doing = "recording the name of the operations' file";
    let mut numbers: HashMap<&str, i64> = HashMap::new();
    for operation in operations {
        let Source::File { name, .. } = &operation.source else {
            continue;
        };
        if numbers.contains_key(name.as_str()) {
            continue;
        }
        // A name added by another enqueue meanwhile makes the insert wait
        // for it, then add nothing; the select then finds it.
        let added: Option<i64> = sqlx::query_scalar(
            "INSERT INTO source_files (name) VALUES ($1) ON CONFLICT (name) DO NOTHING \
             RETURNING id",
        )
        .bind(name)
        .fetch_optional(&mut *conn)
        .await
        .doing(doing)?;
        let number = match added {
            Some(number) => number,
            None => sqlx::query_scalar("SELECT id FROM source_files WHERE name = $1")
                .bind(name)
                .fetch_one(&mut *conn)
                .await
                .doing(doing)?,
        };
        numbers.insert(name, number);
    }
    Ok(numbers)
}

/// The number of `operation`'s file in `numbers`, if it was read from one.
pub(crate) fn number_of(numbers: &HashMap<&str, i64>, operation: &Operation) -> Option<i64> {
    match &operation.source {
        Source::File { name, .. } => numbers.get(name.as_str()).copied(),
        _ => None,
    }
}
