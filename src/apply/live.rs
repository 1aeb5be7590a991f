//! Reading what the cluster holds for a set of objects, in few requests: one
//! LIST (label `app.kubernetes.io/managed-by=ketch`) per kind and namespace
//! the previous revision already had, then a GET for each object not found
//! that way (new objects, or ones whose label was removed).

use std::collections::{BTreeMap, HashMap};

use futures::{StreamExt, TryStreamExt};
use kube::Client;
use kube::api::ListParams;
use serde_json::Value;

use super::ownership::{MANAGED_BY, MANAGED_BY_LABEL};
use super::target::{ObjectKey, Target};
use crate::cluster::ClusterError;

/// Requests in flight at once.
const CONCURRENCY: usize = 8;

/// Live objects by key; a key that maps to `None` does not exist.
#[derive(Debug, Default)]
pub struct LiveObjects {
    objects: HashMap<ObjectKey, Option<Value>>,
}

impl LiveObjects {
    pub fn get(&self, key: &ObjectKey) -> Option<&Value> {
        self.objects.get(key)?.as_ref()
    }

    pub fn insert(&mut self, key: ObjectKey, value: Option<Value>) {
        self.objects.insert(key, value);
    }
}

/// Reads every target; `listable` says which kinds to LIST rather than GET one by one.
pub async fn read(
    client: &Client,
    targets: &[&Target],
    listable: impl Fn(&Target) -> bool,
) -> Result<LiveObjects, ClusterError> {
    let mut live = LiveObjects::default();
    // (apiVersion, kind, namespace) -> a target of that group, to build the Api.
    let mut groups: BTreeMap<(String, String, String), &Target> = BTreeMap::new();
    for target in targets.iter().copied().filter(|t| listable(t)) {
        groups
            .entry((
                target.resource.api.api_version.clone(),
                target.kind().to_string(),
                target.namespace().unwrap_or("").to_string(),
            ))
            .or_insert(target);
    }
    let lists: Vec<(ObjectKey, Vec<Value>)> = futures::stream::iter(groups.into_values())
        .map(|target| async move {
            let lp = ListParams::default().labels(&format!("{MANAGED_BY_LABEL}={MANAGED_BY}"));
            let what = match target.namespace() {
                Some(ns) => format!("listing {} in namespace {ns}", target.resource.api.plural),
                None => format!("listing {}", target.resource.api.plural),
            };
            let list = target
                .api(client)
                .list(&lp)
                .await
                .map_err(|e| ClusterError::from_kube(e, what))?;
            let items = list
                .items
                .into_iter()
                .filter_map(|o| serde_json::to_value(o).ok())
                .map(|o| with_type(o, target))
                .collect();
            Ok::<_, ClusterError>((target.key(), items))
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    let mut found: HashMap<ObjectKey, Value> = HashMap::new();
    for (group_key, items) in lists {
        for object in items {
            let text = |p: &str| {
                object
                    .pointer(p)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let key = ObjectKey {
                namespace: text("/metadata/namespace"),
                name: text("/metadata/name"),
                ..group_key.clone()
            };
            found.insert(key, object);
        }
    }
    let mut missing = Vec::new();
    for target in targets {
        let key = target.key();
        match found.remove(&key) {
            Some(object) => live.insert(key, Some(object)),
            None => missing.push(*target),
        }
    }
    let fetched: Vec<(ObjectKey, Option<Value>)> = futures::stream::iter(missing)
        .map(|target| async move {
            let object = target
                .api(client)
                .get_opt(target.name())
                .await
                .map_err(|e| ClusterError::from_kube(e, target.describe()))?;
            Ok::<_, ClusterError>((
                target.key(),
                object
                    .and_then(|o| serde_json::to_value(o).ok())
                    .map(|o| with_type(o, target)),
            ))
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    for (key, value) in fetched {
        live.insert(key, value);
    }
    Ok(live)
}

/// List items come without `apiVersion` and `kind`: put them back.
fn with_type(mut object: Value, target: &Target) -> Value {
    if let Value::Object(map) = &mut object {
        map.insert(
            "apiVersion".into(),
            Value::String(target.resource.api.api_version.clone()),
        );
        map.insert(
            "kind".into(),
            Value::String(target.resource.api.kind.clone()),
        );
    }
    object
}
