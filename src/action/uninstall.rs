//! `uninstall`: run the pre-delete hooks, delete the release's objects in
//! reverse install order (except those annotated `ketch.dev/resource-policy:
//! keep`, and never CRDs), run the post-delete hooks, then delete the history
//! or, with `--keep-history`, mark the last revision uninstalled.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};

use super::deploy::{self, History, resolved_key};
use super::error::ReleaseError;
use crate::apply::Target;
use crate::apply::live;
use crate::apply::ownership;
use crate::cluster::{Cluster, ConnectOptions};
use crate::hooks::{self, HookContext, Phase};
use crate::manifest::order;
use crate::progress::Progress;
use crate::release::{self, LockOptions, ReleaseLock, ReleaseStore, Status};

#[derive(Debug, Clone)]
pub struct UninstallRequest {
    pub name: String,
    pub namespace: String,
    pub keep_history: bool,
    pub no_hooks: bool,
    /// Wait until the deleted objects are gone.
    pub wait: bool,
    pub timeout: Duration,
    pub lock_duration: Duration,
    pub connect: ConnectOptions,
}

/// Deletions in flight at once.
const DELETE_CONCURRENCY: usize = 8;

/// What an uninstall deleted and kept.
#[derive(Debug, Clone, Default)]
pub struct Removed {
    pub deleted: Vec<String>,
    pub kept: Vec<String>,
}

impl UninstallRequest {
    pub async fn run(&self, progress: &dyn Progress) -> Result<Removed, ReleaseError> {
        let mut cluster = Cluster::connect(&self.connect).await?;
        let store = ReleaseStore::new(cluster.client.clone(), &self.namespace);
        let lock = ReleaseLock::acquire(
            &cluster.client,
            &self.namespace,
            &self.name,
            &LockOptions {
                duration: self.lock_duration,
                operation: "uninstall".into(),
            },
        )
        .await?;
        let result =
            deploy::interruptible(Some(&lock), self.locked(&mut cluster, &store, progress)).await;
        lock.release().await;
        result
    }

    async fn locked(
        &self,
        cluster: &mut Cluster,
        store: &ReleaseStore,
        progress: &dyn Progress,
    ) -> Result<Removed, ReleaseError> {
        let history = History::read(store, &self.name).await?;
        match &history.latest {
            Some(l) if l.status() != Status::Uninstalled => {}
            _ => {
                return Err(ReleaseError::NotFound {
                    name: self.name.clone(),
                    namespace: self.namespace.clone(),
                    hint: "",
                });
            }
        }
        let hooked = history.latest.as_ref().filter(|_| !self.no_hooks);
        let ctx = HookContext {
            client: &cluster.client,
            resources: &cluster.resources,
            release: &self.name,
            namespace: &self.namespace,
            timeout: self.timeout,
            progress,
        };
        if let Some(latest) = hooked {
            hooks::run(&ctx, &latest.hook_objects(), Phase::PreDelete).await?;
        }
        let wait_gone = self.wait.then_some(self.timeout);
        let removed = remove(
            cluster,
            store,
            &history,
            self.keep_history,
            wait_gone,
            progress,
        )
        .await?;
        if let Some(latest) = hooked {
            hooks::run(&ctx, &latest.hook_objects(), Phase::PostDelete).await?;
        }
        Ok(removed)
    }
}

/// Deletes the objects of the latest and last deployed revisions that the
/// release still owns, then the history (or marks it uninstalled).
pub(crate) async fn remove(
    cluster: &Cluster,
    store: &ReleaseStore,
    history: &History,
    keep_history: bool,
    wait_gone: Option<Duration>,
    progress: &dyn Progress,
) -> Result<Removed, ReleaseError> {
    let Some(latest) = &history.latest else {
        return Ok(Removed::default());
    };
    let name = &latest.name;
    let namespace = &latest.namespace;
    let mut info = latest.info.clone().unwrap_or_else(|| release::Info {
        status: Status::Uninstalling,
        first_deployed: String::new(),
        last_deployed: String::new(),
        deleted: None,
        description: String::new(),
    });
    info.status = Status::Uninstalling;
    info.description = "Deletion in progress".into();
    store.set_info(name, latest.revision, &info).await?;

    let mut seen = BTreeSet::new();
    let mut targets = Vec::new();
    for object in history
        .latest
        .iter()
        .chain(&history.deployed)
        .flat_map(|r| r.objects())
    {
        if !seen.insert(resolved_key(&object, &cluster.resources, namespace)) {
            continue;
        }
        match Target::resolve(object, &cluster.resources, namespace) {
            Ok(t) => targets.push(t),
            Err(e) => tracing::warn!("not deleting: {e}"),
        }
    }
    targets.sort_by_key(|t| std::cmp::Reverse(order::install_rank(t.kind())));
    let refs: Vec<&Target> = targets.iter().collect();
    let live = live::read(&cluster.client, &refs, |_| true).await?;
    let mut removed = Removed::default();
    let mut deleted_targets = Vec::new();
    for target in &targets {
        let Some(object) = live.get(&target.key()) else {
            continue;
        };
        if !ownership::is_owned_by(object, name, namespace) {
            continue;
        }
        if ownership::is_kept(object) {
            progress.line(&format!("{}: kept (resource policy keep)", target.short()));
            removed.kept.push(target.describe());
            continue;
        }
        deleted_targets.push(target);
    }
    // Reverse install order between kinds; objects of one kind a few at a time.
    for rank in deleted_targets
        .chunk_by(|a, b| order::install_rank(a.kind()) == order::install_rank(b.kind()))
    {
        futures::stream::iter(rank)
            .map(|target| async move {
                deploy::delete(&cluster.client, target).await?;
                progress.line(&format!("{}: deleted", target.short()));
                Ok::<_, ReleaseError>(())
            })
            .buffered(DELETE_CONCURRENCY)
            .try_collect::<Vec<()>>()
            .await?;
        removed.deleted.extend(rank.iter().map(|t| t.describe()));
    }
    if let Some(timeout) = wait_gone {
        wait_deleted(cluster, &deleted_targets, timeout, progress).await?;
    }
    if keep_history {
        info.status = Status::Uninstalled;
        info.deleted = Some(release::now());
        info.description = "Uninstallation complete".into();
        store.set_info(name, latest.revision, &info).await?;
    } else {
        store.delete_all(name).await?;
    }
    Ok(removed)
}

async fn wait_deleted(
    cluster: &Cluster,
    targets: &[&Target],
    timeout: Duration,
    progress: &dyn Progress,
) -> Result<(), ReleaseError> {
    let started = std::time::Instant::now();
    let mut left: Vec<&Target> = targets.to_vec();
    while !left.is_empty() {
        let mut still = Vec::new();
        for t in left {
            let exists = t
                .api(&cluster.client)
                .get_opt(t.name())
                .await
                .map_err(|e| crate::cluster::ClusterError::from_kube(e, t.describe()))?
                .is_some();
            if exists {
                still.push(t);
            }
        }
        if still.is_empty() {
            break;
        }
        if started.elapsed() > timeout {
            let names: Vec<String> = still.iter().map(|t| t.describe()).collect();
            progress.line(&format!(
                "timed out after {}s; still being deleted: {}",
                timeout.as_secs(),
                names.join(", ")
            ));
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        left = still;
    }
    Ok(())
}
