//! Arbitrary bytes through the slice parser and the reader: no panic, the
//! same lines both ways (also through a small buffer that splits lines),
//! every line accounted for and every position inside the input.
//!
//! The first byte also picks the line limit (odd: the default; even: that
//! many bytes), so that the too-long path is fuzzed as well; it stays part
//! of the input.
#![no_main]

use std::io::BufReader;

use koc_format::{Lines, OwnedLine, ParserConfig, Reader};
use libfuzzer_sys::fuzz_target;

fn through_reader<R: std::io::BufRead>(source: R, config: ParserConfig) -> Vec<OwnedLine> {
    let mut reader = Reader::with_config(source, config);
    let mut lines = Vec::new();
    while let Some(line) = reader.read_line().expect("reading from memory cannot fail") {
        lines.push(line.into_owned());
    }
    lines
}

fuzz_target!(|data: &[u8]| {
    let config = match data.first() {
        Some(&b) if b % 2 == 0 => ParserConfig::with_max_line_length(usize::from(b)),
        _ => ParserConfig::default(),
    };
    let slice: Vec<OwnedLine> = Lines::with_config(data, config)
        .map(|line| line.into_owned())
        .collect();
    assert_eq!(slice, through_reader(data, config), "reader over the slice");
    assert_eq!(
        slice,
        through_reader(BufReader::with_capacity(3, data), config),
        "reader through a 3-byte buffer"
    );

    // One Line per line of input, numbered from 1, each starting where the
    // previous one ended, inside the input.
    let lfs = data.iter().filter(|&&b| b == b'\n').count();
    let expected = lfs + usize::from(data.last().is_some_and(|&b| b != b'\n'));
    assert_eq!(slice.len(), expected, "every line accounted for");
    let mut start = 0usize;
    for (i, line) in slice.iter().enumerate() {
        let position = line.position();
        assert_eq!(position.line, i as u64 + 1);
        assert_eq!(position.byte, start as u64);
        assert!(start < data.len(), "position inside the input");
        start += match data[start..].iter().position(|&b| b == b'\n') {
            Some(end) => end + 1,
            None => data.len() - start,
        };
        if let OwnedLine::Error(error) = line {
            // Errors print their position and a message.
            let text = error.to_string();
            assert!(text.starts_with(&format!("line {}, byte {}", i + 1, position.byte)));
        }
    }
    assert_eq!(start, data.len(), "the lines cover the input");
});
