//! The names of the files operations were read from, each stored once in
//! `source_files` (schema version 4) and referred to by number from the
//! operations' rows.

use koc_core::Result;
use rusqlite::{Connection, OptionalExtension};

use crate::error::Context;

/// The ids of file names, as one enqueue finds or adds them. An enqueue's
/// operations nearly always come from one file, so the last name is kept
/// and the table is searched only when the name changes.
#[derive(Default)]
pub(crate) struct SourceFiles<'a> {
    last: Option<(&'a str, i64)>,
}

impl<'a> SourceFiles<'a> {
    /// The id of `name`, added to the table when it is not there yet, in
    /// the enqueue's transaction (rolled back with it).
    pub(crate) fn id(&mut self, conn: &Connection, name: &'a str) -> Result<i64> {
        if let Some((last, id)) = self.last
            && last == name
        {
            return Ok(id);
        }
        let what = "recording the name of the operations' file";
        let found: Option<i64> = conn
            .prepare_cached("SELECT id FROM source_files WHERE name = ?1")
            .and_then(|mut select| select.query_row([name], |row| row.get(0)).optional())
            .context(what)?;
        let id = match found {
            Some(id) => id,
            None => {
                conn.prepare_cached("INSERT INTO source_files (name) VALUES (?1)")
                    .and_then(|mut insert| insert.execute([name]))
                    .context(what)?;
                conn.last_insert_rowid()
            }
        };
        self.last = Some((name, id));
        Ok(id)
    }
}
