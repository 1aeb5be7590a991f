use crate::probe;

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
        let got = probe::shown((f.body)(&c.args));
        if got != c.want {
            failures.push(format!(
                "{name} {}: got {got:?}, Go {:?}",
                c.line["a"], c.want
            ));
        }
    }
    probe::assert_agree(&failures, cases.len());
}
