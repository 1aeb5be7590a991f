//! The test cluster's smoke tests: they exercise the cluster and the registry that
//! `tests/cluster/up` starts, not ketch (ketch never runs here, and the objects are applied under
//! the field manager `smoke-test`). When one of them fails, the cluster is broken and the failures
//! of ketch's own e2e tests say nothing about ketch; `tests/run` runs them first.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::json;

use super::{TestNamespace, client, wait_for};

/// The field manager of every apply here: not ketch's.
const MANAGER: &str = "smoke-test";

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
        .patch("web", &ssa(MANAGER).force(), &Patch::Apply(&manifest))
        .await
        .expect("server-side apply of a Deployment");
    let managers: Vec<_> = applied
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .filter_map(|m| m.manager.as_deref())
        .collect();
    assert!(managers.contains(&MANAGER), "managedFields: {managers:?}");

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
    jobs.patch("train", &ssa(MANAGER), &Patch::Apply(&manifest))
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
        .patch("nightly", &ssa(MANAGER), &Patch::Apply(&manifest))
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
        .patch("broken", &ssa(MANAGER), &Patch::Apply(&bad))
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
        .patch("settings", &ssa(MANAGER), &Patch::Apply(&cm("llama")))
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
                status.message.contains(MANAGER),
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
            &ssa(MANAGER),
            &Patch::Apply(&cm("settings", "llama")),
        )
        .await
        .expect("apply");

    let dry = configmaps
        .patch(
            "settings",
            &ssa(MANAGER).dry_run(),
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
            &ssa(MANAGER).dry_run(),
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
