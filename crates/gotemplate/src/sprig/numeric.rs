//! Sprig's conversions and arithmetic: integer functions in int64 with Go's
//! wrapping, float functions through exact decimals as shopspring/decimal.

use crate::func::{FuncMap, Type};
use crate::value::Value;

use super::{int_arg, to_float64, to_int64};

const A: Type = Type::Any;
const I: Type = Type::Int;

/// The longest list `until`, `untilStep` and `seq` build.
pub(crate) const MAX_ITEMS: usize = 10_000_000;

pub fn funcs() -> FuncMap {
    let mut f = FuncMap::new();
    f.add("atoi", &[Type::String], None, |a| {
        let s = super::str_arg(a, 0);
        Ok(Value::Int(atoi(s).unwrap_or(0)))
    });
    f.add("int64", &[A], None, |a| Ok(Value::Int64(to_int64(&a[0]))));
    f.add("int", &[A], None, |a| Ok(Value::Int(to_int64(&a[0]))));
    f.add("float64", &[A], None, |a| {
        Ok(Value::Float(to_float64(&a[0])))
    });
    f.add("toDecimal", &[A], None, |a| {
        let s = crate::fmt::sprint_value(&a[0]);
        let (neg, body) = match s.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, s.strip_prefix('+').unwrap_or(&s)),
        };
        let n = if body.is_empty() {
            None
        } else {
            i64::from_str_radix(body, 8).ok()
        };
        Ok(Value::Int64(n.map_or(0, |n| if neg { -n } else { n })))
    });
    f.add("seq", &[], Some(I), seq);
    f.add("until", &[I], None, |a| {
        let n = int_arg(a, 0);
        until_step(0, n, if n < 0 { -1 } else { 1 }).map(ints)
    });
    f.add("untilStep", &[I, I, I], None, |a| {
        until_step(int_arg(a, 0), int_arg(a, 1), int_arg(a, 2)).map(ints)
    });
    f.add("add1", &[A], None, |a| {
        Ok(Value::Int64(to_int64(&a[0]).wrapping_add(1)))
    });
    f.add("add", &[], Some(A), |a| {
        Ok(Value::Int64(
            a.iter().fold(0i64, |s, v| s.wrapping_add(to_int64(v))),
        ))
    });
    f.add("sub", &[A, A], None, |a| {
        Ok(Value::Int64(to_int64(&a[0]).wrapping_sub(to_int64(&a[1]))))
    });
    f.add("div", &[A, A], None, |a| {
        let d = to_int64(&a[1]);
        if d == 0 {
            return Err("runtime error: integer divide by zero".into());
        }
        Ok(Value::Int64(to_int64(&a[0]).wrapping_div(d)))
    });
    f.add("mod", &[A, A], None, |a| {
        let d = to_int64(&a[1]);
        if d == 0 {
            return Err("runtime error: integer divide by zero".into());
        }
        Ok(Value::Int64(to_int64(&a[0]).wrapping_rem(d)))
    });
    f.add("mul", &[A], Some(A), |a| {
        Ok(Value::Int64(
            a[1..]
                .iter()
                .fold(to_int64(&a[0]), |s, v| s.wrapping_mul(to_int64(v))),
        ))
    });
    for name in ["max", "biggest"] {
        f.add(name, &[A], Some(A), |a| {
            Ok(Value::Int64(
                a.iter().map(to_int64).fold(to_int64(&a[0]), i64::max),
            ))
        });
    }
    f.add("min", &[A], Some(A), |a| {
        Ok(Value::Int64(
            a.iter().map(to_int64).fold(to_int64(&a[0]), i64::min),
        ))
    });
    f.add("maxf", &[A], Some(A), |a| {
        Ok(Value::Float(
            a[1..]
                .iter()
                .map(to_float64)
                .fold(to_float64(&a[0]), go_max),
        ))
    });
    f.add("minf", &[A], Some(A), |a| {
        Ok(Value::Float(
            a[1..]
                .iter()
                .map(to_float64)
                .fold(to_float64(&a[0]), go_min),
        ))
    });
    f.add("floor", &[A], None, |a| {
        Ok(Value::Float(to_float64(&a[0]).floor()))
    });
    f.add("ceil", &[A], None, |a| {
        Ok(Value::Float(to_float64(&a[0]).ceil()))
    });
    f.add("round", &[A, I], Some(Type::Float64), |a| {
        let round_on = match a.get(2) {
            Some(Value::Float(x)) => *x,
            _ => 0.5,
        };
        let val = to_float64(&a[0]);
        let pow = 10f64.powf(int_arg(a, 1) as f64);
        let digit = pow * val;
        let frac = digit - digit.trunc();
        let r = if frac >= round_on {
            digit.ceil()
        } else {
            digit.floor()
        };
        Ok(Value::Float(r / pow))
    });
    f.add("add1f", &[A], None, |a| {
        decimal_op(&a[0], &[Value::Int(1)], Op::Add)
    });
    f.add("addf", &[], Some(A), |a| {
        decimal_op(&Value::Float(0.0), a, Op::Add)
    });
    f.add("subf", &[A], Some(A), |a| {
        decimal_op(&a[0], &a[1..], Op::Sub)
    });
    f.add("mulf", &[A], Some(A), |a| {
        decimal_op(&a[0], &a[1..], Op::Mul)
    });
    f.add("divf", &[A], Some(A), |a| {
        decimal_op(&a[0], &a[1..], Op::Div)
    });
    f
}

/// strconv.Atoi: optional sign and decimal digits only.
fn atoi(s: &str) -> Option<i64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn ints(v: Vec<i64>) -> Value {
    Value::list(v.into_iter().map(Value::Int).collect())
}

/// Sprig's untilStep.
pub(crate) fn until_step(start: i64, stop: i64, step: i64) -> Result<Vec<i64>, String> {
    let count = if stop < start {
        if step >= 0 {
            return Ok(Vec::new());
        }
        (start as i128 - stop as i128 + (-step as i128) - 1) / -(step as i128)
    } else {
        if step <= 0 {
            return Ok(Vec::new());
        }
        (stop as i128 - start as i128 + step as i128 - 1) / step as i128
    };
    if count > MAX_ITEMS as i128 {
        return Err(format!("list of {count} items exceeds {MAX_ITEMS}"));
    }
    Ok((0..count as i64)
        .map(|i| start.wrapping_add(i.wrapping_mul(step)))
        .collect())
}

fn seq(p: &[Value]) -> Result<Value, String> {
    let n = |i: usize| int_arg(p, i);
    let list = match p.len() {
        1 => {
            let (start, end) = (1, n(0));
            let inc = if end < start { -1 } else { 1 };
            until_step(start, end + inc, inc)?
        }
        2 => {
            let (start, end) = (n(0), n(1));
            let step = if end < start { -1 } else { 1 };
            until_step(start, end + step, step)?
        }
        3 => {
            let (start, step, end) = (n(0), n(1), n(2));
            let mut inc = 1;
            if end < start {
                inc = -1;
                if step > 0 {
                    return Ok("".into());
                }
            }
            until_step(start, end + inc, step)?
        }
        _ => Vec::new(),
    };
    let parts: Vec<String> = list.iter().map(i64::to_string).collect();
    Ok(parts.join(" ").into())
}

/// math.Max: NaN wins, +0 over -0.
fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == 0.0 && b == 0.0 {
        if a.is_sign_positive() { a } else { b }
    } else {
        a.max(b)
    }
}

fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == 0.0 && b == 0.0 {
        if a.is_sign_negative() { a } else { b }
    } else {
        a.min(b)
    }
}

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// An exact decimal: `m` × 10^`e`.
#[derive(Clone, Copy)]
struct Decimal {
    m: i128,
    e: i32,
}

impl Decimal {
    /// decimal.NewFromFloat: the shortest decimal that reads back as `x`.
    fn from_f64(x: f64) -> Result<Decimal, String> {
        if x.is_nan() || x.is_infinite() {
            return Err(format!(
                "Cannot create a Decimal from {}",
                crate::fmt::format_float_g(x)
            ));
        }
        let s = format!("{:e}", x);
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let frac_len = mant.split_once('.').map_or(0, |(_, f)| f.len()) as i32;
        let digits: String = mant.chars().filter(|c| *c != '.').collect();
        let m: i128 = digits.parse().unwrap_or(0);
        Ok(Decimal {
            m,
            e: exp - frac_len,
        })
    }

    fn to_f64(self) -> f64 {
        format!("{}e{}", self.m, self.e).parse().unwrap_or(0.0)
    }

    /// Both at the smaller exponent, or None if that overflows.
    fn align(a: Decimal, b: Decimal) -> Option<(i128, i128, i32)> {
        let e = a.e.min(b.e);
        let scale = |d: Decimal| -> Option<i128> {
            let k = u32::try_from(d.e - e).ok()?;
            d.m.checked_mul(10i128.checked_pow(k)?)
        };
        Some((scale(a)?, scale(b)?, e))
    }

    fn apply(self, op: Op, b: Decimal) -> Result<Option<Decimal>, String> {
        Ok(match op {
            Op::Add => Decimal::align(self, b).and_then(|(x, y, e)| {
                Some(Decimal {
                    m: x.checked_add(y)?,
                    e,
                })
            }),
            Op::Sub => Decimal::align(self, b).and_then(|(x, y, e)| {
                Some(Decimal {
                    m: x.checked_sub(y)?,
                    e,
                })
            }),
            Op::Mul => self
                .m
                .checked_mul(b.m)
                .map(|m| Decimal { m, e: self.e + b.e }),
            Op::Div => {
                if b.m == 0 {
                    return Err("decimal division by 0".into());
                }
                // DivRound to 16 decimal places, half away from zero.
                let shift = self.e - b.e + 16 + 1;
                let num = if shift >= 0 {
                    10i128
                        .checked_pow(shift as u32)
                        .and_then(|p| self.m.checked_mul(p))
                } else {
                    10i128.checked_pow((-shift) as u32).map(|p| self.m / p)
                };
                num.map(|n| {
                    let q = n / b.m;
                    let q = if q >= 0 { (q + 5) / 10 } else { (q - 5) / 10 };
                    Decimal { m: q, e: -16 }
                })
            }
        })
    }
}

/// Sprig's execDecimalOp: exact decimal arithmetic over the operands' shortest
/// decimal forms (so `addf 0.1 0.2` is 0.3); past i128 it falls back to float64.
fn decimal_op(first: &Value, rest: &[Value], op: Op) -> Result<Value, String> {
    let mut acc = Decimal::from_f64(to_float64(first))?;
    let mut float = None::<f64>;
    for v in rest {
        let x = to_float64(v);
        let d = Decimal::from_f64(x)?;
        if let Some(f) = float.as_mut() {
            *f = float_op(*f, x, op);
            continue;
        }
        match acc.apply(op, d)? {
            Some(r) => acc = r,
            None => float = Some(float_op(acc.to_f64(), x, op)),
        }
    }
    Ok(Value::Float(float.unwrap_or_else(|| acc.to_f64())))
}

fn float_op(a: f64, b: f64, op: Op) -> f64 {
    match op {
        Op::Add => a + b,
        Op::Sub => a - b,
        Op::Mul => a * b,
        Op::Div => a / b,
    }
}
