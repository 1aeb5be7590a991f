//! Rendering: the template context, every filter, strict undefined values,
//! errors that point at templates, manifest checks, install order, limits and
//! determinism.

use std::path::{Path, PathBuf};

use ketch::render::RenderRequest;
use ketch::values::ValueOptions;

const CHART_YAML: &str =
    "apiVersion: v2\nname: demo\nversion: 0.1.0\nannotations:\n  ketch.dev/engine: minijinja\n";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/charts/render")
        .join(name)
}

/// Writes a chart of `(path, text)` files into a temporary directory.
fn chart(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("demo");
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn render_with(path: &Path, values: ValueOptions) -> Result<String, String> {
    let mut request = RenderRequest::new(path);
    request.values = values;
    let rendered = request
        .run(&mut std::io::empty())
        .map_err(|e| e.to_string())?;
    rendered.manifest.to_yaml(false).map_err(|e| e.to_string())
}

fn render(files: &[(&str, &str)]) -> Result<String, String> {
    let dir = chart(files);
    render_with(&dir.path().join("demo"), ValueOptions::default())
}

/// Renders one template of a fresh chart with `values.yaml`.
fn render_template(values: &str, template: &str) -> Result<String, String> {
    render(&[
        ("Chart.yaml", CHART_YAML),
        ("values.yaml", values),
        ("templates/t.yaml", template),
    ])
}

#[test]
fn fixture_chart_renders_whole_context() {
    let out = render_with(&fixture("webapp"), ValueOptions::default()).unwrap();
    insta::assert_snapshot!(out);
}

#[test]
fn render_is_byte_identical_across_runs() {
    let first = render_with(&fixture("webapp"), ValueOptions::default()).unwrap();
    for _ in 0..3 {
        assert_eq!(
            render_with(&fixture("webapp"), ValueOptions::default()).unwrap(),
            first
        );
    }
}

#[test]
fn subchart_disabled_by_condition_renders_nothing() {
    let values = ValueOptions {
        set: vec!["cache.enabled=false".into()],
        ..Default::default()
    };
    let out = render_with(&fixture("webapp"), values).unwrap();
    assert!(!out.contains("StatefulSet"), "{out}");
    assert!(out.contains("kind: Deployment"), "{out}");
}

#[test]
fn crds_are_kept_apart_and_first_when_included() {
    let request = RenderRequest::new(fixture("webapp"));
    let rendered = request.run(&mut std::io::empty()).unwrap();
    assert_eq!(rendered.manifest.crds.len(), 1);
    assert!(
        rendered
            .manifest
            .objects
            .iter()
            .all(|o| o.kind() != "CustomResourceDefinition")
    );
    let with_crds = rendered.manifest.to_yaml(true).unwrap();
    assert!(
        with_crds.starts_with("---\n# Source: webapp/crds/models.yaml\n"),
        "{with_crds}"
    );
    assert_eq!(
        rendered.notes.as_deref(),
        Some("webapp 1.2.3 installed as release-name.\n")
    );
}

#[test]
fn undefined_value_fails_with_template_line_and_snippet() {
    let err = render_template("replicas: 1\n", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ values.replicaz }}\n")
        .unwrap_err();
    assert!(err.contains("demo/templates/t.yaml"), "{err}");
    assert!(err.contains("t.yaml:6"), "{err}");
    assert!(err.contains("values.replicaz"), "{err}");
    assert!(err.contains("6 >   a: {{ values.replicaz }}"), "{err}");
    assert!(
        !err.contains("replicas: 1") && !err.contains("'replicas'"),
        "values must not be dumped: {err}"
    );
}

#[test]
fn undefined_is_allowed_in_conditions_and_defaults() {
    let out = render_template(
        "{}",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ values.missing | default('fallback') }}\n{% if values.missing %}  b: no{% endif %}\n",
    )
    .unwrap();
    assert!(out.contains("a: fallback"), "{out}");
    assert!(!out.contains("b: no"), "{out}");
}

#[test]
fn syntax_error_names_template_and_line() {
    let err = render_template("{}", "a: 1\nb: {{ values.x | nindent(2 }}\n").unwrap_err();
    assert!(
        err.contains("demo/templates/t.yaml")
            && err.contains("syntax error")
            && err.contains("t.yaml:2"),
        "{err}"
    );
}

#[test]
fn invalid_rendered_yaml_points_at_template_and_line() {
    let err = render_template(
        "{}",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   bad: 1\n",
    )
    .unwrap_err();
    assert!(
        err.starts_with("demo/templates/t.yaml: the rendered output is not valid YAML"),
        "{err}"
    );
    assert!(err.contains("line 5"), "{err}");
}

#[test]
fn objects_need_api_version_kind_and_name() {
    let err = render_template(
        "{}",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {}\n",
    )
    .unwrap_err();
    assert!(err.contains("document 1 has no metadata.name"), "{err}");
    let err = render_template("{}", "kind: ConfigMap\nmetadata:\n  name: x\n").unwrap_err();
    assert!(err.contains("has no apiVersion"), "{err}");
    let err = render_template("{}", "- a\n- b\n").unwrap_err();
    assert!(err.contains("is not a mapping"), "{err}");
}

#[test]
fn duplicate_objects_are_rejected_across_templates() {
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: same\n";
    let err = render(&[
        ("Chart.yaml", CHART_YAML),
        ("templates/a.yaml", cm),
        ("templates/b.yaml", cm),
    ])
    .unwrap_err();
    assert!(
        err.contains("ConfigMap same")
            && err.contains("demo/templates/a.yaml")
            && err.contains("demo/templates/b.yaml"),
        "{err}"
    );
    // Same name in another namespace, or another kind, is fine.
    let other_ns = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: same\n  namespace: other\n";
    let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: same\n";
    render(&[
        ("Chart.yaml", CHART_YAML),
        ("templates/a.yaml", cm),
        ("templates/b.yaml", other_ns),
        ("templates/c.yaml", secret),
    ])
    .unwrap();
}

#[test]
fn objects_come_out_in_install_order_stable_within_a_kind() {
    let doc = |kind: &str, api: &str, name: &str| {
        format!("---\napiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n")
    };
    let template = [
        doc("Ingress", "networking.k8s.io/v1", "i"),
        doc("Model", "ml.example.com/v1", "m"),
        doc("CronJob", "batch/v1", "c"),
        doc("Deployment", "apps/v1", "d2"),
        doc("Service", "v1", "s"),
        doc("Deployment", "apps/v1", "d1"),
        doc("ConfigMap", "v1", "cm"),
        doc("Secret", "v1", "sec"),
        doc("ServiceAccount", "v1", "sa"),
        doc("Namespace", "v1", "ns"),
        doc("Job", "batch/v1", "j"),
    ]
    .concat();
    let out = render_template("{}", &template).unwrap();
    let order: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("  name: "))
        .collect();
    assert_eq!(
        order,
        ["ns", "sa", "sec", "cm", "s", "d2", "d1", "j", "c", "i", "m"]
    );
}

#[test]
fn empty_documents_are_dropped() {
    let out = render_template("{}", "---\n---\n# only a comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\n").unwrap();
    assert_eq!(out.matches("# Source:").count(), 1, "{out}");
}

#[test]
fn booleans_and_none_print_as_yaml_and_ambiguous_strings_are_quoted() {
    let out = render_template(
        "flag: true\nnothing: null\ncountry: \"NO\"\nmode: \"on\"\nlist: [1, 2]\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    a: \"{{ values.flag | string }}\"\ndata:\n  flag: \"{{ values.flag }}\"\n  none: \"{{ values.nothing }}\"\n  country: {{ values.country }}\n  mode: {{ values.mode }}\n  list: \"{{ values.list }}\"\n",
    )
    .unwrap();
    assert!(out.contains("a: \"true\""), "{out}");
    assert!(out.contains("flag: \"true\""), "{out}");
    assert!(out.contains("none: \"null\""), "{out}");
    assert!(out.contains("country: \"NO\""), "{out}");
    assert!(out.contains("mode: \"on\""), "{out}");
    assert!(out.contains("list: \"[1,2]\""), "{out}");
}

#[test]
fn filters_behave_like_helm() {
    let values = "res:\n  cpu: 1\n  mem: 2Gi\ntext: \"a\\nb\"\nlong: abcdefghij\nname: it's\n";
    let template = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: x
data:
  yaml: {{ values.res | toyaml | quote }}
  json: {{ values.res | tojson | quote }}
  json-indented: {{ values.res | tojson(2) | quote }}
  indent: {{ values.text | indent(2) | quote }}
  nindent: {{ values.text | nindent(2) | quote }}
  b64: {{ "ketch" | b64encode }}
  round-trip: {{ "ketch" | b64encode | b64decode }}
  sha: {{ "ketch" | sha256 }}
  quoted: {{ 'say "hi"' | quote }}
  squoted: {{ values.name | squote }}
  trunc: {{ values.long | trunc(3) }}
  trunc-neg: {{ values.long | trunc(-3) }}
  prefix: {{ "v1.2" | trimprefix("v") | quote }}
  suffix: {{ "name-" | trimsuffix("-") }}
  merged: {{ merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}}) | tojson | quote }}
  fromyaml: {{ ("a: [1, 2]" | fromyaml).a | tojson | quote }}
"#;
    let out = render_template(values, template).unwrap();
    let docs: Vec<serde_json::Value> = ketch::yaml::parse_all(&out, "output").unwrap();
    let data = &docs[0]["data"];
    let expected = serde_json::json!({
        "yaml": "cpu: 1\nmem: 2Gi",
        "json": "{\"cpu\":1,\"mem\":\"2Gi\"}",
        "json-indented": "{\n  \"cpu\": 1,\n  \"mem\": \"2Gi\"\n}",
        "indent": "  a\n  b",
        "nindent": "\n  a\n  b",
        "b64": "a2V0Y2g=",
        "round-trip": "ketch",
        "sha": "c85851fb6bf1e5ac32f4c0b661db270176ec1189f025cdc65d4b752b85783793",
        "quoted": "say \"hi\"",
        "squoted": "it's",
        "trunc": "abc",
        "trunc-neg": "hij",
        "prefix": "1.2",
        "suffix": "name",
        "merged": "{\"a\":{\"b\":1,\"c\":3}}",
        "fromyaml": "[1,2]",
    });
    for (key, want) in expected.as_object().unwrap() {
        assert_eq!(&data[key], want, "{key} in\n{out}");
    }
}

#[test]
fn required_and_fail_stop_the_render_with_the_message() {
    let err = render_template(
        "image: {}\n",
        "a: {{ values.image.tag | required('set image.tag to a pinned version') }}\n",
    )
    .unwrap_err();
    assert!(
        err.contains("set image.tag to a pinned version") && err.contains("t.yaml:1"),
        "{err}"
    );
    let err = render_template(
        "image: {tag: ''}\n",
        "a: {{ values.image.tag | required('tag is empty') }}\n",
    )
    .unwrap_err();
    assert!(err.contains("tag is empty"), "{err}");
    let err = render_template("{}", "{{ fail('weights must sum to 100') }}\n").unwrap_err();
    assert!(err.contains("weights must sum to 100"), "{err}");
}

#[test]
fn macros_are_shared_by_import_but_each_chart_sees_only_its_own() {
    let sub_chart =
        "apiVersion: v2\nname: sub\nversion: 0.1.0\nannotations:\n  ketch.dev/engine: minijinja\n";
    let err = render(&[
        ("Chart.yaml", CHART_YAML),
        (
            "templates/_parent.j2",
            "{% macro name() %}parent{% endmacro %}",
        ),
        ("charts/sub/Chart.yaml", sub_chart),
        (
            "charts/sub/templates/t.yaml",
            "{% import '_parent.j2' as p %}a: {{ p.name() }}\n",
        ),
    ])
    .unwrap_err();
    assert!(
        err.contains("demo/charts/sub/templates/t.yaml") && err.contains("_parent.j2"),
        "{err}"
    );
}

#[test]
fn macro_files_never_render_on_their_own() {
    let out = render(&[
        ("Chart.yaml", CHART_YAML),
        (
            "templates/_helpers.j2",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-helpers\n",
        ),
        (
            "templates/sub/_more.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-more\n",
        ),
    ])
    .unwrap();
    assert!(out.is_empty(), "{out}");
}

#[test]
fn charts_without_the_annotation_render_as_helm_charts() {
    let out = render(&[
        ("Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\n"),
        ("values.yaml", "n: 1000000\n"),
        (
            "templates/t.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  n: \"{{ .Values.n }}\"\n  x: \"{{ .Values.x }}\"\n",
        ),
    ])
    .unwrap();
    // Go's float64 printing, and a missing key prints nothing, as in Helm.
    assert!(
        out.contains("\"n\": \"1e+06\"\n") && out.contains("x: \"\"\n"),
        "{out}"
    );
}

#[test]
fn an_unknown_engine_is_refused() {
    let err = render(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: demo\nversion: 0.1.0\nannotations:\n  ketch.dev/engine: tera\n",
        ),
        ("templates/t.yaml", "a: 1\n"),
    ])
    .unwrap_err();
    assert!(
        err.contains("\"tera\"") && err.contains("minijinja"),
        "{err}"
    );
}

/// Address space `ketch template` may use in [`hostile_templates_end_with_a_clear_error`]:
/// the engine's guards (512 MiB for one value, 1.5 GiB of large values, 256 MiB
/// of output) keep a render under it, so an allocation failure (an abort) or a
/// stack overflow (a crash) shows as a signal, not as the expected error.
const MEMORY_BOUND_KIB: u64 = 3 << 20;

/// A list nested `depth` levels deep through a namespace, named `name`.
fn deep_list(name: &str, depth: usize) -> String {
    let outer = depth.div_ceil(100_000);
    let inner = depth / outer;
    format!(
        "{{% set {name} = namespace(v=[]) %}}{{% for i in range({outer}) %}}{{% for j in range({inner}) %}}\
         {{% set {name}.v = [{name}.v] %}}{{% endfor %}}{{% endfor %}}"
    )
}

/// Every template here once crashed ketch, exhausted memory or ran unbounded;
/// each must end with exit code 1 and an error naming the template and the
/// limit, under [`MEMORY_BOUND_KIB`] of address space. The timeout only
/// catches a hang; each case takes well under a second in a release build.
#[test]
fn hostile_templates_end_with_a_clear_error() {
    let chain = |op: &str| format!("{{{{ 1{} }}}}\n", op.repeat(20_000));
    let doubling = "{% set ns = namespace(s='a') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}";
    let deep = deep_list("ns", 100_000);
    let cases: Vec<(&str, String, &str, &str)> = vec![
        // 7: a panic inside minijinja.
        ("cycle", "{% for i in [1] %}{{ loop.cycle() }}{% endfor %}".into(), "{}", "loop.cycle() needs at least one argument"),
        // 8: stack overflows.
        ("self namespace", "{% set x = namespace() %}{% set x.x = x %}{{ x }}".into(), "{}", "nests more than 512 levels"),
        ("self tpl", "{{ tpl(values.t) }}".into(), "t: \"{{ tpl(values.t) }}\"\n", "tpl: calls nest more than 16 deep"),
        ("not chain", format!("{{{{ {} true }}}}", "not ".repeat(20_000)), "{}", "chains more than 1000 operators"),
        ("minus chain", format!("{{{{ {} 1 }}}}", "- ".repeat(20_000)), "{}", "chains more than 1000 operators"),
        ("plus chain", chain(" + 1"), "{}", "chains more than 1000 operators"),
        ("filter chain", format!("{{{{ 'a'{} }}}}", " | upper".repeat(20_000)), "{}", "chains more than 1000 operators"),
        ("attribute chain", format!("{{{{ values{} }}}}", ".a".repeat(20_000)), "{}", "chains more than 1000 operators"),
        ("deep list printed", format!("{deep}{{{{ ns.v }}}}"), "{}", "nests more than 512 levels"),
        ("deep list tojson", format!("{deep}{{{{ ns.v | tojson }}}}"), "{}", "nests more than 512 levels"),
        ("deep list toyaml", format!("{deep}{{{{ ns.v | toyaml }}}}"), "{}", "nests more than 512 levels"),
        (
            "deep lists compared",
            format!("{deep}{}{{% if ns.v == other.v %}}{{{{ ns.v }}}}{{% endif %}}", deep_list("other", 100_000)),
            "{}",
            // Comparing recurses inside minijinja: the printer or the stack guard stops it.
            "nests",
        ),
        ("very deep list dropped", deep_list("ns", 3_000_000), "{}", "nests too deeply"),
        // 9: memory.
        ("nindent max", "{{ 'a' | nindent(9223372036854775807) }}".into(), "{}", "nindent: the result would be"),
        ("indent 1e9", "{{ 'a' | indent(1000000000) }}".into(), "{}", "indent: the result would be 1000000001 bytes"),
        ("doubling", doubling.into(), "{}", "needed more memory than ketch allows a template"),
        ("tojson indent", "{{ [1] | tojson(1000000000) }}".into(), "{}", "tojson: the result would be"),
        ("tojson wide", "{% set s = 'a' * 100000000 %}{{ ([s] * 20) | tojson }}".into(), "{}", "tojson: the result would be"),
        ("replace bomb", format!("{{{{ ('a' * 10000000) | replace('a', '{}') }}}}", "a".repeat(50)), "{}", "replace: the result would be 500000000 bytes"),
        ("join bomb", "{% set s = 'a' * 100000000 %}{{ [s, s, s] | join(',') }}".into(), "{}", "join: the result would be"),
        ("concat in a list", "{% set ns = namespace(l=[]) %}{% for i in range(40) %}{% set ns.l = ns.l + ['a' * 100000000 ~ i] %}{% endfor %}{{ ns.l | length }}".into(), "{}", "needed more memory than ketch allows a template"),
        // The fuel limit and the output cap, reached.
        ("fuel", "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}".into(), "{}", "fuel"),
        ("output cap", "{% for i in range(100000) %}{{ 'x' * 10000 }}{% endfor %}".into(), "{}", "passed 268435456 bytes of output"),
        ("macro recursion", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}".into(), "{}", "recursion"),
    ];
    for (name, template, values, expected) in cases {
        let dir = chart(&[
            ("Chart.yaml", CHART_YAML),
            ("values.yaml", values),
            ("templates/t.yaml", &template),
        ]);
        let started = std::time::Instant::now();
        let (status, stderr) = ketch_bounded(&["template", "r", "demo"], dir.path());
        eprintln!("{name}: {:?}", started.elapsed());
        assert_eq!(status.code(), Some(1), "{name}: {status:?}\n{stderr}");
        assert!(
            stderr.contains("demo/templates/t.yaml") && stderr.contains(expected),
            "{name}: expected {expected:?}:\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
}

/// Runs ketch in `dir` under [`MEMORY_BOUND_KIB`] of address space; kills it after a
/// minute (a hang). Its exit status and stderr.
fn ketch_bounded(args: &[&str], dir: &Path) -> (std::process::ExitStatus, String) {
    use std::io::Read;
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {MEMORY_BOUND_KIB} && exec \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_ketch"))
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).ok();
        text
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().ok();
            panic!("ketch {args:?} hung: {:?}", child.wait());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    (status, reader.join().unwrap())
}

#[test]
fn values_schema_errors_stop_the_render_with_path_and_source() {
    let dir = chart(&[
        ("Chart.yaml", CHART_YAML),
        ("values.yaml", "replicas: 1\n"),
        (
            "values.schema.json",
            r#"{"type": "object", "properties": {"replicas": {"type": "integer", "minimum": 1}}}"#,
        ),
        (
            "templates/t.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
        ),
    ]);
    let values = ValueOptions {
        set: vec!["replicas=0".into()],
        ..Default::default()
    };
    let err = render_with(&dir.path().join("demo"), values).unwrap_err();
    assert!(
        err.contains("replicas") && err.contains("--set replicas=0") && err.contains("minimum"),
        "{err}"
    );
}

#[test]
fn kube_version_constraint_and_capabilities_are_visible() {
    let out = render_template(
        "{}",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  v: {{ capabilities.kube_version.version }}\n  major: \"{{ capabilities.kube_version.major }}\"\n  batch: \"{{ capabilities.has('batch/v1') }}\"\n  many: \"{{ capabilities.api_versions | length > 10 }}\"\n",
    )
    .unwrap();
    assert!(
        out.contains("v: v1.36.0")
            && out.contains("major: \"1\"")
            && out.contains("batch: \"true\"")
            && out.contains("many: \"true\""),
        "{out}"
    );
}

#[test]
fn kube_version_of_chart_yaml_is_enforced() {
    let chart_yaml = format!("{CHART_YAML}kubeVersion: \">=1.37.0-0\"\n");
    let dir = chart(&[("Chart.yaml", &chart_yaml), ("templates/t.yaml", "")]);
    let err = render_with(&dir.path().join("demo"), ValueOptions::default()).unwrap_err();
    assert!(
        err.contains(">=1.37.0-0") && err.contains("v1.36.0") && err.contains("--kube-version"),
        "{err}"
    );
    let mut request = RenderRequest::new(dir.path().join("demo"));
    request.capabilities.kube_version = ketch::engine::KubeVersion::parse("v1.37.2").unwrap();
    request.run(&mut std::io::empty()).unwrap();
}

#[test]
fn semver_comparison_uses_helm_constraints() {
    let out = render_template(
        "{}",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  new: \"{{ semver_compare('>=1.28.0-0', capabilities.kube_version.version) }}\"\n  range: \"{{ semver_compare('1.2 - 1.4 || ^2.0', '2.3.1') }}\"\n  test: \"{{ '1.5.0' is semver('~1.4') }}\"\n",
    )
    .unwrap();
    assert!(
        out.contains("new: \"true\"")
            && out.contains("range: \"true\"")
            && out.contains("test: \"false\""),
        "{out}"
    );
    let err = render_template("{}", "a: {{ semver_compare('>= bar', '1.0.0') }}\n").unwrap_err();
    assert!(err.contains(">= bar"), "{err}");
}

#[test]
fn templates_render_in_parallel_but_errors_come_in_template_order() {
    // A broken macro file nobody imports is still an error, reported before the
    // render errors of templates that come after it.
    let mut files = vec![
        ("Chart.yaml", CHART_YAML),
        ("values.yaml", "{}\n"),
        (
            "templates/_broken.j2",
            "{% macro m() %}{{ 1 + }}{% endmacro %}\n",
        ),
    ];
    let names: Vec<String> = (0..40).map(|i| format!("templates/t{i:02}.yaml")).collect();
    for name in &names {
        files.push((name, "{{ values.missing.x }}\n"));
    }
    let err = render(&files).unwrap_err();
    assert!(err.contains("demo/templates/_broken.j2"), "{err}");
    // Without it, the first failing template in order is named, whichever thread got there first.
    files.remove(2);
    let err = render(&files).unwrap_err();
    assert!(err.contains("demo/templates/t00.yaml"), "{err}");
    // And the output keeps template order.
    let ok: Vec<(String, String)> = (0..40)
        .map(|i| {
            (
                format!("templates/t{i:02}.yaml"),
                format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i:02}\n"),
            )
        })
        .collect();
    let mut files = vec![("Chart.yaml", CHART_YAML), ("values.yaml", "{}\n")];
    files.extend(ok.iter().map(|(n, t)| (n.as_str(), t.as_str())));
    let out = render(&files).unwrap();
    let names: Vec<&str> = out.lines().filter(|l| l.starts_with("  name: ")).collect();
    let expected: Vec<String> = (0..40).map(|i| format!("  name: c{i:02}")).collect();
    assert_eq!(names, expected);
}
