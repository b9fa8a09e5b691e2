//! Table tests in the style of csv-core's `parses_to!`: every case goes
//! through the slice parser, the reader over the whole input, the reader
//! with a tiny buffer, the reader fed one byte at a time and the reader over a
//! failing source (see `common::all_paths`), which must all agree; then the
//! lines are compared with what is expected, written compactly:
//!
//! - `header K=V,K=V` (plus ` !unsupported_version` when warned),
//! - `blank`,
//! - `error:CODE` (`error:missing_field(barcode)` for a missing field),
//! - `TIMESTAMP ACTION FIELD|FIELD`, then ` due=...`, ` extra=...`,
//!   ` !missing_header` when they apply. The timestamp is written as its
//!   `Display` gives it: the desktop form, or ISO 8601 with its offset.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use koc_format::{ErrorKind, OwnedLine, ParserConfig, Transaction};

fn describe(line: &OwnedLine) -> String {
    match line {
        OwnedLine::Header(header) => {
            let pairs: Vec<String> = header
                .fields
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let warning = match header.warning() {
                Some(w) => format!(" !{}", w.kind.code()),
                None => String::new(),
            };
            format!("header {}{warning}", pairs.join(","))
        }
        OwnedLine::Blank(_) => "blank".to_owned(),
        OwnedLine::Error(error) => match error.kind {
            ErrorKind::MissingField(field) => format!("error:missing_field({field})"),
            kind => format!("error:{}", kind.code()),
        },
        OwnedLine::Transaction(record) => {
            let transaction = record.transaction.as_transaction();
            let fields = match transaction {
                Transaction::Issue {
                    cardnumber,
                    barcode,
                    ..
                } => format!("{cardnumber}|{barcode}"),
                Transaction::Return { barcode } => barcode.to_owned(),
                Transaction::Payment { cardnumber, amount } => format!("{cardnumber}|{amount}"),
            };
            let mut text = format!("{} {} {fields}", record.timestamp, transaction.action());
            if let Some(due) = transaction.due() {
                text += &format!(" due={due}");
            }
            if let Some(extra) = &record.extra {
                text += &format!(" extra={extra}");
            }
            if record.missing_header {
                text += " !missing_header";
            }
            text
        }
    }
}

fn check(input: &[u8], config: ParserConfig, expected: &[&str]) {
    let lines = common::all_paths(input, config);
    common::check_accounted(input, &lines);
    let described: Vec<String> = lines.iter().map(describe).collect();
    assert_eq!(
        described,
        expected,
        "input: {:?}",
        input.escape_ascii().to_string()
    );
}

macro_rules! parses_to {
    ($name:ident, $input:expr, [$($line:expr),* $(,)?]) => {
        parses_to!($name, $input, ParserConfig::default(), [$($line),*]);
    };
    ($name:ident, $input:expr, $config:expr, [$($line:expr),* $(,)?]) => {
        #[test]
        fn $name() {
            let input: &[u8] = $input;
            check(input, $config, &[$($line),*]);
        }
    };
}

const HEADER: &str = "header Version=1.0,Generator=kocDesktop,GeneratorVersion=2.4.0";

// Line ends.
parses_to!(empty_input, b"", []);
parses_to!(one_empty_line, b"\n", ["blank"]);
parses_to!(two_empty_lines, b"\n\n", ["blank", "blank"]);
parses_to!(blanks_only, b" \t \r\n\t", ["blank", "blank"]);
parses_to!(
    lf,
    b"Version=1.0\tGenerator=kocDesktop\tGeneratorVersion=2.4.0\n\
      2026-07-22 10-15-30 000\tissue\t23529001000463\t31000000123456\n",
    [
        HEADER,
        "2026-07-22 10-15-30 000 issue 23529001000463|31000000123456"
    ]
);
parses_to!(
    crlf,
    b"Version=1.0\tGenerator=kocDesktop\tGeneratorVersion=2.4.0\r\n\
      2026-07-22 10-16-02 000\treturn\t31000000654321\r\n",
    [HEADER, "2026-07-22 10-16-02 000 return 31000000654321"]
);
parses_to!(
    no_final_line_end,
    b"Version=1.0\n2026-07-22 10-16-02 000\treturn\t31000000654321",
    [
        "header Version=1.0",
        "2026-07-22 10-16-02 000 return 31000000654321"
    ]
);
parses_to!(
    no_final_line_end_after_crlf_lines,
    b"Version=1.0\r\n2026-07-22 10-16-02 000\treturn\t1\r",
    ["header Version=1.0", "2026-07-22 10-16-02 000 return 1"]
);
parses_to!(
    doubled_cr_before_lf,
    b"Version=1.0\r\r\n2026-07-22 10-16-02 000\treturn\t1\r\r\n",
    ["header Version=1.0", "2026-07-22 10-16-02 000 return 1"]
);
parses_to!(
    lone_cr_line,
    b"Version=1.0\n\r\n\r",
    ["header Version=1.0", "blank", "blank"]
);
// A CR between other characters is not a line end (Koha splits on LF only).
// Koha would strip it and look up another barcode than the one written:
// the line is reported instead, never silently changed.
parses_to!(
    stray_cr_inside_a_field,
    b"2026-07-22 10-16-02 000\treturn\t31\r00\n",
    ["error:control_character"]
);
parses_to!(
    control_character_inside_a_card_number,
    b"Version=1.0\n2026-07-22 10-16-02 000\tissue\t2352\x1b9\t31000000123456\n\
      2026-07-22 10-16-03 000\tpayment\t23529\x7f\t5.00\n\
      2026-07-22 10-16-04 000\treturn\t 31000000123456\r\t\n",
    [
        "header Version=1.0",
        "error:control_character",
        "error:control_character",
        "2026-07-22 10-16-04 000 return 31000000123456"
    ]
);
// Old Mac line ends (CR only) are not line ends: the file is one long line,
// reported as such rather than read as a header full of transactions.
parses_to!(
    cr_only_line_ends,
    b"Version=1.0\r2026-07-22 10-16-02 000\treturn\t1\r",
    ["error:control_character"]
);

// The header.
parses_to!(
    bom_then_header,
    b"\xEF\xBB\xBFVersion=1.0\tGenerator=kocDesktop\tGeneratorVersion=2.4.0\n",
    [HEADER]
);
parses_to!(
    bom_then_transaction,
    b"\xEF\xBB\xBF2026-07-22 10-16-02 000\treturn\t1\n",
    ["2026-07-22 10-16-02 000 return 1 !missing_header"]
);
parses_to!(
    bom_on_line_two_is_not_skipped,
    b"Version=1.0\n\xEF\xBB\xBF2026-07-22 10-16-02 000\treturn\t1\n",
    ["header Version=1.0", "error:invalid_timestamp"]
);
parses_to!(
    unknown_header_keys_are_kept,
    b"Version=1.0\tStation=desk 2\tGenerator=x\tflag\t\tK = V \n",
    ["header Version=1.0,Station=desk 2,Generator=x,flag=,K=V"]
);
parses_to!(
    other_version_is_read_with_a_warning,
    b"Version=2.0\n2026-07-22 10-16-02 000\treturn\t1\n",
    [
        "header Version=2.0 !unsupported_version",
        "2026-07-22 10-16-02 000 return 1"
    ]
);
parses_to!(
    no_version_is_warned,
    b"Generator=x\n",
    ["header Generator=x !unsupported_version"]
);
parses_to!(
    missing_header_keeps_the_first_transaction,
    b"2026-07-22 10-15-30 000\tissue\t2352\t3100\n2026-07-22 10-16-02 000\treturn\t3100\n",
    [
        "2026-07-22 10-15-30 000 issue 2352|3100 !missing_header",
        "2026-07-22 10-16-02 000 return 3100",
    ]
);
parses_to!(
    first_line_neither_header_nor_transaction,
    b"hello\n2026-07-22 10-16-02 000\treturn\t1\n",
    [
        "error:invalid_timestamp",
        "2026-07-22 10-16-02 000 return 1"
    ]
);
parses_to!(
    header_only_on_line_one,
    b"Version=1.0\nVersion=1.0\n",
    ["header Version=1.0", "error:invalid_timestamp"]
);
parses_to!(
    blank_first_line_then_header_text,
    b"\nVersion=1.0\n",
    ["blank", "error:invalid_timestamp"]
);

// Timestamps.
parses_to!(
    every_timestamp_form,
    b"2026-07-22 10-15-30 123\treturn\t1\n\
      2026-07-22 10:15:30 123\treturn\t1\n\
      2026-07-22 10:15:30.123\treturn\t1\n\
      2026-07-22T10:15:30.123\treturn\t1\n\
      2026-07-22 10:15:30\treturn\t1\n\
      2026-07-22 10-15-30\treturn\t1\n\
      2026-07-22T08:15:30Z\treturn\t1\n\
      2026-07-22T10:15:30+02:00\treturn\t1\n",
    [
        "2026-07-22 10-15-30 123 return 1 !missing_header",
        "2026-07-22 10-15-30 123 return 1",
        "2026-07-22 10-15-30 123 return 1",
        "2026-07-22 10-15-30 123 return 1",
        "2026-07-22 10-15-30 000 return 1",
        "2026-07-22 10-15-30 000 return 1",
        "2026-07-22T08:15:30.000+00:00 return 1",
        "2026-07-22T10:15:30.000+02:00 return 1",
    ]
);
parses_to!(
    impossible_timestamps,
    b"Version=1.0\n\
      2026-02-30 10-15-30 000\treturn\t1\n\
      2026-07-22 25-15-30 000\treturn\t1\n\
      2026-07-22 10-60-30 000\treturn\t1\n\
      2026-07-22 10-15-60 000\treturn\t1\n\
      2026-07-22 10-15-30 00\treturn\t1\n\
      22/07/2026 10:15:30\treturn\t1\n\
      2025-02-29 10-15-30 000\treturn\t1\n\
      2024-02-29 10-15-30 000\treturn\t1\n",
    [
        "header Version=1.0",
        "error:invalid_timestamp",
        "error:invalid_timestamp",
        "error:invalid_timestamp",
        "error:invalid_timestamp",
        "error:invalid_timestamp",
        "error:invalid_timestamp",
        "error:invalid_timestamp",
        "2024-02-29 10-15-30 000 return 1",
    ]
);

// Commands and fields.
parses_to!(
    fields_are_trimmed,
    b"Version=1.0\n 2026-07-22 10-15-30 000 \t issue \t 2352 \t 3100 \n",
    [
        "header Version=1.0",
        "2026-07-22 10-15-30 000 issue 2352|3100"
    ]
);
parses_to!(
    unknown_commands,
    b"Version=1.0\n\
      2026-07-22 10-15-30 000\tchekout\t1\t2\n\
      2026-07-22 10-15-30 000\tIssue\t1\t2\n\
      2026-07-22 10-15-30 000\trenew\t2\n",
    [
        "header Version=1.0",
        "error:unknown_command",
        "error:unknown_command",
        "error:unknown_command"
    ]
);
parses_to!(
    missing_fields,
    b"Version=1.0\n\
      2026-07-22 10-15-30 000\n\
      2026-07-22 10-15-30 000\t\t1\n\
      2026-07-22 10-15-30 000\tissue\n\
      2026-07-22 10-15-30 000\tissue\t1\n\
      2026-07-22 10-15-30 000\tissue\t \t2\n\
      2026-07-22 10-15-30 000\treturn\t\n\
      2026-07-22 10-15-30 000\treturn\n\
      2026-07-22 10-15-30 000\tpayment\t1\n\
      2026-07-22 10-15-30 000\tpayment\t1\t\n\
      2026-07-22 10-15-30 000\tpayment\t\t5.00\n",
    [
        "header Version=1.0",
        "error:missing_field(command)",
        "error:missing_field(command)",
        "error:missing_field(card number)",
        "error:missing_field(barcode)",
        "error:missing_field(card number)",
        "error:missing_field(barcode)",
        "error:missing_field(barcode)",
        "error:missing_field(amount)",
        "error:missing_field(amount)",
        "error:missing_field(card number)",
    ]
);
parses_to!(
    amounts,
    b"Version=1.0\n\
      2026-07-22 10-15-30 000\tpayment\t1\t5\n\
      2026-07-22 10-15-30 000\tpayment\t1\t0.1\n\
      2026-07-22 10-15-30 000\tpayment\t1\t1234.56\n\
      2026-07-22 10-15-30 000\tpayment\t1\t0.000001\n\
      2026-07-22 10-15-30 000\tpayment\t1\t0.00\n\
      2026-07-22 10-15-30 000\tpayment\t1\t-5.00\n\
      2026-07-22 10-15-30 000\tpayment\t1\t5,00\n\
      2026-07-22 10-15-30 000\tpayment\t1\t0.1234567\n\
      2026-07-22 10-15-30 000\tpayment\t1\t1,234.56\n\
      2026-07-22 10-15-30 000\tpayment\t1\t1e3\n\
      2026-07-22 10-15-30 000\tpayment\t1\t99999999999999999999\n",
    [
        "header Version=1.0",
        "2026-07-22 10-15-30 000 payment 1|5.00",
        "2026-07-22 10-15-30 000 payment 1|0.10",
        "2026-07-22 10-15-30 000 payment 1|1234.56",
        "2026-07-22 10-15-30 000 payment 1|0.000001",
        "error:amount_not_positive",
        "error:amount_not_positive",
        "error:invalid_amount",
        "error:invalid_amount",
        "error:invalid_amount",
        "error:invalid_amount",
        "error:invalid_amount",
    ]
);
parses_to!(
    due_dates_and_extra_fields,
    b"Version=1.0\n\
      2026-07-22 10-15-30 000\tissue\t1\t2\t2026-08-05\n\
      2026-07-22 10-15-30 000\tissue\t1\t2\t2026-08-05 18:00\n\
      2026-07-22 10-15-30 000\tissue\t1\t2\t2026-08-05 18:00:00\n\
      2026-07-22 10-15-30 000\tissue\t1\t2\tsoon\n\
      2026-07-22 10-15-30 000\tissue\t1\t2\t2026-08-05\tdesk 3\n\
      2026-07-22 10-15-30 000\tissue\t1\t2\t2026-08-32\n\
      2026-07-22 10-15-30 000\tissue\t1\t2\t\tx\n\
      2026-07-22 10-15-30 000\treturn\t2\tx\ty\n\
      2026-07-22 10-15-30 000\tpayment\t1\t5.00\tcash\n\
      2026-07-22 10-15-30 000\treturn\t2\t\t \n",
    [
        "header Version=1.0",
        "2026-07-22 10-15-30 000 issue 1|2 due=2026-08-05",
        "2026-07-22 10-15-30 000 issue 1|2 due=2026-08-05 18:00:00",
        "2026-07-22 10-15-30 000 issue 1|2 due=2026-08-05 18:00:00",
        "2026-07-22 10-15-30 000 issue 1|2 extra=soon",
        "2026-07-22 10-15-30 000 issue 1|2 due=2026-08-05 extra=desk 3",
        "2026-07-22 10-15-30 000 issue 1|2 extra=2026-08-32",
        "2026-07-22 10-15-30 000 issue 1|2 extra=x",
        "2026-07-22 10-15-30 000 return 2 extra=x\ty",
        "2026-07-22 10-15-30 000 payment 1|5.00 extra=cash",
        // A trailing TAB or blanks say nothing: no extra fields.
        "2026-07-22 10-15-30 000 return 2",
    ]
);
parses_to!(
    unicode_fields,
    "Version=1.0\n2026-07-22 10-15-30 000\tissue\tJosé\t№ 1\n".as_bytes(),
    [
        "header Version=1.0",
        "2026-07-22 10-15-30 000 issue José|№ 1"
    ]
);

// Invalid UTF-8 (a Windows-1252 é, 0xE9) is an error, never replaced.
parses_to!(
    invalid_utf8,
    b"Version=1.0\tStation=Sal\xE9\n\
      2026-07-22 10-15-30 000\tissue\tJos\xE9\t2\n\
      2026-07-22 10-15-30 000\treturn\t\xE9\n\
      2026-07-22 10-15-30 000\treturn\t2\tnot\xE9\n\
      2026-07-22 10-15-30 000\tpayment\t1\t5\xE9\n\
      2026-07-22 10-15-30 000\tissu\xE9\t1\t2\n\
      2026-07-22 10-15-30 00\xE9\treturn\t2\n\
      2026-07-22 10-15-30 000\treturn\t2\n",
    [
        "error:invalid_utf8",
        "error:invalid_utf8",
        "error:invalid_utf8",
        "error:invalid_utf8",
        "error:invalid_utf8",
        "error:unknown_command",
        "error:invalid_timestamp",
        "2026-07-22 10-15-30 000 return 2",
    ]
);

// The line limit: a line of exactly the limit is read, one byte more is
// skipped, and what follows is read. The limit counts the bytes before the
// LF, a CR included.
const AT_LIMIT: &[u8] = b"2026-07-22 10-16-02 000\treturn\t12"; // 33 bytes
parses_to!(
    line_too_long,
    b"Version=1.0\tGenerator=something rather long\n\
      2026-07-22 10-16-02 000\treturn\t12\n\
      2026-07-22 10-16-02 000\treturn\t123\n\
      2026-07-22 10-16-02 000\treturn\t12\r\n\
      2026-07-22 10-16-02 000\treturn\t1\r\n\
      2026-07-22 10-16-02 000\treturn\t123",
    ParserConfig::with_max_line_length(AT_LIMIT.len()),
    [
        "error:line_too_long",
        // Line 1 was a line, too long: nothing says a header is missing.
        "2026-07-22 10-16-02 000 return 12",
        "error:line_too_long",
        "error:line_too_long",
        "2026-07-22 10-16-02 000 return 1",
        "error:line_too_long",
    ]
);
parses_to!(
    zero_limit,
    b"\n \nVersion=1.0\n",
    ParserConfig::with_max_line_length(0),
    ["blank", "error:line_too_long", "error:line_too_long"]
);

#[test]
fn a_long_line_is_not_buffered_and_its_length_is_reported() {
    let mut input = b"Version=1.0\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', 1_000_000));
    input.extend_from_slice(b"\n2026-07-22 10-16-02 000\treturn\t1\n");
    let lines = common::lines(&input);
    common::check_accounted(&input, &lines);
    let OwnedLine::Error(error) = &lines[1] else {
        panic!("{:?}", lines[1])
    };
    assert_eq!(error.kind, ErrorKind::LineTooLong);
    assert_eq!(
        error.to_string(),
        "line 2, byte 12: line too long (1000000 bytes, the limit is 65536 bytes)"
    );
    assert_eq!(describe(&lines[2]), "2026-07-22 10-16-02 000 return 1");
}

#[test]
fn error_messages_name_line_byte_and_text() {
    let input = b"Version=1.0\n2026-07-22 10-15-31 000\tchekout\t1\t2\n";
    let lines = common::lines(input);
    assert_eq!(
        lines[1].as_line().position(),
        koc_format::Position { line: 2, byte: 12 }
    );
    let OwnedLine::Error(error) = &lines[1] else {
        panic!()
    };
    assert_eq!(
        error.to_string(),
        "line 2, byte 12: unknown command `chekout`: expected issue, return or payment"
    );
}
