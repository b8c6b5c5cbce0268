//! The reader under serde_json: buffers the body and shows every byte to the capture.

use std::cell::RefCell;
use std::io::{self, Read};

use super::capture::Capture;
use super::error::HEAD_BYTES;

/// The body as serde_json reads it, with every byte also shown to [`Capture`].
///
/// serde_json asks for one byte per `read` call, so this keeps its own buffer and
/// serves single bytes directly rather than through `BufReader`'s general path.
pub(super) struct TeeReader<'c, R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
    capture: &'c RefCell<Capture>,
    at_start: bool,
}

impl<'c, R: Read> TeeReader<'c, R> {
    pub(super) fn new(inner: R, capture: &'c RefCell<Capture>) -> Self {
        TeeReader {
            inner,
            buf: vec![0; 64 * 1024].into_boxed_slice(),
            pos: 0,
            filled: 0,
            capture,
            at_start: true,
        }
    }

    /// Kept out of line so that the per-byte path stays small. Returns `false` at the
    /// end of the body.
    #[cold]
    #[inline(never)]
    fn next_chunk(&mut self) -> io::Result<bool> {
        if self.at_start {
            self.at_start = false;
            self.look_at_start()?;
            if self.pos < self.filled {
                return Ok(true);
            }
        }
        self.refill()
    }

    /// Returns `false` at the end of the body.
    fn refill(&mut self) -> io::Result<bool> {
        loop {
            match self.inner.read(&mut self.buf) {
                Ok(n) => {
                    self.pos = 0;
                    self.filled = n.min(self.buf.len());
                    return Ok(n > 0);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Skips a byte order mark, and keeps the body's first bytes to quote if it turns
    /// out not to be an array (serde_json stops at the first unexpected byte).
    fn look_at_start(&mut self) -> io::Result<()> {
        self.refill()?;
        if self.buf[..self.filled].starts_with(b"\xEF\xBB\xBF") {
            self.pos = 3;
        }
        let start = &self.buf[self.pos..self.filled];
        self.capture.borrow_mut().head = start[..start.len().min(HEAD_BYTES)].to_vec();
        Ok(())
    }
}

impl<R: Read> Read for TeeReader<'_, R> {
    /// Hands out one byte per call: serde_json never asks for more, and it keeps
    /// the copy free of a `memcpy` call.
    #[inline]
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.filled && !self.next_chunk()? {
            return Ok(0);
        }
        let Some(slot) = out.first_mut() else {
            return Ok(0);
        };
        let byte = self.buf[self.pos];
        self.pos += 1;
        *slot = byte;
        if !self.capture.borrow_mut().observe(byte) {
            return Err(too_deep_to_skip());
        }
        Ok(1)
    }
}

#[cold]
fn too_deep_to_skip() -> io::Error {
    io::Error::other("record nests too deeply to be skipped")
}
