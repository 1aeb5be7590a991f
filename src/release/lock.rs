//! The lock a release holds while an operation runs: a
//! `coordination.k8s.io/v1` Lease named `ketch.release.NAME`, renewed while
//! the operation runs and expiring on its own when the client dies, so a
//! killed `ketch` never leaves a release stuck.
//!
//! Every renewal and the final delete are conditional on the Lease's
//! resourceVersion, so a client whose lease was taken over (it stalled past
//! the expiry, or someone replaced the Lease) learns it at its next renewal,
//! never overwrites or deletes the new holder's Lease, and its operation is
//! stopped ([`ReleaseLock::lost`]) before it writes anything more. A client
//! that cannot reach the API server gives up just before its lease would
//! expire, since another client may take it over from then on.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::Client;
use kube::api::{Api, DeleteParams, ObjectMeta, Patch, PatchParams, PostParams, Preconditions};
use serde_json::json;
use tokio::sync::watch;

use crate::cluster::ClusterError;

/// How long a lease lives without renewal unless `--lock-duration` says otherwise.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct LockOptions {
    /// The lease expires this long after its last renewal.
    pub duration: Duration,
    /// What is running, for the message another client sees (`upgrade`).
    pub operation: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "release {release} is locked: {operation} in progress since {since}, held by {holder}; \
         the lock expires {expires} unless its holder renews it (then run the command again)"
    )]
    Held {
        release: String,
        operation: String,
        since: String,
        holder: String,
        expires: String,
    },
    #[error(
        "release {release}: lost its lock (Lease {lease}): {reason}; stopped before writing \
         anything more (the revision left pending is marked failed by the next operation)"
    )]
    Lost {
        release: String,
        lease: String,
        reason: String,
    },
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

/// A held lock; [`ReleaseLock::release`] gives it back. Dropping it stops the
/// renewals, so the lease then expires on its own.
pub struct ReleaseLock {
    api: Api<Lease>,
    name: String,
    release: String,
    /// The Lease's resourceVersion as this client last wrote it.
    version: Arc<Mutex<String>>,
    /// Why the lease was lost, once it is.
    lost: watch::Receiver<Option<String>>,
    renewer: tokio::task::JoinHandle<()>,
}

fn lease_name(release: &str) -> String {
    format!("ketch.release.{release}")
}

fn holder_identity(operation: &str) -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into());
    format!("{user}@{host} pid {} ({operation})", std::process::id())
}

impl ReleaseLock {
    /// Takes the lock (one request when it is free), or says who holds it.
    pub async fn acquire(
        client: &Client,
        namespace: &str,
        release: &str,
        options: &LockOptions,
    ) -> Result<Self, LockError> {
        let api: Api<Lease> = Api::namespaced(client.clone(), namespace);
        let name = lease_name(release);
        let now = Timestamp::now();
        let seconds = i32::try_from(options.duration.as_secs().max(1)).unwrap_or(i32::MAX);
        let holder = holder_identity(&options.operation);
        let lease = Lease {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(namespace.to_string()),
                annotations: Some(
                    [("ketch.dev/operation".to_string(), options.operation.clone())].into(),
                ),
                ..ObjectMeta::default()
            },
            spec: Some(LeaseSpec {
                holder_identity: Some(holder.clone()),
                lease_duration_seconds: Some(seconds),
                acquire_time: Some(MicroTime(now)),
                renew_time: Some(MicroTime(now)),
                ..LeaseSpec::default()
            }),
        };
        let what = || format!("release {release}: taking its lock (Lease {name})");
        let created = match api.create(&PostParams::default(), &lease).await {
            Ok(created) => created,
            Err(kube::Error::Api(s)) if s.code == 409 => {
                let current = api
                    .get(&name)
                    .await
                    .map_err(|e| ClusterError::from_kube(e, what()))?;
                if let Some(held) = still_held(release, &current, now) {
                    return Err(held);
                }
                // Expired: take it over, guarded by resourceVersion so only one client wins.
                let mut takeover = lease.clone();
                takeover.metadata.resource_version = current.metadata.resource_version.clone();
                match api.replace(&name, &PostParams::default(), &takeover).await {
                    Ok(taken) => taken,
                    Err(kube::Error::Api(s)) if s.code == 409 => {
                        let current = api
                            .get(&name)
                            .await
                            .map_err(|e| ClusterError::from_kube(e, what()))?;
                        return Err(still_held(release, &current, Timestamp::now())
                            .unwrap_or_else(|| LockError::Held {
                                release: release.into(),
                                operation: "another operation".into(),
                                since: "just now".into(),
                                holder: "another client".into(),
                                expires: "soon".into(),
                            }));
                    }
                    Err(e) => return Err(ClusterError::from_kube(e, what()).into()),
                }
            }
            Err(e) => return Err(ClusterError::from_kube(e, what()).into()),
        };
        let version = Arc::new(Mutex::new(
            created.metadata.resource_version.unwrap_or_default(),
        ));
        let (lost_tx, lost) = watch::channel(None);
        let renewal = Renewal {
            api: api.clone(),
            name: name.clone(),
            holder,
            version: version.clone(),
        };
        let renewer = tokio::spawn(renewal.run(options.duration, lost_tx));
        Ok(ReleaseLock {
            api,
            name,
            release: release.into(),
            version,
            lost,
            renewer,
        })
    }

    /// Resolves once the lease is lost (taken over, deleted, or not renewed
    /// in time), with the error the operation should stop with.
    pub async fn lost(&self) -> LockError {
        let mut lost = self.lost.clone();
        let reason = match lost.wait_for(Option::is_some).await {
            Ok(reason) => reason.clone().unwrap_or_default(),
            // The renewer never ends without saying why; wait for ever if it did.
            Err(_) => std::future::pending().await,
        };
        LockError::Lost {
            release: self.release.clone(),
            lease: self.name.clone(),
            reason,
        }
    }

    /// Gives the lock back: deletes the Lease unless another client holds it now.
    pub async fn release(self) {
        self.renewer.abort();
        if self.lost.borrow().is_some() {
            return;
        }
        let version = self.version.lock().map(|v| v.clone()).unwrap_or_default();
        let params = DeleteParams {
            preconditions: Some(Preconditions {
                resource_version: Some(version),
                uid: None,
            }),
            ..DeleteParams::default()
        };
        match self.api.delete(&self.name, &params).await {
            Ok(_) => {}
            // Changed since this client last renewed it: someone else's now.
            Err(kube::Error::Api(s)) if s.code == 409 => {}
            Err(e) => tracing::warn!(
                "could not delete Lease {}: {e}; it expires on its own",
                self.name
            ),
        }
    }
}

impl Drop for ReleaseLock {
    fn drop(&mut self) {
        self.renewer.abort();
    }
}

/// `Some(error)` while the lease is held and unexpired.
fn still_held(release: &str, lease: &Lease, now: Timestamp) -> Option<LockError> {
    let spec = lease.spec.as_ref()?;
    let holder = spec.holder_identity.clone().filter(|h| !h.is_empty())?;
    let renewed = spec.renew_time.as_ref().or(spec.acquire_time.as_ref())?.0;
    let seconds = i64::from(spec.lease_duration_seconds.unwrap_or(0));
    let expires = renewed
        .checked_add(SignedDuration::from_secs(seconds))
        .ok()?;
    if expires <= now {
        return None;
    }
    let since = spec
        .acquire_time
        .as_ref()
        .map_or_else(|| "an unknown time".to_string(), |t| t.0.to_string());
    let operation = lease
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("ketch.dev/operation"))
        .cloned()
        .unwrap_or_else(|| "an operation".into());
    Some(LockError::Held {
        release: release.into(),
        operation,
        since,
        holder,
        expires: format!(
            "at {} (in {}s)",
            expires
                .round(k8s_openapi::jiff::Unit::Second)
                .unwrap_or(expires),
            expires.duration_since(now).as_secs()
        ),
    })
}

/// Renews a held lease, each time only if it is unchanged since the last renewal.
struct Renewal {
    api: Api<Lease>,
    name: String,
    holder: String,
    version: Arc<Mutex<String>>,
}

/// Why one renewal did not go through.
enum RenewError {
    /// Another client holds the lease, or it is gone.
    Lost(String),
    /// The API server could not be asked; the lease may still be ours.
    Unreachable(kube::Error),
}

impl Renewal {
    /// Renews every third of `duration` until the lease is lost, then says why.
    async fn run(self, duration: Duration, lost: watch::Sender<Option<String>>) {
        let every = (duration / 3).max(Duration::from_millis(500));
        let mut renewed = Instant::now();
        loop {
            tokio::time::sleep(every).await;
            match self.renew_once().await {
                Ok(()) => renewed = Instant::now(),
                Err(RenewError::Lost(reason)) => {
                    let _ = lost.send(Some(reason));
                    return;
                }
                Err(RenewError::Unreachable(e)) => {
                    tracing::warn!("could not renew Lease {}: {e}", self.name);
                    // Another client may take the lease once it expires: stop before that.
                    if renewed.elapsed() + every >= duration {
                        let _ = lost.send(Some(format!(
                            "it could not be renewed for {}s and is about to expire ({e})",
                            renewed.elapsed().as_secs()
                        )));
                        return;
                    }
                }
            }
        }
    }

    async fn renew_once(&self) -> Result<(), RenewError> {
        let version = self.version.lock().map(|v| v.clone()).unwrap_or_default();
        // A resourceVersion in a patch is a precondition: 409 if the Lease changed.
        let patch = json!({
            "metadata": {"resourceVersion": version},
            "spec": {"renewTime": MicroTime(Timestamp::now())},
        });
        match self
            .api
            .patch(&self.name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(lease) => {
                self.remember(&lease);
                Ok(())
            }
            Err(kube::Error::Api(s)) if s.code == 404 => {
                Err(RenewError::Lost("its Lease was deleted".into()))
            }
            Err(kube::Error::Api(s)) if s.code == 409 => {
                // Changed by someone: still ours only if we are still its holder.
                let current = self
                    .api
                    .get_opt(&self.name)
                    .await
                    .map_err(RenewError::Unreachable)?
                    .ok_or_else(|| RenewError::Lost("its Lease was deleted".into()))?;
                let holder = current
                    .spec
                    .as_ref()
                    .and_then(|s| s.holder_identity.clone())
                    .unwrap_or_default();
                if holder != self.holder {
                    return Err(RenewError::Lost(format!(
                        "it is held by {} now",
                        if holder.is_empty() { "nobody" } else { &holder }
                    )));
                }
                // Still ours: the next tick renews it (two ticks are within its duration).
                self.remember(&current);
                Ok(())
            }
            Err(e) => Err(RenewError::Unreachable(e)),
        }
    }

    fn remember(&self, lease: &Lease) {
        if let (Some(v), Ok(mut version)) =
            (lease.metadata.resource_version.clone(), self.version.lock())
        {
            *version = v;
        }
    }
}
