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

/// Whether a client that last renewed its lease `since` ago, and tries again every `every`,
/// must stop now: by its next try the lease may have expired and be another client's.
fn must_give_up(since: Duration, every: Duration, duration: Duration) -> bool {
    since + every >= duration
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
                    if must_give_up(renewed.elapsed(), every, duration) {
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

#[cfg(test)]
mod tests {
    //! Against an in-memory stand-in for the API server's Lease endpoints (create, get, replace,
    //! merge patch and delete, with the resourceVersion preconditions the real one enforces), so
    //! that each request can be seen, the Lease changed behind the client's back and the server
    //! made unreachable. tests/e2e/releases.rs takes the same paths on the real cluster.

    use super::*;
    use http::{Method, Request, Response, StatusCode};
    use kube::client::Body;
    use serde_json::Value;

    /// Waits for the lock to be lost; the bound only keeps a broken renewer from hanging the test.
    async fn lost(lock: &ReleaseLock) -> String {
        tokio::time::timeout(Duration::from_secs(60), lock.lost())
            .await
            .expect("the lock was never reported lost")
            .to_string()
    }

    #[derive(Default)]
    struct LeaseServer {
        lease: Option<Value>,
        version: u64,
        /// Every request as `METHOD STATUS`, or `METHOD unreachable`.
        log: Vec<String>,
        /// Requests fail as a refused connection does.
        unreachable: bool,
    }

    type Shared = Arc<Mutex<LeaseServer>>;

    fn reply(code: StatusCode, body: &Value) -> Response<Body> {
        Response::builder()
            .status(code)
            .header("content-type", "application/json")
            .body(Body::from(serde_json::to_vec(body).unwrap()))
            .unwrap()
    }

    fn failure(code: StatusCode, reason: &str) -> Response<Body> {
        let status = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                            "message": reason, "reason": reason, "code": code.as_u16()});
        reply(code, &status)
    }

    impl LeaseServer {
        /// Stores `lease` as a new resourceVersion of it.
        fn store(&mut self, mut lease: Value) -> Value {
            self.version += 1;
            lease["metadata"]["resourceVersion"] = json!(self.version.to_string());
            self.lease = Some(lease.clone());
            lease
        }

        /// A precondition holds when it is absent or names the current resourceVersion.
        fn holds(&self, precondition: Option<&Value>) -> bool {
            let current = self
                .lease
                .as_ref()
                .and_then(|l| l.pointer("/metadata/resourceVersion"));
            precondition.is_none_or(|wanted| Some(wanted) == current)
        }

        fn answer(&mut self, method: &Method, named: bool, body: &[u8]) -> Response<Body> {
            let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let Some(current) = self.lease.clone() else {
                return if *method == Method::POST && !named {
                    reply(StatusCode::CREATED, &self.store(body))
                } else {
                    failure(StatusCode::NOT_FOUND, "NotFound")
                };
            };
            match (method.as_str(), named) {
                ("POST", false) => failure(StatusCode::CONFLICT, "AlreadyExists"),
                ("GET", true) => reply(StatusCode::OK, &current),
                ("PUT" | "PATCH", true) => {
                    if !self.holds(body.pointer("/metadata/resourceVersion")) {
                        return failure(StatusCode::CONFLICT, "Conflict");
                    }
                    let mut lease = current;
                    if *method == Method::PUT {
                        lease = body;
                    } else {
                        json_patch::merge(&mut lease, &body);
                    }
                    reply(StatusCode::OK, &self.store(lease))
                }
                ("DELETE", true) => {
                    if !self.holds(body.pointer("/preconditions/resourceVersion")) {
                        return failure(StatusCode::CONFLICT, "Conflict");
                    }
                    self.lease = None;
                    reply(StatusCode::OK, &current)
                }
                _ => failure(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed"),
            }
        }

        /// Changes the stored Lease as another client would.
        fn edit(&mut self, change: impl FnOnce(&mut Value)) {
            let mut lease = self.lease.clone().expect("a lease");
            change(&mut lease);
            self.store(lease);
        }

        fn holder(&self) -> Option<String> {
            let lease = self.lease.as_ref()?;
            lease
                .pointer("/spec/holderIdentity")
                .and_then(Value::as_str)
                .map(String::from)
        }

        fn requests(&self, method: &str) -> Vec<&str> {
            self.log
                .iter()
                .filter(|r| r.split(' ').next() == Some(method))
                .map(String::as_str)
                .collect()
        }
    }

    fn client(server: &Shared) -> Client {
        let server = Arc::clone(server);
        let service = tower::service_fn(move |request: Request<Body>| {
            let server = Arc::clone(&server);
            async move {
                let (parts, body) = request.into_parts();
                let body = body.collect_bytes().await.unwrap_or_default();
                let mut server = server.lock().unwrap();
                if server.unreachable {
                    server.log.push(format!("{} unreachable", parts.method));
                    return Err(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
                }
                let named = !parts.uri.path().ends_with("/leases");
                let response = server.answer(&parts.method, named, &body);
                let line = format!("{} {}", parts.method, response.status().as_u16());
                server.log.push(line);
                Ok(response)
            }
        });
        Client::new(service, "default")
    }

    fn options(duration: Duration) -> LockOptions {
        LockOptions {
            duration,
            operation: "upgrade".into(),
        }
    }

    async fn acquire(server: &Shared, duration: Duration) -> Result<ReleaseLock, LockError> {
        ReleaseLock::acquire(&client(server), "ml", "web", &options(duration)).await
    }

    /// Renewed every 500 ms.
    const SHORT: Duration = Duration::from_millis(1500);

    #[tokio::test]
    async fn a_free_release_is_locked_refused_to_others_and_given_back() {
        let server = Shared::default();
        let lock = acquire(&server, DEFAULT_DURATION).await.unwrap();
        let holder = server.lock().unwrap().holder().unwrap();
        assert!(
            holder.ends_with(&format!("pid {} (upgrade)", std::process::id())),
            "{holder}"
        );

        let refused = acquire(&server, DEFAULT_DURATION).await.err().unwrap();
        let message = refused.to_string();
        assert!(matches!(refused, LockError::Held { .. }), "{message}");
        assert!(
            message.contains("upgrade in progress") && message.contains(&holder),
            "{message}"
        );

        lock.release().await;
        let server = server.lock().unwrap();
        assert!(server.lease.is_none(), "the lease was not given back");
        assert_eq!(server.requests("DELETE"), ["DELETE 200"]);
    }

    #[tokio::test]
    async fn an_expired_lease_is_taken_over() {
        let server = Shared::default();
        let ten_minutes_ago = Timestamp::now() - SignedDuration::from_mins(10);
        server.lock().unwrap().store(json!({
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "ketch.release.web", "namespace": "ml"},
            "spec": {"holderIdentity": "gone@elsewhere pid 1 (install)",
                     "leaseDurationSeconds": 60,
                     "acquireTime": MicroTime(ten_minutes_ago),
                     "renewTime": MicroTime(ten_minutes_ago)},
        }));
        let lock = acquire(&server, DEFAULT_DURATION).await.unwrap();
        let holder = server.lock().unwrap().holder().unwrap();
        assert!(holder.ends_with("(upgrade)"), "{holder}");
        assert_eq!(
            server.lock().unwrap().requests("PUT"),
            ["PUT 200"],
            "taken over by a replace guarded by its resourceVersion"
        );
        lock.release().await;
    }

    #[tokio::test]
    async fn a_deleted_lease_stops_the_operation() {
        let server = Shared::default();
        let lock = acquire(&server, SHORT).await.unwrap();
        server.lock().unwrap().lease = None;

        let message = lost(&lock).await;
        assert!(
            message.contains("lost its lock") && message.contains("its Lease was deleted"),
            "{message}"
        );
        lock.release().await;
        let server = server.lock().unwrap();
        assert!(server.requests("DELETE").is_empty(), "{:?}", server.log);
        assert!(server.lease.is_none(), "a lost lease was written again");
    }

    #[tokio::test]
    async fn a_lease_taken_over_is_left_to_its_new_holder() {
        let server = Shared::default();
        let lock = acquire(&server, SHORT).await.unwrap();
        server.lock().unwrap().edit(|lease| {
            lease["spec"]["holderIdentity"] = json!("intruder@elsewhere pid 2 (install)");
        });
        let taken = server.lock().unwrap().version;

        let message = lost(&lock).await;
        assert!(
            message.contains("held by intruder@elsewhere pid 2 (install) now"),
            "{message}"
        );
        lock.release().await;
        let server = server.lock().unwrap();
        assert_eq!(server.version, taken, "the new holder's lease was written");
        assert!(server.requests("DELETE").is_empty(), "{:?}", server.log);
    }

    #[tokio::test]
    async fn a_lease_changed_by_someone_else_but_still_held_is_kept() {
        let server = Shared::default();
        let lock = acquire(&server, SHORT).await.unwrap();
        server.lock().unwrap().edit(|lease| {
            lease["metadata"]["labels"] = json!({"audited": "yes"});
        });
        // The next renewal meets a conflict, finds itself still the holder, and renews after.
        let renewed_after_conflict = async {
            loop {
                let log = server.lock().unwrap().requests("PATCH").join(",");
                if log.contains("PATCH 409,PATCH 200") {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(60), renewed_after_conflict)
            .await
            .expect("no renewal after the conflict");
        assert!(lock.lost.borrow().is_none(), "{:?}", lock.lost.borrow());

        lock.release().await;
        let server = server.lock().unwrap();
        assert!(server.lease.is_none(), "{:?}", server.log);
    }

    #[tokio::test]
    async fn an_unreachable_api_server_makes_the_client_give_the_lock_up() {
        let server = Shared::default();
        let lock = acquire(&server, SHORT).await.unwrap();
        let last_written = {
            let mut server = server.lock().unwrap();
            server.unreachable = true;
            server.version
        };

        let message = lost(&lock).await;
        assert!(
            message.contains("could not be renewed") && message.contains("about to expire"),
            "{message}"
        );
        // Given up, the client sends nothing more, not even the delete.
        let tries = server.lock().unwrap().log.len();
        lock.release().await;
        let server = server.lock().unwrap();
        assert_eq!(server.log.len(), tries, "{:?}", server.log);
        assert!(server.requests("PATCH").contains(&"PATCH unreachable"));
        assert_eq!(server.version, last_written);
    }

    #[tokio::test]
    async fn an_unreachable_api_server_is_reported_when_taking_the_lock() {
        let server = Shared::default();
        server.lock().unwrap().unreachable = true;
        let message = acquire(&server, DEFAULT_DURATION)
            .await
            .err()
            .unwrap()
            .to_string();
        assert!(
            message.contains("cannot reach the cluster")
                && message.contains("Lease ketch.release.web"),
            "{message}"
        );
    }

    #[test]
    fn renewals_give_up_at_the_last_try_before_the_lease_expires() {
        let s = Duration::from_secs;
        // A 60 s lease renewed every 20 s: after 20 s without renewal one try is left (at 40 s,
        // before the expiry at 60 s); after 40 s none is.
        assert!(!must_give_up(s(20), s(20), s(60)));
        assert!(must_give_up(s(40), s(20), s(60)));
        assert!(must_give_up(s(45), s(20), s(60)));
        assert!(!must_give_up(Duration::ZERO, s(20), s(60)));
    }

    #[test]
    fn a_lease_is_held_until_its_renewal_expires() {
        let now = Timestamp::now();
        let lease = |holder: &str, renewed_secs_ago: i64| Lease {
            metadata: ObjectMeta::default(),
            spec: Some(LeaseSpec {
                holder_identity: Some(holder.into()),
                lease_duration_seconds: Some(60),
                renew_time: Some(MicroTime(now - SignedDuration::from_secs(renewed_secs_ago))),
                ..LeaseSpec::default()
            }),
        };
        let held = still_held("web", &lease("ada@h pid 7 (install)", 30), now);
        let message = held.expect("held").to_string();
        assert!(message.contains("ada@h pid 7 (install)") && message.contains("(in 30s)"));
        assert!(still_held("web", &lease("ada@h pid 7 (install)", 61), now).is_none());
        assert!(still_held("web", &lease("", 0), now).is_none(), "no holder");
    }
}
