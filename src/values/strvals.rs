//! Helm's `--set` syntax: `a.b=c,d[0].e=f`, `{x,y}` lists, `\.` `\,` `\=`
//! escapes, typed scalars for `--set`, strings for `--set-string`, JSON values
//! for `--set-json`, file contents for `--set-file` and the raw rest of the
//! expression for `--set-literal`. Expressions are parsed into an existing
//! tree, so later flags change (not replace) what earlier ones set.

use serde_json::Value;

use super::{Values, kind_of};

/// The largest list index an expression may use (Helm's `MaxIndex`): a
/// bigger one would allocate a huge list of nulls.
pub const MAX_INDEX: usize = 65536;
/// The deepest `a.b.c...` name (Helm's `MaxNestedNameLevel`).
pub const MAX_NESTED_NAME_LEVEL: usize = 30;
/// Nesting of names and indices together, so `a[0][0][0]...` cannot exhaust the stack.
const MAX_DEPTH: usize = 100;

/// Which flag an expression came from: it decides how values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    /// `--set`: `true`/`false`/`null` and plain integers are typed, the rest are strings.
    Typed,
    /// `--set-string`: every value is a string.
    String,
    /// `--set-json`: every value is one JSON document; an empty value is `null`.
    Json,
    /// `--set-file`: every value is a path; the file's content becomes the value.
    File,
    /// `--set-literal`: one key, and everything after the first `=` as a string, unescaped.
    Literal,
}

impl SetKind {
    /// The command-line flag, for messages.
    pub fn flag(self) -> &'static str {
        match self {
            SetKind::Typed => "--set",
            SetKind::String => "--set-string",
            SetKind::Json => "--set-json",
            SetKind::File => "--set-file",
            SetKind::Literal => "--set-literal",
        }
    }
}

/// A malformed expression: what is wrong, and where (characters counted from 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at character {position})")]
pub struct SetError {
    pub position: usize,
    pub message: String,
}

/// Reads the file a `--set-file` value names; the error says why it cannot.
pub type ReadFile<'a> = &'a mut dyn FnMut(&str) -> Result<String, String>;

/// Parses `expression` into `dest`. `--set-file` paths are read from the
/// file system, relative to the working directory.
pub fn parse_into(expression: &str, kind: SetKind, dest: &mut Values) -> Result<(), SetError> {
    let mut read = |path: &str| std::fs::read_to_string(path).map_err(|e| e.to_string());
    parse_with_reader(expression, kind, dest, &mut read)
}

/// Parses `expression` into a new tree.
pub fn parse(expression: &str, kind: SetKind) -> Result<Values, SetError> {
    let mut values = Values::new();
    parse_into(expression, kind, &mut values)?;
    Ok(values)
}

/// Parses `expression` into `dest`, reading `--set-file` values with `read`.
pub fn parse_with_reader(
    expression: &str,
    kind: SetKind,
    dest: &mut Values,
    read: ReadFile<'_>,
) -> Result<(), SetError> {
    let mut parser = Parser {
        chars: expression.chars().collect(),
        pos: 0,
        pair_start: 0,
        kind,
        read,
    };
    loop {
        parser.pair_start = parser.pos;
        if let Step::End = parser.key(dest, 0, "", 0)? {
            return Ok(());
        }
    }
}

/// Helm's `typedVal`: `true`, `false`, `null` (any case), `0` and integers
/// that fit 64 bits and do not start with `0` are typed; everything else
/// (floats, `007`, huge numbers) stays a string.
pub fn typed_value(text: &str) -> Value {
    if text.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if text.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if text.eq_ignore_ascii_case("null") {
        return Value::Null;
    }
    if text == "0" {
        return Value::from(0);
    }
    if !text.is_empty()
        && !text.starts_with('0')
        && let Ok(int) = text.parse::<i64>()
    {
        return Value::from(int);
    }
    Value::String(text.to_string())
}

/// Whether parsing goes on with another `key=value` pair.
enum Step {
    More,
    End,
}

/// What follows a `=`: a `{a,b}` list, the end of input, or a plain value.
enum ListRead {
    List(Vec<Value>),
    End,
    NotAList,
}

struct Parser<'r> {
    chars: Vec<char>,
    pos: usize,
    /// Where the current `key=value` pair starts, for messages about the whole key.
    pair_start: usize,
    kind: SetKind,
    read: ReadFile<'r>,
}

impl Parser<'_> {
    fn error(&self, at: usize, message: String) -> SetError {
        SetError {
            position: at + 1,
            message,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next_char(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    /// Reads up to (and consumes) the first unescaped `stop` character;
    /// `None` when the input ends first. A backslash escapes the next
    /// character, except in `--set-literal`.
    fn until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let escapes = self.kind != SetKind::Literal;
        let mut text = String::new();
        while let Some(c) = self.next_char() {
            if stop.contains(&c) {
                return (text, Some(c));
            }
            if escapes && c == '\\' {
                match self.next_char() {
                    Some(escaped) => text.push(escaped),
                    None => return (text, None),
                }
            } else {
                text.push(c);
            }
        }
        (text, None)
    }

    /// The rest of the input, unescaped (`--set-literal` values).
    fn rest(&mut self) -> String {
        let text = self.chars[self.pos..].iter().collect();
        self.pos = self.chars.len();
        text
    }

    fn key(
        &mut self,
        data: &mut Values,
        names: usize,
        path: &str,
        depth: usize,
    ) -> Result<Step, SetError> {
        if depth > MAX_DEPTH {
            return Err(self.error(
                self.pos,
                format!("the expression nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        let stop: &[char] = if self.kind == SetKind::Literal {
            &['=', '[', '.']
        } else {
            &['=', '[', ',', '.']
        };
        let (key, last) = self.until(stop);
        let full = join(path, &key);
        match last {
            None if key.is_empty() => Ok(Step::End),
            // Helm ignores `=x` and `.a=x` at the top; a pair that sets nothing is a mistake.
            Some(c @ ('=' | '.')) if key.is_empty() && path.is_empty() => Err(self.error(
                self.pair_start,
                format!("the key before {c:?} is empty; write NAME=VALUE"),
            )),
            None => Err(self.error(self.pair_start, format!("key {full:?} has no value"))),
            Some(',') => Err(self.error(
                self.pair_start,
                format!("key {full:?} has no value (cannot end with ,)"),
            )),
            Some('[') => {
                let index_at = self.pos;
                let index = self.index()?;
                let mut list = match data.get_mut(&key) {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(list)) => std::mem::take(list),
                    Some(other) => {
                        let found = kind_of(other);
                        return Err(self.error(
                            index_at - 1,
                            format!(
                                "key {full:?} already holds {found}, so it cannot take a list index"
                            ),
                        ));
                    }
                };
                let step = self.list_item(
                    &mut list,
                    index,
                    index_at,
                    names,
                    &format!("{full}[{index}]"),
                    depth + 1,
                )?;
                set(data, key, Value::Array(list));
                Ok(step)
            }
            Some('.') => {
                let names = names + 1;
                if names > MAX_NESTED_NAME_LEVEL {
                    return Err(self.error(
                        self.pos - 1,
                        format!(
                            "value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}"
                        ),
                    ));
                }
                match data.get_mut(&key) {
                    Some(Value::Object(inner)) => self.key(inner, names, &full, depth + 1),
                    None | Some(Value::Null) => {
                        let mut inner = Values::new();
                        let step = self.key(&mut inner, names, &full, depth + 1)?;
                        if matches!(step, Step::More) && inner.is_empty() {
                            return Err(self
                                .error(self.pair_start, format!("key map {full:?} has no value")));
                        }
                        if !inner.is_empty() {
                            set(data, key, Value::Object(inner));
                        }
                        Ok(step)
                    }
                    Some(other) => {
                        let found = kind_of(other);
                        Err(self.error(
                            self.pos - 1,
                            format!(
                                "key {full:?} already holds {found}, so it cannot take a nested key"
                            ),
                        ))
                    }
                }
            }
            Some(_) => {
                // '='
                let (value, step) = self.value()?;
                set(data, key, value);
                Ok(step)
            }
        }
    }

    /// The value after a `=`, and whether more pairs may follow.
    fn value(&mut self) -> Result<(Value, Step), SetError> {
        match self.kind {
            SetKind::Json => {
                if self.empty_value() {
                    return Ok((Value::Null, Step::More));
                }
                let value = self.json_value()?;
                self.empty_value();
                Ok((value, Step::More))
            }
            // More, as in Helm: the next pair finds the end, and `a.=x` is refused.
            SetKind::Literal => Ok((Value::String(self.rest()), Step::More)),
            _ => match self.value_list()? {
                ListRead::List(items) => Ok((Value::Array(items), Step::More)),
                ListRead::End => Ok((Value::String(String::new()), Step::End)),
                ListRead::NotAList => {
                    let at = self.pos;
                    let (text, _) = self.until(&[',']);
                    Ok((self.convert(&text, at)?, Step::More))
                }
            },
        }
    }

    fn list_item(
        &mut self,
        list: &mut Vec<Value>,
        index: i64,
        index_at: usize,
        names: usize,
        path: &str,
        depth: usize,
    ) -> Result<Step, SetError> {
        if depth > MAX_DEPTH {
            return Err(self.error(
                self.pos,
                format!("the expression nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        let Ok(index) = usize::try_from(index) else {
            return Err(self.error(index_at, format!("negative {index} index not allowed")));
        };
        let after = self.pos;
        let (extra, last) = self.until(&['[', '.', '=']);
        if !extra.is_empty() {
            return Err(self.error(
                after,
                format!("unexpected data at end of array index: {extra:?}"),
            ));
        }
        match last {
            None => Ok(Step::End),
            Some('[') => {
                let next_at = self.pos;
                let next = self.index()?;
                let mut inner = match list.get_mut(index) {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(inner)) => std::mem::take(inner),
                    Some(other) => {
                        let found = kind_of(other);
                        return Err(self.error(
                            next_at - 1,
                            format!("{path} already holds {found}, so it cannot take a list index"),
                        ));
                    }
                };
                let step = self.list_item(
                    &mut inner,
                    next,
                    next_at,
                    names,
                    &format!("{path}[{next}]"),
                    depth + 1,
                )?;
                set_index(list, index, Value::Array(inner));
                Ok(step)
            }
            Some('.') => {
                // Indices set out of order leave nulls (or scalars) to replace.
                let mut inner = match list.get_mut(index) {
                    Some(Value::Object(inner)) => std::mem::take(inner),
                    _ => Values::new(),
                };
                let step = self.key(&mut inner, names, path, depth + 1)?;
                set_index(list, index, Value::Object(inner));
                Ok(step)
            }
            Some(_) => {
                // '='
                let (value, step) = self.value()?;
                set_index(list, index, value);
                Ok(step)
            }
        }
    }

    /// The number between `[` and `]` (the `[` is already read).
    fn index(&mut self) -> Result<i64, SetError> {
        let at = self.pos;
        let (text, last) = self.until(&[']']);
        if last.is_none() {
            return Err(self.error(at, "error parsing index: missing ']'".to_string()));
        }
        let index: i64 = text.parse().map_err(|_| {
            self.error(at, format!("error parsing index: {text:?} is not a number"))
        })?;
        if index > MAX_INDEX as i64 {
            return Err(self.error(
                at,
                format!("index of {index} is greater than maximum supported index of {MAX_INDEX}"),
            ));
        }
        Ok(index)
    }

    /// A `{a,b,c}` list after `=`, if that is what follows.
    fn value_list(&mut self) -> Result<ListRead, SetError> {
        match self.peek() {
            None => return Ok(ListRead::End),
            Some('{') => self.pos += 1,
            Some(_) => return Ok(ListRead::NotAList),
        }
        let open = self.pos - 1;
        let mut items = Vec::new();
        loop {
            let at = self.pos;
            let (text, last) = self.until(&[',', '}']);
            match last {
                None => return Err(self.error(open, "list must terminate with '}'".to_string())),
                Some('}') => {
                    if self.peek() == Some(',') {
                        self.pos += 1;
                    }
                    items.push(self.convert(&text, at)?);
                    return Ok(ListRead::List(items));
                }
                Some(_) => items.push(self.convert(&text, at)?),
            }
        }
    }

    /// Turns the text of one value into a value, as the flag says.
    fn convert(&mut self, text: &str, at: usize) -> Result<Value, SetError> {
        match self.kind {
            SetKind::Typed => Ok(typed_value(text)),
            SetKind::File => {
                let path = text.trim();
                (self.read)(path)
                    .map(Value::String)
                    .map_err(|e| self.error(at, format!("cannot read file {path:?}: {e}")))
            }
            _ => Ok(Value::String(text.to_string())),
        }
    }

    /// Skips blanks and one comma; true when no value follows (Helm's `emptyVal`).
    fn empty_value(&mut self) -> bool {
        while let Some(c) = self.peek() {
            if c == ',' {
                self.pos += 1;
                return true;
            }
            if !c.is_whitespace() {
                return false;
            }
            self.pos += 1;
        }
        true
    }

    /// One JSON document from the current position, consumed exactly.
    fn json_value(&mut self) -> Result<Value, SetError> {
        let at = self.pos;
        let rest: String = self.chars[self.pos..].iter().collect();
        let mut stream = serde_json::Deserializer::from_str(&rest).into_iter::<Value>();
        match stream.next() {
            Some(Ok(value)) => {
                let consumed = rest
                    .get(..stream.byte_offset())
                    .map_or(0, |s| s.chars().count());
                self.pos += consumed;
                Ok(value)
            }
            Some(Err(e)) => Err(self.error(at, format!("invalid JSON value: {e}"))),
            None => Ok(Value::Null),
        }
    }
}

/// Sets `key` unless it is empty (`a.=` sets nothing in `a`, as in Helm).
fn set(data: &mut Values, key: String, value: Value) {
    if !key.is_empty() {
        data.insert(key, value);
    }
}

/// Sets `list[index]`, growing the list with nulls (the index is checked already).
fn set_index(list: &mut Vec<Value>, index: usize, value: Value) {
    if list.len() <= index {
        list.resize(index + 1, Value::Null);
    }
    list[index] = value;
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(expression: &str, kind: SetKind) -> Value {
        match parse(expression, kind) {
            Ok(values) => Value::Object(values),
            Err(e) => panic!("{expression}: {e}"),
        }
    }

    fn err(expression: &str, kind: SetKind) -> SetError {
        match parse(expression, kind) {
            Ok(values) => panic!("{expression}: expected an error, got {values:?}"),
            Err(e) => e,
        }
    }

    /// Helm's `TestParseSet` table for `--set`, plus the edges that matter to us.
    #[test]
    fn set_table() {
        let cases: &[(&str, Value)] = &[
            (
                "name1=null,f=false,t=true",
                json!({"name1": null, "f": false, "t": true}),
            ),
            (
                "T=TRUE,F=False,N=NULL",
                json!({"T": true, "F": false, "N": null}),
            ),
            ("name1=value1", json!({"name1": "value1"})),
            (
                "name1=value1,name2=value2",
                json!({"name1": "value1", "name2": "value2"}),
            ),
            (
                "name1=value1,name2=value2,",
                json!({"name1": "value1", "name2": "value2"}),
            ),
            (
                "name1=,name2=value2",
                json!({"name1": "", "name2": "value2"}),
            ),
            ("a=", json!({"a": ""})),
            ("leading_zeros=00009", json!({"leading_zeros": "00009"})),
            ("zero_int=0", json!({"zero_int": 0})),
            ("long_int=1234567890", json!({"long_int": 1234567890})),
            ("negative=-5", json!({"negative": -5})),
            (
                "too_big=99999999999999999999",
                json!({"too_big": "99999999999999999999"}),
            ),
            ("float=1.5", json!({"float": "1.5"})),
            ("boolean=true", json!({"boolean": true})),
            ("is_null=null", json!({"is_null": null})),
            (
                "name1=one\\,two,name2=three\\,four",
                json!({"name1": "one,two", "name2": "three,four"}),
            ),
            (
                "name1=one\\=two,name2=three\\=four",
                json!({"name1": "one=two", "name2": "three=four"}),
            ),
            (
                "name1=one two three,name2=three two one",
                json!({"name1": "one two three", "name2": "three two one"}),
            ),
            ("outer.inner=value", json!({"outer": {"inner": "value"}})),
            (
                "outer.middle.inner=value",
                json!({"outer": {"middle": {"inner": "value"}}}),
            ),
            (
                "outer.inner1=value,outer.inner2=value2",
                json!({"outer": {"inner1": "value", "inner2": "value2"}}),
            ),
            (
                "outer.inner1=value,outer.middle.inner=value",
                json!({"outer": {"inner1": "value", "middle": {"inner": "value"}}}),
            ),
            ("name1.name2=", json!({"name1": {"name2": ""}})),
            (
                "dotted\\.key=1,nodeSelector.kubernetes\\.io/os=linux",
                json!({"dotted.key": 1, "nodeSelector": {"kubernetes.io/os": "linux"}}),
            ),
            (
                "name1={value1,value2}",
                json!({"name1": ["value1", "value2"]}),
            ),
            (
                "name1={value1,value2},name2={value1,value2}",
                json!({"name1": ["value1", "value2"], "name2": ["value1", "value2"]}),
            ),
            ("name1={1021,902}", json!({"name1": [1021, 902]})),
            (
                "name1.name2={value1,value2}",
                json!({"name1": {"name2": ["value1", "value2"]}}),
            ),
            ("empty={}", json!({"empty": [""]})),
            ("list[0]=foo", json!({"list": ["foo"]})),
            ("list[0].foo=bar", json!({"list": [{"foo": "bar"}]})),
            (
                "list[0].foo=bar,list[0].hello=world",
                json!({"list": [{"foo": "bar", "hello": "world"}]}),
            ),
            ("list[0]=foo,list[1]=bar", json!({"list": ["foo", "bar"]})),
            ("list[0]=foo,list[1]=bar,", json!({"list": ["foo", "bar"]})),
            (
                "list[0]=foo,list[3]=bar",
                json!({"list": ["foo", null, null, "bar"]}),
            ),
            ("list[1]={a,b}", json!({"list": [null, ["a", "b"]]})),
            ("noval[0]", json!({"noval": []})),
            ("noval[0]=", json!({"noval": [""]})),
            ("nested[0][0]=1", json!({"nested": [[1]]})),
            ("nested[1][1]=1", json!({"nested": [null, [null, 1]]})),
            ("a[0][1]=x,a[0][0]=y", json!({"a": [["y", "x"]]})),
            (
                "name1.name2[0].foo=bar,name1.name2[1].foo=bar",
                json!({"name1": {"name2": [{"foo": "bar"}, {"foo": "bar"}]}}),
            ),
            (
                "name1.name2[1].foo=bar,name1.name2[0].foo=bar",
                json!({"name1": {"name2": [{"foo": "bar"}, {"foo": "bar"}]}}),
            ),
            (
                "name1.name2[1].foo=bar",
                json!({"name1": {"name2": [null, {"foo": "bar"}]}}),
            ),
            ("list[65536]=x", json!({"list": {"len": 65537}})),
        ];
        for (expression, expected) in cases {
            let got = ok(expression, SetKind::Typed);
            if expression.starts_with("list[65536]") {
                assert_eq!(got["list"].as_array().map(Vec::len), Some(65537));
                continue;
            }
            assert_eq!(&got, expected, "{expression}");
        }
    }

    #[test]
    fn set_string_keeps_strings() {
        let cases: &[(&str, Value)] = &[
            (
                "long_int_string=1234567890",
                json!({"long_int_string": "1234567890"}),
            ),
            ("boolean=true", json!({"boolean": "true"})),
            ("is_null=null", json!({"is_null": "null"})),
            ("zero=0", json!({"zero": "0"})),
            ("list={1,true}", json!({"list": ["1", "true"]})),
        ];
        for (expression, expected) in cases {
            assert_eq!(&ok(expression, SetKind::String), expected, "{expression}");
        }
    }

    #[test]
    fn set_errors_name_the_key_and_position() {
        let cases: &[(&str, &str, usize)] = &[
            ("a.b", "key \"a.b\" has no value", 1),
            ("name1", "key \"name1\" has no value", 1),
            ("x=1,name1.name2", "key \"name1.name2\" has no value", 5),
            (
                "name1,name2=",
                "key \"name1\" has no value (cannot end with ,)",
                1,
            ),
            (
                "name1,name2=value2\\",
                "key \"name1\" has no value (cannot end with ,)",
                1,
            ),
            (
                "name1=value1,,,,name2=value2,",
                "key \"\" has no value (cannot end with ,)",
                14,
            ),
            (
                "name1.name2,name1.name3",
                "key \"name1.name2\" has no value (cannot end with ,)",
                1,
            ),
            ("name1.=name2", "key map \"name1\" has no value", 1),
            (
                "name1.,name2",
                "key \"name1.\" has no value (cannot end with ,)",
                1,
            ),
            ("name1={1021,902", "list must terminate with '}'", 7),
            (
                "list[0].foo=bar,list[-30].hello=world",
                "negative -30 index not allowed",
                22,
            ),
            (
                "list[0]=foo,list[-20]=bar",
                "negative -20 index not allowed",
                18,
            ),
            (
                "illegal[0]name.foo=bar",
                "unexpected data at end of array index: \"name\"",
                11,
            ),
            ("a[x]=1", "error parsing index: \"x\" is not a number", 3),
            ("a[0=1", "error parsing index: missing ']'", 3),
            (
                "list[65537]=foo",
                "index of 65537 is greater than maximum supported index of 65536",
                6,
            ),
            (
                "]={}].",
                "key \"]\" already holds a list, so it cannot take a nested key",
                6,
            ),
            (
                "a=1,a.b=2",
                "key \"a\" already holds a number, so it cannot take a nested key",
                6,
            ),
            (
                "a=1,a[0]=2",
                "key \"a\" already holds a number, so it cannot take a list index",
                6,
            ),
        ];
        for (expression, message, position) in cases {
            let e = err(expression, SetKind::Typed);
            assert_eq!(&e.message, message, "{expression}");
            assert_eq!(e.position, *position, "{expression}: {e}");
        }
    }

    #[test]
    fn deep_names_are_refused() {
        let deep = format!("{}=1", vec!["a"; 32].join("."));
        let e = err(&deep, SetKind::Typed);
        assert!(
            e.message.contains("maximum supported nested level of 30"),
            "{e}"
        );
        let ok_depth = format!("{}=1", vec!["a"; 31].join("."));
        assert!(parse(&ok_depth, SetKind::Typed).is_ok());
        let lists = format!("a{}=1", "[0]".repeat(500));
        assert!(err(&lists, SetKind::Typed).message.contains("nests deeper"));
    }

    /// Helm's `TestParseInto`: later expressions change what earlier ones set.
    #[test]
    fn parse_into_updates_existing_values() {
        let mut values = json!({"outer": {"inner1": "overwrite", "inner2": "value2"}})
            .as_object()
            .cloned()
            .unwrap_or_default();
        parse_into(
            "outer.inner1=value1,outer.inner3=value3,outer.inner4=4",
            SetKind::Typed,
            &mut values,
        )
        .unwrap();
        assert_eq!(
            Value::Object(values),
            json!({"outer": {"inner1": "value1", "inner2": "value2", "inner3": "value3", "inner4": 4}})
        );

        let mut values = Values::new();
        parse_into(
            "listOuter[0][0].type=listValue",
            SetKind::Typed,
            &mut values,
        )
        .unwrap();
        parse_into("listOuter[0][0].status=alive", SetKind::Typed, &mut values).unwrap();
        assert_eq!(
            Value::Object(values),
            json!({"listOuter": [[{"type": "listValue", "status": "alive"}]]})
        );

        let mut values = json!({"listOuter": [[[{"exited": "old"}]]]})
            .as_object()
            .cloned()
            .unwrap_or_default();
        parse_into(
            "listOuter[0][1][0].type=listValue",
            SetKind::Typed,
            &mut values,
        )
        .unwrap();
        parse_into(
            "listOuter[0][0][1].status=alive",
            SetKind::Typed,
            &mut values,
        )
        .unwrap();
        assert_eq!(
            Value::Object(values),
            json!({"listOuter": [[[{"exited": "old"}, {"status": "alive"}], [{"type": "listValue"}]]]})
        );

        let mut values = json!({"ports": [{"name": "http", "port": 80}]})
            .as_object()
            .cloned()
            .unwrap_or_default();
        parse_into("ports[0].port=8080", SetKind::Typed, &mut values).unwrap();
        assert_eq!(
            Value::Object(values),
            json!({"ports": [{"name": "http", "port": 8080}]})
        );
    }

    /// Helm's `TestParseJSON`.
    #[test]
    fn set_json_values() {
        let mut values = json!({"outer": {"inner1": "overwrite", "inner2": "value2"}})
            .as_object()
            .cloned()
            .unwrap_or_default();
        parse_into(
            r#"outer.inner1="1",outer.inner3=3,outer.inner4=true,outer.inner5="true""#,
            SetKind::Json,
            &mut values,
        )
        .unwrap();
        assert_eq!(
            Value::Object(values),
            json!({"outer": {"inner1": "1", "inner2": "value2", "inner3": 3, "inner4": true, "inner5": "true"}})
        );

        let got = ok(
            r#"a.b={"x":1,"c":[1,2,3]} , list=["v 1","v,2"],objs=[{"A":"1"}]"#,
            SetKind::Json,
        );
        assert_eq!(
            got,
            // Blanks before the comma are skipped; after it they belong to the key, as in Helm.
            json!({"a": {"b": {"x": 1, "c": [1, 2, 3]}}, " list": ["v 1", "v,2"], "objs": [{"A": "1"}]})
        );

        let got = ok(
            r#"o.i1=,o.i3={"cc":[1,2,3]},o.i3.cc[1]=null"#,
            SetKind::Json,
        );
        assert_eq!(got, json!({"o": {"i1": null, "i3": {"cc": [1, null, 3]}}}));

        let e = err(r#"a={"x":1]"#, SetKind::Json);
        assert!(e.message.starts_with("invalid JSON value"), "{e}");
        assert_eq!(e.position, 3);
    }

    #[test]
    fn set_literal_takes_the_rest_verbatim() {
        assert_eq!(
            ok("a.b=x,y=z\\.{1,2}", SetKind::Literal),
            json!({"a": {"b": "x,y=z\\.{1,2}"}})
        );
        assert_eq!(
            ok("l[1]=a,b", SetKind::Literal),
            json!({"l": [null, "a,b"]})
        );
        assert_eq!(
            err("a.b", SetKind::Literal).message,
            "key \"a.b\" has no value"
        );
        // Helm's literal parser test: an empty name after the dot.
        for expression in ["name1.=name2", "name1.="] {
            assert_eq!(
                err(expression, SetKind::Literal).message,
                "key map \"name1\" has no value",
                "{expression}"
            );
        }
        assert_eq!(ok("a=", SetKind::Literal), json!({"a": ""}));
    }

    /// A pair with no name sets nothing: refused under every flag.
    #[test]
    fn empty_keys_are_refused() {
        for kind in [
            SetKind::Typed,
            SetKind::String,
            SetKind::Json,
            SetKind::Literal,
        ] {
            for expression in ["=", "=x", ".a=x", "a=1,=2"] {
                if kind == SetKind::Literal && expression.contains(',') {
                    continue; // the rest after `=` is the value
                }
                let e = err(expression, kind);
                assert!(e.message.contains("is empty"), "{expression} {kind:?}: {e}");
            }
        }
        assert_eq!(err("a=1,=2", SetKind::Typed).position, 5);
    }

    #[test]
    fn set_file_reads_each_value_as_a_path() {
        let mut values = Values::new();
        let mut read = |path: &str| match path {
            "cert.pem" => Ok("-----BEGIN-----\n".to_string()),
            other => Err(format!("no such file {other}")),
        };
        parse_with_reader("tls.cert=cert.pem", SetKind::File, &mut values, &mut read).unwrap();
        assert_eq!(
            Value::Object(values),
            json!({"tls": {"cert": "-----BEGIN-----\n"}})
        );

        let mut values = Values::new();
        let e = parse_with_reader(
            "a=cert.pem,b=missing.txt",
            SetKind::File,
            &mut values,
            &mut read,
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "cannot read file \"missing.txt\": no such file missing.txt"
        );
        assert_eq!(e.position, 14);
    }

    #[test]
    fn typed_values_follow_helm() {
        assert_eq!(typed_value("0"), json!(0));
        assert_eq!(typed_value("-0"), json!(0));
        assert_eq!(typed_value("+7"), json!(7));
        assert_eq!(typed_value("007"), json!("007"));
        assert_eq!(typed_value("1e3"), json!("1e3"));
        assert_eq!(
            typed_value("9223372036854775807"),
            json!(9223372036854775807_i64)
        );
        assert_eq!(
            typed_value("9223372036854775808"),
            json!("9223372036854775808")
        );
        assert_eq!(typed_value(""), json!(""));
        assert_eq!(typed_value("yes"), json!("yes"));
    }
}
