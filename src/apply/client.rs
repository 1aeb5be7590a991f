//! Client-side apply of one object (`--apply-method client`): read the live object,
//! create it when absent, otherwise compute the three-way patch from (original,
//! modified, live) and send it — a strategic merge patch for built-in kinds, a JSON
//! merge patch for custom resources — as `kubectl apply` (client-side) does.
//!
//! `original` is the object as the release's previous revision applied it, not
//! kubectl's `kubectl.kubernetes.io/last-applied-configuration` annotation: the release
//! record already holds it, and the annotation would copy every manifest (Secret data
//! included) into the object and count against the 256 KiB annotation limit. ketch
//! neither writes nor reads the annotation; one left by kubectl stays untouched.

use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::GroupVersionKind;
use serde_json::Value;

use super::patch_schema::{PatchSchemaCache, PatchSchemaError};
use super::strategic_merge::{PatchError, PatchKind, three_way_patch};

/// Field manager recorded for client-side patches (an `Update` entry in managedFields).
pub const DEFAULT_FIELD_MANAGER: &str = "ketch";
/// Attempts when another writer changes the object between our read and our write.
const MAX_ATTEMPTS: usize = 5;

#[derive(Debug, Clone)]
pub struct ClientApplyOptions {
    pub field_manager: String,
    /// Server-side dry run: validated and admitted, never persisted.
    pub dry_run: bool,
}

impl Default for ClientApplyOptions {
    fn default() -> Self {
        ClientApplyOptions {
            field_manager: DEFAULT_FIELD_MANAGER.to_string(),
            dry_run: false,
        }
    }
}

/// What one client-side apply did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Created,
    Patched {
        kind: PatchKind,
        patch: Value,
    },
    /// The live object already matched: nothing was sent.
    Unchanged,
}

#[derive(Debug, Clone)]
pub struct ClientApplied {
    /// The object as the server returned it (the live object when unchanged).
    pub object: Value,
    pub outcome: Outcome,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientApplyError {
    #[error("{object}: the manifest has no metadata.name")]
    NoName { object: String },
    #[error(transparent)]
    Schema(#[from] PatchSchemaError),
    #[error("{object}: cannot compute the client-side patch: {source}")]
    Patch {
        object: String,
        #[source]
        source: PatchError,
    },
    #[error("{object}: {action} failed: {source}")]
    Api {
        object: String,
        action: &'static str,
        #[source]
        source: kube::Error,
    },
    #[error(
        "{object}: another client kept changing the object; gave up after {MAX_ATTEMPTS} attempts"
    )]
    Contended { object: String },
}

/// Applies objects client-side, reading each group-version's patch metadata once.
pub struct ClientApplier {
    client: Client,
    schemas: PatchSchemaCache,
    options: ClientApplyOptions,
}

impl ClientApplier {
    pub fn new(client: Client) -> Self {
        ClientApplier::with_options(client, ClientApplyOptions::default())
    }

    pub fn with_options(client: Client, options: ClientApplyOptions) -> Self {
        ClientApplier {
            client,
            schemas: PatchSchemaCache::new(),
            options,
        }
    }

    /// Applies `modified` (the new render) given `original` (what the previous revision
    /// applied; `None` for a new object). `namespace` is `None` for cluster-scoped kinds.
    pub async fn apply(
        &self,
        resource: &ApiResource,
        namespace: Option<&str>,
        original: Option<&Value>,
        modified: &Value,
    ) -> Result<ClientApplied, ClientApplyError> {
        let Some(name) = modified.pointer("/metadata/name").and_then(Value::as_str) else {
            return Err(ClientApplyError::NoName {
                object: describe(resource, namespace, "<unnamed>"),
            });
        };
        let object = describe(resource, namespace, name);
        let api = match namespace {
            Some(ns) => Api::<DynamicObject>::namespaced_with(self.client.clone(), ns, resource),
            None => Api::<DynamicObject>::all_with(self.client.clone(), resource),
        };
        let api_error = |action, source| ClientApplyError::Api {
            object: object.clone(),
            action,
            source,
        };
        let gvk = GroupVersionKind::gvk(&resource.group, &resource.version, &resource.kind);
        let schema = self.schemas.schema_for(&self.client, &gvk).await?;

        for _ in 0..MAX_ATTEMPTS {
            let live = api.get_opt(name).await.map_err(|e| api_error("GET", e))?;
            let Some(live) = live else {
                let body: DynamicObject = serde_json::from_value(modified.clone())
                    .map_err(|e| api_error("create", kube::Error::SerdeError(e)))?;
                let params = PostParams {
                    dry_run: self.options.dry_run,
                    field_manager: Some(self.options.field_manager.clone()),
                };
                match api.create(&params, &body).await {
                    Ok(created) => {
                        return Ok(ClientApplied {
                            object: to_value(created),
                            outcome: Outcome::Created,
                        });
                    }
                    // Created by someone else since our GET: patch it instead.
                    Err(kube::Error::Api(status)) if status.code == 409 => continue,
                    Err(e) => return Err(api_error("create", e)),
                }
            };
            let live = to_value(live);
            let (kind, patch) = three_way_patch(original, modified, &live, schema.as_ref())
                .map_err(|source| ClientApplyError::Patch {
                    object: object.clone(),
                    source,
                })?;
            if patch.as_object().is_some_and(|p| p.is_empty()) {
                return Ok(ClientApplied {
                    object: live,
                    outcome: Outcome::Unchanged,
                });
            }
            let mut params = PatchParams {
                field_manager: Some(self.options.field_manager.clone()),
                ..PatchParams::default()
            };
            params.dry_run = self.options.dry_run;
            let request = match kind {
                PatchKind::Strategic => Patch::Strategic(&patch),
                PatchKind::Merge => Patch::Merge(&patch),
            };
            match api.patch(name, &params, &request).await {
                Ok(patched) => {
                    return Ok(ClientApplied {
                        object: to_value(patched),
                        outcome: Outcome::Patched { kind, patch },
                    });
                }
                // The object changed under us (or was deleted): read it again.
                Err(kube::Error::Api(status)) if matches!(status.code, 404 | 409) => continue,
                Err(e) => return Err(api_error("patch", e)),
            }
        }
        Err(ClientApplyError::Contended { object })
    }
}

/// Applies one object with a patch-metadata cache of its own; prefer [`ClientApplier`]
/// for many objects.
pub async fn apply(
    client: &Client,
    resource: &ApiResource,
    namespace: Option<&str>,
    original: Option<&Value>,
    modified: &Value,
) -> Result<ClientApplied, ClientApplyError> {
    ClientApplier::new(client.clone())
        .apply(resource, namespace, original, modified)
        .await
}

fn to_value(object: DynamicObject) -> Value {
    // A DynamicObject always serializes (string keys, JSON values).
    serde_json::to_value(object).unwrap_or(Value::Null)
}

/// `Deployment ns/web`, as messages name objects.
fn describe(resource: &ApiResource, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{} {ns}/{name}", resource.kind),
        None => format!("{} {name}", resource.kind),
    }
}
