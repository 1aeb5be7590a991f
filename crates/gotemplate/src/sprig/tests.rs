use crate::probe;
use crate::value::Value;

/// What the probe prints for a result: `TYPE:VALUE` or `ERR:message`.
fn shown(r: Result<Value, String>) -> String {
    match r {
        Ok(v) => format!("{}:{}", v.type_name(), crate::fmt::sprint_value(&v)),
        Err(e) => format!("ERR:{e}"),
    }
}

/// Expected strings come from Go + Sprig v3.3.0 (tests/goprobe-sprig, `sprig_want.jsonl`, `semver_want.jsonl`).
#[test]
fn functions_answer_as_sprig() {
    let funcs = super::funcs();
    let mut cases = probe::cases(include_str!("../../tests/goprobe-sprig/sprig_want.jsonl"));
    cases.extend(probe::cases(include_str!(
        "../../tests/goprobe-sprig/semver_want.jsonl"
    )));
    let mut failures = Vec::new();
    for c in &cases {
        let name = c.line["f"].as_str().unwrap_or_default();
        let Some(f) = funcs.get(name) else {
            failures.push(format!("{name}: missing"));
            continue;
        };
        let got = shown((f.body)(&c.args));
        if got != c.want {
            failures.push(format!(
                "{name} {}: got {got:?}, Go {:?}",
                c.line["a"], c.want
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
