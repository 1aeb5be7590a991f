//! The one place that reads and writes YAML, with fixed rules: YAML 1.2 booleans
//! (`on`, `NO`, `y` stay strings), no silent octal (`0755` stays a string), and
//! budgets against alias bombs and deep nesting. Output quotes every scalar a
//! YAML 1.1 reader (Kubernetes) would misread.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Documents one YAML stream may hold: a large render yields thousands.
const MAX_DOCUMENTS: usize = 100_000;
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

fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_documents: MAX_DOCUMENTS,
            max_nodes: MAX_NODES,
            max_depth: MAX_DEPTH,
            max_events: MAX_NODES * 2,
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

/// Parses one YAML document. An empty document reads as `null`.
pub fn parse<T: DeserializeOwned>(text: &str, origin: &str) -> Result<T, YamlError> {
    if text.trim().is_empty() {
        return serde_saphyr::from_str_with_options("null", options())
            .map_err(|e| error(origin, &e));
    }
    serde_saphyr::from_str_with_options(text, options()).map_err(|e| error(origin, &e))
}

/// Parses a stream of `---`-separated documents; empty documents are dropped.
pub fn parse_all<T: DeserializeOwned>(text: &str, origin: &str) -> Result<Vec<T>, YamlError> {
    serde_saphyr::from_multiple_with_options(text, options()).map_err(|e| error(origin, &e))
}

/// Writes one value as a YAML document (no leading `---`), ending in a newline.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, YamlError> {
    serde_saphyr::to_string_with_options(value, serializer_options()).map_err(|e| YamlError {
        origin: "<output>".into(),
        message: e.to_string(),
    })
}

fn error(origin: &str, err: &serde_saphyr::Error) -> YamlError {
    YamlError {
        origin: origin.to_string(),
        message: err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

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
