//! `json.Unmarshal` into `interface{}` as Go does it: the whole text is checked first (Go's
//! scanner, with its messages: `invalid character 'x' after object key`, `unexpected end of
//! JSON input`), then decoded with every number a float64, later duplicate keys winning and
//! lone surrogate escapes read as U+FFFD.

use std::collections::BTreeMap;

use crate::value::Value;

/// Go's encoding/json nesting limit.
const MAX_DEPTH: usize = 10_000;

/// Go's `quoteChar`: the offending byte, quoted as a rune.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".into(),
        b'"' => "'\"'".into(),
        _ => {
            let ch = char::from(c);
            let body = match ch {
                '\u{7}' => "\\a".into(),
                '\u{8}' => "\\b".into(),
                '\u{c}' => "\\f".into(),
                '\n' => "\\n".into(),
                '\r' => "\\r".into(),
                '\t' => "\\t".into(),
                '\u{b}' => "\\v".into(),
                '\\' => "\\\\".into(),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => format!("\\x{:02x}", c as u32),
                c if (0x80..0xa1).contains(&(c as u32)) || c as u32 == 0xad => {
                    format!("\\u{:04x}", c as u32)
                }
                c => c.to_string(),
            };
            format!("'{body}'")
        }
    }
}

struct P<'a> {
    b: &'a [u8],
    i: usize,
    /// The first decoding (not syntax) error: Go reports it after decoding everything.
    type_error: Option<String>,
}

type R<T> = Result<T, String>;

const EOF: &str = "unexpected end of JSON input";

impl P<'_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\r' | b'\n') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn bad(&self, context: &str) -> String {
        match self.b.get(self.i) {
            Some(&c) => format!("invalid character {} {context}", quote_char(c)),
            None => EOF.into(),
        }
    }

    /// Inside a token Go's scanner meets the end as a space (`scanner.eof`).
    fn bad_in_token(&self, context: &str) -> String {
        let c = self.b.get(self.i).copied().unwrap_or(b' ');
        format!("invalid character {} {context}", quote_char(c))
    }

    fn value(&mut self, depth: usize) -> R<Value> {
        self.ws();
        match self.b.get(self.i) {
            Some(b'{') => {
                if depth >= MAX_DEPTH {
                    return Err("exceeded max depth".into());
                }
                self.i += 1;
                stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.object(depth + 1))
            }
            Some(b'[') => {
                if depth >= MAX_DEPTH {
                    return Err("exceeded max depth".into());
                }
                self.i += 1;
                stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.array(depth + 1))
            }
            Some(b'"') => Ok(Value::from(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'n') => self.literal(b"null", Value::Nil),
            _ => Err(self.bad("looking for beginning of value")),
        }
    }

    fn literal(&mut self, word: &[u8], v: Value) -> R<Value> {
        let name = std::str::from_utf8(word).unwrap_or("");
        for &want in word {
            match self.b.get(self.i) {
                Some(&c) if c == want => self.i += 1,
                _ => {
                    return Err(self.bad_in_token(&format!(
                        "in literal {name} (expecting {})",
                        quote_char(want)
                    )));
                }
            }
        }
        Ok(v)
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.b.get(self.i) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> R<Value> {
        let start = self.i;
        if self.b[self.i] == b'-' {
            self.i += 1;
        }
        match self.b.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.bad_in_token("in numeric literal")),
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.bad_in_token("after decimal point in numeric literal"));
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.bad_in_token("in exponent of numeric literal"));
            }
        }
        let text = std::str::from_utf8(&self.b[start..self.i]).unwrap_or("0");
        match text.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Value::Float(x)),
            _ => {
                if self.type_error.is_none() {
                    self.type_error = Some(format!(
                        "json: cannot unmarshal number {text} into Go value of type float64"
                    ));
                }
                Ok(Value::Nil)
            }
        }
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let s = self.b.get(at..at + 4)?;
        u32::from_str_radix(std::str::from_utf8(s).ok()?, 16).ok()
    }

    fn string(&mut self) -> R<String> {
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return Err(EOF.into());
            };
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                b'\\' => {
                    self.i += 1;
                    let Some(&e) = self.b.get(self.i) else {
                        return Err(self.bad_in_token("in string escape code"));
                    };
                    let simple = match e {
                        b'"' => Some(b'"'),
                        b'\\' => Some(b'\\'),
                        b'/' => Some(b'/'),
                        b'b' => Some(8),
                        b'f' => Some(12),
                        b'n' => Some(b'\n'),
                        b'r' => Some(b'\r'),
                        b't' => Some(b'\t'),
                        b'u' => None,
                        _ => return Err(self.bad_in_token("in string escape code")),
                    };
                    self.i += 1;
                    if let Some(s) = simple {
                        out.push(s);
                        continue;
                    }
                    for k in 0..4 {
                        match self.b.get(self.i + k) {
                            Some(h) if h.is_ascii_hexdigit() => {}
                            _ => {
                                self.i += k;
                                return Err(
                                    self.bad_in_token("in \\u hexadecimal character escape")
                                );
                            }
                        }
                    }
                    let r = self.hex4(self.i).unwrap_or(0xFFFD);
                    self.i += 4;
                    let mut ch = char::from_u32(r);
                    if (0xD800..0xE000).contains(&r) {
                        ch = None;
                        if r < 0xDC00
                            && self.b.get(self.i..self.i + 2) == Some(b"\\u")
                            && let Some(lo) = self.hex4(self.i + 2)
                            && (0xDC00..0xE000).contains(&lo)
                        {
                            ch = char::from_u32(0x10000 + ((r - 0xD800) << 10) + (lo - 0xDC00));
                            self.i += 6;
                        }
                    }
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(
                        ch.unwrap_or('\u{FFFD}').encode_utf8(&mut buf).as_bytes(),
                    );
                }
                c if c < 0x20 => return Err(self.bad("in string literal")),
                c => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }

    fn object(&mut self, depth: usize) -> R<Value> {
        let mut m = BTreeMap::new();
        self.ws();
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Ok(Value::map(m));
        }
        loop {
            self.ws();
            if self.b.get(self.i) != Some(&b'"') {
                return Err(self.bad("looking for beginning of object key string"));
            }
            let key = self.string()?;
            self.ws();
            if self.b.get(self.i) != Some(&b':') {
                return Err(self.bad("after object key"));
            }
            self.i += 1;
            let v = self.value(depth)?;
            m.insert(key, v);
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Value::map(m));
                }
                _ => return Err(self.bad("after object key:value pair")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> R<Value> {
        let mut items = Vec::new();
        self.ws();
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
            return Ok(Value::list(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Value::list(items));
                }
                _ => return Err(self.bad("after array element")),
            }
        }
    }
}

/// `json.Unmarshal` into `interface{}`: the value, and Go's error if any (a decoding error
/// still comes with the value decoded around it).
pub fn read(text: &str) -> Result<(Value, Option<String>), String> {
    let mut p = P {
        b: text.as_bytes(),
        i: 0,
        type_error: None,
    };
    let v = p.value(0)?;
    p.ws();
    if p.i < p.b.len() {
        return Err(p.bad("after top-level value"));
    }
    Ok((v, p.type_error))
}

fn kind(v: &Value) -> &'static str {
    super::yaml_in::json_kind(v)
}

/// Sprig's `fromJson`: a map, with an `Error` key on failure. JSON `null` gives Go a nil map
/// (printed `map[]`); here an empty map.
pub fn from_json(text: &str) -> Value {
    let (map, err) = match read(text) {
        Ok((Value::Map(m), err)) => (Value::Map(m), err),
        Err(e) => (Value::empty_map(), Some(e)),
        Ok((Value::Nil, _)) => (Value::empty_map(), None),
        Ok((other, _)) => (
            Value::empty_map(),
            Some(format!(
                "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                kind(&other)
            )),
        ),
    };
    if let (Some(e), Value::Map(m)) = (err, &map) {
        m.borrow_mut().insert("Error".into(), Value::from(e));
    }
    map
}

/// Sprig's `fromJsonArray`: a list, or a list of the error message.
pub fn from_json_array(text: &str) -> Value {
    match read(text) {
        Err(e) | Ok((Value::List(_), Some(e))) => Value::list(vec![Value::from(e)]),
        Ok((v @ Value::List(_), None)) => v,
        Ok((Value::Nil, _)) => Value::list(Vec::new()),
        Ok((other, _)) => Value::list(vec![Value::from(format!(
            "json: cannot unmarshal {} into Go value of type []interface {{}}",
            kind(&other)
        ))]),
    }
}
