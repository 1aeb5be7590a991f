//! What a release operation reports beyond the errors of the modules it uses.

use crate::apply::ApplyError;
use crate::cluster::ClusterError;
use crate::hooks::HookError;
use crate::release::Status;
use crate::release::lock::LockError;
use crate::release::store::StoreError;
use crate::wait::WaitError;

#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Hook(#[from] HookError),
    #[error(transparent)]
    Wait(#[from] WaitError),
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error("release {name} not found in namespace {namespace}{hint}")]
    NotFound {
        name: String,
        namespace: String,
        hint: &'static str,
    },
    #[error(
        "release {name} already exists in namespace {namespace} (revision {revision}, {status}); upgrade it with `ketch upgrade {name} CHART`, or uninstall it first"
    )]
    Exists {
        name: String,
        namespace: String,
        revision: u64,
        status: Status,
    },
    #[error(
        "{} object(s) exist that release {release} does not own:\n{}\npass --take-ownership to adopt them into the release",
        .objects.len(),
        .objects.iter().map(|o| format!("  {o}")).collect::<Vec<_>>().join("\n")
    )]
    NotOwned {
        release: String,
        objects: Vec<String>,
    },
    #[error(
        "release {name} in namespace {namespace} is Helm's: its newest revision ({revision}, {status}) was recorded by Helm; take it over with `ketch adopt {name} -n {namespace}` (nothing is deleted or recreated), or keep using helm"
    )]
    HelmOwned {
        name: String,
        namespace: String,
        revision: u64,
        status: Status,
    },
    #[error(
        "release {name} is already ketch's (its newest revision, {revision}, is ketch's record); nothing to adopt"
    )]
    NotHelms { name: String, revision: u64 },
    #[error(
        "release {name} revision {revision} is {status} in Helm's records: Helm is operating on it, or a helm command was killed; wait for it, or settle it with `helm rollback {name} -n {namespace}`, then adopt (nothing changed)"
    )]
    HelmPending {
        name: String,
        namespace: String,
        revision: u64,
        status: Status,
    },
    #[error(
        "release {name} has no deployed revision to take over or hand back (see `ketch history {name}`)"
    )]
    NothingDeployed { name: String },
    #[error(
        "release {name}: {} object(s) differ from Helm's revision {revision} (changed or deleted by hand since):\n{}\nbring them back with `helm upgrade`, or pass --allow-drift to adopt anyway (ketch's revision sets them back to Helm's manifest); nothing changed",
        .objects.len(),
        .objects.iter().map(|o| format!("  {o}")).collect::<Vec<_>>().join("\n")
    )]
    Drifted {
        name: String,
        revision: u64,
        objects: Vec<String>,
    },
    #[error("release {name} has no revision {revision} (revisions: {known})")]
    NoRevision {
        name: String,
        revision: u64,
        known: String,
    },
    #[error("{operation} of release {name} failed: {error}")]
    Failed {
        operation: &'static str,
        name: String,
        error: Box<ReleaseError>,
    },
    #[error("{operation} of release {name} failed: {error}\n--atomic: {recovery}")]
    Atomic {
        operation: &'static str,
        name: String,
        error: Box<ReleaseError>,
        recovery: String,
    },
    #[error(
        "interrupted: the release's lock was given back; a revision this operation left pending is marked failed by the next operation"
    )]
    Interrupted,
    /// Rendering or values errors, boxed to keep the enum small.
    #[error(transparent)]
    Render(Box<crate::render::RenderError>),
    /// A request that cannot be carried out as given (a release name Kubernetes would refuse).
    #[error("{0}")]
    Invalid(String),
}

impl<E: Into<crate::render::RenderError>> From<E> for ReleaseError {
    fn from(e: E) -> Self {
        ReleaseError::Render(Box::new(e.into()))
    }
}
