//! Install order by kind: Helm's order, with CRDs and Namespaces first.
//! Objects are deleted in the reverse order.

const INSTALL_ORDER: &[&str] = &[
    "CustomResourceDefinition",
    "Namespace",
    "PriorityClass",
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

/// The rank of a kind in install order; unknown kinds (custom resources) come last.
pub fn install_rank(kind: &str) -> usize {
    INSTALL_ORDER
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(INSTALL_ORDER.len())
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
