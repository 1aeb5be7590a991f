//! The lock a release holds while an operation runs: a
//! `coordination.k8s.io/v1` Lease named `ketch.release.NAME`, renewed while
//! the operation runs and expiring on its own when the client dies, so a
//! killed `ketch` never leaves a release stuck.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::Client;
use kube::api::{Api, DeleteParams, ObjectMeta, Patch, PatchParams, PostParams};
use serde_json::json;

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
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

/// A held lock; [`ReleaseLock::release`] gives it back. Dropping it stops the
/// renewals, so the lease then expires on its own.
pub struct ReleaseLock {
    api: Api<Lease>,
    name: String,
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
                holder_identity: Some(holder),
                lease_duration_seconds: Some(seconds),
                acquire_time: Some(MicroTime(now)),
                renew_time: Some(MicroTime(now)),
                ..LeaseSpec::default()
            }),
        };
        let what = || format!("release {release}: taking its lock (Lease {name})");
        match api.create(&PostParams::default(), &lease).await {
            Ok(_) => {}
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
                    Ok(_) => {}
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
        }
        let renewer = tokio::spawn(renew(api.clone(), name.clone(), options.duration));
        Ok(ReleaseLock { api, name, renewer })
    }

    /// Gives the lock back (deletes the Lease).
    pub async fn release(self) {
        self.renewer.abort();
        if let Err(e) = self.api.delete(&self.name, &DeleteParams::default()).await {
            tracing::warn!(
                "could not delete Lease {}: {e}; it expires on its own",
                self.name
            );
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

async fn renew(api: Api<Lease>, name: String, duration: Duration) {
    let every = (duration / 3).max(Duration::from_millis(500));
    loop {
        tokio::time::sleep(every).await;
        let patch = json!({"spec": {"renewTime": MicroTime(Timestamp::now())}});
        if let Err(e) = api
            .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            tracing::warn!("could not renew Lease {name}: {e}");
        }
    }
}
