//! The `ketch` binary: exit codes and what users read.

use std::path::Path;
use std::process::{Command, Output};

fn ketch(args: &[&str]) -> Output {
    ketch_logging(args, None)
}

/// `ketch args` with `KETCH_LOG` set to `log`, or unset.
fn ketch_logging(args: &[&str], log: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ketch"));
    match log {
        Some(directives) => command.env("KETCH_LOG", directives),
        None => command.env_remove("KETCH_LOG"),
    };
    command
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run ketch")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn template_prints_yaml_and_exits_zero() {
    let out = ketch(&[
        "template",
        "demo",
        "fixtures/charts/render/webapp",
        "--set",
        "replicas=5",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("# Source: webapp/templates/deployment.yaml") && text.contains("replicas: 5"),
        "{text}"
    );
}

#[test]
fn template_show_only_selects_and_reports_unknown_templates() {
    let out = ketch(&[
        "template",
        "fixtures/charts/render/webapp",
        "-s",
        "templates/configmap.yaml",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).matches("# Source:").count(), 1);
    let out = ketch(&[
        "template",
        "fixtures/charts/render/webapp",
        "-s",
        "templates/nope.yaml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("could not find template \"templates/nope.yaml\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn template_output_dir_writes_one_file_per_template() {
    let dir = tempfile::tempdir().unwrap();
    let out = ketch(&[
        "template",
        "fixtures/charts/render/webapp",
        "--output-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let deployment =
        std::fs::read_to_string(dir.path().join("webapp/templates/deployment.yaml")).unwrap();
    assert!(deployment.contains("kind: Deployment"));
    assert!(
        dir.path()
            .join("webapp/charts/cache/templates/statefulset.yaml")
            .exists()
    );
}

#[test]
fn template_validate_reports_schema_violations_per_field() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("bad");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: bad\nversion: 0.1.0\nannotations:\n  ketch.dev/engine: minijinja\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("templates/d.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n        - name: c\n          image: x:1\n          resource: {}\n          ports: [{containerPort: http}]\n",
    )
    .unwrap();
    let path = chart.to_str().unwrap();
    assert!(ketch(&["template", path]).status.success());
    let out = ketch(&["template", path, "--validate"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("bad/templates/d.yaml: Deployment d: /spec/template/spec/containers/0: Additional properties are not allowed ('resource' was unexpected)"), "{err}");
    assert!(err.contains("containers/0/ports/0/containerPort"), "{err}");
}

#[test]
fn bad_input_exits_one_with_the_file_named() {
    let out = ketch(&[
        "template",
        "fixtures/charts/render/webapp",
        "-f",
        "fixtures/values/bad-indent.yaml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("fixtures/values/bad-indent.yaml"),
        "{}",
        stderr(&out)
    );
    let out = ketch(&["template", "fixtures/charts/render/does-not-exist"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("does-not-exist"), "{}", stderr(&out));
    let out = ketch(&["template", "fixtures/charts/render/webapp", "--set", "a.b"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("a.b"), "{}", stderr(&out));
}

#[test]
fn values_from_stdin() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ketch"))
        .args(["template", "fixtures/charts/render/webapp", "-f", "-"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"replicas: 7\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).contains("replicas: 7"));
}

#[test]
fn create_makes_a_chart_that_lints_clean_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("iris-api");
    let path = chart.to_str().unwrap();
    let out = ketch(&["create", path]);
    assert!(out.status.success(), "{}", stderr(&out));
    let chart_yaml = std::fs::read_to_string(chart.join("Chart.yaml")).unwrap();
    assert!(chart_yaml.contains("name: iris-api"), "{chart_yaml}");
    let lint = ketch(&["lint", path, "--strict"]);
    assert!(lint.status.success(), "{}{}", stdout(&lint), stderr(&lint));
    let rendered = ketch(&[
        "template",
        path,
        "--validate",
        "--set",
        "ingress.enabled=true",
    ]);
    assert!(rendered.status.success(), "{}", stderr(&rendered));
    let again = ketch(&["create", path]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("already exists"));
    let bad = ketch(&["create", dir.path().join("Bad_Name").to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(!dir.path().join("Bad_Name").exists());
}

#[test]
fn ml_starters_are_the_shipped_charts_renamed() {
    let dir = tempfile::tempdir().unwrap();
    for (starter, name) in [("model-server", "iris-server"), ("trainer", "iris-trainer")] {
        let chart = dir.path().join(name);
        let path = chart.to_str().unwrap();
        let out = ketch(&["create", path, "--starter", starter]);
        assert!(out.status.success(), "{}", stderr(&out));
        let chart_yaml = std::fs::read_to_string(chart.join("Chart.yaml")).unwrap();
        assert!(
            chart_yaml.contains(&format!("name: {name}\n")),
            "{chart_yaml}"
        );
        let lint = ketch(&["lint", path, "--strict"]);
        assert!(
            lint.status.success(),
            "{starter}: {}{}",
            stdout(&lint),
            stderr(&lint)
        );
    }
}

#[test]
fn lint_reports_practices_and_fails_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("sloppy");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(chart.join("Chart.yaml"), "apiVersion: v2\nname: sloppy\nversion: 0.1.0\nannotations:\n  ketch.dev/engine: minijinja\n").unwrap();
    std::fs::write(
        chart.join("values.yaml"),
        "store:\n  password: hunter2\n  existingSecret: creds\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("templates/d.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n        - name: server\n          image: iris:latest\n",
    )
    .unwrap();
    let path = chart.to_str().unwrap();
    let out = ketch(&["lint", path]);
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "warnings alone pass without --strict: {text}"
    );
    for rule in [
        "(image-tag)",
        "(resources)",
        "(probes)",
        "(security-context)",
        "(plain-secret)",
    ] {
        assert!(text.contains(rule), "missing {rule} in {text}");
    }
    assert!(text.contains("store.password"), "{text}");
    assert!(!text.contains("store.existingSecret has"), "{text}");
    assert_eq!(ketch(&["lint", path, "--strict"]).status.code(), Some(1));
    let json = ketch(&["lint", path, "-o", "json"]);
    let reports: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(
        reports[0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "image-tag" && f["severity"] == "warning")
    );
    std::fs::write(
        chart.join("templates/broken.yaml"),
        "a: {{ values.nope }}\n",
    )
    .unwrap();
    let out = ketch(&["lint", path]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("[ERROR]") && stdout(&out).contains("values.nope"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn show_prints_chart_parts() {
    let out = ketch(&["show", "values", "fixtures/charts/render/webapp"]);
    assert!(out.status.success());
    let expected = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/charts/render/webapp/values.yaml"),
    )
    .unwrap();
    assert_eq!(stdout(&out), expected);
    let out = ketch(&["show", "chart", "fixtures/charts/render/webapp"]);
    assert!(
        stdout(&out).contains("name: webapp") && stdout(&out).contains("1.2.3"),
        "{}",
        stdout(&out)
    );
    let out = ketch(&["show", "readme", "fixtures/charts/render/webapp"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("has no README.md"));
}

#[test]
fn version_and_completion() {
    let out = ketch(&["version", "--short"]);
    assert_eq!(
        stdout(&out).trim(),
        format!("v{}", env!("CARGO_PKG_VERSION"))
    );
    let out = ketch(&["completion", "bash"]);
    assert!(out.status.success() && stdout(&out).contains("ketch"));
}

#[test]
fn values_warnings_are_shown_once_unless_ketch_log_hides_them() {
    let args = [
        "template",
        "demo",
        "fixtures/charts/render/webapp",
        "--set",
        "cache.global=3",
    ];
    let warning = "subchart cache: `global` is a number, not a mapping; globals not passed down";
    // The chart's dependency has a condition: its values are coalesced twice.
    let out = ketch(&args);
    let err = stderr(&out);
    assert_eq!(err.matches(warning).count(), 1, "{err}");
    // The warning explains the render error that follows it.
    assert!(
        err.find(warning) < err.find("`values.global.team` is undefined"),
        "{err}"
    );
    let quiet = ketch_logging(&args, Some("error"));
    assert!(!stderr(&quiet).contains(warning), "{}", stderr(&quiet));
}
