//! `adopt RELEASE`: a release Helm installed becomes ketch's without a single
//! object deleted or recreated. Helm's last deployed revision N is applied as
//! ketch's revision N+1: the same objects, with ketch's ownership label and
//! annotations in place of Helm's, after the fields Helm's manager owns have
//! moved to ketch's (see [`managed_fields`]). Helm's records stay, readable in
//! `history` and usable by `rollback`; revision N is marked superseded.
//!
//! Refused, with nothing changed: a release Helm is still operating on (a
//! pending revision), a record that is not Helm's, and, unless
//! `--allow-drift`, objects changed or deleted by hand since Helm applied them.

use serde_json::Value;

use super::deploy::{Deploy, History, Operation, Report, Settings, on_locked_release};
use super::error::ReleaseError;
use crate::apply::{Target, drift, live, managed_fields};
use crate::cluster::{Cluster, ConnectOptions};
use crate::progress::Progress;
use crate::release::{Recorder, Release, ReleaseStore};

/// The managers whose fields move to ketch: Helm's (client-side and server-side).
const HELM_MANAGERS: &[&str] = &["helm"];

#[derive(Debug, Clone)]
pub struct AdoptRequest {
    pub name: String,
    pub namespace: String,
    /// Adopt even if objects were changed by hand since Helm applied them
    /// (ketch's revision then sets them back to Helm's manifest).
    pub allow_drift: bool,
    pub settings: Settings,
    pub connect: ConnectOptions,
}

impl AdoptRequest {
    pub async fn run(&self, progress: &dyn Progress) -> Result<(Release, Report), ReleaseError> {
        on_locked_release(
            &self.connect,
            &self.namespace,
            &self.name,
            self.settings.lock("adopt"),
            async |cluster, store| self.locked(cluster, store, progress).await,
        )
        .await
    }

    async fn locked(
        &self,
        cluster: &mut Cluster,
        store: &ReleaseStore,
        progress: &dyn Progress,
    ) -> Result<(Release, Report), ReleaseError> {
        let history = History::read_any(store, &self.name).await?;
        let Some(newest) = history.summaries.last() else {
            return Err(ReleaseError::NotFound {
                name: self.name.clone(),
                namespace: self.namespace.clone(),
                hint: " (neither ketch nor Helm has a record of it)",
            });
        };
        if newest.recorded_by == Recorder::Ketch {
            return Err(ReleaseError::NotHelms {
                name: self.name.clone(),
                revision: newest.revision,
            });
        }
        if newest.info.status.is_pending() {
            return Err(ReleaseError::HelmPending {
                name: self.name.clone(),
                namespace: self.namespace.clone(),
                revision: newest.revision,
                status: newest.info.status,
            });
        }
        let Some(deployed) = &history.deployed else {
            return Err(ReleaseError::NothingDeployed {
                name: self.name.clone(),
            });
        };

        let mut objects = Vec::new();
        for object in deployed.objects() {
            objects.push(Target::resolve(
                object,
                &cluster.resources,
                &self.namespace,
            )?);
        }
        // Read as a deploy reads (concurrently, a LIST where a kind has many objects).
        let targets: Vec<&Target> = objects.iter().collect();
        let live = live::read(&cluster.client, &targets, |_| false).await?;
        let live: Vec<Option<&Value>> = objects.iter().map(|t| live.get(&t.key())).collect();
        let drifted: Vec<String> = objects
            .iter()
            .zip(&live)
            .filter_map(|(target, live)| match *live {
                None => Some(format!("{}: deleted", target.describe())),
                Some(l) if !drift::holds(l, target.data()) => {
                    Some(format!("{}: changed", target.describe()))
                }
                Some(_) => None,
            })
            .collect();
        if !drifted.is_empty() && !self.allow_drift {
            return Err(ReleaseError::Drifted {
                name: self.name.clone(),
                revision: deployed.revision,
                objects: drifted,
            });
        }

        for (target, live) in objects.iter().zip(&live) {
            let Some(live) = *live else { continue };
            if let Some(entries) = managed_fields::migrated(live, HELM_MANAGERS) {
                managed_fields::write(&cluster.client, target, live, entries).await?;
            }
        }

        let mut release = deployed.clone();
        release.revision = history.next_revision();
        release.info = None;
        release.apply_method = self.settings.apply_method;
        let from = deployed.revision;
        progress.line(&format!(
            "adopting Helm's revision {from} of {} as revision {}",
            self.name, release.revision
        ));
        let mut deploy = Deploy {
            cluster,
            store,
            settings: &self.settings,
            progress,
        };
        deploy
            .run(release, &history, Operation::Adopt { from })
            .await
            .map_err(|error| ReleaseError::Failed {
                operation: "adopt",
                name: self.name.clone(),
                error: Box::new(error),
            })
    }
}
