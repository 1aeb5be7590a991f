//! `history RELEASE`: every stored revision, oldest first (metadata only).

use super::error::ReleaseError;
use crate::cluster::{self, ClusterError, ConnectOptions};
use crate::release::{ReleaseStore, Summary};

pub async fn run(
    connect: &ConnectOptions,
    namespace: &str,
    name: &str,
    max: Option<usize>,
) -> Result<Vec<Summary>, ReleaseError> {
    let (client, url) = cluster::client(connect).await?;
    let store = ReleaseStore::new(client, namespace);
    let mut history = store
        .history(name)
        .await
        .map_err(|e| unreachable_hint(e, &url))?;
    if history.is_empty() {
        return Err(ReleaseError::NotFound {
            name: name.into(),
            namespace: namespace.into(),
            hint: "",
        });
    }
    if let Some(max) = max {
        let skip = history.len().saturating_sub(max);
        history.drain(..skip);
    }
    Ok(history)
}

/// Names the API server when a read could not reach it.
pub(crate) fn unreachable_hint(e: crate::release::store::StoreError, url: &str) -> ReleaseError {
    match e {
        crate::release::store::StoreError::Cluster(ClusterError::Unreachable {
            message, ..
        }) => ClusterError::Unreachable {
            url: url.to_string(),
            message,
        }
        .into(),
        other => other.into(),
    }
}
