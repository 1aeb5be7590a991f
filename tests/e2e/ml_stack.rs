//! The shipped ML stack on the real cluster, as its users run it: `charts/ml-stack` with
//! `examples/iris.yaml` installed with `--wait`, then promoted to a new model version, given a
//! new server setting, a canary added and removed again, a one-off training run, and a
//! rollback. Every step asserts on what the cluster holds.
//!
//! The test cluster has no storage provisioner: the trainer's claim gets a StorageClass of the
//! test's own that binds on first consumer (`kubernetes.io/no-provisioner`,
//! `WaitForFirstConsumer`), so it stays Pending — which `--wait` accepts for such a class — until
//! the training Job's pod is scheduled onto a PersistentVolume the test provides.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    ConfigMap, PersistentVolume, PersistentVolumeClaim, Pod, PodTemplateSpec, Service,
};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, ListParams, PostParams};
use serde_json::json;

use super::releases::{ok, statuses, stored};
use super::{TestNamespace, client, wait_for, wait_gone};

const RELEASE: &str = "iris";
const STABLE: &str = "iris-model-server-stable";
const CANARY: &str = "iris-model-server-canary";

fn shipped(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("charts")
        .join(path)
}

/// The values files of one step: iris.yaml, the test's storage class, then `steps` in order.
struct Values {
    dir: tempfile::TempDir,
    base: Vec<String>,
}

impl Values {
    fn new(storage_class: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let storage = dir.path().join("storage.yaml");
        std::fs::write(
            &storage,
            format!("trainer:\n  persistence:\n    storageClass: {storage_class}\n"),
        )
        .unwrap();
        let iris = shipped("ml-stack/examples/iris.yaml");
        Values {
            base: vec![iris.display().to_string(), storage.display().to_string()],
            dir,
        }
    }

    /// Writes `yaml` as the step file `name` and returns its path.
    fn step(&self, name: &str, yaml: &str) -> String {
        let path = self.dir.path().join(format!("{name}.yaml"));
        std::fs::write(&path, yaml).unwrap();
        path.display().to_string()
    }

    /// `ketch <command> iris charts/ml-stack -n NS -f ... --wait`.
    fn run(&self, command: &str, ns: &str, steps: &[&str]) {
        let chart = shipped("ml-stack").display().to_string();
        let mut args = vec![command, RELEASE, &chart, "-n", ns];
        for file in self
            .base
            .iter()
            .map(String::as_str)
            .chain(steps.iter().copied())
        {
            args.extend(["-f", file]);
        }
        args.extend(["--wait", "--timeout", "120s"]);
        ok(&args);
    }
}

/// A label's or annotation's value, "" when it is missing.
fn entry(map: &Option<BTreeMap<String, String>>, key: &str) -> String {
    map.as_ref()
        .and_then(|m| m.get(key).cloned())
        .unwrap_or_default()
}

/// The model server's pods of one variant, as (name, pod-template-hash, ready, terminating).
async fn variant_pods(pods: &Api<Pod>, variant: &str) -> Vec<(String, String, bool, bool)> {
    let selector = format!("app.kubernetes.io/instance={RELEASE},ml.ketch.dev/variant={variant}");
    pods.list(&ListParams::default().labels(&selector))
        .await
        .expect("list pods")
        .items
        .into_iter()
        .map(|p| {
            let hash = entry(&p.metadata.labels, "pod-template-hash");
            let ready = p
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
            (
                p.metadata.name.unwrap_or_default(),
                hash,
                ready,
                p.metadata.deletion_timestamp.is_some(),
            )
        })
        .collect()
}

/// Waits until the variant runs exactly `replicas` ready pods, none terminating, all of one
/// pod-template hash, and returns that hash and the pod names.
async fn settled_pods(
    pods: &Api<Pod>,
    variant: &str,
    replicas: usize,
) -> (String, BTreeSet<String>) {
    wait_for(
        &format!("{replicas} ready pods of variant {variant}"),
        || {
            let pods = pods.clone();
            async move {
                let list = variant_pods(&pods, variant).await;
                let hashes: BTreeSet<&String> = list.iter().map(|p| &p.1).collect();
                let settled =
                    list.len() == replicas && hashes.len() == 1 && list.iter().all(|p| p.2 && !p.3);
                settled.then(|| {
                    (
                        list[0].1.clone(),
                        list.iter().map(|p| p.0.clone()).collect(),
                    )
                })
            }
        },
    )
    .await
}

/// The Deployment's pod template and its `deployment.kubernetes.io/revision`.
async fn template(deployments: &Api<Deployment>, name: &str) -> (PodTemplateSpec, String) {
    let d = deployments.get(name).await.expect("get deployment");
    let revision = entry(&d.metadata.annotations, "deployment.kubernetes.io/revision");
    (d.spec.expect("deployment spec").template, revision)
}

fn annotation(template: &PodTemplateSpec, key: &str) -> String {
    entry(&template.metadata.as_ref().unwrap().annotations, key)
}

fn image(template: &PodTemplateSpec) -> String {
    template.spec.as_ref().unwrap().containers[0]
        .image
        .clone()
        .unwrap_or_default()
}

async fn ingress_backend(ingresses: &Api<Ingress>, name: &str) -> (String, Option<String>) {
    let ingress = ingresses.get(name).await.expect("get ingress");
    let spec = ingress.spec.unwrap();
    let rule = &spec.rules.as_ref().unwrap()[0];
    assert_eq!(rule.host.as_deref(), Some("iris.example.com"));
    let path = &rule.http.as_ref().unwrap().paths[0];
    (
        path.backend.service.as_ref().unwrap().name.clone(),
        spec.ingress_class_name,
    )
}

fn canary_annotations(ingress: &Ingress) -> (Option<String>, Option<String>) {
    let a = ingress.metadata.annotations.clone().unwrap_or_default();
    (
        a.get("nginx.ingress.kubernetes.io/canary").cloned(),
        a.get("nginx.ingress.kubernetes.io/canary-weight").cloned(),
    )
}

/// Whether the namespace holds an object of kind `K` named `name`.
async fn exists<K>(ns: &TestNamespace, name: &str) -> bool
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    <K as kube::Resource>::DynamicType: Default,
{
    ns.api::<K>().get_opt(name).await.unwrap().is_some()
}

/// Asserts that none of the canary's objects is left.
async fn assert_no_canary(ns: &TestNamespace) {
    let left = [
        ("Deployment", exists::<Deployment>(ns, CANARY).await),
        ("Ingress", exists::<Ingress>(ns, CANARY).await),
        ("ConfigMap", exists::<ConfigMap>(ns, CANARY).await),
        ("Service", exists::<Service>(ns, CANARY).await),
        (
            "PodDisruptionBudget",
            exists::<PodDisruptionBudget>(ns, CANARY).await,
        ),
        (
            "HorizontalPodAutoscaler",
            exists::<HorizontalPodAutoscaler>(ns, CANARY).await,
        ),
    ];
    let left: Vec<&str> = left.iter().filter(|(_, e)| *e).map(|(k, _)| *k).collect();
    assert!(left.is_empty(), "canary objects left: {left:?}");
    let (backend, _) = ingress_backend(&ns.api(), "iris-model-server").await;
    assert_eq!(
        backend, "iris-model-server",
        "one variant: the Ingress goes to the Service"
    );
}

#[tokio::test]
async fn iris_stack_installs_rolls_canaries_trains_and_rolls_back() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "iris").await;
    let deployments: Api<Deployment> = ns.api();
    let pods: Api<Pod> = ns.api();
    let configmaps: Api<ConfigMap> = ns.api();
    let ingresses: Api<Ingress> = ns.api();
    let claims: Api<PersistentVolumeClaim> = ns.api();

    // A StorageClass of this test's own that binds on first consumer, as local volumes do.
    let class_name = format!("{}-local", ns.name);
    let classes: Api<StorageClass> = Api::all(client.clone());
    let class: StorageClass = serde_json::from_value(json!({
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": class_name},
        "provisioner": "kubernetes.io/no-provisioner",
        "volumeBindingMode": "WaitForFirstConsumer",
    }))
    .unwrap();
    classes
        .create(&PostParams::default(), &class)
        .await
        .expect("create StorageClass");
    let values = Values::new(&class_name);

    // Revision 1: iris.yaml as shipped: stable 1.4.2 (90%) and canary 1.5.0 (10%).
    values.run("install", &ns.name, &[]);
    let stable = deployments.get(STABLE).await.unwrap();
    let status = stable.status.unwrap();
    assert_eq!(
        status.ready_replicas,
        Some(3),
        "stable Deployment not ready"
    );
    let canary = deployments.get(CANARY).await.unwrap();
    assert_eq!(
        canary.status.unwrap().ready_replicas,
        Some(1),
        "canary not ready"
    );
    let (hash_v1, pods_v1) = settled_pods(&pods, "stable", 3).await;
    settled_pods(&pods, "canary", 1).await;
    let (template_v1, _) = template(&deployments, STABLE).await;
    assert_eq!(image(&template_v1), "ghcr.io/example/iris-server:1.4.2");

    let services: Api<Service> = ns.api();
    let service = services.get("iris-model-server").await.expect("Service");
    let spec = service.spec.unwrap();
    assert_eq!(spec.ports.unwrap()[0].port, 80);
    assert_eq!(
        spec.selector
            .unwrap()
            .get("app.kubernetes.io/instance")
            .map(String::as_str),
        Some(RELEASE)
    );
    // Two variants: the main Ingress goes to the primary's Service, the canary Ingress gets 10%.
    let (backend, class) = ingress_backend(&ingresses, "iris-model-server").await;
    assert_eq!(
        (backend.as_str(), class.as_deref()),
        (STABLE, Some("nginx"))
    );
    let canary_ingress = ingresses.get(CANARY).await.expect("canary Ingress");
    assert_eq!(
        canary_annotations(&canary_ingress),
        (Some("true".into()), Some("10".into()))
    );
    assert_eq!(ingress_backend(&ingresses, CANARY).await.0, CANARY);
    let budgets: Api<PodDisruptionBudget> = ns.api();
    for name in [STABLE, CANARY] {
        assert!(budgets.get_opt(name).await.unwrap().is_some(), "PDB {name}");
    }
    let cronjobs: Api<CronJob> = ns.api();
    let cronjob = cronjobs.get("iris-trainer").await.expect("CronJob");
    assert_eq!(cronjob.spec.schedule, "30 1 * * *");
    let claim = claims.get("iris-trainer-data").await.expect("PVC");
    assert_eq!(
        claim.spec.as_ref().unwrap().storage_class_name.as_deref(),
        Some(class_name.as_str())
    );
    assert_eq!(
        claim.status.and_then(|s| s.phase).as_deref(),
        Some("Pending"),
        "the claim binds only once a training pod uses it"
    );
    assert_eq!(
        statuses(&stored(&client, &ns.name, RELEASE).await),
        [(1, "deployed")]
    );

    // Revision 2: promote a new model version to the only variant: a rolling update of stable,
    // the canary's objects pruned.
    let promote = values.step(
        "promote",
        r#"
model-server:
  model:
    version: "1.5.0"
  image:
    tag: "1.5.0"
  variants:
    - name: stable
      weight: 100
      replicas: 3
"#,
    );
    values.run("upgrade", &ns.name, &[&promote]);
    let (template_v2, revision_v2) = template(&deployments, STABLE).await;
    assert_eq!(image(&template_v2), "ghcr.io/example/iris-server:1.5.0");
    assert_eq!(
        annotation(&template_v2, "ml.ketch.dev/model-version"),
        "1.5.0"
    );
    assert_eq!(
        revision_v2, "2",
        "the Deployment did not roll out a new ReplicaSet"
    );
    let (hash_v2, pods_v2) = settled_pods(&pods, "stable", 3).await;
    assert_ne!(hash_v2, hash_v1, "no new pod template");
    assert!(
        pods_v2.is_disjoint(&pods_v1),
        "old pods were not replaced: {pods_v2:?}"
    );
    let replicasets: Api<ReplicaSet> = ns.api();
    let sets = replicasets
        .list(&ListParams::default().labels("ml.ketch.dev/variant=stable"))
        .await
        .unwrap();
    let scaled: Vec<(String, i32)> = sets
        .items
        .iter()
        .map(|rs| {
            let hash = rs.metadata.labels.as_ref().unwrap()["pod-template-hash"].clone();
            (hash, rs.spec.as_ref().unwrap().replicas.unwrap_or(0))
        })
        .collect();
    assert!(scaled.contains(&(hash_v2.clone(), 3)), "{scaled:?}");
    assert!(scaled.contains(&(hash_v1.clone(), 0)), "{scaled:?}");
    assert_no_canary(&ns).await;

    // Revision 3: only a server setting changes: the ConfigMap, and through checksum/config the pods.
    let debug = values.step("debug", "model-server:\n  serving:\n    logLevel: debug\n");
    values.run("upgrade", &ns.name, &[&promote, &debug]);
    let config = configmaps.get(STABLE).await.unwrap().data.unwrap();
    assert_eq!(config["LOG_LEVEL"], "debug");
    let (template_v3, revision_v3) = template(&deployments, STABLE).await;
    assert_eq!(
        image(&template_v3),
        image(&template_v2),
        "only the config changed"
    );
    assert_ne!(
        annotation(&template_v3, "checksum/config"),
        annotation(&template_v2, "checksum/config")
    );
    assert_eq!(revision_v3, "3");
    let (hash_v3, pods_v3) = settled_pods(&pods, "stable", 3).await;
    assert_ne!(hash_v3, hash_v2);
    assert!(
        pods_v3.is_disjoint(&pods_v2),
        "pods did not roll: {pods_v3:?}"
    );

    // Revision 4: a canary at 10%, autoscaled: its Deployment, HPA and canary Ingress.
    let canary = values.step(
        "canary",
        r#"
model-server:
  variants:
    - name: stable
      weight: 90
      replicas: 3
    - name: canary
      weight: 10
      modelVersion: "1.6.0"
      imageTag: "1.6.0"
      autoscaling:
        enabled: true
        minReplicas: 1
        maxReplicas: 3
"#,
    );
    values.run("upgrade", &ns.name, &[&promote, &debug, &canary]);
    let (canary_template, _) = template(&deployments, CANARY).await;
    assert_eq!(image(&canary_template), "ghcr.io/example/iris-server:1.6.0");
    settled_pods(&pods, "canary", 1).await;
    let canary_ingress = ingresses.get(CANARY).await.expect("canary Ingress");
    assert_eq!(
        canary_annotations(&canary_ingress),
        (Some("true".into()), Some("10".into()))
    );
    assert_eq!(
        ingress_backend(&ingresses, "iris-model-server").await.0,
        STABLE
    );
    let scalers: Api<HorizontalPodAutoscaler> = ns.api();
    let hpa = scalers.get(CANARY).await.expect("canary HPA");
    assert_eq!(hpa.spec.scale_target_ref.name, CANARY);
    assert_eq!(
        template(&deployments, STABLE).await.1,
        "3",
        "stable must not roll"
    );

    // Revision 5: the canary removed again: all its objects pruned.
    values.run("upgrade", &ns.name, &[&promote, &debug]);
    assert_no_canary(&ns).await;

    // Revision 6: a one-off training run. Its pod is the claim's first consumer: the claim binds
    // to the volume provided here and the Job completes (--wait waits for it).
    let volumes: Api<PersistentVolume> = Api::all(client.clone());
    let volume: PersistentVolume = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": {"name": format!("{}-data", ns.name)},
        "spec": {
            "capacity": {"storage": "5Gi"},
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": class_name,
            "hostPath": {"path": format!("/tmp/{}", ns.name)},
        }
    }))
    .unwrap();
    volumes
        .create(&PostParams::default(), &volume)
        .await
        .expect("create PV");
    let train = values.step("train", "trainer:\n  job:\n    enabled: true\n");
    values.run("upgrade", &ns.name, &[&promote, &debug, &train]);
    let jobs: Api<Job> = ns.api();
    let job = jobs.get("iris-trainer-run-6").await.expect("training Job");
    let job_status = job.status.unwrap();
    assert_eq!(job_status.succeeded, Some(1), "{job_status:?}");
    let claim = claims.get("iris-trainer-data").await.unwrap();
    assert_eq!(claim.status.and_then(|s| s.phase).as_deref(), Some("Bound"));
    assert_eq!(
        template(&deployments, STABLE).await.1,
        "3",
        "stable must not roll"
    );

    // Rollback to revision 2: the spec of then (image 1.5.0, log level info), served by the
    // ReplicaSet of then; the training Job pruned.
    ok(&[
        "rollback",
        RELEASE,
        "2",
        "-n",
        &ns.name,
        "--wait",
        "--timeout",
        "120s",
    ]);
    let (template_back, revision_back) = template(&deployments, STABLE).await;
    assert_eq!(
        template_back, template_v2,
        "the pod template is not revision 2's"
    );
    assert_eq!(revision_back, "4", "the Deployment did not roll back");
    let config = configmaps.get(STABLE).await.unwrap().data.unwrap();
    assert_eq!(config["LOG_LEVEL"], "info");
    assert_eq!(config["MODEL_VERSION"], "1.5.0");
    let (hash_back, _) = settled_pods(&pods, "stable", 3).await;
    assert_eq!(
        hash_back, hash_v2,
        "revision 2's ReplicaSet is not the one serving"
    );
    wait_gone(&jobs, "iris-trainer-run-6").await;
    assert_no_canary(&ns).await;
    let history = stored(&client, &ns.name, RELEASE).await;
    assert_eq!(
        statuses(&history),
        [
            (1, "superseded"),
            (2, "superseded"),
            (3, "superseded"),
            (4, "superseded"),
            (5, "superseded"),
            (6, "superseded"),
            (7, "deployed")
        ]
    );
}

/// The HTTPRoute's weighted split (the rule without header matches): backend name → weight.
async fn route_weights(ns: &TestNamespace) -> BTreeMap<String, i64> {
    let gvk = kube::api::GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", "HTTPRoute");
    let resource = kube::api::ApiResource::from_gvk(&gvk);
    let routes: Api<kube::api::DynamicObject> =
        Api::namespaced_with(ns.client.clone(), &ns.name, &resource);
    let route = routes
        .get("iris-model-server")
        .await
        .expect("the HTTPRoute");
    let rules = route.data["spec"]["rules"]
        .as_array()
        .expect("rules")
        .clone();
    let split = rules
        .iter()
        .find(|r| r["matches"][0].get("headers").is_none())
        .expect("a rule without header matches");
    split["backendRefs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["name"].as_str().unwrap().to_string(),
                b["weight"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Each variant Deployment's `deployment.kubernetes.io/revision`: it changes only when the
/// pod template does (a rollout).
async fn rollouts(deployments: &Api<Deployment>) -> (String, String) {
    (
        template(deployments, STABLE).await.1,
        template(deployments, CANARY).await.1,
    )
}

/// `examples/canary.yaml` through the Gateway API: the HTTPRoute splits 90/10; shifting to 50/50
/// is one upgrade that replaces no pod; promoting the canary is one upgrade that rolls only the
/// stable variant's pods (to the canary's model and image).
#[tokio::test]
async fn a_gateway_canary_shifts_and_is_promoted_with_one_upgrade_each() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "canary").await;
    let chart = shipped("ml-stack").display().to_string();
    let canary = shipped("ml-stack/examples/canary.yaml")
        .display()
        .to_string();
    let step = |command: &str, set: Option<&str>| {
        let mut args = vec![command, RELEASE, &chart, "-n", &ns.name, "-f", &canary];
        if let Some(set) = set {
            args.extend(["--set", set]);
        }
        args.extend(["--wait", "--timeout", "120s"]);
        ok(&args);
    };
    let deployments: Api<Deployment> = ns.api();

    step("install", None);
    let weights = |stable: i64, canary: i64| {
        BTreeMap::from([(STABLE.to_string(), stable), (CANARY.to_string(), canary)])
    };
    assert_eq!(route_weights(&ns).await, weights(90, 10));
    let installed = rollouts(&deployments).await;

    step(
        "upgrade",
        Some("model-server.variants[0].weight=50,model-server.variants[1].weight=50"),
    );
    assert_eq!(route_weights(&ns).await, weights(50, 50));
    assert_eq!(
        rollouts(&deployments).await,
        installed,
        "a weight shift rolled pods"
    );

    step(
        "upgrade",
        Some(
            "model-server.variants[0].weight=100,model-server.variants[1].weight=0,\
             model-server.variants[0].modelVersion=1.5.0,model-server.variants[0].imageTag=1.5.0",
        ),
    );
    assert_eq!(route_weights(&ns).await, weights(100, 0));
    let (stable, canary) = rollouts(&deployments).await;
    assert_ne!(
        stable, installed.0,
        "promotion did not roll the stable variant"
    );
    assert_eq!(canary, installed.1, "promotion rolled the canary");
    let (template, _) = template(&deployments, STABLE).await;
    assert!(image(&template).ends_with(":1.5.0"), "{}", image(&template));
    assert_eq!(annotation(&template, "ml.ketch.dev/model-version"), "1.5.0");
}

/// The umbrella with its optional Helm dependency switched on: the Pushgateway (Prometheus
/// community's chart, Go templates, from the corpus as `ketch dep build` would vendor it)
/// renders and runs beside the Jinja subcharts in one release.
#[tokio::test]
async fn the_pushgateway_helm_chart_runs_inside_the_jinja_umbrella() {
    let corpus = std::env::var_os("KETCH_HELM_CORPUS").expect(
        "KETCH_HELM_CORPUS is not set: run `export KETCH_HELM_CORPUS=$(tests/helm-corpus/fetch)` \
         (tests/run does it)",
    );
    let chart = tempfile::tempdir().unwrap();
    copy_tree(&shipped("ml-stack"), chart.path());
    copy_tree(
        &Path::new(&corpus).join("prometheus-community/prometheus-pushgateway"),
        &chart.path().join("charts/prometheus-pushgateway"),
    );
    let client = client().await;
    let ns = TestNamespace::new(&client, "pushgw").await;
    let iris = shipped("ml-stack/examples/iris.yaml");
    ok(&[
        "install",
        RELEASE,
        &chart.path().display().to_string(),
        "-n",
        &ns.name,
        "-f",
        &iris.display().to_string(),
        "--set",
        "pushgateway.enabled=true,trainer.enabled=false",
        "--wait",
        "--timeout",
        "120s",
    ]);
    let deployments: Api<Deployment> = ns.api();
    for name in ["iris-pushgateway", STABLE] {
        let deployment = deployments
            .get(name)
            .await
            .unwrap_or_else(|e| panic!("{name} is not on the cluster: {e}"));
        let ready = deployment
            .status
            .and_then(|s| s.ready_replicas)
            .unwrap_or(0);
        assert!(ready >= 1, "{name} has no ready replica after --wait");
    }
    let services: Api<Service> = ns.api();
    services
        .get("iris-pushgateway")
        .await
        .expect("the Pushgateway's Service");
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
