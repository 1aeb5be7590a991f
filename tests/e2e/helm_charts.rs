//! Real public Helm charts, unchanged, installed by ketch and by Helm side by side: after the
//! install, an upgrade that changes a value and a rollback, the objects ketch leaves on the
//! cluster are the objects Helm leaves (each tool in a namespace of its own, release names and
//! namespaces normalised, server-set fields and each tool's ownership marks left out).
//!
//! The charts come from the corpus `tests/helm-corpus/fetch` downloads through the Go module
//! proxy (never committed); `KETCH_HELM_CORPUS` names its `charts/` tree (tests/run sets it).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use kube::Client;
use kube::api::{Api, DynamicObject};
use kube::discovery::{Discovery, Scope};
use serde_json::Value;

use super::releases::{ketch, ok, text};
use super::{TestNamespace, client};

fn corpus_chart(path: &str) -> String {
    let root = std::env::var_os("KETCH_HELM_CORPUS").unwrap_or_else(|| {
        panic!(
            "KETCH_HELM_CORPUS is not set: these tests install real Helm charts from the corpus. \
             Run `export KETCH_HELM_CORPUS=$(tests/helm-corpus/fetch)` (tests/run does it)"
        )
    });
    let chart = PathBuf::from(root).join(path);
    assert!(
        chart.join("Chart.yaml").is_file(),
        "{} is not a chart: is the corpus complete?",
        chart.display()
    );
    chart.to_string_lossy().into_owned()
}

pub(super) fn helm(args: &[&str]) -> String {
    let helm = std::env::var_os("KETCH_TEST_HELM").expect(
        "KETCH_TEST_HELM is not set: build Helm with `export KETCH_TEST_HELM=$(tests/tools/helm)`",
    );
    let out = Command::new(helm).args(args).output().expect("run helm");
    assert!(out.status.success(), "helm {args:?} failed: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One tool's release: its name and namespace, and how to run each step with that tool.
struct Side<'a> {
    tool: &'static str,
    release: String,
    ns: &'a TestNamespace,
}

impl Side<'_> {
    fn run(&self, verb: &str, chart: Option<&str>, extra: &[&str]) {
        let mut args = vec![verb, self.release.as_str()];
        args.extend(chart);
        args.extend(["-n", self.ns.name.as_str()]);
        args.extend(extra);
        args.extend(["--wait", "--timeout", "120s"]);
        if self.tool == "helm" {
            helm(&args);
        } else {
            ok(&args);
        }
    }

    fn manifest(&self) -> String {
        let args = [
            "get",
            "manifest",
            self.release.as_str(),
            "-n",
            self.ns.name.as_str(),
        ];
        if self.tool == "helm" {
            helm(&args)
        } else {
            let out = ketch(&args);
            assert!(out.status.success(), "{}", text(&out));
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
    }

    /// Every object of the release's manifest as the cluster holds it, normalised, by
    /// `kind/name` (names with the release and namespace replaced).
    async fn live(&self, client: &Client, discovery: &Discovery) -> BTreeMap<String, Value> {
        let docs = ketch::yaml::parse_documents(&self.manifest(), "manifest").expect("manifest");
        let mut objects = BTreeMap::new();
        for doc in docs.into_iter().filter(|d| d.is_object()) {
            let api_version = doc["apiVersion"].as_str().expect("apiVersion");
            let kind = doc["kind"].as_str().expect("kind");
            let name = doc["metadata"]["name"].as_str().expect("name");
            let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
            let gvk = kube::api::GroupVersionKind::gvk(group, version, kind);
            let (resource, caps) = discovery
                .resolve_gvk(&gvk)
                .unwrap_or_else(|| panic!("the cluster does not serve {api_version} {kind}"));
            let api: Api<DynamicObject> = match caps.scope {
                Scope::Namespaced => Api::namespaced_with(client.clone(), &self.ns.name, &resource),
                Scope::Cluster => Api::all_with(client.clone(), &resource),
            };
            let live = api.get(name).await.unwrap_or_else(|e| {
                panic!("{}: {kind}/{name} is not on the cluster: {e}", self.tool)
            });
            let live = self.normalise(serde_json::to_value(live).expect("object as JSON"));
            let key = format!("{kind}/{}", live["metadata"]["name"].as_str().unwrap_or(""));
            objects.insert(key, live);
        }
        objects
    }

    fn normalise(&self, mut object: Value) -> Value {
        if let Some(meta) = object["metadata"].as_object_mut() {
            for key in [
                "uid",
                "resourceVersion",
                "creationTimestamp",
                "generation",
                "managedFields",
                "namespace",
            ] {
                meta.remove(key);
            }
            if let Some(labels) = meta.get_mut("labels").and_then(Value::as_object_mut) {
                labels.remove("app.kubernetes.io/managed-by");
            }
            if let Some(annotations) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
                annotations.retain(|k, _| {
                    !k.starts_with("meta.helm.sh/")
                        && !k.starts_with("ketch.dev/")
                        && k != "deployment.kubernetes.io/revision"
                });
                if annotations.is_empty() {
                    meta.remove("annotations");
                }
            }
        }
        if let Some(object) = object.as_object_mut() {
            object.remove("status");
        }
        // Addresses the cluster assigns.
        let is_service = object["kind"] == "Service";
        if let Some(spec) = object["spec"].as_object_mut()
            && is_service
        {
            spec.remove("clusterIP");
            spec.remove("clusterIPs");
        }
        let text = serde_json::to_string(&object)
            .expect("JSON")
            .replace(&self.ns.name, "NAMESPACE")
            .replace(&self.release, "RELEASE");
        serde_json::from_str(&text).expect("JSON")
    }
}

async fn assert_same_objects(
    step: &str,
    client: &Client,
    discovery: &Discovery,
    helm: &Side<'_>,
    ketch: &Side<'_>,
) {
    let by_helm = helm.live(client, discovery).await;
    let by_ketch = ketch.live(client, discovery).await;
    assert!(!by_helm.is_empty(), "{step}: Helm's release has no objects");
    assert_eq!(
        by_helm.keys().collect::<Vec<_>>(),
        by_ketch.keys().collect::<Vec<_>>(),
        "{step}: the releases hold different objects"
    );
    for (key, object) in &by_helm {
        assert_eq!(
            object, &by_ketch[key],
            "{step}: {key} differs between Helm's release and ketch's"
        );
    }
}

/// Installs `chart` with both tools, upgrades both with `upgrade`, rolls both back to revision 1,
/// comparing what is on the cluster after each step.
async fn same_as_helm(test: &str, chart: &str, install: &[&str], upgrade: &[&str]) {
    let client = client().await;
    let discovery = Discovery::new(client.clone())
        .run()
        .await
        .expect("discovery");
    let (helm_ns, ketch_ns) = (
        TestNamespace::new(&client, &format!("{test}-h")).await,
        TestNamespace::new(&client, &format!("{test}-k")).await,
    );
    let helm_side = Side {
        tool: "helm",
        release: format!("{test}-by-helm"),
        ns: &helm_ns,
    };
    let ketch_side = Side {
        tool: "ketch",
        release: format!("{test}-by-ketch"),
        ns: &ketch_ns,
    };
    let chart = corpus_chart(chart);
    for side in [&helm_side, &ketch_side] {
        side.run("install", Some(&chart), install);
    }
    assert_same_objects("install", &client, &discovery, &helm_side, &ketch_side).await;

    let upgraded: Vec<&str> = install.iter().chain(upgrade).copied().collect();
    for side in [&helm_side, &ketch_side] {
        side.run("upgrade", Some(&chart), &upgraded);
    }
    assert_same_objects("upgrade", &client, &discovery, &helm_side, &ketch_side).await;

    for side in [&helm_side, &ketch_side] {
        side.run("rollback", None, &["1"]);
    }
    assert_same_objects("rollback", &client, &discovery, &helm_side, &ketch_side).await;
}

#[tokio::test]
async fn prometheus_pushgateway_as_helm_installs_it() {
    same_as_helm(
        "pushgw",
        "prometheus-community/prometheus-pushgateway",
        &[],
        &["--set", "replicaCount=2"],
    )
    .await;
}

#[tokio::test]
async fn kube_state_metrics_as_helm_installs_it() {
    same_as_helm(
        "ksm",
        "prometheus-community/kube-state-metrics",
        &[],
        &["--set", "replicas=2"],
    )
    .await;
}

#[tokio::test]
async fn bitnami_redis_as_helm_installs_it() {
    // Standalone without volumes (the test cluster has no storage provisioner); a fixed password,
    // so neither tool generates one.
    same_as_helm(
        "redis",
        "bitnami/redis",
        &[
            "--set",
            "architecture=standalone,master.persistence.enabled=false,auth.password=e2e-secret",
        ],
        &["--set", "master.podLabels.tier=cache"],
    )
    .await;
}
