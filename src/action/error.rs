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
    Render(Box<crate::error::Error>),
}

impl From<crate::error::Error> for ReleaseError {
    fn from(e: crate::error::Error) -> Self {
        ReleaseError::Render(Box::new(e))
    }
}
