//! Server-side apply of one object with field manager `ketch`.
//!
//! Conflicts: a field another *applier* (a managedFields entry with operation
//! `Apply`: a GitOps tool, `kubectl apply --server-side`) also owns is a real
//! conflict, reported per field and manager, taken over only with
//! `--force-conflicts`. A field whose other owner changed it with a plain
//! update (`kubectl edit`, `kubectl scale`, a merge patch) is drift from the
//! release: ketch takes it back, as Helm 3 and `kubectl apply` do, and says so.

use kube::Client;
use kube::api::{Patch, PatchParams};
use serde_json::Value;

use super::target::Target;
use crate::cluster::error::field_conflicts;
use crate::cluster::{ClusterError, FieldConflict};

pub const FIELD_MANAGER: &str = "ketch";

#[derive(Debug, Clone, Copy, Default)]
pub struct SsaOptions {
    pub force_conflicts: bool,
    pub dry_run: bool,
}

/// What an apply did.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The object as the server returned it.
    pub object: Value,
    /// Fields taken back from managers that had edited them imperatively.
    pub took_back: Vec<FieldConflict>,
}

/// Applies `target`; `live` (when already read) spares a GET on conflict.
pub async fn apply(
    client: &Client,
    target: &Target,
    live: Option<&Value>,
    options: SsaOptions,
) -> Result<Applied, ClusterError> {
    let api = target.api(client);
    let body = Value::Object(target.data().clone());
    let mut params = PatchParams::apply(FIELD_MANAGER);
    if options.force_conflicts {
        params = params.force();
    }
    if options.dry_run {
        params = params.dry_run();
    }
    let first = api
        .patch(target.name(), &params, &Patch::Apply(&body))
        .await;
    let status = match first {
        Ok(object) => {
            return Ok(Applied {
                object: serde_json::to_value(object).unwrap_or(Value::Null),
                took_back: Vec::new(),
            });
        }
        Err(kube::Error::Api(status)) if status.code == 409 && !options.force_conflicts => status,
        Err(e) => return Err(ClusterError::from_kube(e, target.describe())),
    };
    let conflicts = field_conflicts(&status);
    if conflicts.is_empty() {
        return Err(ClusterError::from_kube(
            kube::Error::Api(status),
            target.describe(),
        ));
    }
    let fetched;
    let live = match live {
        Some(live) => live,
        None => {
            fetched = api
                .get(target.name())
                .await
                .map(|o| serde_json::to_value(o).unwrap_or(Value::Null))
                .map_err(|e| ClusterError::from_kube(e, target.describe()))?;
            &fetched
        }
    };
    if conflicts.iter().any(|c| is_applier(live, &c.manager)) {
        return Err(ClusterError::Conflict {
            object: target.describe(),
            conflicts,
        });
    }
    let object = api
        .patch(target.name(), &params.force(), &Patch::Apply(&body))
        .await
        .map_err(|e| ClusterError::from_kube(e, target.describe()))?;
    Ok(Applied {
        object: serde_json::to_value(object).unwrap_or(Value::Null),
        took_back: conflicts,
    })
}

/// Whether `manager` owns fields of `live` through server-side apply.
fn is_applier(live: &Value, manager: &str) -> bool {
    let Some(entries) = live
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
    else {
        // Unknown: treat as a real conflict rather than take fields silently.
        return true;
    };
    let entries: Vec<&Value> = entries
        .iter()
        .filter(|e| e.get("manager").and_then(Value::as_str) == Some(manager))
        .collect();
    entries.is_empty()
        || entries
            .iter()
            .any(|e| e.get("operation").and_then(Value::as_str) == Some("Apply"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn imperative_editors_are_not_appliers() {
        let live = json!({"metadata": {"managedFields": [
            {"manager": "ketch", "operation": "Apply"},
            {"manager": "kubectl-edit", "operation": "Update"},
            {"manager": "argocd", "operation": "Apply"}
        ]}});
        assert!(!is_applier(&live, "kubectl-edit"));
        assert!(is_applier(&live, "argocd"));
        assert!(is_applier(&live, "unknown"));
    }
}
