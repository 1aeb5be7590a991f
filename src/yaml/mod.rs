//! The one place that reads and writes YAML, with fixed rules: YAML 1.2 booleans
//! (`on`, `NO`, `y` stay strings), no silent octal (`0755` stays a string), and
//! budgets against alias bombs and deep nesting. Output quotes every scalar a
//! YAML 1.1 reader (Kubernetes) would misread.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Documents one YAML stream may hold: a large render yields thousands.
const MAX_DOCUMENTS: usize = 100_000;
/// Nodes a document may hold at least; a larger text may hold one node per
/// byte (a 256 MiB index holds millions). Aliases have budgets of their own,
/// which stop alias bombs whatever the text's size.
const MAX_NODES: usize = 2_000_000;
const MAX_DEPTH: usize = 128;

#[derive(Debug, thiserror::Error)]
#[error("{origin}: {message}")]
pub struct YamlError {
    /// The file or template the text came from.
    pub origin: String,
    /// The parser's message, with line, column and a source snippet.
    pub message: String,
}

/// The nodes `text` may hold: [`MAX_NODES`], or one per byte of a larger text.
fn node_budget(text: &str) -> usize {
    MAX_NODES.max(text.len())
}

fn options(text: &str) -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_documents: MAX_DOCUMENTS,
            max_nodes: node_budget(text),
            max_depth: MAX_DEPTH,
            max_events: node_budget(text) * 2,
        },
        strict_booleans: true,
        legacy_octal_numbers: false,
        leading_zero_numbers_as_strings: true,
    }
}

fn serializer_options() -> serde_saphyr::SerializerOptions {
    serde_saphyr::ser_options! {
        indent_step: 2,
        compact_list_indent: true,
    }
}

/// Parses one YAML document. An empty document reads as `null`. A document
/// the fast reader takes, and `T` accepts as it is (see [`typed`]), skips
/// serde-saphyr; anything else goes through it, so the result and every error
/// are its own.
pub fn parse<T: DeserializeOwned>(text: &str, origin: &str) -> Result<T, YamlError> {
    if let Some(value) = fast_document(text)
        && let Some(parsed) = typed::from_value(&value)
    {
        return Ok(parsed);
    }
    parse_with_serde_saphyr(text, origin)
}

/// [`parse`] into a JSON value, without converting the fast reader's value.
pub fn parse_value(text: &str, origin: &str) -> Result<Value, YamlError> {
    match fast_document(text) {
        Some(value) => Ok(value),
        None => parse_with_serde_saphyr(text, origin),
    }
}

/// The one document of `text` as the fast reader reads it (`null` for an
/// empty text), or `None` when it declines or finds another number of documents.
fn fast_document(text: &str) -> Option<Value> {
    if text.trim().is_empty() {
        return Some(Value::Null);
    }
    fast::parse_document(text)
}

fn parse_with_serde_saphyr<T: DeserializeOwned>(text: &str, origin: &str) -> Result<T, YamlError> {
    if text.trim().is_empty() {
        return serde_saphyr::from_str_with_options("null", options(text))
            .map_err(|e| error(origin, &e));
    }
    serde_saphyr::from_str_with_options(text, options(text)).map_err(|e| error(origin, &e))
}

/// Parses a stream of `---`-separated documents; empty documents are dropped.
pub fn parse_all<T: DeserializeOwned>(text: &str, origin: &str) -> Result<Vec<T>, YamlError> {
    serde_saphyr::from_multiple_with_options(text, options(text)).map_err(|e| error(origin, &e))
}

/// Parses a stream of documents into JSON values, as [`parse_all`] does, but
/// fast for what templates render almost always: block and flow collections of
/// strings, plain words, small integers, booleans and nulls. Anything else in
/// the stream (anchors, tags, directives, floats, duplicate keys, a budget
/// passed, a syntax error...) sends the whole text through serde-saphyr, so the
/// result, and every error, are serde-saphyr's.
/// Every document of `text` read as Helm (sigs.k8s.io/yaml over go-yaml v2) and
/// kubectl read them: YAML 1.1 scalars, so `0755` is the number 493 and `yes`,
/// `on`, `y` are booleans. For the manifests of Helm charts.
pub fn parse_documents_as_helm(text: &str, origin: &str) -> Result<Vec<Value>, YamlError> {
    let mut options = options(text);
    options.strict_booleans = false;
    options.legacy_octal_numbers = true;
    options.leading_zero_numbers_as_strings = false;
    serde_saphyr::from_multiple_with_options(text, options).map_err(|e| error(origin, &e))
}

pub fn parse_documents(text: &str, origin: &str) -> Result<Vec<Value>, YamlError> {
    match fast::parse_documents(text) {
        Some(documents) => Ok(documents),
        None => parse_all(text, origin),
    }
}

/// Writes one value as a YAML document (no leading `---`), ending in a newline.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, YamlError> {
    serde_saphyr::to_string_with_options(value, serializer_options()).map_err(|e| YamlError {
        origin: "<output>".into(),
        message: e.to_string(),
    })
}

/// Appends `value` as one YAML document, byte for byte what [`to_string`]
/// writes, but fast: serde-saphyr writes only what [`writer`] leaves to it
/// (long foldable strings, huge keys, very deep nesting).
pub fn write_value(out: &mut String, value: &Value) -> Result<(), YamlError> {
    write_fast_or(out, writer::write_document, value)
}

/// [`write_value`] for a mapping.
pub fn write_map(out: &mut String, map: &serde_json::Map<String, Value>) -> Result<(), YamlError> {
    write_fast_or(out, writer::write_mapping_document, map)
}

/// Appends `value` with `fast`, or, where it refuses, with serde-saphyr.
fn write_fast_or<T: Serialize>(
    out: &mut String,
    fast: fn(&mut String, &T) -> Result<(), writer::Unsupported>,
    value: &T,
) -> Result<(), YamlError> {
    let start = out.len();
    if fast(out, value).is_err() {
        out.truncate(start);
        out.push_str(&to_string(value)?);
    }
    Ok(())
}

/// [`write_value`] into a new string.
pub fn value_to_string(value: &Value) -> Result<String, YamlError> {
    let mut out = String::new();
    write_value(&mut out, value)?;
    Ok(out)
}

mod fast;
mod messages;
mod quoting;
#[cfg(test)]
mod test_rng;
mod typed;
mod writer;

fn error(origin: &str, err: &serde_saphyr::Error) -> YamlError {
    YamlError {
        origin: origin.to_string(),
        message: err.render_with_formatter(&messages::UserMessages),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn helm_manifests_are_read_with_yaml_1_1_scalars() {
        let docs = parse_documents_as_helm(
            "mode: 0755\nnot: '0755'\nflag: yes\nswitch: on\nword: NO_WAY\n---\nn: 012\n",
            "t",
        )
        .unwrap();
        assert_eq!(
            docs,
            [
                serde_json::json!({"mode": 493, "not": "0755", "flag": true, "switch": true, "word": "NO_WAY"}),
                serde_json::json!({"n": 10}),
            ]
        );
    }

    #[test]
    fn reads_yaml_1_2_scalars() {
        let v: Value = parse(
            "a: on\nb: NO\nc: y\nd: 0755\ne: true\nf: 010\ng: 1.5\nh: ~\n",
            "t",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"a": "on", "b": "NO", "c": "y", "d": "0755", "e": true, "f": "010", "g": 1.5, "h": null})
        );
    }

    #[test]
    fn writes_scalars_yaml_1_1_readers_agree_on() {
        let out = to_string(&json!({"country": "NO", "flag": "on", "y": "y", "n": 1, "b": false, "s": "0755", "e": ""})).unwrap();
        let back: Value = parse(&out, "t").unwrap();
        assert_eq!(back["country"], "NO");
        assert!(
            out.contains("country: \"NO\"") || out.contains("country: 'NO'"),
            "{out}"
        );
        assert!(
            out.contains("flag: \"on\"") || out.contains("flag: 'on'"),
            "{out}"
        );
        assert!(
            out.contains("s: \"0755\"") || out.contains("s: '0755'"),
            "{out}"
        );
        assert!(out.contains("b: false"), "{out}");
    }

    #[test]
    fn error_names_origin_and_line() {
        let err = parse::<Value>("a: 1\nb: [1, 2\nc: 3\n", "values.yaml").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("values.yaml: "), "{text}");
        assert!(text.contains("line"), "{text}");
    }

    /// Inputs for the fast reader: it must give serde-saphyr's result, or step aside.
    pub(super) const SHAPES: &[&str] = &[
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: {a: b, c: \"d\"}\ndata:\n  k: 'v'\n",
        "a: 1\n---\n---\nb: 2\n",
        "---\n# only a comment\n---\na: [1, -2, 0, x, \"y\", true, False, NULL, ~, null, '']\n",
        "a: on\nb: NO\nc: y\nd: 0755\ne: 010\nf: 1.5\ng: -0\nh: 1e3\ni: .inf\nj: inf\nk: NaN\nl: 0x1F\nm: 0o17\nn: +1\n",
        "a: 99999999999999999999\nb: -9223372036854775808\nc: 18446744073709551615\nd: 1_000\ne: 123456789012345678\n",
        "a: |\n  line one\n  line two\nb: >-\n  folded\n  text\nc: \"esc\\taped \\u00e9\"\n",
        "a: &x {b: 1}\nc: *x\n",
        "a: !!str 1\nb: !custom x\n",
        "<<: {a: 1}\nb: 2\n",
        "a: 1\na: 2\n",
        "1: one\ntrue: t\nnull: n\n? [complex]\n: key\n",
        "%YAML 1.1\n---\na: yes\n",
        "just a string\n",
        "- a\n- b: c\n  d: [e, {f: g}]\n",
        "a: [1, 2\nb: 3\n",
        "a:\n  - b\n c: d\n",
        "a: b: c\n",
        "{}\n---\n[]\n---\nx: {}\ny: []\n",
        "a: 'it''s'\nb: \"multi\n  line\"\nc: plain\n  continued\n",
        "key with spaces: value with: colon\nurl: http://example.com/a#b\n",
        "cpu: 100m\nmem: 128Mi\nv: 1.0.0\nip: 10.0.0.1/8\nsha: 3a5f09e1\np: /healthz\nt: 12:30\n",
        "a: 1e5\nb: 1_000\nc: 0x1F\nd: 1.5e3\ne: 2e\nf: 1.\ng: 0b11\nh: 1.5.\ni: 9e9e9\n",
        "a: \u{e9}t\u{e9}\nb: 9\u{e9}\nc: 0\u{e9}\nd: _x\ne: $x\nf: '@x'\ng: Infinity\nh: -x\n",
    ];

    #[test]
    fn the_fast_reader_agrees_with_serde_saphyr_or_steps_aside() {
        let mut fast_taken = 0;
        for text in SHAPES {
            let slow = parse_all::<Value>(text, "t");
            if let Some(fast) = fast::parse_documents(text) {
                fast_taken += 1;
                assert_eq!(Ok(&fast), slow.as_ref().map_err(|e| &e.message), "{text}");
            }
            let through = parse_documents(text, "t");
            assert_eq!(
                through.map_err(|e| e.to_string()),
                slow.map_err(|e| e.to_string()),
                "{text}"
            );
        }
        assert!(fast_taken >= 7, "{fast_taken}");
    }

    #[test]
    fn the_fast_reader_agrees_on_every_yaml_file_of_the_repository() {
        fn walk(dir: &std::path::Path, files: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, files);
                } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    files.push(path);
                }
            }
        }
        let mut files = Vec::new();
        for dir in ["fixtures", "charts", "schemas"] {
            walk(
                &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir),
                &mut files,
            );
        }
        let mut fast_taken = 0;
        for file in &files {
            let Ok(text) = std::fs::read_to_string(file) else {
                continue;
            };
            if let Some(fast) = fast::parse_documents(&text) {
                fast_taken += 1;
                let slow = parse_all::<Value>(&text, "t").map_err(|e| e.message);
                assert_eq!(Ok(fast), slow, "{}", file.display());
            }
        }
        assert!(
            fast_taken > files.len() / 4,
            "{fast_taken} of {}",
            files.len()
        );
    }

    use super::test_rng::Rng;

    /// Scalars as written after `key: ` or `- ` that the fast reader should take.
    const SCALARS: &[&str] = &[
        "x",
        "plain words",
        "on",
        "NO",
        "y",
        "0755",
        "010",
        "~",
        "null",
        "",
        "True",
        "FALSE",
        "0",
        "8080",
        "-12",
        "100m",
        "128Mi",
        "v1.2.3",
        "10.0.0.1/8",
        "''",
        "\"\"",
        "\"a\\\"b\"",
        "'it''s'",
        "'#'",
        "a #b",
        "a#b",
        "http://x/a#b",
        "\"a: b\"",
        "x:y",
        "\u{e9}t\u{e9}",
        "\"\\u00e9\\t\\n\\\\ \\/\"",
        "x  ",
        "x # comment",
        "[]",
        "{}",
        "[1, x, \"y\", 'z']",
        "{a: b, c: \"d\"}",
        "{a: [1, {b: c}], d: {}}",
        "[a, [b, []]]",
        "--port=8080",
        "-x1",
        "+x",
        "\"{{ .Values }}\"",
        "\u{e9} #\u{e9}",
        "\"\\x41\"",
    ];

    /// Scalars the fast reader may well leave to serde-saphyr, or that are errors.
    const ODD_SCALARS: &[&str] = &[
        "1e3",
        ".inf",
        "-0",
        "1.5",
        "-Inf",
        "--1",
        "+.5",
        "-nan",
        "99999999999999999999",
        "0x1F",
        "+1",
        "Infinity",
        "<<",
        "a: b",
        "\"\\N\"",
        "{a: b,}",
        "[a, ]",
        "{a:b}",
        "[a: b]",
        "&a x",
        "*a",
        "!!str x",
        "- x",
        ":x",
        "-x",
        "?x",
        "? x",
        "@x",
        "`x`",
        "%x",
        "a\tb",
        "'unclosed",
        "\"unclosed",
        "a: \"b\"",
        "\"a\" b",
        "'a'#c",
        "\u{2028}",
    ];

    const KEYS: &[&str] = &[
        "a",
        "b",
        "name",
        "app.kubernetes.io/name",
        "key with spaces",
        "\"quoted key\"",
        "'single'",
        "\"\"",
        "1",
        "true",
        "null",
        "<<",
        "~",
        "a#b",
        "x:y",
        "\u{e9}",
        "-k",
        "k ",
        "\"a\\nb\"",
    ];

    const BLOCK_LINES: &[&str] = &[
        "line",
        "two words",
        "",
        "",
        "  more indented",
        "   ",
        "# not a comment",
        "x: y",
        "\ttab",
        "- item",
        "\u{e9}",
        "end  ",
    ];

    fn indent(out: &mut String, n: usize) {
        out.extend(std::iter::repeat_n(' ', n));
    }

    /// Lines that may sit between entries: blank ones, comments, trailing spaces.
    fn filler(rng: &mut Rng, out: &mut String, at: usize) {
        match rng.below(12) {
            0 => out.push('\n'),
            1 => {
                indent(out, at);
                out.push_str("# a comment\n");
            }
            2 => out.push_str("    \n"),
            3 => out.push_str("# top comment\n"),
            _ => {}
        }
    }

    /// A block scalar's header and lines, for a value in a collection at `at`.
    fn block_scalar(rng: &mut Rng, out: &mut String, at: usize) {
        out.push_str(rng.pick(&["|", ">"]));
        let step = 1 + rng.below(3);
        let indicator = rng.chance(30);
        let chomp = rng.pick(&["", "-", "+"]);
        if indicator && rng.chance(50) {
            out.push_str(&step.to_string());
            out.push_str(chomp);
        } else {
            out.push_str(chomp);
            if indicator {
                out.push_str(&step.to_string());
            }
        }
        if rng.chance(10) {
            out.push_str(" # header comment");
        }
        out.push('\n');
        for _ in 0..1 + rng.below(5) {
            let line = rng.pick(BLOCK_LINES);
            if !line.is_empty() || rng.chance(50) {
                indent(out, at + step);
            }
            out.push_str(line);
            out.push('\n');
        }
        for _ in 0..rng.below(3) {
            out.push('\n');
        }
    }

    /// A value after `key:` or `- `, its line not yet ended.
    fn value(rng: &mut Rng, out: &mut String, at: usize, depth: usize) {
        match rng.below(10) {
            0 | 1 if depth < 4 => {
                out.push_str(rng.pick(&["", " ", " # c"]));
                out.push('\n');
                let deeper = at + 1 + rng.below(4);
                if rng.chance(50) {
                    mapping(rng, out, deeper, depth + 1);
                } else {
                    let same = rng.chance(30);
                    sequence(rng, out, if same { at } else { deeper }, depth + 1);
                }
            }
            2 => {
                out.push(' ');
                block_scalar(rng, out, at);
            }
            3 => out.push_str(":\n"),
            _ => {
                out.push(' ');
                let scalars = if rng.chance(90) { SCALARS } else { ODD_SCALARS };
                out.push_str(rng.pick(scalars));
                out.push('\n');
            }
        }
    }

    fn mapping(rng: &mut Rng, out: &mut String, at: usize, depth: usize) {
        for entry in 0..1 + rng.below(4) {
            if entry > 0 {
                filler(rng, out, at);
                indent(out, at);
            } else if !out.ends_with("- ") {
                indent(out, at);
            }
            if rng.chance(80) {
                out.push_str(&format!("key{entry}"));
            } else {
                out.push_str(rng.pick(KEYS));
            }
            out.push(':');
            value(rng, out, at, depth);
        }
    }

    fn sequence(rng: &mut Rng, out: &mut String, at: usize, depth: usize) {
        for _ in 0..1 + rng.below(4) {
            filler(rng, out, at);
            indent(out, at);
            out.push('-');
            match rng.below(6) {
                0 if depth < 4 => {
                    out.push(' ');
                    mapping(rng, out, at + 2, depth + 1);
                }
                1 if depth < 4 => {
                    out.push(' ');
                    sequence_inline(rng, out, at + 2, depth + 1);
                }
                _ => value(rng, out, at, depth),
            }
        }
    }

    /// A sequence whose first entry follows a `- ` on the same line.
    fn sequence_inline(rng: &mut Rng, out: &mut String, at: usize, depth: usize) {
        out.push_str("- x\n");
        if rng.chance(50) {
            indent(out, at);
            out.push('-');
            value(rng, out, at, depth);
        }
    }

    /// A stream of generated documents.
    fn stream(rng: &mut Rng) -> String {
        let mut out = String::new();
        for document in 0..1 + rng.below(3) {
            if document > 0 || rng.chance(50) {
                out.push_str(rng.pick(&["---\n", "---\n# Source: t.yaml\n", "--- # c\n"]));
            }
            if rng.chance(70) {
                mapping(rng, &mut out, 0, 0);
            } else {
                sequence(rng, &mut out, 0, 0);
            }
            if rng.chance(5) {
                out.push_str("...\n");
            }
        }
        out
    }

    /// Breaks the text a little: a character dropped, inserted or replaced,
    /// or the last line break dropped.
    fn mutate(rng: &mut Rng, text: &mut String) {
        let mut at = rng.below(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let inserted = [
            "\n", " ", "  ", ":", "#", "-", "\t", "\"", "'", "\u{e9}", "|", "[", "\r\n",
        ];
        match rng.below(4) {
            0 => {
                if let Some(c) = text[at..].chars().next() {
                    text.replace_range(at..at + c.len_utf8(), "");
                }
            }
            1 => text.insert_str(at, rng.pick(&inserted)),
            2 => {
                text.pop();
            }
            _ => {
                if let Some(c) = text[at..].chars().next() {
                    text.replace_range(at..at + c.len_utf8(), rng.pick(&inserted));
                }
            }
        }
    }

    /// The fast reader against serde-saphyr: equal whenever it answers, and the
    /// public readers always equal serde-saphyr, result or error.
    fn check(text: &str) -> bool {
        let slow = parse_all::<Value>(text, "t").map_err(|e| e.to_string());
        let fast = fast::parse_documents(text);
        if let Some(fast) = &fast {
            assert_eq!(Ok(fast), slow.as_ref(), "{text:?}");
        }
        let through = parse_documents(text, "t").map_err(|e| e.to_string());
        assert_eq!(through, slow, "{text:?}");
        let single = parse::<Value>(text, "t").map_err(|e| e.to_string());
        let single_slow = parse_with_serde_saphyr::<Value>(text, "t").map_err(|e| e.to_string());
        assert_eq!(single, single_slow, "{text:?}");
        fast.is_some()
    }

    #[test]
    fn the_fast_reader_agrees_with_serde_saphyr_on_generated_yaml() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut taken, mut total, mut mutated_taken) = (0, 0, 0);
        for _ in 0..5000 {
            let mut text = stream(&mut rng);
            taken += usize::from(check(&text));
            total += 1;
            for _ in 0..1 + rng.below(3) {
                mutate(&mut rng, &mut text);
            }
            mutated_taken += usize::from(check(&text));
        }
        eprintln!("generated: {taken} of {total} fast, mutated: {mutated_taken}");
        assert!(taken * 5 > total, "fast path taken for {taken} of {total}");
    }

    #[test]
    fn the_fast_reader_takes_rendered_manifests_and_values() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/yaml");
        for name in [
            "objects-rendered.yaml",
            "umbrella-rendered.yaml",
            "chart-values.yaml",
            "raw-template-output.yaml",
        ] {
            let text = std::fs::read_to_string(dir.join(name)).unwrap();
            assert!(check(&text), "{name} went to serde-saphyr");
        }
    }

    #[test]
    fn single_documents_read_as_serde_saphyr_reads_them() {
        let texts = [
            "",
            "  \n",
            "# only a comment\n",
            "---\n",
            "a: 1\n---\n",
            "---\na: 1\n...\n",
            "a: 1\n---\nb: 2\n",
            "- a\n",
            "x\n",
            "a: [1, 2\n",
            "name: x\nversion: 1.0.0\n",
        ];
        for text in texts {
            check(text);
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut charts = 0;
        for dir in ["fixtures", "charts"] {
            let mut pending = vec![root.join(dir)];
            while let Some(dir) = pending.pop() {
                for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                    let path = entry.path();
                    if path.is_dir() {
                        pending.push(path);
                    } else if path.file_name().is_some_and(|n| n == "Chart.yaml") {
                        let text = std::fs::read_to_string(&path).unwrap();
                        let fast = parse::<crate::chart::metadata::Metadata>(&text, "c");
                        let slow =
                            parse_with_serde_saphyr::<crate::chart::metadata::Metadata>(&text, "c");
                        assert_eq!(
                            fast.map_err(|e| e.to_string()),
                            slow.map_err(|e| e.to_string()),
                            "{}",
                            path.display()
                        );
                        charts += 1;
                    }
                }
            }
        }
        assert!(charts > 0);
    }

    /// What a values file sets: words, numbers, quantities, quoted strings, flow collections.
    const SETTINGS: &[&str] = &[
        "info",
        "debug",
        "llama-3-8b",
        "true",
        "8080",
        "128Mi",
        "\"1.0\"",
        "'it''s'",
        "[a, b]",
        "{k: v}",
        "~",
    ];

    /// `count` apps as the benchmark's values files list them (`apps:` of objects-1000), each
    /// with settings drawn from [`SETTINGS`].
    fn values_with_apps(rng: &mut Rng, count: usize) -> String {
        let mut out = String::from(
            "image:\n  repository: ghcr.io/example/server\n  tag: \"1.0.0\"\nresources:\n  \
             requests: {cpu: 100m, memory: 128Mi}\n  limits: {cpu: 500m, memory: 256Mi}\napps:\n",
        );
        for i in 0..count {
            out.push_str(&format!(
                "  - name: app-{i}\n    replicas: {}\n    port: {}\n    settings:\n      \
                 log_level: {}\n      model: {}\n      workers: {}\n",
                1 + i % 3,
                8000 + i,
                rng.pick(SETTINGS),
                rng.pick(SETTINGS),
                rng.below(64),
            ));
        }
        out
    }

    /// The benchmark's inputs at full size, generated from the excerpts in `fixtures/yaml`
    /// (1000 objects, an umbrella of 100 subcharts, a values file of 1000 apps): the fast reader
    /// takes each whole and reads what serde-saphyr reads. How fast it reads them is measured
    /// by `bench/render`, where reading the rendered output is part of `ketch template`.
    #[test]
    fn the_fast_reader_takes_benchmark_sized_inputs() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/yaml");
        let mut rng = Rng(0x0b1e_c751_0000);
        let mut inputs = Vec::new();
        for (name, copies) in [
            ("objects-rendered.yaml", 125),
            ("umbrella-rendered.yaml", 50),
        ] {
            let excerpt = std::fs::read_to_string(dir.join(name)).unwrap();
            let documents = excerpt.matches("\n---\n").count() + 1;
            // Each copy names its objects apart, as the full render does.
            let text: String = (0..copies)
                .map(|copy| excerpt.replace("bench-", &format!("bench-{copy}-")))
                .collect();
            inputs.push((name.to_string(), text, copies * documents));
        }
        inputs.push((
            "values of 1000 apps".into(),
            values_with_apps(&mut rng, 1000),
            1,
        ));
        for (name, text, documents) in inputs {
            let fast = fast::parse_documents(&text)
                .unwrap_or_else(|| panic!("{name} ({} bytes) went to serde-saphyr", text.len()));
            assert_eq!(fast.len(), documents, "{name}");
            let slow = parse_all::<Value>(&text, "t").map_err(|e| e.message);
            assert!(Ok(&fast) == slow.as_ref(), "{name}: the readers differ");
        }
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            doc.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
        }
        assert!(parse::<Value>(&doc, "bomb.yaml").is_err());
    }
}
