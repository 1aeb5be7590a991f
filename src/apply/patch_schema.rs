//! Patch metadata of built-in kinds — merge keys, patch strategies and list types per
//! field — read from the cluster's OpenAPI v3 documents (`/openapi/v3/api/v1`,
//! `/openapi/v3/apis/<group>/<version>`) and cached per group-version.
//!
//! This is what `kubectl apply` (client-side) reads to build a strategic merge patch:
//! `x-kubernetes-patch-merge-key` and `x-kubernetes-patch-strategy` on each property,
//! `$ref`/`allOf` to follow into nested schemas. A kind whose PATCH operation does not
//! accept `application/strategic-merge-patch+json` (custom resources, most aggregated
//! APIs) has no [`PatchSchema`]: it is patched with a JSON merge patch.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};

use kube::core::{GroupVersionKind, Request};
use serde_json::{Map, Value};

const MERGE_KEY: &str = "x-kubernetes-patch-merge-key";
const PATCH_STRATEGY: &str = "x-kubernetes-patch-strategy";
const LIST_TYPE: &str = "x-kubernetes-list-type";
const GROUP_VERSION_KIND: &str = "x-kubernetes-group-version-kind";
const STRATEGIC_MERGE_PATCH: &str = "application/strategic-merge-patch+json";
const REF_PREFIX: &str = "#/components/schemas/";
/// Bound on `$ref`/`allOf` hops when resolving one schema (real documents need two).
const MAX_RESOLVE_HOPS: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum PatchSchemaError {
    #[error("cannot read the OpenAPI v3 document {path} from the cluster: {source}")]
    Fetch {
        path: String,
        #[source]
        source: kube::Error,
    },
    #[error("the OpenAPI v3 document {path} is not valid JSON: {source}")]
    Parse {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("the OpenAPI v3 document {path} has no components.schemas object")]
    NoSchemas { path: String },
}

/// How a field is patched (`x-kubernetes-patch-strategy`, without `retainKeys`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PatchStrategy {
    /// No strategy: a list is replaced as a whole, an object is merged field by field.
    #[default]
    Default,
    /// A list merged item by item (by merge key for objects, as a set for scalars).
    Merge,
    /// Replaced as a whole.
    Replace,
}

/// The patch metadata of one field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FieldMeta<'a> {
    pub strategy: PatchStrategy,
    /// `retainKeys`: a patch of this object (or of each item of this list) names the keys
    /// to keep, so that switching between one-of members (a volume's source, a
    /// Deployment's strategy) clears the old member.
    pub retain_keys: bool,
    pub merge_key: Option<&'a str>,
    /// `x-kubernetes-list-type` (`atomic`, `set`, `map`). Server-side apply reads it; the
    /// strategic merge patch, like kubectl, goes by `strategy` and `merge_key` only.
    pub list_type: Option<&'a str>,
}

impl<'a> FieldMeta<'a> {
    fn of(property: &'a Map<String, Value>) -> Self {
        let mut meta = FieldMeta {
            merge_key: property.get(MERGE_KEY).and_then(Value::as_str),
            list_type: property.get(LIST_TYPE).and_then(Value::as_str),
            ..FieldMeta::default()
        };
        let strategies = property.get(PATCH_STRATEGY).and_then(Value::as_str);
        for strategy in strategies.unwrap_or_default().split(',') {
            match strategy.trim() {
                "retainKeys" => meta.retain_keys = true,
                "merge" => meta.strategy = PatchStrategy::Merge,
                "replace" => meta.strategy = PatchStrategy::Replace,
                _ => {}
            }
        }
        meta
    }
}

/// The component schemas of one group-version's OpenAPI v3 document, with the kinds
/// whose PATCH accepts a strategic merge patch.
#[derive(Debug)]
pub struct GroupVersionSchemas {
    schemas: Map<String, Value>,
    /// `group/version/kind` -> name of its component schema.
    kinds: HashMap<String, String>,
    /// `group/version/kind` of every PATCH operation accepting a strategic merge patch.
    strategic: HashSet<String>,
}

fn gvk_key(group: &str, version: &str, kind: &str) -> String {
    format!("{group}/{version}/{kind}")
}

fn gvk_of(extension: &Value) -> Option<String> {
    let field = |name| extension.get(name).and_then(Value::as_str);
    Some(gvk_key(field("group")?, field("version")?, field("kind")?))
}

impl GroupVersionSchemas {
    /// Reads an OpenAPI v3 document; `origin` names it in errors.
    pub fn from_openapi_v3(mut doc: Value, origin: &str) -> Result<Self, PatchSchemaError> {
        let schemas = match doc
            .get_mut("components")
            .and_then(|c| c.get_mut("schemas"))
            .map(Value::take)
        {
            Some(Value::Object(schemas)) => schemas,
            _ => {
                return Err(PatchSchemaError::NoSchemas {
                    path: origin.to_string(),
                });
            }
        };
        let mut kinds = HashMap::new();
        for (name, schema) in &schemas {
            let listed = schema.get(GROUP_VERSION_KIND).and_then(Value::as_array);
            for gvk in listed.into_iter().flatten().filter_map(gvk_of) {
                kinds.entry(gvk).or_insert_with(|| name.clone());
            }
        }
        let mut strategic = HashSet::new();
        let paths = doc.get("paths").and_then(Value::as_object);
        for operation in paths.into_iter().flat_map(|p| p.values()) {
            let Some(patch) = operation.get("patch") else {
                continue;
            };
            let accepts_smp = patch
                .pointer("/requestBody/content")
                .and_then(Value::as_object)
                .is_some_and(|content| content.contains_key(STRATEGIC_MERGE_PATCH));
            if let Some(gvk) = patch.get(GROUP_VERSION_KIND).and_then(gvk_of)
                && accepts_smp
            {
                strategic.insert(gvk);
            }
        }
        Ok(GroupVersionSchemas {
            schemas,
            kinds,
            strategic,
        })
    }

    /// The patch schema of `gvk`, if the document describes it and its PATCH accepts a
    /// strategic merge patch.
    pub fn patch_schema(self: &Arc<Self>, gvk: &GroupVersionKind) -> Option<PatchSchema> {
        let key = gvk_key(&gvk.group, &gvk.version, &gvk.kind);
        if !self.strategic.contains(&key) {
            return None;
        }
        let root = self.kinds.get(&key)?.clone();
        Some(PatchSchema {
            doc: Arc::clone(self),
            root,
        })
    }

    fn resolve<'a>(&'a self, mut schema: &'a Value) -> Option<&'a Map<String, Value>> {
        for _ in 0..MAX_RESOLVE_HOPS {
            let object = schema.as_object()?;
            if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
                schema = self.schemas.get(reference.strip_prefix(REF_PREFIX)?)?;
            } else if let Some(first) = object
                .get("allOf")
                .and_then(Value::as_array)
                .and_then(|all| all.first())
            {
                schema = first;
            } else {
                return Some(object);
            }
        }
        None
    }
}

/// The patch metadata of one built-in kind (one group-version-kind).
#[derive(Clone)]
pub struct PatchSchema {
    doc: Arc<GroupVersionSchemas>,
    root: String,
}

impl fmt::Debug for PatchSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PatchSchema")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl PatchSchema {
    /// Reads the patch schema of `gvk` from one OpenAPI v3 document (tests, offline use).
    pub fn from_openapi_v3(
        doc: Value,
        origin: &str,
        gvk: &GroupVersionKind,
    ) -> Result<Option<Self>, PatchSchemaError> {
        Ok(Arc::new(GroupVersionSchemas::from_openapi_v3(doc, origin)?).patch_schema(gvk))
    }

    /// Name of the kind's component schema, e.g. `io.k8s.api.apps.v1.Deployment`.
    pub fn name(&self) -> &str {
        &self.root
    }

    pub(crate) fn root(&self) -> SchemaNode<'_> {
        let node = self
            .doc
            .schemas
            .get(&self.root)
            .and_then(|s| self.doc.resolve(s));
        SchemaNode {
            doc: Some(&self.doc),
            node,
        }
    }

    /// The metadata of the field at a dotted path, list items being crossed implicitly:
    /// `spec.template.spec.containers.env`. `None` when the path leaves the schema.
    pub fn field(&self, path: &str) -> Option<FieldMeta<'_>> {
        let mut node = self.root();
        let mut meta = None;
        for key in path.split('.') {
            if node.is_unknown() {
                return None;
            }
            let (field_meta, child) = node.field(key);
            meta = Some(field_meta);
            node = if child.is_array() {
                child.items()
            } else {
                child
            };
        }
        meta
    }
}

/// A position in a kind's schema while walking a document. An unknown node (a field the
/// schema does not describe, or no schema at all) carries no metadata: its lists are
/// replaced and its objects merged field by field.
#[derive(Clone, Copy)]
pub(crate) struct SchemaNode<'a> {
    doc: Option<&'a GroupVersionSchemas>,
    node: Option<&'a Map<String, Value>>,
}

impl<'a> SchemaNode<'a> {
    pub(crate) const UNKNOWN: SchemaNode<'static> = SchemaNode {
        doc: None,
        node: None,
    };

    fn is_unknown(&self) -> bool {
        self.node.is_none()
    }

    fn is_array(&self) -> bool {
        self.node
            .and_then(|n| n.get("type"))
            .is_some_and(|t| t == "array")
    }

    fn resolve(&self, schema: Option<&'a Value>) -> SchemaNode<'a> {
        match (self.doc, schema) {
            (Some(doc), Some(schema)) => SchemaNode {
                doc: Some(doc),
                node: doc.resolve(schema),
            },
            _ => SchemaNode::UNKNOWN,
        }
    }

    /// The metadata of field `key` of this object and the schema of its value. The value of
    /// a map (`additionalProperties`) has no metadata of its own.
    pub(crate) fn field(&self, key: &str) -> (FieldMeta<'a>, SchemaNode<'a>) {
        let Some(node) = self.node else {
            return (FieldMeta::default(), SchemaNode::UNKNOWN);
        };
        let property = node
            .get("properties")
            .and_then(Value::as_object)
            .and_then(|p| p.get(key));
        if let Some(property) = property {
            let meta = property.as_object().map(FieldMeta::of).unwrap_or_default();
            return (meta, self.resolve(Some(property)));
        }
        let values = node.get("additionalProperties").filter(|v| v.is_object());
        (FieldMeta::default(), self.resolve(values))
    }

    /// The schema of this list's items.
    pub(crate) fn items(&self) -> SchemaNode<'a> {
        self.resolve(self.node.and_then(|n| n.get("items")))
    }
}

/// One group-version's document, fetched by the first task that needs it; `None` when
/// the cluster serves none.
type DocumentCell = tokio::sync::OnceCell<Option<Arc<GroupVersionSchemas>>>;

/// Patch schemas per group-version, each document fetched once.
#[derive(Default)]
pub struct PatchSchemaCache {
    docs: Mutex<HashMap<String, Arc<DocumentCell>>>,
}

impl PatchSchemaCache {
    pub fn new() -> Self {
        PatchSchemaCache::default()
    }

    /// The patch schema of `gvk`, or `None` when the cluster does not offer strategic
    /// merge patch for it (custom resources): such objects get a JSON merge patch.
    pub async fn schema_for(
        &self,
        client: &kube::Client,
        gvk: &GroupVersionKind,
    ) -> Result<Option<PatchSchema>, PatchSchemaError> {
        let doc = self.group_version(client, &gvk.group, &gvk.version).await?;
        Ok(doc.and_then(|doc| doc.patch_schema(gvk)))
    }

    /// The OpenAPI v3 document of a group-version, `None` if the cluster serves none.
    pub async fn group_version(
        &self,
        client: &kube::Client,
        group: &str,
        version: &str,
    ) -> Result<Option<Arc<GroupVersionSchemas>>, PatchSchemaError> {
        let path = if group.is_empty() {
            "/openapi/v3/api".to_string()
        } else {
            format!("/openapi/v3/apis/{group}")
        };
        let cell = {
            // A poisoned lock only means another task panicked mid-insert; the map is fine.
            let mut docs = self.docs.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(docs.entry(format!("{path}/{version}")).or_default())
        };
        let doc = cell
            .get_or_try_init(|| fetch_group_version(client, path, version))
            .await?;
        Ok(doc.clone())
    }
}

async fn fetch_group_version(
    client: &kube::Client,
    prefix: String,
    version: &str,
) -> Result<Option<Arc<GroupVersionSchemas>>, PatchSchemaError> {
    let path = format!("{prefix}/{version}");
    let fetch_error = |source| PatchSchemaError::Fetch {
        path: path.clone(),
        source,
    };
    let request = Request::new(prefix.as_str())
        .get(version, &Default::default())
        .map_err(|e| fetch_error(kube::Error::BuildRequest(e)))?;
    let text = match client.request_text(request).await {
        Ok(text) => text,
        Err(kube::Error::Api(status)) if status.code == 404 => return Ok(None),
        Err(e) => return Err(fetch_error(e)),
    };
    let doc = serde_json::from_str(&text).map_err(|source| PatchSchemaError::Parse {
        path: path.clone(),
        source,
    })?;
    Ok(Some(Arc::new(GroupVersionSchemas::from_openapi_v3(
        doc, &path,
    )?)))
}

/// The trimmed OpenAPI v3 documents of the test cluster under `fixtures/apply/openapi`.
#[cfg(test)]
pub(crate) mod fixtures {
    use std::path::PathBuf;
    use std::sync::{Arc, OnceLock};

    use kube::core::GroupVersionKind;

    use super::{GroupVersionSchemas, PatchSchema};

    fn docs() -> &'static Vec<Arc<GroupVersionSchemas>> {
        static DOCS: OnceLock<Vec<Arc<GroupVersionSchemas>>> = OnceLock::new();
        DOCS.get_or_init(|| {
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/apply/openapi");
            let mut docs = Vec::new();
            for entry in std::fs::read_dir(&dir).expect("fixtures/apply/openapi") {
                let path = entry.expect("directory entry").path();
                if path.extension().is_some_and(|e| e == "json") {
                    let text = std::fs::read_to_string(&path).expect("read fixture");
                    let doc = serde_json::from_str(&text).expect("fixture is JSON");
                    let origin = path.display().to_string();
                    let schemas = GroupVersionSchemas::from_openapi_v3(doc, &origin);
                    docs.push(Arc::new(
                        schemas.expect("fixture is an OpenAPI v3 document"),
                    ));
                }
            }
            docs
        })
    }

    /// The patch schema of a kind of the fixtures, `None` for any other kind.
    pub(crate) fn schema(api_version: &str, kind: &str) -> Option<PatchSchema> {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let gvk = GroupVersionKind::gvk(group, version, kind);
        docs().iter().find_map(|doc| doc.patch_schema(&gvk))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn deployment() -> PatchSchema {
        fixtures::schema("apps/v1", "Deployment").expect("Deployment schema")
    }

    fn meta(
        strategy: PatchStrategy,
        retain_keys: bool,
        merge_key: Option<&'static str>,
        list_type: Option<&'static str>,
    ) -> FieldMeta<'static> {
        FieldMeta {
            strategy,
            retain_keys,
            merge_key,
            list_type,
        }
    }

    #[test]
    fn merge_keys_and_strategies_of_a_deployment() {
        use PatchStrategy::{Default, Merge};
        let schema = deployment();
        assert_eq!(schema.name(), "io.k8s.api.apps.v1.Deployment");
        let table = [
            (
                "spec.template.spec.containers",
                meta(Merge, false, Some("name"), Some("map")),
            ),
            (
                "spec.template.spec.containers.env",
                meta(Merge, false, Some("name"), Some("map")),
            ),
            (
                "spec.template.spec.containers.ports",
                meta(Merge, false, Some("containerPort"), Some("map")),
            ),
            (
                "spec.template.spec.containers.volumeMounts",
                meta(Merge, false, Some("mountPath"), Some("map")),
            ),
            (
                "spec.template.spec.volumes",
                meta(Merge, true, Some("name"), Some("map")),
            ),
            ("spec.strategy", meta(Default, true, None, None)),
            (
                "spec.template.spec.containers.args",
                meta(Default, false, None, Some("atomic")),
            ),
            (
                "spec.template.spec.tolerations",
                meta(Default, false, None, Some("atomic")),
            ),
            ("metadata.finalizers", meta(Merge, false, None, Some("set"))),
            ("metadata.labels", meta(Default, false, None, None)),
            ("spec.replicas", meta(Default, false, None, None)),
        ];
        for (path, expected) in table {
            assert_eq!(schema.field(path), Some(expected), "{path}");
        }
    }

    #[test]
    fn fields_outside_the_schema_have_no_metadata() {
        let schema = deployment();
        assert_eq!(schema.field("spec.noSuchField"), Some(FieldMeta::default()));
        assert_eq!(schema.field("spec.noSuchField.containers"), None);
        // Map values (additionalProperties) carry no metadata of their own.
        assert_eq!(
            schema.field("metadata.labels.app"),
            Some(FieldMeta::default())
        );
    }

    #[test]
    fn map_values_lead_into_their_schema() {
        // A CRD's `properties` is a map of JSONSchemaProps: recursive, through
        // additionalProperties.
        let schema = fixtures::schema("apiextensions.k8s.io/v1", "CustomResourceDefinition")
            .expect("CRD schema");
        let root = schema.root();
        let (_, spec) = root.field("spec");
        let (versions_meta, versions) = spec.field("versions");
        assert_eq!(versions_meta.strategy, PatchStrategy::Default);
        let (_, openapi) = versions.items().field("schema").1.field("openAPIV3Schema");
        let (_, properties) = openapi.field("properties");
        let (_, one_property) = properties.field("spec");
        let (_, nested) = one_property.field("properties");
        assert!(
            !nested.is_unknown(),
            "a map value must lead into its schema"
        );
    }

    #[test]
    fn every_builtin_kind_of_the_fixtures_accepts_strategic_merge() {
        for (api_version, kind) in [
            ("v1", "ConfigMap"),
            ("v1", "Service"),
            ("v1", "Pod"),
            ("v1", "Secret"),
            ("apps/v1", "StatefulSet"),
            ("apps/v1", "DaemonSet"),
            ("batch/v1", "Job"),
            ("batch/v1", "CronJob"),
        ] {
            assert!(
                fixtures::schema(api_version, kind).is_some(),
                "{api_version} {kind}"
            );
        }
        assert!(fixtures::schema("apps/v1", "NoSuchKind").is_none());
        assert!(fixtures::schema("ml.example.com/v1", "InferenceService").is_none());
    }

    fn custom_resource_doc(media_types: &[&str]) -> Value {
        let content: Map<String, Value> = media_types
            .iter()
            .map(|m| (m.to_string(), json!({})))
            .collect();
        json!({
            "paths": {"/apis/ml.example.com/v1/namespaces/{namespace}/models/{name}": {"patch": {
                "x-kubernetes-group-version-kind": {"group": "ml.example.com", "version": "v1", "kind": "Model"},
                "requestBody": {"content": content}
            }}},
            "components": {"schemas": {"com.example.ml.v1.Model": {
                "type": "object",
                "x-kubernetes-group-version-kind": [{"group": "ml.example.com", "version": "v1", "kind": "Model"}],
                "properties": {"spec": {"type": "object", "properties": {
                    "items": {"type": "array", "items": {"type": "object"},
                              "x-kubernetes-patch-merge-key": "id",
                              "x-kubernetes-patch-strategy": "merge"}
                }}}
            }}}
        })
    }

    #[test]
    fn custom_resources_get_no_patch_schema() {
        let gvk = GroupVersionKind::gvk("ml.example.com", "v1", "Model");
        let crd_media = [
            "application/json-patch+json",
            "application/merge-patch+json",
            "application/apply-patch+yaml",
        ];
        let doc = custom_resource_doc(&crd_media);
        let schema = PatchSchema::from_openapi_v3(doc, "crd", &gvk).expect("valid document");
        assert!(schema.is_none());

        // The same document with strategic merge patch offered (an aggregated API).
        let doc = custom_resource_doc(&["application/strategic-merge-patch+json"]);
        let schema = PatchSchema::from_openapi_v3(doc, "aggregated", &gvk)
            .expect("valid document")
            .expect("strategic merge offered");
        let items = schema.field("spec.items").expect("spec.items");
        assert_eq!(items.merge_key, Some("id"));
        assert_eq!(items.strategy, PatchStrategy::Merge);
    }

    #[test]
    fn a_document_without_schemas_is_an_error() {
        let err = GroupVersionSchemas::from_openapi_v3(json!({"paths": {}}), "/openapi/v3/x")
            .expect_err("no components");
        assert_eq!(
            err.to_string(),
            "the OpenAPI v3 document /openapi/v3/x has no components.schemas object"
        );
    }

    #[test]
    fn reference_cycles_end() {
        let doc = json!({"components": {"schemas": {
            "a": {"$ref": "#/components/schemas/b"},
            "b": {"allOf": [{"$ref": "#/components/schemas/a"}]}
        }}});
        let schemas = GroupVersionSchemas::from_openapi_v3(doc, "cycle").expect("valid");
        assert!(
            schemas
                .resolve(&json!({"$ref": "#/components/schemas/a"}))
                .is_none()
        );
    }
}
