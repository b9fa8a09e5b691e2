//! The shared test files give exactly what `testdata/README.md` says, through
//! every way in.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use koc_format::{
    Action, Amount, DueDate, ErrorKind, Field, OwnedLine, OwnedRecord, Warning, WarningKind,
};

fn read(name: &str) -> (Vec<u8>, Vec<OwnedLine>) {
    let path = format!("{}/../testdata/{name}", env!("CARGO_MANIFEST_DIR"));
    let input = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let lines = common::lines(&input);
    common::check_accounted(&input, &lines);
    (input, lines)
}

fn transactions(lines: &[OwnedLine]) -> Vec<&OwnedRecord> {
    lines
        .iter()
        .filter_map(|line| match line {
            OwnedLine::Transaction(record) => Some(record),
            _ => None,
        })
        .collect()
}

fn errors(lines: &[OwnedLine]) -> Vec<(u64, ErrorKind)> {
    lines
        .iter()
        .filter_map(|line| match line {
            OwnedLine::Error(error) => Some((error.position.line, error.kind)),
            _ => None,
        })
        .collect()
}

fn warnings(lines: &[OwnedLine]) -> Vec<Warning> {
    lines
        .iter()
        .flat_map(|line| match line {
            OwnedLine::Transaction(record) => record.as_record().warnings().collect(),
            OwnedLine::Header(header) => header.warning().into_iter().collect(),
            _ => Vec::new(),
        })
        .collect()
}

fn actions(records: &[&OwnedRecord]) -> Vec<Action> {
    records
        .iter()
        .map(|r| r.transaction.as_transaction().action())
        .collect()
}

#[test]
fn desktop_crlf() {
    let (_, lines) = read("desktop-crlf.koc");
    let OwnedLine::Header(header) = &lines[0] else {
        panic!("{:?}", lines[0])
    };
    assert_eq!(header.version(), Some("1.0"));
    assert_eq!(header.generator(), Some("kocDesktop"));
    // The CR before the LF is not part of the last value.
    assert_eq!(header.generator_version(), Some("1.3.2"));
    let records = transactions(&lines);
    use Action::{Issue, Payment, Return};
    assert_eq!(
        actions(&records),
        [Issue, Issue, Return, Payment, Issue, Return]
    );
    assert_eq!(
        records[3].transaction.as_transaction().amount(),
        Some(Amount::from_cents(500))
    );
    assert_eq!(records[1].timestamp.millisecond(), 512);
    assert_eq!(records[5].transaction.barcode(), Some("31000000123457"));
    assert_eq!(records[5].timestamp.to_string(), "2026-07-22 11-30-00 001");
    assert!(errors(&lines).is_empty());
    assert!(warnings(&lines).is_empty());
    assert_eq!(lines.len(), 7);
}

#[test]
fn wiki_format() {
    let (_, lines) = read("wiki-format.koc");
    let records = transactions(&lines);
    assert_eq!(
        actions(&records),
        [Action::Issue, Action::Return, Action::Payment]
    );
    let payment = records[2];
    assert_eq!(
        payment.transaction.as_transaction().amount(),
        Some("1234.56".parse().unwrap())
    );
    assert_eq!(payment.timestamp.millisecond(), 250);
    assert_eq!(
        payment.timestamp.naive().to_string(),
        "2026-07-22 10:17:45.250"
    );
    assert!(errors(&lines).is_empty());
    assert!(warnings(&lines).is_empty());
}

#[test]
fn browser_format() {
    let (_, lines) = read("browser-format.koc");
    let records = transactions(&lines);
    assert_eq!(actions(&records), [Action::Issue, Action::Return]);
    assert_eq!(
        records[1].timestamp.naive().to_string(),
        "2026-07-22 10:16:02.999"
    );
    assert!(errors(&lines).is_empty());
    assert!(warnings(&lines).is_empty());
}

#[test]
fn no_header_no_final_newline() {
    let (input, lines) = read("no-header-no-final-newline.koc");
    assert_ne!(input.last(), Some(&b'\n'));
    let records = transactions(&lines);
    assert_eq!(actions(&records), [Action::Issue, Action::Return]);
    assert_eq!(records[0].position.line, 1);
    assert!(records[0].missing_header);
    assert_eq!(records[1].transaction.barcode(), Some("31000000654321"));
    let warnings = warnings(&lines);
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].kind, WarningKind::MissingHeader);
    assert_eq!(warnings[0].position.line, 1);
    assert!(errors(&lines).is_empty());
    assert_eq!(lines.len(), 2);
}

#[test]
fn messy() {
    let (input, lines) = read("messy.koc");
    assert!(input.starts_with(b"\xEF\xBB\xBF"));
    assert_eq!(lines.len(), 12);

    let OwnedLine::Header(header) = &lines[0] else {
        panic!("{:?}", lines[0])
    };
    assert_eq!(header.fields[0].0, "Version", "the BOM is not in the key");
    assert_eq!(header.version(), Some("1.0"));

    let records = transactions(&lines);
    let at_lines: Vec<u64> = records.iter().map(|r| r.position.line).collect();
    assert_eq!(at_lines, [2, 9, 11]);
    assert_eq!(records[0].transaction.cardnumber(), Some("23529001000463"));
    assert_eq!(records[1].transaction.barcode(), Some("31000000123456"));
    assert_eq!(records[1].extra.as_deref(), Some("extra"));
    assert_eq!(
        records[2].transaction.as_transaction().due(),
        Some(DueDate::Date(
            chrono::NaiveDate::from_ymd_opt(2026, 8, 5).unwrap()
        ))
    );
    assert_eq!(records[2].extra, None);

    assert_eq!(lines[2], OwnedLine::Blank(lines[2].position()));
    assert_eq!(lines[2].position().line, 3);

    assert_eq!(
        errors(&lines),
        [
            (4, ErrorKind::UnknownCommand),
            (5, ErrorKind::MissingField(Field::Barcode)),
            (6, ErrorKind::InvalidTimestamp),
            (7, ErrorKind::AmountNotPositive),
            (8, ErrorKind::InvalidAmount),
            (10, ErrorKind::InvalidTimestamp),
            (12, ErrorKind::MissingField(Field::Barcode)),
        ]
    );
    // Every error names its line and where that line starts in the file.
    for line in &lines {
        if let OwnedLine::Error(error) = line {
            let text = error.to_string();
            assert!(
                text.starts_with(&format!(
                    "line {}, byte {}: ",
                    error.position.line, error.position.byte
                )),
                "{text}"
            );
            let start = error.position.byte as usize;
            assert!(start == 0 || input[start - 1] == b'\n', "{text}");
        }
    }
    let OwnedLine::Error(chekout) = &lines[3] else {
        panic!()
    };
    assert!(chekout.to_string().contains("chekout"), "{chekout}");

    let warnings = warnings(&lines);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].kind, WarningKind::ExtraFields);
    assert_eq!(warnings[0].position.line, 9);
}
