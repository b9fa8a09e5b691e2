//! Property tests: what the writer writes reads back the same; any bytes at
//! all read the same through every path, without panic, and every line is
//! accounted for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};
use koc_format::{
    Amount, DueDate, Header, Line, Lines, OwnedLine, OwnedTransaction, ParserConfig, Record,
    Timestamp, WriteError, Writer,
};
use proptest::prelude::*;

fn naive_datetime() -> impl Strategy<Value = NaiveDateTime> {
    let first = NaiveDate::from_ymd_opt(0, 1, 1).unwrap().num_days_from_ce();
    let last = NaiveDate::from_ymd_opt(9999, 12, 31)
        .unwrap()
        .num_days_from_ce();
    let day = prop_oneof![
        // Mostly around now, sometimes anywhere a four-digit year reaches.
        4 => (2020i32..2040, 1u32..=366).prop_map(|(y, d)| {
            NaiveDate::from_yo_opt(y, d).unwrap_or_else(|| NaiveDate::from_yo_opt(y, 1).unwrap())
        }),
        1 => (first..=last).prop_map(|d| NaiveDate::from_num_days_from_ce_opt(d).unwrap()),
    ];
    (day, 0u32..86_400_000).prop_map(|(date, millis)| {
        let time = NaiveTime::from_num_seconds_from_midnight_opt(
            millis / 1000,
            (millis % 1000) * 1_000_000,
        )
        .unwrap();
        date.and_time(time)
    })
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    let offset = prop_oneof![
        3 => Just(None),
        1 => (-(23 * 60 + 59)..=(23 * 60 + 59)).prop_map(|m: i32| FixedOffset::east_opt(m * 60)),
    ];
    (naive_datetime(), offset).prop_map(|(at, offset)| match offset {
        Some(offset) => Timestamp::with_offset(at, offset),
        None => Timestamp::new(at),
    })
}

fn due() -> impl Strategy<Value = Option<DueDate>> {
    prop_oneof![
        2 => Just(None),
        1 => naive_datetime().prop_map(|at| Some(DueDate::Date(at.date()))),
        1 => (naive_datetime(), 0u32..1_000_000_000).prop_map(|(at, nanos)| {
            Some(DueDate::DateTime(at.date().and_time(
                NaiveTime::from_num_seconds_from_midnight_opt(
                    chrono::Timelike::num_seconds_from_midnight(&at),
                    nanos,
                )
                .unwrap(),
            )))
        }),
    ]
}

/// Card numbers and barcodes as they may be: ASCII mostly, blanks inside,
/// some Unicode (control characters are refused: see the table tests).
fn text() -> impl Strategy<Value = String> {
    "[0-9A-Za-z][0-9A-Za-z é№/-]{0,18}[0-9A-Za-z]|[0-9A-Za-z]"
}

fn transaction() -> impl Strategy<Value = OwnedTransaction> {
    prop_oneof![
        (text(), text(), due()).prop_map(|(cardnumber, barcode, due)| OwnedTransaction::Issue {
            cardnumber,
            barcode,
            due
        }),
        text().prop_map(|barcode| OwnedTransaction::Return { barcode }),
        (text(), 1i64..i64::MAX).prop_map(|(cardnumber, micros)| OwnedTransaction::Payment {
            cardnumber,
            amount: Amount::from_micros(micros)
        }),
        (text(), 1i64..100_000).prop_map(|(cardnumber, cents)| OwnedTransaction::Payment {
            cardnumber,
            amount: Amount::from_cents(cents)
        }),
    ]
}

fn extra() -> impl Strategy<Value = Option<String>> {
    prop_oneof![3 => Just(None), 1 => "[a-z][a-z \t]{0,10}[a-z]".prop_map(Some)]
}

type Written = (Timestamp, OwnedTransaction, Option<String>);

fn file() -> impl Strategy<Value = (bool, Vec<Written>)> {
    (
        any::<bool>(),
        proptest::collection::vec((timestamp(), transaction(), extra()), 0..40),
    )
}

fn write(header: bool, transactions: &[Written]) -> Vec<u8> {
    let mut writer = Writer::new(Vec::new());
    if header {
        writer
            .write_header(&Header::new("kocDesktop", "2.4.0"))
            .unwrap();
    }
    for (timestamp, transaction, extra) in transactions {
        let record = Record {
            position: Default::default(),
            timestamp: *timestamp,
            transaction: transaction.as_transaction(),
            extra: extra.as_deref(),
            missing_header: false,
        };
        writer.write_record(&record).unwrap();
    }
    writer.into_inner()
}

/// Arbitrary bytes, biased towards the pieces `.koc` lines are made of so
/// that deep paths are reached too.
fn koc_like_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\t".to_vec()),
        Just(b" ".to_vec()),
        Just(b"2026-07-22 10-15-30 000".to_vec()),
        Just(b"2026-07-22T10:15:30.5+02:00".to_vec()),
        Just(b"2026-02-30 10:15:30".to_vec()),
        Just(b"2026-08-05".to_vec()),
        Just(b"issue".to_vec()),
        Just(b"return".to_vec()),
        Just(b"payment".to_vec()),
        Just(b"5.00".to_vec()),
        Just(b"-1".to_vec()),
        Just(b"Version=1.0".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just(b"\xE9".to_vec()),
        Just(b"31000000123456".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..8),
    ];
    proptest::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn written_transactions_read_back_the_same((header, transactions) in file()) {
        let bytes = write(header, &transactions);
        let lines = common::lines(&bytes);
        common::check_accounted(&bytes, &lines);
        prop_assert_eq!(lines.len(), transactions.len() + usize::from(header));
        let mut read = lines.iter();
        if header {
            let Some(OwnedLine::Header(h)) = read.next() else { panic!("no header") };
            prop_assert_eq!(h, &Header::new("kocDesktop", "2.4.0"));
        }
        for ((timestamp, transaction, extra), line) in transactions.iter().zip(read) {
            let OwnedLine::Transaction(record) = line else {
                panic!("{line:?} for {transaction:?}")
            };
            prop_assert_eq!(record.timestamp, *timestamp);
            prop_assert_eq!(&record.transaction, transaction);
            prop_assert_eq!(&record.extra, extra);
            prop_assert_eq!(record.missing_header, !header && record.position.line == 1);
        }
    }

    #[test]
    fn whatever_the_writer_accepts_reads_back_the_same(
        timestamp in timestamp(),
        cardnumber in any::<String>(),
        barcode in any::<String>(),
        amount in any::<i64>(),
        due in due(),
        extra in proptest::option::of(any::<String>()),
        which in 0..3,
    ) {
        let transaction = match which {
            0 => OwnedTransaction::Issue { cardnumber, barcode, due },
            1 => OwnedTransaction::Return { barcode },
            _ => OwnedTransaction::Payment { cardnumber, amount: Amount::from_micros(amount) },
        };
        let record = Record {
            position: Default::default(),
            timestamp,
            transaction: transaction.as_transaction(),
            extra: extra.as_deref(),
            missing_header: false,
        };
        let mut writer = Writer::new(b"Version=1.0\n".to_vec());
        match writer.write_record(&record) {
            Ok(()) => {
                let bytes = writer.into_inner();
                let lines: Vec<Line> = Lines::new(&bytes).collect();
                prop_assert_eq!(lines.len(), 2);
                let Line::Transaction(read) = &lines[1] else { panic!("{:?}", lines[1]) };
                prop_assert_eq!(read.timestamp, timestamp);
                prop_assert_eq!(read.transaction, record.transaction);
                prop_assert_eq!(read.extra, record.extra);
            }
            Err(WriteError::Io(e)) => panic!("{e}"),
            // A refused line leaves nothing behind.
            Err(_) => prop_assert_eq!(writer.into_inner(), b"Version=1.0\n".to_vec()),
        }
    }

    #[test]
    fn any_bytes_read_the_same_every_way(input in proptest::collection::vec(any::<u8>(), 0..400)) {
        let lines = common::lines(&input);
        common::check_accounted(&input, &lines);
    }

    #[test]
    fn koc_like_bytes_read_the_same_every_way(
        input in koc_like_bytes(),
        limit in prop_oneof![Just(ParserConfig::default().max_line_length), 0usize..64],
    ) {
        let lines = common::all_paths(&input, ParserConfig::with_max_line_length(limit));
        common::check_accounted(&input, &lines);
        // A line is too long exactly when it is over the limit.
        for line in &lines {
            let start = line.position().byte as usize;
            let length = input[start..].iter().position(|&b| b == b'\n').unwrap_or(input.len() - start);
            let too_long = matches!(line, OwnedLine::Error(e) if e.kind == koc_format::ErrorKind::LineTooLong);
            prop_assert_eq!(too_long, length > limit);
        }
    }
}
