//! What `helm template` (Helm v4.3.2) assumes without a cluster: its default
//! Kubernetes version and API versions, and its own build information, as
//! measured by rendering a probe chart with that Helm.

use std::rc::Rc;

use gotemplate::{Object, Value};

use super::objects::HelmKubeVersion;

/// Helm's default: its client-go's minor version, major 1.
pub const KUBE_VERSION: &str = "v1.37.0";

pub fn kube_version() -> HelmKubeVersion {
    HelmKubeVersion::parse(KUBE_VERSION).expect("a valid default version")
}

/// `.Capabilities.APIVersions` of `helm template`, in Helm's order.
pub const API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "lifecycle.k8s.io/v1alpha1",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1",
    "storagemigration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

/// `.Capabilities.HelmVersion`: Helm's `BuildInfo`.
pub fn helm_version() -> Value {
    Value::Object(Rc::new(BuildInfo))
}

const BUILD_INFO: &[(&str, &str)] = &[
    ("Version", "v4.3.2"),
    ("GitCommit", ""),
    ("GitTreeState", ""),
    ("GoVersion", "go1.26.8"),
    ("KubeClientVersion", "v1.37"),
];

struct BuildInfo;

impl Object for BuildInfo {
    fn type_name(&self) -> &str {
        "version.BuildInfo"
    }

    fn field(&self, name: &str) -> Option<Value> {
        BUILD_INFO
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| Value::from(*value))
    }

    /// Go prints the struct as `{v4.3.2   go1.26.8 v1.37}`.
    fn to_value(&self) -> Value {
        let fields: Vec<&str> = BUILD_INFO.iter().map(|(_, value)| *value).collect();
        Value::from(format!("{{{}}}", fields.join(" ")))
    }
}
