//! The sample library bundled in the binary, for `koc demo`.
//!
//! The CSVs are the shared test data; `demo.koc` is `desktop-crlf.koc` (the
//! desktop tool's real format, CRLF line ends) with three more lines so the
//! demo shows a hold filled, a restricted patron borrowing a lost item, and a
//! check-in of a barcode the catalogue does not know.

use crate::cli::LoadKind;

/// The CSV files, in the order they must be loaded (loans, fines and holds
/// name patrons and items).
pub const CSV: [(LoadKind, &str, &str); 6] = [
    (
        LoadKind::Patrons,
        "patrons.csv",
        include_str!("../sample/patrons.csv"),
    ),
    (
        LoadKind::Items,
        "items.csv",
        include_str!("../sample/items.csv"),
    ),
    (
        LoadKind::Loans,
        "loans.csv",
        include_str!("../sample/loans.csv"),
    ),
    (
        LoadKind::Fines,
        "fines.csv",
        include_str!("../sample/fines.csv"),
    ),
    (
        LoadKind::Holds,
        "holds.csv",
        include_str!("../sample/holds.csv"),
    ),
    (
        LoadKind::Rules,
        "rules.csv",
        include_str!("../sample/rules.csv"),
    ),
];

/// The desk's file name.
pub const KOC_NAME: &str = "demo.koc";

/// The desk's `.koc` file.
pub const KOC: &[u8] = include_bytes!("../sample/demo.koc");

/// The library the desk uploads for.
pub const BRANCH: &str = "CPL";

/// The staff user in the demo.
pub const USER: &str = "admin";

/// The workstation that recorded the file.
pub const WORKSTATION: &str = "desk1";
