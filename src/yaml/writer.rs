//! A fast YAML writer for JSON values that writes exactly the bytes serde-saphyr
//! writes with ketch's options (`indent_step: 2`, `compact_list_indent: true`,
//! the rest default). It walks the value once, straight into the output.
//!
//! The layout, for a node starting at one of three places:
//!
//! | node            | at the root     | after `key:`            | after `- ` (content column k) |
//! |-----------------|-----------------|-------------------------|-------------------------------|
//! | scalar          | `x`             | ` x`                    | `x`                           |
//! | `{}` / `[]`     | `{}`            | ` {}`                   | `{}`                          |
//! | mapping         | keys at 0       | newline, keys at c + 2  | first key inline, rest at k   |
//! | sequence        | dashes at 0     | newline, dashes at c    | first dash inline, rest at k  |
//! | multi-line text | `\|`, body at 2 | ` \|`, body at c + 2    | `\|`, body at k               |
//!
//! where c is the column of the key. What it does not reproduce, it refuses
//! ([`Unsupported`]) so the caller writes the whole document with serde-saphyr:
//! long single-line strings serde-saphyr folds (`>`), keys over 1,024
//! characters (written `? key`), and nesting deeper than [`MAX_DEPTH`].

use super::quoting::{
    is_block_scalar_content_safe, is_plain_key, is_plain_value_safe, push_double_quoted,
};
use serde_json::{Number, Value};

/// Nesting the writer follows; deeper values go to serde-saphyr.
const MAX_DEPTH: usize = 256;
/// serde-saphyr folds plain-safe single-line strings longer than this (`folded_wrap_chars`).
const FOLD_CHARS: usize = 80;
/// serde-saphyr writes keys longer than this as explicit `? key` entries.
const SIMPLE_KEY_MAX_LEN: usize = 1024;
/// Spaces per nesting level (`indent_step`).
const INDENT: usize = 2;

/// The value holds something this writer leaves to serde-saphyr.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Unsupported;

/// Where a node starts, which decides how it is laid out.
#[derive(Clone, Copy)]
enum Slot {
    /// The document itself, at the start of a line.
    Root,
    /// A mapping value, right after `key:` with the key at this column.
    MapValue(usize),
    /// A sequence item, right after `- ` with the content at this column.
    SeqItem(usize),
}

impl Slot {
    /// What separates the node from what precedes it on its line.
    fn lead(self) -> &'static str {
        match self {
            Slot::MapValue(_) => " ",
            Slot::Root | Slot::SeqItem(_) => "",
        }
    }

    /// The column of a block scalar's body.
    fn body_column(self) -> usize {
        match self {
            Slot::Root => INDENT,
            Slot::MapValue(key) => key + INDENT,
            Slot::SeqItem(content) => content,
        }
    }
}

/// Appends `value` as one YAML document ending in a newline, as serde-saphyr
/// would; on [`Unsupported`] `out` may hold part of it.
pub(super) fn write_document(out: &mut String, value: &Value) -> Result<(), Unsupported> {
    Writer { out }.node(value, Slot::Root, 0)
}

/// [`write_document`] for a mapping.
pub(super) fn write_mapping_document(
    out: &mut String,
    map: &serde_json::Map<String, Value>,
) -> Result<(), Unsupported> {
    let mut writer = Writer { out };
    if map.is_empty() {
        writer.line(Slot::Root, "{}");
        Ok(())
    } else {
        writer.mapping(map, Slot::Root, 0)
    }
}

struct Writer<'a> {
    out: &'a mut String,
}

impl Writer<'_> {
    /// Writes any node at `slot`, `depth` levels deep.
    fn node(&mut self, value: &Value, slot: Slot, depth: usize) -> Result<(), Unsupported> {
        if depth > MAX_DEPTH {
            return Err(Unsupported);
        }
        match value {
            Value::Null => self.line(slot, "null"),
            Value::Bool(b) => self.line(slot, if *b { "true" } else { "false" }),
            Value::Number(n) => {
                self.out.push_str(slot.lead());
                self.number(n)?;
                self.out.push('\n');
            }
            Value::String(s) => self.string(s, slot)?,
            Value::Array(items) if items.is_empty() => self.line(slot, "[]"),
            Value::Object(map) if map.is_empty() => self.line(slot, "{}"),
            Value::Array(items) => self.sequence(items, slot, depth)?,
            Value::Object(map) => self.mapping(map, slot, depth)?,
        }
        Ok(())
    }

    /// Writes a scalar's text at `slot` and ends the line.
    fn line(&mut self, slot: Slot, text: &str) {
        self.out.push_str(slot.lead());
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// Appends `count` spaces.
    fn indent(&mut self, count: usize) {
        self.out.extend(std::iter::repeat_n(' ', count));
    }

    /// A block sequence: compact under a key, its first dash inline after a dash.
    fn sequence(&mut self, items: &[Value], slot: Slot, depth: usize) -> Result<(), Unsupported> {
        let (column, mut inline) = match slot {
            Slot::Root => (0, false),
            Slot::MapValue(key) => {
                self.out.push('\n');
                (key, false)
            }
            Slot::SeqItem(content) => (content, true),
        };
        for item in items {
            if !inline {
                self.indent(column);
            }
            inline = false;
            self.out.push_str("- ");
            self.node(item, Slot::SeqItem(column + INDENT), depth + 1)?;
        }
        Ok(())
    }

    /// A block mapping: under a key one level deeper, its first key inline after a dash.
    fn mapping(
        &mut self,
        map: &serde_json::Map<String, Value>,
        slot: Slot,
        depth: usize,
    ) -> Result<(), Unsupported> {
        let (column, mut inline) = match slot {
            Slot::Root => (0, false),
            Slot::MapValue(key) => {
                self.out.push('\n');
                (key + INDENT, false)
            }
            Slot::SeqItem(content) => (content, true),
        };
        for (key, value) in map {
            if !inline {
                self.indent(column);
            }
            inline = false;
            self.key(key)?;
            self.node(value, Slot::MapValue(column), depth + 1)?;
        }
        Ok(())
    }

    /// Writes `key:`, plain or double-quoted (a key that long would be written `? key`).
    fn key(&mut self, key: &str) -> Result<(), Unsupported> {
        let start = self.out.len();
        if is_plain_key(key) {
            self.out.push_str(key);
        } else {
            push_double_quoted(self.out, key);
        }
        let text = &self.out[start..];
        if text.len() > SIMPLE_KEY_MAX_LEN && text.chars().count() > SIMPLE_KEY_MAX_LEN {
            return Err(Unsupported);
        }
        self.out.push(':');
        Ok(())
    }

    /// Integers as digits; floats as serde-saphyr formats them (its float
    /// formatting depends on nothing but the number).
    fn number(&mut self, n: &Number) -> Result<(), Unsupported> {
        if let Some(u) = n.as_u64() {
            self.out.push_str(itoa_u64(u, &mut [0; 20]));
        } else if let Some(i) = n.as_i64() {
            self.out.push('-');
            self.out.push_str(itoa_u64(i.unsigned_abs(), &mut [0; 20]));
        } else {
            let f = n.as_f64().ok_or(Unsupported)?;
            let text = serde_saphyr::to_string(&f).map_err(|_| Unsupported)?;
            self.out.push_str(text.trim_end_matches('\n'));
        }
        Ok(())
    }

    /// A string value: a `|` block when it spans lines, else plain or quoted.
    fn string(&mut self, s: &str, slot: Slot) -> Result<(), Unsupported> {
        if s.contains('\n') {
            if is_block_scalar_content_safe(s) {
                self.literal_block(s, slot);
            } else {
                self.out.push_str(slot.lead());
                push_double_quoted(self.out, s);
                self.out.push('\n');
            }
            return Ok(());
        }
        if s.len() > FOLD_CHARS && is_folded(s) {
            return Err(Unsupported);
        }
        self.out.push_str(slot.lead());
        if matches!(s, "." | "#" | "-") {
            self.out.push('\'');
            self.out.push_str(s);
            self.out.push('\'');
        } else if is_plain_value_safe(s, false) {
            self.out.push_str(s);
        } else {
            push_double_quoted(self.out, s);
        }
        self.out.push('\n');
        Ok(())
    }

    /// A multi-line string as a literal block: `|` with an indentation digit
    /// when the first line starts with spaces, and the chomping indicator its
    /// trailing newlines need (`-` none, `+` more than one).
    fn literal_block(&mut self, s: &str, slot: Slot) {
        let content = s.trim_end_matches('\n');
        let trailing = s.len() - content.len();
        self.out.push_str(slot.lead());
        self.out.push('|');
        if first_line_leading_spaces(content) > 0 {
            self.out.push(char::from(b'0' + INDENT as u8));
        }
        match trailing {
            0 => self.out.push('-'),
            1 if !content.is_empty() => {}
            _ => self.out.push('+'),
        }
        self.out.push('\n');
        if content.is_empty() {
            self.out.extend(std::iter::repeat_n('\n', trailing));
            return;
        }
        let body = slot.body_column();
        for line in content.split('\n') {
            if !line.is_empty() {
                self.indent(body);
                self.out.push_str(line);
            }
            self.out.push('\n');
        }
        self.out
            .extend(std::iter::repeat_n('\n', trailing.saturating_sub(1)));
    }
}

/// Whether serde-saphyr writes this single-line string as a folded `>` block:
/// plain-safe once trailing spaces are dropped, and over [`FOLD_CHARS`] characters.
fn is_folded(s: &str) -> bool {
    let probe = s.trim_end_matches(' ');
    !probe.is_empty() && is_plain_value_safe(probe, false) && s.chars().count() > FOLD_CHARS
}

/// Spaces in front of the first non-empty line.
fn first_line_leading_spaces(s: &str) -> usize {
    s.split('\n')
        .find(|line| !line.is_empty())
        .map_or(0, |line| line.len() - line.trim_start_matches(' ').len())
}

/// `u`'s decimal digits, formatted in `buf` without allocating.
fn itoa_u64(mut u: u64, buf: &mut [u8; 20]) -> &str {
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[start..]).unwrap_or("0")
}
