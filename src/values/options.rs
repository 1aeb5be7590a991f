//! The user's values sources: `-f` files and `--set*` flags, read and merged
//! in Helm's order, each kept apart too so a schema error can name the source
//! that supplied a failing value.

use std::io::Read;

use serde_json::Value;

use super::merge::merge_into;
use super::strvals::{self, SetKind};
use super::{MAX_VALUES_FILE, Values, ValuesError, kind_of, lookup};

/// The values flags of `install`, `upgrade`, `template`, ...: `-f` files and
/// `--set*` expressions, each in the order given.
#[derive(Debug, Clone, Default)]
pub struct ValueOptions {
    /// `-f/--values`: YAML files, `-` for standard input.
    pub value_files: Vec<String>,
    /// `--set a.b=c,d[0]=e`
    pub set: Vec<String>,
    /// `--set-string a=007`
    pub set_string: Vec<String>,
    /// `--set-file a=path/to/file`
    pub set_file: Vec<String>,
    /// `--set-json 'a={"b":1}'` or a whole JSON object `'{"a":1}'`
    pub set_json: Vec<String>,
    /// `--set-literal a=everything,after=the first equals`
    pub set_literal: Vec<String>,
}

/// One source of user values, parsed on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueSource {
    /// How the user named it: the file path (`<stdin>` for `-`) or the flag
    /// with its expression (`--set image.tag=2`).
    pub name: String,
    pub values: Values,
}

/// The user's values merged in Helm's order, and each source on its own.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserValues {
    pub values: Values,
    /// Sources in the order they were applied (later ones win).
    pub sources: Vec<ValueSource>,
}

impl UserValues {
    /// The last source that sets `path` (map keys and list indices) to
    /// something other than `null`.
    pub fn source_of<S: AsRef<str>>(&self, path: &[S]) -> Option<&str> {
        self.sources
            .iter()
            .rev()
            .find(|source| lookup(&source.values, path).is_some_and(|v| !v.is_null()))
            .map(|source| source.name.as_str())
    }
}

impl From<Values> for UserValues {
    fn from(values: Values) -> Self {
        UserValues {
            values,
            sources: Vec::new(),
        }
    }
}

impl ValueOptions {
    /// Reads the `-f` files in order (`-` reads `stdin`) and applies the
    /// flags in Helm's order: `--set-json`, `--set`, `--set-string`,
    /// `--set-file`, `--set-literal`. A `null` stays in the result: it
    /// removes the chart's default when the values are resolved.
    pub fn merge_values(&self, stdin: &mut dyn Read) -> Result<UserValues, ValuesError> {
        let mut user = UserValues::default();
        for path in &self.value_files {
            let (name, text) = read_values_file(path, stdin)?;
            let values = parse_values_file(&text, &name)?;
            merge_into(&mut user.values, values.clone());
            user.sources.push(ValueSource { name, values });
        }
        for expression in &self.set_json {
            let trimmed = expression.trim();
            if trimmed.starts_with('{') {
                // Helm 4: a whole JSON object merges like a values file.
                let object = whole_json_object(trimmed, expression)?;
                merge_into(&mut user.values, object.clone());
                user.sources
                    .push(flag_source(SetKind::Json, expression, object));
            } else {
                apply(&mut user, SetKind::Json, expression, stdin)?;
            }
        }
        for expression in &self.set {
            apply(&mut user, SetKind::Typed, expression, stdin)?;
        }
        for expression in &self.set_string {
            apply(&mut user, SetKind::String, expression, stdin)?;
        }
        for expression in &self.set_file {
            apply(&mut user, SetKind::File, expression, stdin)?;
        }
        for expression in &self.set_literal {
            apply(&mut user, SetKind::Literal, expression, stdin)?;
        }
        Ok(user)
    }
}

/// Parses one `--set*` expression into the merged tree (so list indices
/// change lists that earlier sources set) and on its own, for provenance.
fn apply(
    user: &mut UserValues,
    kind: SetKind,
    expression: &str,
    stdin: &mut dyn Read,
) -> Result<(), ValuesError> {
    let fail = |e: strvals::SetError| ValuesError::Set {
        flag: kind.flag(),
        expression: expression.to_string(),
        position: e.position,
        message: e.message,
    };
    let mut read = |path: &str| -> Result<String, String> {
        let text = if path == "-" {
            read_capped(&mut *stdin, "<stdin>")
        } else {
            let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
            read_capped(file, path)
        };
        text.map_err(|e| match e {
            ValuesError::ReadFile { source, .. } => source.to_string(),
            other => other.to_string(),
        })
    };
    strvals::parse_with_reader(expression, kind, &mut user.values, &mut read).map_err(fail)?;
    // Provenance needs only which keys the flag sets: do not read files twice.
    let mut own = Values::new();
    let mut placeholder = |_: &str| -> Result<String, String> { Ok(String::new()) };
    strvals::parse_with_reader(expression, kind, &mut own, &mut placeholder).map_err(fail)?;
    user.sources.push(flag_source(kind, expression, own));
    Ok(())
}

fn flag_source(kind: SetKind, expression: &str, values: Values) -> ValueSource {
    ValueSource {
        name: format!("{} {expression}", kind.flag()),
        values,
    }
}

fn read_values_file(path: &str, stdin: &mut dyn Read) -> Result<(String, String), ValuesError> {
    if path.trim() == "-" {
        let name = "<stdin>".to_string();
        let text = read_capped(stdin, &name)?;
        return Ok((name, text));
    }
    let file = std::fs::File::open(path).map_err(|source| ValuesError::ReadFile {
        path: path.to_string(),
        source,
    })?;
    Ok((path.to_string(), read_capped(file, path)?))
}

/// Reads at most [`MAX_VALUES_FILE`] bytes of text from `reader`, named `name` in errors.
fn read_capped(reader: impl Read, name: &str) -> Result<String, ValuesError> {
    let mut text = String::new();
    reader
        .take(MAX_VALUES_FILE + 1)
        .read_to_string(&mut text)
        .map_err(|source| ValuesError::ReadFile {
            path: name.to_string(),
            source,
        })?;
    if text.len() as u64 > MAX_VALUES_FILE {
        return Err(ValuesError::TooLarge {
            path: name.to_string(),
        });
    }
    Ok(text)
}

/// Parses a values file: a mapping at the top, or nothing at all.
pub fn parse_values_file(text: &str, name: &str) -> Result<Values, ValuesError> {
    match crate::yaml::parse_value(text, name)? {
        Value::Null => Ok(Values::new()),
        Value::Object(values) => Ok(values),
        other => Err(ValuesError::NotAMapping {
            path: name.to_string(),
            found: kind_of(&other),
            line: first_content_line(text),
        }),
    }
}

/// The line where the document's content starts (after comments and `---`).
fn first_content_line(text: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            let line = line.trim();
            !line.is_empty() && !line.starts_with('#') && line != "---" && !line.starts_with('%')
        })
        .map(|i| i + 1)
}

fn whole_json_object(trimmed: &str, expression: &str) -> Result<Values, ValuesError> {
    serde_json::from_str::<Values>(trimmed).map_err(|e| ValuesError::Set {
        flag: SetKind::Json.flag(),
        expression: expression.to_string(),
        position: e.column().max(1),
        message: format!("not a valid JSON object: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_file_is_no_values() {
        assert!(
            parse_values_file("# only a comment\n", "v.yaml")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn list_at_top_is_refused_with_file_and_line() {
        let err = parse_values_file("# header\n\n- a\n- b\n", "list.yaml").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("list.yaml"), "{text}");
        assert!(text.contains("found a list at line 3"), "{text}");
    }

    #[test]
    fn source_of_prefers_the_last_source() {
        let user = UserValues {
            values: Values::new(),
            sources: vec![
                ValueSource {
                    name: "a.yaml".into(),
                    values: json!({"x": {"y": 1}}).as_object().cloned().unwrap(),
                },
                ValueSource {
                    name: "--set x.y=2".into(),
                    values: json!({"x": {"y": 2}}).as_object().cloned().unwrap(),
                },
                ValueSource {
                    name: "b.yaml".into(),
                    values: json!({"x": {"z": 1}}).as_object().cloned().unwrap(),
                },
            ],
        };
        assert_eq!(user.source_of(&["x", "y"]), Some("--set x.y=2"));
        assert_eq!(user.source_of(&["x", "z"]), Some("b.yaml"));
        assert_eq!(user.source_of(&["x"]), Some("b.yaml"));
        assert_eq!(user.source_of(&["w"]), None);
    }
}
