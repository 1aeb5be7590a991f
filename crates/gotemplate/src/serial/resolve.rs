//! go-yaml v2's resolution of plain scalars (`resolve` in resolve.go): which texts read as
//! booleans, nulls, numbers or timestamps under YAML 1.1, and so must be quoted to stay
//! strings; and the same rules when reading.

/// What a plain scalar resolves to.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    /// A timestamp: read back as its text.
    Timestamp,
    Str,
}

/// Whether `s`, written plain, reads back as the same string.
pub fn resolves_to_str(s: &str) -> bool {
    // Fast path: most strings start with a letter that no YAML 1.1 keyword starts with.
    match s.as_bytes().first() {
        Some(b'+' | b'-' | b'0'..=b'9' | b'.' | b'y' | b'Y' | b'n' | b'N' | b't' | b'T')
        | Some(b'f' | b'F' | b'o' | b'O' | b'~')
        | None => resolve_plain(s) == Resolved::Str,
        Some(_) => true,
    }
}

/// go-yaml v2's `resolve("", s)`.
pub fn resolve_plain(s: &str) -> Resolved {
    let hint = match s.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        // `<<` is in the map, but its first byte has no hint: go-yaml never looks it up.
        Some(_) => return Resolved::Str,
    };
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Resolved::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Resolved::Bool(false);
        }
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        _ => {}
    }
    match hint {
        b'.' => {
            if let Some(x) = parse_float_decimal(s) {
                return Resolved::Float(x);
            }
        }
        b'D' | b'S' => {
            if is_timestamp(s) {
                return Resolved::Timestamp;
            }
            let plain: std::borrow::Cow<str> = if s.contains('_') {
                s.replace('_', "").into()
            } else {
                s.into()
            };
            if let Some(i) = parse_int(&plain, 0) {
                return Resolved::Int(i);
            }
            if let Some(u) = parse_uint(&plain, 0) {
                return Resolved::Uint(u);
            }
            if is_yaml_style_float(&plain)
                && let Some(x) = parse_float_decimal(&plain)
            {
                return Resolved::Float(x);
            }
            if let Some(rest) = plain.strip_prefix("0b") {
                if let Some(i) = parse_int(rest, 2) {
                    return Resolved::Int(i);
                }
                if let Some(u) = parse_uint(rest, 2) {
                    return Resolved::Uint(u);
                }
            } else if let Some(rest) = plain.strip_prefix("-0b")
                && let Some(i) = parse_int(&format!("-{rest}"), 2)
            {
                return Resolved::Int(i);
            }
        }
        _ => {}
    }
    Resolved::Str
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// strconv.ParseFloat for decimal text (what go-yaml passes it here): `None` on bad syntax
/// and on overflow (Go's ErrRange).
fn parse_float_decimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    // Decimal syntax only: digits, one dot, an exponent.
    let mut seen_digit = false;
    let mut i = 0;
    let bb = body.as_bytes();
    while i < bb.len() && (bb[i].is_ascii_digit() || bb[i] == b'.') {
        seen_digit |= bb[i].is_ascii_digit();
        i += 1;
    }
    if !seen_digit || bb[..i].iter().filter(|&&c| c == b'.').count() > 1 {
        return None;
    }
    if i < bb.len() {
        if !matches!(bb[i], b'e' | b'E') {
            return None;
        }
        i += 1;
        if matches!(bb.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let start = i;
        while i < bb.len() && bb[i].is_ascii_digit() {
            i += 1;
        }
        if start == i || i != bb.len() {
            return None;
        }
    }
    let _ = b;
    let x: f64 = s.parse().ok()?;
    x.is_finite().then_some(x)
}

/// The digits of `s` after Go's base prefix (base 0: `0x`, `0o`, `0b`, leading `0` octal).
fn split_base(s: &str, base: u32) -> (u32, &str) {
    if base != 0 {
        return (base, s);
    }
    let b = s.as_bytes();
    if b.len() >= 2 && b[0] == b'0' {
        match b[1] {
            b'x' | b'X' => return (16, &s[2..]),
            b'o' | b'O' => return (8, &s[2..]),
            b'b' | b'B' => return (2, &s[2..]),
            _ => return (8, &s[1..]),
        }
    }
    (10, s)
}

/// strconv.ParseUint(s, base, 64) (no sign, no underscores: the caller removed them).
pub fn parse_uint(s: &str, base: u32) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let (base, digits) = split_base(s, base);
    if digits.is_empty() && !(base == 8 && s == "0") {
        return None;
    }
    let mut n: u64 = 0;
    for c in digits.chars() {
        let d = c.to_digit(base)?;
        n = n.checked_mul(base as u64)?.checked_add(d as u64)?;
    }
    Some(n)
}

/// strconv.ParseInt(s, base, 64).
pub fn parse_int(s: &str, base: u32) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let u = parse_uint(body, base)?;
    if neg {
        if u <= 1 << 63 {
            Some((u as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(u).ok()
    }
}

/// Whether go-yaml takes `s` for a timestamp: `time.Parse` with one of its four layouts.
pub fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let year: i32 = s[..4].parse().unwrap_or(0);
    let mut p = Parser { b, i: 5 };
    let Some(month) = p.num() else { return false };
    if !(1..=12).contains(&month) || !p.lit(b'-') {
        return false;
    }
    let Some(day) = p.num() else { return false };
    if day < 1 || day > days_in(month, year) {
        return false;
    }
    if p.i == b.len() {
        return true; // 2006-1-2
    }
    let sep = b[p.i];
    if !matches!(sep, b'T' | b't' | b' ') {
        return false;
    }
    p.i += 1;
    let Some(hour) = p.num() else { return false };
    if hour >= 24 || !p.lit(b':') {
        return false;
    }
    let Some(minute) = p.num() else { return false };
    if minute >= 60 || !p.lit(b':') {
        return false;
    }
    let Some(second) = p.num() else { return false };
    if second >= 60 {
        return false;
    }
    // Fractional seconds: any number of digits after a dot or comma.
    if matches!(p.peek(), Some(b'.' | b',')) && p.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
        p.i += 1;
        while p.peek().is_some_and(|c| c.is_ascii_digit()) {
            p.i += 1;
        }
    }
    if sep == b' ' {
        return p.i == b.len();
    }
    // Z07:00
    match p.peek() {
        Some(b'Z') => p.i + 1 == b.len(),
        Some(b'+' | b'-') => {
            let rest = &b[p.i..];
            rest.len() == 6
                && rest[3] == b':'
                && rest[1..3].iter().all(u8::is_ascii_digit)
                && rest[4..6].iter().all(u8::is_ascii_digit)
                && (rest[1] - b'0') * 10 + (rest[2] - b'0') <= 24
                && (rest[4] - b'0') * 10 + (rest[5] - b'0') <= 60
        }
        _ => false,
    }
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn peek_at(&self, k: usize) -> Option<u8> {
        self.b.get(self.i + k).copied()
    }
    fn lit(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    /// Go's `getnum(s, false)`: one or two digits.
    fn num(&mut self) -> Option<u32> {
        let d0 = self.peek().filter(u8::is_ascii_digit)?;
        self.i += 1;
        match self.peek().filter(u8::is_ascii_digit) {
            Some(d1) => {
                self.i += 1;
                Some(((d0 - b'0') * 10 + (d1 - b'0')) as u32)
            }
            None => Some((d0 - b'0') as u32),
        }
    }
}

fn days_in(month: u32, year: i32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// go-yaml's base-60 check: such strings are quoted on the way out.
pub fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    match b.first() {
        Some(b'+' | b'-' | b'0'..=b'9') if s.contains(':') => {}
        _ => return false,
    }
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let mut i = usize::from(matches!(b[0], b'+' | b'-'));
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += 1;
    while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        let start = i;
        while i < start + 2 && b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        match i - start {
            1 => {}
            2 if (b'0'..=b'5').contains(&b[start]) => {}
            2 => {
                // [0-5]?[0-9]: a first digit above 5 leaves one digit for the group.
                i = start + 1;
                if b.get(i).is_some_and(u8::is_ascii_digit) {
                    // the regex cannot continue after one digit followed by another digit
                    return false;
                }
            }
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    i == b.len()
}
