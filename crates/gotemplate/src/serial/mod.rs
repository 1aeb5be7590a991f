//! Helm's serialization functions, byte-identical to Helm v4: `toYaml` (sigs.k8s.io/yaml over
//! go-yaml v2), `toJson` (encoding/json), Sprig's `toPrettyJson` and `toRawJson`, `toToml`
//! (BurntSushi/toml), Helm v4's `toYamlPretty` (yaml.v3), and the readers `fromYaml`, `fromYamlArray`, `fromJson`, `fromJsonArray`.

mod json;
mod json_in;
mod keys;
mod resolve;
mod toml_in;
mod toml_out;
mod yaml_in;
mod yaml_out;

pub use json_in::{from_json, from_json_array};
pub use yaml_in::{from_yaml, from_yaml_array};

use crate::func::{FuncMap, Type};
use crate::value::Value;

/// Helm's `toYaml` text of `v`: sigs.k8s.io/yaml's `Marshal` without its final newline.
/// The error is the message `mustToYaml` reports.
pub fn to_yaml(v: &Value) -> Result<String, String> {
    yaml_out::marshal(v).map(without_final_newline)
}

fn without_final_newline(mut text: String) -> String {
    if text.ends_with('\n') {
        text.pop();
    }
    text
}

/// Helm v4's `toYamlPretty` text of `v`: yaml.v3 with indentation 2, without the final
/// newline. Helm swallows the error.
pub fn to_yaml_pretty(v: &Value) -> Result<String, String> {
    yaml_out::marshal_v3(v).map(without_final_newline)
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

/// BurntSushi/toml's encoding of `v`: Helm's `mustToToml` (every failure is the error).
pub fn to_toml(v: &Value) -> Result<String, String> {
    toml_out::encode(v).map_err(|e| match e {
        toml_out::Failure::Encode(m) | toml_out::Failure::Panic(m) => m,
    })
}

/// Helm's `toToml` outcome: the text, or the error with whether it is a Go panic (which
/// fails the template) rather than an encoder error (which `toToml` returns as its text).
pub fn to_toml_result(v: &Value) -> Result<String, (String, bool)> {
    toml_out::encode(v).map_err(|e| match e {
        toml_out::Failure::Encode(m) => (m, false),
        toml_out::Failure::Panic(m) => (m, true),
    })
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
    f.add("toYamlPretty", ANY, None, |a| {
        Ok(to_yaml_pretty(&a[0]).unwrap_or_default().into())
    });
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
    f.add("fromToml", &[Type::String], None, |a| {
        Ok(toml_in::from_toml(a[0].as_str().unwrap_or_default()))
    });
    // Helm's toToml returns the encoder's error text as its result; a Go panic (nil)
    // still fails the template.
    f.add("toToml", ANY, None, |a| match to_toml_result(&a[0]) {
        Ok(s) | Err((s, false)) => Ok(s.into()),
        Err((m, true)) => Err(m),
    });
    f.add("mustToToml", ANY, None, |a| to_toml(&a[0]).map(Value::from));
    const S: &[Type] = &[Type::String];
    f.add("fromYaml", S, None, |a| {
        Ok(from_yaml(a[0].as_str().unwrap_or("")))
    });
    f.add("fromYamlArray", S, None, |a| {
        Ok(from_yaml_array(a[0].as_str().unwrap_or("")))
    });
    f.add("fromJson", S, None, |a| {
        Ok(from_json(a[0].as_str().unwrap_or("")))
    });
    f.add("fromJsonArray", S, None, |a| {
        Ok(from_json_array(a[0].as_str().unwrap_or("")))
    });
    // Sprig's: `json.Unmarshal` into `interface{}`, any JSON value, the error reported.
    f.add("mustFromJson", S, None, |a| {
        match json_in::read(a[0].as_str().unwrap_or(""))? {
            (v, None) => Ok(v),
            (_, Some(e)) => Err(e),
        }
    });
    f
}

#[cfg(test)]
mod tests;
