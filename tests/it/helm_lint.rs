//! `ketch lint` of Helm charts runs Helm's own rules: the fixtures under
//! `fixtures/charts/helm-lint/` each break some of them, and what ketch finds
//! is what `helm lint` v4.3.2 found (`NAME.helm.txt`, recorded from Helm, the
//! chart directory written as `$CHARTS`); the live test asks Helm itself.

use std::process::{Command, Output};

use crate::support::helm_v4_binary;

const CHARTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/charts/helm-lint");

/// Fixtures whose findings match Helm's word for word.
const SAME_AS_HELM: &[&str] = &[
    "clean",
    "problems",
    "deps",
    "aliases",
    "schema",
    "broken",
    "notemplates",
];

fn ketch(args: &[&str]) -> Output {
    super::support::ketch_in(CHARTS, args)
}

/// The findings of one chart's report, as Helm prints them: ketch's rule
/// suffix dropped, blank lines and the framing left out.
fn findings(text: &str) -> String {
    let mut lines = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty()
            || line.starts_with("==> Linting")
            || line.contains("chart(s) linted")
            || line.contains(" error(s), ")
        {
            continue;
        }
        let line = ["chartfile", "values", "templates", "dependencies", "crds"]
            .iter()
            .find_map(|rule| line.strip_suffix(&format!(" ({rule})")))
            .unwrap_or(line);
        lines.push(line.replace(&format!("{CHARTS}/"), "$CHARTS/"));
    }
    lines.join("\n")
}

fn expected(chart: &str) -> String {
    findings(&std::fs::read_to_string(format!("{CHARTS}/{chart}.helm.txt")).unwrap())
}

#[test]
fn findings_are_helms_recorded_ones() {
    for chart in SAME_AS_HELM {
        let out = ketch(&["lint", chart]);
        assert_eq!(
            findings(&String::from_utf8_lossy(&out.stdout)),
            expected(chart),
            "ketch lint {chart}"
        );
    }
}

#[test]
fn findings_are_what_helm_finds_now() {
    for chart in SAME_AS_HELM {
        let helm = Command::new(helm_v4_binary())
            .args(["lint", chart])
            .current_dir(CHARTS)
            .output()
            .expect("run helm");
        let ours = ketch(&["lint", chart]);
        assert_eq!(
            findings(&String::from_utf8_lossy(&ours.stdout)),
            findings(&String::from_utf8_lossy(&helm.stdout)),
            "ketch lint {chart} against helm lint {chart}"
        );
        assert_eq!(ours.status.success(), helm.status.success(), "{chart}");
    }
}

#[test]
fn errors_fail_and_strict_fails_on_warnings_as_helm() {
    assert!(ketch(&["lint", "clean", "--strict"]).status.success());
    // Only a warning (no templates/) and infos: passes, but not with --strict.
    assert!(ketch(&["lint", "notemplates"]).status.success());
    let strict = ketch(&["lint", "notemplates", "--strict"]);
    assert!(!strict.status.success());
    assert!(
        String::from_utf8_lossy(&strict.stderr).contains("1 chart(s) linted, 1 chart(s) failed")
    );
    assert!(!ketch(&["lint", "problems"]).status.success());
}

#[test]
fn required_and_fail_do_not_stop_lint_as_in_helm() {
    // problems' deployment calls `required` on a missing value and `fail`:
    // Helm's lint mode renders on, so the template's own findings show.
    let out = String::from_utf8_lossy(&ketch(&["lint", "problems"]).stdout).into_owned();
    assert!(out.contains("[ERROR] templates/deployment.yaml: a Deployment must contain"));
    assert!(!out.contains("image is required"));
}

#[test]
fn a_template_that_is_not_yaml_stops_the_template_rules() {
    // Helm stops at the first template that does not parse (b.yaml's bad name is never read);
    // the parser's wording is ketch's.
    let out = String::from_utf8_lossy(&ketch(&["lint", "badyaml"]).stdout).into_owned();
    assert!(
        out.contains("[ERROR] templates/a.yaml: unable to parse YAML: "),
        "{out}"
    );
    assert!(!out.contains("templates/b.yaml"), "{out}");
}

#[test]
fn json_output_carries_helms_severity_path_and_message() {
    let out = ketch(&["lint", "deps", "-o", "json"]);
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = &reports[0]["findings"];
    assert_eq!(findings[1]["severity"], "warning");
    assert_eq!(findings[1]["rule"], "dependencies");
    assert_eq!(findings[1]["location"], format!("{CHARTS}/deps").as_str());
    assert_eq!(
        findings[1]["message"],
        "chart directory is missing these dependencies: missing"
    );
}

#[test]
fn ml_practices_stay_with_ketch_charts() {
    // clean's container has no resources, probes or securityContext: ketch's
    // own practices would warn; Helm's rules do not, and a Helm chart gets Helm's.
    let out = String::from_utf8_lossy(&ketch(&["lint", "clean"]).stdout).into_owned();
    assert!(
        !out.contains("(resources)") && !out.contains("(probes)"),
        "{out}"
    );
}

#[test]
fn show_prints_what_helm_show_prints() {
    for chart in ["clean", "deps", "../helm/umbrella"] {
        for part in ["chart", "values"] {
            let helm = Command::new(helm_v4_binary())
                .args(["show", part, chart])
                .current_dir(CHARTS)
                .output()
                .expect("run helm");
            let ours = ketch(&["show", part, chart]);
            assert_eq!(
                String::from_utf8_lossy(&ours.stdout),
                String::from_utf8_lossy(&helm.stdout),
                "show {part} {chart}"
            );
        }
    }
}
