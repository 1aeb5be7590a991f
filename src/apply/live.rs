//! Reading what the cluster holds for a set of objects, in few requests.
//!
//! Per kind and namespace: when the previous revision had objects of that
//! kind, one LIST of ketch's objects (label `app.kubernetes.io/managed-by=ketch`),
//! then a GET for each object not found that way (new, or its label removed);
//! otherwise, for [`LIST_ALL_FROM`] objects or more, one LIST of every object of
//! the kind (release records excluded), and below that a GET each.

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
/// New objects of one kind and namespace from which one LIST beats a GET each.
pub const LIST_ALL_FROM: usize = 5;
/// The label of release record Secrets, left out of full lists (they are large).
const RECORD_LABEL: &str = "ketch.dev/release";

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

/// How one kind and namespace is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strategy {
    /// LIST ketch's objects, GET the rest.
    Managed,
    /// LIST every object; one not listed does not exist.
    All,
    /// A GET per object.
    Each,
}

/// Reads every target; `managed` says which kinds the previous revision had.
pub async fn read(
    client: &Client,
    targets: &[&Target],
    managed: impl Fn(&Target) -> bool,
) -> Result<LiveObjects, ClusterError> {
    // (apiVersion, kind, namespace) -> the group's targets.
    let mut groups: BTreeMap<(String, String, String), Vec<&Target>> = BTreeMap::new();
    for target in targets.iter().copied() {
        groups
            .entry((
                target.resource.api.api_version.clone(),
                target.kind().to_string(),
                target.namespace().unwrap_or("").to_string(),
            ))
            .or_default()
            .push(target);
    }
    let plan: Vec<(Strategy, Vec<&Target>)> = groups
        .into_values()
        .map(|members| {
            let strategy = if managed(members[0]) {
                Strategy::Managed
            } else if members.len() >= LIST_ALL_FROM {
                Strategy::All
            } else {
                Strategy::Each
            };
            (strategy, members)
        })
        .collect();
    let (each, listed): (Vec<_>, Vec<_>) =
        plan.into_iter().partition(|(s, _)| *s == Strategy::Each);
    let mut missing: Vec<&Target> = each.into_iter().flat_map(|(_, members)| members).collect();
    let lists: Vec<(Strategy, Vec<&Target>, HashMap<ObjectKey, Value>)> =
        futures::stream::iter(listed)
            .map(|(strategy, members)| async move {
                let found = list(client, members[0], strategy).await?;
                Ok::<_, ClusterError>((strategy, members, found))
            })
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
    let mut live = LiveObjects::default();
    for (strategy, members, mut found) in lists {
        for target in members {
            let key = target.key();
            match found.remove(&key) {
                Some(object) => live.insert(key, Some(object)),
                None if strategy == Strategy::All => live.insert(key, None),
                None => missing.push(target),
            }
        }
    }
    let fetched: Vec<(ObjectKey, Option<Value>)> =
        futures::stream::iter(missing)
            .map(|target| async move {
                Ok::<_, ClusterError>((target.key(), get(client, target).await?))
            })
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
    for (key, value) in fetched {
        live.insert(key, value);
    }
    Ok(live)
}

/// One GET of `target`; `None` when it does not exist.
pub async fn get(client: &Client, target: &Target) -> Result<Option<Value>, ClusterError> {
    let object = target
        .api(client)
        .get_opt(target.name())
        .await
        .map_err(|e| ClusterError::from_kube(e, target.describe()))?;
    Ok(object
        .and_then(|o| serde_json::to_value(o).ok())
        .map(|o| with_type(o, target)))
}

/// One LIST of `target`'s kind in its namespace, by key.
async fn list(
    client: &Client,
    target: &Target,
    strategy: Strategy,
) -> Result<HashMap<ObjectKey, Value>, ClusterError> {
    let selector = match strategy {
        Strategy::Managed => format!("{MANAGED_BY_LABEL}={MANAGED_BY}"),
        _ => format!("!{RECORD_LABEL}"),
    };
    let what = match target.namespace() {
        Some(ns) => format!("listing {} in namespace {ns}", target.resource.api.plural),
        None => format!("listing {}", target.resource.api.plural),
    };
    let items = target
        .api(client)
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(|e| ClusterError::from_kube(e, what))?
        .items;
    let group_key = target.key();
    Ok(items
        .into_iter()
        .filter_map(|o| serde_json::to_value(o).ok())
        .map(|o| with_type(o, target))
        .map(|object| {
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
            (key, object)
        })
        .collect())
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
