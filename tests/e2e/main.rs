//! End-to-end tests against the real test cluster of `tests/cluster` (kube-apiserver, etcd,
//! controller-manager, scheduler, kwok nodes) and its OCI registry. `smoke` checks the cluster
//! and registry themselves; every other module runs ketch against them.
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
//! log), `KETCH_TEST_AUTH_REGISTRY{,_USER,_PASSWORD}` (a registry that needs a login) and
//! `KETCH_TEST_AUDIT_LOG` (the API server's audit log, read by `audit`) come from the same env
//! file.

mod adopt;
mod audit;
mod auth_registry;
mod client_apply;
mod connect;
mod credentials;
mod deps;
mod helm_charts;
mod ml_stack;
mod pull;
mod references;
mod registry;
mod releases;
mod smoke;
mod training;
mod workloads;
// Shared with the integration tests: ketch run with its own config and cache homes.
#[allow(dead_code)]
#[path = "../it/support.rs"]
mod support;

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, PostParams};
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

/// Writes a ketch chart `name` under `dir` with `values` and `templates` (file name, text);
/// returns its path.
fn write_chart(
    dir: &std::path::Path,
    name: &str,
    values: &str,
    templates: &[(&str, &str)],
) -> String {
    let chart = dir.join(name);
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\nannotations:\n  ketch.dev/engine: minijinja\n"),
    )
    .unwrap();
    std::fs::write(chart.join("values.yaml"), values).unwrap();
    for (file, text) in templates {
        std::fs::write(chart.join("templates").join(file), text).unwrap();
    }
    chart.display().to_string()
}
