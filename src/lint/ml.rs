//! Best practices for ML workloads (class best-practice, as warnings): GPUs that can reach GPU
//! nodes, shared memory for LLM servers, pinned model versions, canary weights that reach a
//! variant, and CronJobs that say whether training runs may overlap.

use serde_json::Value;

use super::practices::{list, pod_spec};
use super::{Finding, Severity};
use crate::manifest::Object;

/// Image names of LLM servers that need a large `/dev/shm` (tensor-parallel workers share
/// memory through it; Docker's default of 64 MiB crashes them).
const LLM_SERVERS: &[&str] = &[
    "vllm",
    "text-generation-inference",
    "tritonserver",
    "sglang",
    "lmdeploy",
];

fn warning(object: &Object, rule: &'static str, message: String) -> Finding {
    Finding {
        severity: Severity::Warning,
        rule,
        location: format!("{}: {}", object.source, object.describe()),
        message,
    }
}

pub fn check_object(object: &Object, findings: &mut Vec<Finding>) {
    if object.kind() == "CronJob"
        && object
            .data
            .get("spec")
            .and_then(|s| s.get("concurrencyPolicy"))
            .is_none()
    {
        findings.push(warning(
            object,
            "cronjob-concurrency",
            "no concurrencyPolicy: a run that outlasts the schedule overlaps the next one (the \
             default is Allow); set concurrencyPolicy: Forbid (or Replace)"
                .into(),
        ));
    }
    if object.kind() == "ConfigMap"
        && let Some(data) = object.data.get("data")
    {
        check_model_version(object, data.get("MODEL_VERSION"), findings);
    }
    let Some(pod) = pod_spec(object) else { return };
    let placed = ["tolerations", "nodeSelector"]
        .iter()
        .any(|k| pod.get(*k).is_some_and(|v| !is_empty(v)))
        || pod.pointer("/affinity/nodeAffinity").is_some();
    for container in list(pod, "containers") {
        let name = container.get("name").and_then(Value::as_str).unwrap_or("?");
        if !placed && let Some((resource, count)) = gpu_limit(container) {
            findings.push(warning(
                object,
                "gpu-placement",
                format!(
                    "container {name} asks for {count} {resource} but the pod has no toleration \
                     or node selector: GPU nodes are usually tainted; add tolerations (e.g. \
                     key {resource}, operator Exists, effect NoSchedule) and a nodeSelector"
                ),
            ));
        }
        let image = container.get("image").and_then(Value::as_str).unwrap_or("");
        let repository = image.rsplit('/').next().unwrap_or(image);
        let repository = repository.split([':', '@']).next().unwrap_or(repository);
        let shm = list(container, "volumeMounts")
            .iter()
            .any(|m| m.get("mountPath").and_then(Value::as_str) == Some("/dev/shm"));
        if !shm && LLM_SERVERS.iter().any(|s| repository.contains(s)) {
            findings.push(warning(
                object,
                "llm-shm",
                format!(
                    "container {name} runs an LLM server ({image}) without /dev/shm: mount a \
                     memory-backed emptyDir there (medium: Memory, a sizeLimit of a few GiB; \
                     serving.shm in model-server)"
                ),
            ));
        }
        for env in list(container, "env") {
            if env.get("name").and_then(Value::as_str) == Some("MODEL_VERSION") {
                check_model_version(object, env.get("value"), findings);
            }
        }
    }
}

/// A `MODEL_VERSION` that names no version.
fn check_model_version(object: &Object, value: Option<&Value>, findings: &mut Vec<Finding>) {
    let Some(version) = value.and_then(Value::as_str) else {
        return;
    };
    if matches!(version.trim(), "" | "latest" | "main" | "master") {
        findings.push(warning(
            object,
            "model-version",
            format!(
                "MODEL_VERSION is {version:?}: every restart may load another model; pin a \
                 version (model.version)"
            ),
        ));
    }
}

/// The first GPU-like extended resource in a container's limits, with its count.
fn gpu_limit(container: &Value) -> Option<(String, String)> {
    let limits = container.pointer("/resources/limits")?.as_object()?;
    limits.iter().find_map(|(resource, count)| {
        let count = match count {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        (resource.contains("gpu") && count != "0").then(|| (resource.clone(), count))
    })
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// Rules across objects: a canary weight must reach a variant.
pub fn check_manifest(objects: &[&Object], findings: &mut Vec<Finding>) {
    let services: Vec<&str> = objects
        .iter()
        .filter(|o| o.kind() == "Service")
        .map(|o| o.name())
        .collect();
    for route in objects.iter().filter(|o| o.kind() == "HTTPRoute") {
        for rule in route
            .data
            .get("spec")
            .and_then(|spec| spec.get("rules"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for backend in list(rule, "backendRefs") {
                let kind = backend
                    .get("kind")
                    .and_then(Value::as_str)
                    .unwrap_or("Service");
                let name = backend.get("name").and_then(Value::as_str).unwrap_or("");
                let weight = backend.get("weight").and_then(Value::as_i64).unwrap_or(1);
                if kind == "Service" && weight > 0 && !services.contains(&name) {
                    findings.push(warning(
                        route,
                        "canary-weight",
                        format!(
                            "backend {name} has weight {weight}, but the release renders no \
                             Service {name}: that share of the requests reaches no variant"
                        ),
                    ));
                }
            }
        }
    }
    let annotation = |o: &Object, key: &str| -> Option<String> {
        o.data
            .get("metadata")?
            .get("annotations")?
            .get(key)?
            .as_str()
            .map(str::to_string)
    };
    let ingresses: Vec<&Object> = objects
        .iter()
        .copied()
        .filter(|o| o.kind() == "Ingress")
        .collect();
    for canary in &ingresses {
        if annotation(canary, "nginx.ingress.kubernetes.io/canary").as_deref() != Some("true") {
            continue;
        }
        let primary = ingresses.iter().any(|o| {
            annotation(o, "nginx.ingress.kubernetes.io/canary").as_deref() != Some("true")
        });
        if !primary {
            findings.push(warning(
                canary,
                "canary-weight",
                "a canary Ingress without a primary Ingress: ingress-nginx ignores the canary \
                 weight and serves nothing; render the primary variant's Ingress too"
                    .into(),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(data: Value) -> Object {
        Object {
            source: "t.yaml".into(),
            data: data.as_object().unwrap().clone(),
        }
    }

    fn rules(objects: &[Object]) -> Vec<&'static str> {
        let mut findings = Vec::new();
        for o in objects {
            check_object(o, &mut findings);
        }
        check_manifest(&objects.iter().collect::<Vec<_>>(), &mut findings);
        findings.iter().map(|f| f.rule).collect()
    }

    fn deployment(pod: Value) -> Object {
        object(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"template": {"spec": pod}}}),
        )
    }

    #[test]
    fn gpus_need_placement_and_llm_servers_need_shm() {
        let gpu = json!({"name": "s", "image": "vllm/vllm-openai:v0.9.0",
            "resources": {"limits": {"nvidia.com/gpu": 1}}});
        assert_eq!(
            rules(&[deployment(json!({"containers": [gpu]}))]),
            ["gpu-placement", "llm-shm"]
        );
        let placed = json!({"containers": [{"name": "s", "image": "vllm/vllm-openai:v0.9.0",
            "resources": {"limits": {"nvidia.com/gpu": 1}},
            "volumeMounts": [{"name": "shm", "mountPath": "/dev/shm"}]}],
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}]});
        assert!(rules(&[deployment(placed)]).is_empty());
    }

    #[test]
    fn model_versions_cronjobs_and_canary_weights() {
        let config = object(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c"}, "data": {"MODEL_VERSION": "latest"}}));
        let cron = object(json!({"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "t"}, "spec": {"schedule": "@daily"}}));
        let route = object(json!({"apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute", "metadata": {"name": "r"},
            "spec": {"rules": [{"backendRefs": [
                {"name": "stable", "port": 80, "weight": 90},
                {"name": "canary", "port": 80, "weight": 10}]}]}}));
        let stable = object(json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "stable"}}));
        assert_eq!(
            rules(&[config, cron, route, stable]),
            ["model-version", "cronjob-concurrency", "canary-weight"]
        );
    }
}
