//! Reading and writing Koha's offline circulation files (`.koc`).
//!
//! A `.koc` file is what a circulation desk records while the library
//! system is down: a header line, then one transaction per line, fields
//! separated by TABs:
//!
//! ```text
//! Version=1.0<TAB>Generator=kocDesktop<TAB>GeneratorVersion=2.4.0
//! 2026-07-22 10-15-30 000<TAB>issue<TAB>23529001000463<TAB>31000000123456
//! 2026-07-22 10-16-02 000<TAB>return<TAB>31000000654321
//! 2026-07-22 10-17-45 000<TAB>payment<TAB>23529001000463<TAB>5.00
//! ```
//!
//! This crate reads such files exactly, whoever wrote them (the desktop
//! tool, the browser client, a person), and writes them byte for byte as the
//! desktop tool does.
//!
//! - Every line of input becomes exactly one [`Line`]: the [`Header`], a
//!   transaction ([`Record`]), a blank line, or a [`LineError`] saying where
//!   (line from 1, byte offset from 0) and what is wrong ([`ErrorKind`]).
//!   One bad line never costs the others, and nothing is dropped silently.
//!   Doubts about lines that are read anyway are [`Warning`]s
//!   ([`Record::warnings`], [`Header::warning`]).
//! - Two ways in, which give identical lines on every input: [`Lines`], over
//!   a byte slice, whose records borrow from it; and [`Reader`], over any
//!   [`BufRead`](std::io::BufRead), which reads a file of any size in
//!   constant memory. Lines longer than [`ParserConfig::max_line_length`]
//!   (64 KiB unless set) are reported, never buffered.
//! - Timestamps in every form seen in the wild ([`Timestamp`]), exact
//!   amounts ([`Amount`], never floating point), an optional due date on
//!   issues ([`DueDate`]).
//! - A [`Writer`] that refuses, before writing, anything that would not read
//!   back the same; [`default_file_name`] names a file as the desktop tool
//!   does.
//!
//! # Reading a file
//!
//! ```
//! use std::fs::File;
//! use std::io::BufReader;
//!
//! use koc_format::{Line, Reader, Transaction};
//!
//! # let dir = std::env::temp_dir().join(format!("koc-doc-read-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let path = dir.join("desk-1.koc");
//! # std::fs::write(&path, "Version=1.0\tGenerator=kocDesktop\tGeneratorVersion=2.4.0\r\n\
//! #     2026-07-22 10-15-30 000\tissue\t23529001000463\t31000000123456\r\n\
//! #     2026-07-22 10-15-31 000\tchekout\t23529001000463\t31000000123457\r\n\
//! #     2026-07-22 10-17-45 000\tpayment\t23529001000463\t5.00\r\n")?;
//! let mut reader = Reader::new(BufReader::new(File::open(&path)?));
//! let mut issues = Vec::new();
//! let mut problems = Vec::new();
//! while let Some(line) = reader.read_line()? {
//!     match line {
//!         Line::Header(header) => assert_eq!(header.version(), Some("1.0")),
//!         Line::Transaction(record) => {
//!             problems.extend(record.warnings().map(|w| w.to_string()));
//!             if let Transaction::Issue { cardnumber, barcode, .. } = record.transaction {
//!                 issues.push((record.timestamp, cardnumber.to_owned(), barcode.to_owned()));
//!             }
//!         }
//!         Line::Blank(_) => {}
//!         Line::Error(error) => problems.push(error.to_string()),
//!     }
//! }
//! assert_eq!(issues.len(), 1);
//! assert_eq!(issues[0].0.to_string(), "2026-07-22 10-15-30 000");
//! assert_eq!(
//!     problems,
//!     ["line 3, byte 118: unknown command `chekout`: expected issue, return or payment"]
//! );
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! A file already in memory needs no reader: `Lines::new(&bytes)` iterates
//! over the same lines, borrowing from `bytes`.
//!
//! # Writing a file
//!
//! ```
//! use std::fs::File;
//! use std::io::{BufWriter, Write};
//!
//! use koc_format::{Amount, Header, Timestamp, Transaction, Writer, default_file_name};
//!
//! # let dir = std::env::temp_dir().join(format!("koc-doc-write-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! let started: Timestamp = "2026-07-22 10:15:30".parse()?;
//! let path = dir.join(default_file_name(started.naive()));
//! assert!(path.ends_with("koha-offline-circ-2026-07-22-10-15-30-000.koc"));
//!
//! let mut writer = Writer::new(BufWriter::new(File::create(&path)?));
//! writer.write_header(&Header::new("kocDesktop", "2.4.0"))?;
//! writer.write_transaction(
//!     started,
//!     Transaction::Issue {
//!         cardnumber: "23529001000463",
//!         barcode: "31000000123456",
//!         due: Some("2026-08-05".parse()?),
//!     },
//! )?;
//! writer.write_transaction(
//!     "2026-07-22 10:17:45".parse()?,
//!     Transaction::Payment { cardnumber: "23529001000463", amount: Amount::from_cents(500) },
//! )?;
//! writer.into_inner().flush()?;
//!
//! assert_eq!(
//!     std::fs::read_to_string(&path)?,
//!     "Version=1.0\tGenerator=kocDesktop\tGeneratorVersion=2.4.0\n\
//!      2026-07-22 10-15-30 000\tissue\t23529001000463\t31000000123456\t2026-08-05\n\
//!      2026-07-22 10-17-45 000\tpayment\t23529001000463\t5.00\n"
//! );
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod amount;
mod error;
mod owned;
pub mod parse;
mod reader;
mod record;
mod timestamp;
mod writer;

pub use amount::{Amount, AmountError};
pub use error::{ErrorKind, Field, LineError, Warning, WarningKind};
pub use owned::{OwnedLine, OwnedRecord, OwnedTransaction};
pub use parse::{Lines, ParserConfig};
pub use reader::{OwnedLines, Reader};
pub use record::{Action, Header, Line, Position, Record, Transaction, UnknownAction};
pub use timestamp::{DueDate, Timestamp, TimestampError};
pub use writer::{WriteError, Writer, default_file_name};
