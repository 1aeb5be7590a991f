//! Whether one live object is ready, by kind.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// Not yet; the text says how far it is.
    Pending(String),
    /// Will not become ready (a failed Job or Pod).
    Failed(String),
}

fn int(object: &Value, pointer: &str) -> Option<i64> {
    object.pointer(pointer).and_then(Value::as_i64)
}

fn text<'a>(object: &'a Value, pointer: &str) -> Option<&'a str> {
    object.pointer(pointer).and_then(Value::as_str)
}

/// The condition of `type_` with its status and message.
fn condition<'a>(object: &'a Value, type_: &str) -> Option<(&'a str, &'a str)> {
    object
        .pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(type_))
        .map(|c| {
            (
                c.get("status").and_then(Value::as_str).unwrap_or(""),
                c.get("message")
                    .and_then(Value::as_str)
                    .or_else(|| c.get("reason").and_then(Value::as_str))
                    .unwrap_or(""),
            )
        })
}

/// The controller has seen the object's latest spec.
fn observed(object: &Value) -> bool {
    match (
        int(object, "/metadata/generation"),
        int(object, "/status/observedGeneration"),
    ) {
        (Some(generation), Some(observed)) => observed >= generation,
        (Some(_), None) => false,
        _ => true,
    }
}

pub fn readiness(kind: &str, object: &Value) -> Readiness {
    match kind {
        "Deployment" => deployment(object),
        "StatefulSet" => stateful_set(object),
        "DaemonSet" => daemon_set(object),
        "Job" => job(object),
        "Pod" => pod(object),
        "PersistentVolumeClaim" => match text(object, "/status/phase") {
            Some("Bound") => Readiness::Ready,
            phase => Readiness::Pending(format!("{} (not bound)", phase.unwrap_or("Pending"))),
        },
        "CustomResourceDefinition" => match condition(object, "Established") {
            Some(("True", _)) => Readiness::Ready,
            _ => Readiness::Pending("not established".into()),
        },
        _ => generic(object),
    }
}

fn waiting_for_controller() -> Readiness {
    Readiness::Pending("waiting for the controller to observe the new generation".into())
}

fn deployment(d: &Value) -> Readiness {
    if d.pointer("/spec/paused").and_then(Value::as_bool) == Some(true) {
        return Readiness::Ready;
    }
    if !observed(d) {
        return waiting_for_controller();
    }
    let want = int(d, "/spec/replicas").unwrap_or(1);
    let updated = int(d, "/status/updatedReplicas").unwrap_or(0);
    let total = int(d, "/status/replicas").unwrap_or(0);
    let available = int(d, "/status/availableReplicas").unwrap_or(0);
    if updated >= want && total <= updated && available >= want {
        return Readiness::Ready;
    }
    if total > updated {
        return Readiness::Pending(format!(
            "{} old replicas pending termination, {updated}/{want} updated",
            total - updated
        ));
    }
    let updated_available = available.min(updated);
    Readiness::Pending(format!(
        "{updated_available}/{want} updated replicas available"
    ))
}

fn stateful_set(s: &Value) -> Readiness {
    if !observed(s) {
        return waiting_for_controller();
    }
    let want = int(s, "/spec/replicas").unwrap_or(1);
    let ready = int(s, "/status/readyReplicas").unwrap_or(0);
    let rolling = text(s, "/spec/updateStrategy/type").is_none_or(|t| t == "RollingUpdate");
    let updated = int(s, "/status/updatedReplicas").unwrap_or(0);
    let revisions_match = text(s, "/status/currentRevision") == text(s, "/status/updateRevision");
    if ready >= want && (!rolling || (updated >= want && revisions_match)) {
        return Readiness::Ready;
    }
    Readiness::Pending(format!("{ready}/{want} replicas ready, {updated} updated"))
}

fn daemon_set(d: &Value) -> Readiness {
    if !observed(d) {
        return waiting_for_controller();
    }
    let want = int(d, "/status/desiredNumberScheduled").unwrap_or(0);
    let updated = int(d, "/status/updatedNumberScheduled").unwrap_or(0);
    let available = int(d, "/status/numberAvailable").unwrap_or(0);
    if updated >= want && available >= want {
        return Readiness::Ready;
    }
    Readiness::Pending(format!(
        "{available}/{want} pods available, {updated} updated"
    ))
}

fn job(j: &Value) -> Readiness {
    if let Some(("True", message)) = condition(j, "Failed") {
        return Readiness::Failed(format!("job failed: {message}"));
    }
    if let Some(("True", _)) = condition(j, "Complete") {
        return Readiness::Ready;
    }
    let want = int(j, "/spec/completions").unwrap_or(1);
    let done = int(j, "/status/succeeded").unwrap_or(0);
    Readiness::Pending(format!("{done}/{want} completions"))
}

fn pod(p: &Value) -> Readiness {
    match text(p, "/status/phase") {
        Some("Succeeded") => Readiness::Ready,
        Some("Failed") => Readiness::Failed(format!(
            "pod failed: {}",
            text(p, "/status/message")
                .or(text(p, "/status/reason"))
                .unwrap_or("")
        )),
        phase => match condition(p, "Ready") {
            Some(("True", _)) => Readiness::Ready,
            _ => Readiness::Pending(format!("{} (not ready)", phase.unwrap_or("Pending"))),
        },
    }
}

fn generic(o: &Value) -> Readiness {
    if let (Some(generation), Some(seen)) = (
        int(o, "/metadata/generation"),
        int(o, "/status/observedGeneration"),
    ) && seen < generation
    {
        return waiting_for_controller();
    }
    match condition(o, "Ready") {
        Some(("True", _)) | None => Readiness::Ready,
        Some((_, message)) => Readiness::Pending(format!("not Ready: {message}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deployment_rollout() {
        let d = |updated: i64, total: i64, available: i64| {
            json!({"metadata": {"generation": 2}, "spec": {"replicas": 3},
                   "status": {"observedGeneration": 2, "updatedReplicas": updated,
                              "replicas": total, "availableReplicas": available}})
        };
        assert_eq!(readiness("Deployment", &d(3, 3, 3)), Readiness::Ready);
        assert_eq!(
            readiness("Deployment", &d(3, 3, 1)),
            Readiness::Pending("1/3 updated replicas available".into())
        );
        assert!(matches!(
            readiness("Deployment", &d(3, 4, 3)),
            Readiness::Pending(_)
        ));
        let stale = json!({"metadata": {"generation": 3}, "spec": {"replicas": 1},
                           "status": {"observedGeneration": 2, "updatedReplicas": 1, "replicas": 1, "availableReplicas": 1}});
        assert!(matches!(
            readiness("Deployment", &stale),
            Readiness::Pending(_)
        ));
    }

    #[test]
    fn jobs_complete_or_fail() {
        let complete = json!({"status": {"conditions": [{"type": "Complete", "status": "True"}]}});
        assert_eq!(readiness("Job", &complete), Readiness::Ready);
        let failed = json!({"status": {"conditions": [{"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"}]}});
        assert!(matches!(readiness("Job", &failed), Readiness::Failed(_)));
    }

    #[test]
    fn other_kinds_use_ready_condition() {
        assert_eq!(
            readiness("ConfigMap", &json!({"data": {}})),
            Readiness::Ready
        );
        let not_ready = json!({"status": {"conditions": [{"type": "Ready", "status": "False", "message": "syncing"}]}});
        assert_eq!(
            readiness("Widget", &not_ready),
            Readiness::Pending("not Ready: syncing".into())
        );
    }
}
