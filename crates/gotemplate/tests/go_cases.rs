//! The differential table: every case of `cases.json` run through this crate and
//! compared with what Go's text/template printed for it (`expected.json`, written by
//! `goprobe/`: Go 1.26 text/template with Helm's engine setup and Sprig v3.3.0).
//! `go_probe_agrees` re-runs the probe when Go is installed.

use std::collections::BTreeMap;
use std::path::Path;

use gotemplate::{FuncMap, Limits, Templates, Type, Value};

fn is_empty(v: &Value) -> bool {
    !v.is_true()
}

fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        v => gotemplate::fmt::sprint_value(v),
    }
}

fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Float(f) => *f as i64,
        Value::String(s) => s.parse().unwrap_or(0),
        Value::Bool(b) => *b as i64,
        _ => 0,
    }
}

/// A few Sprig and Helm functions with their Go signatures, enough for the table.
fn funcs() -> FuncMap {
    let mut f = FuncMap::new();
    f.add("upper", &[Type::String], None, |a| {
        Ok(Value::string(a[0].as_str().unwrap_or("").to_uppercase()))
    });
    f.add("repeat", &[Type::Int, Type::String], None, |a| {
        let n = to_int64(&a[0]).max(0) as usize;
        Ok(Value::string(a[1].as_str().unwrap_or("").repeat(n)))
    });
    f.add("ternary", &[Type::Any, Type::Any, Type::Bool], None, |a| {
        Ok(if a[2].is_true() {
            a[0].clone()
        } else {
            a[1].clone()
        })
    });
    f.add("default", &[Type::Any], Some(Type::Any), |a| {
        Ok(match a.get(1) {
            Some(g) if !is_empty(g) => g.clone(),
            _ => a[0].clone(),
        })
    });
    f.add("quote", &[], Some(Type::Any), |a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !v.is_nil())
            .map(|v| gotemplate::lex::go_quote(&strval(v)))
            .collect();
        Ok(Value::string(parts.join(" ")))
    });
    f.add("list", &[], Some(Type::Any), |a| {
        Ok(Value::list(a.to_vec()))
    });
    f.add("dict", &[], Some(Type::Any), |a| {
        let mut m = BTreeMap::new();
        for pair in a.chunks(2) {
            let v = pair.get(1).cloned().unwrap_or(Value::string(""));
            m.insert(strval(&pair[0]), v);
        }
        Ok(Value::map(m))
    });
    f.add("fail", &[Type::String], None, |a| {
        Err(a[0].as_str().unwrap_or("").to_string())
    });
    f.add("required", &[Type::String, Type::Any], None, |a| {
        if a[1].is_nil() || a[1].as_str() == Some("") {
            return Err(a[0].as_str().unwrap_or("").to_string());
        }
        Ok(a[1].clone())
    });
    f.add("add", &[], Some(Type::Any), |a| {
        Ok(Value::Int64(a.iter().map(to_int64).sum()))
    });
    f.add("typeOf", &[Type::Any], None, |a| {
        Ok(Value::string(a[0].type_name()))
    });
    f
}

fn load(name: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn run_case(case: &serde_json::Value) -> Result<String, String> {
    let mut all = funcs();
    if WITH_HELM_FUNCS.contains(&case["name"].as_str().unwrap()) {
        all = gotemplate::helm::funcs();
    }
    let mut t = Templates::new(all);
    for f in case["files"].as_array().unwrap() {
        let name = f[0].as_str().unwrap();
        let text = f[1].as_str().unwrap();
        t.parse(name, text).map_err(|e| e.to_string())?;
    }
    let data = Value::from_json(&case["data"]);
    let limits = Limits {
        max_depth: 2000,
        ..Limits::default()
    };
    t.execute(case["exec"].as_str().unwrap(), &data, &limits)
        .map_err(|e| e.to_string())
}

/// Cases whose Go output we knowingly do not reproduce, with the reason.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

/// Cases that need Helm's whole function map (Sprig's dict functions; Sprig's `slice` replaces Go's builtin
/// in Helm's namespace (the probe has Sprig).
const WITH_HELM_FUNCS: &[&str] = &[
    "slice",
    "slice bad",
    "slice out",
    "nil map read by sprig",
    "nil map merged",
    "nil map unset",
    "nil map set",
];

fn compare(expected: &serde_json::Value) -> Vec<String> {
    let cases = load("cases.json");
    let mut failures = Vec::new();
    for (case, want) in cases
        .as_array()
        .unwrap()
        .iter()
        .zip(expected.as_array().unwrap())
    {
        let name = case["name"].as_str().unwrap();
        assert_eq!(
            want["name"].as_str(),
            Some(name),
            "expected.json is out of date"
        );
        if KNOWN_DIFFERENCES.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let got = run_case(case);
        let want_r = match (want.get("out"), want.get("err")) {
            (Some(o), _) => Ok(o.as_str().unwrap().to_string()),
            (_, Some(e)) => Err(e.as_str().unwrap().to_string()),
            _ => panic!("bad expected entry {name}"),
        };
        if got != want_r {
            failures.push(format!("{name}:\n   go: {want_r:?}\n  got: {got:?}"));
        }
    }
    failures
}

#[test]
fn matches_go() {
    let failures = compare(&load("expected.json"));
    assert!(
        failures.is_empty(),
        "{} cases differ from Go:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Re-runs the Go probe (when `go` is installed) and checks it still prints what
/// `expected.json` holds, so the table cannot drift from Go.
#[test]
fn go_probe_agrees() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/goprobe");
    let out = std::env::temp_dir().join(format!("goprobe-{}.json", std::process::id()));
    let status = std::process::Command::new("go")
        .args(["run", ".", out.to_str().unwrap()])
        .env("GOFLAGS", "-mod=mod")
        .current_dir(&dir)
        .status();
    match status {
        Ok(s) if s.success() => {}
        _ => {
            eprintln!("go not available: skipping the probe");
            return;
        }
    }
    let fresh: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let _ = std::fs::remove_file(&out);
    assert_eq!(
        fresh,
        load("expected.json"),
        "Go's output changed: rerun goprobe"
    );
}
