//! Expected strings below come from Go (text/template + Sprig v3.3.0 + sigs.k8s.io/yaml
//! v1.6.0 + go.yaml.in/yaml/v2 v2.4.3), by the probe under tests/goprobe-serial.

use super::*;
use std::collections::BTreeMap;

fn map(entries: &[(&str, Value)]) -> Value {
    Value::map(
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn s(text: &str) -> Value {
    Value::from(text)
}

#[test]
fn to_yaml_matches_helm_probe() {
    let cases: Vec<(Value, &str)> = vec![
        (Value::Float(1000000.0), "1000000"),
        (
            map(&[
                ("b", Value::Float(2.0)),
                ("a", Value::Float(1.0)),
                ("c", map(&[("z", Value::Float(1.0)), ("true", Value::Nil)])),
            ]),
            "a: 1\nb: 2\nc:\n  \"true\": null\n  z: 1",
        ),
        (
            Value::list(vec![s("1.0"), s("yes"), s("on"), s("true"), s("")]),
            "- \"1.0\"\n- \"yes\"\n- \"on\"\n- \"true\"\n- \"\"",
        ),
        (s("line1\nline2"), "|-\n  line1\n  line2"),
        (
            s(
                "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp qqqq rrrr ssss",
            ),
            "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp qqqq\n  rrrr ssss",
        ),
        (Value::Nil, "null"),
        (Value::list(vec![]), "[]"),
        (Value::empty_map(), "{}"),
        (
            Value::list(
                [
                    "012", "0755", "null", "~", "1e3", "y", "n", "no", "off", "12:30", "-", "a: b",
                    "#x", " lead",
                ]
                .into_iter()
                .map(s)
                .collect(),
            ),
            "- \"012\"\n- \"0755\"\n- \"null\"\n- \"~\"\n- \"1e3\"\n- \"y\"\n- \"n\"\n- \"no\"\n- \"off\"\n- \"12:30\"\n- '-'\n- 'a: b'\n- '#x'\n- ' lead'",
        ),
        (
            map(&[
                ("b", Value::Float(1.0)),
                ("B", Value::Float(2.0)),
                ("a", Value::Float(3.0)),
                ("_", Value::Float(4.0)),
                ("10", Value::Float(5.0)),
                ("9", Value::Float(6.0)),
            ]),
            "_: 4\n\"9\": 6\n\"10\": 5\nB: 2\na: 3\nb: 1",
        ),
        (
            Value::list(vec![
                Value::Float(1e21),
                Value::Float(0.1),
                Value::Float(1.0),
                Value::Float(0.0),
            ]),
            "- 1e+21\n- 0.1\n- 1\n- 0",
        ),
        (
            map(&[(
                "spec",
                map(&[("a", Value::list(vec![Value::Int(1), Value::Int(2)]))]),
            )]),
            "spec:\n  a:\n  - 1\n  - 2",
        ),
        (s("a\n\n"), "|+\n  a\n"),
        (s("\u{feff}ab"), "\"\\uFEFF\\x61\\x62\""),
        (s("héllo 😀"), "\"héllo \\U0001F600\""),
        (s("x\u{85}y"), "x y"),
    ];
    for (v, want) in cases {
        assert_eq!(to_yaml(&v).as_deref(), Ok(want), "{v:?}");
    }
}

#[test]
fn to_yaml_errors_as_helm() {
    assert_eq!(
        to_yaml(&s("a\u{7f}")),
        Err("yaml: control characters are not allowed".into())
    );
    assert_eq!(
        to_yaml(&Value::Float(f64::NAN)),
        Err("error marshaling into JSON: json: unsupported value: NaN".into())
    );
    let f = funcs();
    let to_yaml = f.get("toYaml").unwrap();
    assert_eq!(
        (to_yaml.body)(&[Value::Float(f64::NAN)]).unwrap().as_str(),
        Some("")
    );
}

#[test]
fn json_matches_go() {
    let v = map(&[
        ("b", Value::list(vec![Value::Float(1.0), s("héllo 😀")])),
        ("h", s("<a&b>")),
        ("e", Value::list(vec![])),
        (
            "f",
            Value::list(vec![
                Value::Float(1e21),
                Value::Float(1e-7),
                Value::Float(0.5),
                Value::Float(1e20),
            ]),
        ),
    ]);
    assert_eq!(
        to_json(&v).unwrap(),
        r#"{"b":[1,"héllo 😀"],"e":[],"f":[1e+21,1e-7,0.5,100000000000000000000],"h":"\u003ca\u0026b\u003e"}"#
    );
    assert_eq!(to_raw_json(&s("<a&b>")).unwrap(), r#""<a&b>""#);
    assert_eq!(
        to_pretty_json(&map(&[
            ("a", Value::list(vec![Value::Int(1), s("x")])),
            ("e", Value::empty_map())
        ]))
        .unwrap(),
        "{\n  \"a\": [\n    1,\n    \"x\"\n  ],\n  \"e\": {}\n}"
    );
}
