//! Block scalars: literal `|` and folded `>`, with strip `-`, clip or keep `+`
//! chomping and an optional indentation indicator. Line folding follows
//! libyaml's scanner, which serde-saphyr's parser shares: a line break between
//! two lines that do not start with a blank becomes a space (or vanishes
//! before empty lines); breaks around more-indented lines stay.
//!
//! Refused: an empty block scalar, leading blank lines longer than the
//! detected indentation, a scalar ending at the end of the text without a line
//! break, tabs in a folded scalar, and a block scalar as a whole document.

use serde_json::Value;

use super::{END, Reader};

#[derive(Clone, Copy, PartialEq)]
enum Chomp {
    Strip,
    Clip,
    Keep,
}

struct Header {
    folded: bool,
    chomp: Chomp,
    /// The indentation indicator, if written.
    indent: Option<isize>,
}

impl Reader<'_> {
    /// The block scalar whose header is at `pos`, as a value of a collection
    /// indented by `parent`; moves to the next line with content after it.
    pub(super) fn block_scalar(&mut self, parent: isize) -> Option<Value> {
        if parent < 0 {
            return None;
        }
        let header = self.block_header()?;
        let indent = match header.indent {
            Some(indicator) => parent + indicator,
            None => self.detect_indent()?,
        };
        if indent <= parent {
            return None;
        }
        let text = self.block_lines(usize::try_from(indent).ok()?, &header)?;
        self.count(1)?;
        self.advance()?;
        (self.indent <= parent).then_some(Value::String(text))
    }

    /// The `|` or `>`, chomping and indentation indicators in either order,
    /// then the end of the line (maybe a comment).
    fn block_header(&mut self) -> Option<Header> {
        let folded = self.current() == b'>';
        let mut chomp = None;
        let mut indent = None;
        loop {
            self.pos += 1;
            match self.current() {
                b'-' if chomp.is_none() => chomp = Some(Chomp::Strip),
                b'+' if chomp.is_none() => chomp = Some(Chomp::Keep),
                digit @ b'1'..=b'9' if indent.is_none() => indent = Some(isize::from(digit - b'0')),
                _ => break,
            }
        }
        self.finish_line()?;
        Some(Header {
            folded,
            chomp: chomp.unwrap_or(Chomp::Clip),
            indent,
        })
    }

    /// The indentation of the first line with content, from the start of the
    /// line after the header; `None` when a blank line before it is longer,
    /// or no line has content.
    fn detect_indent(&self) -> Option<isize> {
        let mut line = self.pos;
        let mut longest_blank = 0;
        loop {
            let spaces = self.spaces_at(line);
            match self.byte(line + spaces) {
                b'\n' => {
                    longest_blank = longest_blank.max(spaces);
                    line += spaces + 1;
                }
                END => return None,
                _ if longest_blank > spaces => return None,
                _ => return isize::try_from(spaces).ok(),
            }
        }
    }

    fn spaces_at(&self, from: usize) -> usize {
        self.find(from, |b| b != b' ') - from
    }

    /// The lines indented by at least `indent`, and the empty lines among and
    /// after them, from `pos` at the start of the first; leaves `pos` at the
    /// start of the line that ends the scalar (or at the end of the text).
    fn block_lines(&mut self, indent: usize, header: &Header) -> Option<String> {
        let mut text = String::new();
        let mut any = false;
        // Empty lines since the last line with content.
        let mut breaks = 0;
        // Whether the last line with content started with a blank.
        let mut leading_blank = false;
        loop {
            let line = self.pos;
            let spaces = self.spaces_at(line);
            let next = self.byte(line + spaces);
            if next == b'\n' && spaces <= indent {
                breaks += 1;
                self.pos = line + spaces + 1;
                continue;
            }
            if next == END && spaces > 0 {
                return None; // spaces ending the text: content or not, serde-saphyr knows
            }
            if spaces < indent || next == END {
                break;
            }
            let end = self.find(line, |b| b == b'\n');
            if self.byte(end) != b'\n' {
                return None; // the last line has no line break
            }
            let content = self.slice(line + indent, end)?;
            if header.folded && content.contains('\t') {
                return None;
            }
            let trailing_blank = content.starts_with([' ', '\t']);
            if any && header.folded && !leading_blank && !trailing_blank {
                if breaks == 0 {
                    text.push(' ');
                }
            } else if any {
                text.push('\n');
            }
            push_breaks(&mut text, breaks);
            text.push_str(content);
            any = true;
            breaks = 0;
            leading_blank = trailing_blank;
            self.pos = end + 1;
        }
        if !any {
            return None;
        }
        match header.chomp {
            Chomp::Strip => {}
            Chomp::Clip => text.push('\n'),
            Chomp::Keep => push_breaks(&mut text, breaks + 1),
        }
        Some(text)
    }
}

fn push_breaks(text: &mut String, breaks: usize) {
    text.extend(std::iter::repeat_n('\n', breaks));
}
