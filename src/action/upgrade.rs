//! `install` and `upgrade [--install]`: render a chart for a release and
//! deploy it as a new revision, under the release's lock.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ObjectMeta, PostParams};

use super::deploy::{
    Deploy, DryRun, History, Operation, Report, Settings, interruptible, settle_interrupted,
};
use super::error::ReleaseError;
use super::uninstall;
use crate::chart::{ChartSource, loader};
use crate::cluster::lookup::ClusterLookup;
use crate::cluster::{Cluster, ClusterError, ConnectOptions};
use crate::engine::{Capabilities, Lookup, ReleaseInfo};
use crate::hooks;
use crate::progress::Progress;
use crate::release::{self, LockOptions, Release, ReleaseLock, ReleaseStore, Status, StoredObject};
use crate::render::render_user_values;
use crate::values::{UserValues, ValueOptions, merge_into};

/// A chart to deploy as a release.
#[derive(Debug, Clone)]
pub struct ChartRequest {
    pub name: String,
    pub namespace: String,
    /// A chart directory or `.tgz` archive.
    pub chart: PathBuf,
    /// Where a chart taken by reference came from, for the release record.
    pub source: Option<ChartSource>,
    pub values: ValueOptions,
    pub create_namespace: bool,
    /// Merge the new values over the last release's (`--reuse-values`).
    pub reuse_values: bool,
    /// Ignore the last release's values (`--reset-values`).
    pub reset_values: bool,
    pub settings: Settings,
    pub connect: ConnectOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Install,
    Upgrade { install: bool },
}

/// What an install or upgrade did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub release: Release,
    pub report: Report,
    pub dry_run: Option<DryRun>,
}

pub async fn run(
    request: &ChartRequest,
    mode: Mode,
    stdin: &mut (dyn Read + Send),
    progress: &dyn Progress,
) -> Result<Outcome, ReleaseError> {
    release::validate_name(&request.name).map_err(ReleaseError::Invalid)?;
    let user = request.values.merge_values(stdin)?;
    let settings = &request.settings;
    if settings.dry_run == Some(DryRun::Client) && mode == Mode::Install {
        // Like Helm: a client dry run of an install never contacts the cluster.
        let release = render(request, &user, None, 1, true, Capabilities::default())?;
        return Ok(Outcome {
            release,
            report: Report::default(),
            dry_run: settings.dry_run,
        });
    }
    let mut cluster = Cluster::connect(&request.connect).await?;
    let writes = settings.dry_run.is_none();
    if request.create_namespace && writes {
        ensure_namespace(&cluster, &request.namespace).await?;
    }
    let store = ReleaseStore::new(cluster.client.clone(), &request.namespace);
    let lock = if writes {
        let operation = match mode {
            Mode::Install => "install",
            Mode::Upgrade { .. } => "upgrade",
        };
        Some(
            ReleaseLock::acquire(
                &cluster.client,
                &request.namespace,
                &request.name,
                &LockOptions {
                    duration: settings.lock_duration,
                    operation: operation.into(),
                },
            )
            .await?,
        )
    } else {
        None
    };
    let result = interruptible(
        lock.as_ref(),
        locked(request, mode, &user, &mut cluster, &store, writes, progress),
    )
    .await;
    if let Some(lock) = lock {
        lock.release().await;
    }
    result
}

async fn locked(
    request: &ChartRequest,
    mode: Mode,
    user: &UserValues,
    cluster: &mut Cluster,
    store: &ReleaseStore,
    writes: bool,
    progress: &dyn Progress,
) -> Result<Outcome, ReleaseError> {
    let settings = &request.settings;
    let mut history = History::read(store, &request.name).await?;
    if writes {
        settle_interrupted(store, &mut history).await?;
    }
    let live_release = history
        .latest
        .as_ref()
        .filter(|l| l.status() != Status::Uninstalled);
    let operation = match (mode, live_release) {
        (Mode::Install, Some(latest)) => {
            return Err(ReleaseError::Exists {
                name: request.name.clone(),
                namespace: request.namespace.clone(),
                revision: latest.revision,
                status: latest.status(),
            });
        }
        (Mode::Install, None) | (Mode::Upgrade { install: true }, None) => Operation::Install,
        (Mode::Upgrade { install: false }, None) => {
            return Err(ReleaseError::NotFound {
                name: request.name.clone(),
                namespace: request.namespace.clone(),
                hint: "; install it with `ketch install`, or pass --install",
            });
        }
        (Mode::Upgrade { .. }, Some(_)) => Operation::Upgrade,
    };
    let user = values_for(request, user, &history, operation);
    let lookup: Arc<dyn Lookup> = Arc::new(ClusterLookup::new(
        cluster.client.clone(),
        cluster.resources.clone(),
    ));
    let mut release = render(
        request,
        &user,
        Some(lookup),
        history.next_revision(),
        operation == Operation::Install,
        cluster.capabilities(),
    )?;
    if settings.dry_run == Some(DryRun::Client) {
        return Ok(Outcome {
            release,
            report: Report::default(),
            dry_run: settings.dry_run,
        });
    }
    release.apply_method = settings.apply_method;
    let mut deploy = Deploy {
        cluster,
        store,
        settings,
        progress,
    };
    match deploy.run(release.clone(), &history, operation).await {
        Ok((release, report)) => Ok(Outcome {
            release,
            report,
            dry_run: settings.dry_run,
        }),
        Err(error) if settings.atomic && writes => {
            let recovery = recover(&mut deploy, &release, operation, progress).await;
            Err(ReleaseError::Atomic {
                operation: operation.name(),
                name: request.name.clone(),
                error: Box::new(error),
                recovery,
            })
        }
        Err(error) => Err(ReleaseError::Failed {
            operation: operation.name(),
            name: request.name.clone(),
            error: Box::new(error),
        }),
    }
}

/// `--atomic`: roll back to the last deployed revision, or uninstall a first install.
pub(crate) async fn recover(
    deploy: &mut Deploy<'_>,
    failed: &Release,
    operation: Operation,
    progress: &dyn Progress,
) -> String {
    let history = match History::read(deploy.store, &failed.name).await {
        Ok(h) => h,
        Err(e) => return format!("could not read the history to recover: {e}"),
    };
    // Refused before anything was written (ownership, unknown kind): nothing to undo.
    if history.latest.as_ref().map(|l| l.revision) != Some(failed.revision) {
        return "nothing was applied, so there is nothing to roll back".into();
    }
    let Some(target) = history.deployed.clone() else {
        progress.line("--atomic: uninstalling the failed release");
        return match uninstall::remove(
            deploy.cluster,
            deploy.store,
            &history,
            false,
            None,
            progress,
        )
        .await
        {
            Ok(_) => format!("the failed {} was uninstalled", operation.name()),
            Err(e) => format!("uninstalling the failed release failed too: {e}"),
        };
    };
    progress.line(&format!(
        "--atomic: rolling back to revision {}",
        target.revision
    ));
    let mut rollback = target.clone();
    rollback.revision = history.next_revision();
    rollback.info = None;
    let to = target.revision;
    match deploy
        .run(rollback, &history, Operation::Rollback { to })
        .await
    {
        Ok((release, _)) => format!(
            "rolled back to revision {to} (now revision {})",
            release.revision
        ),
        Err(e) => format!("the rollback to revision {to} failed too: {e}"),
    }
}

/// The user values a revision gets: Helm's rules for `--reuse-values` and
/// `--reset-values`; with neither, an upgrade given no values keeps the last ones.
pub(crate) fn values_for(
    request: &ChartRequest,
    user: &UserValues,
    history: &History,
    operation: Operation,
) -> UserValues {
    let last = history.deployed.as_ref().or(history.latest.as_ref());
    let Some(last) = last.filter(|_| operation == Operation::Upgrade) else {
        return user.clone();
    };
    if request.reset_values {
        return user.clone();
    }
    if request.reuse_values {
        let mut values = last.config.clone();
        merge_into(&mut values, user.values.clone());
        return UserValues {
            values,
            sources: user.sources.clone(),
        };
    }
    if user.values.is_empty() && user.sources.is_empty() {
        return UserValues::from(last.config.clone());
    }
    user.clone()
}

pub(crate) fn render(
    request: &ChartRequest,
    user: &UserValues,
    lookup: Option<Arc<dyn Lookup>>,
    revision: u64,
    is_install: bool,
    capabilities: Capabilities,
) -> Result<Release, ReleaseError> {
    let chart = loader::load(&request.chart)?;
    let info = ReleaseInfo {
        name: request.name.clone(),
        namespace: request.namespace.clone(),
        revision,
        is_install,
        is_upgrade: !is_install,
    };
    let rendered = render_user_values(chart, user, &info, &capabilities, lookup)?;
    let (manifest, hook_objects) = hooks::split(rendered.manifest.objects)?;
    Ok(Release {
        name: request.name.clone(),
        namespace: request.namespace.clone(),
        revision,
        chart: rendered.chart.metadata.clone(),
        config: user.values.clone(),
        values: rendered.values,
        crds: rendered
            .manifest
            .crds
            .iter()
            .map(StoredObject::from)
            .collect(),
        manifest: manifest.iter().map(StoredObject::from).collect(),
        hooks: hook_objects.iter().map(StoredObject::from).collect(),
        notes: rendered.notes,
        apply_method: request.settings.apply_method,
        source: request.source.clone(),
        info: None,
    })
}

/// `--create-namespace`: creates the namespace unless it exists.
async fn ensure_namespace(cluster: &Cluster, namespace: &str) -> Result<(), ClusterError> {
    let api: Api<Namespace> = Api::all(cluster.client.clone());
    let ns = Namespace {
        metadata: ObjectMeta {
            name: Some(namespace.to_string()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    match api.create(&PostParams::default(), &ns).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
        Err(e) => Err(ClusterError::from_kube(
            e,
            format!("creating namespace {namespace}"),
        )),
    }
}
