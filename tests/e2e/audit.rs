//! The API server's audit log (`KETCH_TEST_AUDIT_LOG`, written by the cluster of `tests/cluster/up`:
//! one JSON line per request at the `Metadata` level), read to see what ketch asked of the
//! cluster, as `bench/benchlib/releases.py` counts it. Tests run in parallel, so only ketch's
//! requests (User-Agent `ketch/…`) under the test's namespace are taken.

use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::PathBuf;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::Api;
use serde_json::Value;

use super::{TestNamespace, wait_for};

/// One request as the audit log has it.
#[derive(Debug, Clone)]
pub struct Request {
    pub verb: String,
    /// The path, without the query.
    pub path: String,
    /// The HTTP status of the answer.
    pub code: u64,
    /// Who made it: the authenticated user's name.
    pub user: String,
    /// The user it impersonated (`Impersonate-User`), if any.
    pub impersonated_user: Option<String>,
    /// The groups it impersonated (`Impersonate-Group`).
    pub impersonated_groups: Vec<String>,
}

impl Request {
    pub fn is_write(&self) -> bool {
        matches!(
            self.verb.as_str(),
            "create" | "update" | "patch" | "delete" | "deletecollection"
        )
    }

    /// A write to one of the release's objects that the API server carried out (not refused, as
    /// an apply that meets a conflict is), and not to the release's record Secrets or its Lease
    /// (the bench's rule: a Secret created through the collection is a new record, and deleting
    /// the collection prunes the history).
    pub fn is_object_write(&self) -> bool {
        let record = self.path.contains("/secrets/ketch.release.")
            || self.path.contains("/leases")
            || (matches!(self.verb.as_str(), "create" | "deletecollection")
                && self.path.ends_with("/secrets"));
        self.is_write() && self.code < 400 && !record
    }
}

impl std::fmt::Display for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({})", self.verb, self.path, self.code)
    }
}

/// A place in the audit log, to read the requests made after it.
pub struct AuditLog {
    path: PathBuf,
    offset: u64,
}

impl AuditLog {
    /// From here on.
    pub fn mark() -> AuditLog {
        let path = PathBuf::from(std::env::var_os("KETCH_TEST_AUDIT_LOG").unwrap_or_else(|| {
            panic!(
                "KETCH_TEST_AUDIT_LOG is not set: start the test cluster with `tests/cluster/up`, \
                 then `. target/cluster/env` (or run everything with `tests/run`)"
            )
        }));
        let offset = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("audit log {}: {e}", path.display()))
            .len();
        AuditLog { path, offset }
    }

    /// ketch's requests under `ns` since the mark, in the order the API server answered them.
    /// Called once ketch has exited: a request of the test's own, made now, marks the end, and
    /// the log is read until it shows up, so no request of ketch's is still to be written.
    pub async fn ketch_requests(&self, ns: &TestNamespace) -> Vec<Request> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let end = format!("audit-end-{nanos}");
        let configmaps: Api<ConfigMap> = ns.api();
        configmaps
            .get_opt(&end)
            .await
            .expect("the end-of-run request");
        let namespaced = format!("/namespaces/{}/", ns.name);
        let events = wait_for("the audit log to show the end-of-run request", || {
            let events = self.events();
            let end = end.clone();
            async move {
                let at = events
                    .iter()
                    .position(|e| text(e, "requestURI").ends_with(&format!("/configmaps/{end}")))?;
                Some(events[..at].to_vec())
            }
        })
        .await;
        events
            .iter()
            .filter(|e| text(e, "userAgent").starts_with("ketch/"))
            .filter(|e| text(e, "requestURI").contains(&namespaced))
            .map(|e| Request {
                verb: text(e, "verb").to_string(),
                path: text(e, "requestURI")
                    .split('?')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                code: e
                    .pointer("/responseStatus/code")
                    .and_then(Value::as_u64)
                    .unwrap_or_default(),
                user: e
                    .pointer("/user/username")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                impersonated_user: e
                    .pointer("/impersonatedUser/username")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                impersonated_groups: e
                    .pointer("/impersonatedUser/groups")
                    .and_then(Value::as_array)
                    .map(|groups| {
                        groups
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect()
    }

    fn events(&self) -> Vec<Value> {
        let mut file = std::fs::File::open(&self.path).expect("open the audit log");
        file.seek(SeekFrom::Start(self.offset)).unwrap();
        BufReader::new(file)
            .lines()
            .map_while(Result::ok)
            // The line being written may be incomplete: it is read on the next poll.
            .map_while(|line| serde_json::from_str(&line).ok())
            .collect()
    }
}

fn text<'a>(event: &'a Value, key: &str) -> &'a str {
    event.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The object writes among `requests`, as `VERB PATH`.
pub fn object_writes(requests: &[Request]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.is_object_write())
        .map(|r| format!("{} {}", r.verb, r.path))
        .collect()
}
