//! Go's own template functions (`text/template/funcs.go`): `and`, `or`, `not`,
//! `len`, `index`, `slice`, comparisons, `print*`, `html`, `js`, `urlquery`, `call`,
//! and Helm's `include` and `tpl`, which the executor runs.

use crate::exec::Item;
use crate::fmt::{self, sprint_value};
use crate::func::Type;
use crate::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    And,
    Or,
    Not,
    Len,
    Index,
    Slice,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Print,
    Printf,
    Println,
    Html,
    Js,
    Urlquery,
    Call,
    Include,
    Tpl,
}

impl Builtin {
    /// Go's builtins (Helm's `include` and `tpl` come first: they need the executor).
    pub fn lookup(name: &str) -> Option<Builtin> {
        Some(match name {
            "and" => Builtin::And,
            "or" => Builtin::Or,
            "not" => Builtin::Not,
            "len" => Builtin::Len,
            "index" => Builtin::Index,
            "slice" => Builtin::Slice,
            "eq" => Builtin::Eq,
            "ne" => Builtin::Ne,
            "lt" => Builtin::Lt,
            "le" => Builtin::Le,
            "gt" => Builtin::Gt,
            "ge" => Builtin::Ge,
            "print" => Builtin::Print,
            "printf" => Builtin::Printf,
            "println" => Builtin::Println,
            "html" => Builtin::Html,
            "js" => Builtin::Js,
            "urlquery" => Builtin::Urlquery,
            "call" => Builtin::Call,
            "include" => Builtin::Include,
            "tpl" => Builtin::Tpl,
            _ => return None,
        })
    }

    /// The Go signature: fixed parameters and the variadic type. `reflect.Value`
    /// parameters behave as `interface{}` ones here (both take anything, nil included).
    pub fn signature(self) -> (&'static [Type], Option<Type>) {
        use Type::{Any, String};
        match self {
            Builtin::And | Builtin::Or | Builtin::Index | Builtin::Slice | Builtin::Eq => {
                (&[Any], Some(Any))
            }
            Builtin::Call => (&[Any], Some(Any)),
            Builtin::Not | Builtin::Len => (&[Any], None),
            Builtin::Ne | Builtin::Lt | Builtin::Le | Builtin::Gt | Builtin::Ge => {
                (&[Any, Any], None)
            }
            Builtin::Print | Builtin::Println | Builtin::Html | Builtin::Js | Builtin::Urlquery => {
                (&[], Some(Any))
            }
            Builtin::Printf => (&[String], Some(Any)),
            Builtin::Include | Builtin::Tpl => (&[String, Any], None),
        }
    }
}

/// Calls a builtin that needs no executor. `args` were checked against `signature`.
pub fn call(b: Builtin, args: &[Item]) -> Result<Value, String> {
    match b {
        Builtin::Not => Ok(Value::Bool(!args[0].v.is_true())),
        Builtin::Len => length(&args[0]),
        Builtin::Index => index(&args[0], &args[1..]),
        Builtin::Slice => slice(&args[0], &args[1..]),
        Builtin::Eq => eq(&args[0].v, args[1..].iter().map(|a| &a.v)).map(Value::Bool),
        Builtin::Ne => eq(&args[0].v, std::iter::once(&args[1].v)).map(|t| Value::Bool(!t)),
        Builtin::Lt => lt(&args[0].v, &args[1].v).map(Value::Bool),
        Builtin::Le => le(&args[0].v, &args[1].v).map(Value::Bool),
        Builtin::Gt => le(&args[0].v, &args[1].v).map(|t| Value::Bool(!t)),
        Builtin::Ge => lt(&args[0].v, &args[1].v).map(|t| Value::Bool(!t)),
        Builtin::Print => fmt::sprint(&values(args)).map(Value::string),
        Builtin::Println => fmt::sprintln(&values(args)).map(Value::string),
        Builtin::Printf => {
            let format = args[0].v.as_str().unwrap_or("");
            fmt::sprintf(format, &values(&args[1..])).map(Value::string)
        }
        Builtin::Html => Ok(Value::string(html_escape(&eval_args(args)))),
        Builtin::Js => Ok(Value::string(js_escape(&eval_args(args)))),
        Builtin::Urlquery => Ok(Value::string(query_escape(&eval_args(args)))),
        // The executor runs these itself.
        Builtin::Call | Builtin::And | Builtin::Or | Builtin::Include | Builtin::Tpl => {
            Ok(Value::Nil)
        }
    }
}

/// Go's type name for a value held in an `interface{}` slot (`iface`) or not.
pub fn go_type(v: &Value, iface: bool) -> String {
    if iface {
        return "interface {}".into();
    }
    v.type_name()
}

fn length(item: &Item) -> Result<Value, String> {
    let n = match &item.v {
        Value::Nil if item.iface => return Err("len of nil pointer".into()),
        Value::Nil => return Err("reflect: call of reflect.Value.Type on zero Value".into()),
        Value::String(s) => s.len(),
        Value::List(l) => l.len(),
        Value::Map(m) => m.borrow().len(),
        Value::Object(o) if o.go_bytes().is_some() => o.go_bytes().map_or(0, <[u8]>::len),
        v @ Value::Object(_) if v.collection().is_some() => {
            return length(&Item::plain(v.collection().unwrap_or_default()));
        }
        v => return Err(format!("len of type {}", v.type_name())),
    };
    Ok(Value::Int(n as i64))
}

/// Go's `indexArg`.
fn index_arg(index: &Value, cap: usize) -> Result<usize, String> {
    let x = match index {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Nil => return Err("cannot index slice/array with nil".into()),
        v => {
            return Err(format!(
                "cannot index slice/array with type {}",
                v.type_name()
            ));
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

fn index(item: &Item, indexes: &[Item]) -> Result<Value, String> {
    let mut cur = item.v.clone();
    if cur.is_nil() {
        return Err("index of untyped nil".into());
    }
    let mut first = true;
    for idx in indexes {
        if cur.is_nil() && !first {
            return Err("index of nil pointer".into());
        }
        first = false;
        cur = match &cur {
            Value::List(l) => {
                let x = index_arg(&idx.v, l.len())?;
                l.get(x)
                    .cloned()
                    .ok_or_else(|| "reflect: slice index out of range".to_string())?
            }
            Value::String(s) => {
                let x = index_arg(&idx.v, s.len())?;
                match s.as_bytes().get(x) {
                    Some(b) => Value::Int(*b as i64),
                    None => return Err("reflect: string index out of range".into()),
                }
            }
            Value::Map(m) => {
                let key = match &idx.v {
                    Value::String(k) => k.clone(),
                    Value::Nil => {
                        return Err("value is nil; should be of type string".into());
                    }
                    v => {
                        return Err(format!(
                            "value has type {}; should be string",
                            v.type_name()
                        ));
                    }
                };
                m.borrow().get(&*key).cloned().unwrap_or(Value::Nil)
            }
            v => return Err(format!("can't index item of type {}", v.type_name())),
        };
    }
    Ok(cur)
}

fn slice(item: &Item, indexes: &[Item]) -> Result<Value, String> {
    if item.v.is_nil() {
        return Err("slice of untyped nil".into());
    }
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let len = match &item.v {
        Value::String(s) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".into());
            }
            s.len()
        }
        Value::List(l) => l.len(),
        v => return Err(format!("can't slice item of type {}", v.type_name())),
    };
    let mut idx = [0, len, len];
    for (i, index) in indexes.iter().enumerate() {
        idx[i] = index_arg(&index.v, len)?;
    }
    if idx[0] > idx[1] {
        return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
    }
    Ok(match &item.v {
        Value::String(s) => match s.get(idx[0]..idx[1]) {
            Some(sub) => Value::string(sub),
            // Go slices bytes; a cut inside a character keeps the broken bytes.
            None => Value::string(String::from_utf8_lossy(&s.as_bytes()[idx[0]..idx[1]])),
        },
        Value::List(l) => Value::list(l[idx[0]..idx[1]].to_vec()),
        _ => Value::Nil,
    })
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Float,
    String,
}

fn basic_kind(v: &Value) -> Kind {
    match v {
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) | Value::Int64(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::String(_) => Kind::String,
        _ => Kind::Invalid,
    }
}

/// Go's `eq`: true if `a` equals any of `others`.
pub fn eq<'a>(a: &Value, others: impl Iterator<Item = &'a Value>) -> Result<bool, String> {
    let mut any = false;
    let k1 = basic_kind(a);
    for b in others {
        any = true;
        let k2 = basic_kind(b);
        let truth = if k1 != k2 {
            if !a.is_nil() && !b.is_nil() {
                return Err(format!(
                    "incompatible types for comparison: {} and {}",
                    a.type_name(),
                    b.type_name()
                ));
            }
            false
        } else {
            match (a, b) {
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x == y,
                (Value::Float(x), Value::Float(y)) => x == y,
                (Value::String(x), Value::String(y)) => x == y,
                _ => {
                    if a.is_nil() || b.is_nil() {
                        a.is_nil() == b.is_nil()
                    } else if std::mem::discriminant(a) != std::mem::discriminant(b) {
                        return Err(format!(
                            "non-comparable types {}: {}, {}: {}",
                            sprint_s(a),
                            a.type_name(),
                            b.type_name(),
                            sprint_value(b)
                        ));
                    } else if let (Value::Object(x), Value::Object(y)) = (a, b) {
                        std::rc::Rc::ptr_eq(x, y)
                    } else {
                        return Err(format!(
                            "non-comparable type {}: {}",
                            sprint_s(b),
                            b.type_name()
                        ));
                    }
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    if !any {
        return Err("missing argument for comparison".into());
    }
    Ok(false)
}

/// `fmt.Sprintf("%s", v)` for the values `eq` quotes in its errors.
fn sprint_s(v: &Value) -> String {
    fn inner(v: &Value, out: &mut String, depth: usize) {
        if depth > crate::MAX_NESTING {
            return;
        }
        match v {
            Value::String(s) => out.push_str(s),
            Value::Nil => out.push_str("<nil>"),
            Value::List(l) => {
                out.push('[');
                for (i, x) in l.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    inner(x, out, depth + 1);
                }
                out.push(']');
            }
            Value::Map(m) => {
                out.push_str("map[");
                if let Ok(m) = m.try_borrow() {
                    for (i, (k, x)) in m.iter().enumerate() {
                        if i > 0 {
                            out.push(' ');
                        }
                        out.push_str(k);
                        out.push(':');
                        inner(x, out, depth + 1);
                    }
                }
                out.push(']');
            }
            v => out.push_str(&format!("%!s({}={})", v.type_name(), sprint_value(v))),
        }
    }
    let mut out = String::new();
    inner(v, &mut out, 0);
    out
}

fn lt(a: &Value, b: &Value) -> Result<bool, String> {
    let k1 = basic_kind(a);
    let k2 = basic_kind(b);
    if k1 == Kind::Invalid || k2 == Kind::Invalid {
        return Err("invalid type for comparison".into());
    }
    if k1 != k2 {
        return Err(format!(
            "incompatible types for comparison: {} and {}",
            a.type_name(),
            b.type_name()
        ));
    }
    Ok(match (a, b) {
        (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x < y,
        (Value::Float(x), Value::Float(y)) => x < y,
        (Value::String(x), Value::String(y)) => x < y,
        _ => return Err("invalid type for comparison".into()),
    })
}

fn le(a: &Value, b: &Value) -> Result<bool, String> {
    if lt(a, b)? {
        return Ok(true);
    }
    eq(a, std::iter::once(b))
}

fn values(args: &[Item]) -> Vec<Value> {
    args.iter().map(|a| a.v.clone()).collect()
}

/// Go's `evalArgs` for `html`, `js`, `urlquery`: one string as is, else `fmt.Sprint`
/// with nil shown as `<no value>`.
fn eval_args(args: &[Item]) -> String {
    if let [
        Item {
            v: Value::String(s),
            ..
        },
    ] = args
    {
        return s.to_string();
    }
    let mut out = String::new();
    let mut prev_string = true;
    for (i, a) in args.iter().enumerate() {
        let (text, is_string) = match &a.v {
            Value::Nil => ("<no value>".to_string(), true),
            Value::String(s) => (s.to_string(), true),
            v => (sprint_value(v), false),
        };
        if i > 0 && !is_string && !prev_string {
            out.push(' ');
        }
        out.push_str(&text);
        prev_string = is_string;
    }
    out
}

pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

pub fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u00{:02X}", c as u32)),
            c if c.is_ascii() || crate::lex::is_go_printable(c) => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out
}

pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
