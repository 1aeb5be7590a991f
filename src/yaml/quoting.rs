//! serde-saphyr 2.1's scalar style rules, ported so [`super::writer`] picks the
//! same style (plain, quoted, block) for every string as serde-saphyr does.
//! Ported from serde-saphyr's `ser/quoting.rs` (MIT OR Apache-2.0); keep in
//! step with the serde-saphyr version in Cargo.lock (the differential tests in
//! `writer.rs` fail when the two disagree).

use std::fmt::Write;

/// Whether `s` reads as a number under YAML 1.2 (`yaml_12`) or YAML 1.1 rules,
/// by syntax alone (no overflow check).
fn is_numeric(s: &str, yaml_12: bool) -> bool {
    if !matches!(
        s.as_bytes().first(),
        Some(b'0'..=b'9' | b'+' | b'-' | b'.' | b'_')
    ) {
        return false;
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if unsigned.eq_ignore_ascii_case(".inf") || unsigned.eq_ignore_ascii_case(".nan") {
        return true;
    }
    if !yaml_12 {
        if is_yaml11_sexagesimal(s) {
            return true;
        }
        if let Some((radix, digits)) = radix_digits(unsigned)
            && is_digit_run(digits, radix, false)
        {
            return true;
        }
    }
    // YAML 1.1 readers (Go YAML) drop underscores before resolving numbers.
    let normalized;
    let s = if !yaml_12 && s.contains('_') {
        normalized = s.replace('_', "");
        normalized.as_str()
    } else {
        s
    };
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if let Some((radix, digits)) = radix_digits(unsigned) {
        let digits = if !yaml_12 && (s.starts_with("0b") || s.starts_with("0o")) {
            digits.strip_prefix(['+', '-']).unwrap_or(digits)
        } else {
            digits
        };
        return is_digit_run(digits, radix, true);
    }
    let mantissa = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => {
            let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if !is_digit_run(exponent, 10, true) {
                return false;
            }
            mantissa
        }
        None => unsigned,
    };
    match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            if !whole.is_empty() && !is_digit_run(whole, 10, true) {
                return false;
            }
            if !yaml_12 {
                fraction.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            } else if fraction.is_empty() {
                !whole.is_empty()
            } else {
                is_digit_run(fraction, 10, true)
            }
        }
        None => is_digit_run(mantissa, 10, true),
    }
}

/// The radix and digits of a `0b`, `0o` or `0x` number.
fn radix_digits(s: &str) -> Option<(u32, &str)> {
    match s.as_bytes() {
        [b'0', b'b' | b'B', ..] => Some((2, &s[2..])),
        [b'0', b'o' | b'O', ..] => Some((8, &s[2..])),
        [b'0', b'x' | b'X', ..] => Some((16, &s[2..])),
        _ => None,
    }
}

/// A non-empty run of digits in `radix`; with `strict_underscores`, an
/// underscore only between two digits.
fn is_digit_run(s: &str, radix: u32, strict_underscores: bool) -> bool {
    let is_digit = |b: u8| b.is_ascii() && char::from(b).is_digit(radix);
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes.iter().enumerate().all(|(i, &b)| {
            is_digit(b)
                || (b == b'_'
                    && (!strict_underscores
                        || (i > 0
                            && is_digit(bytes[i - 1])
                            && bytes.get(i + 1).is_some_and(|&next| is_digit(next)))))
        })
}

/// YAML 1.1 base-60 numbers such as `12:30`.
fn is_yaml11_sexagesimal(s: &str) -> bool {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (unsigned, None),
    };
    let Some((first, rest)) = integer.split_once(':') else {
        return false;
    };
    let Some(first_digit) = first.as_bytes().first() else {
        return false;
    };
    if !first_digit.is_ascii_digit()
        || (fraction.is_none() && *first_digit == b'0')
        || !first.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return false;
    }
    if !rest.split(':').all(|part| match part.as_bytes() {
        [digit] => digit.is_ascii_digit(),
        [tens, units] => matches!(tens, b'0'..=b'5') && units.is_ascii_digit(),
        _ => false,
    }) {
        return false;
    }
    fraction.is_none_or(|part| part.bytes().all(|b| b.is_ascii_digit() || b == b'_'))
}

/// Moves `s` past `min..=max` ASCII digits, or says there were not that many.
fn skip_digits(s: &mut &str, min: usize, max: usize) -> bool {
    let len = s.bytes().take_while(u8::is_ascii_digit).count();
    if !(min..=max).contains(&len) {
        return false;
    }
    *s = &s[len..];
    true
}

/// Moves `s` past `ch`, or says it does not start with it.
fn skip_char(s: &mut &str, ch: char) -> bool {
    match s.strip_prefix(ch) {
        Some(rest) => {
            *s = rest;
            true
        }
        None => false,
    }
}

/// YAML 1.1 timestamp syntax (`2026-11-22`, `2026-11-22T10:00:00Z`), without
/// calendar checks.
fn is_yaml11_timestamp(mut s: &str) -> bool {
    let s = &mut s;
    if !skip_digits(s, 4, 4)
        || !skip_char(s, '-')
        || !skip_digits(s, 1, 2)
        || !skip_char(s, '-')
        || !skip_digits(s, 1, 2)
    {
        return false;
    }
    if s.is_empty() {
        return true;
    }
    if let Some(rest) = s.strip_prefix(['T', 't']) {
        *s = rest;
    } else {
        let rest = s.trim_start_matches([' ', '\t']);
        if rest.len() == s.len() {
            return false;
        }
        *s = rest;
    }
    if !skip_digits(s, 1, 2)
        || !skip_char(s, ':')
        || !skip_digits(s, 1, 2)
        || !skip_char(s, ':')
        || !skip_digits(s, 1, 2)
    {
        return false;
    }
    if skip_char(s, '.') || skip_char(s, ',') {
        skip_digits(s, 0, usize::MAX);
    }
    *s = s.trim_start_matches([' ', '\t']);
    if s.is_empty() || *s == "Z" {
        return true;
    }
    if !(skip_char(s, '+') || skip_char(s, '-')) || !skip_digits(s, 1, 2) {
        return false;
    }
    if skip_char(s, ':') && !skip_digits(s, 2, 2) {
        return false;
    }
    s.is_empty()
}

/// A YAML 1.1 boolean spelling (`y`, `No`, `ON`...), surrounding blanks ignored.
fn is_yaml11_bool(s: &str) -> bool {
    let t = s.trim_matches([' ', '\t', '\r', '\n']);
    ["true", "yes", "y", "on", "false", "no", "n", "off"]
        .iter()
        .any(|word| t.eq_ignore_ascii_case(word))
}

/// Whether a reader could resolve `s`, written plain, to something other than
/// that string (null, boolean, number, timestamp, merge key...).
fn is_ambiguous(s: &str, yaml_12: bool) -> bool {
    s.is_empty()
        || s == "~"
        || ["null", "true", "false", "nan", "inf", "+inf", "-inf"]
            .iter()
            .any(|word| s.eq_ignore_ascii_case(word))
        || is_numeric(s, yaml_12)
        || (!yaml_12 && (is_yaml11_bool(s) || is_yaml11_timestamp(s) || matches!(s, "<<" | "=")))
}

/// `---` or `...`, alone or followed by white space.
fn starts_with_document_marker(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("---").or_else(|| s.strip_prefix("...")) else {
        return false;
    };
    rest.is_empty() || rest.as_bytes().first().is_some_and(u8::is_ascii_whitespace)
}

/// The checks plain keys and plain values share: not ambiguous, no document
/// marker, no edge white space, no indicator in front.
fn is_plain_start_safe(s: &str, yaml_12: bool) -> bool {
    if is_ambiguous(s, yaml_12) || starts_with_document_marker(s) {
        return false;
    }
    let bytes = s.as_bytes();
    if bytes.first().is_some_and(u8::is_ascii_whitespace)
        || bytes.last().is_some_and(u8::is_ascii_whitespace)
    {
        return false;
    }
    !matches!(
        bytes,
        [b'-' | b'?']
            | [b'-' | b'?', b' ' | b'\t' | b'\n' | b'\r' | b'\x0c', ..]
            | [
                b',' | b':'
                    | b'['
                    | b']'
                    | b'{'
                    | b'}'
                    | b'#'
                    | b'&'
                    | b'*'
                    | b'!'
                    | b'|'
                    | b'>'
                    | b'\''
                    | b'"'
                    | b'%'
                    | b'@'
                    | b'`',
                ..
            ]
    )
}

/// The common case, decided in one pass: a letter, then letters, digits,
/// `.`, `_`, `-`, `/` (and `:`, not last, when `colon`), and no keyword
/// (`on`, `Null`...). Such a word is neither numeric, a timestamp, nor starts
/// with an indicator, and holds no space, `#` or control character: every
/// rule below agrees it is plain, as a value and, without `:`, as a key
/// (unless over 80 characters: see `writer::is_folded`).
pub(super) fn is_simple_word(s: &str, colon: bool) -> bool {
    let bytes = s.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && bytes
            .iter()
            .all(|&b| IS_WORD_BYTE[usize::from(b)] || (colon && b == b':'))
        && bytes.last() != Some(&b':')
        && !(bytes.len() <= 5 && is_keyword(s))
}

/// The bytes of a simple word, one table look-up a byte.
const IS_WORD_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-' | b'/');
        b += 1;
    }
    table
};

/// The words readers resolve to something else than a string, letters only.
fn is_keyword(s: &str) -> bool {
    [
        "null", "true", "false", "nan", "inf", "yes", "y", "on", "no", "n", "off",
    ]
    .iter()
    .any(|word| s.eq_ignore_ascii_case(word))
}

/// A mapping key serde-saphyr writes plain (it double-quotes the others).
pub(super) fn is_plain_key(s: &str) -> bool {
    if is_simple_word(s, false) {
        return true;
    }
    is_plain_start_safe(s, true)
        && s != "<<"
        && !contains_any_or_is_control(s, &[':'])
        && !has_comment_start(s)
        && is_plain_value_safe(s, true)
}

/// A value serde-saphyr writes plain in block style (`in_flow` false) or
/// inside a flow collection or key (`in_flow` true), with YAML 1.1 rules.
pub(super) fn is_plain_value_safe(s: &str, in_flow: bool) -> bool {
    if is_simple_word(s, !in_flow) {
        return true;
    }
    if !is_plain_start_safe(s, false) {
        return false;
    }
    if s.contains(": ") || s.trim().ends_with(':') {
        return false;
    }
    let structural: &[char] = if in_flow {
        &[',', '[', ']', '{', '}']
    } else {
        &[]
    };
    !contains_any_or_is_control(s, structural) && !has_comment_start(s)
}

/// Whether every character of `s` may stand in a `|` block scalar.
pub(super) fn is_block_scalar_content_safe(s: &str) -> bool {
    s.chars().all(|ch| match ch {
        '\n' | '\t' => true,
        '\r' | '\u{0085}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}' => false,
        c => matches!(
            c as u32,
            0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x0010_FFFF
        ),
    })
}

/// Characters only a double-quoted scalar can carry.
fn needs_escaping(ch: char) -> bool {
    ch.is_control()
        || matches!(
            ch,
            '\u{FEFF}' | '\u{2028}' | '\u{2029}' | '\u{FFFE}' | '\u{FFFF}'
        )
}

/// Appends `s` double-quoted, with serde-saphyr's escapes.
pub(super) fn push_double_quoted(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{FEFF}' => out.push_str("\\uFEFF"),
            '\u{0085}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if (c as u32) <= 0xFF && (c.is_control() || (0x7F..=0x9F).contains(&(c as u32))) => {
                // Writing into a String cannot fail.
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c if (c as u32) <= 0xFFFF && needs_escaping(c) => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Whether `s` holds one of `values` or a character needing an escape.
fn contains_any_or_is_control(s: &str, values: &[char]) -> bool {
    s.chars().any(|c| needs_escaping(c) || values.contains(&c))
}

/// A `#` after white space, which would start a comment in a plain scalar.
fn has_comment_start(s: &str) -> bool {
    s.match_indices('#').any(|(index, _)| {
        s[..index]
            .chars()
            .next_back()
            .is_some_and(char::is_whitespace)
    })
}
