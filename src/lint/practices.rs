//! Best practices for what a chart deploys: pinned images, resources, probes,
//! non-root containers, and no credentials in default values.

use serde_json::Value;

use super::{Finding, Severity};
use crate::chart::Chart;
use crate::manifest::Object;

/// Kinds that run long-lived pods: they need probes.
const SERVING_KINDS: &[&str] = &["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"];

/// Keys whose values are credentials when set in `values.yaml`.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "accesskey",
    "access_key",
    "privatekey",
    "private_key",
];

pub fn check_object(object: &Object, findings: &mut Vec<Finding>) {
    let Some(pod) = pod_spec(object) else { return };
    let location = format!("{}: {}", object.source, object.describe());
    let mut warn = |rule: &'static str, message: String| {
        findings.push(Finding {
            severity: Severity::Warning,
            rule,
            location: location.clone(),
            message,
        })
    };
    let pod_security = pod.get("securityContext");
    let containers = list(pod, "containers");
    let init_containers = list(pod, "initContainers");
    for container in containers.iter().chain(&init_containers) {
        let name = container.get("name").and_then(Value::as_str).unwrap_or("?");
        let image = container.get("image").and_then(Value::as_str).unwrap_or("");
        if let Some(problem) = image_problem(image) {
            warn(
                "image-tag",
                format!("container {name}: image {image:?} {problem}; pin a version tag or digest"),
            );
        }
        if runs_as_root(pod_security, container.get("securityContext")) {
            warn(
                "security-context",
                format!(
                    "container {name} may run as root: set securityContext.runAsNonRoot: true (pod or container) and a non-zero runAsUser"
                ),
            );
        }
        let resources = container.get("resources");
        for part in ["requests", "limits"] {
            if resources
                .and_then(|r| r.get(part))
                .and_then(Value::as_object)
                .is_none_or(|m| m.is_empty())
            {
                warn(
                    "resources",
                    format!(
                        "container {name} has no resources.{part}: the scheduler and the OOM killer need them"
                    ),
                );
            }
        }
    }
    if SERVING_KINDS.contains(&object.kind()) {
        for container in &containers {
            let name = container.get("name").and_then(Value::as_str).unwrap_or("?");
            for probe in ["readinessProbe", "livenessProbe"] {
                if container.get(probe).is_none() {
                    warn("probes", format!("container {name} has no {probe}"));
                }
            }
        }
    }
}

/// Warns about default values that look like credentials: they end up in every
/// release and in the chart archive.
pub fn check_default_values(chart: &Chart, findings: &mut Vec<Finding>) {
    let mut path = Vec::new();
    let location = format!("{}/values.yaml", chart.origin);
    walk_secrets(
        &Value::Object(chart.values.clone()),
        &mut path,
        &location,
        findings,
    );
}

fn walk_secrets(
    value: &Value,
    path: &mut Vec<String>,
    location: &str,
    findings: &mut Vec<Finding>,
) {
    let Value::Object(map) = value else { return };
    for (key, child) in map {
        path.push(key.clone());
        let lower = key.to_ascii_lowercase().replace('-', "_");
        let secret_like =
            SECRET_WORDS.iter().any(|w| lower.ends_with(w)) && !lower.starts_with("existing");
        match child {
            Value::String(s) if secret_like && !s.is_empty() => findings.push(Finding {
                severity: Severity::Warning,
                rule: "plain-secret",
                location: location.to_string(),
                message: format!(
                    "{} has a default value that looks like a credential; leave it empty and set it at install time (or reference an existing Secret)",
                    path.join(".")
                ),
            }),
            _ => walk_secrets(child, path, location, findings),
        }
        path.pop();
    }
}

/// The pod spec of a workload, wherever its kind keeps it.
pub(super) fn pod_spec(object: &Object) -> Option<&Value> {
    let spec = object.data.get("spec")?;
    match object.kind() {
        "Pod" => Some(spec),
        "CronJob" => spec
            .get("jobTemplate")?
            .get("spec")?
            .get("template")?
            .get("spec"),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => spec.get("template")?.get("spec"),
        _ => None,
    }
}

pub(super) fn list<'a>(value: &'a Value, key: &str) -> Vec<&'a Value> {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn image_problem(image: &str) -> Option<&'static str> {
    if image.is_empty() {
        return Some("is empty");
    }
    if image.contains("@sha256:") {
        return None;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => Some("has no tag (means latest)"),
        Some((_, "latest")) => Some("uses the tag latest"),
        Some(_) => None,
    }
}

fn runs_as_root(pod: Option<&Value>, container: Option<&Value>) -> bool {
    let setting = |key: &str| {
        container
            .and_then(|c| c.get(key))
            .or_else(|| pod.and_then(|p| p.get(key)))
    };
    let non_root = setting("runAsNonRoot").and_then(Value::as_bool) == Some(true);
    let user = setting("runAsUser").and_then(Value::as_i64);
    match user {
        Some(0) => true,
        Some(_) => false,
        None => !non_root,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tags() {
        assert_eq!(image_problem("nginx"), Some("has no tag (means latest)"));
        assert_eq!(image_problem("nginx:latest"), Some("uses the tag latest"));
        assert_eq!(
            image_problem("localhost:5000/nginx"),
            Some("has no tag (means latest)")
        );
        assert_eq!(image_problem("localhost:5000/nginx:1.2"), None);
        assert_eq!(image_problem("nginx@sha256:abc"), None);
    }

    #[test]
    fn root_detection() {
        let non_root = serde_json::json!({"runAsNonRoot": true});
        let root = serde_json::json!({"runAsUser": 0});
        assert!(runs_as_root(None, None));
        assert!(!runs_as_root(Some(&non_root), None));
        assert!(runs_as_root(Some(&non_root), Some(&root)));
    }
}
