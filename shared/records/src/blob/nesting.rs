//! Just enough JSON lexing to know how deeply a text nests.

/// Just enough JSON lexing to know how deeply a text nests: brackets outside strings.
#[derive(Default)]
pub(super) struct Nesting {
    pub(super) depth: usize,
    pub(super) max_depth: usize,
    in_string: bool,
    escaped: bool,
}

impl Nesting {
    pub(super) fn of(text: &[u8]) -> Self {
        let mut nesting = Nesting::default();
        for &byte in text {
            nesting.feed(byte);
        }
        nesting
    }

    #[inline]
    pub(super) fn feed(&mut self, byte: u8) {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if byte == b'\\' {
                self.escaped = true;
            } else if byte == b'"' {
                self.in_string = false;
            }
        } else {
            match byte {
                b'"' => self.in_string = true,
                b'[' | b'{' => {
                    self.depth += 1;
                    self.max_depth = self.max_depth.max(self.depth);
                }
                b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
        }
    }
}
