//! `lookup(...)` in templates against the live cluster during install and upgrade.

use kube::Client;
use kube::api::{Api, DynamicObject, ListParams};
use serde_json::{Value, json};

use super::Resources;
use crate::engine::Lookup;

/// Answers template lookups with GET/LIST requests, blocking the render
/// thread (rendering is synchronous) on the runtime it was created in.
pub struct ClusterLookup {
    client: Client,
    resources: Resources,
    handle: tokio::runtime::Handle,
}

impl ClusterLookup {
    /// Must be called inside a multi-threaded tokio runtime.
    pub fn new(client: Client, resources: Resources) -> Self {
        ClusterLookup {
            client,
            resources,
            handle: tokio::runtime::Handle::current(),
        }
    }
}

impl Lookup for ClusterLookup {
    fn lookup(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Value, String> {
        // Like Helm: a kind the cluster does not serve looks up as empty.
        let Some(resource) = self.resources.get(api_version, kind) else {
            return Ok(json!({}));
        };
        let api: Api<DynamicObject> = if resource.namespaced && !namespace.is_empty() {
            Api::namespaced_with(self.client.clone(), namespace, &resource.api)
        } else {
            Api::all_with(self.client.clone(), &resource.api)
        };
        let fut = async {
            if name.is_empty() {
                let list = api.list(&ListParams::default()).await?;
                let items: Vec<Value> = list
                    .items
                    .into_iter()
                    .filter_map(|o| serde_json::to_value(o).ok())
                    .collect();
                Ok(json!({"apiVersion": "v1", "kind": "List", "items": items}))
            } else {
                Ok(api
                    .get_opt(name)
                    .await?
                    .and_then(|o| serde_json::to_value(o).ok())
                    .unwrap_or_else(|| json!({})))
            }
        };
        tokio::task::block_in_place(|| self.handle.block_on(fut))
            .map_err(|e: kube::Error| format!("{kind} {namespace}/{name}: {e}"))
    }
}
