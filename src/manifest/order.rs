//! Install order by kind: Helm's order, with CRDs and Namespaces first.
//! Objects are deleted in the reverse order.

/// Helm's `InstallOrder` (`pkg/release/v1/util/kind_sorter.go`): what
/// `helm template` sorts Helm charts' documents by.
pub const HELM_INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// The kinds ketch installs before everything else, in this order; the rest
/// follow in Helm's order.
const FIRST: &[&str] = &["CustomResourceDefinition", "Namespace"];

/// The rank of a kind in install order; unknown kinds (custom resources) come last.
pub fn install_rank(kind: &str) -> usize {
    if let Some(rank) = FIRST.iter().position(|k| *k == kind) {
        return rank;
    }
    HELM_INSTALL_ORDER
        .iter()
        .filter(|k| !FIRST.contains(k))
        .position(|k| *k == kind)
        .map_or(HELM_INSTALL_ORDER.len(), |rank| FIRST.len() + rank)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crds_and_namespaces_first_custom_resources_last() {
        assert!(install_rank("CustomResourceDefinition") < install_rank("Namespace"));
        assert!(install_rank("Namespace") < install_rank("ServiceAccount"));
        assert!(install_rank("ServiceAccount") < install_rank("Secret"));
        assert!(install_rank("Secret") < install_rank("ConfigMap"));
        assert!(install_rank("ConfigMap") < install_rank("Service"));
        assert!(install_rank("Service") < install_rank("Deployment"));
        assert!(install_rank("Deployment") < install_rank("Job"));
        assert!(install_rank("Job") < install_rank("CronJob"));
        assert!(install_rank("CronJob") < install_rank("Ingress"));
        assert!(install_rank("Ingress") < install_rank("ServiceMonitor"));
    }
}
