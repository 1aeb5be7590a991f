//! What the target cluster offers: its Kubernetes version and the API versions
//! it serves. Each engine shows it to templates in its own way.

use std::collections::BTreeSet;

/// The Kubernetes version assumed when no cluster is asked (the test cluster's).
pub const DEFAULT_KUBE_VERSION: &str = "v1.36.0";

/// Group/versions and group/version/kinds every Kubernetes of the default version serves.
const BUILTIN_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "apiextensions.k8s.io/v1",
    "apiregistration.k8s.io/v1",
    "apps/v1",
    "authentication.k8s.io/v1",
    "authorization.k8s.io/v1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "certificates.k8s.io/v1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "events.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1",
    "networking.k8s.io/v1",
    "node.k8s.io/v1",
    "policy/v1",
    "rbac.authorization.k8s.io/v1",
    "resource.k8s.io/v1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1",
    "v1/ConfigMap",
    "v1/Namespace",
    "v1/PersistentVolume",
    "v1/PersistentVolumeClaim",
    "v1/Pod",
    "v1/Secret",
    "v1/Service",
    "v1/ServiceAccount",
    "apps/v1/DaemonSet",
    "apps/v1/Deployment",
    "apps/v1/StatefulSet",
    "autoscaling/v2/HorizontalPodAutoscaler",
    "batch/v1/CronJob",
    "batch/v1/Job",
    "networking.k8s.io/v1/Ingress",
    "networking.k8s.io/v1/IngressClass",
    "networking.k8s.io/v1/NetworkPolicy",
    "policy/v1/PodDisruptionBudget",
    "rbac.authorization.k8s.io/v1/ClusterRole",
    "rbac.authorization.k8s.io/v1/ClusterRoleBinding",
    "rbac.authorization.k8s.io/v1/Role",
    "rbac.authorization.k8s.io/v1/RoleBinding",
    "apiextensions.k8s.io/v1/CustomResourceDefinition",
    "scheduling.k8s.io/v1/PriorityClass",
    "storage.k8s.io/v1/StorageClass",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeVersion {
    /// As given, with a leading `v` (`v1.35.0`).
    pub version: String,
    pub major: u64,
    pub minor: u64,
}

impl KubeVersion {
    /// Parses `1.35`, `v1.35.2` or `v1.35.2-gke.1`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bare = text.trim().trim_start_matches('v');
        let mut parts = bare.splitn(3, '.');
        let major = parts.next().and_then(|p| p.parse().ok());
        let minor = parts
            .next()
            .map(|p| p.trim_end_matches(|c: char| !c.is_ascii_digit()))
            .and_then(|p| p.parse().ok());
        match (major, minor) {
            (Some(major), Some(minor)) => {
                let patch = parts.next().unwrap_or("0");
                Ok(Self {
                    version: format!("v{major}.{minor}.{patch}"),
                    major,
                    minor,
                })
            }
            _ => Err(format!(
                "kube version {text:?} is not of the form v1.35.0 (major.minor[.patch])"
            )),
        }
    }
}

/// The cluster's capabilities: a version and the API versions it serves.
#[derive(Debug, Clone)]
pub struct Capabilities {
    pub kube_version: KubeVersion,
    pub api_versions: BTreeSet<String>,
    /// Set when no cluster was asked: what the user gave instead. Helm charts
    /// then see Helm's own offline defaults with these on top, as
    /// `helm template` shows them.
    pub offline: Option<OfflineCapabilities>,
}

/// `--kube-version` and `--api-versions` as given, for a render without a cluster.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OfflineCapabilities {
    pub kube_version: Option<String>,
    pub api_versions: Vec<String>,
}

impl Default for Capabilities {
    fn default() -> Self {
        Self {
            kube_version: KubeVersion::parse(DEFAULT_KUBE_VERSION).expect("valid default"),
            api_versions: BUILTIN_API_VERSIONS.iter().map(|s| s.to_string()).collect(),
            offline: None,
        }
    }
}

impl Capabilities {
    /// Adds API versions on top of the built-in set (`--api-versions`).
    pub fn with_api_versions<I: IntoIterator<Item = String>>(mut self, extra: I) -> Self {
        self.api_versions.extend(extra);
        self
    }

    pub fn has(&self, api: &str) -> bool {
        self.api_versions.contains(api)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kube_versions() {
        assert_eq!(KubeVersion::parse("1.30").unwrap().version, "v1.30.0");
        let v = KubeVersion::parse("v1.29.3-gke.1").unwrap();
        assert_eq!((v.major, v.minor), (1, 29));
        assert!(KubeVersion::parse("latest").is_err());
    }
}
