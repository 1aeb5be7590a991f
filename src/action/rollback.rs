//! `rollback RELEASE [REVISION]`: deploy an earlier revision's chart, values
//! and manifest again as a new revision (default: the one before the latest).
//! With `--dry-run` the lock is not taken and nothing is recorded: a client
//! dry run only reads the history, a server dry run also sends every object
//! as a server-side dry-run apply.

use super::deploy::{
    Deploy, DryRun, History, Operation, Report, Settings, on_locked_release, settle_interrupted,
};
use super::error::ReleaseError;
use super::upgrade::recover;
use crate::cluster::{Cluster, ConnectOptions};
use crate::progress::Progress;
use crate::release::{Release, ReleaseStore};

#[derive(Debug, Clone)]
pub struct RollbackRequest {
    pub name: String,
    pub namespace: String,
    /// The revision to go back to; `None` is the one before the latest.
    pub revision: Option<u64>,
    pub settings: Settings,
    pub connect: ConnectOptions,
}

impl RollbackRequest {
    pub async fn run(&self, progress: &dyn Progress) -> Result<(Release, Report), ReleaseError> {
        on_locked_release(
            &self.connect,
            &self.namespace,
            &self.name,
            self.settings.lock("rollback"),
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
        let dry_run = self.settings.dry_run;
        let mut history = History::read(store, &self.name).await?;
        if dry_run.is_none() {
            settle_interrupted(store, &mut history).await?;
        }
        let Some(latest) = &history.latest else {
            return Err(ReleaseError::NotFound {
                name: self.name.clone(),
                namespace: self.namespace.clone(),
                hint: "",
            });
        };
        let to = match self.revision {
            Some(0) | None => latest.revision.saturating_sub(1),
            Some(r) => r,
        };
        if !history.summaries.iter().any(|s| s.revision == to) {
            return Err(ReleaseError::NoRevision {
                name: self.name.clone(),
                revision: to,
                known: history
                    .summaries
                    .iter()
                    .map(|s| s.revision.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let mut release = store.get(&self.name, to).await?;
        release.revision = history.next_revision();
        release.info = None;
        release.apply_method = self.settings.apply_method;
        if dry_run == Some(DryRun::Client) {
            return Ok((release, Report::default()));
        }
        let mut deploy = Deploy {
            cluster,
            store,
            settings: &self.settings,
            progress,
        };
        let operation = Operation::Rollback { to };
        match deploy.run(release.clone(), &history, operation).await {
            Ok(done) => Ok(done),
            Err(error) if self.settings.atomic && dry_run.is_none() => {
                let recovery = recover(&mut deploy, &release, operation, progress).await;
                Err(ReleaseError::Atomic {
                    operation: "rollback",
                    name: self.name.clone(),
                    error: Box::new(error),
                    recovery,
                })
            }
            Err(error) => Err(ReleaseError::Failed {
                operation: "rollback",
                name: self.name.clone(),
                error: Box::new(error),
            }),
        }
    }
}
