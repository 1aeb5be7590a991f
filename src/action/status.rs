//! `status RELEASE` and `get values|manifest|notes|hooks RELEASE`: one
//! stored revision (the latest unless `--revision`); `status
//! --show-resources`: its objects with their live readiness.

use futures::StreamExt;
use serde::Serialize;

use super::error::ReleaseError;
use super::history::unreachable_hint;
use crate::apply::Target;
use crate::cluster::{self, Cluster, ClusterError, ConnectOptions};
use crate::release::{Recorder, Release, ReleaseStore};
use crate::wait::{self, Readiness};

/// Objects read at once.
const CONCURRENCY: usize = 8;

/// One object of a release as the cluster holds it now.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceStatus {
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub ready: bool,
    /// "ready", or why not ("1/3 updated replicas available", "not found").
    pub status: String,
}

pub async fn run(
    connect: &ConnectOptions,
    namespace: &str,
    name: &str,
    revision: Option<u64>,
) -> Result<(Release, Recorder), ReleaseError> {
    let (client, url) = cluster::client(connect).await?;
    let store = ReleaseStore::new(client, namespace);
    let history = store
        .history(name)
        .await
        .map_err(|e| unreachable_hint(e, &url))?;
    let Some(latest) = history.last() else {
        return Err(ReleaseError::NotFound {
            name: name.into(),
            namespace: namespace.into(),
            hint: "",
        });
    };
    let revision = revision.unwrap_or(latest.revision);
    let Some(summary) = history.iter().find(|s| s.revision == revision) else {
        return Err(ReleaseError::NoRevision {
            name: name.into(),
            revision,
            known: history
                .iter()
                .map(|s| s.revision.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        });
    };
    Ok((store.get(name, revision).await?, summary.recorded_by))
}

/// The live readiness of every object of `release` (CRDs first, then the
/// manifest in install order), by the rules `--wait` uses.
pub async fn resources(
    connect: &ConnectOptions,
    release: &Release,
) -> Result<Vec<ResourceStatus>, ReleaseError> {
    let cluster = Cluster::connect(connect).await?;
    let objects = release.crd_objects().into_iter().chain(release.objects());
    let statuses: Vec<Result<ResourceStatus, ClusterError>> = futures::stream::iter(objects)
        .map(|object| {
            let cluster = &cluster;
            async move {
                let kind = object.kind().to_string();
                let name = object.name().to_string();
                let target = match Target::resolve(object, &cluster.resources, &release.namespace) {
                    Ok(target) => target,
                    Err(ClusterError::UnknownKind { api_version, .. }) => {
                        return Ok(ResourceStatus {
                            kind,
                            name,
                            namespace: None,
                            ready: false,
                            status: format!("{api_version} is not served by the cluster"),
                        });
                    }
                    Err(e) => return Err(e),
                };
                let state = wait::live_readiness(&cluster.client, &target).await?;
                let (ready, status) = match state {
                    Readiness::Ready => (true, "ready".to_string()),
                    Readiness::Pending(why) | Readiness::Failed(why) => (false, why),
                };
                Ok(ResourceStatus {
                    kind,
                    name,
                    namespace: target.namespace().map(str::to_string),
                    ready,
                    status,
                })
            }
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    Ok(statuses.into_iter().collect::<Result<_, _>>()?)
}
