//! Cutting a blob's top-level array into elements, chunk by chunk, without parsing them.
//!
//! The splitter knows just enough JSON to find where an element ends: strings (with their
//! escapes) and bracket depth. Inside a string it jumps to the next quote or backslash with
//! `memchr`, so most of a record's bytes are looked at by a vectorised search rather than
//! one at a time. Between elements it checks the array's own syntax (commas, the closing
//! bracket, nothing after it), which is where a blob can be cut or garbled beyond repair.
//!
//! Inside an element nothing is validated: the consumer parses what it keeps, and a broken
//! element then costs only itself. While an element is scanned the splitter also notes
//! where its top-level keys are (`keys`), so that a consumer can decide from a few fields
//! whether the element is worth parsing at all.

use std::ops::Range;

use memchr::memchr2;

use super::error::HEAD_BYTES;

/// At most this many top-level keys are noted per element; past them the element is
/// marked as having more (`keys_complete == false`) and a consumer must parse it.
const MAX_KEYS: usize = 256;

/// One element, as the splitter hands it over.
pub(crate) struct Element<'a> {
    /// The element's text, at most `max_bytes` of it (see `len`).
    pub(crate) text: &'a [u8],
    /// The element's whole length; more than `text.len()` when it outgrew the limit.
    pub(crate) len: usize,
    /// The deepest bracket nesting seen (0 for a scalar, 1 for `{}`).
    pub(crate) max_depth: usize,
    /// Where the top-level keys of an object are in `text` (between their quotes).
    pub(crate) keys: &'a [Range<usize>],
    /// Whether `keys` names every top-level key.
    pub(crate) keys_complete: bool,
}

/// What stopped the splitter: the array itself is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SplitFault {
    /// The body does not start with `[`.
    NotAnArray,
    /// The body ended inside the array.
    Truncated { offset: u64 },
    /// A byte that cannot be there: between elements, after a trailing comma, after the
    /// array.
    Unexpected {
        offset: u64,
        byte: u8,
        expected: &'static str,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the `[` (a byte order mark and whitespace allowed).
    Start,
    /// After `[`: the first element or `]`.
    First,
    /// After `,`: an element.
    Next,
    /// After an element: `,` or `]`.
    After,
    /// Inside an element.
    Inside(Kind),
    /// After the `]`: only whitespace.
    Done,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An array or object; it ends when its depth comes back to 0.
    Nested,
    /// A string at the top level.
    Text,
    /// A number, `true`, `false`, `null` or garbage: ends at whitespace, `,` or `]`.
    Bare,
}

/// The splitter's state between chunks.
pub(crate) struct Splitter {
    max_bytes: usize,
    state: State,
    /// Bytes of the body seen so far, for error offsets.
    offset: u64,
    bom_bytes: usize,
    head: Vec<u8>,
    /// Elements handed over.
    pub(crate) records: u64,
    // The current element.
    text: Vec<u8>,
    len: usize,
    depth: usize,
    max_depth: usize,
    in_string: bool,
    escaped: bool,
    object: bool,
    key_expected: bool,
    key_start: Option<usize>,
    keys: Vec<Range<usize>>,
    keys_complete: bool,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl Splitter {
    pub(crate) fn new(max_bytes: usize) -> Self {
        Splitter {
            max_bytes,
            state: State::Start,
            offset: 0,
            bom_bytes: 0,
            head: Vec::new(),
            records: 0,
            text: Vec::new(),
            len: 0,
            depth: 0,
            max_depth: 0,
            in_string: false,
            escaped: false,
            object: false,
            key_expected: false,
            key_start: None,
            keys: Vec::new(),
            keys_complete: true,
        }
    }

    /// Feeds the next chunk of the body, handing every element that ends in it to
    /// `on_element`. A consumer's error stops the chunk (`Err(Ok(e))`); a broken array
    /// stops the body (`Err(Err(fault))`).
    pub(crate) fn feed<E>(
        &mut self,
        chunk: &[u8],
        on_element: &mut impl FnMut(Element<'_>) -> Result<(), E>,
    ) -> Result<(), Result<E, SplitFault>> {
        self.keep_head(chunk);
        let mut i = 0;
        // Where the current element's bytes begin in this chunk.
        let mut from = 0;
        while i < chunk.len() {
            match self.state {
                State::Inside(kind) => {
                    let Some(end) = self.scan(kind, chunk, from, &mut i) else {
                        continue;
                    };
                    let element = self.element(chunk, from, end);
                    let handed = on_element(element);
                    self.records += 1;
                    self.state = State::After;
                    handed.map_err(Ok)?;
                }
                _ => {
                    let byte = chunk[i];
                    if let Some(kind) = self.between(byte, i as u64).map_err(Err)? {
                        // The element's first byte is scanned as part of it.
                        self.begin(kind, byte);
                        from = i;
                        continue;
                    }
                    i += 1;
                }
            }
        }
        if let State::Inside(_) = self.state {
            self.stash(&chunk[from..]);
        }
        self.offset += chunk.len() as u64;
        Ok(())
    }

    /// Says whether the body ended where it may.
    pub(crate) fn finish(&self) -> Result<(), SplitFault> {
        match self.state {
            State::Done => Ok(()),
            State::Start => Err(SplitFault::NotAnArray),
            _ => Err(SplitFault::Truncated {
                offset: self.offset,
            }),
        }
    }

    fn keep_head(&mut self, chunk: &[u8]) {
        if self.head.len() < HEAD_BYTES + BOM.len() && self.state == State::Start {
            let room = HEAD_BYTES + BOM.len() - self.head.len();
            self.head.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
    }

    /// The body's first bytes, without a byte order mark.
    pub(crate) fn head(&self) -> &[u8] {
        let head = self.head.strip_prefix(BOM).unwrap_or(&self.head);
        &head[..head.len().min(HEAD_BYTES)]
    }

    /// The array's own syntax. Returns the kind of element that starts at `byte`, if one
    /// does.
    #[inline]
    fn between(&mut self, byte: u8, at: u64) -> Result<Option<Kind>, SplitFault> {
        let offset = self.offset + at;
        if self.state == State::Start
            && offset < BOM.len() as u64
            && self.bom_bytes == offset as usize
        {
            if byte == BOM[self.bom_bytes] {
                self.bom_bytes += 1;
                return Ok(None);
            }
            if self.bom_bytes > 0 {
                return Err(SplitFault::NotAnArray);
            }
        }
        if matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
            return Ok(None);
        }
        let unexpected = |expected| {
            Err(SplitFault::Unexpected {
                offset,
                byte,
                expected,
            })
        };
        match (self.state, byte) {
            (State::Start, b'[') => self.state = State::First,
            (State::Start, _) => return Err(SplitFault::NotAnArray),
            (State::First, b']') | (State::After, b']') => self.state = State::Done,
            (State::After, b',') => self.state = State::Next,
            (State::After, _) => return unexpected("`,` or `]` after a record"),
            (State::Done, _) => return unexpected("nothing after the array"),
            (State::First | State::Next, b',' | b']' | b'}' | b':') => {
                return unexpected("a record");
            }
            (State::First | State::Next, b'{' | b'[') => return Ok(Some(Kind::Nested)),
            (State::First | State::Next, b'"') => return Ok(Some(Kind::Text)),
            (State::First | State::Next, _) => return Ok(Some(Kind::Bare)),
            (State::Inside(_), _) => unreachable!("elements are scanned by `scan`"),
        }
        Ok(None)
    }

    /// Starts an element whose first byte is `byte`; that byte is scanned as part of it (the
    /// opening bracket or quote).
    fn begin(&mut self, kind: Kind, byte: u8) {
        self.state = State::Inside(kind);
        self.text.clear();
        self.keys.clear();
        self.keys_complete = true;
        self.len = 0;
        self.depth = 0;
        self.max_depth = 0;
        self.in_string = false;
        self.escaped = false;
        self.object = byte == b'{';
        self.key_expected = false;
        self.key_start = None;
    }

    /// Scans the current element from `*i`; returns the index just past its end if it
    /// ends in this chunk. `from` is where its bytes begin in the chunk, for key offsets.
    #[inline]
    fn scan(&mut self, kind: Kind, chunk: &[u8], from: usize, i: &mut usize) -> Option<usize> {
        // Offset of chunk index `at` within the element.
        let base = self.len.wrapping_sub(from);
        if kind == Kind::Bare {
            while *i < chunk.len() {
                if matches!(chunk[*i], b' ' | b'\t' | b'\n' | b'\r' | b',' | b']') {
                    // The terminator belongs to the array, which looks at it next.
                    return Some(*i);
                }
                *i += 1;
            }
            return None;
        }
        while *i < chunk.len() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    *i += 1;
                    continue;
                }
                match memchr2(b'"', b'\\', &chunk[*i..]) {
                    None => *i = chunk.len(),
                    Some(k) => {
                        let at = *i + k;
                        *i = at + 1;
                        if chunk[at] == b'\\' {
                            self.escaped = true;
                        } else {
                            self.in_string = false;
                            if let Some(start) = self.key_start.take() {
                                self.note_key(start..base.wrapping_add(at));
                            }
                            if self.depth == 0 {
                                return Some(*i);
                            }
                        }
                    }
                }
                continue;
            }
            let byte = chunk[*i];
            *i += 1;
            match byte {
                b'"' => {
                    self.in_string = true;
                    if self.key_expected && self.depth == 1 {
                        self.key_expected = false;
                        self.key_start = Some(base.wrapping_add(*i));
                    }
                }
                b'{' | b'[' => {
                    self.depth += 1;
                    self.max_depth = self.max_depth.max(self.depth);
                    if self.depth == 1 {
                        self.key_expected = self.object;
                    }
                }
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return Some(*i);
                    }
                }
                b',' if self.depth == 1 => self.key_expected = self.object,
                _ => {}
            }
        }
        None
    }

    fn note_key(&mut self, key: Range<usize>) {
        if key.end > self.max_bytes || !self.keys_complete {
            return;
        }
        if self.keys.len() == MAX_KEYS {
            self.keys_complete = false;
            return;
        }
        self.keys.push(key);
    }

    /// Keeps the part of an unfinished element that is in this chunk, up to the limit.
    fn stash(&mut self, part: &[u8]) {
        let room = self.max_bytes.saturating_sub(self.len);
        self.text.extend_from_slice(&part[..part.len().min(room)]);
        self.len += part.len();
    }

    /// The element that ends at `end` of this chunk. It is borrowed from the chunk when it
    /// lies wholly in it, which is the common case.
    fn element<'s>(&'s mut self, chunk: &'s [u8], from: usize, end: usize) -> Element<'s> {
        let part = &chunk[from..end];
        let text: &[u8] = if self.len == 0 {
            self.len = part.len();
            &part[..part.len().min(self.max_bytes)]
        } else {
            self.stash(part);
            &self.text
        };
        Element {
            text,
            len: self.len,
            max_depth: self.max_depth,
            keys: &self.keys,
            keys_complete: self.keys_complete,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(body: &[u8], chunk: usize) -> (Vec<String>, Result<(), SplitFault>) {
        let mut splitter = Splitter::new(1 << 20);
        let mut seen = Vec::new();
        for part in body.chunks(chunk.max(1)) {
            let fed = splitter.feed(part, &mut |e: Element<'_>| {
                seen.push(String::from_utf8_lossy(e.text).into_owned());
                Ok::<_, ()>(())
            });
            if let Err(Err(fault)) = fed {
                return (seen, Err(fault));
            }
        }
        (seen, splitter.finish())
    }

    #[test]
    fn keys_are_found_at_the_top_level_only() {
        let text =
            br#"{"Id" : "a", "Nested":{"Workload":"x"},"List":[{"Operation":1}], "Last":"\"q\""}"#;
        let mut splitter = Splitter::new(1 << 20);
        let mut keys = Vec::new();
        let mut body = b"[".to_vec();
        body.extend_from_slice(text);
        body.push(b']');
        splitter
            .feed(&body, &mut |e: Element<'_>| {
                keys = e
                    .keys
                    .iter()
                    .map(|k| String::from_utf8_lossy(&e.text[k.clone()]).into_owned())
                    .collect();
                Ok::<_, ()>(())
            })
            .unwrap();
        assert_eq!(keys, ["Id", "Nested", "List", "Last"]);
    }

    #[test]
    fn elements_are_the_same_whatever_the_chunks() {
        let body = b"\xEF\xBB\xBF [ {\"a\":\"x\\\\\"}, \"s\\\"]\" ,-1.5e3,[1,[2]] ,true ]  ";
        for chunk in 1..body.len() {
            let (seen, end) = split(body, chunk);
            assert_eq!(end, Ok(()), "chunk {chunk}");
            assert_eq!(
                seen,
                [
                    "{\"a\":\"x\\\\\"}",
                    "\"s\\\"]\"",
                    "-1.5e3",
                    "[1,[2]]",
                    "true"
                ],
                "chunk {chunk}"
            );
        }
    }
}
