//! `ketch convert`: a Helm chart rewritten in Jinja renders the same objects as the original,
//! with its default values and each `ci/*-values.yaml`; what cannot be translated is listed and
//! fails the render; bad requests change nothing.

use std::path::{Path, PathBuf};

use ketch::convert::{self, Outcome};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/charts/convert/web")
}

fn ketch(args: &[&str]) -> std::process::Output {
    super::support::ketch_in(env!("CARGO_MANIFEST_DIR"), args)
}

#[test]
fn a_converted_chart_renders_the_objects_of_the_original() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("web");
    let conversion = convert::convert(&fixture(), &out).unwrap();
    assert!(
        conversion.untranslated.is_empty(),
        "{:?}",
        conversion.untranslated
    );
    assert_eq!(conversion.templates, ["deployment.yaml", "service.yaml"]);
    let chart_yaml = std::fs::read_to_string(out.join("Chart.yaml")).unwrap();
    assert!(
        chart_yaml.contains("ketch.dev/engine: minijinja"),
        "{chart_yaml}"
    );
    let deployment = std::fs::read_to_string(out.join("templates/deployment.yaml")).unwrap();
    assert!(
        deployment.contains("{{ values.replicaCount }}"),
        "{deployment}"
    );
    assert!(!deployment.contains(".Values"), "{deployment}");

    let checks = convert::check(&fixture(), &out);
    let cases: Vec<&str> = checks.iter().map(|c| c.case.as_str()).collect();
    assert_eq!(cases, ["default values", "ci/full-values.yaml"]);
    for check in &checks {
        assert!(check.is_equal(), "{}: {check:?}", check.case);
        assert_eq!(check.files.len(), 2, "{check:?}");
        assert!(check.files.values().all(|o| *o == Outcome::Equal));
    }

    // The command prints the same verdicts and exits 0.
    let again = dir.path().join("again");
    let run = ketch(&[
        "convert",
        fixture().to_str().unwrap(),
        "-o",
        again.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        stdout.contains("default values: equal") && stdout.contains("ci/full-values.yaml: equal")
    );
}

#[test]
fn what_has_no_translation_is_listed_and_fails_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("chart");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: probe\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  found: {{ htpasswd \"user\" \"secret\" | quote }}\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = ketch(&[
        "convert",
        chart.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(!run.status.success());
    assert!(
        stdout.contains("cm.yaml: htpasswd with 2 argument(s)"),
        "{stdout}"
    );
    assert!(stdout.contains("default values: DIFFERENT"), "{stdout}");
    assert!(stdout.contains("could not translate htpasswd"), "{stdout}");

    // A second conversion into the same directory is refused and leaves it as it was.
    let before = std::fs::read_to_string(out.join("templates/cm.yaml")).unwrap();
    let run = ketch(&[
        "convert",
        chart.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("is not empty"));
    assert_eq!(
        before,
        std::fs::read_to_string(out.join("templates/cm.yaml")).unwrap()
    );

    // A Jinja chart has nothing to convert.
    let run = ketch(&[
        "convert",
        out.to_str().unwrap(),
        "-o",
        dir.path().join("x").to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&run.stderr).contains("already a Jinja chart"));
}

#[test]
fn a_chart_that_prints_as_go_prints_missing_values_as_nothing_and_numbers_as_go() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("go-print");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    let meta = "apiVersion: v2\nname: go-print\nversion: 0.1.0\nannotations:\n  ketch.dev/engine: minijinja\n";
    std::fs::write(chart.join("values.yaml"), "big: 1000000\nnothing: null\n").unwrap();
    std::fs::write(
        chart.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  missing: \"{{ values.missing }}\"\n  nothing: \"{{ values.nothing }}\"\n  big: \"{{ values.big }}\"\n",
    )
    .unwrap();
    let render = |meta: &str| {
        std::fs::write(chart.join("Chart.yaml"), meta).unwrap();
        ketch(&["template", chart.to_str().unwrap()])
    };
    // ketch's own charts stay strict: printing a missing value is an error.
    let strict = render(meta);
    assert!(!strict.status.success());
    assert!(String::from_utf8_lossy(&strict.stderr).contains("values.missing"));
    // `ketch.dev/print: go` (what `ketch convert` writes): as Go's templates print.
    let go = render(&format!("{meta}  ketch.dev/print: go\n"));
    let out = String::from_utf8_lossy(&go.stdout);
    assert!(
        go.status.success(),
        "{}",
        String::from_utf8_lossy(&go.stderr)
    );
    assert!(out.contains("missing: \"\""), "{out}");
    assert!(out.contains("nothing: \"\""), "{out}");
    assert!(out.contains("big: \"1e+06\""), "{out}");
}
