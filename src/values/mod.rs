//! Values: reading `-f` files and `--set` flags, merging them over chart
//! defaults with Helm's precedence, scoping them to subcharts, and validating
//! them against each chart's `values.schema.json`.
//!
//! The flow is `ValueOptions::merge_values` (user sources, in Helm's order)
//! -> `resolve` (dependency conditions, tags, aliases, import-values, defaults
//! and globals coalesced per subchart) -> `schema::validate`.
//!
//! Where ketch differs from Helm, on purpose:
//! - a ketch (Jinja) chart's own top-level `null` defaults stay (Helm v4, and
//!   ketch for Helm charts, drop them); a user's `null` removes a default under
//!   it and is kept as `null` where there is none, as in Helm;
//! - a user's `null` under `global` is removed once it has reached every
//!   subchart (Helm keeps it where no default sits under it);
//! - in a ketch chart, a declared dependency matches a subchart by name only
//!   (version ranges are `dependency build`'s business; a Helm chart's
//!   declaration needs a version its range allows, as in Helm), and two
//!   instances with one name are an error; a dependency switched off by its
//!   condition or tags may be missing from `charts/` (Helm requires it);
//! - conditions and tags are evaluated at every level, also below a chart
//!   that declares no dependencies (Helm stops there);
//! - a schema's `$ref` reaches only JSON files inside the same chart: no
//!   network, no files of the host.

pub mod merge;
pub mod options;
pub mod schema;
pub mod scope;
pub mod strvals;

pub use merge::{Nulls, coalesce, merge_into, strip_nulls};
pub use options::{UserValues, ValueOptions, ValueSource};
pub use schema::{SchemaViolation, validate};
pub use scope::resolve;
pub use strvals::{SetError, SetKind};

use serde_json::Value;

/// A values tree: a YAML/JSON mapping, order preserved.
pub type Values = serde_json::Map<String, serde_json::Value>;

/// The key whose contents flow down to every subchart.
pub const GLOBAL_KEY: &str = "global";

/// The largest values file (`-f`, stdin, `--set-file`) ketch reads.
pub const MAX_VALUES_FILE: u64 = 64 * 1024 * 1024;

/// What went wrong while reading, merging, scoping or validating values.
#[derive(Debug, thiserror::Error)]
pub enum ValuesError {
    #[error(
        "values file {path}: larger than the {} MiB a values file may hold; refusing to read it \
         (is it the right file? /dev/zero and the like never end)",
        MAX_VALUES_FILE >> 20
    )]
    TooLarge { path: String },
    #[error("cannot read values file {path}: {source}")]
    ReadFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Bad YAML in a values file; the message names the file, line and column.
    #[error("values file {0}")]
    Yaml(#[from] crate::yaml::YamlError),
    #[error(
        "values file {path}: the top level must be a mapping of keys to values, found {found}{line}; \
         write it as `key: value` lines",
        line = line.map(|l| format!(" at line {l}")).unwrap_or_default()
    )]
    NotAMapping {
        path: String,
        found: &'static str,
        line: Option<usize>,
    },
    /// A malformed `--set*` expression; `position` counts characters from 1.
    #[error("{flag} {expression:?}: {message} (at character {position})")]
    Set {
        flag: &'static str,
        expression: String,
        position: usize,
        message: String,
    },
    #[error(
        "chart {chart} declares dependency {dependency:?} in Chart.yaml, but there is no chart named \
         {dependency:?} in its charts/ folder; run `ketch dependency build` to fetch it"
    )]
    MissingDependency { chart: String, dependency: String },
    #[error(
        "chart {chart} has two subcharts named {scope:?}; give one of the dependencies an `alias` in Chart.yaml"
    )]
    DuplicateScope { chart: String, scope: String },
    #[error(
        "the values for subchart {scope:?} of chart {chart} must be a mapping, found {found}; \
         fix or remove `{scope}` in your values"
    )]
    ScopeNotAMapping {
        chart: String,
        scope: String,
        found: &'static str,
    },
    #[error("values.schema.json of chart {chart} cannot be used: {message}")]
    BadSchema { chart: String, message: String },
    #[error("{}", schema::describe(.0))]
    Schema(Vec<SchemaViolation>),
}

/// A short name for a JSON value's type, for messages.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Follows `path` (map keys, or list indices in decimal) from `values`.
pub(crate) fn lookup<'v, S: AsRef<str>>(values: &'v Values, path: &[S]) -> Option<&'v Value> {
    let (first, rest) = path.split_first()?;
    let mut current = values.get(first.as_ref())?;
    for segment in rest {
        current = match current {
            Value::Object(map) => map.get(segment.as_ref())?,
            Value::Array(list) => list.get(segment.as_ref().parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// Splits a dotted values path (`a.b.c`, as in `condition` and `import-values`).
pub(crate) fn dotted(path: &str) -> Vec<&str> {
    path.split('.').collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lookup_walks_maps_and_lists() {
        let Value::Object(v) = json!({"a": {"b": [1, {"c": true}]}}) else {
            unreachable!()
        };
        assert_eq!(lookup(&v, &["a", "b", "1", "c"]), Some(&json!(true)));
        assert_eq!(lookup(&v, &["a", "b", "0"]), Some(&json!(1)));
        assert_eq!(lookup(&v, &["a", "b", "x"]), None);
        assert_eq!(lookup(&v, &["a", "z"]), None);
        assert_eq!(lookup::<&str>(&v, &[]), None);
    }
}
