//! Whether a live object still holds what ketch applied: every field the
//! desired object sets has the same value live. Fields the server or other
//! managers add are not drift. A false "drifted" (a quantity the server
//! normalised, `1000m` read back as `1`) only costs one idempotent apply.

use base64::Engine;
use serde_json::{Map, Value};

/// `true` when every field of `desired` is present in `live` with an equal value.
pub fn holds(live: &Value, desired: &Map<String, Value>) -> bool {
    let desired = normalise_secret(desired);
    contains(live, &Value::Object(desired))
}

fn contains(live: &Value, desired: &Value) -> bool {
    match (live, desired) {
        (Value::Object(live), Value::Object(desired)) => {
            desired.iter().all(|(k, d)| match live.get(k) {
                Some(l) => contains(l, d),
                // The server drops empty and null fields, and zero values it omits.
                None => is_empty(d) || is_zero(d),
            })
        }
        (Value::Array(live), Value::Array(desired)) => {
            live.len() == desired.len() && live.iter().zip(desired).all(|(l, d)| contains(l, d))
        }
        (Value::Number(l), Value::Number(d)) => l.as_f64() == d.as_f64(),
        (l, d) => l == d || (l.is_null() && is_empty(d)),
    }
}

/// `""`, `false` and `0`: what Go's `omitempty` leaves out of the object the server returns.
fn is_zero(value: &Value) -> bool {
    match value {
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        _ => false,
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(m) => m.values().all(is_empty),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// A Secret's `stringData` reads back as base64 `data`.
fn normalise_secret(desired: &Map<String, Value>) -> Map<String, Value> {
    let mut out = desired.clone();
    let is_secret = desired.get("kind").and_then(Value::as_str) == Some("Secret")
        && desired.get("apiVersion").and_then(Value::as_str) == Some("v1");
    if !is_secret {
        return out;
    }
    if let Some(Value::Object(string_data)) = out.remove("stringData") {
        let data = out
            .entry("data")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(data) = data {
            for (k, v) in string_data {
                let text = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                data.insert(
                    k,
                    Value::String(base64::engine::general_purpose::STANDARD.encode(text)),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn server_defaults_are_not_drift() {
        let desired = map(json!({"spec": {"replicas": 2, "ports": [{"port": 80}], "empty": {}}}));
        let live =
            json!({"spec": {"replicas": 2, "ports": [{"port": 80, "protocol": "TCP"}], "x": 1}});
        assert!(holds(&live, &desired));
    }

    #[test]
    fn edited_and_removed_fields_are_drift() {
        let desired = map(json!({"spec": {"replicas": 2, "ports": [{"port": 80}]}}));
        assert!(!holds(
            &json!({"spec": {"replicas": 5, "ports": [{"port": 80}]}}),
            &desired
        ));
        assert!(!holds(&json!({"spec": {"replicas": 2}}), &desired));
        assert!(!holds(
            &json!({"spec": {"replicas": 2, "ports": []}}),
            &desired
        ));
    }

    #[test]
    fn secret_string_data_compares_as_data() {
        let desired = map(json!({"apiVersion": "v1", "kind": "Secret", "stringData": {"k": "v"}}));
        let live = json!({"apiVersion": "v1", "kind": "Secret", "data": {"k": "dg=="}});
        assert!(holds(&live, &desired));
        let changed = json!({"apiVersion": "v1", "kind": "Secret", "data": {"k": "dw=="}});
        assert!(!holds(&changed, &desired));
    }
}
