//! Helm's serialization functions, byte-identical to Helm v4: `toYaml` (sigs.k8s.io/yaml over
//! go-yaml v2), `toJson` (encoding/json), Sprig's `toPrettyJson` and `toRawJson`, `toToml`
//! (BurntSushi/toml), and the readers `fromYaml`, `fromYamlArray`, `fromJson`, `fromJsonArray`.

mod json;
mod keys;
mod resolve;
mod yaml_out;

use crate::func::{FuncMap, Type};
use crate::value::Value;

/// Helm's `toYaml` text of `v`: sigs.k8s.io/yaml's `Marshal` without its final newline.
/// The error is the message `mustToYaml` reports.
pub fn to_yaml(v: &Value) -> Result<String, String> {
    let mut text = yaml_out::marshal(v)?;
    if text.ends_with('\n') {
        text.pop();
    }
    Ok(text)
}

/// `json.Marshal(v)`: Helm's `toJson`.
pub fn to_json(v: &Value) -> Result<String, String> {
    json::encode(v, json::MARSHAL)
}

/// `json.MarshalIndent(v, "", "  ")`: Sprig's `toPrettyJson`.
pub fn to_pretty_json(v: &Value) -> Result<String, String> {
    json::encode(v, json::PRETTY)
}

/// JSON without HTML escaping: Sprig's `toRawJson`.
pub fn to_raw_json(v: &Value) -> Result<String, String> {
    json::encode(v, json::RAW)
}

/// The serialization functions, with their Go signatures.
pub fn funcs() -> FuncMap {
    let mut f = FuncMap::new();
    const ANY: &[Type] = &[Type::Any];
    // Helm's toYaml and toJson swallow errors; the must variants report them.
    f.add("toYaml", ANY, None, |a| {
        Ok(to_yaml(&a[0]).unwrap_or_default().into())
    });
    f.add("mustToYaml", ANY, None, |a| to_yaml(&a[0]).map(Value::from));
    f.add("toJson", ANY, None, |a| {
        Ok(to_json(&a[0]).unwrap_or_default().into())
    });
    f.add("mustToJson", ANY, None, |a| to_json(&a[0]).map(Value::from));
    f.add("toPrettyJson", ANY, None, |a| {
        Ok(to_pretty_json(&a[0]).unwrap_or_default().into())
    });
    f.add("mustToPrettyJson", ANY, None, |a| {
        to_pretty_json(&a[0]).map(Value::from)
    });
    // Sprig's toRawJson panics on error, which the executor reports as the call's error.
    f.add("toRawJson", ANY, None, |a| {
        to_raw_json(&a[0]).map(Value::from)
    });
    f.add("mustToRawJson", ANY, None, |a| {
        to_raw_json(&a[0]).map(Value::from)
    });
    f
}

#[cfg(test)]
mod tests;
