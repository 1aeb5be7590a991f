//! Moving field ownership from another tool's manager to ketch's, as
//! kubectl's `csaupgrade` does when an object passes from client-side to
//! server-side apply: the fields the old managers own join the `ketch` Apply
//! entry and their entries go. Without it, a field a later ketch revision no
//! longer sets would stay on the object, still owned by the old manager, and
//! a field the old manager set differently would conflict.

use kube::Client;
use kube::api::{Patch, PatchParams};
use serde_json::{Map, Value, json};

use super::server_side::FIELD_MANAGER;
use super::target::Target;
use crate::cluster::ClusterError;

/// The managed fields of `live` with every entry of a manager in `from` (on
/// the main resource, not a subresource) merged into ketch's Apply entry;
/// `None` when no entry is theirs.
pub fn migrated(live: &Value, from: &[&str]) -> Option<Vec<Value>> {
    let entries = live["metadata"]["managedFields"].as_array()?;
    let is_old = |e: &Value| {
        e["manager"].as_str().is_some_and(|m| from.contains(&m))
            && e["subresource"].as_str().unwrap_or_default().is_empty()
    };
    if !entries.iter().any(is_old) {
        return None;
    }
    let is_ours = |e: &Value| {
        e["manager"] == FIELD_MANAGER
            && e["operation"] == "Apply"
            && e["subresource"].as_str().unwrap_or_default().is_empty()
    };
    let mut fields = Value::Object(Map::new());
    let mut api_version = None;
    for entry in entries.iter().filter(|e| is_old(e) || is_ours(e)) {
        union(&mut fields, &entry["fieldsV1"]);
        if api_version.is_none() || is_ours(entry) {
            api_version = entry["apiVersion"].as_str().map(str::to_string);
        }
    }
    let mut out: Vec<Value> = entries
        .iter()
        .filter(|e| !is_old(e) && !is_ours(e))
        .cloned()
        .collect();
    out.push(json!({
        "manager": FIELD_MANAGER,
        "operation": "Apply",
        "apiVersion": api_version.or_else(|| live["apiVersion"].as_str().map(str::to_string)),
        "time": crate::timestamp::rfc3339(std::time::SystemTime::now()),
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
    }));
    Some(out)
}

/// Adds every path of the field set `more` to `set` (`f:`/`k:`/`v:`/`i:` keys, `.` leaves).
fn union(set: &mut Value, more: &Value) {
    let (Value::Object(set), Value::Object(more)) = (set, more) else {
        return;
    };
    for (key, value) in more {
        let slot = set
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        union(slot, value);
    }
}

/// Writes `entries` as the object's managed fields, only if it has not
/// changed since `live` was read (its resourceVersion is the precondition).
pub async fn write(
    client: &Client,
    target: &Target,
    live: &Value,
    entries: Vec<Value>,
) -> Result<(), ClusterError> {
    let patch = json!({
        "metadata": {
            "resourceVersion": live["metadata"]["resourceVersion"],
            "managedFields": entries,
        }
    });
    target
        .api(client)
        .patch(
            target.name(),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
        .map_err(|e| {
            ClusterError::from_kube(
                e,
                format!("{}: moving its fields to ketch", target.describe()),
            )
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helms_fields_join_ketchs_apply_entry() {
        let live = json!({
            "apiVersion": "apps/v1",
            "metadata": {"managedFields": [
                {"manager": "helm", "operation": "Update", "apiVersion": "apps/v1",
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}, "f:template": {"f:metadata": {}}}}},
                {"manager": "helm", "operation": "Update", "apiVersion": "apps/v1",
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}}}}},
                {"manager": "kube-controller-manager", "operation": "Update", "subresource": "status",
                 "fieldsV1": {"f:status": {}}},
                {"manager": "kubectl-edit", "operation": "Update", "fieldsV1": {"f:spec": {"f:paused": {}}}},
            ]}
        });
        let entries = migrated(&live, &["helm"]).unwrap();
        let managers: Vec<&str> = entries
            .iter()
            .map(|e| e["manager"].as_str().unwrap())
            .collect();
        assert_eq!(
            managers,
            ["kube-controller-manager", "kubectl-edit", "ketch"]
        );
        let ours = &entries[2];
        assert_eq!(ours["operation"], "Apply");
        assert_eq!(ours["apiVersion"], "apps/v1");
        assert_eq!(
            ours["fieldsV1"],
            json!({"f:spec": {"f:replicas": {}, "f:template": {"f:metadata": {}}},
                   "f:metadata": {"f:labels": {"f:app": {}}}})
        );
    }

    #[test]
    fn nothing_to_move_is_none() {
        let live = json!({"metadata": {"managedFields": [
            {"manager": "ketch", "operation": "Apply", "fieldsV1": {}}
        ]}});
        assert!(migrated(&live, &["helm"]).is_none());
        assert!(migrated(&json!({"metadata": {}}), &["helm"]).is_none());
    }

    #[test]
    fn an_existing_ketch_entry_is_extended() {
        let live = json!({"metadata": {"managedFields": [
            {"manager": "ketch", "operation": "Apply", "apiVersion": "v1", "fieldsV1": {"f:data": {"f:a": {}}}},
            {"manager": "helm", "operation": "Update", "apiVersion": "v1", "fieldsV1": {"f:data": {"f:b": {}}}},
        ]}});
        let entries = migrated(&live, &["helm"]).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(
            entries[0]["fieldsV1"],
            json!({"f:data": {"f:a": {}, "f:b": {}}})
        );
    }
}
