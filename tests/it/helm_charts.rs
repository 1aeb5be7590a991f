//! Helm charts (no `ketch.dev/engine` annotation): rendered with Go templates
//! and printed exactly as `helm template` v4.3.2 prints them, alone or mixed
//! with Jinja charts in one tree. Expected outputs and messages were produced
//! by Helm v4.3.2 (`fixtures/charts/helm/*.helm.txt`).

use std::process::Output;

fn ketch(args: &[&str]) -> Output {
    super::support::ketch_in(env!("CARGO_MANIFEST_DIR"), args)
}

fn expected(name: &str) -> String {
    let path = format!("{}/fixtures/charts/helm/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_helm_chart_prints_as_helm_template_prints_it() {
    let out = ketch(&["template", "fixtures/charts/helm/umbrella"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), expected("umbrella.helm.txt"));
}

#[test]
fn crds_tests_release_and_namespace_follow_helms_flags() {
    let out = ketch(&[
        "template",
        "rel",
        "fixtures/charts/helm/umbrella",
        "--include-crds",
        "--skip-tests",
        "-n",
        "prod",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), expected("umbrella.crds.helm.txt"));
}

#[test]
fn required_fails_as_helm_reports_it() {
    let out = ketch(&["template", "fixtures/charts/helm/required"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("execution error at (required/templates/x.yaml:6:8): set image.tag"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_nil_pointer_names_the_template_line_and_column() {
    let out = ketch(&["template", "fixtures/charts/helm/nil-pointer"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(
            "nil-pointer/templates/y.yaml:1:10\n  executing \"nil-pointer/templates/y.yaml\" at <.Values.a.b.c>:\n    nil pointer evaluating interface {}.c"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_jinja_chart_may_depend_on_a_helm_chart() {
    let out = ketch(&["template", "web", "fixtures/charts/helm/jinja-parent"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    // ketch's own output for a Jinja root: parsed, ordered objects.
    assert!(
        text.contains("# Source: jinja-parent/templates/cm.yaml\n"),
        "{text}"
    );
    assert!(
        text.contains("# Source: jinja-parent/charts/gosub/templates/deploy.yaml\n"),
        "{text}"
    );
    assert!(text.contains("name: web-gosub"), "{text}");
    assert!(text.contains("env: prod"), "{text}");
    assert!(text.contains("replicas: 2"), "{text}");
}

#[test]
fn a_helm_chart_may_depend_on_a_jinja_chart() {
    let out = ketch(&["template", "web", "fixtures/charts/helm/helm-parent"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Helm's framing and order, with the Jinja subchart's text as it rendered.
    assert_eq!(
        stdout(&out),
        "---\n# Source: helm-parent/charts/jsub/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-jsub\ndata:\n  port: \"9090\"\n\n\
         ---\n# Source: helm-parent/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: web-parent\nspec:\n  ports:\n    - port: 9090\n"
    );
}

#[test]
fn output_dir_writes_files_as_helm_writes_them() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().to_str().unwrap();
    let out = ketch(&[
        "template",
        "fixtures/charts/helm/umbrella",
        "--include-crds",
        "--output-dir",
        out_dir,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).replace(out_dir, "DIR"),
        expected("umbrella.output-dir.stdout")
    );
    let expected_dir = format!(
        "{}/fixtures/charts/helm/umbrella.output-dir",
        env!("CARGO_MANIFEST_DIR")
    );
    for file in [
        "umbrella/crds/widgets.yaml",
        "umbrella/templates/widget.yaml",
        "umbrella/templates/configmap.yaml",
        "umbrella/charts/sub/templates/service.yaml",
        "umbrella/templates/hooks.yaml",
    ] {
        assert_eq!(
            std::fs::read_to_string(dir.path().join(file)).unwrap(),
            std::fs::read_to_string(format!("{expected_dir}/{file}")).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn a_template_that_includes_itself_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("hostile");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: hostile\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("templates/a.yaml"),
        "{{- define \"x\" }}{{ include \"x\" . }}{{ end }}{{ include \"x\" . }}\n",
    )
    .unwrap();
    let out = ketch(&["template", chart.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("hostile/templates/a.yaml") && stderr(&out).contains("depth"),
        "{}",
        stderr(&out)
    );
}
