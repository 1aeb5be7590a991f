//! `release export RELEASE --to helm`: hands a ketch release back to Helm.
//! ketch's last deployed revision is written as Helm's record of the same
//! revision number (a `sh.helm.release.v1` Secret, status deployed), holding
//! the objects as ketch applied them, so that `helm upgrade` continues from
//! it: Helm's three-way merge then takes off ketch's label and annotations
//! and puts its own. From then on the release is Helm's to ketch (its newest
//! record is Helm's) until `ketch adopt` takes it again.

use super::deploy::History;
use super::error::ReleaseError;
use crate::apply::ownership::decorate;
use crate::cluster::{self, ConnectOptions};
use crate::release::helm::record;
use crate::release::{ReleaseStore, Status, StoredObject};

#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub name: String,
    pub namespace: String,
    pub connect: ConnectOptions,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Exported {
    pub revision: u64,
    /// `Secret ns/sh.helm.release.v1.NAME.vN`.
    pub object: String,
}

pub async fn run(request: &ExportRequest) -> Result<Exported, ReleaseError> {
    let (client, _) = cluster::client(&request.connect).await?;
    let store = ReleaseStore::new(client, &request.namespace);
    let history = History::read(&store, &request.name).await?;
    let Some(release) = history
        .latest
        .as_ref()
        .filter(|l| l.status() == Status::Deployed)
    else {
        return Err(match history.summaries.last() {
            None => ReleaseError::NotFound {
                name: request.name.clone(),
                namespace: request.namespace.clone(),
                hint: "",
            },
            Some(_) => ReleaseError::NothingDeployed {
                name: request.name.clone(),
            },
        });
    };
    let applied = |objects: Vec<crate::manifest::Object>| -> Vec<StoredObject> {
        objects
            .into_iter()
            .map(|mut o| {
                decorate(&mut o.data, &release.name, &release.namespace);
                StoredObject::from(&o)
            })
            .collect()
    };
    let value = record::from_release(
        release,
        release.revision,
        &applied(release.objects()),
        &applied(release.hook_objects()),
    )
    .map_err(|source| crate::release::store::StoreError::Codec {
        name: release.name.clone(),
        revision: release.revision,
        source,
    })?;
    let object = store.helm.create(&request.namespace, &value).await?;
    Ok(Exported {
        revision: release.revision,
        object: format!("Secret {}/{object}", request.namespace),
    })
}
