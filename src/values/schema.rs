//! Validation of resolved values against each chart's `values.schema.json`:
//! the root chart with the whole tree, each subchart with its own scope, all
//! errors at once, each naming the chart, the values path, the reason and the
//! source that supplied the value. Schemas are compiled offline: a `$ref`
//! reaches only JSON files inside the same chart.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::options::UserValues;
use super::{GLOBAL_KEY, Values, ValuesError, kind_of, lookup};
use crate::chart::Chart;

/// Where relative `$ref`s of a chart's schema resolve: the chart's own files.
const SCHEMA_BASE: &str = "file:///chart/";

/// One value that breaks a chart's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// The chart whose schema failed, as a path of instance names from the
    /// top chart (`ml-stack/model-server`).
    pub chart: String,
    /// JSON Pointer of the value within that chart's own values (`/replicaCount`).
    pub pointer: String,
    /// The same value as the user would address it from the top chart, in
    /// `--set` syntax (`model-server.resources.limits.cpu`, `ports[0].name`).
    pub path: String,
    /// The validator's reason.
    pub message: String,
    /// The `-f` file or `--set*` flag that supplied the value, or the chart
    /// whose `values.yaml` did; `None` when no single source did (the value
    /// is missing, or was merged from several).
    pub source: Option<String>,
}

impl std::fmt::Display for SchemaViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() {
            "(top level)"
        } else {
            &self.path
        };
        write!(f, "chart {}: {path}: {}", self.chart, self.message)?;
        if let Some(source) = &self.source {
            write!(f, " (from {source})")?;
        }
        Ok(())
    }
}

pub(crate) fn describe(violations: &[SchemaViolation]) -> String {
    let mut text = format!(
        "the values do not match the charts' values.schema.json ({} {}):",
        violations.len(),
        if violations.len() == 1 {
            "error"
        } else {
            "errors"
        }
    );
    for violation in violations {
        text.push_str("\n  - ");
        text.push_str(&violation.to_string());
    }
    text.push_str("\nfix the values in the sources named above, or the chart's values.yaml");
    text
}

/// Validates `values` (from `resolve`) against the schema of `chart` and of
/// every subchart in its tree, each with its own scope of the values.
/// `user` names the sources of failing values; without it only chart
/// defaults are named.
pub fn validate(
    chart: &Chart,
    values: &Values,
    user: Option<&UserValues>,
) -> Result<(), ValuesError> {
    let mut walk = Walk {
        user,
        compiled: HashMap::new(),
        violations: Vec::new(),
    };
    walk.chart(&mut Vec::new(), chart, values)?;
    if walk.violations.is_empty() {
        Ok(())
    } else {
        Err(ValuesError::Schema(walk.violations))
    }
}

struct Walk<'a> {
    user: Option<&'a UserValues>,
    /// Each schema compiled once, even when one chart is used under several aliases.
    compiled: HashMap<(String, String), Arc<jsonschema::Validator>>,
    violations: Vec<SchemaViolation>,
}

impl<'a> Walk<'a> {
    /// `chain` holds the charts from the top down to (not including) `chart`.
    fn chart<'c>(
        &mut self,
        chain: &mut Vec<&'c Chart>,
        chart: &'c Chart,
        values: &Values,
    ) -> Result<(), ValuesError> {
        chain.push(chart);
        let name = chain.iter().map(|c| c.name()).collect::<Vec<_>>().join("/");
        if let Some(schema) = &chart.schema {
            let validator = self.compile(chart, &name, schema)?;
            let instance = Value::Object(values.clone());
            for error in validator.iter_errors(&instance) {
                let pointer = error.instance_path().as_str().to_string();
                let relative = decode_pointer(&pointer);
                self.violations.push(SchemaViolation {
                    chart: name.clone(),
                    path: display_path(chain, &relative, values),
                    source: self.source_of(chain, &relative),
                    message: describe_error(&error, schema),
                    pointer,
                });
            }
        }
        for sub in &chart.subcharts {
            match values.get(sub.name()) {
                None | Some(Value::Null) => {}
                Some(Value::Object(scope)) => self.chart(chain, sub, scope)?,
                Some(other) => self.violations.push(SchemaViolation {
                    chart: format!("{name}/{}", sub.name()),
                    pointer: String::new(),
                    path: scope_path(chain, sub.name()),
                    message: format!(
                        "the subchart's values must be a mapping, found {}",
                        kind_of(other)
                    ),
                    source: None,
                }),
            }
        }
        chain.pop();
        Ok(())
    }

    fn compile(
        &mut self,
        chart: &Chart,
        name: &str,
        schema: &Value,
    ) -> Result<Arc<jsonschema::Validator>, ValuesError> {
        let key = (chart.origin.clone(), schema.to_string());
        if let Some(validator) = self.compiled.get(&key) {
            return Ok(Arc::clone(validator));
        }
        let files = ChartFiles {
            chart: name.to_string(),
            files: chart
                .files
                .iter()
                .filter(|f| f.path.ends_with(".json"))
                .map(|f| (f.path.clone(), f.data.to_vec()))
                .collect(),
        };
        let validator = jsonschema::options()
            .with_base_uri(format!("{SCHEMA_BASE}values.schema.json"))
            .with_retriever(files)
            .build(schema)
            .map_err(|e| ValuesError::BadSchema {
                chart: name.to_string(),
                message: e.to_string(),
            })?;
        let validator = Arc::new(validator);
        self.compiled.insert(key, Arc::clone(&validator));
        Ok(validator)
    }

    /// Which source supplied the value at `relative` in the scope of the
    /// last chart of `chain`: the user's last source that sets it, else the
    /// highest chart on the way down whose values.yaml sets it.
    fn source_of(&self, chain: &[&Chart], relative: &[String]) -> Option<String> {
        if relative.is_empty() {
            return None;
        }
        let scopes: Vec<&str> = chain.iter().skip(1).map(|c| c.name()).collect();
        let full: Vec<&str> = scopes
            .iter()
            .copied()
            .chain(relative.iter().map(String::as_str))
            .collect();
        // Globals come from the top: the parent's `global` wins over a subchart's.
        let is_global = relative[0] == GLOBAL_KEY;
        if let Some(user) = self.user {
            if is_global && let Some(source) = user.source_of(relative) {
                return Some(source.to_string());
            }
            if let Some(source) = user.source_of(&full) {
                return Some(source.to_string());
            }
        }
        if is_global {
            return chain
                .iter()
                .find(|c| lookup(&c.values, relative).is_some())
                .map(|c| format!("values.yaml of chart {}", c.name()));
        }
        chain.iter().enumerate().find_map(|(depth, c)| {
            lookup(&c.values, &full[depth..])
                .filter(|v| !v.is_null())
                .map(|_| format!("values.yaml of chart {}", c.name()))
        })
    }
}

/// Resolves a chart schema's `$ref`s to JSON files of the same chart, and nothing else.
struct ChartFiles {
    chart: String,
    files: Vec<(String, Vec<u8>)>,
}

impl jsonschema::Retrieve for ChartFiles {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let wanted = uri.as_str();
        let Some(path) = wanted.strip_prefix(SCHEMA_BASE) else {
            return Err(format!(
                "$ref {wanted:?} points outside chart {}; ketch resolves only JSON files inside the chart, offline",
                self.chart
            )
            .into());
        };
        let path = path.split('#').next().unwrap_or(path);
        let Some((_, data)) = self.files.iter().find(|(p, _)| p == path) else {
            return Err(format!("$ref {path:?}: chart {} has no such file", self.chart).into());
        };
        Ok(serde_json::from_slice(data)?)
    }
}

/// The segments of a JSON Pointer (`/a~1b/0` -> `a/b`, `0`).
fn decode_pointer(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// `relative` (inside the last chart of `chain`) as the user addresses it
/// from the top chart, in `--set` syntax.
fn display_path(chain: &[&Chart], relative: &[String], scope: &Values) -> String {
    let mut text = chain
        .iter()
        .skip(1)
        .map(|c| escape_key(c.name()))
        .collect::<Vec<_>>()
        .join(".");
    let mut current: Option<&Value> = None;
    for (i, segment) in relative.iter().enumerate() {
        let in_list = matches!(current, Some(Value::Array(_)));
        if in_list {
            text.push_str(&format!("[{segment}]"));
        } else {
            if !text.is_empty() {
                text.push('.');
            }
            text.push_str(&escape_key(segment));
        }
        current = match (i, current) {
            (0, _) => scope.get(segment),
            (_, Some(Value::Object(map))) => map.get(segment),
            (_, Some(Value::Array(list))) => {
                segment.parse::<usize>().ok().and_then(|i| list.get(i))
            }
            _ => None,
        };
    }
    text
}

fn scope_path(chain: &[&Chart], sub: &str) -> String {
    chain
        .iter()
        .skip(1)
        .map(|c| c.name())
        .chain([sub])
        .map(escape_key)
        .collect::<Vec<_>>()
        .join(".")
}

/// A key as `--set` needs it written: `.`, `[`, `,`, `=` and `\` escaped.
fn escape_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for c in key.chars() {
        if matches!(c, '.' | '[' | ',' | '=' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// jsonschema's message, except where it reads poorly for a values file:
/// `not: {const: latest}` says "must not be "latest"" instead of echoing the schema.
/// The schema's own `description` of the failing value is added as a hint.
fn describe_error(error: &jsonschema::ValidationError<'_>, schema: &Value) -> String {
    let message = match error.kind() {
        jsonschema::error::ValidationErrorKind::Not { schema } => match schema.get("const") {
            Some(forbidden) => format!("must not be {forbidden}"),
            None => format!("must not match the schema {schema}"),
        },
        _ => error.to_string(),
    };
    let location = error.schema_path().as_str();
    let described = location
        .rsplit_once('/')
        .and_then(|(parent, _)| schema.pointer(parent))
        .and_then(|node| node.get("description"))
        .and_then(Value::as_str);
    match described {
        Some(description) => format!("{message} (expected: {description})"),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_decode() {
        assert_eq!(decode_pointer(""), Vec::<String>::new());
        assert_eq!(decode_pointer("/a~1b/0/c~0d"), vec!["a/b", "0", "c~d"]);
    }

    #[test]
    fn paths_display_in_set_syntax() {
        let scope = json!({"ports": [{"name": 1}], "annotations": {"a.io/x": 1}});
        let Value::Object(scope) = scope else {
            unreachable!()
        };
        let segs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            display_path(&[], &segs(&["ports", "0", "name"]), &scope),
            "ports[0].name"
        );
        assert_eq!(
            display_path(&[], &segs(&["annotations", "a.io/x"]), &scope),
            "annotations.a\\.io/x"
        );
    }
}
