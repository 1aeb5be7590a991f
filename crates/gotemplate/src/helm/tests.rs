use crate::value::Value;
use crate::{Limits, Templates};

fn render(text: &str) -> String {
    let mut t = Templates::new(super::funcs());
    t.parse("t", text)
        .and_then(|()| t.execute("t", &Value::Nil, &Limits::default()))
        .unwrap_or_else(|e| format!("ERR:{e}"))
}

/// Expected lines printed by `helm template` (Helm v4.3.2) for the same template.
#[test]
fn duration_helpers_answer_as_helm() {
    let out = render(
        r#"{{- range $v := list "1h2m3.5s" "90" "2.5" " 1m " "" "x" 90 2.5 -3 true nil (list 1) "1e3" "NaN" "inf" 9223372036 9223372037 "9.3e9" "-1.5" "1d" "0x10" "1_000" }}
# {{ $v | toString | quote }}: {{ durationSeconds $v }} {{ durationMilliseconds $v }} {{ durationMicroseconds $v }} {{ durationNanoseconds $v }} {{ durationMinutes $v }} {{ durationHours $v }} {{ durationDays $v }} {{ durationWeeks $v }} | {{ durationRoundTo $v "1m" }} {{ durationTruncateTo $v "1m" }} {{ durationRoundTo $v "bad" }} {{ durationRoundTo $v 0 }}
{{- end }}"#,
    );
    let helm = r#"
# "1h2m3.5s": 3723.5 3723500 3723500000 3723500000000 62.05833333333333 1.0343055555555556 0.043096064814814816 0.006156580687830688 | 1h2m0s 1h2m0s 1h2m3.5s 1h2m3.5s
# "90": 90 90000 90000000 90000000000 1.5 0.025 0.0010416666666666667 0.0001488095238095238 | 2m0s 1m0s 1m30s 1m30s
# "2.5": 2.5 2500 2500000 2500000000 0.041666666666666664 0.0006944444444444445 2.8935185185185186e-05 4.133597883597884e-06 | 0s 0s 2.5s 2.5s
# " 1m ": 60 60000 60000000 60000000000 1 0.016666666666666666 0.0006944444444444445 9.92063492063492e-05 | 1m0s 1m0s 1m0s 1m0s
# "": 0 0 0 0 0 0 0 0 | 0s 0s 0s 0s
# "x": 0 0 0 0 0 0 0 0 | 0s 0s 0s 0s
# "90": 90 90000 90000000 90000000000 1.5 0.025 0.0010416666666666667 0.0001488095238095238 | 2m0s 1m0s 1m30s 1m30s
# "2.5": 2.5 2500 2500000 2500000000 0.041666666666666664 0.0006944444444444445 2.8935185185185186e-05 4.133597883597884e-06 | 0s 0s 2.5s 2.5s
# "-3": -3 -3000 -3000000 -3000000000 -0.05 -0.0008333333333333334 -3.472222222222222e-05 -4.96031746031746e-06 | 0s 0s -3s -3s
# "true": 0 0 0 0 0 0 0 0 | 0s 0s 0s 0s
# "<nil>": 0 0 0 0 0 0 0 0 | 0s 0s 0s 0s
# "[1]": 0 0 0 0 0 0 0 0 | 0s 0s 0s 0s
# "1e3": 1000 1000000 1000000000 1000000000000 16.666666666666668 0.2777777777777778 0.011574074074074075 0.0016534391534391536 | 17m0s 16m0s 16m40s 16m40s
# "NaN": 0 0 0 0 0 0 0 0 | 0s 0s 0s 0s
# "inf": 0 0 0 0 0 0 0 0 | 0s 0s 0s 0s
# "9223372036": 9.223372036e+09 9223372036000 9223372036000000 9223372036000000000 1.5372286726666668e+08 2.5620477877777778e+06 106751.9911574074 15250.284451058202 | 2562047h47m0s 2562047h47m0s 2562047h47m16s 2562047h47m16s
# "9223372037": 0 0 0 0 0 0 0 0 | 0s 0s 0s 0s
# "9.3e9": 0 0 0 0 0 0 0 0 | 0s 0s 0s 0s
# "-1.5": -1.5 -1500 -1500000 -1500000000 -0.025 -0.0004166666666666667 -1.736111111111111e-05 -2.48015873015873e-06 | 0s 0s -1.5s -1.5s
# "1d": 0 0 0 0 0 0 0 0 | 0s 0s 0s 0s
# "0x10": 0 0 0 0 0 0 0 0 | 0s 0s 0s 0s
# "1_000": 1000 1000000 1000000000 1000000000000 16.666666666666668 0.2777777777777778 0.011574074074074075 0.0016534391534391536 | 17m0s 16m0s 16m40s 16m40s"#;
    assert_eq!(out, helm);
    assert_eq!(
        render(
            r#"{{ range list "1h2m3.5s" "90" "2.5" 9.3 -2 }}{{ $d := mustToDuration . }}{{ $d }} {{ typeOf $d }} {{ kindOf $d }} {{ $d.Seconds }};{{ end }}"#
        ),
        "1h2m3.5s time.Duration int64 3723.5;1m30s time.Duration int64 90;2.5s time.Duration int64 2.5;9.3s time.Duration int64 9.3;-2s time.Duration int64 -2;"
    );
    for (arg, msg) in [
        (r#""""#, "empty duration"),
        (r#""x""#, r#"could not parse duration "x""#),
        ("nil", "invalid duration"),
        ("true", "unsupported duration type bool"),
        ("(list 1)", "unsupported duration type []interface {}"),
        (r#""NaN""#, "invalid duration seconds: NaN"),
        (r#""+Inf""#, "invalid duration seconds: +Inf"),
        ("9223372037", "duration seconds overflow: 9223372037"),
        (r#""9.3e9""#, "duration seconds overflow: 9.3e+09"),
        ("9.3e9", "duration seconds overflow: 9.3e+09"),
        (r#"" 1d ""#, r#"could not parse duration " 1d ""#),
    ] {
        assert_eq!(
            render(&format!("{{{{ mustToDuration {arg} }}}}")),
            format!(
                "ERR:template: t:1:3: executing \"t\" at <mustToDuration {arg}>: error calling mustToDuration: {msg}"
            )
        );
    }
}
