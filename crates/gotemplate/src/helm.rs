//! Helm's function map (Helm v4.3, `pkg/engine/funcs.go`): Sprig's `TxtFuncMap`
//! without `env` and `expandenv`, Helm's serialization functions, and Helm's
//! duration helpers (`mustToDuration`, `durationSeconds`, ..., `durationTruncateTo`).
//! `include` and `tpl` are the executor's; `lookup` is the host's (added at render).

use crate::fmt::sprint_value;
use crate::func::{FuncMap, Type};
use crate::lex::go_quote;
use crate::sprig::date::duration::{self, GoDuration, SECOND};
use crate::value::Value;

/// Every function a Helm chart's templates can call, but `include`, `tpl` (the
/// executor's) and `lookup` (the host's).
pub fn funcs() -> FuncMap {
    let mut f = crate::sprig::funcs();
    f.extend(crate::serial::funcs());
    f.extend(crate::crypto::funcs());
    f.extend(duration_funcs());
    f
}

/// Helm's durationFromSecondsInt.
fn from_seconds_int(s: i64) -> Result<i64, String> {
    s.checked_mul(SECOND)
        .ok_or_else(|| format!("duration seconds overflow: {s}"))
}

/// Helm's durationFromSecondsFloat: the nanoseconds truncated toward zero.
fn from_seconds_float(s: f64) -> Result<i64, String> {
    let shown = |x: f64| sprint_value(&Value::Float(x));
    if s.is_nan() || s.is_infinite() {
        return Err(format!("invalid duration seconds: {}", shown(s)));
    }
    let max = i64::MAX as f64;
    if s > max / 1e9 || s < i64::MIN as f64 / 1e9 {
        return Err(format!("duration seconds overflow: {}", shown(s)));
    }
    let nanos = s * 1e9;
    if nanos > max || nanos < i64::MIN as f64 {
        return Err(format!("duration nanoseconds overflow: {}", shown(nanos)));
    }
    Ok(crate::sprig::go_float_to_int(nanos))
}

/// Helm's asDuration: a `time.Duration`; a string as Go's ParseDuration reads it or
/// as seconds; numbers as seconds.
fn as_duration(v: &Value) -> Result<i64, String> {
    if let Some(d) = duration::as_duration(v) {
        return Ok(d);
    }
    match v {
        Value::String(x) => {
            let s = x.trim();
            if s.is_empty() {
                return Err("empty duration".into());
            }
            if let Ok(d) = duration::parse(s) {
                return Ok(d);
            }
            if let Some(f) = crate::sprig::parse_go_float(s) {
                return from_seconds_float(f);
            }
            Err(format!("could not parse duration {}", go_quote(x)))
        }
        Value::Nil => Err("invalid duration".into()),
        Value::Int(n) | Value::Int64(n) => from_seconds_int(*n),
        Value::Float(x) => from_seconds_float(*x),
        other => Err(format!("unsupported duration type {}", other.type_name())),
    }
}

fn duration_funcs() -> FuncMap {
    const ANY: &[Type] = &[Type::Any];
    const TWO: &[Type] = &[Type::Any, Type::Any];
    let mut f = FuncMap::new();
    f.add("mustToDuration", ANY, None, |a| {
        as_duration(&a[0]).map(GoDuration::value)
    });
    let float =
        |g: fn(i64) -> f64| move |a: &[Value]| Ok(Value::Float(as_duration(&a[0]).map_or(0.0, g)));
    let int =
        |g: fn(i64) -> i64| move |a: &[Value]| Ok(Value::Int64(as_duration(&a[0]).map_or(0, g)));
    f.add("durationSeconds", ANY, None, float(duration::seconds));
    f.add("durationMinutes", ANY, None, float(duration::minutes));
    f.add("durationHours", ANY, None, float(duration::hours));
    f.add(
        "durationDays",
        ANY,
        None,
        float(|d| duration::hours(d) / 24.0),
    );
    f.add(
        "durationWeeks",
        ANY,
        None,
        float(|d| duration::hours(d) / 24.0 / 7.0),
    );
    f.add(
        "durationMilliseconds",
        ANY,
        None,
        int(|d| d / duration::MILLISECOND),
    );
    f.add(
        "durationMicroseconds",
        ANY,
        None,
        int(|d| d / duration::MICROSECOND),
    );
    f.add("durationNanoseconds", ANY, None, int(|d| d));
    let to = |g: fn(i64, i64) -> i64| {
        move |a: &[Value]| {
            let d = match as_duration(&a[0]) {
                Ok(d) => d,
                Err(_) => return Ok(GoDuration::value(0)),
            };
            Ok(GoDuration::value(match as_duration(&a[1]) {
                Ok(m) => g(d, m),
                Err(_) => d,
            }))
        }
    };
    f.add("durationRoundTo", TWO, None, to(duration::round));
    f.add("durationTruncateTo", TWO, None, to(duration::truncate));
    f
}

#[cfg(test)]
mod tests;
