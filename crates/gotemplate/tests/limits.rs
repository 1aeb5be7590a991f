//! Hostile templates end with an error, never a panic or a stack overflow: each
//! runs on a thread with a small stack to show that depth does not depend on it.

use std::collections::BTreeMap;

use gotemplate::{ErrorKind, FuncMap, Limits, Object, Templates, Value};

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

fn run(text: &str, limits: Limits) -> Result<String, gotemplate::Error> {
    let mut t = Templates::new(FuncMap::new());
    t.parse("t", text)?;
    t.execute("t", &Value::empty_map(), &limits)
}

#[test]
fn deep_parentheses_are_a_parse_error() {
    let r = on_small_stack(|| {
        let n = 100_000;
        let text = format!("{{{{{}1{}}}}}", "(".repeat(n), ")".repeat(n));
        run(&text, Limits::default())
    });
    let e = r.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Parse);
    assert_eq!(
        e.to_string(),
        "template: t:1: max expression depth exceeded"
    );
}

#[test]
fn deep_control_nesting_is_a_parse_error() {
    let r = on_small_stack(|| {
        let n = 100_000;
        let text = format!("{}x{}", "{{if 1}}".repeat(n), "{{end}}".repeat(n));
        run(&text, Limits::default())
    });
    assert_eq!(r.unwrap_err().kind, ErrorKind::Parse);
}

#[test]
fn nesting_within_the_bound_runs_on_a_small_stack() {
    let r = on_small_stack(|| {
        let n = 900;
        let text = format!(
            "{}x{}{{{{{}1{}}}}}",
            "{{with 1}}".repeat(n),
            "{{end}}".repeat(n),
            "(".repeat(n),
            ")".repeat(n)
        );
        run(&text, Limits::default())
    });
    assert_eq!(r.unwrap(), "x1");
}

#[test]
fn endless_template_recursion_hits_the_depth_limit() {
    let r = on_small_stack(|| {
        run(
            "{{define \"r\"}}{{template \"r\" .}}{{end}}{{template \"r\" .}}",
            Limits::default(),
        )
    });
    let e = r.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Limit);
    assert!(
        e.to_string()
            .contains("exceeded maximum template depth (10000)"),
        "{e}"
    );
}

#[test]
fn endless_include_recursion_stops_as_helm_does() {
    let r = on_small_stack(|| {
        run(
            "{{define \"r\"}}{{include \"r\" .}}{{end}}{{include \"r\" .}}",
            Limits::default(),
        )
    });
    let e = r.unwrap_err().to_string();
    assert!(e.starts_with("template: t:1:40: executing \"t\" at <include \"r\" .>: error calling include: template: t:1:16: executing \"r\" at <include \"r\" .>: error calling include: "), "{}", &e[..300]);
    assert!(e.ends_with("error calling include: rendering template has a nested reference name: r: unable to execute template"));
}

#[test]
fn endless_tpl_recursion_hits_the_depth_limit() {
    let r = on_small_stack(|| {
        let mut t = Templates::new(FuncMap::new());
        t.parse("t", "{{ tpl . . }}").unwrap();
        t.execute("t", &Value::string("{{ tpl . . }}"), &Limits::default())
    });
    assert_eq!(r.unwrap_err().kind, ErrorKind::Limit);
}

#[test]
fn fuel_bounds_endless_loops() {
    let limits = Limits {
        fuel: 10_000,
        ..Limits::default()
    };
    let e = run("{{range 1000000000}}{{end}}", limits).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Limit);
    assert!(e.to_string().contains("ran out of fuel"), "{e}");
}

#[test]
fn output_is_bounded_including_include_strings() {
    let limits = Limits {
        max_output: 1 << 20,
        ..Limits::default()
    };
    let e = run("{{range 10000000}}xxxxxxxxxx{{end}}", limits.clone()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::OutputLimit);
    let e = run(
        "{{define \"x\"}}{{range 200000}}xxxxxxxxxx{{end}}{{end}}{{$a := include \"x\" .}}",
        limits,
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::OutputLimit);
}

#[test]
fn garbage_never_panics() {
    let pieces = [
        "{{", "}}", "{{-", "-}}", "(", ")", "|", "$x", ":=", "=", ".a", ".", "\"s", "\"", "`", "'",
        "1", "1.5e", "0x", "if", "else", "end", "range", "with", "define", "template", "block",
        "break", "continue", "nil", "/*", "*/", " ", "\n", "é", ",", "$", "and", "len", "index",
        "eq", "include", "tpl",
    ];
    let mut seed: u64 = 12345;
    for _ in 0..20_000 {
        let mut text = String::new();
        for _ in 0..12 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            text.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
        }
        let mut t = Templates::new(FuncMap::new());
        if t.parse("t", &text).is_ok() {
            let limits = Limits {
                fuel: 10_000,
                max_depth: 50,
                max_output: 1 << 16,
            };
            let _ = t.execute("t", &Value::empty_map(), &limits);
        }
    }
}

struct Files;

impl Object for Files {
    fn type_name(&self) -> &str {
        "chartutil.Files"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        match name {
            "Get" => Some(match args {
                [Value::String(s)] => Ok(Value::string(format!("content of {s}"))),
                _ => Err("bad args".into()),
            }),
            _ => None,
        }
    }
}

#[test]
fn objects_have_fields_and_methods() {
    let mut t = Templates::new(FuncMap::new());
    t.parse(
        "t",
        "{{ .Files.Get \"a\" }}|{{ \"b\" | .Files.Get }}|{{ (.Files.Get \"c\") }}",
    )
    .unwrap();
    let data = Value::map(BTreeMap::from([(
        "Files".to_string(),
        Value::Object(std::rc::Rc::new(Files)),
    )]));
    assert_eq!(
        t.execute("t", &data, &Limits::default()).unwrap(),
        "content of a|content of b|content of c"
    );
    t.parse("u", "{{ .Files.Nope }}").unwrap();
    assert_eq!(
        t.execute("u", &data, &Limits::default())
            .unwrap_err()
            .to_string(),
        "template: u:1:9: executing \"u\" at <.Files.Nope>: can't evaluate field Nope in type interface {}"
    );
    t.parse("v", "{{ .Files.Get 1 2 }}").unwrap();
    assert_eq!(
        t.execute("v", &data, &Limits::default())
            .unwrap_err()
            .to_string(),
        "template: v:1:9: executing \"v\" at <.Files.Get>: error calling Get: bad args"
    );
}

/// A host object Go sees as a map (Helm's `.Files` is a `map[string][]byte`).
struct FileMap(Vec<&'static str>);

impl Object for FileMap {
    fn type_name(&self) -> &str {
        "engine.files"
    }
    fn kind_name(&self) -> &str {
        "map"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn to_value(&self) -> Value {
        Value::map(
            self.0
                .iter()
                .map(|name| (name.to_string(), Value::from("x")))
                .collect(),
        )
    }
}

#[test]
fn map_like_objects_are_tested_ranged_and_measured_as_their_maps() {
    let mut t = Templates::new(FuncMap::new());
    t.parse(
        "t",
        "{{ if .F }}some{{ else }}none{{ end }}:{{ len .F }}:{{ range $k, $_ := .F }}{{ $k }},{{ end }}",
    )
    .unwrap();
    let render = |names: Vec<&'static str>| {
        let data = Value::map(BTreeMap::from([(
            "F".to_string(),
            Value::Object(std::rc::Rc::new(FileMap(names))),
        )]));
        t.execute("t", &data, &Limits::default()).unwrap()
    };
    assert_eq!(render(vec![]), "none:0:");
    assert_eq!(render(vec!["b", "a"]), "some:2:a,b,");
}

#[test]
fn binary_strings_keep_their_bytes_for_hashes_and_encodings() {
    let mut t = Templates::new(gotemplate::helm::funcs());
    t.parse(
        "t",
        "{{ .B | b64enc }}|{{ .B | sha256sum | trunc 8 }}|{{ .B | upper | b64enc }}|{{ len .B }}",
    )
    .unwrap();
    let data = Value::map(BTreeMap::from([(
        "B".to_string(),
        Value::go_string(vec![0x42, 0x5a, 0xff, 0x00]),
    )]));
    // Go: base64 of the raw bytes; sha256 of them; a string function sees the text
    // (U+FFFD for the byte that is not UTF-8), as ketch cannot hold Go's raw bytes there.
    assert_eq!(
        t.execute("t", &data, &Limits::default()).unwrap(),
        "Qlr/AA==|437f4e7c|Qlrvv70A|4"
    );
}
