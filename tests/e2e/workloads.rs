//! `--wait` on the workloads other than Deployments: StatefulSets and DaemonSets run by the real
//! controllers on kwok's nodes. Each test asserts what the cluster holds at the moment ketch
//! returns.

use k8s_openapi::api::apps::v1::{DaemonSet, StatefulSet};
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, ListParams};
use serde_json::Value;

use super::releases::{fails, ok};
use super::{TestNamespace, client, write_chart};

const STATEFUL_SET: &str = r#"apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ release.name }}-db
spec:
  replicas: 2
  serviceName: {{ release.name }}-db
  podManagementPolicy: Parallel
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {partition: {{ values.partition }}}
  selector:
    matchLabels: {app: '{{ release.name }}-db'}
  template:
    metadata:
      labels: {app: '{{ release.name }}-db'}
      annotations: {stamp: '{{ values.stamp }}'}
    spec:
{% if values.stuck %}
      nodeSelector: {no-such-node: "true"}
{% endif %}
      containers:
        - name: db
          image: registry.k8s.io/pause:3.10
"#;

const DAEMON_SET: &str = r#"apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{ release.name }}-agent
spec:
  selector:
    matchLabels: {app: '{{ release.name }}-agent'}
  template:
    metadata:
      labels: {app: '{{ release.name }}-agent'}
      annotations: {stamp: '{{ values.stamp }}'}
    spec:
      containers:
        - name: agent
          image: registry.k8s.io/pause:3.10
"#;

/// The StatefulSet as its controller reports it: every replica ready and on the latest revision.
async fn assert_stateful_set_rolled_out(api: &Api<StatefulSet>, name: &str) -> String {
    let s = api.get(name).await.unwrap();
    let status = s.status.expect("status");
    assert_eq!(
        status.observed_generation, s.metadata.generation,
        "{status:?}"
    );
    assert_eq!(
        (status.ready_replicas, status.updated_replicas),
        (Some(2), Some(2)),
        "{status:?}"
    );
    assert_eq!(
        status.current_revision, status.update_revision,
        "{status:?}"
    );
    status.update_revision.expect("a revision")
}

/// The DaemonSet as its controller reports it: an available, updated pod on every node.
async fn assert_daemon_set_rolled_out(api: &Api<DaemonSet>, name: &str, nodes: i32) {
    let d = api.get(name).await.unwrap();
    let status = d.status.expect("status");
    assert_eq!(
        status.observed_generation, d.metadata.generation,
        "{status:?}"
    );
    assert_eq!(status.desired_number_scheduled, nodes, "{status:?}");
    assert_eq!(status.updated_number_scheduled, Some(nodes), "{status:?}");
    assert_eq!(status.number_available, Some(nodes), "{status:?}");
}

#[tokio::test]
async fn wait_covers_stateful_sets_and_daemon_sets() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "workloads").await;
    let n = ns.name.as_str();
    let dir = tempfile::tempdir().unwrap();
    let chart = write_chart(
        dir.path(),
        "workloads",
        "stamp: one\nstuck: false\npartition: 0\n",
        &[
            ("statefulset.yaml", STATEFUL_SET),
            ("daemonset.yaml", DAEMON_SET),
        ],
    );
    let nodes: Api<Node> = Api::all(client.clone());
    let nodes = i32::try_from(
        nodes
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .len(),
    )
    .unwrap();
    let stateful_sets: Api<StatefulSet> = ns.api();
    let daemon_sets: Api<DaemonSet> = ns.api();

    // `install` or `upgrade` of release w with `flags`, waiting up to `timeout`.
    let deploy = |verb: &'static str, timeout: &'static str, flags: &[&'static str]| {
        let base = [
            verb,
            "w",
            chart.as_str(),
            "-n",
            n,
            "--wait",
            "--timeout",
            timeout,
        ];
        [&base[..], flags].concat()
    };
    ok(&deploy("install", "90s", &[]));
    let first = assert_stateful_set_rolled_out(&stateful_sets, "w-db").await;
    assert_daemon_set_rolled_out(&daemon_sets, "w-agent", nodes).await;

    // A new pod template: --wait returns once both have rolled it out.
    ok(&deploy("upgrade", "90s", &["--set", "stamp=two"]));
    let second = assert_stateful_set_rolled_out(&stateful_sets, "w-db").await;
    assert_ne!(first, second, "the StatefulSet was not rolled");
    assert_daemon_set_rolled_out(&daemon_sets, "w-agent", nodes).await;
    let status: Value = serde_json::from_slice(
        &ok(&["status", "w", "-n", n, "--show-resources", "-o", "json"]).stdout,
    )
    .unwrap();
    for resource in status["resources"].as_array().expect("resources") {
        assert_eq!(resource["ready"], true, "{resource}");
    }

    // A StatefulSet whose new pods can never be scheduled is not ready (the DaemonSet, unchanged,
    // still is).
    let stuck = ["--set", "stamp=two", "--set", "stuck=true"];
    let err = fails(&deploy("upgrade", "5s", &stuck));
    assert!(err.contains("timed out after 5s"), "{err}");
    assert!(err.contains("statefulset/w-db"), "{err}");
    assert!(!err.contains("daemonset/w-agent"), "{err}");

    // A canary: with a partition of 1 only the second replica takes the new template and the
    // revision never rolls over; --wait returns once that replica is ready.
    ok(&deploy(
        "upgrade",
        "90s",
        &["--set", "stamp=canary", "--set", "partition=1"],
    ));
    let status = stateful_sets.get("w-db").await.unwrap().status.unwrap();
    assert_eq!(
        (status.ready_replicas, status.updated_replicas),
        (Some(2), Some(1)),
        "{status:?}"
    );
    assert_ne!(
        status.current_revision, status.update_revision,
        "{status:?}"
    );
}
