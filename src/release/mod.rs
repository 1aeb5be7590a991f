//! Releases: the record of each revision (chart, values, manifest, notes,
//! status, timestamps, apply method), its storage in the cluster and the lock
//! held while an operation runs.
//!
//! A revision is stored in the release's namespace as Secrets of type
//! `ketch.dev/release.v1` (see [`store`]). The payload (gzip + JSON) never
//! changes once written; the status, timestamps and description live in the
//! head Secret's labels and annotations, so a status change is a small
//! metadata patch and `list`/`history` read metadata only.

pub mod codec;
mod error;
pub mod helm;
pub mod lock;
pub mod store;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use crate::apply::ApplyMethod;
use crate::chart::{ChartSource, Metadata};
use crate::manifest::Object;

pub use lock::{LockOptions, ReleaseLock};
pub use store::ReleaseStore;

/// Where a revision stands, with Helm's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Unknown,
    Deployed,
    Uninstalled,
    Superseded,
    Failed,
    Uninstalling,
    PendingInstall,
    PendingUpgrade,
    PendingRollback,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unknown => "unknown",
            Status::Deployed => "deployed",
            Status::Uninstalled => "uninstalled",
            Status::Superseded => "superseded",
            Status::Failed => "failed",
            Status::Uninstalling => "uninstalling",
            Status::PendingInstall => "pending-install",
            Status::PendingUpgrade => "pending-upgrade",
            Status::PendingRollback => "pending-rollback",
        }
    }

    /// An operation started and has not finished (or was killed).
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            Status::PendingInstall
                | Status::PendingUpgrade
                | Status::PendingRollback
                | Status::Uninstalling
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        Ok(match s {
            "deployed" => Status::Deployed,
            "uninstalled" => Status::Uninstalled,
            "superseded" => Status::Superseded,
            "failed" => Status::Failed,
            "uninstalling" => Status::Uninstalling,
            "pending-install" => Status::PendingInstall,
            "pending-upgrade" => Status::PendingUpgrade,
            "pending-rollback" => Status::PendingRollback,
            _ => Status::Unknown,
        })
    }
}

/// The mutable part of a revision: status, timestamps (RFC 3339) and a description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Info {
    pub status: Status,
    pub first_deployed: String,
    pub last_deployed: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<String>,
    #[serde(default)]
    pub description: String,
}

impl Info {
    /// A revision whose status and times were not recorded.
    pub fn unknown() -> Info {
        Info {
            status: Status::Unknown,
            first_deployed: String::new(),
            last_deployed: String::new(),
            deleted: None,
            description: String::new(),
        }
    }
}

/// A manifest object as stored: where it was rendered from and the object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredObject {
    pub source: String,
    pub object: Map<String, Value>,
}

impl From<&Object> for StoredObject {
    fn from(o: &Object) -> Self {
        StoredObject {
            source: o.source.clone(),
            object: o.data.clone(),
        }
    }
}

impl From<&StoredObject> for Object {
    fn from(o: &StoredObject) -> Self {
        Object {
            source: o.source.clone(),
            data: o.object.clone(),
        }
    }
}

/// One revision of a release, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    pub name: String,
    pub namespace: String,
    pub revision: u64,
    /// Chart.yaml of the chart that was deployed.
    pub chart: Metadata,
    /// Values the user supplied (`-f`, `--set`, ...).
    pub config: Map<String, Value>,
    /// The merged values templates saw.
    pub values: Map<String, Value>,
    /// CRDs from the charts' `crds/` folders.
    #[serde(default)]
    pub crds: Vec<StoredObject>,
    /// Rendered objects in install order, hooks excluded.
    pub manifest: Vec<StoredObject>,
    /// Hook objects (`ketch.dev/hook`), run around operations, never pruned.
    #[serde(default)]
    pub hooks: Vec<StoredObject>,
    #[serde(default)]
    pub notes: Option<String>,
    pub apply_method: ApplyMethod,
    /// Where the chart came from when it was taken by reference (repository, registry, URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ChartSource>,
    /// Status and timestamps; stored in the Secret's metadata, not the payload.
    #[serde(skip)]
    pub info: Option<Info>,
}

impl Release {
    pub fn status(&self) -> Status {
        self.info.as_ref().map_or(Status::Unknown, |i| i.status)
    }

    pub fn objects(&self) -> Vec<Object> {
        self.manifest.iter().map(Object::from).collect()
    }

    pub fn crd_objects(&self) -> Vec<Object> {
        self.crds.iter().map(Object::from).collect()
    }

    pub fn hook_objects(&self) -> Vec<Object> {
        self.hooks.iter().map(Object::from).collect()
    }

    /// The manifest as multi-document YAML with `# Source:` headers.
    pub fn manifest_yaml(&self) -> Result<String, crate::yaml::YamlError> {
        let mut out = String::new();
        for object in &self.manifest {
            crate::manifest::write_document(&mut out, &Object::from(object))?;
        }
        Ok(out)
    }

    /// `name-version` of the chart, as `list` and `history` show it.
    pub fn chart_ref(&self) -> String {
        format!("{}-{}", self.chart.name, self.chart.version)
    }
}

/// A revision as `list` and `history` see it: metadata only, no payload.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub name: String,
    pub namespace: String,
    pub revision: u64,
    pub chart: String,
    pub app_version: String,
    pub apply_method: String,
    /// Whose record this is: ketch's, or Helm's (a release Helm installed).
    pub recorded_by: Recorder,
    /// `REFERENCE VERSION (sha256:...)` of a chart taken by reference ([`ChartSource::describe`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(flatten)]
    pub info: Info,
}

/// The tool that wrote a revision's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Recorder {
    #[default]
    Ketch,
    Helm,
}

impl fmt::Display for Recorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Recorder::Ketch => "ketch",
            Recorder::Helm => "helm",
        })
    }
}

impl Summary {
    /// The summary of a revision Helm recorded.
    pub fn of_helm(release: &Release) -> Summary {
        Summary {
            name: release.name.clone(),
            namespace: release.namespace.clone(),
            revision: release.revision,
            chart: release.chart_ref(),
            app_version: release.chart.app_version.clone().unwrap_or_default(),
            apply_method: release.apply_method.to_string(),
            recorded_by: Recorder::Helm,
            source: None,
            info: release.info.clone().unwrap_or_else(Info::unknown),
        }
    }
}

/// Now, as RFC 3339 in UTC.
pub fn now() -> String {
    k8s_openapi::jiff::Timestamp::now()
        .round(k8s_openapi::jiff::Unit::Second)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// A release name must fit in labels and object names: a DNS-1123 label of
/// at most 53 characters, as Helm requires.
pub fn validate_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 53
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "release name {name:?} is invalid: use at most 53 lower-case letters, digits and '-', starting and ending with a letter or digit"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in [
            Status::Deployed,
            Status::PendingUpgrade,
            Status::Failed,
            Status::Uninstalled,
        ] {
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
        }
    }

    #[test]
    fn names_are_dns_labels() {
        assert!(validate_name("iris-api").is_ok());
        assert!(validate_name("Iris").is_err());
        assert!(validate_name(&"a".repeat(54)).is_err());
        assert!(validate_name("-x").is_err());
    }
}
