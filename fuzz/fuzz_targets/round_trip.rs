//! Structured transactions through the writer and back through the slice
//! parser and the reader: whatever the writer accepts reads back the same;
//! whatever it refuses leaves no byte behind.
#![no_main]

use arbitrary::Arbitrary;
use chrono::{FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};
use koc_format::{
    Amount, DueDate, Header, Line, Lines, OwnedLine, Reader, Record, Timestamp, Transaction,
    WriteError, Writer,
};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    header: Option<(String, String)>,
    entries: Vec<Entry>,
}

#[derive(Arbitrary, Debug)]
struct Entry {
    /// Days from 0000-01-01, and milliseconds in the day.
    day: u32,
    millis: u32,
    offset_minutes: Option<i16>,
    kind: Kind,
    extra: Option<String>,
}

#[derive(Arbitrary, Debug)]
enum Kind {
    Issue {
        cardnumber: String,
        barcode: String,
        due: Option<(u32, Option<u32>)>,
    },
    Return {
        barcode: String,
    },
    Payment {
        cardnumber: String,
        micros: i64,
    },
}

fn datetime(day: u32, millis: u32) -> NaiveDateTime {
    let first = NaiveDate::from_ymd_opt(0, 1, 1).expect("a valid date");
    let date = first
        .checked_add_days(chrono::Days::new(u64::from(day % 3_652_425)))
        .unwrap_or(first);
    let millis = millis % 86_400_000;
    let time =
        NaiveTime::from_num_seconds_from_midnight_opt(millis / 1000, millis % 1000 * 1_000_000)
            .expect("a valid time");
    date.and_time(time)
}

fuzz_target!(|input: Input| {
    let mut writer = Writer::new(Vec::new());
    let mut header = None;
    if let Some((generator, version)) = &input.header {
        let candidate = Header::new(generator, version);
        match writer.write_header(&candidate) {
            Ok(()) => header = Some(candidate),
            Err(WriteError::Io(e)) => panic!("{e}"),
            Err(_) => assert!(
                writer.get_ref().is_empty(),
                "a refused header leaves nothing"
            ),
        }
    }
    let mut written = Vec::new();
    for entry in &input.entries {
        let at = datetime(entry.day, entry.millis);
        let timestamp = match entry.offset_minutes {
            Some(minutes) => match FixedOffset::east_opt(i32::from(minutes) * 60) {
                Some(offset) => Timestamp::with_offset(at, offset),
                None => Timestamp::new(at),
            },
            None => Timestamp::new(at),
        };
        let transaction = match &entry.kind {
            Kind::Issue {
                cardnumber,
                barcode,
                due,
            } => Transaction::Issue {
                cardnumber,
                barcode,
                due: due.map(|(day, time)| match time {
                    None => DueDate::Date(datetime(day, 0).date()),
                    Some(millis) => DueDate::DateTime(datetime(day, millis)),
                }),
            },
            Kind::Return { barcode } => Transaction::Return { barcode },
            Kind::Payment { cardnumber, micros } => Transaction::Payment {
                cardnumber,
                amount: Amount::from_micros(*micros),
            },
        };
        let record = Record {
            position: Default::default(),
            timestamp,
            transaction,
            extra: entry.extra.as_deref(),
            missing_header: false,
        };
        let before = writer.get_ref().len();
        match writer.write_record(&record) {
            Ok(()) => written.push(record),
            Err(WriteError::Io(e)) => panic!("{e}"),
            Err(_) => assert_eq!(
                writer.get_ref().len(),
                before,
                "a refused line leaves nothing"
            ),
        }
    }
    let bytes = writer.into_inner();

    let lines: Vec<Line> = Lines::new(&bytes).collect();
    let mut read = lines.iter();
    if let Some(header) = &header {
        match read.next() {
            Some(Line::Header(read)) => assert_eq!(read.fields, header.fields),
            other => panic!("expected the header, got {other:?}"),
        }
    }
    assert_eq!(read.len(), written.len(), "one line per transaction");
    for (record, line) in written.iter().zip(read) {
        let Line::Transaction(read) = line else {
            panic!("{record:?} was written and read back as {line:?}")
        };
        assert_eq!(read.timestamp, record.timestamp);
        assert_eq!(read.transaction, record.transaction);
        assert_eq!(read.extra, record.extra);
    }

    let mut reader = Reader::new(&bytes[..]);
    let mut through_reader = Vec::new();
    while let Some(line) = reader.read_line().expect("reading from memory cannot fail") {
        through_reader.push(line.into_owned());
    }
    let slice: Vec<OwnedLine> = lines.into_iter().map(Line::into_owned).collect();
    assert_eq!(slice, through_reader);
});
