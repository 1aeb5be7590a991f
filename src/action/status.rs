//! `status RELEASE` and `get values|manifest|notes|hooks RELEASE`: one
//! stored revision (the latest unless `--revision`).

use super::error::ReleaseError;
use super::history::unreachable_hint;
use crate::cluster::{self, ConnectOptions};
use crate::release::{Release, ReleaseStore};

pub async fn run(
    connect: &ConnectOptions,
    namespace: &str,
    name: &str,
    revision: Option<u64>,
) -> Result<Release, ReleaseError> {
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
    if !history.iter().any(|s| s.revision == revision) {
        return Err(ReleaseError::NoRevision {
            name: name.into(),
            revision,
            known: history
                .iter()
                .map(|s| s.revision.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(store.get(name, revision).await?)
}
