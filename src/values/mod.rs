//! Values: reading `-f` files and `--set` flags, merging them over chart
//! defaults with Helm's precedence, scoping them to subcharts, and validating
//! them against each chart's `values.schema.json`.

/// A values tree: a YAML/JSON mapping, order preserved.
pub type Values = serde_json::Map<String, serde_json::Value>;
