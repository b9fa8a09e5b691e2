//! Reading a CSV file with a header row into checked rows: required columns
//! present, every bad row reported with its line number.

use std::collections::HashMap;
use std::path::Path;

use crate::error::CliError;

/// A row of the file, with its columns found by name.
pub struct Row<'r> {
    record: &'r csv::StringRecord,
    columns: &'r HashMap<String, usize>,
}

impl Row<'_> {
    /// The cell of column `name`; `None` when the column is absent or the
    /// cell is empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        let index = *self.columns.get(name)?;
        self.record.get(index).filter(|cell| !cell.is_empty())
    }

    /// The cell of column `name`, owned.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_owned)
    }

    /// The cell of a required column.
    ///
    /// # Errors
    ///
    /// When it is empty.
    pub fn required(&self, name: &str) -> Result<&str, String> {
        self.get(name).ok_or_else(|| format!("{name} is empty"))
    }

    /// The cell of column `name` read with `parse`, when not empty.
    ///
    /// # Errors
    ///
    /// When `parse` fails, naming the column.
    pub fn parsed<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, String> {
        self.get(name)
            .map(|cell| parse(cell).map_err(|e| format!("{name}: {e}")))
            .transpose()
    }

    /// The cell of a required column read with `parse`.
    ///
    /// # Errors
    ///
    /// When it is empty or `parse` fails.
    pub fn parsed_required<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, String> {
        parse(self.required(name)?).map_err(|e| format!("{name}: {e}"))
    }
}

/// Rows read and parsed, each with its line number.
pub type Parsed<T> = Vec<(u64, T)>;

/// Bad rows: line number and what is wrong.
pub type Bad = Vec<(u64, String)>;

/// Reads `path`: checks the header has the `required` columns, parses each
/// row with `parse`, and returns the good rows and the bad ones (so that
/// later checks can add theirs and every problem is reported at once).
///
/// Cells are trimmed; column names are matched without regard to case;
/// extra columns are ignored; a row with fewer cells has the rest empty.
///
/// # Errors
///
/// [`CliError::Input`] when the file cannot be read or lacks a required
/// column.
pub fn read<T>(
    path: &Path,
    required: &[&str],
    parse: impl Fn(&Row<'_>) -> Result<T, String>,
) -> Result<(Parsed<T>, Bad), CliError> {
    check(path, required, parse, |row| row)
}

/// Reads `path` as [`read`] does, keeping of each good row only its `key`:
/// what the checks across rows need.
///
/// # Errors
///
/// As [`read`].
pub fn check<T, K>(
    path: &Path,
    required: &[&str],
    parse: impl Fn(&Row<'_>) -> Result<T, String>,
    key: impl Fn(T) -> K,
) -> Result<(Parsed<K>, Bad), CliError> {
    let mut reader = RowReader::open(path, required)?;
    let mut keys = Vec::new();
    let mut bad = Vec::new();
    while let Some((line, parsed)) = reader.next(&parse)? {
        match parsed {
            Ok(value) => keys.push((line, key(value))),
            Err(message) => bad.push((line, message)),
        }
    }
    Ok((keys, bad))
}

/// A row's line number, and the row parsed or why it could not be.
pub type NumberedRow<T> = (u64, Result<T, String>);

/// A CSV file read a row at a time, as [`read`] reads it, for files too
/// large to hold whole.
pub struct RowReader {
    file: String,
    reader: csv::Reader<std::fs::File>,
    columns: HashMap<String, usize>,
    record: csv::StringRecord,
}

impl RowReader {
    /// Opens `path` and checks its header has the `required` columns.
    ///
    /// # Errors
    ///
    /// [`CliError::Input`] when the file cannot be read or lacks a required
    /// column.
    pub fn open(path: &Path, required: &[&str]) -> Result<RowReader, CliError> {
        let file = path.display().to_string();
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_path(path)
            .map_err(|e| CliError::Input(format!("cannot read {file}: {}", io_message(&e))))?;
        let header = reader
            .headers()
            .map_err(|e| CliError::Input(format!("{file}: cannot read the header row: {e}")))?
            .clone();
        let mut columns = HashMap::new();
        for (index, name) in header.iter().enumerate() {
            columns.entry(name.to_lowercase()).or_insert(index);
        }
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|name| !columns.contains_key(*name))
            .collect();
        if !missing.is_empty() {
            return Err(CliError::Input(format!(
                "{file}: line 1: missing required column{} {}; the header row must name at least {}",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                required.join(", ")
            )));
        }
        Ok(RowReader {
            file,
            reader,
            columns,
            record: csv::StringRecord::new(),
        })
    }

    /// The next row that is not empty, with its line number, parsed with
    /// `parse` (or why it could not be); `None` at the end of the file.
    ///
    /// # Errors
    ///
    /// [`CliError::Input`] when the file cannot be read.
    pub fn next<T>(
        &mut self,
        parse: impl Fn(&Row<'_>) -> Result<T, String>,
    ) -> Result<Option<NumberedRow<T>>, CliError> {
        loop {
            match self.reader.read_record(&mut self.record) {
                Ok(false) => return Ok(None),
                Ok(true) => {
                    let line = self.record.position().map_or(0, csv::Position::line);
                    if self.record.iter().all(str::is_empty) {
                        continue;
                    }
                    let row = Row {
                        record: &self.record,
                        columns: &self.columns,
                    };
                    return Ok(Some((line, parse(&row))));
                }
                Err(error) => match error.kind() {
                    csv::ErrorKind::Utf8 { pos, err } => {
                        return Ok(Some((
                            pos.as_ref().map_or(0, csv::Position::line),
                            Err(format!("not valid UTF-8 (field {})", err.field() + 1)),
                        )));
                    }
                    _ => {
                        return Err(CliError::Input(format!(
                            "cannot read {}: {}",
                            self.file,
                            io_message(&error)
                        )));
                    }
                },
            }
        }
    }
}

fn io_message(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Io(io) => io.to_string(),
        _ => error.to_string(),
    }
}

/// `Ok` when no row is bad, else [`CliError::BadRows`] with every bad row
/// in line order (a row may have several problems).
pub fn none_bad(file: &Path, mut bad: Bad) -> Result<(), CliError> {
    if bad.is_empty() {
        return Ok(());
    }
    bad.sort_by_key(|(line, _)| *line);
    Err(CliError::BadRows {
        file: file.display().to_string(),
        rows: bad,
    })
}
