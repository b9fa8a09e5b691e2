//! A synthetic library and what its desks record during outages: the input
//! of the processing benchmarks and of the scale script.
//!
//! A [`Library`] is patrons, items, open loans, fines, holds and loan rules
//! (the CSV files `koc load` reads), and [`Simulation`] writes the `.koc`
//! files its desks would write during one outage or several: issues of
//! items on the shelf, returns of items on loan, renewals, payments against
//! real debts, and a few percent of what goes wrong at a desk (unknown cards
//! and barcodes, returns of items that were not on loan, lines written twice,
//! items lent again at the live desk after the outage). The simulation keeps
//! the state of every item and debt as it goes, so it knows the outcome
//! processing will give each operation ([`FileSummary::outcomes`]), and the
//! benchmarks check they get exactly that.
//!
//! Everything is a function of the [`LibrarySpec`]: the same seed gives the
//! same files, byte for byte, on every machine.
//!
//! ```
//! use koc_benches::library::{Library, LibrarySpec};
//!
//! let library = Library::new(LibrarySpec::new(1_000, 5_000, 2_000, 1));
//! let mut simulation = library.simulation();
//! let mut file = Vec::new();
//! let summary = simulation.write_file(&mut file)?;
//! assert_eq!(summary.transactions, 2_000);
//! let aftermath = simulation.finish();
//! assert!(library.loans(&aftermath).count() > 500);
//! # Ok::<(), koc_format::WriteError>(())
//! ```

mod catalogue;
mod csv_files;
mod domain;
mod names;
mod outage;
mod summary;

use chrono::{NaiveDate, NaiveDateTime};

pub use catalogue::{
    BARCODE_PREFIX, CARD_PREFIX, FineRecord, HoldRecord, ItemRecord, LoanRecord, PatronRecord,
    RULES, RuleRecord, UNKNOWN_BARCODE_PREFIX, UNKNOWN_CARD_PREFIX, barcode, cardnumber,
};
pub use csv_files::{CsvCounts, write_catalogue_csv, write_loans_csv};
pub use domain::load_library;
pub use outage::{Aftermath, Simulation};
pub use summary::{FileSummary, OperationKind};

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LibrarySpec {
    /// Patrons (at least 1).
    pub patrons: u32,
    /// Items (at least 1).
    pub items: u32,
    /// Transaction lines in each `.koc` file, repeated lines included.
    pub operations: u64,
    /// How many files (outages) will be written; only the fines depend on
    /// it, so that every file can have its share of payments.
    pub files: u32,
    /// The seed.
    pub seed: u64,
}

impl LibrarySpec {
    /// `patrons` patrons, `items` items, `operations` lines per file, from
    /// `seed`. Zero patrons or items count as one.
    pub fn new(patrons: u32, items: u32, operations: u64, seed: u64) -> LibrarySpec {
        LibrarySpec {
            patrons: patrons.max(1),
            items: items.max(1),
            operations,
            files: 1,
            seed,
        }
    }

    /// For `files` outages (at least 1).
    pub fn files(mut self, files: u32) -> LibrarySpec {
        self.files = files.max(1);
        self
    }
}

/// When the first outage begins: 22 July 2026, 09:00.
pub fn first_outage_start() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 7, 22)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap_or(NaiveDateTime::MIN)
}

/// A synthetic library (see the [module docs](self)).
#[derive(Clone, Debug)]
pub struct Library {
    spec: LibrarySpec,
    start: NaiveDateTime,
    /// Patrons with fines, per thousand: enough that about 4% of the
    /// operations can be payments against real debts.
    debtor_per_mille: u32,
}

impl Library {
    /// The library `spec` describes.
    pub fn new(spec: LibrarySpec) -> Library {
        let spec = LibrarySpec::new(spec.patrons, spec.items, spec.operations, spec.seed)
            .files(spec.files);
        // About 2 payments per debtor before their debts are paid; 4% of the
        // operations are payments.
        let operations = spec.operations as f64 * f64::from(spec.files);
        let wanted = operations * 0.04 / 2.0 / f64::from(spec.patrons) * 1000.0;
        let debtor_per_mille = (wanted.ceil() as u32).clamp(50, 600);
        Library {
            spec,
            start: first_outage_start(),
            debtor_per_mille,
        }
    }

    /// What it was made from.
    pub fn spec(&self) -> &LibrarySpec {
        &self.spec
    }

    /// Every patron, by index.
    pub fn patrons(&self) -> impl Iterator<Item = PatronRecord> + '_ {
        (0..self.spec.patrons).map(|i| self.patron(i))
    }

    /// Every item, by index.
    pub fn items(&self) -> impl Iterator<Item = ItemRecord> + '_ {
        (0..self.spec.items).map(|i| self.item(i))
    }

    /// Every fine, by patron.
    pub fn fines(&self) -> impl Iterator<Item = FineRecord> + '_ {
        (0..self.spec.patrons).flat_map(|i| self.fines_of(i))
    }

    /// Every hold, by item.
    pub fn holds(&self) -> impl Iterator<Item = HoldRecord> + '_ {
        (0..self.spec.items).filter_map(|i| self.item_facts(i).hold)
    }

    /// The open loans once the outages are over and the live desks have lent
    /// again, by item: the loans made before the first outage, except that
    /// a conflict item the desks touched offline is on loan from after the
    /// last outage instead.
    pub fn loans<'a>(&'a self, aftermath: &'a Aftermath) -> impl Iterator<Item = LoanRecord> + 'a {
        (0..self.spec.items).filter_map(move |i| {
            if aftermath.conflicted(i) {
                Some(self.conflict_loan(i, aftermath.last_end))
            } else {
                self.item_facts(i).loan
            }
        })
    }

    /// A fresh simulation of the outages, starting from the loans and fines
    /// before the first.
    pub fn simulation(&self) -> Simulation<'_> {
        Simulation::new(self)
    }
}
