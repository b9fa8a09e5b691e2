//! The streaming reader: the same lines as [`Lines`](crate::Lines), from any
//! [`BufRead`], in constant memory.
//!
//! # Advice for hackers
//!
//! - Every line goes through [`parse_line`](crate::parse::parse_line), exactly as in the slice parser;
//!   this file only finds line ends and counts. Anything it decides on its
//!   own (positions, the length limit, the last unterminated line) must match
//!   `Lines::next` byte for byte; the table tests and the `parse_bytes` fuzz
//!   target check that on every input, also with a source that returns one
//!   byte at a time.
//! - A line that lies whole inside the source's buffer is parsed in place and
//!   lent out without copying; it is consumed at the start of the next call
//!   (`lent`). Only a line split across two fills of the source's buffer is
//!   copied into `buf`, which is reused and never grows past the line limit.
//! - A line over the limit is counted and consumed, never stored.
//! - The state of a line in progress lives in the struct, not on the stack, so
//!   an I/O error (even `WouldBlock`) leaves the reader where it was: calling
//!   again resumes the same line.

use std::io::{self, BufRead};

use crate::owned::OwnedLine;
use crate::parse::{find_byte, line_too_long, parse_any, parse_line_cached, parse_plain};
use crate::timestamp::DateCache;
use crate::{Line, ParserConfig, Position};

/// Reads the lines of a `.koc` file from any [`BufRead`], one at a time, in
/// constant memory.
///
/// It gives exactly the [`Line`]s that [`Lines`](crate::Lines) gives for the
/// same bytes, with the same positions. A line longer than
/// [`ParserConfig::max_line_length`] is skipped without being buffered and
/// reported as [`ErrorKind::LineTooLong`](crate::ErrorKind::LineTooLong); the
/// lines after it are read as usual.
///
/// ```
/// use koc_format::{Line, Reader};
///
/// let input: &[u8] = b"Version=1.0\tGenerator=kocDesktop\tGeneratorVersion=2.4.0\r\n\
///                      2026-07-22 10-16-02 000\treturn\t31000000654321\r\n";
/// let mut reader = Reader::new(input);
/// let mut barcodes = Vec::new();
/// while let Some(line) = reader.read_line()? {
///     if let Line::Transaction(record) = line {
///         barcodes.extend(record.transaction.barcode().map(str::to_owned));
///     }
/// }
/// assert_eq!(barcodes, ["31000000654321"]);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// To read a file, wrap it in a [`std::io::BufReader`].
#[derive(Debug)]
pub struct Reader<R> {
    inner: R,
    config: ParserConfig,
    /// The line being read, when it is not lent out whole.
    partial: Partial,
    /// Bytes of `inner`'s buffer lent out by the last `read_line`, to be
    /// consumed before anything else is done with `inner`.
    lent: usize,
    /// Lines completed so far.
    lines: u64,
    /// The byte offset of the start of the line in progress.
    offset: u64,
    /// The source failed while a line was being lent out: copy the next line
    /// instead, which needs one call of `fill_buf` less, so that a source
    /// failing every other call still makes progress.
    copy_next: bool,
    /// The last date read, for the parser.
    dates: DateCache,
}

/// A line that spans more than one fill of the source's buffer, or is over
/// the limit.
#[derive(Debug, Default)]
struct Partial {
    /// The bytes so far (none when skipping).
    buf: Vec<u8>,
    /// Bytes consumed so far (line end excluded).
    length: u64,
    /// Whether any byte of the line has been seen; tells an empty line
    /// (`"\n"`) from the end of the input.
    started: bool,
    /// The line is over the limit and being skipped.
    skipping: bool,
}

impl Partial {
    /// Adds `bytes` to the line, or only counts them once the line is over
    /// the limit.
    fn append(&mut self, bytes: &[u8], max: u64) {
        self.started = true;
        self.length += bytes.len() as u64;
        if self.skipping {
            return;
        }
        if self.length > max {
            self.skipping = true;
            self.buf.clear();
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }
}

impl<R: BufRead> Reader<R> {
    /// A reader with default settings.
    pub fn new(inner: R) -> Reader<R> {
        Reader::with_config(inner, ParserConfig::default())
    }

    /// A reader with `config`.
    pub fn with_config(inner: R, config: ParserConfig) -> Reader<R> {
        Reader {
            inner,
            config,
            partial: Partial::default(),
            lent: 0,
            lines: 0,
            offset: 0,
            copy_next: false,
            dates: DateCache::default(),
        }
    }

    /// The next line, or `None` at the end of the input.
    ///
    /// The line borrows from the reader, so it must be dropped (or made owned
    /// with [`Line::into_owned`]) before the next call.
    ///
    /// # Errors
    ///
    /// Only I/O errors of the source; problems with the input are
    /// [`Line::Error`] values. [`io::ErrorKind::Interrupted`] is retried while
    /// waiting for more input. After an error the reader may be called again
    /// (after a [`io::ErrorKind::WouldBlock`], say): it resumes the line it
    /// was reading, as if the error had not happened.
    pub fn read_line(&mut self) -> io::Result<Option<Line<'_>>> {
        if self.lent > 0 {
            self.inner.consume(self.lent);
            self.lent = 0;
        }
        if !self.partial.started {
            // The previous line, already returned, may still be here.
            self.partial.buf.clear();
        }
        let max = self.config.max_line_length as u64;
        loop {
            // What the available bytes say, decided while `inner` is borrowed
            // (a line that is lent out is taken again below).
            let step = match self.inner.fill_buf() {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
                Ok([]) => Step::End,
                Ok(chunk) => match find_byte::<b'\n'>(chunk) {
                    Some(end)
                        if !self.partial.started && !self.copy_next && (end as u64) <= max =>
                    {
                        Step::Lend(end)
                    }
                    Some(end) => {
                        self.partial.append(&chunk[..end], max);
                        Step::Finish(end + 1)
                    }
                    None => {
                        let len = chunk.len();
                        self.partial.append(chunk, max);
                        Step::More(len)
                    }
                },
            };
            match step {
                Step::Lend(end) => return self.lend(end),
                Step::More(len) => self.inner.consume(len),
                Step::Finish(len) => {
                    self.inner.consume(len);
                    return Ok(Some(self.finish_line(1)));
                }
                Step::End if self.partial.started => return Ok(Some(self.finish_line(0))),
                Step::End => return Ok(None),
            }
        }
    }

    /// Parses the line that is the first `end` bytes of the source's buffer,
    /// in place; it is consumed at the next call.
    fn lend(&mut self, end: usize) -> io::Result<Option<Line<'_>>> {
        let chunk = match self.inner.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) => {
                self.copy_next = true;
                return Err(e);
            }
        };
        // A `BufRead` returns the same bytes until they are consumed; a source
        // that does not is an I/O error, not a panic.
        let line = match chunk.get(..end) {
            Some(line) if chunk.get(end) == Some(&b'\n') => line,
            _ => {
                self.copy_next = true;
                return Err(io::Error::other(
                    "the source's buffer changed without being consumed",
                ));
            }
        };
        self.lines += 1;
        let position = Position {
            line: self.lines,
            byte: self.offset,
        };
        self.offset += end as u64 + 1;
        self.lent = end + 1;
        // As `parse_line_cached`, spelt out so that the record of the fast
        // path is written straight into the result (see `Lines::next`).
        if let Some(record) = parse_plain(line, position, &mut self.dates) {
            return Ok(Some(Line::Transaction(record)));
        }
        Ok(Some(parse_any(line, position, &mut self.dates)))
    }

    /// An iterator of owned lines, for when borrowing is in the way. Each
    /// transaction costs an allocation or two; [`Reader::read_line`] costs
    /// none.
    ///
    /// ```
    /// use koc_format::{OwnedLine, Reader};
    ///
    /// let input: &[u8] = b"2026-07-22 10-16-02 000\treturn\t31000000654321";
    /// let lines = Reader::new(input).into_owned_lines().collect::<Result<Vec<_>, _>>()?;
    /// let OwnedLine::Transaction(record) = &lines[0] else { panic!() };
    /// assert_eq!(record.transaction.barcode(), Some("31000000654321"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_owned_lines(self) -> OwnedLines<R> {
        OwnedLines { reader: self }
    }

    /// The number of lines read so far.
    pub fn lines_read(&self) -> u64 {
        self.lines
    }

    /// The byte offset where the next line starts (or where the line being
    /// read started, after an I/O error).
    pub fn byte_offset(&self) -> u64 {
        self.offset
    }

    /// The settings.
    pub fn config(&self) -> &ParserConfig {
        &self.config
    }

    /// The source. Bytes of the last line returned may still be in its
    /// buffer, unconsumed.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The source, with the lines returned so far consumed.
    pub fn into_inner(mut self) -> R {
        self.inner.consume(std::mem::take(&mut self.lent));
        self.inner
    }

    /// Counts a line of `consumed` bytes (line end included) as read and
    /// returns where it started.
    fn start_line(&mut self, consumed: u64) -> Position {
        self.lines += 1;
        let position = Position {
            line: self.lines,
            byte: self.offset,
        };
        self.offset += consumed;
        position
    }

    /// Ends the line in progress (`line_end` is 1 after a `\n`, 0 at the end
    /// of the input) and parses it from `buf`.
    fn finish_line(&mut self, line_end: u64) -> Line<'_> {
        let length = self.partial.length;
        let position = self.start_line(length + line_end);
        self.copy_next = false;
        self.partial.length = 0;
        self.partial.started = false;
        if std::mem::take(&mut self.partial.skipping) {
            return Line::Error(line_too_long(position, length, &self.config));
        }
        // The buffer is cleared when the next line starts, not now: the line
        // returned borrows it.
        parse_line_cached(&self.partial.buf, position, &mut self.dates)
    }
}

enum Step {
    /// The whole line is the first `.0` bytes of the source's buffer.
    Lend(usize),
    /// The line goes on past the `.0` bytes available.
    More(usize),
    /// The line ends within the `.0` bytes available (its `\n` included).
    Finish(usize),
    /// The source has no more bytes.
    End,
}

/// The lines of a [`Reader`], owned: see [`Reader::into_owned_lines`].
///
/// After an I/O error, the next call resumes where the reader was.
#[derive(Debug)]
pub struct OwnedLines<R> {
    reader: Reader<R>,
}

impl<R: BufRead> OwnedLines<R> {
    /// The reader underneath.
    pub fn into_reader(self) -> Reader<R> {
        self.reader
    }
}

impl<R: BufRead> Iterator for OwnedLines<R> {
    type Item = io::Result<OwnedLine>;

    fn next(&mut self) -> Option<io::Result<OwnedLine>> {
        self.reader
            .read_line()
            .map(|line| line.map(Line::into_owned))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    /// A source that offers its bytes `chunk` at a time, like a slow file.
    struct Chunked<'a> {
        input: &'a [u8],
        chunk: usize,
    }

    impl io::Read for Chunked<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.chunk.min(out.len()).min(self.input.len());
            out[..n].copy_from_slice(&self.input[..n]);
            self.input = &self.input[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_line_over_the_limit_is_never_buffered() {
        let mut input = vec![b'x'; 10_000_000];
        input.extend_from_slice(b"\n2026-07-22 10-16-02 000\treturn\t1\n");
        let source = io::BufReader::with_capacity(
            4096,
            Chunked {
                input: &input,
                chunk: 1000,
            },
        );
        let mut reader = Reader::with_config(source, ParserConfig::with_max_line_length(100));
        let Some(Line::Error(error)) = reader.read_line().unwrap() else {
            panic!("expected an error")
        };
        assert_eq!(error.kind, ErrorKind::LineTooLong);
        assert!(error.detail.starts_with("10000000 bytes"), "{error}");
        // The reader's own buffer never held more than the limit.
        assert!(
            reader.partial.buf.capacity() <= 200,
            "{}",
            reader.partial.buf.capacity()
        );
        assert!(matches!(
            reader.read_line().unwrap(),
            Some(Line::Transaction(_))
        ));
        assert_eq!(reader.read_line().unwrap(), None);
        assert_eq!(reader.lines_read(), 2);
        assert_eq!(reader.byte_offset(), input.len() as u64);
    }

    #[test]
    fn into_inner_consumes_what_was_read() {
        let input: &[u8] = b"2026-07-22 10-16-02 000\treturn\t1\nrest";
        let mut reader = Reader::new(input);
        assert!(reader.read_line().unwrap().is_some());
        assert_eq!(reader.into_inner(), b"rest");
    }
}
