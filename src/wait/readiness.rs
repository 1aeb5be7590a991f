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

/// Every replica ready and, under a rolling update, the replicas from the partition up on the
/// new revision (all of them, and the revision rolled over, without a partition), as Helm and
/// `kubectl rollout status` judge it. Under `OnDelete` the pods change only when deleted.
fn stateful_set(s: &Value) -> Readiness {
    if !observed(s) {
        return waiting_for_controller();
    }
    let want = int(s, "/spec/replicas").unwrap_or(1);
    let ready = int(s, "/status/readyReplicas").unwrap_or(0);
    let rolling = text(s, "/spec/updateStrategy/type").is_none_or(|t| t == "RollingUpdate");
    let partition = int(s, "/spec/updateStrategy/rollingUpdate/partition").unwrap_or(0);
    let updated = int(s, "/status/updatedReplicas").unwrap_or(0);
    let revisions_match = text(s, "/status/currentRevision") == text(s, "/status/updateRevision");
    let rolled = updated >= want - partition && (partition > 0 || revisions_match);
    if ready >= want && (!rolling || rolled) {
        return Readiness::Ready;
    }
    Readiness::Pending(format!("{ready}/{want} replicas ready, {updated} updated"))
}

/// A pod available on every node it should run on, each of the latest template under a rolling
/// update (under `OnDelete` the pods change only when deleted).
fn daemon_set(d: &Value) -> Readiness {
    if !observed(d) {
        return waiting_for_controller();
    }
    let want = int(d, "/status/desiredNumberScheduled").unwrap_or(0);
    let rolling = text(d, "/spec/updateStrategy/type").is_none_or(|t| t == "RollingUpdate");
    let updated = int(d, "/status/updatedNumberScheduled").unwrap_or(0);
    let available = int(d, "/status/numberAvailable").unwrap_or(0);
    if (!rolling || updated >= want) && available >= want {
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
    // Suspended: waiting for a queue (Kueue) or a person to start it, which --wait cannot bring.
    if j.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) {
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

    /// A StatefulSet as the API server returns it (apps/v1, v1.36), with `status` as its
    /// controller writes it: 3 replicas, revision `db-7c9f` rolling out over `db-5d8b`.
    fn stateful_set(strategy: Value, status: Value) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "db", "namespace": "ml", "generation": 2,
                         "resourceVersion": "4711", "uid": "0b1e4b2c-58d4-4c6e-9b0a-3c1d2e4f5a6b"},
            "spec": {
                "replicas": 3, "serviceName": "db", "podManagementPolicy": "OrderedReady",
                "revisionHistoryLimit": 10, "persistentVolumeClaimRetentionPolicy":
                    {"whenDeleted": "Retain", "whenScaled": "Retain"},
                "selector": {"matchLabels": {"app": "db"}},
                "template": {"metadata": {"labels": {"app": "db"}},
                             "spec": {"containers": [{"name": "db", "image": "postgres:17"}]}},
                "updateStrategy": strategy,
            },
            "status": status,
        })
    }

    fn sts_status(ready: i64, updated: i64, current_revision: &str) -> Value {
        json!({
            "observedGeneration": 2, "replicas": 3, "readyReplicas": ready,
            "availableReplicas": ready, "currentReplicas": 3 - updated,
            "updatedReplicas": updated, "currentRevision": current_revision,
            "updateRevision": "db-7c9f", "collisionCount": 0,
        })
    }

    #[test]
    fn stateful_set_rollout() {
        let rolling = json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}});
        // Rolled out: the controller moved currentRevision to the new one.
        let mut done = sts_status(3, 3, "db-7c9f");
        done["currentReplicas"] = json!(3);
        assert_eq!(
            readiness("StatefulSet", &stateful_set(rolling.clone(), done)),
            Readiness::Ready
        );
        // Half-way: ordinal 2 is on the new revision, 0 and 1 still on the old one.
        assert_eq!(
            readiness(
                "StatefulSet",
                &stateful_set(rolling.clone(), sts_status(3, 1, "db-5d8b"))
            ),
            Readiness::Pending("3/3 replicas ready, 1 updated".into())
        );
        // Every pod updated, one not ready yet.
        assert_eq!(
            readiness(
                "StatefulSet",
                &stateful_set(rolling.clone(), sts_status(2, 3, "db-7c9f"))
            ),
            Readiness::Pending("2/3 replicas ready, 3 updated".into())
        );
        // All pods updated but the revision not yet rolled over.
        assert!(matches!(
            readiness(
                "StatefulSet",
                &stateful_set(rolling.clone(), sts_status(3, 3, "db-5d8b"))
            ),
            Readiness::Pending(_)
        ));
        // The controller has not seen the new spec yet.
        let mut stale = stateful_set(rolling, sts_status(3, 3, "db-7c9f"));
        stale["status"]["observedGeneration"] = json!(1);
        assert_eq!(readiness("StatefulSet", &stale), waiting_for_controller());
        // Just created: no status at all.
        let created = stateful_set(json!({"type": "RollingUpdate"}), json!({}));
        assert_eq!(readiness("StatefulSet", &created), waiting_for_controller());
    }

    #[test]
    fn stateful_set_partitioned_and_on_delete() {
        // A canary: partition 2 updates ordinal 2 alone, and the revision never rolls over.
        let canary = json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 2}});
        assert_eq!(
            readiness(
                "StatefulSet",
                &stateful_set(canary.clone(), sts_status(3, 1, "db-5d8b"))
            ),
            Readiness::Ready
        );
        assert!(matches!(
            readiness(
                "StatefulSet",
                &stateful_set(canary.clone(), sts_status(3, 0, "db-5d8b"))
            ),
            Readiness::Pending(_)
        ));
        assert!(matches!(
            readiness(
                "StatefulSet",
                &stateful_set(canary, sts_status(2, 1, "db-5d8b"))
            ),
            Readiness::Pending(_)
        ));
        // OnDelete: nothing is replaced until its pod is deleted; ready pods are enough.
        let on_delete = json!({"type": "OnDelete"});
        assert_eq!(
            readiness(
                "StatefulSet",
                &stateful_set(on_delete.clone(), sts_status(3, 0, "db-5d8b"))
            ),
            Readiness::Ready
        );
        assert!(matches!(
            readiness(
                "StatefulSet",
                &stateful_set(on_delete, sts_status(2, 0, "db-5d8b"))
            ),
            Readiness::Pending(_)
        ));
    }

    /// A DaemonSet as the API server returns it, on `desired` nodes.
    fn daemon_set(strategy: Value, desired: i64, updated: i64, available: i64) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": "agent", "namespace": "ml", "generation": 3,
                         "resourceVersion": "815", "uid": "5f2c1d7e-0a4b-4c3d-8e9f-1a2b3c4d5e6f"},
            "spec": {
                "revisionHistoryLimit": 10,
                "selector": {"matchLabels": {"app": "agent"}},
                "template": {"metadata": {"labels": {"app": "agent"}},
                             "spec": {"containers": [{"name": "agent", "image": "fluent-bit:3"}]}},
                "updateStrategy": strategy,
            },
            "status": {
                "observedGeneration": 3, "desiredNumberScheduled": desired,
                "currentNumberScheduled": desired, "numberMisscheduled": 0,
                "numberReady": available, "numberAvailable": available,
                "numberUnavailable": desired - available, "updatedNumberScheduled": updated,
            },
        })
    }

    #[test]
    fn daemon_set_rollout() {
        let rolling = json!({"type": "RollingUpdate",
                             "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}});
        assert_eq!(
            readiness("DaemonSet", &daemon_set(rolling.clone(), 2, 2, 2)),
            Readiness::Ready
        );
        // One node has the new pod, the other's old pod is being replaced.
        assert_eq!(
            readiness("DaemonSet", &daemon_set(rolling.clone(), 2, 1, 1)),
            Readiness::Pending("1/2 pods available, 1 updated".into())
        );
        // Every pod updated, one not available yet.
        assert!(matches!(
            readiness("DaemonSet", &daemon_set(rolling.clone(), 2, 2, 1)),
            Readiness::Pending(_)
        ));
        // No node matches its selector: nothing to wait for.
        assert_eq!(
            readiness("DaemonSet", &daemon_set(rolling.clone(), 0, 0, 0)),
            Readiness::Ready
        );
        let mut stale = daemon_set(rolling, 2, 2, 2);
        stale["status"]["observedGeneration"] = json!(2);
        assert_eq!(readiness("DaemonSet", &stale), waiting_for_controller());
        // OnDelete: the old pods stay until deleted; available pods are enough.
        let on_delete = json!({"type": "OnDelete"});
        assert_eq!(
            readiness("DaemonSet", &daemon_set(on_delete.clone(), 2, 0, 2)),
            Readiness::Ready
        );
        assert!(matches!(
            readiness("DaemonSet", &daemon_set(on_delete, 2, 0, 1)),
            Readiness::Pending(_)
        ));
    }

    #[test]
    fn jobs_complete_or_fail() {
        let complete = json!({"status": {"conditions": [{"type": "Complete", "status": "True"}]}});
        assert_eq!(readiness("Job", &complete), Readiness::Ready);
        let failed = json!({"status": {"conditions": [{"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"}]}});
        assert!(matches!(readiness("Job", &failed), Readiness::Failed(_)));
        let queued = json!({"spec": {"suspend": true, "completions": 4}, "status": {}});
        assert_eq!(readiness("Job", &queued), Readiness::Ready);
        let running =
            json!({"spec": {"suspend": false, "completions": 4}, "status": {"succeeded": 1}});
        assert!(matches!(readiness("Job", &running), Readiness::Pending(_)));
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
