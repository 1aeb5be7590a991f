use super::*;
use crate::probe;

/// Expected strings come from Go's fmt (tests/goprobe-sprig, `fmt_want.jsonl`).
#[test]
fn sprintf_and_sprint_as_go() {
    let mut failures = Vec::new();
    let cases = probe::cases(include_str!("../../tests/goprobe-sprig/fmt_want.jsonl"));
    for c in &cases {
        let got = if let Some(format) = c.line["fmt"].as_str() {
            sprintf(format, &c.args)
        } else {
            sprint(&c.args)
        };
        let got = got.unwrap_or_else(|e| format!("ERR:{e}"));
        if got != c.want {
            failures.push(format!("{}: got {got:?}, Go {:?}", c.line, c.want));
        }
    }
    probe::assert_agree(&failures, cases.len());
}

#[test]
fn sprintln_spaces_every_operand() {
    let args = [Value::string("a"), Value::Int(1), Value::string("b")];
    assert_eq!(sprintln(&args).unwrap(), "a 1 b\n");
}

#[test]
fn output_is_bounded() {
    let big = Value::string("x".repeat(1 << 20));
    let args: Vec<Value> = std::iter::repeat_n(big, 70).collect();
    assert!(sprint(&args).is_err());
}
