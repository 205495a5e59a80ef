//! The aggregate reader's input buffer: a bounded window over any `Read`.
//!
//! Two ways out of it:
//! - whole records, located by their end tag, handed to quick-xml's slice
//!   reader without copying (the fast path);
//! - a `BufRead` for quick-xml's buffered reader (the header and anything
//!   unusual), which hands out valid UTF-8 only: each byte sequence that is
//!   not UTF-8 becomes U+FFFD and is counted, so the report can say so.
//!
//! Lines are counted lazily (only for warnings, errors, and bytes leaving
//! the window), so error messages can name a line without a per-event cost.
//! Memory: the window (256 KiB, growing only to hold one record that is
//! larger, up to the record bound).

use std::io::{self, BufRead, Read};

const CHUNK: usize = 256 * 1024;
const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

/// See the module documentation.
pub(crate) struct Input<R> {
    inner: R,
    buf: Vec<u8>,
    /// Next unread byte.
    pos: usize,
    /// End of the bytes read.
    end: usize,
    eof: bool,
    /// `buf[pos..valid_to]` is known to be UTF-8 (buffered path only).
    valid_to: usize,
    /// A replacement character being handed out (buffered path).
    pending: usize,
    /// Line counting over the window.
    lines: Lines,
    /// Bytes discarded from the front of the window so far.
    discarded: u64,
    replaced: u64,
    first_replacement: Option<u64>,
}

impl<R: Read> Input<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            buf: vec![0; CHUNK],
            pos: 0,
            end: 0,
            eof: false,
            valid_to: 0,
            pending: 0,
            lines: Lines::default(),
            discarded: 0,
            replaced: 0,
            first_replacement: None,
        }
    }

    /// Unread bytes in the window.
    pub(crate) fn window(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    /// Whether the input has ended (the window holds all that is left).
    pub(crate) fn at_eof(&self) -> bool {
        self.eof
    }

    /// Marks `n` bytes of the window read.
    pub(crate) fn advance(&mut self, n: usize) {
        self.pos += n;
        self.valid_to = self.valid_to.max(self.pos);
    }

    /// Reads more input into the window, keeping what is unread; the window
    /// may grow up to `max_window` bytes. Returns false at the end of input.
    pub(crate) fn fill(&mut self, max_window: usize) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            // Count the lines leaving the window, then move the rest down.
            self.lines.count_to(&self.buf, self.pos);
            self.buf.copy_within(self.pos..self.end, 0);
            self.discarded += self.pos as u64;
            self.end -= self.pos;
            self.valid_to -= self.pos;
            self.lines.counted_to -= self.pos;
            self.pos = 0;
        }
        if self.buf.len() - self.end < CHUNK / 4 {
            if self.buf.len() >= max_window {
                return Err(io::Error::other(format!(
                    "one element is larger than {max_window} bytes"
                )));
            }
            let grown = (self.buf.len() * 2).min(max_window.max(CHUNK));
            self.buf.resize(grown, 0);
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Line (1-based) of the next unread byte.
    pub(crate) fn line(&mut self) -> u64 {
        self.lines.line_at(&self.buf, self.pos.min(self.end))
    }

    /// The unread window and the line counter, borrowed apart: a record
    /// parsed straight from the window can still name its lines. Positions
    /// given to [`Lines::line_at`] are relative to the returned `base`.
    pub(crate) fn split(&mut self) -> (&[u8], usize, &mut Lines) {
        (&self.buf[..self.end], self.pos, &mut self.lines)
    }

    /// Input offset of the next unread byte.
    pub(crate) fn offset(&self) -> u64 {
        self.discarded + self.pos as u64
    }

    /// Byte sequences replaced so far, and the offset of the first.
    pub(crate) fn replacements(&self) -> (u64, Option<u64>) {
        (self.replaced, self.first_replacement)
    }
}

/// Lazy line counting over a buffer whose front is discarded as it is read.
#[derive(Default)]
pub(crate) struct Lines {
    /// Newlines in discarded bytes and in `buf[..counted_to]`.
    lines: u64,
    counted_to: usize,
}

impl Lines {
    fn count_to(&mut self, buf: &[u8], to: usize) {
        if to > self.counted_to {
            self.lines += memchr::memchr_iter(b'\n', &buf[self.counted_to..to]).count() as u64;
            self.counted_to = to;
        }
    }

    /// Line (1-based) of byte `at` of `buf` (the window's buffer).
    pub(crate) fn line_at(&mut self, buf: &[u8], at: usize) -> u64 {
        let at = at.min(buf.len());
        if at >= self.counted_to {
            self.count_to(buf, at);
            self.lines + 1
        } else {
            let back = memchr::memchr_iter(b'\n', &buf[at..self.counted_to]).count() as u64;
            self.lines - back + 1
        }
    }
}

impl<R: Read> Read for Input<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Input<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pending > 0 {
            return Ok(&REPLACEMENT[REPLACEMENT.len() - self.pending..]);
        }
        loop {
            if self.valid_to > self.pos {
                return Ok(&self.buf[self.pos..self.valid_to]);
            }
            let unread = &self.buf[self.pos..self.end];
            if unread.is_empty() {
                if !self.fill(CHUNK)? {
                    return Ok(&[]);
                }
                continue;
            }
            match std::str::from_utf8(unread) {
                Ok(_) => self.valid_to = self.end,
                Err(e) if e.valid_up_to() > 0 => self.valid_to = self.pos + e.valid_up_to(),
                Err(e) => match e.error_len() {
                    Some(bad) => {
                        self.replaced += 1;
                        self.first_replacement.get_or_insert(self.offset());
                        self.pos += bad;
                        self.valid_to = self.pos;
                        self.pending = REPLACEMENT.len();
                        return Ok(REPLACEMENT);
                    }
                    None if self.eof => {
                        // The input ends inside a sequence.
                        self.replaced += 1;
                        self.first_replacement.get_or_insert(self.offset());
                        self.pos = self.end;
                        self.valid_to = self.pos;
                        self.pending = REPLACEMENT.len();
                        return Ok(REPLACEMENT);
                    }
                    None => {
                        // A sequence cut by the window's end: read on.
                        self.fill(CHUNK)?;
                    }
                },
            }
        }
    }

    fn consume(&mut self, amt: usize) {
        if self.pending > 0 {
            self.pending -= amt.min(self.pending);
            return;
        }
        self.pos = (self.pos + amt).min(self.end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that returns at most `n` bytes per call.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn through(input: &[u8], step: usize) -> (String, u64, u64) {
        let mut r = Input::new(Trickle(input, step));
        let mut out = String::new();
        r.read_to_string(&mut out).unwrap();
        let line = r.line();
        (out, r.replacements().0, line)
    }

    #[test]
    fn valid_text_passes_unchanged_at_any_read_size() {
        let text = "héllo wörld\n€ and 𝄞\nend";
        for step in 1..12 {
            let (out, n, line) = through(text.as_bytes(), step);
            assert_eq!(out, text, "step {step}");
            assert_eq!(n, 0);
            assert_eq!(line, 3);
        }
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let input = b"bad_byte\x91 and \xff\xfe\nok \xe2\x82 cut \xe2\x82";
        for step in 1..12 {
            let (out, n, line) = through(input, step);
            assert_eq!(out, String::from_utf8_lossy(input), "step {step}");
            assert_eq!(n, 5, "step {step}");
            assert_eq!(line, 2);
        }
    }

    #[test]
    fn lines_are_counted_across_refills() {
        let text: String = (0..100_000).map(|i| format!("line {i}\n")).collect();
        let mut r = Input::new(Trickle(text.as_bytes(), 10_000));
        let mut seen = 0;
        while r.fill(CHUNK).unwrap() || !r.window().is_empty() {
            let w = r.window().len();
            if w == 0 {
                continue;
            }
            let half = w / 2;
            seen += memchr::memchr_iter(b'\n', &r.window()[..half]).count() as u64;
            r.advance(half);
            assert_eq!(r.line(), seen + 1);
            if r.at_eof() {
                let rest = r.window().len();
                seen += memchr::memchr_iter(b'\n', r.window()).count() as u64;
                r.advance(rest);
                assert_eq!(r.line(), seen + 1);
                break;
            }
        }
        assert_eq!(seen, 100_000);
    }
}
