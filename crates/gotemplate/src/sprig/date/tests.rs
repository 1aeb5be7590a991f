use crate::probe;
use crate::value::Value;
use crate::{Limits, Templates};

/// Template cases whose Go error we knowingly do not reproduce: Go's executor checks
/// a `time.Time` parameter before the call; here the function does (same failure,
/// reported as `error calling dateModify: wrong type ...`).
const KNOWN_DIFFERENCES: &[&str] = &["{{ dateModify \"1h\" \"x\" }}", "{{ \"x\" | unixEpoch }}"];

/// Expected strings come from Go 1.26 + Sprig v3.3.0 with TZ=UTC
/// (tests/goprobe-sprig, `date_want.jsonl`).
#[test]
fn dates_answer_as_sprig() {
    let funcs = crate::sprig::funcs();
    let cases = probe::cases(include_str!("../../../tests/goprobe-sprig/date_want.jsonl"));
    let mut failures = Vec::new();
    for c in &cases {
        // Go's reflect refuses these calls before Sprig runs; templates check types.
        if c.want.starts_with("ERR:reflect:") {
            continue;
        }
        let got = if let Some(tpl) = c.line["tpl"].as_str() {
            if KNOWN_DIFFERENCES.contains(&tpl) {
                continue;
            }
            let mut t = Templates::new(funcs.clone());
            t.parse("t", tpl)
                .and_then(|()| t.execute("t", &Value::Nil, &Limits::default()))
                .unwrap_or_else(|e| format!("ERR:{e}"))
        } else {
            let name = c.line["f"].as_str().unwrap_or_default();
            let Some(f) = funcs.get(name) else {
                failures.push(format!("{name}: missing"));
                continue;
            };
            probe::shown((f.body)(&c.args))
        };
        if got != c.want {
            failures.push(format!("{}: got {got:?}, Go {:?}", c.line, c.want));
        }
    }
    probe::assert_agree(&failures, cases.len());
}

/// `now` prints as Go's time.Now() does, monotonic reading included
/// (Helm v4.3.2: `2026-12-07 00:47:08.126146446 +0000 UTC m=+0.044145439`).
#[test]
fn now_prints_with_its_monotonic_reading() {
    let v = (crate::sprig::funcs().get("now").unwrap().body)(&[]).unwrap();
    let s = crate::fmt::sprint_value(&v);
    let (wall, mono) = s.split_once(" m=+").unwrap();
    // `2006-01-02 15:04:05.999999999 -0700 MST`, whatever the local zone.
    let parts: Vec<&str> = wall.split(' ').collect();
    assert_eq!(parts.len(), 4, "{s}");
    let (date, clock, offset) = (parts[0], parts[1], parts[2]);
    assert!(
        date.len() == 10 && &date[4..5] == "-" && &date[7..8] == "-",
        "{s}"
    );
    assert!(
        clock.len() >= 8 && &clock[2..3] == ":" && &clock[5..6] == ":",
        "{s}"
    );
    assert!(
        offset.len() == 5
            && offset.starts_with(['+', '-'])
            && offset[1..].bytes().all(|b| b.is_ascii_digit()),
        "{s}"
    );
    let (secs, nanos) = mono.split_once('.').unwrap();
    assert!(secs.parse::<u64>().is_ok() && nanos.len() == 9, "{s}");
}

/// Go's `time.Duration.String` and `time.ParseDuration` (expected from Go 1.26).
#[test]
fn durations_as_go() {
    use super::duration::{format, parse};
    for (d, go) in [
        (0, "0s"),
        (1, "1ns"),
        (1_500, "1.5µs"),
        (1_500_000, "1.5ms"),
        (3_723_500_000_000, "1h2m3.5s"),
        (-90_000_000_000, "-1m30s"),
        (i64::MIN, "-2562047h47m16.854775808s"),
        (i64::MAX, "2562047h47m16.854775807s"),
    ] {
        assert_eq!(format(d), go);
    }
    for (s, go) in [
        ("1h2m3.5s", Ok(3_723_500_000_000)),
        ("-0", Ok(0)),
        (".5s", Ok(500_000_000)),
        ("1.s", Ok(1_000_000_000)),
        ("9223372036854775807ns", Ok(i64::MAX)),
        ("-9223372036854775808ns", Ok(i64::MIN)),
        (
            "9223372036854775808ns",
            Err("time: invalid duration \"9223372036854775808ns\""),
        ),
        ("1", Err("time: missing unit in duration \"1\"")),
        ("1d", Err("time: unknown unit \"d\" in duration \"1d\"")),
        (".s", Err("time: invalid duration \".s\"")),
        ("", Err("time: invalid duration \"\"")),
        (
            "1é",
            Err("time: unknown unit \"\\xc3\\xa9\" in duration \"1\\xc3\\xa9\""),
        ),
    ] {
        assert_eq!(parse(s), go.map_err(String::from), "{s}");
    }
}
