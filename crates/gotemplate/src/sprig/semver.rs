//! Sprig's `semver` and `semverCompare`, with Masterminds semver v3's rules:
//! loose versions (`v1`, `1.2`), constraints joined by `,`/spaces (and) and `||`
//! (or), wildcards, `~`, `^`, hyphen ranges, and pre-release versions matching
//! only constraints that name a pre-release (`>=1.19-0` admits `1.20.0-gke.1`).

use std::cmp::Ordering;
use std::rc::Rc;

use crate::func::{FuncMap, Type};
use crate::value::{Object, Value};

use super::str_arg;

const S: Type = Type::String;

pub fn funcs() -> FuncMap {
    let mut f = FuncMap::new();
    f.add("semver", &[S], None, |a| {
        let v = Version::parse(str_arg(a, 0))?;
        Ok(Value::Object(Rc::new(v)))
    });
    f.add("semverCompare", &[S, S], None, |a| {
        let c = parse_constraint(str_arg(a, 0))?;
        let v = Version::parse(str_arg(a, 1))?;
        Ok(c.iter()
            .any(|group| group.iter().all(|cmp| cmp.check(&v)))
            .into())
    });
    f
}

/// A Masterminds semver Version (`*semver.Version`).
#[derive(Clone, Debug)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
    original: String,
}

const INVALID: &str = "Invalid Semantic Version";

fn ident_ok(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

impl Version {
    pub fn parse(s: &str) -> Result<Version, String> {
        let body = s.strip_prefix('v').unwrap_or(s);
        let (body, metadata) = match body.split_once('+') {
            Some((b, m)) => (b, m.to_string()),
            None => (body, String::new()),
        };
        let (core, pre) = match body.split_once('-') {
            Some((c, p)) => (c, p.to_string()),
            None => (body, String::new()),
        };
        if (body.len() < s.len() - usize::from(s.starts_with('v')) && !ident_ok(&metadata))
            || (core.len() < body.len() && !ident_ok(&pre))
        {
            return Err(INVALID.into());
        }
        let parts: Vec<&str> = core.split('.').collect();
        if parts.is_empty()
            || parts.len() > 3
            || parts
                .iter()
                .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(INVALID.into());
        }
        let num = |i: usize| -> Result<u64, String> {
            parts
                .get(i)
                .map_or(Ok(0), |p| p.parse().map_err(|_| INVALID.to_string()))
        };
        for p in pre.split('.').filter(|_| !pre.is_empty()) {
            if p.len() > 1 && p.starts_with('0') && p.bytes().all(|b| b.is_ascii_digit()) {
                return Err("Version segment starts with 0".into());
            }
        }
        Ok(Version {
            major: num(0)?,
            minor: num(1)?,
            patch: num(2)?,
            pre,
            metadata,
            original: s.to_string(),
        })
    }

    fn cmp(&self, o: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(o.major, o.minor, o.patch))
            .then_with(|| cmp_pre(&self.pre, &o.pre))
    }
}

fn cmp_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let (mut x, mut y) = (a.split('.'), b.split('.'));
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => {
                let o = match (p.parse::<u64>(), q.parse::<u64>()) {
                    (Ok(m), Ok(n)) => m.cmp(&n),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    _ => p.cmp(q),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

impl Object for Version {
    fn type_name(&self) -> &str {
        "*semver.Version"
    }
    fn kind_name(&self) -> &str {
        "ptr"
    }
    fn field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "Major" => Value::Int64(self.major as i64),
            "Minor" => Value::Int64(self.minor as i64),
            "Patch" => Value::Int64(self.patch as i64),
            "Prerelease" => self.pre.as_str().into(),
            "Metadata" => self.metadata.as_str().into(),
            "Original" => self.original.as_str().into(),
            "String" => self.to_string().into(),
            _ => return None,
        })
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let other = || match args.first() {
            Some(Value::Object(o)) if o.type_name() == "*semver.Version" => {
                Version::parse(&crate::fmt::sprint_value(&o.to_value()))
            }
            _ => Err("wrong type for value; expected *semver.Version".to_string()),
        };
        Some(match name {
            "Compare" => other().map(|o| Value::Int(self.cmp(&o) as i64)),
            "LessThan" => other().map(|o| (self.cmp(&o) == Ordering::Less).into()),
            "GreaterThan" => other().map(|o| (self.cmp(&o) == Ordering::Greater).into()),
            "Equal" => other().map(|o| (self.cmp(&o) == Ordering::Equal).into()),
            _ => return self.field(name).map(Ok),
        })
    }
    fn to_value(&self) -> Value {
        self.to_string().into()
    }
}

#[derive(Debug)]
struct Comparator {
    op: String,
    v: Version,
    /// How many of major, minor, patch the constraint names (wildcards end it).
    given: u8,
}

fn parse_constraint(s: &str) -> Result<Vec<Vec<Comparator>>, String> {
    let bad = || format!("improper constraint: {s}");
    let mut groups = Vec::new();
    for or_part in s.split("||") {
        let mut group = Vec::new();
        let text = or_part.replace(',', " ");
        let toks: Vec<&str> = text.split_whitespace().collect();
        let mut i = 0;
        // Operators may stand apart from their version (`>= 1.2`).
        let mut pending = String::new();
        while i < toks.len() {
            let t = toks[i];
            if i + 2 < toks.len() && toks[i + 1] == "-" {
                group.push(comparator(&format!(">={t}")).ok_or_else(bad)?);
                group.push(comparator(&format!("<={}", toks[i + 2])).ok_or_else(bad)?);
                i += 3;
                continue;
            }
            if t.chars().all(|c| "=<>!~^".contains(c)) {
                pending.push_str(t);
                i += 1;
                continue;
            }
            group.push(comparator(&format!("{pending}{t}")).ok_or_else(bad)?);
            pending.clear();
            i += 1;
        }
        if group.is_empty() || !pending.is_empty() {
            return Err(bad());
        }
        groups.push(group);
    }
    Ok(groups)
}

fn comparator(t: &str) -> Option<Comparator> {
    let split = t.find(|c: char| !"=<>!~^".contains(c))?;
    let (op, ver) = t.split_at(split);
    let op = match op {
        "" | "=" => "=",
        "!=" | ">" | "<" | ">=" | "<=" | "~" | "^" => op,
        "=>" => ">=",
        "=<" => "<=",
        "~>" => "~",
        _ => return None,
    };
    let ver = ver.strip_prefix('v').unwrap_or(ver);
    let (core, suffix) = match ver.find(['-', '+']) {
        Some(i) => ver.split_at(i),
        None => (ver, ""),
    };
    let mut given = 0u8;
    let mut nums = Vec::new();
    for p in core.split('.') {
        if matches!(p, "x" | "X" | "*") {
            break;
        }
        if nums.len() as u8 != given {
            return None;
        }
        nums.push(p);
        given += 1;
    }
    if nums.len() > 3 {
        return None;
    }
    let mut full: Vec<&str> = nums.clone();
    while full.len() < 3 {
        full.push("0");
    }
    let v = Version::parse(&format!("{}{suffix}", full.join("."))).ok()?;
    Some(Comparator {
        op: op.to_string(),
        v,
        given,
    })
}

impl Comparator {
    fn check(&self, v: &Version) -> bool {
        let c = &self.v;
        if !v.pre.is_empty() && c.pre.is_empty() {
            return false;
        }
        let key =
            |x: &Version, n: u8| -> Vec<u64> { [x.major, x.minor, x.patch][..n as usize].to_vec() };
        let n = self.given;
        match self.op.as_str() {
            "=" => {
                if n < 3 {
                    key(v, n) == key(c, n)
                } else {
                    v.cmp(c) == Ordering::Equal
                }
            }
            "!=" => {
                if n < 3 {
                    key(v, n) != key(c, n)
                } else {
                    v.cmp(c) != Ordering::Equal
                }
            }
            ">" => {
                if n < 3 {
                    key(v, n) > key(c, n)
                } else {
                    v.cmp(c) == Ordering::Greater
                }
            }
            "<" => v.cmp(c) == Ordering::Less,
            ">=" => v.cmp(c) != Ordering::Less,
            "<=" => {
                if n < 3 {
                    key(v, n) <= key(c, n)
                } else {
                    v.cmp(c) != Ordering::Greater
                }
            }
            "~" => {
                if v.cmp(c) == Ordering::Less {
                    return false;
                }
                if n <= 1 {
                    v.major == c.major
                } else {
                    v.major == c.major && v.minor == c.minor
                }
            }
            "^" => {
                if v.cmp(c) == Ordering::Less {
                    return false;
                }
                if c.major > 0 || n <= 1 {
                    v.major == c.major
                } else if c.minor > 0 || n == 2 {
                    v.major == 0 && v.minor == c.minor
                } else {
                    v.major == 0 && v.minor == 0 && v.patch == c.patch
                }
            }
            _ => false,
        }
    }
}
