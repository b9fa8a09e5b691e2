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

    let mut rows = Vec::new();
    let mut bad = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, csv::Position::line);
                if record.iter().all(str::is_empty) {
                    continue;
                }
                let row = Row {
                    record: &record,
                    columns: &columns,
                };
                match parse(&row) {
                    Ok(value) => rows.push((line, value)),
                    Err(message) => bad.push((line, message)),
                }
            }
            Err(error) => match error.kind() {
                csv::ErrorKind::Utf8 { pos, err } => bad.push((
                    pos.as_ref().map_or(0, csv::Position::line),
                    format!("not valid UTF-8 (field {})", err.field() + 1),
                )),
                _ => {
                    return Err(CliError::Input(format!(
                        "cannot read {file}: {}",
                        io_message(&error)
                    )));
                }
            },
        }
    }
    Ok((rows, bad))
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
