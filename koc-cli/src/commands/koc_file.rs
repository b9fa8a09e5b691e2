//! Opening a `.koc` file named on the command line.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use crate::error::CliError;

/// Buffer size for reading `.koc` files.
const BUFFER: usize = 256 * 1024;

/// A `.koc` file opened for reading, with its name and size.
pub struct KocFile {
    /// The file's name without its folder: the source recorded for each
    /// operation, as Koha records the uploaded file's name.
    pub name: String,
    /// The path as given, for messages.
    pub shown: String,
    /// Its size in bytes, for progress.
    pub size: u64,
    /// The reader.
    pub reader: BufReader<File>,
}

impl KocFile {
    /// Opens `path`.
    ///
    /// # Errors
    ///
    /// [`CliError::Input`] naming the file when it cannot be opened or is a
    /// directory.
    pub fn open(path: &Path) -> Result<KocFile, CliError> {
        let shown = path.display().to_string();
        let file =
            File::open(path).map_err(|e| CliError::Input(format!("cannot open {shown}: {e}")))?;
        let metadata = file
            .metadata()
            .map_err(|e| CliError::Input(format!("cannot read {shown}: {e}")))?;
        if metadata.is_dir() {
            return Err(CliError::Input(format!(
                "{shown} is a directory, not a .koc file"
            )));
        }
        let name = path
            .file_name()
            .map_or_else(|| shown.clone(), |n| n.to_string_lossy().into_owned());
        Ok(KocFile {
            name,
            shown,
            size: metadata.len(),
            reader: BufReader::with_capacity(BUFFER, file),
        })
    }
}
