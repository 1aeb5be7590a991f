//! Filters and functions chart authors use, with Helm's meaning where Helm has one.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use minijinja::value::{Kwargs, StringInput, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State};
use sha2::{Digest, Sha256};

use crate::values::merge_into;
use crate::version::{Constraint, parse_version};
use crate::yaml;

pub fn register(env: &mut Environment<'_>) {
    env.add_filter("toyaml", toyaml);
    env.add_filter("tojson", tojson);
    env.add_filter("fromyaml", fromyaml);
    env.add_filter("fromjson", fromjson);
    env.add_filter("indent", indent);
    env.add_filter("nindent", nindent);
    env.add_filter("b64encode", b64encode);
    env.add_filter("b64decode", b64decode);
    env.add_filter("sha256", sha256);
    env.add_filter("quote", quote);
    env.add_filter("squote", squote);
    env.add_filter("required", required);
    env.add_filter("trunc", trunc);
    env.add_filter("trimprefix", trimprefix);
    env.add_filter("trimsuffix", trimsuffix);
    env.add_filter("merge", merge);
    env.add_filter("string", string);
    // minijinja's own, with the size of the result bounded first.
    env.add_filter("replace", replace);
    env.add_filter("join", join);
    env.add_function("fail", fail);
    env.add_function("semver_compare", semver_compare);
    env.add_test("semver", |version: &str, constraint: &str| {
        semver_compare(constraint, version)
    });
    env.add_function("merge", merge);
    env.add_filter("entries", entries);
    env.add_function("helm_tpl", helm_tpl);
    env.add_function("sprig", sprig);
    env.add_filter("helm_toyaml", |value: Value| {
        helm_serialise(value, "helm_toyaml")
    });
    env.add_filter("helm_tojson", |value: Value| {
        helm_serialise(value, "helm_tojson")
    });
    env.add_filter("omit", omit);
    env.add_function("untranslated", |what: String| -> Result<Value, Error> {
        Err(invalid(format!(
            "`ketch convert` could not translate {what} from Go templates: write it in Jinja"
        )))
    });
}

/// `value` as Helm's `toYaml`/`toJson` write it (keys sorted, Go's number
/// formatting, no trailing newline): for charts converted from Helm's, whose
/// output must stay byte for byte what Helm printed.
fn helm_serialise(value: Value, filter: &str) -> Result<String, Error> {
    defined(&value, filter)?;
    measure(&value, filter)?;
    let json = exact_json(&value).ok_or_else(|| {
        invalid(format!(
            "{filter}: the value cannot be written as JSON data"
        ))
    })?;
    let go = gotemplate::Value::from_json(&json);
    let out = if filter == "helm_toyaml" {
        gotemplate::serial::to_yaml(&go)
    } else {
        gotemplate::serial::to_json(&go)
    };
    out.map_err(|e| invalid(format!("{filter}: {e}")))
}

/// Helm's `tpl`: `text` rendered as a Go template with `dot` as `.`, for
/// charts converted from Helm's, whose values may hold Go template text.
fn helm_tpl(text: String, dot: Value) -> Result<String, Error> {
    measure(&dot, "helm_tpl")?;
    let json = exact_json(&dot)
        .ok_or_else(|| invalid("helm_tpl: the context cannot be written as JSON data"))?;
    let mut templates = gotemplate::Templates::new(gotemplate::helm::funcs());
    templates
        .parse("tpl", &text)
        .map_err(|e| invalid(format!("helm_tpl: {e}")))?;
    let limits = gotemplate::Limits {
        fuel: 1_000_000,
        max_depth: 64,
        max_output: 16 * 1024 * 1024,
    };
    let out = templates
        .execute("tpl", &gotemplate::Value::from_json(&json), &limits)
        .map_err(|e| invalid(format!("helm_tpl: {e}")))?;
    Ok(out.replace("<no value>", ""))
}

/// `sprig("name", args...)`: Sprig's (or Helm's) function `name` called as a Go
/// template calls it, arguments converted and checked by Go's rules: for charts
/// converted from Helm's, where a function has no ketch filter of its own.
fn sprig(name: String, args: minijinja::value::Rest<Value>) -> Result<Value, Error> {
    thread_local! {
        /// Parsed callers, by function and number of arguments.
        static CALLERS: std::cell::RefCell<std::collections::HashMap<(String, usize), gotemplate::Templates>> =
            Default::default();
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(invalid(format!("sprig: {name:?} is not a function name")));
    }
    let mut data = std::collections::BTreeMap::new();
    for (i, arg) in args.iter().enumerate() {
        measure(arg, "sprig")?;
        let json = exact_json(arg)
            .ok_or_else(|| invalid(format!("sprig {name}: argument {i} is not JSON data")))?;
        data.insert(format!("a{i}"), gotemplate::Value::from_json(&json));
    }
    let limits = gotemplate::Limits {
        fuel: 100_000,
        max_depth: 8,
        max_output: 16 * 1024 * 1024,
    };
    let text = CALLERS.with_borrow_mut(|callers| {
        let key = (name.clone(), args.len());
        if !callers.contains_key(&key) {
            let call: Vec<String> = (0..args.len()).map(|i| format!(".a{i}")).collect();
            let mut templates = gotemplate::Templates::new(gotemplate::helm::funcs());
            templates
                .parse(
                    "sprig",
                    &format!("{{{{ toJson ({name} {}) }}}}", call.join(" ")),
                )
                .map_err(|e| invalid(format!("sprig {name}: {e}")))?;
            callers.insert(key.clone(), templates);
        }
        callers[&key]
            .execute("sprig", &gotemplate::Value::map(data), &limits)
            .map_err(|e| invalid(format!("sprig {name}: {e}")))
    })?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| invalid(format!("sprig {name}: its result is not JSON data: {e}")))?;
    Ok(serde_value(&json))
}

/// A map without the given keys (Sprig's `omit`).
fn omit(value: Value, keys: minijinja::value::Rest<String>) -> Result<Value, Error> {
    if value.kind() != ValueKind::Map {
        return Err(invalid(format!(
            "omit: expected a map, not {}",
            value.kind()
        )));
    }
    let mut out = std::collections::BTreeMap::new();
    for key in value.try_iter()? {
        if !keys.iter().any(|k| key.as_str() == Some(k.as_str())) {
            let item = value.get_item(&key)?;
            out.insert(key.to_string(), item);
        }
    }
    Ok(Value::from(out))
}

/// What Go's `range` walks, as (key, value) pairs: a map's entries in key
/// order, a list's items with their indexes, nothing for `none`.
fn entries(value: Value) -> Result<Value, Error> {
    match value.kind() {
        ValueKind::Map => {
            let mut keys: Vec<Value> = value.try_iter()?.collect();
            keys.sort_by_key(|k| k.to_string());
            let mut pairs = Vec::with_capacity(keys.len());
            for key in keys {
                let item = value.get_item(&key)?;
                pairs.push(Value::from(vec![key, item]));
            }
            Ok(Value::from(pairs))
        }
        ValueKind::Seq | ValueKind::Iterable => Ok(Value::from(
            value
                .try_iter()?
                .enumerate()
                .map(|(i, v)| Value::from(vec![Value::from(i), v]))
                .collect::<Vec<_>>(),
        )),
        ValueKind::None | ValueKind::Undefined => Ok(Value::from(Vec::<Value>::new())),
        _ => Err(invalid(format!("cannot range over {}", value.kind()))),
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

fn defined(value: &Value, filter: &str) -> Result<(), Error> {
    if value.is_undefined() {
        return Err(Error::new(
            ErrorKind::UndefinedError,
            format!("{filter}: the value is undefined (use `| default(...)` for optional values)"),
        ));
    }
    Ok(())
}

/// The largest string a filter builds: the render's whole output may not be larger.
pub const MAX_TEXT: usize = 256 * 1024 * 1024;
/// The deepest value a filter or the printer walks; YAML values are far shallower.
pub const MAX_DEPTH: usize = 512;

fn too_large(filter: &str, bytes: usize) -> Error {
    invalid(format!(
        "{filter}: the result would be {bytes} bytes, over the {} MiB a value may hold; \
         a template loops or a value is huge",
        MAX_TEXT >> 20
    ))
}

/// Fails unless a result of `bytes` (`None`: overflowed) fits [`MAX_TEXT`].
fn check_size(filter: &str, bytes: Option<usize>) -> Result<usize, Error> {
    match bytes {
        Some(n) if n <= MAX_TEXT => Ok(n),
        other => Err(too_large(filter, other.unwrap_or(usize::MAX))),
    }
}

/// About how many bytes `value` takes as text (JSON or YAML), refusing values
/// nested deeper than [`MAX_DEPTH`] (a namespace that holds itself) or larger
/// than [`MAX_TEXT`] (a list of one huge string repeated), before anything
/// writes them out.
pub fn measure(value: &Value, filter: &str) -> Result<usize, Error> {
    let mut total = 0;
    walk(value, 0, &mut total, filter)?;
    Ok(total)
}

fn walk(value: &Value, depth: usize, total: &mut usize, filter: &str) -> Result<(), Error> {
    if depth > MAX_DEPTH {
        return Err(invalid(format!(
            "{filter}: the value nests more than {MAX_DEPTH} levels deep \
             (a list or map that holds itself?)"
        )));
    }
    let object = value.as_object();
    match value.kind() {
        ValueKind::Map => {
            for (key, item) in object
                .and_then(|o| o.try_iter_pairs())
                .into_iter()
                .flatten()
            {
                walk(&key, depth + 1, total, filter)?;
                walk(&item, depth + 1, total, filter)?;
            }
        }
        ValueKind::Seq | ValueKind::Iterable => {
            for item in object.and_then(|o| o.try_iter()).into_iter().flatten() {
                walk(&item, depth + 1, total, filter)?;
            }
        }
        _ => {}
    }
    let own = value.as_bytes().map_or(0, <[u8]>::len);
    *total = check_size(filter, total.checked_add(own + 8))?;
    Ok(())
}

/// Values as text, the way they print in a template.
fn text(value: &Value, filter: &str) -> Result<String, Error> {
    Ok(match value.kind() {
        ValueKind::None => "null".into(),
        ValueKind::Bool => if value.is_true() { "true" } else { "false" }.into(),
        _ => match value.as_str() {
            Some(s) => s.to_string(),
            None => {
                measure(value, filter)?;
                value.to_string()
            }
        },
    })
}

/// `string` as YAML spells it: `true`, `false`, `null`, not Python's `True`.
fn string(value: Value) -> Result<Value, Error> {
    defined(&value, "string")?;
    match value.kind() {
        ValueKind::String => Ok(value),
        _ => Ok(Value::from(text(&value, "string")?)),
    }
}

/// `{{ values.resources | toyaml }}`: YAML without the trailing newline, like Helm's toYaml.
/// Values serde-saphyr would write the same as their JSON copy go through the
/// fast writer; the rest (bytes, non-string keys, invalid values...) through serde-saphyr.
pub fn toyaml(value: Value) -> Result<String, Error> {
    defined(&value, "toyaml")?;
    measure(&value, "toyaml")?;
    let out = match exact_json(&value) {
        Some(json) => yaml::value_to_string(&json),
        None => yaml::to_string(&value),
    }
    .map_err(|e| invalid(format!("toyaml: {}", e.message)))?;
    Ok(out.trim_end_matches('\n').to_string())
}

/// `value` as JSON, when serialising that JSON gives exactly what serialising
/// `value` gives: strings keys only, integers within 64 bits, finite floats,
/// no bytes, plain objects or invalid values. Undefined and none are `null`
/// (both serialise as unit).
pub(super) fn exact_json(value: &Value) -> Option<serde_json::Value> {
    use serde_json::Value as Json;
    Some(match value.kind() {
        ValueKind::Undefined | ValueKind::None => Json::Null,
        ValueKind::Bool => Json::Bool(value.is_true()),
        ValueKind::Number if value.is_integer() => match u64::try_from(value.clone()) {
            Ok(u) => Json::from(u),
            Err(_) => Json::from(i64::try_from(value.clone()).ok()?),
        },
        ValueKind::Number => Json::Number(serde_json::Number::from_f64(
            f64::try_from(value.clone()).ok()?,
        )?),
        ValueKind::String => Json::String(value.as_str()?.to_string()),
        ValueKind::Seq | ValueKind::Iterable => Json::Array(
            value
                .as_object()?
                .try_iter()
                .into_iter()
                .flatten()
                .map(|item| exact_json(&item))
                .collect::<Option<_>>()?,
        ),
        ValueKind::Map => exact_json_map(value)?,
        _ => return None,
    })
}

/// [`exact_json`] for a map: every key a string, none twice.
fn exact_json_map(value: &Value) -> Option<serde_json::Value> {
    let mut map = serde_json::Map::new();
    let mut pairs = 0;
    for (key, item) in value.as_object()?.try_iter_pairs().into_iter().flatten() {
        if key.kind() != ValueKind::String {
            return None;
        }
        map.insert(key.as_str()?.to_string(), exact_json(&item)?);
        pairs += 1;
    }
    (map.len() == pairs).then_some(serde_json::Value::Object(map))
}

/// `{{ x | tojson }}` or `{{ x | tojson(2) }}`: JSON, without HTML escaping.
fn tojson(value: Value, indent: Option<usize>) -> Result<String, Error> {
    defined(&value, "tojson")?;
    measure(&value, "tojson")?;
    let mut out = CappedBuffer::default();
    let result = match indent {
        None => serde_json::to_writer(&mut out, &value),
        Some(n) => {
            check_size("tojson", Some(n))?;
            let pad = " ".repeat(n);
            let fmt = serde_json::ser::PrettyFormatter::with_indent(pad.as_bytes());
            let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
            serde::Serialize::serialize(&value, &mut ser)
        }
    };
    match result {
        Ok(()) => Ok(String::from_utf8_lossy(&out.bytes).into_owned()),
        Err(_) if out.full => Err(too_large("tojson", MAX_TEXT + 1)),
        Err(e) => Err(invalid(format!("tojson: {e}"))),
    }
}

/// Bytes that refuse to grow past [`MAX_TEXT`].
#[derive(Default)]
struct CappedBuffer {
    bytes: Vec<u8>,
    /// A write was refused.
    full: bool,
}

impl std::io::Write for CappedBuffer {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + data.len() > MAX_TEXT {
            self.full = true;
            return Err(std::io::Error::other("value too large"));
        }
        self.bytes.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn fromyaml(text: &str) -> Result<Value, Error> {
    let parsed = yaml::parse_value(text, "fromyaml input")
        .map_err(|e| invalid(format!("fromyaml: {}", e.message)))?;
    Ok(serde_value(&parsed))
}

fn fromjson(text: &str) -> Result<Value, Error> {
    let parsed: serde_json::Value =
        serde_json::from_str(text).map_err(|e| invalid(format!("fromjson: {e}")))?;
    Ok(serde_value(&parsed))
}

/// Helm's `indent`: pads every line, the first included.
fn indent(value: Value, width: usize) -> Result<String, Error> {
    padded(value, width, "indent", "")
}

/// Helm's `nindent`: a newline, then `indent`.
fn nindent(value: Value, width: usize) -> Result<String, Error> {
    padded(value, width, "nindent", "\n")
}

/// `value`'s lines each padded with `width` spaces, after `head`; the size checked first.
fn padded(value: Value, width: usize, filter: &str, head: &str) -> Result<String, Error> {
    defined(&value, filter)?;
    let text = text(&value, filter)?;
    let lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
    let size = width
        .checked_mul(lines)
        .and_then(|pad| pad.checked_add(text.len() + head.len()));
    check_size(filter, size)?;
    let pad = " ".repeat(width);
    Ok(format!(
        "{head}{pad}{}",
        text.replace('\n', &format!("\n{pad}"))
    ))
}

fn b64encode(value: Value) -> Result<String, Error> {
    defined(&value, "b64encode")?;
    Ok(match value.as_bytes() {
        Some(bytes) if value.kind() == ValueKind::Bytes => BASE64.encode(bytes),
        _ => BASE64.encode(text(&value, "b64encode")?),
    })
}

fn b64decode(value: &str) -> Result<String, Error> {
    let bytes = BASE64
        .decode(value.trim())
        .map_err(|e| invalid(format!("b64decode: not base64: {e}")))?;
    String::from_utf8(bytes).map_err(|_| invalid("b64decode: the decoded bytes are not UTF-8 text"))
}

fn sha256(value: Value) -> Result<String, Error> {
    defined(&value, "sha256")?;
    let digest = match value.as_bytes() {
        Some(bytes) if value.kind() == ValueKind::Bytes => Sha256::digest(bytes),
        _ => Sha256::digest(text(&value, "sha256")?),
    };
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// A double-quoted YAML/JSON string, escapes included.
fn quote(value: Value) -> Result<String, Error> {
    defined(&value, "quote")?;
    serde_json::to_string(&text(&value, "quote")?).map_err(|e| invalid(format!("quote: {e}")))
}

/// A single-quoted YAML string (`'` doubled).
fn squote(value: Value) -> Result<String, Error> {
    defined(&value, "squote")?;
    Ok(format!("'{}'", text(&value, "squote")?.replace('\'', "''")))
}

/// `{{ values.image.tag | required("set image.tag") }}`: fails on undefined, none or "".
fn required(value: Value, message: Option<String>) -> Result<Value, Error> {
    let empty = value.is_undefined() || value.is_none() || value.as_str() == Some("");
    if empty {
        return Err(invalid(
            message.unwrap_or_else(|| "a required value is missing".into()),
        ));
    }
    Ok(value)
}

/// `{{ fail("explain what is wrong") }}` stops the render with that message.
fn fail(message: String) -> Result<Value, Error> {
    Err(invalid(message))
}

/// Helm's `semverCompare`: `semver_compare(">=1.28.0-0", capabilities.kube_version.version)`,
/// with Helm's constraint syntax (`||`, ranges, `~`, `^`, wildcards).
fn semver_compare(constraint: &str, version: &str) -> Result<bool, Error> {
    let constraint =
        Constraint::parse(constraint).map_err(|e| invalid(format!("semver_compare: {e}")))?;
    let version = parse_version(version).map_err(|e| invalid(format!("semver_compare: {e}")))?;
    Ok(constraint.matches(&version))
}

/// Helm's `trunc`: the first n characters (a negative n keeps the last -n).
fn trunc(value: Value, n: i64) -> Result<String, Error> {
    defined(&value, "trunc")?;
    let chars: Vec<char> = text(&value, "trunc")?.chars().collect();
    let len = chars.len() as i64;
    let (from, to) = if n >= 0 {
        (0, n.min(len))
    } else {
        ((len + n).max(0), len)
    };
    Ok(chars[from as usize..to as usize].iter().collect())
}

/// minijinja's `replace`, refusing a result over [`MAX_TEXT`] before building it.
fn replace(value: Value, from: &str, to: &str) -> Result<String, Error> {
    defined(&value, "replace")?;
    let text = text(&value, "replace")?;
    // An empty pattern matches before every character and at the end.
    let matches = if from.is_empty() {
        text.chars().count() + 1
    } else {
        text.matches(from).count()
    };
    let size = matches
        .checked_mul(to.len())
        .and_then(|added| (text.len() - matches * from.len()).checked_add(added));
    check_size("replace", size)?;
    Ok(text.replace(from, to))
}

/// minijinja's `join`, refusing a result over [`MAX_TEXT`] before building it.
fn join(
    state: &mut State,
    value: &Value,
    joiner: Option<StringInput<'_>>,
    attribute: Option<&str>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let joiner_len = match &joiner {
        Some(joiner) => joiner.as_str().len(),
        None => kwargs.peek::<Option<&str>>("d")?.map_or(0, str::len),
    };
    let mut size = 0usize;
    for item in value.try_iter().into_iter().flatten() {
        let item = measure(&item, "join")?;
        size = check_size("join", size.checked_add(item + joiner_len))?;
    }
    minijinja::filters::join(state, value, joiner, attribute, kwargs)
}

fn trimprefix(value: &str, prefix: &str) -> String {
    value.strip_prefix(prefix).unwrap_or(value).to_string()
}

fn trimsuffix(value: &str, suffix: &str) -> String {
    value.strip_suffix(suffix).unwrap_or(value).to_string()
}

/// Deep-merges maps left to right; later maps win, like values files.
fn merge(base: Value, overlays: minijinja::value::Rest<Value>) -> Result<Value, Error> {
    let as_map = |value: &Value| match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid("merge: every argument must be a map")),
        Err(e) => Err(invalid(format!("merge: {e}"))),
    };
    let mut merged = as_map(&base)?;
    for overlay in overlays.iter() {
        merge_into(&mut merged, as_map(overlay)?);
    }
    Ok(serde_value(&merged))
}

/// The single string argument of `owner.method(...)`.
pub fn string_arg<'a>(owner: &str, method: &str, args: &'a [Value]) -> Result<&'a str, Error> {
    match args {
        [arg] => arg
            .as_str()
            .ok_or_else(|| invalid(format!("{owner}.{method}() takes a string"))),
        _ => Err(invalid(format!("{owner}.{method}() takes one argument"))),
    }
}

/// Any serializable data as a template value.
pub fn serde_value<T: serde::Serialize>(data: &T) -> Value {
    Value::from(minijinja::value::Serde(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `toyaml` as it was: serde-saphyr on the template value itself.
    fn saphyr(value: &Value) -> Result<String, String> {
        yaml::to_string(value)
            .map(|out| out.trim_end_matches('\n').to_string())
            .map_err(|e| e.message)
    }

    fn map(pairs: Vec<(Value, Value)>) -> Value {
        Value::from(
            pairs
                .into_iter()
                .collect::<std::collections::BTreeMap<_, _>>(),
        )
    }

    #[test]
    fn toyaml_writes_what_serde_saphyr_writes() {
        let json: serde_json::Value = serde_json::json!({
            "a": [1, -2, 1.5, null, true, "on", "x\ny\n", {}, [], [{"b": "c", "d": ["e"]}]],
            "0755": {"k": "v #x"},
            "empty": "",
        });
        let values = [
            serde_value(&json),
            Value::from(()),
            Value::from("NO"),
            Value::from(1.0),
            Value::from(u128::MAX),
            Value::from(i128::MIN),
            Value::from(-5i128),
            Value::from(f64::NAN),
            Value::from(vec![Value::UNDEFINED, Value::from(()), Value::from(3)]),
            Value::from_iter(0..3),
            map(vec![(Value::from(1), Value::from("int key"))]),
            map(vec![(Value::from(true), Value::from("bool key"))]),
            map(vec![(Value::from("k"), Value::from_iter(["a", "b"]))]),
            Value::from_bytes(b"bytes".to_vec()),
            map(vec![(Value::from("b"), Value::from_bytes(b"xy".to_vec()))]),
        ];
        for value in values {
            assert_eq!(
                toyaml(value.clone()).map_err(|e| e.to_string()),
                saphyr(&value).map_err(|e| format!("invalid operation: toyaml: {e}")),
                "{value:?}"
            );
        }
    }

    #[test]
    fn toyaml_takes_the_fast_path_for_json_like_values() {
        let json = serde_json::json!({"a": [1, "b", {"c": null}], "d": 2.5});
        assert_eq!(exact_json(&serde_value(&json)), Some(json));
        assert_eq!(
            exact_json(&map(vec![(Value::from(1), Value::from(2))])),
            None
        );
        assert_eq!(exact_json(&Value::from_bytes(vec![1])), None);
    }

    #[test]
    fn toyaml_refuses_undefined() {
        let err = toyaml(Value::UNDEFINED).unwrap_err();
        assert!(
            err.to_string().contains("toyaml: the value is undefined"),
            "{err}"
        );
    }
}
