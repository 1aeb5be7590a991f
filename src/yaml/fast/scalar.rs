//! One-line scalars: plain, single-quoted and double-quoted, and the rules
//! that type a plain scalar as serde-saphyr does with ketch's options.

use std::borrow::Cow;

use serde_json::Value;

use super::{END, Reader, is_blank};

/// A scalar as written: plain (typed by its text) or quoted (a string).
pub(super) enum Token<'a> {
    Plain(&'a str),
    Quoted(Cow<'a, str>),
}

impl Token<'_> {
    /// The scalar's value, or `None` when its type takes more than this reader
    /// knows (floats, big or signed-zero integers, radix prefixes...).
    pub(super) fn value(self) -> Option<Value> {
        match self {
            Token::Quoted(text) => Some(Value::String(text.into_owned())),
            Token::Plain(text) => plain_value(text),
        }
    }

    /// A mapping key: any quoted scalar, or a plain one that reads as a string
    /// and is not the merge key `<<`.
    pub(super) fn key(self) -> Option<String> {
        match self {
            Token::Quoted(text) => Some(text.into_owned()),
            Token::Plain("<<") => None,
            Token::Plain(text) => match plain_value(text)? {
                Value::String(key) => Some(key),
                _ => None,
            },
        }
    }
}

/// A plain scalar's value, or `None` when its type takes more than the fast
/// path knows.
fn plain_value(text: &str) -> Option<Value> {
    // Most keys and words start with a letter no null, boolean or float
    // spelling starts with.
    if text
        .as_bytes()
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() && !b"nNtTfFiI".contains(b))
    {
        return Some(Value::String(text.to_owned()));
    }
    let value = match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        word if is_word(word) => Value::String(word.to_owned()),
        number => Value::Number(small_integer(number)?),
    };
    Some(value)
}

/// Whether a plain scalar (not a null or boolean spelling) can only be a string.
fn is_word(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if first.is_ascii_digit() {
        // Without a radix prefix every number is written with these bytes and at
        // most one dot: `100m`, `128Mi`, `1.2.3`, `10.0.0.1/8` are strings.
        let radix = matches!(
            text.as_bytes().get(..2),
            Some(b"0x" | b"0X" | b"0o" | b"0O" | b"0b" | b"0B")
        );
        let numeric = |b: u8| b.is_ascii_digit() || b".+-_eE".contains(&b);
        return !radix && (!text.bytes().all(numeric) || text.matches('.').count() > 1);
    }
    if matches!(first, '+' | '-') {
        // A sign starts a number when a digit, a dot or `inf` follows
        // (`-1`, `+.5`, `-.inf`, `--1`); `--port`, `-x` are strings.
        let unsigned = text.trim_start_matches(['+', '-']);
        return !unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.')
            && !unsigned.is_empty()
            && !is_special_float(unsigned);
    }
    // Numbers also start with a dot (`.inf`), `~` is null, and a float parser
    // takes `inf` and `nan` spelled any way.
    !matches!(first, '.' | '~') && !is_special_float(text)
}

/// `inf`, `infinity` or `nan`, spelled any way.
fn is_special_float(text: &str) -> bool {
    ["inf", "infinity", "nan"]
        .iter()
        .any(|special| text.eq_ignore_ascii_case(special))
}

/// `0`, or a decimal integer without a leading zero that fits any integer type.
fn small_integer(text: &str) -> Option<serde_json::Number> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let plain = !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if !plain || text == "-0" {
        return None;
    }
    if text.starts_with('-') {
        text.parse::<i64>().ok().map(Into::into)
    } else {
        text.parse::<u64>().ok().map(Into::into)
    }
}

/// Bytes that may end a plain scalar in block context (`BLOCK_STOP`) or in a
/// flow collection (`FLOW_STOP`), indexed by byte: a line feed, the end
/// sentinel, `:`, `#`, a tab, and the flow indicators.
static STOPS: [u8; 256] = {
    let mut table = [0; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        if matches!(b, b'\n' | END | b':' | b'#' | b'\t') {
            table[byte] = BLOCK_STOP | FLOW_STOP;
        } else if is_flow_indicator(b) {
            table[byte] = FLOW_STOP;
        }
        byte += 1;
    }
    table
};
const BLOCK_STOP: u8 = 1;
const FLOW_STOP: u8 = 2;

/// Where a plain scalar is read, which decides what ends it.
#[derive(Clone, Copy, PartialEq)]
enum Context {
    Block,
    FlowKey,
    FlowValue,
}

/// Whether a byte ends a plain scalar or an entry in a flow collection.
const fn is_flow_indicator(byte: u8) -> bool {
    matches!(byte, b',' | b'[' | b']' | b'{' | b'}')
}

impl<'a> Reader<'a> {
    /// A scalar in block context: quoted, or plain up to a `: `, a ` #` or
    /// the line's end. Leaves `pos` right after it.
    pub(super) fn scalar_token(&mut self) -> Option<Token<'a>> {
        self.token(Context::Block)
    }

    /// A scalar inside a flow collection: quoted, or plain up to a flow
    /// indicator (or, for a key, a `:`).
    pub(super) fn flow_token(&mut self, key: bool) -> Option<Token<'a>> {
        self.token(if key {
            Context::FlowKey
        } else {
            Context::FlowValue
        })
    }

    fn token(&mut self, context: Context) -> Option<Token<'a>> {
        match self.current() {
            b'"' => self.double_quoted().map(Token::Quoted),
            b'\'' => self.single_quoted().map(Token::Quoted),
            _ => self.plain(context).map(Token::Plain),
        }
    }

    /// A plain scalar on one line, ended by the line, a comment or a `: `, and
    /// in a flow collection by a flow indicator (or a key's `:`), where any
    /// other `:` or `#` is refused. Trailing spaces are not part of it.
    fn plain(&mut self, context: Context) -> Option<&'a str> {
        let start = self.pos;
        if !self.plain_may_start() {
            return None;
        }
        let flow = context != Context::Block;
        let stops = if flow { FLOW_STOP } else { BLOCK_STOP };
        let bytes = self.text.as_bytes();
        let mut at = start;
        loop {
            let rest = bytes.get(at..)?;
            at += rest
                .iter()
                .position(|&b| STOPS[usize::from(b)] & stops != 0)
                .unwrap_or(rest.len());
            match self.byte(at) {
                b':' if context == Context::FlowKey => break,
                b':' | b'#' | b'\t' if flow => return None,
                b':' if !is_blank(self.byte(at + 1)) => {}
                b'#' if self.byte(at.wrapping_sub(1)) != b' ' => {}
                b'\t' => return None,
                _ => break,
            }
            at += 1;
        }
        while at > start && self.byte(at - 1) == b' ' {
            at -= 1;
        }
        self.pos = at;
        self.slice(start, at)
    }

    /// Whether a plain scalar may start at `pos`: not with an indicator, and
    /// `-`, `?`, `:` only when followed by a character of the scalar.
    fn plain_may_start(&self) -> bool {
        match self.current() {
            b'-' | b'?' | b':' => {
                let next = self.byte(self.pos + 1);
                !is_blank(next) && !is_flow_indicator(next)
            }
            b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' => false,
            byte => !is_blank(byte) && !is_flow_indicator(byte),
        }
    }

    /// A single-quoted scalar closed on its line, `''` read as `'`.
    fn single_quoted(&mut self) -> Option<Cow<'a, str>> {
        let mut owned: Option<String> = None;
        let mut run = self.pos + 1;
        loop {
            let at = self.find(run, |b| b == b'\'' || b == b'\n');
            if self.byte(at) != b'\'' {
                return None;
            }
            if self.byte(at + 1) != b'\'' {
                return self.close_quoted(owned, run, at);
            }
            owned
                .get_or_insert_with(String::new)
                .push_str(self.slice(run, at + 1)?);
            run = at + 2;
        }
    }

    /// A double-quoted scalar closed on its line, with the common escapes.
    fn double_quoted(&mut self) -> Option<Cow<'a, str>> {
        let mut owned: Option<String> = None;
        let mut run = self.pos + 1;
        loop {
            let at = self.find(run, |b| matches!(b, b'"' | b'\\' | b'\n'));
            match self.byte(at) {
                b'"' => return self.close_quoted(owned, run, at),
                b'\\' => {
                    let text = owned.get_or_insert_with(String::new);
                    text.push_str(self.slice(run, at)?);
                    run = self.escape(at + 1, text)?;
                }
                _ => return None,
            }
        }
    }

    /// The text of a quoted scalar whose last run of characters is
    /// `run..close`, `close` being its closing quote; moves past the quote.
    fn close_quoted(
        &mut self,
        owned: Option<String>,
        run: usize,
        close: usize,
    ) -> Option<Cow<'a, str>> {
        let last = self.slice(run, close)?;
        self.pos = close + 1;
        Some(match owned {
            None => Cow::Borrowed(last),
            Some(mut text) => {
                text.push_str(last);
                Cow::Owned(text)
            }
        })
    }

    /// Reads the escape after a `\` at `at` into `text`; returns the offset
    /// after it. Unusual escapes (`\N`, `\_`, `\L`, `\P`, a line break...) and
    /// `\x` past ASCII are refused.
    fn escape(&self, at: usize, text: &mut String) -> Option<usize> {
        let (char, next) = match self.byte(at) {
            b'0' => ('\0', at + 1),
            b'a' => ('\x07', at + 1),
            b'b' => ('\x08', at + 1),
            b't' => ('\t', at + 1),
            b'n' => ('\n', at + 1),
            b'v' => ('\x0b', at + 1),
            b'f' => ('\x0c', at + 1),
            b'r' => ('\r', at + 1),
            b'e' => ('\x1b', at + 1),
            b' ' => (' ', at + 1),
            b'"' => ('"', at + 1),
            b'/' => ('/', at + 1),
            b'\\' => ('\\', at + 1),
            b'x' => (self.hex(at + 1, 2).filter(char::is_ascii)?, at + 3),
            b'u' => (self.hex(at + 1, 4)?, at + 5),
            b'U' => (self.hex(at + 1, 8)?, at + 9),
            _ => return None,
        };
        text.push(char);
        Some(next)
    }

    /// The character whose code is the `digits` hex digits at `at`.
    fn hex(&self, at: usize, digits: usize) -> Option<char> {
        let hex = self.text.as_bytes().get(at..at + digits)?;
        hex.iter()
            .try_fold(0u32, |code, &b| {
                let digit = char::from(b).to_digit(16)?;
                Some(code * 16 + digit)
            })
            .and_then(char::from_u32)
    }
}
