//! A reader that scans the text directly for the YAML templates and values
//! files emit: `---`-separated documents of block mappings and sequences, flow
//! collections on one line, plain and quoted one-line scalars, and literal or
//! folded block scalars. It returns `None` for anything else (anchors, tags,
//! directives, multi-line plain or quoted scalars, tabs where indentation goes,
//! CRLF, a budget passed, a syntax error...), and the caller then asks
//! serde-saphyr, so every result equals serde-saphyr's and every error is its.
//!
//! The reader works line by line: after each node it moves to the next line
//! with content and records its indentation, which tells every enclosing block
//! collection whether the line is its next entry, its parent's, or an error.

use serde_json::{Map, Value};

use super::{MAX_DEPTH, MAX_DOCUMENTS, node_budget};

mod block_scalar;
mod flow;
mod scalar;

/// Longest implicit key YAML allows (1024 characters; bytes are counted here).
const MAX_KEY: usize = 1024;

/// The byte read past the end of the text: a NUL, which `plain_characters`
/// keeps out of the text itself.
const END: u8 = 0;

/// The documents of a YAML stream, empty ones dropped, or `None` when the text
/// steps outside the subset this reader knows it reads as serde-saphyr does.
pub fn parse_documents(text: &str) -> Option<Vec<Value>> {
    read(text).map(|stream| stream.documents)
}

/// The one document of a text written as a single document (no document
/// marker but maybe a `---` before it), or `None`.
pub fn parse_document(text: &str) -> Option<Value> {
    let mut stream = read(text)?;
    if stream.separated || stream.documents.len() != 1 {
        return None;
    }
    stream.documents.pop()
}

struct Stream {
    documents: Vec<Value>,
    /// Whether a document marker follows a document (an empty one included),
    /// which a single-document read refuses.
    separated: bool,
}

fn read(text: &str) -> Option<Stream> {
    if !plain_characters(text) {
        return None;
    }
    Reader {
        text,
        pos: 0,
        indent: END_OF_DOCUMENT,
        depth: 0,
        events: 0,
        max_events: node_budget(text),
        entries: Vec::new(),
        items: Vec::new(),
    }
    .stream()
}

/// Whether the text holds only characters whose reading is plain: no control
/// characters but tab and line feed (so no CR, no NUL), no byte order mark, no
/// C1 controls, no Unicode line or paragraph separators, no non-characters.
fn plain_characters(text: &str) -> bool {
    let control = |b: u8| (b < b' ' && b != b'\n' && b != b'\t') || b == 0x7f;
    // A fold without early exit, by blocks, which the compiler vectorizes.
    let ascii_ok = text
        .as_bytes()
        .chunks(4096)
        .all(|block| !block.iter().fold(false, |bad, &b| bad | control(b)));
    ascii_ok
        && (text.is_ascii()
            || !text.chars().any(|c| {
                matches!(
                    c,
                    '\u{80}'
                        ..='\u{9f}'
                            | '\u{2028}'
                            | '\u{2029}'
                            | '\u{feff}'
                            | '\u{fffe}'
                            | '\u{ffff}'
                )
            }))
}

/// The indentation recorded for the end of the text or a document marker line:
/// less than any collection's, so it closes them all.
const END_OF_DOCUMENT: isize = -1;

/// Whether a byte separates tokens: a space, a tab, a line feed or the end.
fn is_blank(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | END)
}

struct Reader<'a> {
    text: &'a str,
    /// Byte offset of the next thing to read.
    pos: usize,
    /// Indentation of the line `pos` is on, once [`Reader::advance`] moved to
    /// it; [`END_OF_DOCUMENT`] at the end of the text or a document marker.
    indent: isize,
    /// Collections open around `pos`.
    depth: usize,
    /// Parser events the text amounts to so far (a scalar or key one, a
    /// collection two), counted against serde-saphyr's node budget.
    events: usize,
    /// The node budget serde-saphyr would apply to this text.
    max_events: usize,
    /// Entries of the mappings open, innermost last, collected before each
    /// mapping is built at its final size.
    entries: Vec<(String, Value)>,
    /// Items of the sequences open, the same way.
    items: Vec<Value>,
}

impl<'a> Reader<'a> {
    fn byte(&self, at: usize) -> u8 {
        self.text.as_bytes().get(at).copied().unwrap_or(END)
    }

    fn current(&self) -> u8 {
        self.byte(self.pos)
    }

    fn slice(&self, from: usize, to: usize) -> Option<&'a str> {
        self.text.get(from..to)
    }

    /// The offset of the first byte from `from` on that `stop` accepts, or the
    /// text's length.
    fn find(&self, from: usize, stop: impl Fn(u8) -> bool) -> usize {
        let bytes = self.text.as_bytes();
        bytes
            .get(from..)
            .and_then(|rest| rest.iter().position(|&b| stop(b)))
            .map_or(bytes.len(), |offset| from + offset)
    }

    /// Moves past spaces; returns how many.
    fn skip_spaces(&mut self) -> usize {
        let start = self.pos;
        while self.current() == b' ' {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Whether the line ends at `pos`, after `spaces` spaces: a line feed, the
    /// end of the text, or a comment (which needs a space before it).
    fn at_line_end(&self, spaces: usize) -> bool {
        match self.current() {
            b'\n' | END => true,
            b'#' => spaces > 0,
            _ => false,
        }
    }

    /// Moves past the rest of the line, which may hold only spaces and a comment.
    fn finish_line(&mut self) -> Option<()> {
        let spaces = self.skip_spaces();
        if !self.at_line_end(spaces) {
            return None;
        }
        self.skip_line();
        Some(())
    }

    /// Moves to the start of the next line (or the end of the text).
    fn skip_line(&mut self) {
        self.pos = (self.find(self.pos, |b| b == b'\n') + 1).min(self.text.len());
    }

    /// From the start of a line, moves to the first character of the next line
    /// with content, past blank and comment lines, and records its indentation
    /// (or [`END_OF_DOCUMENT`], leaving `pos` at the end or the marker).
    fn advance(&mut self) -> Option<()> {
        loop {
            let spaces = self.skip_spaces();
            match self.current() {
                END => {
                    self.indent = END_OF_DOCUMENT;
                    return Some(());
                }
                b'\n' => self.pos += 1,
                b'#' => self.skip_line(),
                b'\t' => return None,
                _ if spaces == 0 && self.at_document_marker() => {
                    self.indent = END_OF_DOCUMENT;
                    return Some(());
                }
                _ => {
                    self.indent = isize::try_from(spaces).ok()?;
                    return Some(());
                }
            }
        }
    }

    /// Whether `pos` starts a `---` or `...` line.
    fn at_document_marker(&self) -> bool {
        let marker = self.text.as_bytes().get(self.pos..self.pos + 3);
        matches!(marker, Some(b"---" | b"..."))
            && matches!(self.byte(self.pos + 3), b' ' | b'\t' | b'\n' | END)
    }

    /// Whether `pos` starts a block sequence entry: `-` and a blank.
    fn at_sequence_entry(&self) -> bool {
        self.current() == b'-' && is_blank(self.byte(self.pos + 1))
    }

    /// Whether a mapping key ends at `pos` (after spaces, which it skips): `:`
    /// and a blank.
    fn at_key_indicator(&mut self) -> bool {
        self.skip_spaces();
        self.current() == b':' && is_blank(self.byte(self.pos + 1))
    }

    /// Counts parser events against the node budget.
    fn count(&mut self, events: usize) -> Option<()> {
        self.events += events;
        (self.events <= self.max_events).then_some(())
    }

    /// Opens a collection, within the depth budget.
    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        self.count(2)?;
        (self.depth < MAX_DEPTH).then_some(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// The stream: documents separated by `---` (or ended by `...`), each a
    /// block mapping or sequence (a scalar document is serde-saphyr's).
    fn stream(&mut self) -> Option<Stream> {
        let mut documents = Vec::new();
        let mut markers = 0;
        // Whether a document has begun: its content or its `---` read.
        let mut begun = false;
        let mut separated = false;
        self.advance()?;
        loop {
            if self.indent != END_OF_DOCUMENT {
                begun = true;
                let root = self.block_node(END_OF_DOCUMENT, self.indent)?;
                let collection = root.is_object() || root.is_array();
                if !collection || self.indent != END_OF_DOCUMENT {
                    return None;
                }
                documents.push(root);
            }
            let end_marker = match self.current() {
                END => {
                    return Some(Stream {
                        documents,
                        separated,
                    });
                }
                byte => byte == b'.',
            };
            markers += 1;
            if markers >= MAX_DOCUMENTS {
                return None;
            }
            separated |= begun || end_marker;
            begun = true;
            self.pos += 3;
            self.finish_line()?;
            self.advance()?;
            // After `...`, the end of the text or a `---`.
            if end_marker && (self.indent != END_OF_DOCUMENT || self.current() == b'.') {
                return None;
            }
        }
    }

    /// A block node starting at `pos`, in column `column` of its first line,
    /// inside a collection whose entries are indented by `parent`: a sequence,
    /// a mapping, or a value alone on its line.
    fn block_node(&mut self, parent: isize, column: isize) -> Option<Value> {
        match self.current() {
            b'-' if self.at_sequence_entry() => self.block_sequence(column),
            b'[' | b'{' | b'|' | b'>' => self.inline_value(parent),
            _ => {
                let start = self.pos;
                let token = self.scalar_token()?;
                if self.at_key_indicator() {
                    let key = self.key(start, token)?;
                    return self.block_mapping(column, key);
                }
                self.finish_scalar(token, parent)
            }
        }
    }

    /// A value that starts on the current line and is not a block collection:
    /// a flow collection, a block scalar, or a one-line scalar.
    fn inline_value(&mut self, parent: isize) -> Option<Value> {
        match self.current() {
            b'[' | b'{' => {
                let value = self.flow_node()?;
                self.end_of_value(parent)?;
                Some(value)
            }
            b'|' | b'>' => self.block_scalar(parent),
            _ => {
                let token = self.scalar_token()?;
                self.finish_scalar(token, parent)
            }
        }
    }

    /// The value of a one-line scalar just read, once its line ends.
    fn finish_scalar(&mut self, token: scalar::Token<'a>, parent: isize) -> Option<Value> {
        self.count(1)?;
        let value = token.value()?;
        self.end_of_value(parent)?;
        Some(value)
    }

    /// Ends the line of a value and moves to the next line, which may not be
    /// indented past the value's parent (that would continue a plain scalar, or
    /// be an error).
    fn end_of_value(&mut self, parent: isize) -> Option<()> {
        self.finish_line()?;
        self.advance()?;
        (self.indent <= parent).then_some(())
    }

    /// A block sequence whose entries start in column `indent`, `pos` at the
    /// first entry's `-`.
    fn block_sequence(&mut self, indent: isize) -> Option<Value> {
        self.enter()?;
        let start = self.items.len();
        loop {
            self.pos += 1;
            let spaces = self.skip_spaces();
            let item = if self.at_line_end(spaces) {
                self.nested_value(indent, false)?
            } else {
                let column = indent + 1 + isize::try_from(spaces).ok()?;
                self.block_node(indent, column)?
            };
            self.items.push(item);
            if self.indent > indent {
                return None;
            }
            if self.indent < indent || !self.at_sequence_entry() {
                break;
            }
        }
        self.leave();
        Some(self.sequence(start))
    }

    /// A block mapping whose keys start in column `indent`, the first read,
    /// `pos` after its `:`.
    fn block_mapping(&mut self, indent: isize, first_key: String) -> Option<Value> {
        self.enter()?;
        let start = self.entries.len();
        let mut key = first_key;
        loop {
            let value = self.mapping_value(indent)?;
            self.entries.push((key, value));
            if self.indent > indent {
                return None;
            }
            if self.indent < indent {
                break;
            }
            let start = self.pos;
            let token = self.scalar_token()?;
            if !self.at_key_indicator() {
                return None;
            }
            key = self.key(start, token)?;
        }
        self.leave();
        self.mapping(start)
    }

    /// The sequence of the items collected from `start` on.
    fn sequence(&mut self, start: usize) -> Value {
        Value::Array(self.items.drain(start..).collect())
    }

    /// The mapping of the entries collected from `start` on; `None` for a
    /// duplicate key.
    fn mapping(&mut self, start: usize) -> Option<Value> {
        let mut map = Map::with_capacity(self.entries.len() - start);
        for (key, value) in self.entries.drain(start..) {
            if map.insert(key, value).is_some() {
                return None;
            }
        }
        Some(Value::Object(map))
    }

    /// The key read from `start` on, `pos` at its `:`, which it moves past.
    fn key(&mut self, start: usize, token: scalar::Token<'a>) -> Option<String> {
        if self.pos - start > MAX_KEY {
            return None;
        }
        self.pos += 1;
        self.count(1)?;
        token.key()
    }

    /// The value after a mapping key's `:` in a mapping indented by `indent`.
    fn mapping_value(&mut self, indent: isize) -> Option<Value> {
        let spaces = self.skip_spaces();
        if self.at_line_end(spaces) {
            return self.nested_value(indent, true);
        }
        if self.at_sequence_entry() {
            return None; // `key: - item`
        }
        self.inline_value(indent)
    }

    /// The value of a key or entry whose line ends after its indicator: a node
    /// on the lines below, more indented than `indent` (or, for a mapping key,
    /// a sequence at the key's indentation), else `null`.
    fn nested_value(&mut self, indent: isize, of_key: bool) -> Option<Value> {
        self.finish_line()?;
        self.advance()?;
        if self.indent > indent {
            return self.block_node(indent, self.indent);
        }
        if self.indent == indent && of_key && self.at_sequence_entry() {
            return self.block_sequence(indent);
        }
        self.count(1)?;
        Some(Value::Null)
    }
}
