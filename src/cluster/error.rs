//! What can go wrong talking to a cluster, each with what to do about it.

use std::fmt;

/// One field another manager owns, from a server-side-apply 409.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldConflict {
    pub manager: String,
    pub field: String,
}

impl fmt::Display for FieldConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (owned by {:?})", self.field, self.manager)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "no kubeconfig: KUBECONFIG is not set and {default} does not exist; pass --kubeconfig FILE, set KUBECONFIG, or give the API server with --kube-apiserver URL"
    )]
    NoKubeconfig { default: String },
    #[error("kubeconfig {path}: {message}")]
    Kubeconfig { path: String, message: String },
    /// A connection flag (or its `KETCH_*` variable) that cannot be used.
    #[error("{flag}: {message}")]
    Flag { flag: &'static str, message: String },
    /// The kubeconfig user's exec credential plugin gave no credential.
    #[error("kubeconfig {path}: user {user:?}: exec credential plugin {command:?} {message}")]
    ExecPlugin {
        path: String,
        user: String,
        command: String,
        message: String,
    },
    #[error(
        "cannot reach the cluster at {url}: {message} (is it running? check --kubeconfig, --kube-context and --kube-apiserver)"
    )]
    Unreachable { url: String, message: String },
    #[error(
        "forbidden: {message} (the user ketch connects as, or impersonates with --kube-as-user, lacks RBAC permission; ask the cluster admin, or check with `kubectl auth can-i`)"
    )]
    Forbidden { message: String },
    #[error("namespace {namespace:?} does not exist; create it, or pass --create-namespace")]
    NamespaceMissing { namespace: String },
    #[error(
        "{object}: the cluster does not serve kind {kind} in {api_version}; is its CustomResourceDefinition installed? (a chart can ship it in crds/)"
    )]
    UnknownKind {
        object: String,
        api_version: String,
        kind: String,
    },
    #[error(
        "{object}: server-side apply conflicts with other field managers: {}; pass --force-conflicts to take these fields over",
        list(.conflicts)
    )]
    Conflict {
        object: String,
        conflicts: Vec<FieldConflict>,
    },
    #[error(
        "{object}: field {} cannot be changed in place ({message}); uninstall and install the release again, or give the object a new name",
        .fields.join(", ")
    )]
    Immutable {
        object: String,
        fields: Vec<String>,
        message: String,
    },
    #[error("{object}: the cluster rejected it: {message}")]
    Invalid { object: String, message: String },
    #[error("{what}: {message} (HTTP {code})")]
    Api {
        what: String,
        code: u16,
        message: String,
    },
    #[error("{what}: {message}")]
    Client { what: String, message: String },
}

fn list(conflicts: &[FieldConflict]) -> String {
    conflicts
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl ClusterError {
    /// Turns a kube error into one that says what was being done and what to do.
    pub fn from_kube(err: kube::Error, what: impl Into<String>) -> Self {
        let what = what.into();
        match err {
            kube::Error::Api(status) => from_status(&status, what),
            kube::Error::HyperError(e) => ClusterError::Unreachable {
                url: what,
                message: source_chain(&e),
            },
            kube::Error::Service(e) => ClusterError::Unreachable {
                url: what,
                message: source_chain(e.as_ref()),
            },
            other => ClusterError::Client {
                what,
                message: source_chain(&other),
            },
        }
    }

    /// The HTTP status of an API error, if it was one.
    pub fn code(&self) -> Option<u16> {
        match self {
            ClusterError::Api { code, .. } => Some(*code),
            ClusterError::Forbidden { .. } => Some(403),
            ClusterError::Conflict { .. } => Some(409),
            ClusterError::Immutable { .. } | ClusterError::Invalid { .. } => Some(422),
            ClusterError::NamespaceMissing { .. } => Some(404),
            _ => None,
        }
    }
}

fn source_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = inner.source();
    }
    message
}

fn from_status(status: &kube::core::Status, what: String) -> ClusterError {
    let details = status.details.as_ref();
    match status.code {
        403 => ClusterError::Forbidden {
            message: status.message.clone(),
        },
        404 if details.is_some_and(|d| d.kind == "namespaces") => ClusterError::NamespaceMissing {
            namespace: details.map(|d| d.name.clone()).unwrap_or_default(),
        },
        409 if status.reason == "Conflict" && has_manager_conflicts(status) => {
            ClusterError::Conflict {
                object: what,
                conflicts: field_conflicts(status),
            }
        }
        422 => {
            let causes = details.map(|d| d.causes.as_slice()).unwrap_or_default();
            let immutable: Vec<String> = causes
                .iter()
                .filter(|c| {
                    c.message.contains("immutable")
                        || c.reason == "FieldValueForbidden" && c.message.contains("updates to")
                })
                .map(|c| c.field.clone())
                .collect();
            if immutable.is_empty() && !status.message.contains("immutable") {
                ClusterError::Invalid {
                    object: what,
                    message: status.message.clone(),
                }
            } else {
                ClusterError::Immutable {
                    object: what,
                    fields: if immutable.is_empty() {
                        causes.iter().map(|c| c.field.clone()).collect()
                    } else {
                        immutable
                    },
                    message: status.message.clone(),
                }
            }
        }
        code => ClusterError::Api {
            what,
            code,
            message: status.message.clone(),
        },
    }
}

fn has_manager_conflicts(status: &kube::core::Status) -> bool {
    status
        .details
        .as_ref()
        .is_some_and(|d| d.causes.iter().any(|c| c.reason == "FieldManagerConflict"))
}

/// The fields and managers of a server-side-apply conflict. A cause reads
/// `conflict with "kubectl-edit" using apps/v1` with field `.spec.replicas`.
pub fn field_conflicts(status: &kube::core::Status) -> Vec<FieldConflict> {
    let Some(details) = &status.details else {
        return Vec::new();
    };
    details
        .causes
        .iter()
        .filter(|c| c.reason == "FieldManagerConflict")
        .map(|c| FieldConflict {
            manager: c
                .message
                .split('"')
                .nth(1)
                .unwrap_or(c.message.as_str())
                .to_string(),
            field: c.field.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::Status;
    use kube::core::response::{StatusCause, StatusDetails};

    fn status(code: u16, reason: &str, causes: Vec<StatusCause>) -> Status {
        Status {
            code,
            reason: reason.into(),
            message: "boom".into(),
            details: Some(StatusDetails {
                name: String::new(),
                group: String::new(),
                kind: String::new(),
                uid: String::new(),
                causes,
                retry_after_seconds: 0,
            }),
            ..Status::default()
        }
    }

    #[test]
    fn conflicts_name_field_and_manager() {
        let s = status(
            409,
            "Conflict",
            vec![StatusCause {
                reason: "FieldManagerConflict".into(),
                message: "conflict with \"kubectl-edit\" using apps/v1".into(),
                field: ".spec.replicas".into(),
            }],
        );
        let err = from_status(&s, "Deployment ns/web".into());
        assert_eq!(
            err.to_string(),
            "Deployment ns/web: server-side apply conflicts with other field managers: .spec.replicas (owned by \"kubectl-edit\"); pass --force-conflicts to take these fields over"
        );
    }

    #[test]
    fn immutable_names_the_field() {
        let s = status(
            422,
            "Invalid",
            vec![StatusCause {
                reason: "FieldValueInvalid".into(),
                message: "Invalid value: ...: field is immutable".into(),
                field: "spec.selector".into(),
            }],
        );
        let err = from_status(&s, "Deployment ns/web".into());
        assert!(
            matches!(&err, ClusterError::Immutable { fields, .. } if fields == &["spec.selector"])
        );
    }
}
