//! Deploying one revision of a release — what install, upgrade and rollback
//! share: check ownership, record the revision as pending, run the pre hooks,
//! apply CRDs and wait until established, apply the objects that changed in
//! install order, prune what the revision no longer renders, wait, run the
//! post hooks and record the outcome.
//!
//! Only objects that changed are sent. An object is skipped when it is
//! byte-identical to the previous revision's (which was deployed with the
//! same apply method) *and* the live object still holds every field of it
//! ([`drift::holds`]). The live state is read with one LIST per kind and
//! namespace the previous revision had (label `app.kubernetes.io/managed-by`)
//! plus a GET per object not found that way, so an upgrade that changes one of
//! N objects sends one write, and an object edited or deleted behind ketch's
//! back is corrected by the next upgrade.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use kube::api::DeleteParams;
use serde_json::Value;

use super::error::ReleaseError;
use crate::apply::live::{self, LiveObjects};
use crate::apply::ownership::{self, decorate};
use crate::apply::target::key_of;
use crate::apply::{Applier, ApplyOptions, ObjectKey, Target, drift};
use crate::cluster::{Cluster, ClusterError, ConnectOptions, FieldConflict, Resources};
use crate::hooks::{self, HookContext, Phase};
use crate::manifest::{Object, order};
use crate::progress::Progress;
use crate::release::{
    ApplyMethod, Info, LockOptions, Recorder, Release, ReleaseLock, ReleaseStore, Status, Summary,
    now,
};
use crate::wait;

/// `--dry-run=client|server`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DryRun {
    /// Render only; nothing is sent to the cluster for validation.
    Client,
    /// Every object is sent as a server-side dry-run apply: validated and
    /// admitted, never persisted. No record, no lock, no hooks.
    Server,
}

/// Settings every write operation shares (the common flags).
#[derive(Debug, Clone)]
pub struct Settings {
    pub wait: bool,
    pub timeout: Duration,
    pub atomic: bool,
    pub dry_run: Option<DryRun>,
    pub apply_method: ApplyMethod,
    pub force_conflicts: bool,
    pub take_ownership: bool,
    /// Revisions kept per release; 0 keeps all.
    pub history_max: usize,
    pub lock_duration: Duration,
    pub description: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            wait: false,
            timeout: Duration::from_secs(300),
            atomic: false,
            dry_run: None,
            apply_method: ApplyMethod::Ssa,
            force_conflicts: false,
            take_ownership: false,
            history_max: 10,
            lock_duration: crate::release::lock::DEFAULT_DURATION,
            description: None,
        }
    }
}

impl Settings {
    /// The lock an operation named `operation` takes (none for a dry run).
    pub fn lock(&self, operation: &str) -> Option<LockOptions> {
        self.dry_run.is_none().then(|| LockOptions {
            duration: self.lock_duration,
            operation: operation.into(),
        })
    }
}

/// Which operation a deploy is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Install,
    Upgrade,
    Rollback {
        to: u64,
    },
    /// A Helm release taken over: its last deployed revision applied as
    /// ketch's, no hooks run.
    Adopt {
        from: u64,
    },
}

impl Operation {
    pub fn name(self) -> &'static str {
        match self {
            Operation::Install => "install",
            Operation::Upgrade => "upgrade",
            Operation::Rollback { .. } => "rollback",
            Operation::Adopt { .. } => "adopt",
        }
    }

    fn pending(self) -> Status {
        match self {
            Operation::Install => Status::PendingInstall,
            Operation::Upgrade => Status::PendingUpgrade,
            Operation::Rollback { .. } => Status::PendingRollback,
            Operation::Adopt { .. } => Status::PendingUpgrade,
        }
    }

    /// The hooks run before and after the objects are applied.
    fn hooks(self) -> Option<(Phase, Phase)> {
        match self {
            Operation::Install => Some((Phase::PreInstall, Phase::PostInstall)),
            Operation::Upgrade => Some((Phase::PreUpgrade, Phase::PostUpgrade)),
            Operation::Rollback { .. } => Some((Phase::PreRollback, Phase::PostRollback)),
            Operation::Adopt { .. } => None,
        }
    }

    fn done(self) -> String {
        match self {
            Operation::Install => "Install complete".into(),
            Operation::Upgrade => "Upgrade complete".into(),
            Operation::Rollback { to } => format!("Rollback to {to}"),
            Operation::Adopt { from } => format!("Adopted from Helm's revision {from}"),
        }
    }
}

/// Objects of one install rank applied at once.
const APPLY_CONCURRENCY: usize = 8;

/// What a deploy did, for the command to print.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub applied: Vec<String>,
    pub unchanged: usize,
    pub pruned: Vec<String>,
    pub kept: Vec<String>,
    pub took_back: Vec<(String, FieldConflict)>,
    pub hooks_run: usize,
}

impl Report {
    fn merge(&mut self, other: Report) {
        self.applied.extend(other.applied);
        self.unchanged += other.unchanged;
        self.pruned.extend(other.pruned);
        self.kept.extend(other.kept);
        self.took_back.extend(other.took_back);
        self.hooks_run += other.hooks_run;
    }
}

/// The release's history as an operation starts.
pub struct History {
    pub summaries: Vec<Summary>,
    /// The newest revision, any status.
    pub latest: Option<Release>,
    /// The newest deployed revision (the same as `latest` after a success).
    pub deployed: Option<Release>,
}

impl History {
    /// Reads the summaries, the latest revision and the last deployed one,
    /// for an operation that writes: a release whose newest revision Helm
    /// recorded is Helm's until `ketch adopt` takes it over.
    pub async fn read(store: &ReleaseStore, name: &str) -> Result<Self, ReleaseError> {
        let history = Self::read_any(store, name).await?;
        if let Some(newest) = history.summaries.last()
            && newest.recorded_by == Recorder::Helm
        {
            return Err(ReleaseError::HelmOwned {
                name: name.to_string(),
                namespace: newest.namespace.clone(),
                revision: newest.revision,
                status: newest.info.status,
            });
        }
        Ok(history)
    }

    /// [`read`](Self::read) whoever recorded the newest revision.
    pub async fn read_any(store: &ReleaseStore, name: &str) -> Result<Self, ReleaseError> {
        let summaries = store.history(name).await?;
        let latest = match summaries.last() {
            Some(s) => Some(store.get(name, s.revision).await?),
            None => None,
        };
        let deployed = match &latest {
            Some(l) if l.status() == Status::Deployed => Some(l.clone()),
            _ => match summaries
                .iter()
                .rev()
                .find(|s| s.info.status == Status::Deployed)
            {
                Some(s) => Some(store.get(name, s.revision).await?),
                None => None,
            },
        };
        Ok(History {
            summaries,
            latest,
            deployed,
        })
    }

    pub fn next_revision(&self) -> u64 {
        self.summaries.last().map_or(1, |s| s.revision + 1)
    }
}

/// Runs an operation that holds the release's `lock` (none for a dry run)
/// until it ends, the user presses Ctrl-C, or the lock is lost. On Ctrl-C the
/// operation stops where it is and the caller gives the lock back, so nobody
/// waits for the lease to expire; on a lost lock it stops before its next
/// write, since another client may be changing the release now.
pub async fn interruptible<T>(
    lock: Option<&ReleaseLock>,
    operation: impl std::future::Future<Output = Result<T, ReleaseError>>,
) -> Result<T, ReleaseError> {
    let lost = async {
        match lock {
            Some(lock) => lock.lost().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        result = operation => result,
        _ = tokio::signal::ctrl_c() => Err(ReleaseError::Interrupted),
        lost = lost => Err(lost.into()),
    }
}

/// Connects to the cluster and runs `operation` on the release's records,
/// holding its lock (`None`: a dry run, no lock), then gives the lock back,
/// whatever the outcome.
pub async fn on_locked_release<T>(
    connect: &ConnectOptions,
    namespace: &str,
    name: &str,
    lock: Option<LockOptions>,
    operation: impl AsyncFnOnce(&mut Cluster, &ReleaseStore) -> Result<T, ReleaseError>,
) -> Result<T, ReleaseError> {
    let mut cluster = Cluster::connect(connect).await?;
    let store = ReleaseStore::new(cluster.client.clone(), namespace);
    let client = cluster.client.clone();
    let lock = match lock {
        Some(options) => Some(ReleaseLock::acquire(&client, namespace, name, &options).await?),
        None => None,
    };
    let result = interruptible(lock.as_ref(), operation(&mut cluster, &store)).await;
    if let Some(lock) = lock {
        lock.release().await;
    }
    result
}

/// Marks a revision left pending by a killed client as failed (called with the lock held).
pub async fn settle_interrupted(
    store: &ReleaseStore,
    history: &mut History,
) -> Result<(), ReleaseError> {
    let Some(latest) = &mut history.latest else {
        return Ok(());
    };
    if !latest.status().is_pending() {
        return Ok(());
    }
    let was = latest.status();
    let mut info = latest
        .info
        .clone()
        .unwrap_or_else(|| new_info(Status::Failed, ""));
    info.status = Status::Failed;
    info.description = format!(
        "interrupted while {was}: its client stopped before finishing and its lock expired"
    );
    store.set_info(&latest.name, latest.revision, &info).await?;
    if let Some(s) = history
        .summaries
        .iter_mut()
        .find(|s| s.revision == latest.revision)
    {
        s.info = info.clone();
    }
    latest.info = Some(info);
    Ok(())
}

fn new_info(status: Status, description: &str) -> Info {
    let t = now();
    Info {
        status,
        first_deployed: t.clone(),
        last_deployed: t,
        deleted: None,
        description: description.to_string(),
    }
}

/// The previous revision's objects by key, and whether unchanged ones may be skipped.
struct Originals<'a> {
    objects: HashMap<ObjectKey, &'a Object>,
    skip_unchanged: bool,
}

/// An object to apply: decorated, resolved (when its kind is served yet).
struct Desired {
    raw: Object,
    target: Option<Target>,
}

/// Everything one deploy needs.
pub struct Deploy<'a> {
    pub cluster: &'a mut Cluster,
    pub store: &'a ReleaseStore,
    pub settings: &'a Settings,
    pub progress: &'a dyn Progress,
}

impl Deploy<'_> {
    /// Deploys `release` (revision and content set) over `history`. With
    /// `--dry-run=server` nothing is written. Returns the release as recorded.
    pub async fn run(
        &mut self,
        mut release: Release,
        history: &History,
        operation: Operation,
    ) -> Result<(Release, Report), ReleaseError> {
        let mut report = Report::default();
        let previous = history.latest.as_ref();
        let deployed = history.deployed.as_ref();
        let namespace = release.namespace.clone();
        let name = release.name.clone();

        // 1. Resolve, read live state, check ownership: no write before this passes.
        let crd_kinds = crd_kinds(&release.crd_objects());
        let crds = self.desired(&release.crd_objects(), &crd_kinds, &release)?;
        let objects = self.desired(&release.objects(), &crd_kinds, &release)?;
        let base_keys = self.base_keys(previous, deployed, &namespace);
        let prune = self.prune_candidates(previous, deployed, &crds, &objects, &namespace);
        let listable_types: BTreeSet<(String, String)> = base_keys
            .keys()
            .map(|k| (k.group.clone(), k.kind.clone()))
            .collect();
        let all: Vec<&Target> = crds
            .iter()
            .chain(&objects)
            .filter_map(|d| d.target.as_ref())
            .chain(prune.iter())
            .collect();
        let mut live = live::read(&self.cluster.client, &all, |t| {
            listable_types.contains(&(t.key().group, t.key().kind))
        })
        .await?;
        // Helm installs a chart's `crds/` without any mark of ownership: a release
        // taken over from Helm owns the unmarked CRDs its chart brings.
        let adopted = history
            .summaries
            .iter()
            .any(|s| s.recorded_by == Recorder::Helm);
        self.check_ownership(crds.iter(), &live, &base_keys, &name, &namespace, adopted)?;
        self.check_ownership(objects.iter(), &live, &base_keys, &name, &namespace, false)?;

        if self.settings.dry_run == Some(DryRun::Server) {
            let applier = Applier::new(
                &self.cluster.client,
                ApplyOptions {
                    method: ApplyMethod::Ssa,
                    force_conflicts: self.settings.force_conflicts,
                    dry_run: true,
                },
            );
            for d in crds.iter().chain(&objects) {
                if let Some(target) = &d.target {
                    applier.apply(target, None, live.get(&target.key())).await?;
                }
            }
            release.info = Some(new_info(operation.pending(), "Dry run complete"));
            return Ok((release, report));
        }

        // 2. Record the revision as pending.
        let first_deployed = previous
            .and_then(|p| p.info.as_ref())
            .map(|i| i.first_deployed.clone())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(now);
        let mut info = new_info(
            operation.pending(),
            &format!("{} in progress", operation.name()),
        );
        info.first_deployed = first_deployed;
        self.store.create(&release, &info).await?;
        release.info = Some(info.clone());

        let outcome = self
            .apply_all(
                &release,
                operation,
                crds,
                objects,
                prune,
                &mut live,
                history,
                &mut report,
            )
            .await;
        match outcome {
            Ok(()) => {
                info.status = Status::Deployed;
                info.last_deployed = now();
                info.description = self
                    .settings
                    .description
                    .clone()
                    .unwrap_or_else(|| operation.done());
                self.store.set_info(&name, release.revision, &info).await?;
                release.info = Some(info);
                self.supersede(history, release.revision).await?;
                self.trim_history(history, release.revision).await?;
                Ok((release, report))
            }
            Err(error) => {
                info.status = Status::Failed;
                info.last_deployed = now();
                info.description = format!("{} failed: {error}", operation.name());
                if let Err(e) = self.store.set_info(&name, release.revision, &info).await {
                    tracing::warn!("could not record the failure: {e}");
                }
                Err(error)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn apply_all(
        &mut self,
        release: &Release,
        operation: Operation,
        crds: Vec<Desired>,
        objects: Vec<Desired>,
        prune: Vec<Target>,
        live: &mut LiveObjects,
        history: &History,
        report: &mut Report,
    ) -> Result<(), ReleaseError> {
        let hooks = operation.hooks();
        let hook_objects = match hooks {
            Some(_) => release.hook_objects(),
            None => Vec::new(),
        };
        if let Some((pre, _)) = hooks {
            report.hooks_run += self
                .run_hooks(&release.name, &release.namespace, &hook_objects, pre)
                .await?;
        }

        // The client-side merge's "original" is the last deployed revision (as
        // Helm's); skipping unchanged objects is sound only when the latest
        // revision is that one, fully deployed with the same method.
        let base = history.deployed.as_ref().or(history.latest.as_ref());
        let base_objects: Vec<Object> = base
            .map(|p| p.crd_objects().into_iter().chain(p.objects()).collect())
            .unwrap_or_default();
        let originals = Originals {
            objects: base_objects
                .iter()
                .map(|o| (self.key(o, &release.namespace), o))
                .collect(),
            skip_unchanged: history.latest.as_ref().is_some_and(|l| {
                l.status() == Status::Deployed && l.apply_method == release.apply_method
            }),
        };
        let applier = Applier::new(
            &self.cluster.client,
            ApplyOptions {
                method: release.apply_method,
                force_conflicts: self.settings.force_conflicts,
                dry_run: false,
            },
        );

        // CRDs first, then wait until established and learn their kinds.
        let mut established = Vec::new();
        for d in &crds {
            let Some(target) = &d.target else { continue };
            report.merge(
                self.apply_one(&applier, d, target, &originals, live, release)
                    .await?,
            );
            established.push(target);
        }
        if !established.is_empty() {
            wait::wait_ready(
                &self.cluster.client,
                &established,
                self.settings.timeout,
                self.progress,
            )
            .await?;
            let api_versions: BTreeSet<String> = crd_kinds(&release.crd_objects())
                .into_iter()
                .map(|(api_version, _)| api_version)
                .collect();
            for api_version in api_versions {
                self.refresh_discovery(&api_version).await?;
            }
        }

        let mut applied_targets = Vec::new();
        for d in &objects {
            let target = match &d.target {
                Some(t) => t.clone(),
                None => {
                    let mut raw = d.raw.clone();
                    decorate(&mut raw.data, &release.name, &release.namespace);
                    Target::resolve(raw, &self.cluster.resources, &release.namespace)?
                }
            };
            applied_targets.push(target);
        }
        // Objects of one kind rank go out together (a few at a time); ranks in install order.
        let pairs: Vec<(&Desired, &Target)> = objects.iter().zip(&applied_targets).collect();
        for rank in pairs
            .chunk_by(|a, b| order::install_rank(a.1.kind()) == order::install_rank(b.1.kind()))
        {
            let this = &*self;
            let reports: Vec<Report> = futures::stream::iter(rank)
                .map(|(d, target)| this.apply_one(&applier, d, target, &originals, live, release))
                .buffered(APPLY_CONCURRENCY)
                .try_collect()
                .await?;
            for r in reports {
                report.merge(r);
            }
        }

        // Prune in reverse install order.
        let mut prune = prune;
        prune.sort_by_key(|t| std::cmp::Reverse(order::install_rank(t.kind())));
        for target in &prune {
            let Some(object) = live.get(&target.key()) else {
                continue;
            };
            if !ownership::is_owned_by(object, &release.name, &release.namespace) {
                continue;
            }
            if ownership::is_kept(object)
                || ownership::is_kept(&Value::Object(target.data().clone()))
            {
                report.kept.push(target.describe());
                continue;
            }
            delete(&self.cluster.client, target).await?;
            self.progress
                .line(&format!("{}: deleted (no longer rendered)", target.short()));
            report.pruned.push(target.describe());
        }

        if self.settings.wait {
            let targets: Vec<&Target> = applied_targets.iter().collect();
            wait::wait_ready(
                &self.cluster.client,
                &targets,
                self.settings.timeout,
                self.progress,
            )
            .await?;
        }
        if let Some((_, post)) = hooks {
            report.hooks_run += self
                .run_hooks(&release.name, &release.namespace, &hook_objects, post)
                .await?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn apply_one(
        &self,
        applier: &Applier,
        desired: &Desired,
        target: &Target,
        originals: &Originals<'_>,
        live: &LiveObjects,
        release: &Release,
    ) -> Result<Report, ReleaseError> {
        let mut report = Report::default();
        let key = target.key();
        let current = live.get(&key);
        let original = originals.objects.get(&key);
        let unchanged = originals.skip_unchanged
            && original.is_some_and(|o| o.data == desired.raw.data)
            && current.is_some_and(|l| drift::holds(l, target.data()));
        if unchanged {
            report.unchanged += 1;
            return Ok(report);
        }
        // What the previous revision sent: decorated and namespaced like the target.
        let original_value = original.and_then(|o| {
            let mut o = (*o).clone();
            decorate(&mut o.data, &release.name, &release.namespace);
            Target::resolve(o, &self.cluster.resources, &release.namespace)
                .ok()
                .map(|t| Value::Object(t.object.data))
        });
        let Some(applied) = applier
            .apply(target, original_value.as_ref(), current)
            .await?
        else {
            report.unchanged += 1;
            return Ok(report);
        };
        for conflict in applied.took_back {
            self.progress.line(&format!(
                "{}: took back {} from {:?} (changed outside the release)",
                target.short(),
                conflict.field,
                conflict.manager
            ));
            report.took_back.push((target.describe(), conflict));
        }
        let verb = if current.is_some() {
            "configured"
        } else {
            "created"
        };
        self.progress.line(&format!("{}: {verb}", target.short()));
        report.applied.push(target.describe());
        Ok(report)
    }

    async fn run_hooks(
        &self,
        release: &str,
        namespace: &str,
        objects: &[Object],
        phase: Phase,
    ) -> Result<usize, ReleaseError> {
        if objects.is_empty() {
            return Ok(0);
        }
        let ctx = HookContext {
            client: &self.cluster.client,
            resources: &self.cluster.resources,
            release,
            namespace,
            timeout: self.settings.timeout,
            progress: self.progress,
        };
        Ok(hooks::run(&ctx, objects, phase).await?)
    }

    /// Polls discovery for a group/version a CRD just added (it lags behind Established).
    async fn refresh_discovery(&mut self, api_version: &str) -> Result<(), ReleaseError> {
        let started = std::time::Instant::now();
        loop {
            let result = self
                .cluster
                .resources
                .refresh(&self.cluster.client, api_version)
                .await;
            match result {
                Ok(()) => return Ok(()),
                Err(e) if started.elapsed() > Duration::from_secs(30) => {
                    return Err(
                        ClusterError::from_kube(e, format!("discovery of {api_version}")).into(),
                    );
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
    }

    fn key(&self, object: &Object, namespace: &str) -> ObjectKey {
        resolved_key(object, &self.cluster.resources, namespace)
    }

    /// Decorates and resolves objects; a kind the cluster does not serve yet
    /// must be defined by one of the release's CRDs.
    fn desired(
        &self,
        objects: &[Object],
        crd_kinds: &BTreeSet<(String, String)>,
        release: &Release,
    ) -> Result<Vec<Desired>, ReleaseError> {
        objects
            .iter()
            .map(|raw| {
                let mut object = raw.clone();
                decorate(&mut object.data, &release.name, &release.namespace);
                match Target::resolve(object, &self.cluster.resources, &release.namespace) {
                    Ok(target) => Ok(Desired {
                        raw: raw.clone(),
                        target: Some(target),
                    }),
                    Err(_)
                        if crd_kinds
                            .contains(&(raw.api_version().to_string(), raw.kind().to_string())) =>
                    {
                        Ok(Desired {
                            raw: raw.clone(),
                            target: None,
                        })
                    }
                    Err(e) => Err(e.into()),
                }
            })
            .collect()
    }

    fn base_keys(
        &self,
        previous: Option<&Release>,
        deployed: Option<&Release>,
        namespace: &str,
    ) -> HashMap<ObjectKey, Object> {
        previous
            .into_iter()
            .chain(deployed)
            .flat_map(|r| r.crd_objects().into_iter().chain(r.objects()))
            .map(|o| (self.key(&o, namespace), o))
            .collect()
    }

    /// Objects of the previous and last deployed revisions the new one no
    /// longer renders (CRDs are never pruned: deleting one deletes every
    /// custom resource of its kind).
    fn prune_candidates(
        &self,
        previous: Option<&Release>,
        deployed: Option<&Release>,
        crds: &[Desired],
        objects: &[Desired],
        namespace: &str,
    ) -> Vec<Target> {
        let wanted: BTreeSet<ObjectKey> = crds
            .iter()
            .chain(objects)
            .map(|d| self.key(&d.raw, namespace))
            .collect();
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for object in previous
            .into_iter()
            .chain(deployed)
            .flat_map(|r| r.objects())
        {
            let key = self.key(&object, namespace);
            if wanted.contains(&key) || !seen.insert(key) {
                continue;
            }
            match Target::resolve(object, &self.cluster.resources, namespace) {
                Ok(target) => out.push(target),
                Err(e) => tracing::warn!("not pruning: {e}"),
            }
        }
        out
    }

    fn check_ownership<'d>(
        &self,
        desired: impl Iterator<Item = &'d Desired>,
        live: &LiveObjects,
        base_keys: &HashMap<ObjectKey, Object>,
        release: &str,
        namespace: &str,
        unmarked_ok: bool,
    ) -> Result<(), ReleaseError> {
        if self.settings.take_ownership {
            return Ok(());
        }
        let mut refused = Vec::new();
        for d in desired {
            let Some(target) = &d.target else { continue };
            let key = target.key();
            let Some(object) = live.get(&key) else {
                continue;
            };
            // Ours by its annotations, or a previous revision's object whose
            // annotations were stripped; never one another release claims.
            let owner = ownership::owner_of(object);
            let ours = match &owner {
                ownership::Owner::Release { .. } => {
                    ownership::is_owned_by(object, release, namespace)
                }
                ownership::Owner::Nobody => {
                    base_keys.contains_key(&key) || (unmarked_ok && !ownership::is_marked(object))
                }
            };
            if ours {
                continue;
            }
            refused.push(format!(
                "{}: {}",
                target.describe(),
                ownership::owner_of(object)
            ));
        }
        if refused.is_empty() {
            Ok(())
        } else {
            Err(ReleaseError::NotOwned {
                release: release.to_string(),
                objects: refused,
            })
        }
    }

    /// The revisions that were deployed before `revision` become superseded.
    async fn supersede(&self, history: &History, revision: u64) -> Result<(), ReleaseError> {
        for s in &history.summaries {
            if s.revision != revision && s.info.status == Status::Deployed {
                let mut info = s.info.clone();
                info.status = Status::Superseded;
                self.store.set_info(&s.name, s.revision, &info).await?;
            }
        }
        Ok(())
    }

    /// Deletes the oldest revisions beyond `--history-max` (the new one counts).
    async fn trim_history(&self, history: &History, revision: u64) -> Result<(), ReleaseError> {
        let max = self.settings.history_max;
        if max == 0 {
            return Ok(());
        }
        let mut revisions: Vec<u64> = history
            .summaries
            .iter()
            .map(|s| s.revision)
            .filter(|r| *r != revision)
            .collect();
        revisions.push(revision);
        revisions.sort_unstable();
        let excess = revisions.len().saturating_sub(max);
        for old in revisions.into_iter().take(excess) {
            if let Some(s) = history.summaries.iter().find(|s| s.revision == old) {
                self.store.delete(s).await?;
            }
        }
        Ok(())
    }
}

/// The key an object will have once applied (namespace defaulted when its kind is namespaced).
pub fn resolved_key(object: &Object, resources: &Resources, namespace: &str) -> ObjectKey {
    match resources.get(object.api_version(), object.kind()) {
        Some(r) if !r.namespaced => ObjectKey {
            namespace: String::new(),
            ..key_of(object, "")
        },
        _ => key_of(object, namespace),
    }
}

/// `(apiVersion, kind)` of every version the CRDs define.
pub fn crd_kinds(crds: &[Object]) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for crd in crds {
        let Some(spec) = crd.data.get("spec") else {
            continue;
        };
        let group = spec.get("group").and_then(Value::as_str).unwrap_or("");
        let kind = spec
            .pointer("/names/kind")
            .and_then(Value::as_str)
            .unwrap_or("");
        for version in spec
            .get("versions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(v) = version.get("name").and_then(Value::as_str) {
                out.insert((format!("{group}/{v}"), kind.to_string()));
            }
        }
    }
    out
}

/// Deletes an object (background propagation); already gone is fine.
pub async fn delete(client: &kube::Client, target: &Target) -> Result<(), ClusterError> {
    match target
        .api(client)
        .delete(target.name(), &DeleteParams::background())
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(ClusterError::from_kube(e, target.describe())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn crd_kinds_cover_every_version() {
        let crd = Object {
            source: "c/crds/w.yaml".into(),
            data:
                json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                         "metadata": {"name": "widgets.example.com"},
                         "spec": {"group": "example.com", "names": {"kind": "Widget"},
                                  "versions": [{"name": "v1"}, {"name": "v2"}]}})
                .as_object()
                .cloned()
                .unwrap(),
        };
        let kinds: Vec<_> = crd_kinds(&[crd]).into_iter().collect();
        assert_eq!(
            kinds,
            [
                ("example.com/v1".to_string(), "Widget".to_string()),
                ("example.com/v2".to_string(), "Widget".to_string())
            ]
        );
    }
}
