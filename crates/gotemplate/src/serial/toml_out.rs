//! Helm's `toToml`: BurntSushi/toml v1.6.0's `Encoder.Encode` over the value. Keys of a
//! table are written in byte order, plain values before sub-tables; nested tables are
//! indented two spaces per level; arrays of maps become arrays of tables (`[[key]]`), maps
//! inside other arrays inline tables. A scalar or an array at the root is written alone.

use crate::value::Value;

/// Why encoding stopped.
pub enum Failure {
    /// The encoder's error: Helm's `toToml` returns its text as the result.
    Encode(String),
    /// A Go panic (a nil value at the root) or a bound of ours: the template fails.
    Panic(String),
}

const NIL_ELEMENT: &str = "toml: cannot encode array with nil element";
const NO_KEY: &str = "toml: top-level values must be Go maps or structs";
const NIL_ROOT: &str = "reflect: call of reflect.Value.Type on zero Value";
const INDENT: &str = "  ";

/// `toml.NewEncoder(buf).Encode(v)`: the text written, or why not.
pub fn encode(v: &Value) -> Result<String, Failure> {
    let mut e = Encoder {
        out: String::new(),
        key: Vec::new(),
    };
    match plain(v) {
        Value::Nil => return Err(Failure::Panic(NIL_ROOT.into())),
        Value::Map(m) => e.map(&m.borrow(), false, 0)?,
        list @ Value::List(_) => {
            if kind(&list, 0)? == Kind::ArrayHash {
                return Err(Failure::Encode(NO_KEY.into()));
            }
            e.element(&list, 0)?;
        }
        other => e.element(&other, 0)?,
    }
    Ok(e.out)
}

/// The TOML type BurntSushi's `tomlTypeOfGo` gives a value (`Nil`: none).
#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Nil,
    Scalar,
    Array,
    Hash,
    ArrayHash,
}

fn plain(v: &Value) -> Value {
    match v {
        Value::Object(o) => o.to_value(),
        other => other.clone(),
    }
}

fn too_deep(depth: usize) -> Result<(), Failure> {
    if depth >= crate::MAX_NESTING {
        return Err(Failure::Panic("toml: value nested too deeply".into()));
    }
    Ok(())
}

/// `tomlTypeOfGo`: an array is an array of tables when it is not empty and all its elements
/// are maps; every element is looked at, and a nil one is an error.
fn kind(v: &Value, depth: usize) -> Result<Kind, Failure> {
    too_deep(depth)?;
    Ok(match v {
        Value::Nil => Kind::Nil,
        Value::Map(_) => Kind::Hash,
        Value::Object(o) => kind(&o.to_value(), depth + 1)?,
        Value::List(items) => {
            let mut tables = !items.is_empty();
            for item in items.iter() {
                match kind(item, depth + 1)? {
                    Kind::Nil => return Err(Failure::Encode(NIL_ELEMENT.into())),
                    Kind::Hash => {}
                    _ => tables = false,
                }
            }
            if tables { Kind::ArrayHash } else { Kind::Array }
        }
        _ => Kind::Scalar,
    })
}

/// One part of a key: bare when it is only `A-Za-z0-9_-`, else quoted.
fn push_key_part(out: &mut String, part: &str) {
    if !part.is_empty()
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        out.push_str(part);
    } else {
        push_quoted(out, part);
    }
}

/// A basic string, escaped as BurntSushi's `dblQuotedReplacer` does.
fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{0}'..='\u{1f}' | '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            _ => out.push(c),
        }
    }
    out.push('"');
}

struct Encoder {
    out: String,
    /// The key of the table being written.
    key: Vec<String>,
}

impl Encoder {
    /// Starts a line unless nothing was written yet (Go's `newline`).
    fn newline(&mut self) {
        if !self.out.is_empty() {
            self.out.push('\n');
        }
    }

    fn indent(&mut self, levels: usize) {
        for _ in 0..levels {
            self.out.push_str(INDENT);
        }
    }

    fn header(&mut self, open: &str, close: &str) {
        self.indent(self.key.len() - 1);
        self.out.push_str(open);
        for (i, part) in self.key.iter().enumerate() {
            if i > 0 {
                self.out.push('.');
            }
            push_key_part(&mut self.out, part);
        }
        self.out.push_str(close);
        self.newline();
    }

    /// `encode(key, v)` for a value under `self.key` (not empty).
    fn value(&mut self, v: &Value, depth: usize) -> Result<(), Failure> {
        too_deep(depth)?;
        if self.out.len() > crate::MAX_STRING {
            return Err(Failure::Panic(format!(
                "toml: output larger than {} bytes",
                crate::MAX_STRING
            )));
        }
        match v {
            Value::Nil => Ok(()),
            Value::Object(o) => self.value(&o.to_value(), depth + 1),
            Value::Map(m) => {
                // Top-level tables are separated by an empty line.
                if self.key.len() == 1 {
                    self.newline();
                }
                self.header("[", "]");
                self.map(&m.borrow(), false, depth)
            }
            Value::List(items) if kind(v, depth)? == Kind::ArrayHash => {
                for item in items.iter() {
                    let Value::Map(m) = plain(item) else {
                        continue;
                    };
                    self.newline();
                    self.header("[[", "]]");
                    self.map(&m.borrow(), false, depth + 1)?;
                }
                Ok(())
            }
            _ => {
                self.key_value(v, depth)?;
                self.newline();
                Ok(())
            }
        }
    }

    /// `key = value` for the last part of `self.key`, indented by the table's depth.
    fn key_value(&mut self, v: &Value, depth: usize) -> Result<(), Failure> {
        self.indent(self.key.len() - 1);
        if let Some(last) = self.key.last() {
            push_key_part(&mut self.out, last);
        }
        self.out.push_str(" = ");
        self.element(v, depth + 1)
    }

    /// The entries of a map: plain values first, then tables, each group in key order.
    /// Inline (`{k = v, ...}`) inside arrays.
    fn map(
        &mut self,
        m: &std::collections::BTreeMap<String, Value>,
        inline: bool,
        depth: usize,
    ) -> Result<(), Failure> {
        too_deep(depth)?;
        let mut direct = Vec::new();
        let mut sub = Vec::new();
        for (k, v) in m {
            match kind(v, depth + 1)? {
                Kind::Hash | Kind::ArrayHash => sub.push((k, v)),
                _ => direct.push((k, v)),
            }
        }
        if inline {
            self.out.push('{');
        }
        let trailing_comma = !sub.is_empty();
        for (group, trail) in [(direct, trailing_comma), (sub, false)] {
            let n = group.len();
            for (i, (k, v)) in group.into_iter().enumerate() {
                if matches!(v, Value::Nil) {
                    continue;
                }
                if inline {
                    // Go writes `k = v` with a one-part key: no indentation.
                    push_key_part(&mut self.out, k);
                    self.out.push_str(" = ");
                    self.element(v, depth + 1)?;
                    // Go's separator rule: a skipped nil last entry leaves a trailing ", ".
                    if trail || i != n - 1 {
                        self.out.push_str(", ");
                    }
                } else {
                    self.key.push(k.clone());
                    let r = self.value(v, depth + 1);
                    self.key.pop();
                    r?;
                }
            }
        }
        if inline {
            self.out.push('}');
        }
        Ok(())
    }

    /// `eElement`: a value in place (after `key = `, in an array, or alone at the root).
    fn element(&mut self, v: &Value, depth: usize) -> Result<(), Failure> {
        too_deep(depth)?;
        match v {
            Value::Nil => {
                return Err(Failure::Panic(
                    "reflect: call of reflect.Value.Interface on zero Value".into(),
                ));
            }
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) | Value::Int64(i) => self.out.push_str(&i.to_string()),
            Value::Float(x) => self.float(*x),
            Value::String(s) => push_quoted(&mut self.out, s),
            Value::List(items) => {
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.element(item, depth + 1)?;
                }
                self.out.push(']');
            }
            Value::Map(m) => self.map(&m.borrow(), true, depth + 1)?,
            Value::Object(o) => self.element(&o.to_value(), depth + 1)?,
        }
        Ok(())
    }

    /// `nan`, `inf` with their signs, else strconv's shortest 'g' form with `.0` added when
    /// it has neither a point nor an exponent.
    fn float(&mut self, x: f64) {
        if x.is_nan() || x.is_infinite() {
            if x.is_sign_negative() {
                self.out.push('-');
            }
            self.out.push_str(if x.is_nan() { "nan" } else { "inf" });
            return;
        }
        let text = crate::fmt::format_float_g(x);
        let decimal = text.contains(['.', 'e']);
        self.out.push_str(&text);
        if !decimal {
            self.out.push_str(".0");
        }
    }
}
