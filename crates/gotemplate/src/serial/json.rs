//! Go's `encoding/json` encoder over template values: `json.Marshal` (Helm's `toJson`),
//! `json.MarshalIndent(v, "", "  ")` (Sprig's `toPrettyJson`) and an encoder without HTML
//! escaping (Sprig's `toRawJson`).

use crate::value::Value;

/// How a value is written.
#[derive(Clone, Copy)]
pub struct Style {
    /// `<`, `>` and `&` as `\u003c`, `\u003e`, `\u0026` (json.Marshal's default).
    pub escape_html: bool,
    /// Indentation per level (`None`: compact).
    pub indent: Option<&'static str>,
}

pub const MARSHAL: Style = Style {
    escape_html: true,
    indent: None,
};
pub const PRETTY: Style = Style {
    escape_html: true,
    indent: Some("  "),
};
pub const RAW: Style = Style {
    escape_html: false,
    indent: None,
};

/// The message Go gives for a map that holds itself (here: nesting past `MAX_NESTING`).
pub const CYCLE: &str = "json: unsupported value: encountered a cycle via map[string]interface {}";

/// Encodes `v` as Go's encoder does; the error is Go's message.
pub fn encode(v: &Value, style: Style) -> Result<String, String> {
    let mut out = String::new();
    write(&mut out, v, style, 0)?;
    Ok(out)
}

fn newline(out: &mut String, style: Style, depth: usize) {
    if let Some(unit) = style.indent {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(unit);
        }
    }
}

fn write(out: &mut String, v: &Value, style: Style, depth: usize) -> Result<(), String> {
    if depth >= crate::MAX_NESTING {
        return Err(CYCLE.into());
    }
    if out.len() > crate::MAX_STRING {
        return Err(format!(
            "json: output larger than {} bytes",
            crate::MAX_STRING
        ));
    }
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => {
            use std::fmt::Write;
            let _ = write!(out, "{i}");
        }
        Value::Float(x) => write_float(out, *x)?,
        Value::String(s) => write_string(out, s, style.escape_html),
        Value::List(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, style, depth + 1);
                write(out, item, style, depth + 1)?;
            }
            newline(out, style, depth);
            out.push(']');
        }
        Value::Map(map) => {
            let map = map.try_borrow().map_err(|_| CYCLE.to_string())?;
            if map.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, style, depth + 1);
                write_string(out, k, style.escape_html);
                out.push(':');
                if style.indent.is_some() {
                    out.push(' ');
                }
                write(out, item, style, depth + 1)?;
            }
            newline(out, style, depth);
            out.push('}');
        }
        Value::Object(o) => write(out, &o.to_value(), style, depth + 1)?,
    }
    Ok(())
}

/// A float64 as encoding/json writes it: shortest digits, plain unless the magnitude is
/// below 1e-6 or at least 1e21, then `1e+21` / `1e-7`.
pub fn write_float(out: &mut String, x: f64) -> Result<(), String> {
    if !x.is_finite() {
        let shown = if x.is_nan() {
            "NaN"
        } else if x > 0.0 {
            "+Inf"
        } else {
            "-Inf"
        };
        return Err(format!("json: unsupported value: {shown}"));
    }
    let abs = x.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let sci = format!("{x:e}");
        let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
        out.push_str(mantissa);
        out.push('e');
        if !exp.starts_with('-') {
            out.push('+');
        }
        out.push_str(exp);
    } else {
        use std::fmt::Write;
        let _ = write!(out, "{x}");
    }
    Ok(())
}

/// A string as encoding/json quotes it.
pub fn write_string(out: &mut String, s: &str, escape_html: bool) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escape: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            '<' | '>' | '&' if escape_html => None,
            '\u{2028}' => Some("\\u2028"),
            '\u{2029}' => Some("\\u2029"),
            c if (c as u32) < 0x20 => None,
            _ => continue,
        };
        out.push_str(&s[start..i]);
        start = i + c.len_utf8();
        match escape {
            Some(e) => out.push_str(e),
            None => {
                let b = c as u32 as usize;
                out.push_str("\\u00");
                out.push(HEX[b >> 4] as char);
                out.push(HEX[b & 0xf] as char);
            }
        }
    }
    out.push_str(&s[start..]);
    out.push('"');
}
