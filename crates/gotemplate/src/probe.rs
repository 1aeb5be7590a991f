//! Test support: the cases Go answered (tests/goprobe-sprig), decoded to values.

use crate::value::Value;

/// One line of a `*_want.jsonl` file.
pub struct Case {
    pub line: serde_json::Value,
    pub args: Vec<Value>,
    pub want: String,
}

/// The cases of a probe answer file.
pub fn cases(jsonl: &str) -> Vec<Case> {
    jsonl
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let line: serde_json::Value = serde_json::from_str(l).expect("probe line is JSON");
            let args = line["a"]
                .as_array()
                .map(|a| a.iter().map(|s| arg(s.as_str().unwrap_or("n"))).collect())
                .unwrap_or_default();
            let want = line["want"].as_str().unwrap_or_default().to_string();
            Case { line, args, want }
        })
        .collect()
}

/// Decodes the probe's argument notation (see main.go).
pub fn arg(s: &str) -> Value {
    let (kind, text) = s.split_once(':').unwrap_or((s, ""));
    match kind {
        "s" => Value::string(text),
        "i" => Value::Int(text.parse().expect("int")),
        "I" => Value::Int64(text.parse().expect("int64")),
        "f" => Value::Float(text.parse().expect("float")),
        "b" => Value::Bool(text == "true"),
        "j" => Value::from_json(&serde_json::from_str(text).expect("json")),
        "t" => crate::sprig::date::parse_rfc3339(text).expect("time"),
        _ => Value::Nil,
    }
}

/// What the probe prints for a function's result: `TYPE:VALUE` or `ERR:message`.
pub fn shown(r: Result<Value, String>) -> String {
    match r {
        Ok(v) => format!("{}:{}", v.type_name(), crate::fmt::sprint_value(&v)),
        Err(e) => format!("ERR:{e}"),
    }
}

/// Fails with every case where ours differs from Go's answer.
pub fn assert_agree(failures: &[String], total: usize) {
    assert!(
        failures.is_empty(),
        "{} of {total} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
