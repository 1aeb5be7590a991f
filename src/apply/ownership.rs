//! Which release an object belongs to: every applied object carries the
//! label `app.kubernetes.io/managed-by: ketch` and the annotations
//! `ketch.dev/release-name` and `ketch.dev/release-namespace`. An existing
//! object owned by another release, or by nothing, is not taken over
//! without `--take-ownership`.

use std::fmt;

use serde_json::{Map, Value};

pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "ketch";
pub const RELEASE_NAME: &str = "ketch.dev/release-name";
pub const RELEASE_NAMESPACE: &str = "ketch.dev/release-namespace";
/// `keep`: never delete the object (prune, uninstall).
pub const RESOURCE_POLICY: &str = "ketch.dev/resource-policy";
/// Helm's name for the same policy, which Helm charts carry.
pub const HELM_RESOURCE_POLICY: &str = "helm.sh/resource-policy";

/// Who owns a live object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    Release { name: String, namespace: String },
    Nobody,
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owner::Release { name, namespace } => {
                write!(f, "it belongs to release {name} in namespace {namespace}")
            }
            Owner::Nobody => write!(f, "it exists and no ketch release manages it"),
        }
    }
}

fn metadata_map<'a>(object: &'a Value, key: &str) -> Option<&'a Map<String, Value>> {
    object.get("metadata")?.get(key)?.as_object()
}

fn annotation<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    metadata_map(object, "annotations")?.get(key)?.as_str()
}

/// The owner a live object names.
pub fn owner_of(live: &Value) -> Owner {
    match (
        annotation(live, RELEASE_NAME),
        annotation(live, RELEASE_NAMESPACE),
    ) {
        (Some(name), Some(namespace)) => Owner::Release {
            name: name.into(),
            namespace: namespace.into(),
        },
        _ => Owner::Nobody,
    }
}

pub fn is_owned_by(live: &Value, release: &str, namespace: &str) -> bool {
    owner_of(live)
        == Owner::Release {
            name: release.into(),
            namespace: namespace.into(),
        }
}

/// Whether any tool marked the object as a release's: ketch's or Helm's
/// annotations, or a `managed-by` label.
pub fn is_marked(live: &Value) -> bool {
    owner_of(live) != Owner::Nobody
        || annotation(live, "meta.helm.sh/release-name").is_some()
        || metadata_map(live, "labels").is_some_and(|l| l.contains_key(MANAGED_BY_LABEL))
}

/// `ketch.dev/resource-policy: keep` (or Helm's `helm.sh/resource-policy: keep`) on the object.
pub fn is_kept(object: &Value) -> bool {
    [RESOURCE_POLICY, HELM_RESOURCE_POLICY]
        .iter()
        .any(|key| annotation(object, key).is_some_and(|p| p.trim().eq_ignore_ascii_case("keep")))
}

/// Adds the managed-by label and the release annotations.
pub fn decorate(data: &mut Map<String, Value>, release: &str, namespace: &str) {
    let meta = data
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(meta) = meta else { return };
    let labels = meta
        .entry("labels")
        .or_insert_with(|| Value::Object(Map::new()));
    if !labels.is_object() {
        *labels = Value::Object(Map::new());
    }
    if let Value::Object(labels) = labels {
        labels.insert(MANAGED_BY_LABEL.into(), Value::String(MANAGED_BY.into()));
    }
    let annotations = meta
        .entry("annotations")
        .or_insert_with(|| Value::Object(Map::new()));
    if !annotations.is_object() {
        *annotations = Value::Object(Map::new());
    }
    if let Value::Object(annotations) = annotations {
        annotations.insert(RELEASE_NAME.into(), Value::String(release.into()));
        annotations.insert(RELEASE_NAMESPACE.into(), Value::String(namespace.into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decorated_objects_name_their_release() {
        let mut data = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "labels": null}})
            .as_object()
            .cloned()
            .unwrap();
        decorate(&mut data, "web", "prod");
        let value = Value::Object(data);
        assert_eq!(value["metadata"]["labels"][MANAGED_BY_LABEL], "ketch");
        assert!(is_owned_by(&value, "web", "prod"));
        assert!(!is_owned_by(&value, "web", "dev"));
        assert_eq!(owner_of(&json!({"metadata": {}})), Owner::Nobody);
    }

    #[test]
    fn objects_are_kept_by_ketchs_or_helms_policy() {
        let with = |key: &str, value: &str| json!({"metadata": {"annotations": {key: value}}});
        assert!(is_kept(&with(RESOURCE_POLICY, "keep")));
        assert!(is_kept(&with(HELM_RESOURCE_POLICY, " keep ")));
        assert!(!is_kept(&with(HELM_RESOURCE_POLICY, "delete")));
        assert!(!is_kept(&json!({"metadata": {}})));
    }
}
