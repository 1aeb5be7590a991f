//! `list [-A]`: the newest revision of every release in a namespace, or in all.

use super::error::ReleaseError;
use super::history::unreachable_hint;
use crate::cluster::{self, ConnectOptions};
use crate::release::{ReleaseStore, Status, Summary};

/// `namespace` `None` lists all namespaces; `all` includes uninstalled releases.
pub async fn run(
    connect: &ConnectOptions,
    namespace: Option<&str>,
    all: bool,
) -> Result<Vec<Summary>, ReleaseError> {
    let (client, url) = cluster::client(connect).await?;
    let releases = ReleaseStore::list_latest(&client, namespace)
        .await
        .map_err(|e| unreachable_hint(e, &url))?;
    Ok(releases
        .into_iter()
        .filter(|r| all || r.info.status != Status::Uninstalled)
        .collect())
}
