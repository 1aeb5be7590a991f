//! End-to-end tests against the real test cluster of `tests/cluster` (kube-apiserver, etcd,
//! controller-manager, scheduler, kwok nodes) and its OCI registry.
//!
//! Run with `tests/run`, or by hand:
//!
//! ```sh
//! tests/cluster/up && . target/cluster/env && cargo test --features e2e --test e2e
//! tests/cluster/down
//! ```
//!
//! `KUBECONFIG` must name the cluster's kubeconfig and `KETCH_TEST_REGISTRY` the registry's
//! `host:port`. Every test works in a namespace of its own and bounds every wait.
//! `KETCH_TEST_HELM` names the Helm binary (`tests/tools/helm` builds it and prints its path)
//! for the interoperability tests in `registry`. `KETCH_TEST_REGISTRY_LOG` (the registry's access
//! log) and `KETCH_TEST_AUTH_REGISTRY{,_USER,_PASSWORD}` (a registry that needs a login) come
//! from the same env file.

mod auth_registry;
mod client_apply;
mod deps;
mod helm_charts;
mod ml_stack;
mod pull;
mod registry;
mod releases;
// Shared with the integration tests: ketch run with its own config and cache homes.
#[allow(dead_code)]
#[path = "../it/support.rs"]
mod support;

use std::future::Future;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::json;

/// Upper bound for any single wait on the cluster.
const WAIT: Duration = Duration::from_secs(120);

fn install_crypto_provider() {
    // Several tests run in one process: only the first install succeeds, which is fine.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

async fn client() -> Client {
    install_crypto_provider();
    let path = std::env::var_os("KUBECONFIG").unwrap_or_else(|| {
        panic!(
            "KUBECONFIG is not set: the e2e tests need the test cluster. Start it with \
             `tests/cluster/up`, then `. target/cluster/env` (or run everything with `tests/run`)"
        )
    });
    let kubeconfig = Kubeconfig::read_from(&path)
        .unwrap_or_else(|e| panic!("cannot read KUBECONFIG={}: {e}", path.to_string_lossy()));
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("kubeconfig is not usable");
    Client::try_from(config).expect("cannot build a kube client")
}

/// Polls `check` every 250 ms until it yields `Some`, failing the test after [`WAIT`].
async fn wait_for<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let poll = async {
        loop {
            if let Some(v) = check().await {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    tokio::time::timeout(WAIT, poll)
        .await
        .unwrap_or_else(|_| panic!("timed out after {WAIT:?} waiting for {what}"))
}

/// Waits until `api` no longer holds `name`.
async fn wait_gone<K>(api: &Api<K>, name: &str)
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    wait_for(&format!("{name} to go"), || async move {
        api.get_opt(name).await.ok()?.is_none().then_some(())
    })
    .await;
}

/// A namespace of the test's own. It is left in place for inspection: `tests/cluster/up` starts
/// every run with an empty cluster.
struct TestNamespace {
    client: Client,
    name: String,
}

impl TestNamespace {
    async fn new(client: &Client, test: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("e2e-{test}-{:x}", nanos ^ std::process::id());
        let api: Api<Namespace> = Api::all(client.clone());
        let ns: Namespace = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"ketch.dev/e2e": "true"}}
        }))
        .unwrap();
        api.create(&PostParams::default(), &ns)
            .await
            .expect("create namespace");
        TestNamespace {
            client: client.clone(),
            name,
        }
    }

    fn api<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        <K as kube::Resource>::DynamicType: Default,
    {
        Api::namespaced(self.client.clone(), &self.name)
    }
}

fn ssa(manager: &str) -> PatchParams {
    PatchParams::apply(manager)
}

#[tokio::test]
async fn api_server_reports_a_real_version_and_kwok_nodes() {
    let client = client().await;
    let version = client.apiserver_version().await.expect("GET /version");
    assert_eq!(version.major, "1", "{version:?}");
    assert!(version.git_version.starts_with("v1."), "{version:?}");
    assert!(
        !version.git_version.contains("v0.0.0"),
        "version ldflags missing: {version:?}"
    );

    let nodes: Api<k8s_openapi::api::core::v1::Node> = Api::all(client);
    let nodes = nodes
        .list(&ListParams::default())
        .await
        .expect("list nodes");
    assert!(!nodes.items.is_empty(), "the cluster has no nodes");
    for node in &nodes.items {
        let status = node.status.as_ref().expect("node status");
        let ready = status
            .conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == "Ready" && c.status == "True");
        assert!(ready, "node {:?} is not Ready", node.metadata.name);
        let gpus = status
            .allocatable
            .as_ref()
            .and_then(|a| a.get("nvidia.com/gpu"));
        assert!(
            gpus.is_some(),
            "node {:?} has no nvidia.com/gpu",
            node.metadata.name
        );
    }
}

#[tokio::test]
async fn server_side_applied_deployment_gets_ready_pods() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "deploy").await;
    let deployments: Api<Deployment> = ns.api();
    let manifest = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{
                    "name": "web", "image": "registry.k8s.io/pause:3.10",
                    "resources": {"requests": {"cpu": "100m", "memory": "64Mi", "nvidia.com/gpu": "1"},
                                  "limits": {"nvidia.com/gpu": "1"}},
                    "readinessProbe": {"httpGet": {"path": "/", "port": 8080}}
                }]}
            }
        }
    });
    let applied = deployments
        .patch("web", &ssa("ketch").force(), &Patch::Apply(&manifest))
        .await
        .expect("server-side apply of a Deployment");
    let managers: Vec<_> = applied
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .filter_map(|m| m.manager.as_deref())
        .collect();
    assert!(managers.contains(&"ketch"), "managedFields: {managers:?}");

    wait_for("2 ready replicas of deployment web", || {
        let deployments = deployments.clone();
        async move {
            let d = deployments.get("web").await.ok()?;
            let s = d.status?;
            (s.ready_replicas == Some(2) && s.updated_replicas == Some(2)).then_some(())
        }
    })
    .await;

    let pods: Api<Pod> = ns.api();
    let pods = pods
        .list(&ListParams::default().labels("app=web"))
        .await
        .expect("list pods");
    assert_eq!(pods.items.len(), 2);
    for pod in &pods.items {
        let spec = pod.spec.as_ref().unwrap();
        assert!(
            spec.node_name.as_deref().is_some_and(|n| !n.is_empty()),
            "pod not scheduled"
        );
        let status = pod.status.as_ref().unwrap();
        assert_eq!(status.phase.as_deref(), Some("Running"));
        assert!(
            status
                .conditions
                .iter()
                .flatten()
                .any(|c| c.type_ == "Ready" && c.status == "True"),
            "pod {:?} not Ready",
            pod.metadata.name
        );
    }
}

#[tokio::test]
async fn job_completes() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "job").await;
    let jobs: Api<Job> = ns.api();
    let manifest = json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "train"},
        "spec": {
            "completions": 2, "parallelism": 2, "backoffLimit": 0,
            "template": {"spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "train", "image": "busybox:1.36", "command": ["true"]}]
            }}
        }
    });
    jobs.patch("train", &ssa("ketch"), &Patch::Apply(&manifest))
        .await
        .expect("apply Job");
    wait_for("job train to complete", || {
        let jobs = jobs.clone();
        async move {
            let job = jobs.get("train").await.ok()?;
            let status = job.status?;
            let complete = status
                .conditions
                .iter()
                .flatten()
                .any(|c| c.type_ == "Complete" && c.status == "True");
            (complete && status.succeeded == Some(2)).then_some(())
        }
    })
    .await;
}

#[tokio::test]
async fn cronjob_is_accepted() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "cron").await;
    let cronjobs: Api<CronJob> = ns.api();
    let manifest = json!({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "nightly"},
        "spec": {
            "schedule": "0 3 * * *", "timeZone": "Etc/UTC", "concurrencyPolicy": "Forbid",
            "jobTemplate": {"spec": {"template": {"spec": {
                "restartPolicy": "OnFailure",
                "containers": [{"name": "train", "image": "busybox:1.36"}]
            }}}}
        }
    });
    cronjobs
        .patch("nightly", &ssa("ketch"), &Patch::Apply(&manifest))
        .await
        .expect("apply CronJob");
    let got = cronjobs.get("nightly").await.expect("get CronJob");
    let spec = got.spec;
    assert_eq!(spec.schedule, "0 3 * * *");
    assert_eq!(spec.time_zone.as_deref(), Some("Etc/UTC"));

    // Validation is real: an invalid schedule is rejected with 422.
    let mut bad = manifest.clone();
    bad["metadata"]["name"] = json!("broken");
    bad["spec"]["schedule"] = json!("not a schedule");
    match cronjobs
        .patch("broken", &ssa("ketch"), &Patch::Apply(&bad))
        .await
    {
        Err(kube::Error::Api(status)) => assert_eq!(status.code, 422, "{status:?}"),
        other => panic!("an invalid CronJob schedule was not rejected: {other:?}"),
    }
}

#[tokio::test]
async fn conflicting_field_manager_gets_409() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "conflict").await;
    let configmaps: Api<ConfigMap> = ns.api();
    let cm = |value: &str| {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"},
               "data": {"model": value}})
    };
    configmaps
        .patch("settings", &ssa("ketch"), &Patch::Apply(&cm("llama")))
        .await
        .expect("first apply");

    match configmaps
        .patch(
            "settings",
            &ssa("someone-else"),
            &Patch::Apply(&cm("mistral")),
        )
        .await
    {
        Err(kube::Error::Api(status)) => {
            assert_eq!(status.code, 409, "{status:?}");
            assert_eq!(status.reason, "Conflict", "{status:?}");
            assert!(
                status.message.contains("ketch"),
                "conflict does not name the owner: {status:?}"
            );
        }
        other => panic!("a conflicting apply by a second manager did not fail with 409: {other:?}"),
    }
    let unchanged = configmaps.get("settings").await.unwrap();
    assert_eq!(unchanged.data.unwrap()["model"], "llama");

    // Forcing takes the field over.
    let forced = configmaps
        .patch(
            "settings",
            &ssa("someone-else").force(),
            &Patch::Apply(&cm("mistral")),
        )
        .await
        .expect("forced apply");
    assert_eq!(forced.data.unwrap()["model"], "mistral");
}

#[tokio::test]
async fn server_dry_run_changes_nothing() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "dryrun").await;
    let configmaps: Api<ConfigMap> = ns.api();
    let cm = |name: &str, value: &str| {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
               "data": {"model": value}})
    };
    let before = configmaps
        .patch(
            "settings",
            &ssa("ketch"),
            &Patch::Apply(&cm("settings", "llama")),
        )
        .await
        .expect("apply");

    let dry = configmaps
        .patch(
            "settings",
            &ssa("ketch").dry_run(),
            &Patch::Apply(&cm("settings", "mistral")),
        )
        .await
        .expect("dry-run apply");
    assert_eq!(
        dry.data.unwrap()["model"],
        "mistral",
        "dry run did not compute the change"
    );

    let after = configmaps.get("settings").await.unwrap();
    assert_eq!(
        after.data.unwrap()["model"],
        "llama",
        "dry run changed the object"
    );
    assert_eq!(
        after.metadata.resource_version,
        before.metadata.resource_version
    );

    // A dry-run create leaves nothing behind either.
    configmaps
        .patch(
            "ghost",
            &ssa("ketch").dry_run(),
            &Patch::Apply(&cm("ghost", "x")),
        )
        .await
        .expect("dry-run create");
    assert!(
        configmaps.get_opt("ghost").await.unwrap().is_none(),
        "dry-run created an object"
    );
}

#[test]
fn oci_registry_answers_v2() {
    let registry = std::env::var("KETCH_TEST_REGISTRY").unwrap_or_else(|_| {
        panic!(
            "KETCH_TEST_REGISTRY is not set: start the test cluster with `tests/cluster/up`, \
             then `. target/cluster/env` (or run everything with `tests/run`)"
        )
    });
    let addr = registry
        .to_socket_addrs()
        .unwrap_or_else(|e| panic!("KETCH_TEST_REGISTRY={registry}: {e}"))
        .next()
        .expect("no address");
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET /v2/ HTTP/1.1\r\nHost: {registry}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read response");
    let status_line = response.lines().next().unwrap_or_default();
    assert!(
        status_line.starts_with("HTTP/1.1 200"),
        "GET /v2/ answered {status_line:?}"
    );
    assert!(
        response
            .to_ascii_lowercase()
            .contains("docker-distribution-api-version: registry/2.0"),
        "not an OCI distribution registry: {response}"
    );
}
