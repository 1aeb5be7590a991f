//! Switching from Helm in place: Helm (built from its module, `KETCH_TEST_HELM`) installs and
//! upgrades releases; ketch reads their history, adopts them without deleting or recreating an
//! object or restarting a pod, rolls back to a Helm revision, and hands a release back to Helm
//! with `release export`, after which `helm upgrade` continues. Asserted on what the cluster
//! holds: uids, ReplicaSets, labels, annotations, managed fields and the record Secrets.

use std::collections::BTreeMap;
use std::path::Path;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::discovery::{ApiResource, Discovery};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};

use super::helm_charts::helm;
use super::releases::{fails, ok};
use super::{TestNamespace, client};

fn hooks_chart() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/charts/releases/helm-hooks")
        .display()
        .to_string()
}

/// The words of `line`, with `CHART` and `NS` replaced.
fn words(line: &str, chart: &str, ns: &str) -> Vec<String> {
    line.split_whitespace()
        .map(|w| match w {
            "CHART" => chart.to_string(),
            "NS" => ns.to_string(),
            w => w.to_string(),
        })
        .collect()
}

/// Runs `tool` (`helm` or `ketch`) with the words of `line`; `ketch`'s standard output.
fn run(tool: &str, line: &str, chart: &str, ns: &str) -> String {
    let words = words(line, chart, ns);
    let args: Vec<&str> = words.iter().map(String::as_str).collect();
    match tool {
        "helm" => helm(&args),
        _ => stdout(&args),
    }
}

fn stdout(args: &[&str]) -> String {
    String::from_utf8_lossy(&ok(args).stdout).into_owned()
}

/// Every object of the release's manifest (as `ketch get manifest` shows it), by `kind/name`.
async fn live_objects(
    client: &Client,
    discovery: &Discovery,
    release: &str,
    ns: &str,
) -> BTreeMap<String, Value> {
    let manifest = stdout(&["get", "manifest", release, "-n", ns]);
    let docs = ketch::yaml::parse_documents(&manifest, "manifest").expect("manifest");
    let mut out = BTreeMap::new();
    for doc in docs.into_iter().filter(Value::is_object) {
        let api_version = doc["apiVersion"].as_str().unwrap();
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let kind = doc["kind"].as_str().unwrap();
        let gvk = kube::api::GroupVersionKind::gvk(group, version, kind);
        let (resource, _) = discovery.resolve_gvk(&gvk).expect("served kind");
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &resource);
        let name = doc["metadata"]["name"].as_str().unwrap();
        let live = api.get(name).await.expect("object on the cluster");
        out.insert(
            format!("{kind}/{name}"),
            serde_json::to_value(live).unwrap(),
        );
    }
    out
}

fn uids(objects: &BTreeMap<String, Value>) -> BTreeMap<String, String> {
    objects
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v["metadata"]["uid"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The namespace's ReplicaSets by name, with their generations.
async fn replica_sets(ns: &TestNamespace) -> BTreeMap<String, i64> {
    let api: Api<ReplicaSet> = ns.api();
    api.list(&ListParams::default())
        .await
        .unwrap()
        .items
        .iter()
        .map(|rs| (rs.name_any(), rs.metadata.generation.unwrap_or_default()))
        .collect()
}

/// `REVISION RECORDED-BY STATUS` of each row of `ketch history`.
fn history(release: &str, ns: &str) -> Vec<(u64, String, String)> {
    let out = stdout(&["history", release, "-n", ns, "-o", "json"]);
    let rows: Vec<Value> = serde_json::from_str(&out).expect("history JSON");
    rows.iter()
        .map(|r| {
            (
                r["revision"].as_u64().unwrap(),
                r["recordedBy"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn managers(object: &Value) -> Vec<String> {
    object["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["subresource"].as_str().unwrap_or_default().is_empty())
        .map(|e| e["manager"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Every object carries `tool`'s ownership marks (label and release annotation) and none of
/// the other tool's; ketch's objects also have no fields left to Helm's manager.
fn assert_marked_by(objects: &BTreeMap<String, Value>, release: &str, tool: &str) {
    let (managed_by, own, other) = match tool {
        "ketch" => (
            "ketch",
            "ketch.dev/release-name",
            "meta.helm.sh/release-name",
        ),
        _ => (
            "Helm",
            "meta.helm.sh/release-name",
            "ketch.dev/release-name",
        ),
    };
    for (key, o) in objects {
        let meta = &o["metadata"];
        assert_eq!(
            meta["labels"]["app.kubernetes.io/managed-by"], managed_by,
            "{key}"
        );
        assert_eq!(meta["annotations"][own], release, "{key}");
        assert!(meta["annotations"].get(other).is_none(), "{key}: {meta}");
        if tool == "ketch" {
            assert!(
                !managers(o).contains(&"helm".to_string()),
                "{key}: Helm's manager still owns fields: {:?}",
                managers(o)
            );
        }
    }
}

async fn deployment_replicas(ns: &TestNamespace, name: &str) -> i32 {
    let api: Api<Deployment> = ns.api();
    api.get(name).await.unwrap().spec.unwrap().replicas.unwrap()
}

#[tokio::test]
async fn helm_releases_are_adopted_rolled_back_and_handed_back() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "adopt").await;
    let n = ns.name.as_str();
    let chart = hooks_chart();
    let release = "hooked";
    run("helm", "install hooked CHART -n NS --wait", &chart, n);
    run(
        "helm",
        "upgrade hooked CHART -n NS --set replicas=2 --wait",
        &chart,
        n,
    );
    let large = "upgrade hooked CHART -n NS --set replicas=2,size=large --wait";
    run("helm", large, &chart, n);
    // After Helm installed the chart's CRD.
    let discovery = Discovery::new(client.clone()).run().await.unwrap();

    // The CRD is the cluster's, shared by every run: as Helm left it, without an owner's marks
    // (an earlier run's release may have taken it).
    let crds = ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
    ));
    let unmark = json!({"metadata": {
        "labels": {"app.kubernetes.io/managed-by": null},
        "annotations": {"ketch.dev/release-name": null, "ketch.dev/release-namespace": null},
    }});
    Api::<DynamicObject>::all_with(client.clone(), &crds)
        .patch(
            "widgets.e2e.ketch.dev",
            &PatchParams::default(),
            &Patch::Merge(unmark),
        )
        .await
        .unwrap();

    // Helm's history, read as it is; ketch refuses to write over it.
    assert_eq!(
        history(release, n),
        [
            (1, "helm".into(), "superseded".into()),
            (2, "helm".into(), "superseded".into()),
            (3, "helm".into(), "deployed".into()),
        ]
    );
    let listed = stdout(&["list", "-n", n]);
    assert!(
        listed.contains(release) && listed.contains("helm"),
        "{listed}"
    );
    assert!(stdout(&["get", "values", release, "-n", n]).contains("large"));
    let status = stdout(&["status", release, "-n", n]);
    assert!(
        status.contains("REVISION: 3") && status.contains("RECORDED BY: helm"),
        "{status}"
    );
    let refused = fails(&["upgrade", release, &chart, "-n", n]);
    assert!(
        refused.contains("is Helm's") && refused.contains("ketch adopt"),
        "{refused}"
    );

    let before = live_objects(&client, &discovery, release, n).await;
    let sets_before = replica_sets(&ns).await;
    ok(&["adopt", release, "-n", n, "--wait", "--timeout", "120s"]);
    let after = live_objects(&client, &discovery, release, n).await;
    assert_eq!(uids(&before), uids(&after), "an object was recreated");
    assert_eq!(sets_before, replica_sets(&ns).await, "a rollout happened");
    assert_marked_by(&after, release, "ketch");
    assert!(stdout(&["status", release, "-n", n]).contains("RECORDED BY: ketch"));
    assert_eq!(
        history(release, n),
        [
            (1, "helm".into(), "superseded".into()),
            (2, "helm".into(), "superseded".into()),
            (3, "helm".into(), "superseded".into()),
            (4, "ketch".into(), "deployed".into()),
        ]
    );
    // Helm's own view of its record agrees: its revision 3 is superseded.
    let helm_history = helm(&["history", release, "-n", n, "-o", "json"]);
    let helm_history: Vec<Value> = serde_json::from_str(&helm_history).unwrap();
    assert_eq!(helm_history.last().unwrap()["status"], "superseded");

    // ketch upgrades it; then back to Helm's revision 2 (replicas 2, size small).
    run(
        "ketch",
        "upgrade hooked CHART -n NS --reuse-values --set replicas=3",
        &chart,
        n,
    );
    assert_eq!(deployment_replicas(&ns, "hooked-web").await, 3);
    run(
        "ketch",
        "rollback hooked 2 -n NS --wait --timeout 120s",
        &chart,
        n,
    );
    assert_eq!(deployment_replicas(&ns, "hooked-web").await, 2);
    let widgets = ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(
        "e2e.ketch.dev",
        "v1",
        "Widget",
    ));
    let widget: Api<DynamicObject> = Api::namespaced_with(client.clone(), n, &widgets);
    let w = widget.get("hooked-widget").await.unwrap();
    assert_eq!(w.data["spec"]["size"], "small");
    assert_eq!(
        uids(&before),
        uids(&live_objects(&client, &discovery, release, n).await)
    );

    // Handed back: `helm upgrade` continues from ketch's revision 6.
    let exported = stdout(&["release", "export", release, "-n", n, "--to", "helm"]);
    assert!(
        exported.contains("sh.helm.release.v1.hooked.v6"),
        "{exported}"
    );
    let upgrade = "upgrade hooked CHART -n NS --reuse-values --set replicas=4 --wait";
    run("helm", upgrade, &chart, n);
    assert_eq!(deployment_replicas(&ns, "hooked-web").await, 4);
    let handed = live_objects(&client, &discovery, release, n).await;
    assert_eq!(uids(&before), uids(&handed));
    assert_marked_by(&handed, release, "helm");
    let refused = fails(&["rollback", release, "-n", n]);
    assert!(refused.contains("is Helm's"), "{refused}");
    assert_eq!(
        history(release, n).last().unwrap(),
        &(7, "helm".into(), "deployed".into())
    );
}

#[tokio::test]
async fn a_real_chart_installed_by_helm_is_adopted_without_a_restart() {
    let Some(corpus) = std::env::var_os("KETCH_HELM_CORPUS") else {
        panic!("KETCH_HELM_CORPUS is not set (tests/run sets it)");
    };
    let chart = Path::new(&corpus).join("prometheus-community/prometheus-pushgateway");
    let chart = chart.to_str().unwrap();
    let client = client().await;
    let discovery = Discovery::new(client.clone()).run().await.unwrap();
    let ns = TestNamespace::new(&client, "adopt-pgw").await;
    let n = ns.name.as_str();
    run("helm", "install pgw CHART -n NS --wait", chart, n);
    run(
        "helm",
        "upgrade pgw CHART -n NS --set replicaCount=2 --wait",
        chart,
        n,
    );
    let labelled = "upgrade pgw CHART -n NS --reuse-values --set podLabels.tier=metrics --wait";
    run("helm", labelled, chart, n);
    let before = live_objects(&client, &discovery, "pgw", n).await;
    let sets_before = replica_sets(&ns).await;
    ok(&["adopt", "pgw", "-n", n, "--wait", "--timeout", "120s"]);
    let after = live_objects(&client, &discovery, "pgw", n).await;
    assert_eq!(uids(&before), uids(&after));
    assert_eq!(sets_before, replica_sets(&ns).await);
    assert_marked_by(&after, "pgw", "ketch");
    // A field Helm set and ketch's next revision drops is removed: Helm's manager no longer
    // holds it.
    let upgrade = "upgrade pgw CHART -n NS --set replicaCount=2 --wait --timeout 120s";
    run("ketch", upgrade, chart, n);
    let deployment: Api<Deployment> = ns.api();
    let d = deployment.list(&ListParams::default()).await.unwrap().items;
    let labels = d[0]
        .spec
        .as_ref()
        .unwrap()
        .template
        .metadata
        .as_ref()
        .unwrap()
        .labels
        .clone();
    assert!(
        !labels.unwrap_or_default().contains_key("tier"),
        "podLabels.tier stayed"
    );
}

#[tokio::test]
async fn what_cannot_be_adopted_is_refused_and_left_as_it_was() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "adopt-bad").await;
    let n = ns.name.as_str();
    let chart = hooks_chart();

    // Objects changed by hand since Helm applied them.
    helm(&["install", "drifted", &chart, "-n", n, "--wait"]);
    let config_maps: Api<ConfigMap> = ns.api();
    config_maps
        .patch(
            "drifted-config",
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"greeting": "edited by hand"}})),
        )
        .await
        .unwrap();
    let refused = fails(&["adopt", "drifted", "-n", n]);
    assert!(
        refused.contains("ConfigMap")
            && refused.contains("drifted-config")
            && refused.contains("--allow-drift"),
        "{refused}"
    );
    let secrets: Api<Secret> = ns.api();
    let ketch_records = || async {
        secrets
            .list(&ListParams::default().labels("ketch.dev/release"))
            .await
            .unwrap()
            .items
            .len()
    };
    assert_eq!(ketch_records().await, 0, "a refused adopt wrote a record");
    let cm = config_maps.get("drifted-config").await.unwrap();
    assert_eq!(cm.data.unwrap()["greeting"], "edited by hand");
    ok(&["adopt", "drifted", "-n", n, "--allow-drift"]);
    let cm = config_maps.get("drifted-config").await.unwrap();
    assert_eq!(cm.data.unwrap()["greeting"], "hello");

    // A release Helm is still operating on (a killed `helm upgrade`).
    let record = json!({
        "name": "busy", "version": 2, "namespace": n,
        "info": {"status": "pending-upgrade", "first_deployed": "2026-12-07T00:00:00Z",
                 "last_deployed": "2026-12-07T00:00:00Z", "deleted": "", "description": "Preparing upgrade"},
        "chart": {"metadata": {"apiVersion": "v2", "name": "helm-hooks", "version": "0.1.0"}, "values": {}},
        "config": {}, "manifest": "",
    });
    let encoded = ketch::release::helm::record::encode(&record).unwrap();
    let secret: Secret = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
        "metadata": {"name": "sh.helm.release.v1.busy.v2",
                     "labels": {"owner": "helm", "name": "busy", "status": "pending-upgrade", "version": "2"}},
        "data": {"release": k8s_openapi::ByteString(encoded)},
    }))
    .unwrap();
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    let refused = fails(&["adopt", "busy", "-n", n]);
    assert!(
        refused.contains("pending-upgrade") && refused.contains("helm rollback"),
        "{refused}"
    );

    // A Secret labelled as Helm's that is not a release record.
    let bogus: Secret = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
        "metadata": {"name": "sh.helm.release.v1.bogus.v1",
                     "labels": {"owner": "helm", "name": "bogus", "status": "deployed", "version": "1"}},
        "stringData": {"release": "this is not a release"},
    }))
    .unwrap();
    secrets
        .create(&PostParams::default(), &bogus)
        .await
        .unwrap();
    for verb in ["adopt", "history"] {
        let refused = fails(&[verb, "bogus", "-n", n]);
        assert!(
            refused.contains("sh.helm.release.v1.bogus.v1") && refused.contains("not"),
            "{verb}: {refused}"
        );
    }
    // Listing every release skips it, and still shows the others.
    let listed = stdout(&["list", "-n", n]);
    assert!(
        listed.contains("drifted") && !listed.contains("bogus"),
        "{listed}"
    );
    assert_eq!(
        ketch_records().await,
        1,
        "only the adopted release has a ketch record"
    );
}
