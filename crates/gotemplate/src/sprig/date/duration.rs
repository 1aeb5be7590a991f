//! Go's `time.Duration`: nanoseconds as int64, parsed by `time.ParseDuration` and
//! printed by its `String` (`1h2m3.5s`, `1.5ms`, `0s`).

use std::rc::Rc;

use crate::value::{Object, Value};

pub const NANOSECOND: i64 = 1;
pub const MICROSECOND: i64 = 1_000;
pub const MILLISECOND: i64 = 1_000_000;
pub const SECOND: i64 = 1_000_000_000;
pub const MINUTE: i64 = 60 * SECOND;
pub const HOUR: i64 = 60 * MINUTE;

/// A `time.Duration` value: prints as Go's `String`, `typeOf` says `time.Duration`.
pub struct GoDuration(pub i64);

impl GoDuration {
    pub fn value(d: i64) -> Value {
        Value::Object(Rc::new(GoDuration(d)))
    }
}

/// The duration a value holds, if it is a `time.Duration`.
pub fn as_duration(v: &Value) -> Option<i64> {
    match v {
        Value::Object(o) => o.as_any()?.downcast_ref::<GoDuration>().map(|d| d.0),
        _ => None,
    }
}

impl Object for GoDuration {
    fn type_name(&self) -> &str {
        "time.Duration"
    }
    fn kind_name(&self) -> &str {
        "int64"
    }
    fn field(&self, name: &str) -> Option<Value> {
        let d = self.0;
        Some(match name {
            "String" => format(d).into(),
            "Hours" => Value::Float(hours(d)),
            "Minutes" => Value::Float(minutes(d)),
            "Seconds" => Value::Float(seconds(d)),
            "Milliseconds" => Value::Int64(d / MILLISECOND),
            "Microseconds" => Value::Int64(d / MICROSECOND),
            "Nanoseconds" => Value::Int64(d),
            "Abs" => GoDuration::value(if d == i64::MIN { i64::MAX } else { d.abs() }),
            _ => return None,
        })
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let m = || method_arg(name, args);
        Some(match name {
            "Round" => m().map(|m| GoDuration::value(round(self.0, m))),
            "Truncate" => m().map(|m| GoDuration::value(truncate(self.0, m))),
            _ => return self.field(name).map(Ok),
        })
    }
    fn to_value(&self) -> Value {
        format(self.0).into()
    }
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

/// Go's `Duration.Seconds`.
/// The one `time.Duration` argument of a method (`Round`, `Truncate`, `Add`, ...):
/// a duration, or an integer count of nanoseconds.
pub fn method_arg(method: &str, args: &[Value]) -> Result<i64, String> {
    match args {
        [v] => as_duration(v)
            .or(match v {
                Value::Int(n) | Value::Int64(n) => Some(*n),
                _ => None,
            })
            .ok_or_else(|| {
                format!(
                    "wrong type for value; expected time.Duration; got {}",
                    v.type_name()
                )
            }),
        _ => Err(format!(
            "wrong number of args for {method}: want 1 got {}",
            args.len()
        )),
    }
}

pub fn seconds(d: i64) -> f64 {
    (d / SECOND) as f64 + (d % SECOND) as f64 / 1e9
}

/// Go's `Duration.Minutes`.
pub fn minutes(d: i64) -> f64 {
    (d / MINUTE) as f64 + (d % MINUTE) as f64 / (60.0 * 1e9)
}

/// Go's `Duration.Hours`.
pub fn hours(d: i64) -> f64 {
    (d / HOUR) as f64 + (d % HOUR) as f64 / (60.0 * 60.0 * 1e9)
}

/// Go's `Duration.Truncate`.
pub fn truncate(d: i64, m: i64) -> i64 {
    if m <= 0 { d } else { d - d % m }
}

/// Go's `Duration.Round`: halves away from zero, saturating.
pub fn round(d: i64, m: i64) -> i64 {
    if m <= 0 {
        return d;
    }
    let less_than_half = |x: i64| (x as u64).wrapping_add(x as u64) < m as u64;
    let mut r = d % m;
    if d < 0 {
        r = -r;
        if less_than_half(r) {
            return d + r;
        }
        match (d - m).checked_add(r) {
            Some(d1) if d1 < d => d1,
            _ => i64::MIN,
        }
    } else {
        if less_than_half(r) {
            return d - r;
        }
        match (d + r.wrapping_neg()).checked_add(m) {
            Some(d1) if d1 > d => d1,
            _ => i64::MAX,
        }
    }
}

/// Go's `Duration.String`.
pub fn format(d: i64) -> String {
    let mut u = d.unsigned_abs();
    let mut out: Vec<u8> = Vec::with_capacity(24);
    // Built backwards, as Go does.
    if u < SECOND as u64 {
        out.push(b's');
        let prec = if u == 0 {
            return "0s".into();
        } else if u < MICROSECOND as u64 {
            out.push(b'n');
            0
        } else if u < MILLISECOND as u64 {
            out.extend("µ".bytes().rev());
            3
        } else {
            out.push(b'm');
            6
        };
        u = frac(&mut out, u, prec);
        int(&mut out, u);
    } else {
        out.push(b's');
        u = frac(&mut out, u, 9);
        int(&mut out, u % 60);
        u /= 60;
        if u > 0 {
            out.push(b'm');
            int(&mut out, u % 60);
            u /= 60;
            if u > 0 {
                out.push(b'h');
                int(&mut out, u);
            }
        }
    }
    if d < 0 {
        out.push(b'-');
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Go's fmtFrac, writing backwards: the fraction of `v` below `prec` digits, trailing
/// zeros (and the point) omitted.
fn frac(out: &mut Vec<u8>, mut v: u64, prec: u32) -> u64 {
    let mut print = false;
    for _ in 0..prec {
        let digit = (v % 10) as u8;
        print = print || digit != 0;
        if print {
            out.push(b'0' + digit);
        }
        v /= 10;
    }
    if print {
        out.push(b'.');
    }
    v
}

fn int(out: &mut Vec<u8>, mut v: u64) {
    if v == 0 {
        out.push(b'0');
    }
    while v > 0 {
        out.push(b'0' + (v % 10) as u8);
        v /= 10;
    }
}

/// Go's `time.ParseDuration` with its error texts.
pub fn parse(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", super::layout::quote(orig));
    let mut s = orig.as_bytes();
    let mut neg = false;
    if let Some(&c) = s.first()
        && (c == b'-' || c == b'+')
    {
        neg = c == b'-';
        s = &s[1..];
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    const LIMIT: u64 = 1 << 63;
    let mut d: u64 = 0;
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let pl = s.len();
        let mut v: u64 = 0;
        let mut i = 0;
        while i < s.len() && s[i].is_ascii_digit() {
            if v > LIMIT / 10 {
                return Err(invalid());
            }
            v = v * 10 + u64::from(s[i] - b'0');
            if v > LIMIT {
                return Err(invalid());
            }
            i += 1;
        }
        s = &s[i..];
        let pre = pl != s.len();
        let (mut f, mut scale, mut post) = (0u64, 1f64, false);
        if s.first() == Some(&b'.') {
            s = &s[1..];
            let pl = s.len();
            let mut overflow = false;
            let mut i = 0;
            while i < s.len() && s[i].is_ascii_digit() {
                if !overflow {
                    if f > (LIMIT - 1) / 10 {
                        overflow = true;
                    } else {
                        let y = f * 10 + u64::from(s[i] - b'0');
                        if y > LIMIT {
                            overflow = true;
                        } else {
                            f = y;
                            scale *= 10.0;
                        }
                    }
                }
                i += 1;
            }
            s = &s[i..];
            post = pl != s.len();
        }
        if !pre && !post {
            return Err(invalid());
        }
        let i = s
            .iter()
            .position(|c| *c == b'.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if i == 0 {
            return Err(format!(
                "time: missing unit in duration {}",
                super::layout::quote(orig)
            ));
        }
        let u = &s[..i];
        s = &s[i..];
        let unit: u64 = match u {
            b"ns" => 1,
            b"us" | b"\xc2\xb5s" | b"\xce\xbcs" => 1_000,
            b"ms" => 1_000_000,
            b"s" => 1_000_000_000,
            b"m" => 60_000_000_000,
            b"h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    super::layout::quote(&String::from_utf8_lossy(u)),
                    super::layout::quote(orig)
                ));
            }
        };
        if v > LIMIT / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > LIMIT {
                return Err(invalid());
            }
        }
        d += v;
        if d > LIMIT {
            return Err(invalid());
        }
    }
    if neg {
        return Ok((d as i64).wrapping_neg());
    }
    i64::try_from(d).map_err(|_| invalid())
}
