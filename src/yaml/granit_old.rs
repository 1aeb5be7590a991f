//! Builds JSON values from granit-parser's events, for the subset of YAML
//! whose meaning is plain (see `parse_documents`); `None` for anything else.

use std::borrow::Cow;

use granit_parser::{Event, Options, Parser, ScalarStyle};
use serde_json::{Map, Value};

use super::{MAX_DEPTH, MAX_DOCUMENTS, MAX_NODES};

enum Frame {
    Sequence(Vec<Value>),
    /// A mapping and the key read for the value to come.
    Mapping(Map<String, Value>, Option<String>),
}

pub fn parse_documents(text: &str) -> Option<Vec<Value>> {
    let mut documents = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut nodes = 0usize;
    let mut options = Options::default();
    options.emit_comments = false;
    for event in Parser::new_from_str_with_options(text, options) {
        let (event, _) = event.ok()?;
        let value = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => continue,
            Event::DocumentStart(_, None) => continue,
            Event::SequenceStart(_, 0, None) if stack.len() < MAX_DEPTH => {
                stack.push(Frame::Sequence(Vec::new()));
                continue;
            }
            Event::MappingStart(_, 0, None) if stack.len() < MAX_DEPTH => {
                stack.push(Frame::Mapping(Map::new(), None));
                continue;
            }
            Event::SequenceEnd => match stack.pop()? {
                Frame::Sequence(items) => Value::Array(items),
                Frame::Mapping(..) => return None,
            },
            Event::MappingEnd => match stack.pop()? {
                Frame::Mapping(map, None) => Value::Object(map),
                _ => return None,
            },
            Event::Scalar(text, style, 0, None) => {
                if let Some(Frame::Mapping(_, key @ None)) = stack.last_mut() {
                    *key = Some(key_text(text, style)?);
                    continue;
                }
                scalar(text, style)?
            }
            // Anchors, aliases, tags, directives, comments: serde-saphyr's.
            _ => return None,
        };
        nodes += 1;
        if nodes > MAX_NODES {
            return None;
        }
        match stack.last_mut() {
            Some(Frame::Sequence(items)) => items.push(value),
            Some(Frame::Mapping(map, key)) => {
                let key = key.take()?;
                if map.contains_key(&key) {
                    return None;
                }
                map.insert(key, value);
            }
            // An empty document is dropped; other scalar documents are serde-saphyr's.
            None if value == Value::Null => {}
            None if value.is_object() || value.is_array() => {
                documents.push(value);
                if documents.len() > MAX_DOCUMENTS {
                    return None;
                }
            }
            None => return None,
        }
    }
    stack.is_empty().then_some(documents)
}

/// A mapping key: any quoted or block scalar, or a plain one that reads as a string.
fn key_text(text: Cow<'_, str>, style: ScalarStyle) -> Option<String> {
    if style == ScalarStyle::Plain && text == "<<" {
        return None; // a merge key
    }
    match scalar(text, style)? {
        Value::String(key) => Some(key),
        _ => None,
    }
}

/// A scalar value, or `None` when its type takes more than the fast path knows.
fn scalar(text: Cow<'_, str>, style: ScalarStyle) -> Option<Value> {
    if style != ScalarStyle::Plain {
        return Some(Value::String(text.into_owned()));
    }
    let value = match &*text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        word if is_word(word) => return Some(Value::String(text.into_owned())),
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
    // Numbers start with a digit, a sign or a dot (`.inf`), `~` is null, and a
    // float parser takes `inf` and `nan` spelled any way.
    !matches!(first, '+' | '-' | '.' | '~')
        && !["inf", "infinity", "nan"]
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
