//! Sprig's string functions.

use crate::fmt;
use crate::func::{FuncMap, Type};
use crate::value::Value;

use super::{check_len, int_arg, str_arg, strval};

const S: Type = Type::String;
const I: Type = Type::Int;
const A: Type = Type::Any;

pub fn funcs() -> FuncMap {
    let mut f = FuncMap::new();
    f.add("hello", &[], None, |_| Ok("Hello!".into()));
    f.add("abbrev", &[I, S], None, |a| {
        Ok(abbrev(int_arg(a, 0), str_arg(a, 1)).into())
    });
    f.add("abbrevboth", &[I, I, S], None, |a| {
        let (left, right, s) = (int_arg(a, 0), int_arg(a, 1), str_arg(a, 2));
        if right < 4 || left > 0 && right < 7 {
            return Ok(s.into());
        }
        Ok(abbreviate_full(s.as_bytes(), left, right).into())
    });
    f.add("trunc", &[I, S], None, |a| {
        let (c, s) = (int_arg(a, 0), str_arg(a, 1).as_bytes());
        let len = s.len() as i64;
        let out = if c < 0 && len + c > 0 {
            &s[(len + c) as usize..]
        } else if c >= 0 && len > c {
            &s[..c as usize]
        } else {
            s
        };
        Ok(lossy(out).into())
    });
    f.add("trim", &[S], None, |a| {
        Ok(str_arg(a, 0).trim_matches(is_go_space).into())
    });
    f.add("upper", &[S], None, |a| {
        Ok(str_arg(a, 0).to_uppercase().into())
    });
    f.add("lower", &[S], None, |a| {
        Ok(str_arg(a, 0).to_lowercase().into())
    });
    f.add("title", &[S], None, |a| Ok(title(str_arg(a, 0)).into()));
    f.add("untitle", &[S], None, |a| Ok(untitle(str_arg(a, 0)).into()));
    f.add("substr", &[I, I, S], None, |a| {
        substr(int_arg(a, 0), int_arg(a, 1), str_arg(a, 2)).map(Value::from)
    });
    f.add("repeat", &[I, S], None, |a| {
        let (n, s) = (int_arg(a, 0), str_arg(a, 1));
        if n < 0 {
            return Err("strings: negative Repeat count".into());
        }
        check_len("repeat", (n as usize).saturating_mul(s.len()))?;
        Ok(s.repeat(n as usize).into())
    });
    for name in ["trimall", "trimAll"] {
        f.add(name, &[S, S], None, |a| {
            let cut = str_arg(a, 0);
            Ok(str_arg(a, 1).trim_matches(|c| cut.contains(c)).into())
        });
    }
    f.add("trimSuffix", &[S, S], None, |a| {
        let s = str_arg(a, 1);
        Ok(s.strip_suffix(str_arg(a, 0)).unwrap_or(s).into())
    });
    f.add("trimPrefix", &[S, S], None, |a| {
        let s = str_arg(a, 1);
        Ok(s.strip_prefix(str_arg(a, 0)).unwrap_or(s).into())
    });
    f.add("nospace", &[S], None, |a| {
        // goutils works on bytes, each read as a Latin-1 rune.
        let s = str_arg(a, 0);
        if !s.bytes().any(is_latin1_space) {
            return Ok(s.into());
        }
        Ok(s.bytes()
            .filter(|b| !is_latin1_space(*b))
            .map(char::from)
            .collect::<String>()
            .into())
    });
    f.add("initials", &[S], None, |a| {
        let mut out = String::new();
        let mut gap = true;
        for b in str_arg(a, 0).bytes() {
            if is_latin1_space(b) {
                gap = true;
            } else if gap {
                out.push(char::from(b));
                gap = false;
            }
        }
        Ok(out.into())
    });
    f.add("swapcase", &[S], None, |a| {
        Ok(swapcase(str_arg(a, 0)).into())
    });
    f.add("snakecase", &[S], None, |a| {
        Ok(words_joined(str_arg(a, 0), '_').into())
    });
    f.add("kebabcase", &[S], None, |a| {
        Ok(words_joined(str_arg(a, 0), '-').into())
    });
    f.add("camelcase", &[S], None, |a| {
        Ok(pascal_case(str_arg(a, 0)).into())
    });
    f.add("wrap", &[I, S], None, |a| {
        wrap(str_arg(a, 1), int_arg(a, 0), "\n", false).map(Value::from)
    });
    f.add("wrapWith", &[I, S, S], None, |a| {
        wrap(str_arg(a, 2), int_arg(a, 0), str_arg(a, 1), true).map(Value::from)
    });
    f.add("contains", &[S, S], None, |a| {
        Ok(str_arg(a, 1).contains(str_arg(a, 0)).into())
    });
    f.add("hasPrefix", &[S, S], None, |a| {
        Ok(str_arg(a, 1).starts_with(str_arg(a, 0)).into())
    });
    f.add("hasSuffix", &[S, S], None, |a| {
        Ok(str_arg(a, 1).ends_with(str_arg(a, 0)).into())
    });
    f.add("quote", &[], Some(A), |a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !v.is_nil())
            .map(|v| fmt::quote(&strval(v)))
            .collect();
        joined("quote", &parts, " ")
    });
    f.add("squote", &[], Some(A), |a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !v.is_nil())
            .map(|v| format!("'{}'", fmt::sprint_value(v)))
            .collect();
        joined("squote", &parts, " ")
    });
    f.add("cat", &[], Some(A), |a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !v.is_nil())
            .map(fmt::sprint_value)
            .collect();
        joined("cat", &parts, " ")
    });
    f.add("indent", &[I, S], None, |a| {
        indent("indent", int_arg(a, 0), str_arg(a, 1), false)
    });
    f.add("nindent", &[I, S], None, |a| {
        indent("nindent", int_arg(a, 0), str_arg(a, 1), true)
    });
    f.add("replace", &[S, S, S], None, |a| {
        let (old, new, src) = (str_arg(a, 0), str_arg(a, 1), str_arg(a, 2));
        let count = if old.is_empty() {
            src.chars().count() + 1
        } else {
            src.matches(old).count()
        };
        check_len(
            "replace",
            src.len().saturating_add(count.saturating_mul(new.len())),
        )?;
        Ok(go_replace(src, old, new, usize::MAX).into())
    });
    f.add("plural", &[S, S, I], None, |a| {
        Ok(if int_arg(a, 2) == 1 {
            str_arg(a, 0)
        } else {
            str_arg(a, 1)
        }
        .into())
    });
    f.add("toString", &[A], None, |a| Ok(strval(&a[0]).into()));
    f.add("join", &[S, A], None, |a| {
        let parts = strslice(&a[1]);
        joined("join", &parts, str_arg(a, 0))
    });
    f.add("toStrings", &[A], None, |a| {
        Ok(strings_value(strslice(&a[0])))
    });
    f.add("split", &[S, S], None, |a| {
        Ok(indexed_map(go_split(str_arg(a, 1), str_arg(a, 0), -1)))
    });
    f.add("splitn", &[S, I, S], None, |a| {
        Ok(indexed_map(go_split(
            str_arg(a, 2),
            str_arg(a, 0),
            int_arg(a, 1),
        )))
    });
    f.add("splitList", &[S, S], None, |a| {
        Ok(strings_value(
            go_split(str_arg(a, 1), str_arg(a, 0), -1)
                .into_iter()
                .map(String::from)
                .collect(),
        ))
    });
    f.add("sortAlpha", &[A], None, |a| {
        let mut parts = match &a[0] {
            Value::List(_) => strslice(&a[0]),
            other => vec![strval(other)],
        };
        parts.sort();
        Ok(strings_value(parts))
    });
    f
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn joined(name: &str, parts: &[String], sep: &str) -> Result<Value, String> {
    let len =
        parts.iter().map(String::len).sum::<usize>() + sep.len() * parts.len().saturating_sub(1);
    check_len(name, len)?;
    Ok(parts.join(sep).into())
}

/// A `[]string` result.
pub(crate) fn strings_value(parts: Vec<String>) -> Value {
    Value::list(parts.into_iter().map(Value::from).collect())
}

/// Sprig's strslice: a list's non-nil items as strings; nil is no items; anything
/// else one item.
pub(crate) fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(items) => items.iter().filter(|i| !i.is_nil()).map(strval).collect(),
        Value::Nil => Vec::new(),
        other => vec![strval(other)],
    }
}

fn indexed_map(parts: Vec<&str>) -> Value {
    Value::map(
        parts
            .into_iter()
            .enumerate()
            .map(|(i, p)| (format!("_{i}"), Value::from(p)))
            .collect(),
    )
}

/// strings.SplitN (n < 0: all); an empty separator splits into UTF-8 characters.
pub(crate) fn go_split<'a>(s: &'a str, sep: &str, n: i64) -> Vec<&'a str> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let mut out: Vec<&str> = Vec::new();
        let mut rest = s;
        while !rest.is_empty() {
            if n > 0 && out.len() as i64 == n - 1 {
                out.push(rest);
                return out;
            }
            let len = rest.chars().next().map_or(1, char::len_utf8);
            out.push(&rest[..len]);
            rest = &rest[len..];
        }
        return out;
    }
    if n < 0 {
        s.split(sep).collect()
    } else {
        s.splitn(n as usize, sep).collect()
    }
}

/// strings.Replace with an empty `old`: inserted before every character and at the end.
fn go_replace(src: &str, old: &str, new: &str, n: usize) -> String {
    if !old.is_empty() {
        return src.replacen(old, new, n);
    }
    let mut out = String::with_capacity(src.len());
    out.push_str(new);
    for c in src.chars() {
        out.push(c);
        out.push_str(new);
    }
    out
}

fn indent(name: &str, spaces: i64, s: &str, newline: bool) -> Result<Value, String> {
    if spaces < 0 {
        return Err("strings: negative Repeat count".into());
    }
    let pad = spaces as usize;
    let lines = s.matches('\n').count() + 1;
    check_len(
        name,
        s.len().saturating_add(lines.saturating_mul(pad)) + usize::from(newline),
    )?;
    let padding = " ".repeat(pad);
    let mut out = String::with_capacity(s.len() + lines * pad + 1);
    if newline {
        out.push('\n');
    }
    out.push_str(&padding);
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(&padding);
        }
        out.push_str(line);
    }
    Ok(out.into())
}

/// unicode.IsSpace.
pub(crate) fn is_go_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    ) || (c as u32 > 0xff && c.is_whitespace())
}

fn is_latin1_space(b: u8) -> bool {
    is_go_space(char::from(b))
}

fn abbrev(width: i64, s: &str) -> String {
    if width < 4 {
        return s.into();
    }
    abbreviate_full(s.as_bytes(), 0, width)
}

/// goutils.AbbreviateFull, byte-indexed as Go's.
fn abbreviate_full(s: &[u8], offset: i64, max: i64) -> String {
    let len = s.len() as i64;
    if s.is_empty() || max < 4 {
        return String::new();
    }
    if len <= max {
        return lossy(s);
    }
    let mut offset = offset.min(len);
    if len - offset < max - 3 {
        offset = len - (max - 3);
    }
    if offset <= 4 {
        return lossy(&s[..(max - 3) as usize]) + "...";
    }
    if max < 7 {
        return String::new();
    }
    if offset + max - 3 < len {
        return "...".to_string() + &abbreviate_full(&s[offset as usize..], 0, max - 3);
    }
    "...".to_string() + &lossy(&s[(len - (max - 3)) as usize..])
}

/// Sprig's substring: byte offsets; out-of-range offsets fail as Go's slicing panics.
fn substr(start: i64, end: i64, s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let len = b.len() as i64;
    // Go's slicing panics, in its words.
    let range = |lo: i64, hi: i64, open: bool| -> Result<String, String> {
        if hi > len || hi < 0 {
            return Err(format!(
                "runtime error: slice bounds out of range [:{hi}] with length {len}"
            ));
        }
        if lo > hi {
            let shown = if open { String::new() } else { hi.to_string() };
            return Err(format!(
                "runtime error: slice bounds out of range [{lo}:{shown}]"
            ));
        }
        Ok(lossy(&b[lo as usize..hi as usize]))
    };
    if start < 0 {
        return range(0, end, false);
    }
    if end < 0 || end > len {
        return range(start, len, true);
    }
    range(start, end, false)
}

/// strings.Title: the first letter of every word upper-cased (title case); a word
/// starts after a separator (not a letter, digit, underscore or mark).
fn title(s: &str) -> String {
    let mut prev = ' ';
    s.chars()
        .map(|c| {
            let out = if is_separator(prev) { to_title(c) } else { c };
            prev = c;
            out
        })
        .collect()
}

fn is_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if c.is_alphanumeric() {
        return false;
    }
    c.is_whitespace()
}

fn to_title(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

fn to_lower1(c: char) -> char {
    let mut low = c.to_lowercase();
    match (low.next(), low.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

fn untitle(s: &str) -> String {
    let mut next = true;
    s.chars()
        .map(|c| {
            if is_go_space(c) {
                next = true;
                c
            } else if next {
                next = false;
                to_lower1(c)
            } else {
                c
            }
        })
        .collect()
}

fn swapcase(s: &str) -> String {
    let mut ws = true;
    s.chars()
        .map(|c| {
            if c.is_uppercase() {
                ws = false;
                to_lower1(c)
            } else if c.is_lowercase() {
                let out = to_title(c);
                ws = false;
                out
            } else {
                ws = is_go_space(c);
                c
            }
        })
        .collect()
}

fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || is_go_space(c)
}

/// xstrings.ToPascalCase (Sprig's camelcase).
fn pascal_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    let mut r0 = '\0';
    let mut first_upper = false;
    let mut found = false;
    for c in chars.by_ref() {
        if !is_connector(c) {
            first_upper = c.is_uppercase();
            r0 = to_title(c);
            found = true;
            break;
        }
        out.push(c);
    }
    if !found {
        return out;
    }
    for c in chars {
        let r1 = r0;
        r0 = c;
        if is_connector(r0) && is_connector(r1) {
            out.push(r1);
            continue;
        }
        if is_connector(r1) {
            first_upper = r0.is_uppercase();
            r0 = to_title(r0);
        } else {
            if first_upper {
                if r0.is_uppercase() {
                    r0 = to_lower1(r0);
                } else {
                    first_upper = false;
                }
            }
            out.push(r1);
        }
    }
    out.push(r0);
    out
}

/// Words of `s` (split at connectors and case changes, acronyms kept together),
/// lower-cased and joined by `connector`: xstrings' ToSnakeCase/ToKebabCase for
/// the identifiers charts pass (letters, digits, `-`, `_`, spaces).
fn words_joined(s: &str, connector: char) -> String {
    let lead = s.chars().take_while(|c| is_connector(*c)).count();
    let prefix: String = std::iter::repeat_n(connector, lead).collect();
    let chars: Vec<char> = s.chars().skip(lead).collect();
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if is_connector(c) {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                words.push(std::mem::take(&mut cur));
            }
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    prefix + &words.join(&connector.to_string())
}

/// goutils.WrapCustom, byte-indexed as Go's.
fn wrap(s: &str, width: i64, newline: &str, long_words: bool) -> Result<String, String> {
    if s.is_empty() {
        return Ok(String::new());
    }
    let newline = if newline.is_empty() { "\n" } else { newline };
    let width = width.max(1) as usize;
    let b = s.as_bytes();
    // At most one separator per input byte.
    check_len(
        "wrap",
        b.len()
            .saturating_add(b.len().saturating_mul(newline.len())),
    )?;
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut offset = 0usize;
    while b.len() - offset > width {
        if b[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = width + offset + 1;
        let space = b[offset..end].iter().rposition(|c| *c == b' ');
        if let Some(sp) = space {
            out.extend_from_slice(&b[offset..offset + sp]);
            out.extend_from_slice(newline.as_bytes());
            offset += sp + 1;
        } else if long_words {
            out.extend_from_slice(&b[offset..offset + width]);
            out.extend_from_slice(newline.as_bytes());
            offset += width;
        } else {
            let end = width + offset;
            match b[end..].iter().position(|c| *c == b' ') {
                None => {
                    out.extend_from_slice(&b[offset..]);
                    offset = b.len();
                }
                Some(i) => {
                    out.extend_from_slice(&b[offset..end + i]);
                    out.extend_from_slice(newline.as_bytes());
                    offset = end + i + 1;
                }
            }
        }
    }
    out.extend_from_slice(&b[offset..]);
    Ok(lossy(&out))
}
