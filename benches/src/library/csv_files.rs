//! The library as the CSV files `koc load` reads, with exactly its columns.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};

use super::{Aftermath, Library, RULES, barcode, cardnumber};

/// The CSV files of a library, and how many rows each has.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvCounts {
    /// `patrons.csv`.
    pub patrons: u64,
    /// `items.csv`.
    pub items: u64,
    /// `loans.csv`.
    pub loans: u64,
    /// `fines.csv`.
    pub fines: u64,
    /// `holds.csv`.
    pub holds: u64,
    /// `rules.csv`.
    pub rules: u64,
}

fn date(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn datetime(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn cents(cents: u32) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn create(dir: &Path, name: &str) -> io::Result<csv::Writer<BufWriter<File>>> {
    let file = File::create(dir.join(name))?;
    Ok(csv::Writer::from_writer(BufWriter::with_capacity(
        1 << 16,
        file,
    )))
}

fn finish(writer: csv::Writer<BufWriter<File>>) -> io::Result<()> {
    let mut inner = writer.into_inner().map_err(|e| e.into_error())?;
    io::Write::flush(&mut inner)
}

/// Writes `patrons.csv`, `items.csv`, `fines.csv`, `holds.csv` and
/// `rules.csv` into `dir`: everything but the loans, which depend on the
/// outages ([`write_loans_csv`]).
///
/// # Errors
///
/// When a file cannot be written.
pub fn write_catalogue_csv(library: &Library, dir: &Path) -> io::Result<CsvCounts> {
    let mut counts = CsvCounts::default();

    let mut out = create(dir, "patrons.csv")?;
    out.write_record([
        "cardnumber",
        "userid",
        "surname",
        "firstname",
        "categorycode",
        "branchcode",
        "dateexpiry",
        "debarred",
        "email",
        "phone",
        "address",
        "city",
        "dateofbirth",
    ])?;
    for p in library.patrons() {
        out.write_record([
            p.cardnumber.as_str(),
            p.userid.as_deref().unwrap_or_default(),
            p.surname,
            p.firstname,
            p.category,
            p.branch,
            &date(p.expiry),
            &p.restricted_until.map(date).unwrap_or_default(),
            p.email.as_deref().unwrap_or_default(),
            p.phone.as_deref().unwrap_or_default(),
            &p.address,
            p.city,
            &date(p.date_of_birth),
        ])?;
        counts.patrons += 1;
    }
    finish(out)?;

    let mut out = create(dir, "items.csv")?;
    out.write_record([
        "barcode",
        "title",
        "author",
        "callnumber",
        "itemtype",
        "homebranch",
        "holdingbranch",
        "status",
    ])?;
    for i in library.items() {
        out.write_record([
            i.barcode.as_str(),
            &i.title,
            &i.author,
            &i.callnumber,
            i.itemtype,
            i.homebranch,
            i.holdingbranch,
            i.status,
        ])?;
        counts.items += 1;
    }
    finish(out)?;

    let mut out = create(dir, "fines.csv")?;
    out.write_record(["cardnumber", "amount", "description", "created_at"])?;
    for fine in library.fines() {
        out.write_record([
            cardnumber(fine.patron).as_str(),
            &cents(fine.cents),
            fine.description,
            &datetime(fine.created_at),
        ])?;
        counts.fines += 1;
    }
    finish(out)?;

    let mut out = create(dir, "holds.csv")?;
    out.write_record(["barcode", "cardnumber", "placed_at"])?;
    for hold in library.holds() {
        out.write_record([
            barcode(hold.item).as_str(),
            &cardnumber(hold.patron),
            &datetime(hold.placed_at),
        ])?;
        counts.holds += 1;
    }
    finish(out)?;

    let mut out = create(dir, "rules.csv")?;
    out.write_record(["categorycode", "itemtype", "loan_days", "renewal_days"])?;
    for rule in RULES {
        out.write_record([
            rule.category,
            rule.itemtype,
            &rule.loan_days.to_string(),
            &rule.renewal_days.to_string(),
        ])?;
        counts.rules += 1;
    }
    finish(out)?;
    Ok(counts)
}

/// Writes `loans.csv` into `dir`: the open loans once the outages are over
/// ([`Library::loans`]). Returns the rows written.
///
/// # Errors
///
/// When the file cannot be written.
pub fn write_loans_csv(library: &Library, aftermath: &Aftermath, dir: &Path) -> io::Result<u64> {
    let mut out = create(dir, "loans.csv")?;
    out.write_record(["barcode", "cardnumber", "issued_at", "due_at", "renewals"])?;
    let mut rows = 0;
    for loan in library.loans(aftermath) {
        out.write_record([
            barcode(loan.item).as_str(),
            &cardnumber(loan.patron),
            &datetime(loan.issued_at),
            &datetime(loan.due_at),
            &loan.renewals.to_string(),
        ])?;
        rows += 1;
    }
    finish(out)?;
    Ok(rows)
}
