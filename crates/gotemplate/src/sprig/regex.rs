//! Sprig's regular expressions, Go RE2 syntax over Rust's `regex` crate (also RE2
//! semantics: leftmost-first, no backreferences). Go's `\d`, `\w`, `\s` and `\b` are
//! ASCII-only, so patterns are rewritten to say so. Compile errors carry the
//! `regex` crate's message, not Go's.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::Regex;

use crate::func::{FuncMap, Type};
use crate::value::Value;

use super::{int_arg, str_arg};

const S: Type = Type::String;
const I: Type = Type::Int;

pub fn funcs() -> FuncMap {
    let mut f = FuncMap::new();
    for name in ["regexMatch", "mustRegexMatch"] {
        let must = name.starts_with("must");
        f.add(name, &[S, S], None, move |a| match compile(str_arg(a, 0)) {
            Ok(r) => Ok(r.is_match(str_arg(a, 1)).into()),
            Err(e) if must => Err(e),
            Err(_) => Ok(false.into()),
        });
    }
    for name in ["regexFindAll", "mustRegexFindAll"] {
        f.add(name, &[S, S, I], None, |a| {
            let r = compile(str_arg(a, 0))?;
            let s = str_arg(a, 1);
            let found = find_all(&r, s, int_arg(a, 2));
            Ok(Value::list(
                found
                    .into_iter()
                    .map(|(b, e)| Value::from(&s[b..e]))
                    .collect(),
            ))
        });
    }
    for name in ["regexFind", "mustRegexFind"] {
        f.add(name, &[S, S], None, |a| {
            let r = compile(str_arg(a, 0))?;
            Ok(r.find(str_arg(a, 1)).map_or("", |m| m.as_str()).into())
        });
    }
    for name in ["regexReplaceAll", "mustRegexReplaceAll"] {
        f.add(name, &[S, S, S], None, |a| {
            let r = compile(str_arg(a, 0))?;
            let (s, repl) = (str_arg(a, 1), str_arg(a, 2));
            let out = replace_all(&r, s, |caps, out| caps.expand(repl, out));
            super::check_len("regexReplaceAll", out.len())?;
            Ok(out.into())
        });
    }
    for name in ["regexReplaceAllLiteral", "mustRegexReplaceAllLiteral"] {
        f.add(name, &[S, S, S], None, |a| {
            let r = compile(str_arg(a, 0))?;
            let (s, repl) = (str_arg(a, 1), str_arg(a, 2));
            let out = replace_all(&r, s, |_, out| out.push_str(repl));
            super::check_len("regexReplaceAllLiteral", out.len())?;
            Ok(out.into())
        });
    }
    for name in ["regexSplit", "mustRegexSplit"] {
        f.add(name, &[S, S, I], None, |a| {
            let r = compile(str_arg(a, 0))?;
            Ok(Value::list(split(
                &r,
                str_arg(a, 0),
                str_arg(a, 1),
                int_arg(a, 2),
            )))
        });
    }
    f.add("regexQuoteMeta", &[S], None, |a| {
        let mut out = String::new();
        for c in str_arg(a, 0).chars() {
            if r"\.+*?()|[]{}^$".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
        Ok(out.into())
    });
    f
}

/// Compiles a Go pattern, with Go's ASCII meaning of the Perl classes.
/// Patterns compiled on this thread: charts match the same few patterns again and
/// again (Bitnami's common library in every subchart), and building a regex's
/// automaton costs far more than matching with it.
fn compile(pattern: &str) -> Result<Regex, String> {
    thread_local! {
        static COMPILED: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
    }
    if let Some(regex) = COMPILED.with(|c| c.borrow().get(pattern).cloned()) {
        return Ok(regex);
    }
    let regex = compile_go(pattern)?;
    COMPILED.with(|c| {
        let mut compiled = c.borrow_mut();
        if compiled.len() < MAX_COMPILED {
            compiled.insert(pattern.to_string(), regex.clone());
        }
    });
    Ok(regex)
}

/// How many compiled patterns a thread keeps.
const MAX_COMPILED: usize = 1024;

/// A Go (RE2) pattern as a Rust regex.
fn compile_go(pattern: &str) -> Result<Regex, String> {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut in_class = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push('\\');
                    break;
                };
                match (n, in_class) {
                    ('d' | 'w' | 's' | 'D' | 'W' | 'S' | 'b' | 'B', false) => {
                        out.push_str("(?-u:\\");
                        out.push(n);
                        out.push(')');
                    }
                    ('d', true) => out.push_str("0-9"),
                    ('w', true) => out.push_str("0-9A-Za-z_"),
                    ('s', true) => out.push_str("\\t\\n\\x0C\\r "),
                    _ => {
                        out.push('\\');
                        out.push(n);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // [:alpha:] inside a class
                out.push('[');
                for c2 in chars.by_ref() {
                    out.push(c2);
                    if c2 == ']' {
                        break;
                    }
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    Regex::new(&out).map_err(|e| go_error(&e.to_string(), pattern))
}

/// Go's words for the common compile errors; others keep the `regex` crate's.
fn go_error(rust: &str, pattern: &str) -> String {
    let what = rust
        .lines()
        .last()
        .unwrap_or(rust)
        .trim()
        .trim_start_matches("error: ");
    let code = match what {
        "unclosed group" => "missing closing )",
        "unopened group" => "unexpected )",
        "unclosed character class" => "missing closing ]",
        "repetition operator missing expression" => "missing argument to repetition operator",
        w if w.contains("escape") => "invalid escape sequence",
        w if w.contains("range") => "invalid character class range",
        w => w,
    };
    format!("error parsing regexp: {code}: `{pattern}`")
}

/// Go's FindAllStringIndex: at most `n` matches (all if n < 0); an empty match
/// right after the previous match is skipped.
fn find_all(r: &Regex, s: &str, n: i64) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if n == 0 {
        return out;
    }
    let mut prev_end: Option<usize> = None;
    for m in r.find_iter(s) {
        if n > 0 && out.len() as i64 >= n {
            break;
        }
        if m.start() == m.end() && prev_end == Some(m.start()) {
            continue;
        }
        prev_end = Some(m.end());
        out.push((m.start(), m.end()));
    }
    out
}

fn replace_all(r: &Regex, s: &str, mut rep: impl FnMut(&regex::Captures, &mut String)) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    let mut prev_end: Option<usize> = None;
    for caps in r.captures_iter(s) {
        let Some(m) = caps.get(0) else { continue };
        if m.start() == m.end() && prev_end == Some(m.start()) {
            continue;
        }
        out.push_str(&s[last..m.start()]);
        rep(&caps, &mut out);
        last = m.end();
        prev_end = Some(m.end());
        if out.len() > crate::MAX_STRING {
            break;
        }
    }
    out.push_str(&s[last..]);
    out
}

/// Go's Regexp.Split.
fn split(r: &Regex, pattern: &str, s: &str, n: i64) -> Vec<Value> {
    if n == 0 {
        return Vec::new();
    }
    if !pattern.is_empty() && s.is_empty() {
        return vec![Value::from("")];
    }
    let mut out = Vec::new();
    let (mut beg, mut end) = (0, 0);
    for (b, e) in find_all(r, s, n) {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        end = b;
        if e != 0 {
            out.push(Value::from(&s[beg..end]));
        }
        beg = e;
    }
    if end != s.len() {
        out.push(Value::from(&s[beg..]));
    }
    out
}
