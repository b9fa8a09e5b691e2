//! Helpers shared by the integration tests: every input goes through every
//! way in, and they must agree.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{self, BufRead, BufReader, Read};

use koc_format::{Lines, OwnedLine, ParserConfig, Reader};

/// A source that gives one byte per read, so the reader's buffer is filled
/// one byte at a time and every line spans many fills.
pub struct OneByte<'a>(pub &'a [u8]);

impl Read for OneByte<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match (self.0.split_first(), out.first_mut()) {
            (Some((&byte, rest)), Some(slot)) => {
                *slot = byte;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

/// A `BufRead` that fails every other call with `Interrupted` or
/// `WouldBlock`, and otherwise offers `chunk` bytes at a time.
pub struct Flaky<'a> {
    pub input: &'a [u8],
    pub chunk: usize,
    pub calls: u64,
}

impl BufRead for Flaky<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.calls += 1;
        match self.calls % 4 {
            1 => Err(io::ErrorKind::Interrupted.into()),
            3 => Err(io::ErrorKind::WouldBlock.into()),
            _ => Ok(&self.input[..self.chunk.min(self.input.len())]),
        }
    }

    fn consume(&mut self, amount: usize) {
        self.input = &self.input[amount..];
    }
}

impl Read for Flaky<'_> {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        unreachable!("the reader only uses fill_buf and consume")
    }
}

pub fn via_slice(input: &[u8], config: ParserConfig) -> Vec<OwnedLine> {
    Lines::with_config(input, config)
        .map(|line| line.into_owned())
        .collect()
}

pub fn via_reader<R: BufRead>(source: R, config: ParserConfig) -> Vec<OwnedLine> {
    let mut reader = Reader::with_config(source, config);
    let mut lines = Vec::new();
    loop {
        match reader.read_line() {
            Ok(Some(line)) => lines.push(line.into_owned()),
            Ok(None) => return lines,
            // A source that is not ready: the reader resumes where it was.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                continue;
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// The lines of `input` through the slice parser, the reader over the whole
/// slice, the reader over a small `BufReader`, the reader fed one byte at a
/// time, and the reader over a source that keeps failing; asserts they are
/// all the same and returns them.
pub fn all_paths(input: &[u8], config: ParserConfig) -> Vec<OwnedLine> {
    let slice = via_slice(input, config);
    let whole = via_reader(input, config);
    assert_eq!(slice, whole, "slice parser and reader over the whole input");
    let small = via_reader(BufReader::with_capacity(7, input), config);
    assert_eq!(slice, small, "slice parser and reader with a 7-byte buffer");
    let one = via_reader(BufReader::with_capacity(1, OneByte(input)), config);
    assert_eq!(slice, one, "slice parser and reader fed one byte at a time");
    let flaky = via_reader(
        Flaky {
            input,
            chunk: 5,
            calls: 0,
        },
        config,
    );
    assert_eq!(
        slice, flaky,
        "slice parser and reader over a failing source"
    );
    let owned: Vec<OwnedLine> = Reader::with_config(input, config)
        .into_owned_lines()
        .collect::<io::Result<_>>()
        .unwrap();
    assert_eq!(slice, owned, "slice parser and owned lines");
    slice
}

/// The lines of `input` with the default settings, through every path.
pub fn lines(input: &[u8]) -> Vec<OwnedLine> {
    all_paths(input, ParserConfig::default())
}

/// How many lines `input` has: its LFs, plus one for a last line without one.
pub fn line_count(input: &[u8]) -> usize {
    let lfs = input.iter().filter(|&&b| b == b'\n').count();
    lfs + usize::from(input.last().is_some_and(|&b| b != b'\n'))
}

/// Checks what must hold for any input: one line per line, numbered from 1
/// in order, each starting where the previous one ended, inside the input.
pub fn check_accounted(input: &[u8], lines: &[OwnedLine]) {
    assert_eq!(lines.len(), line_count(input), "one Line per input line");
    let mut expected_byte = 0u64;
    for (i, line) in lines.iter().enumerate() {
        let position = line.position();
        assert_eq!(position.line, i as u64 + 1);
        assert_eq!(position.byte, expected_byte);
        assert!(
            (position.byte as usize) < input.len(),
            "position inside the input"
        );
        let start = position.byte as usize;
        expected_byte += match input[start..].iter().position(|&b| b == b'\n') {
            Some(end) => end as u64 + 1,
            None => (input.len() - start) as u64,
        };
    }
    assert_eq!(
        expected_byte,
        input.len() as u64,
        "the lines cover the input"
    );
}
