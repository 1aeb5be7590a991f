//! Sprig's path functions (Go's `path` and, on Linux, `path/filepath`: the same)
//! and URLs (`urlParse`, `urlJoin` over Go's net/url rules).

use std::collections::BTreeMap;

use crate::func::{FuncMap, Type};
use crate::value::Value;

use super::str_arg;

const S: Type = Type::String;

pub fn funcs() -> FuncMap {
    let mut f = FuncMap::new();
    for name in ["base", "osBase"] {
        f.add(name, &[S], None, |a| Ok(base(str_arg(a, 0)).into()));
    }
    for name in ["dir", "osDir"] {
        f.add(name, &[S], None, |a| Ok(dir(str_arg(a, 0)).into()));
    }
    for name in ["clean", "osClean"] {
        f.add(name, &[S], None, |a| Ok(clean(str_arg(a, 0)).into()));
    }
    for name in ["ext", "osExt"] {
        f.add(name, &[S], None, |a| {
            let p = str_arg(a, 0);
            let e = p
                .rfind(['.', '/'])
                .filter(|i| p.as_bytes()[*i] == b'.')
                .map_or("", |i| &p[i..]);
            Ok(e.into())
        });
    }
    for name in ["isAbs", "osIsAbs"] {
        f.add(name, &[S], None, |a| {
            Ok(str_arg(a, 0).starts_with('/').into())
        });
    }
    f.add("urlParse", &[S], None, |a| url_parse(str_arg(a, 0)));
    f.add("urlJoin", &[Type::Map], None, |a| url_join(&a[0]));
    f
}

/// path.Base.
fn base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).into()
}

/// path.Dir.
fn dir(p: &str) -> String {
    let d = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    clean(d)
}

/// path.Clean: lexical, `.` for empty.
pub(crate) fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Go's url.Parse, for the URLs charts parse: scheme, `//` authority with
/// userinfo, path, `?query`, `#fragment`, and opaque forms (`mailto:x`).
fn url_parse(raw: &str) -> Result<Value, String> {
    let (rest, fragment) = match raw.split_once('#') {
        Some((r, f)) => (r, unescape(f)?),
        None => (raw, String::new()),
    };
    let mut scheme = String::new();
    let mut rest = rest;
    if let Some(i) = rest.find(':') {
        let cand = &rest[..i];
        let valid = cand.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && cand
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if valid {
            scheme = cand.to_ascii_lowercase();
            rest = &rest[i + 1..];
        } else if i == 0 {
            return Err(format!(
                "unable to parse url: parse {}: missing protocol scheme",
                crate::fmt::quote(raw)
            ));
        }
    }
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, q.to_string()),
        None => (rest, String::new()),
    };
    let (mut host, mut userinfo, mut path, mut opaque) =
        (String::new(), String::new(), String::new(), String::new());
    if !scheme.is_empty() && !rest.starts_with('/') {
        opaque = rest.to_string();
    } else if let Some(after) = rest.strip_prefix("//") {
        let (authority, p) = match after.find('/') {
            Some(i) => (&after[..i], &after[i..]),
            None => (after, ""),
        };
        let authority = match authority.rsplit_once('@') {
            Some((u, h)) => {
                userinfo = u.to_string();
                h
            }
            None => authority,
        };
        host = authority.to_string();
        path = unescape(p)?;
    } else {
        path = unescape(rest)?;
    }
    let hostname = if host.starts_with('[') {
        host.split_once(']')
            .map_or(host.as_str(), |(h, _)| &h[1..])
            .to_string()
    } else {
        host.rsplit_once(':')
            .map_or(host.as_str(), |(h, _)| h)
            .to_string()
    };
    let mut m = BTreeMap::new();
    for (k, v) in [
        ("scheme", scheme),
        ("host", host),
        ("hostname", hostname),
        ("path", path),
        ("query", query),
        ("opaque", opaque),
        ("fragment", fragment),
        ("userinfo", userinfo),
    ] {
        m.insert(k.to_string(), Value::from(v));
    }
    Ok(Value::map(m))
}

fn unescape(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            let Some(v) = hex else {
                let bad = s.get(i..(i + 3).min(s.len())).unwrap_or("%");
                return Err(format!(
                    "unable to parse url: parse {}: invalid URL escape {}",
                    crate::fmt::quote(s),
                    crate::fmt::quote(bad)
                ));
            };
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Go's url.URL.String over the dict's parts.
fn url_join(d: &Value) -> Result<Value, String> {
    let Value::Map(m) = d else {
        return Err("urlJoin: not a map".into());
    };
    let m = m.try_borrow().map_err(|_| "map is in use".to_string())?;
    let get = |k: &str| -> Result<String, String> {
        match m.get(k) {
            None => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.to_string()),
            Some(other) => Err(format!(
                "unable to parse {k} key, must be of type string, but {} found",
                other.kind_name()
            )),
        }
    };
    let (scheme, host, path, query, opaque, fragment, userinfo) = (
        get("scheme")?,
        get("host")?,
        get("path")?,
        get("query")?,
        get("opaque")?,
        get("fragment")?,
        get("userinfo")?,
    );
    let mut out = String::new();
    if !scheme.is_empty() {
        out.push_str(&scheme);
        out.push(':');
    }
    if !opaque.is_empty() {
        out.push_str(&opaque);
    } else {
        if !scheme.is_empty() || !host.is_empty() || !userinfo.is_empty() {
            if !host.is_empty() || !path.is_empty() || !userinfo.is_empty() {
                out.push_str("//");
            }
            if !userinfo.is_empty() {
                out.push_str(&userinfo);
                out.push('@');
            }
            out.push_str(&host);
        }
        if !path.is_empty() && !path.starts_with('/') && !host.is_empty() {
            out.push('/');
        }
        out.push_str(&escape_path(&path));
    }
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query);
    }
    if !fragment.is_empty() {
        out.push('#');
        out.push_str(&escape_path(&fragment));
    }
    Ok(out.into())
}

/// Go's path escaping: unreserved and sub-delimiters stay, the rest is %XX.
fn escape_path(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~$&+,/:;=@!'()*".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
