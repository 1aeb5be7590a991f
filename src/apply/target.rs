//! An object ready to be sent: its kind resolved through discovery and its
//! namespace settled (the release's when the kind is namespaced and the
//! object names none; none when the kind is cluster-scoped).

use kube::Client;
use kube::api::{Api, DynamicObject};
use serde_json::{Map, Value};

use crate::cluster::{ClusterError, Resource, Resources};
use crate::manifest::Object;

/// Identifies an object across revisions: group, kind, namespace, name
/// (the version may change between revisions).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Target {
    pub object: Object,
    pub resource: Resource,
}

impl Target {
    /// Resolves `object`'s kind and namespace; the object is changed to carry
    /// the namespace it will live in.
    pub fn resolve(
        mut object: Object,
        resources: &Resources,
        release_namespace: &str,
    ) -> Result<Self, ClusterError> {
        let resource = resources
            .get(object.api_version(), object.kind())
            .cloned()
            .ok_or_else(|| ClusterError::UnknownKind {
                object: format!("{} {} ({})", object.kind(), object.name(), object.source),
                api_version: object.api_version().to_string(),
                kind: object.kind().to_string(),
            })?;
        set_namespace(&mut object.data, resource.namespaced, release_namespace);
        Ok(Target { object, resource })
    }

    pub fn name(&self) -> &str {
        self.object.name()
    }

    pub fn namespace(&self) -> Option<&str> {
        self.object.namespace()
    }

    pub fn kind(&self) -> &str {
        self.object.kind()
    }

    pub fn key(&self) -> ObjectKey {
        key_of(&self.object, "")
    }

    /// `deployment/web` (namespace left out), as progress lines show it.
    pub fn short(&self) -> String {
        format!("{}/{}", self.kind().to_ascii_lowercase(), self.name())
    }

    /// `Deployment ns/web`, for messages.
    pub fn describe(&self) -> String {
        self.object.describe()
    }

    pub fn api(&self, client: &Client) -> Api<DynamicObject> {
        match self.namespace() {
            Some(ns) if self.resource.namespaced => {
                Api::namespaced_with(client.clone(), ns, &self.resource.api)
            }
            _ => Api::all_with(client.clone(), &self.resource.api),
        }
    }

    pub fn data(&self) -> &Map<String, Value> {
        &self.object.data
    }
}

/// The key of a manifest object whose namespace may still be unset.
pub fn key_of(object: &Object, default_namespace: &str) -> ObjectKey {
    ObjectKey {
        group: object.group().to_string(),
        kind: object.kind().to_string(),
        namespace: object.namespace().unwrap_or(default_namespace).to_string(),
        name: object.name().to_string(),
    }
}

fn set_namespace(data: &mut Map<String, Value>, namespaced: bool, default: &str) {
    let Some(Value::Object(meta)) = data.get_mut("metadata") else {
        return;
    };
    if !namespaced {
        meta.remove("namespace");
    } else if meta
        .get("namespace")
        .is_none_or(|n| n.as_str().is_none_or(str::is_empty))
    {
        meta.insert("namespace".into(), Value::String(default.to_string()));
    }
}
