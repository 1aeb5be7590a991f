//! Sprig v3.3.0's functions (`TxtFuncMap`), with Helm's `required` and `fail`, and
//! without `env` and `expandenv` (Helm deletes them). Serialization, cryptography,
//! random values, hashes and base64/32 live in `serial` and `crypto`.
//!
//! Go's typed slices (`[]string` from `splitList`, `[]int` from `until`) are lists
//! here, and `split`'s `map[string]string` a map: `typeOf` of them says
//! `[]interface {}` and `map[string]interface {}` where Go says `[]string`.

use crate::MAX_STRING;
use crate::func::FuncMap;
use crate::value::Value;

pub mod date;
pub mod defaults;
pub mod dicts;
pub mod lists;
pub mod numeric;
pub mod paths;
pub mod regex;
pub mod semver;
pub mod strings;

/// Every Sprig function this module implements, with Helm's `required`.
pub fn funcs() -> FuncMap {
    let mut f = FuncMap::new();
    f.extend(strings::funcs());
    f.extend(numeric::funcs());
    f.extend(defaults::funcs());
    f.extend(lists::funcs());
    f.extend(dicts::funcs());
    f.extend(regex::funcs());
    f.extend(semver::funcs());
    f.extend(date::funcs());
    f.extend(paths::funcs());
    f
}

/// The string argument at `i` (the executor has checked the signature).
pub(crate) fn str_arg(args: &[Value], i: usize) -> &str {
    args.get(i).and_then(Value::as_str).unwrap_or("")
}

/// The int argument at `i`.
pub(crate) fn int_arg(args: &[Value], i: usize) -> i64 {
    match args.get(i) {
        Some(Value::Int(n) | Value::Int64(n)) => *n,
        _ => 0,
    }
}

/// Sprig's strval: strings as they are, anything else as `%v` prints it.
pub(crate) fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        other => crate::fmt::sprint_value(other),
    }
}

/// Errors unless a string of `len` bytes is within [`MAX_STRING`].
pub(crate) fn check_len(name: &str, len: usize) -> Result<(), String> {
    if len > MAX_STRING {
        return Err(format!("{name}: result exceeds {MAX_STRING} bytes"));
    }
    Ok(())
}

/// Go's reflect kind name of a value as Sprig's panics print it.
pub(crate) fn kind(v: &Value) -> &str {
    v.kind_name()
}

/// The items of a list argument, or the error Sprig panics with
/// (`Cannot find first on type string`); nil panics in Go's reflect.
pub(crate) fn list_items<'a>(v: &'a Value, what: &str) -> Result<&'a [Value], String> {
    match v {
        Value::List(items) => Ok(items),
        Value::Nil => Err(NIL_DEREF.into()),
        other => Err(format!("{what} {}", kind(other))),
    }
}

/// What Go's runtime says when Sprig asks reflect for the kind of a nil.
pub(crate) const NIL_DEREF: &str =
    "runtime error: invalid memory address or nil pointer dereference";

/// Sprig's `empty`: nil, false, zero numbers, empty strings, lists and maps.
pub(crate) fn empty(v: &Value) -> bool {
    match v {
        Value::Object(_) => false,
        other => !other.is_true(),
    }
}

/// Go's reflect.DeepEqual over values: types must match (int 1 is not float64 1).
pub(crate) fn deep_equal(a: &Value, b: &Value) -> bool {
    deep_equal_within(a, b, crate::MAX_NESTING)
}

fn deep_equal_within(a: &Value, b: &Value, depth: usize) -> bool {
    let Some(depth) = depth.checked_sub(1) else {
        return false;
    };
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) | (Value::Int64(x), Value::Int64(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            std::rc::Rc::ptr_eq(x, y)
                || (x.len() == y.len()
                    && x.iter()
                        .zip(y.iter())
                        .all(|(p, q)| deep_equal_within(p, q, depth)))
        }
        (Value::Map(x), Value::Map(y)) => {
            if std::rc::Rc::ptr_eq(x, y) {
                return true;
            }
            let (Ok(x), Ok(y)) = (x.try_borrow(), y.try_borrow()) else {
                return false;
            };
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| deep_equal_within(v, w, depth)))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.type_name() == y.type_name() && deep_equal_within(&x.to_value(), &y.to_value(), depth)
        }
        _ => false,
    }
}

/// spf13/cast's ToInt64 (what Sprig's `int64`, `int` and integer arithmetic use):
/// strings parsed as Go literals (`0x1f`, `017` octal, `1_000`; a bad one is 0),
/// floats truncated, booleans 1 or 0.
pub(crate) fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(n) | Value::Int64(n) => *n,
        Value::Float(x) => go_float_to_int(*x),
        Value::Bool(b) => i64::from(*b),
        Value::String(s) => parse_go_int(trim_zero_decimal(s)).unwrap_or(0),
        _ => 0,
    }
}

/// spf13/cast's ToFloat64: strings by strconv.ParseFloat (a bad one is 0).
pub(crate) fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(n) | Value::Int64(n) => *n as f64,
        Value::Float(x) => *x,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(s) => parse_go_float(s).unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Go's float64-to-int64 conversion on amd64: out of range (and NaN) is the minimum.
pub(crate) fn go_float_to_int(x: f64) -> i64 {
    if x.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&x) {
        i64::MIN
    } else {
        x as i64
    }
}

/// cast's trimZeroDecimal: "8.00" reads as "8".
fn trim_zero_decimal(s: &str) -> &str {
    let b = s.as_bytes();
    let mut found_zero = false;
    for i in (1..=b.len()).rev() {
        match b[i - 1] {
            b'.' if found_zero => return &s[..i - 1],
            b'.' => {}
            b'0' => found_zero = true,
            _ => return s,
        }
    }
    s
}

/// strconv.ParseInt(s, 0, 64): sign, base prefix (0x, 0o, 0b, leading 0 octal),
/// underscores between digits.
pub(crate) fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (base, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string())
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string())
    } else {
        (10, lower.clone())
    };
    if digits.is_empty() {
        return None;
    }
    if digits.contains('_') && !underscores_ok(&lower) {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    let u = u64::from_str_radix(&clean, base).ok()?;
    if neg {
        if u > 1 << 63 {
            return None;
        }
        Some((u as i64).wrapping_neg())
    } else {
        i64::try_from(u).ok()
    }
}

/// strconv's underscoreOK: `_` only between digits or after a base prefix.
fn underscores_ok(s: &str) -> bool {
    let mut saw = '^';
    for c in s.chars() {
        if c == '_' {
            if saw != '0' {
                return false;
            }
            saw = '_';
        } else {
            if saw == '_' && !c.is_ascii_alphanumeric() {
                return false;
            }
            saw = '0';
        }
    }
    saw != '_'
}

/// strconv.ParseFloat(s, 64) for the forms Go accepts (decimal, exponent, inf, nan,
/// hex floats excepted).
pub(crate) fn parse_go_float(s: &str) -> Option<f64> {
    let t = s.to_ascii_lowercase();
    let body = t.trim_start_matches(['+', '-']);
    match body {
        "inf" | "infinity" => {
            return Some(if t.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            });
        }
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-' | '_'))
    {
        return None;
    }
    if s.contains('_') {
        if !underscores_ok(&t) {
            return None;
        }
        return s.replace('_', "").parse().ok();
    }
    s.parse().ok()
}
#[cfg(test)]
mod tests;
