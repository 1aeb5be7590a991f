//! The kinds a cluster serves, by group/version/kind: the resource to call
//! and whether its objects live in a namespace.

use std::collections::{BTreeSet, HashMap};

use kube::Client;
use kube::core::{ApiResource, GroupVersion};
use kube::discovery::{ApiGroup, Discovery, Scope};

/// A kind the cluster serves.
#[derive(Debug, Clone)]
pub struct Resource {
    pub api: ApiResource,
    pub namespaced: bool,
}

/// Discovery's answer, indexed by `(apiVersion, kind)`.
#[derive(Debug, Clone, Default)]
pub struct Resources {
    by_kind: HashMap<(String, String), Resource>,
    group_versions: BTreeSet<String>,
}

impl Resources {
    /// Aggregated discovery (two requests), falling back to the per-group walk
    /// for API servers older than 1.30.
    pub async fn discover(client: &Client) -> Result<Self, kube::Error> {
        let discovery = match Discovery::new(client.clone()).run_aggregated().await {
            Ok(d) => d,
            Err(kube::Error::Api(_)) | Err(kube::Error::SerdeError(_)) => {
                Discovery::new(client.clone()).run().await?
            }
            Err(e) => return Err(e),
        };
        let mut resources = Resources::default();
        for group in discovery.groups() {
            resources.add_group(group);
        }
        Ok(resources)
    }

    fn add_group(&mut self, group: &ApiGroup) {
        for version in group.versions() {
            for (api, caps) in group.versioned_resources(version) {
                self.group_versions.insert(api.api_version.clone());
                let key = (api.api_version.clone(), api.kind.clone());
                self.by_kind.insert(
                    key,
                    Resource {
                        namespaced: caps.scope == Scope::Namespaced,
                        api,
                    },
                );
            }
        }
    }

    /// Asks again for one group/version (after its CRD became established).
    pub async fn refresh(&mut self, client: &Client, api_version: &str) -> Result<(), kube::Error> {
        let gv: GroupVersion =
            api_version
                .parse()
                .map_err(|e: kube::core::gvk::ParseGroupVersionError| {
                    kube::Error::Discovery(kube::error::DiscoveryError::InvalidGroupVersion(
                        e.to_string(),
                    ))
                })?;
        let group = kube::discovery::pinned_group(client, &gv).await?;
        self.add_group(&group);
        Ok(())
    }

    pub fn get(&self, api_version: &str, kind: &str) -> Option<&Resource> {
        self.by_kind
            .get(&(api_version.to_string(), kind.to_string()))
    }

    /// `group/version` and `group/version/Kind` of everything served, for `capabilities`.
    pub fn api_versions(&self) -> BTreeSet<String> {
        let mut out = self.group_versions.clone();
        out.extend(
            self.by_kind
                .keys()
                .map(|(api_version, kind)| format!("{api_version}/{kind}")),
        );
        out
    }
}
