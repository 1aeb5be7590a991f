//! `diff RELEASE CHART`: what an upgrade would change, object by object, as
//! unified diffs of the live object against the server's dry-run apply of
//! the new one. Server-set fields (managedFields, resourceVersion,
//! generation, timestamps, uid, status) are left out, and Secret values are
//! never shown: a changed key reads `(redacted: changed)`.

use std::collections::BTreeSet;

use base64::Engine;
use serde_json::{Map, Value};
use similar::TextDiff;

use super::deploy::{History, Operation, resolved_key};
use super::error::ReleaseError;
use super::upgrade::{ChartRequest, render, values_for};
use crate::apply::ownership::{self, decorate};
use crate::apply::{Applier, ApplyOptions, Target};
use crate::cluster::Cluster;
use crate::release::{ApplyMethod, ReleaseStore, Status};
use crate::values::UserValues;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Changed,
    Removed,
}

#[derive(Debug, Clone)]
pub struct ObjectDiff {
    pub object: String,
    pub change: Change,
    /// A unified diff (`--- live`, `+++ ketch`).
    pub text: String,
}

/// Every object that would change; empty when the upgrade changes nothing.
pub async fn run(
    request: &ChartRequest,
    user: &UserValues,
) -> Result<Vec<ObjectDiff>, ReleaseError> {
    let cluster = Cluster::connect(&request.connect).await?;
    let store = ReleaseStore::new(cluster.client.clone(), &request.namespace);
    let history = History::read(&store, &request.name).await?;
    let exists = history
        .latest
        .as_ref()
        .is_some_and(|l| l.status() != Status::Uninstalled);
    let operation = if exists {
        Operation::Upgrade
    } else {
        Operation::Install
    };
    let user = values_for(request, user, &history, operation);
    let lookup: std::sync::Arc<dyn crate::engine::Lookup> =
        std::sync::Arc::new(crate::cluster::lookup::ClusterLookup::new(
            cluster.client.clone(),
            cluster.resources.clone(),
        ));
    let release = render(
        request,
        &user,
        Some(lookup),
        history.next_revision(),
        !exists,
        cluster.capabilities(),
    )?;
    // Always a server-side dry run: it shows what the server would hold.
    let applier = Applier::new(
        &cluster.client,
        ApplyOptions {
            method: ApplyMethod::Ssa,
            force_conflicts: request.settings.force_conflicts,
            dry_run: true,
        },
    );
    let mut diffs = Vec::new();
    let mut wanted = BTreeSet::new();
    for raw in release.crd_objects().into_iter().chain(release.objects()) {
        wanted.insert(resolved_key(&raw, &cluster.resources, &request.namespace));
        let mut object = raw.clone();
        decorate(&mut object.data, &request.name, &request.namespace);
        let target = match Target::resolve(object.clone(), &cluster.resources, &request.namespace) {
            Ok(t) => t,
            // A custom resource whose CRD this upgrade installs: no dry run possible.
            Err(_) => {
                push(
                    &mut diffs,
                    &object.describe(),
                    None,
                    Some(&Value::Object(object.data)),
                );
                continue;
            }
        };
        let live = crate::apply::live::get(&cluster.client, &target).await?;
        let applied = applier
            .apply(&target, None, live.as_ref())
            .await?
            .map(|a| a.object)
            .or(live.clone());
        push(
            &mut diffs,
            &target.describe(),
            live.as_ref(),
            applied.as_ref(),
        );
    }
    // What the upgrade would prune.
    if let Some(previous) = &history.latest {
        for raw in previous.objects() {
            if wanted.contains(&resolved_key(&raw, &cluster.resources, &request.namespace)) {
                continue;
            }
            let Ok(target) = Target::resolve(raw, &cluster.resources, &request.namespace) else {
                continue;
            };
            let live = crate::apply::live::get(&cluster.client, &target).await?;
            if let Some(live) = live
                && ownership::is_owned_by(&live, &request.name, &request.namespace)
                && !ownership::is_kept(&live)
            {
                push(&mut diffs, &target.describe(), Some(&live), None);
            }
        }
    }
    Ok(diffs)
}

fn push(diffs: &mut Vec<ObjectDiff>, object: &str, live: Option<&Value>, new: Option<&Value>) {
    let (mut old, mut new) = (live.map(clean), new.map(clean));
    if let (Some(o), Some(n)) = (&mut old, &mut new) {
        redact_pair(o, n);
    } else {
        if let Some(o) = &mut old {
            redact_alone(o);
        }
        if let Some(n) = &mut new {
            redact_alone(n);
        }
    }
    if old == new {
        return;
    }
    let yaml = |v: &Option<Value>| {
        v.as_ref()
            .map(|v| crate::yaml::to_string(v).unwrap_or_default())
            .unwrap_or_default()
    };
    let (a, b) = (yaml(&old), yaml(&new));
    let change = match (&old, &new) {
        (None, _) => Change::Added,
        (_, None) => Change::Removed,
        _ => Change::Changed,
    };
    let text = TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header(&format!("live: {object}"), &format!("ketch: {object}"))
        .to_string();
    diffs.push(ObjectDiff {
        object: object.to_string(),
        change,
        text,
    });
}

/// Drops what the server sets and nobody declares.
fn clean(object: &Value) -> Value {
    let mut object = object.clone();
    if let Value::Object(map) = &mut object {
        map.remove("status");
        if let Some(Value::Object(meta)) = map.get_mut("metadata") {
            for key in [
                "managedFields",
                "resourceVersion",
                "generation",
                "creationTimestamp",
                "uid",
                "selfLink",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
            ] {
                meta.remove(key);
            }
        }
    }
    object
}

fn is_secret(object: &Value) -> bool {
    object.get("kind").and_then(Value::as_str) == Some("Secret")
}

fn secret_values(object: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(Value::Object(data)) = object.get("data") {
        out.extend(data.clone());
    }
    if let Some(Value::Object(data)) = object.get("stringData") {
        for (k, v) in data {
            let text = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            out.insert(
                k.clone(),
                Value::String(base64::engine::general_purpose::STANDARD.encode(text)),
            );
        }
    }
    out
}

fn set_redacted(object: &mut Value, data: Map<String, Value>) {
    if let Value::Object(map) = object {
        map.remove("stringData");
        if data.is_empty() {
            map.remove("data");
        } else {
            map.insert("data".into(), Value::Object(data));
        }
    }
}

/// Secret values become markers: equal keys read the same on both sides,
/// changed ones differ, and no value is ever printed.
fn redact_pair(old: &mut Value, new: &mut Value) {
    if !is_secret(old) && !is_secret(new) {
        return;
    }
    let (a, b) = (secret_values(old), secret_values(new));
    let mark = |mine: &Map<String, Value>, other: &Map<String, Value>, side: &str| {
        mine.iter()
            .map(|(k, v)| {
                let text = if other.get(k) == Some(v) {
                    "(redacted)".to_string()
                } else {
                    format!("(redacted: {side} value)")
                };
                (k.clone(), Value::String(text))
            })
            .collect::<Map<String, Value>>()
    };
    let (ra, rb) = (mark(&a, &b, "old"), mark(&b, &a, "new"));
    set_redacted(old, ra);
    set_redacted(new, rb);
}

fn redact_alone(object: &mut Value) {
    if !is_secret(object) {
        return;
    }
    let data = secret_values(object)
        .into_iter()
        .map(|(k, _)| (k, Value::String("(redacted)".into())))
        .collect();
    set_redacted(object, data);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_show_changed_keys_only() {
        let live = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                          "data": {"same": "YQ==", "changed": "Yg=="}});
        let new = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                         "data": {"same": "YQ==", "changed": "Yw=="}});
        let mut diffs = Vec::new();
        push(&mut diffs, "Secret ns/s", Some(&live), Some(&new));
        let text = &diffs[0].text;
        assert!(
            text.contains("-  changed: \"(redacted: old value)\""),
            "{text}"
        );
        assert!(
            text.contains("+  changed: \"(redacted: new value)\""),
            "{text}"
        );
        assert!(
            !text.contains("YQ==") && !text.contains("Yg==") && !text.contains("Yw=="),
            "{text}"
        );
        assert!(!text.contains("-  same"), "{text}");
    }

    #[test]
    fn unchanged_objects_have_no_diff() {
        let live = json!({"kind": "ConfigMap", "metadata": {"name": "c", "resourceVersion": "5", "managedFields": []}, "data": {"a": "1"}});
        let new = json!({"kind": "ConfigMap", "metadata": {"name": "c", "resourceVersion": "6"}, "data": {"a": "1"}});
        let mut diffs = Vec::new();
        push(&mut diffs, "ConfigMap ns/c", Some(&live), Some(&new));
        assert!(diffs.is_empty());
    }
}
