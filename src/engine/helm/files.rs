//! `.Files`: a chart's files as Helm's templates see them (`Get`, `GetBytes`,
//! `Glob`, `Lines`, `AsConfig`, `AsSecrets`), with Helm's output formats.
//!
//! Visible are the chart's files outside `templates/` and `charts/`, except
//! `Chart.yaml`, `values.yaml`, `values.schema.json` and `Chart.lock`, as
//! Helm's loader leaves them.

use std::collections::BTreeMap;
use std::rc::Rc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use gotemplate::{Object, Value};

use super::string_arg;
use crate::chart::ChartFile;

/// The bytes of a file, shared by every `Files` that holds it.
type Data = bytes::Bytes;

pub struct Files {
    files: BTreeMap<String, Data>,
    /// Helm's `toYAML`, for `AsConfig` and `AsSecrets`.
    to_yaml: Rc<dyn Fn(&Value) -> String>,
}

/// Files Helm's loader keeps out of `.Files` (an `apiVersion: v1` chart keeps
/// its requirements files).
const REQUIREMENTS: &[&str] = &["requirements.lock", "requirements.yaml"];

impl Files {
    pub fn new(files: &[ChartFile], v1: bool, to_yaml: Rc<dyn Fn(&Value) -> String>) -> Files {
        Files {
            files: files
                .iter()
                .filter(|f| {
                    f.path != "Chart.lock" && (v1 || !REQUIREMENTS.contains(&f.path.as_str()))
                })
                .map(|f| (f.path.clone(), f.data.clone()))
                .collect(),
            to_yaml,
        }
    }

    fn bytes(&self, name: &str) -> &[u8] {
        self.files.get(name).map_or(&[], |d| d)
    }

    fn glob(&self, pattern: &str) -> Files {
        // Helm matches everything when the pattern does not compile.
        let glob = Glob::compile(pattern).unwrap_or(Glob(vec![Token::AnyDeep]));
        Files {
            files: self
                .files
                .iter()
                .filter(|(name, _)| glob.matches(name))
                .map(|(name, data)| (name.clone(), data.clone()))
                .collect(),
            to_yaml: self.to_yaml.clone(),
        }
    }

    /// `path.Base(name)` → contents, as YAML: `AsConfig` and `AsSecrets`.
    fn as_map(&self, encode: impl Fn(&[u8]) -> String) -> String {
        let map: BTreeMap<String, Value> = self
            .files
            .iter()
            .map(|(name, data)| {
                let base = name.rsplit('/').next().unwrap_or(name).to_string();
                (base, Value::from(encode(data)))
            })
            .collect();
        (self.to_yaml)(&Value::map(map))
    }

    fn lines(&self, name: &str) -> Value {
        let data = self.bytes(name);
        if data.is_empty() {
            return Value::list(Vec::new());
        }
        let text = String::from_utf8_lossy(data);
        let text = text.strip_suffix('\n').unwrap_or(&text);
        Value::list(text.split('\n').map(Value::from).collect())
    }
}

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

impl Object for Files {
    fn type_name(&self) -> &str {
        "engine.files"
    }

    fn kind_name(&self) -> &str {
        "map"
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "AsConfig" => Some(Value::from(self.as_map(text))),
            "AsSecrets" => Some(Value::from(self.as_map(|d| BASE64.encode(d)))),
            _ => None,
        }
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let arg = || string_arg(name, args);
        Some(match name {
            // Bytes are given as a string: templates pass them on to string functions.
            "Get" | "GetBytes" => arg().map(|n| Value::go_string(self.bytes(n).to_vec())),
            "Glob" => arg().map(|p| Value::Object(Rc::new(self.glob(p)))),
            "Lines" => arg().map(|n| self.lines(n)),
            "AsConfig" | "AsSecrets" => return self.field(name).map(Ok),
            _ => return None,
        })
    }

    fn to_value(&self) -> Value {
        Value::map(
            self.files
                .iter()
                .map(|(name, data)| (name.clone(), Value::from(text(data))))
                .collect(),
        )
    }
}

/// A pattern in the syntax of `github.com/gobwas/glob` with `/` as separator,
/// which Helm's `Glob` uses: `*` stays within a path segment, `**` crosses
/// segments, `?`, `[a-z]`, `[!a-z]`, `{a,b}`, `\` escapes.
struct Glob(Vec<Token>);

#[derive(Clone)]
enum Token {
    Literal(char),
    /// `*`
    Any,
    /// `**`
    AnyDeep,
    /// `?`
    One,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
    Alternatives(Vec<Vec<Token>>),
}

/// Backtracking steps one match may take, so a hostile pattern cannot hang a render.
const MATCH_BUDGET: usize = 100_000;

impl Glob {
    fn compile(pattern: &str) -> Option<Glob> {
        let chars: Vec<char> = pattern.chars().collect();
        let (tokens, rest) = parse_tokens(&chars, false)?;
        rest.is_empty().then_some(Glob(tokens))
    }

    fn matches(&self, name: &str) -> bool {
        let chars: Vec<char> = name.chars().collect();
        let mut budget = MATCH_BUDGET;
        match_tokens(&self.0, &chars, &mut budget)
    }
}

/// Parses tokens up to the end, or (inside `{}`) up to a `,` or `}` left in the rest.
fn parse_tokens(mut s: &[char], in_alt: bool) -> Option<(Vec<Token>, &[char])> {
    let mut tokens = Vec::new();
    while let Some((&c, rest)) = s.split_first() {
        match c {
            ',' | '}' if in_alt => return Some((tokens, s)),
            '*' if rest.first() == Some(&'*') => {
                tokens.push(Token::AnyDeep);
                s = &rest[1..];
            }
            '*' => {
                tokens.push(Token::Any);
                s = rest;
            }
            '?' => {
                tokens.push(Token::One);
                s = rest;
            }
            '\\' => {
                let (&escaped, rest) = rest.split_first()?;
                tokens.push(Token::Literal(escaped));
                s = rest;
            }
            '[' => {
                let (token, rest) = parse_class(rest)?;
                tokens.push(token);
                s = rest;
            }
            '{' => {
                let mut alternatives = Vec::new();
                let mut rest = rest;
                loop {
                    let (alt, after) = parse_tokens(rest, true)?;
                    alternatives.push(alt);
                    let (&sep, after) = after.split_first()?;
                    rest = after;
                    if sep == '}' {
                        break;
                    }
                }
                tokens.push(Token::Alternatives(alternatives));
                s = rest;
            }
            _ => {
                tokens.push(Token::Literal(c));
                s = rest;
            }
        }
    }
    (!in_alt).then_some((tokens, s))
}

fn parse_class(mut s: &[char]) -> Option<(Token, &[char])> {
    let negated = s.first() == Some(&'!');
    if negated {
        s = &s[1..];
    }
    let mut ranges = Vec::new();
    loop {
        let (&c, rest) = s.split_first()?;
        if c == ']' {
            return Some((Token::Class { negated, ranges }, rest));
        }
        if rest.first() == Some(&'-') && rest.get(1).is_some_and(|&e| e != ']') {
            ranges.push((c, rest[1]));
            s = &rest[2..];
        } else {
            ranges.push((c, c));
            s = rest;
        }
    }
}

fn match_tokens(tokens: &[Token], name: &[char], budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    let Some((token, rest)) = tokens.split_first() else {
        return name.is_empty();
    };
    match token {
        Token::Literal(c) => name.first() == Some(c) && match_tokens(rest, &name[1..], budget),
        Token::One => {
            name.first().is_some_and(|&c| c != '/') && match_tokens(rest, &name[1..], budget)
        }
        Token::Class { negated, ranges } => {
            name.first().is_some_and(|&c| {
                c != '/' && ranges.iter().any(|&(a, b)| a <= c && c <= b) != *negated
            }) && match_tokens(rest, &name[1..], budget)
        }
        Token::Any | Token::AnyDeep => {
            let deep = matches!(token, Token::AnyDeep);
            for skip in 0..=name.len() {
                if match_tokens(rest, &name[skip..], budget) {
                    return true;
                }
                if skip < name.len() && !deep && name[skip] == '/' {
                    return false;
                }
            }
            false
        }
        Token::Alternatives(alternatives) => alternatives.iter().any(|alt| {
            let joined: Vec<Token> = alt.iter().chain(rest).cloned().collect();
            match_tokens(&joined, name, budget)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(pattern: &str, name: &str) -> bool {
        Glob::compile(pattern).unwrap().matches(name)
    }

    #[test]
    fn globs_match_as_gobwas_glob_with_a_separator() {
        assert!(glob("files/*.json", "files/a.json"));
        assert!(!glob("files/*.json", "files/sub/a.json"));
        assert!(glob("files/**.json", "files/sub/a.json"));
        assert!(glob("files/**", "files/sub/a.json"));
        assert!(glob("dashboards/{a,b}.json", "dashboards/b.json"));
        assert!(!glob("dashboards/{a,b}.json", "dashboards/c.json"));
        assert!(glob("f?le[0-9].txt", "file1.txt"));
        assert!(!glob("f?le[!0-9].txt", "file1.txt"));
        assert!(glob("*", "README.md"));
        assert!(!glob("*", "files/x"));
    }

    #[test]
    fn lines_drop_one_trailing_newline() {
        let files = Files::new(
            &[ChartFile {
                path: "a.txt".into(),
                data: b"x\ny\n\n".to_vec().into(),
            }],
            false,
            Rc::new(|_| String::new()),
        );
        let Value::List(lines) = files.lines("a.txt") else {
            panic!()
        };
        assert_eq!(lines.len(), 3);
        assert!(matches!(files.lines("missing"), Value::List(l) if l.is_empty()));
    }
}
