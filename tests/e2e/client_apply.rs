//! Client-side apply parity with kubectl: each scenario of `fixtures/apply/parity` applies
//! its manifests in turn with `kubectl apply --server-side=false` (the kubectl that
//! `tests/cluster` builds) to one object and with ketch's client-side apply to another
//! that differs only in name, makes the same out-of-band changes to both between steps,
//! and after every step requires both to hold the same spec, labels and annotations.

use std::path::{Path, PathBuf};
use std::process::Command;

use ketch::apply::client::{ClientApplied, ClientApplier, ClientApplyOptions, Outcome};
use ketch::apply::strategic_merge::PatchKind;
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::{Client, discovery};
use serde_json::{Value, json};

use super::{TestNamespace, WAIT, client, wait_for};

/// Annotations that differ by who applied, not by what: kubectl's record of its last
/// apply, and the Deployment controller's revision counter (updated asynchronously).
const IGNORED_ANNOTATIONS: [&str; 2] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
];

fn scenario_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/apply/parity")
        .join(name)
}

fn read_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    ketch::yaml::parse(&text, &path.display().to_string())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The kubectl built by `tests/cluster/build` (or `KETCH_TEST_KUBECTL`).
fn kubectl() -> PathBuf {
    if let Some(path) = std::env::var_os("KETCH_TEST_KUBECTL") {
        return PathBuf::from(path);
    }
    let build = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cluster/build");
    let out = Command::new(&build)
        .arg("--print-env")
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", build.display()));
    let env = String::from_utf8_lossy(&out.stdout);
    let bin = env
        .lines()
        .find_map(|line| line.strip_prefix("K8S_BIN="))
        .unwrap_or_else(|| panic!("`{} --print-env` names no K8S_BIN", build.display()));
    let kubectl = Path::new(bin).join("kubectl");
    assert!(
        kubectl.exists(),
        "{} is missing: run tests/cluster/build",
        kubectl.display()
    );
    kubectl
}

/// `kubectl apply` (client-side) of one manifest, bounded by [`WAIT`].
async fn kubectl_apply(namespace: &str, manifest: &Value) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("manifest.json");
    std::fs::write(&file, manifest.to_string()).expect("write manifest");
    let namespace = namespace.to_string();
    let run = tokio::task::spawn_blocking(move || {
        Command::new(kubectl())
            .args(["apply", "--server-side=false", "--request-timeout=30s"])
            .args(["--namespace", &namespace, "--filename"])
            .arg(&file)
            .output()
    });
    let out = tokio::time::timeout(WAIT, run)
        .await
        .unwrap_or_else(|_| panic!("kubectl apply did not finish within {WAIT:?}"))
        .expect("kubectl task")
        .expect("run kubectl");
    assert!(
        out.status.success(),
        "kubectl apply failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn named(manifest: &Value, name: &str) -> Value {
    let mut manifest = manifest.clone();
    manifest["metadata"]["name"] = json!(name);
    manifest
}

/// What parity compares: everything but status and the object's own identity and
/// bookkeeping, and the fields the server allocates per object.
fn comparable(object: &Value) -> Value {
    let mut object = object.clone();
    let Some(map) = object.as_object_mut() else {
        return object;
    };
    map.remove("status");
    let metadata = map.remove("metadata").unwrap_or_default();
    let mut kept = json!({});
    for key in ["labels", "annotations", "finalizers"] {
        if let Some(value) = metadata.get(key) {
            kept[key] = value.clone();
        }
    }
    if let Some(annotations) = kept.get_mut("annotations").and_then(Value::as_object_mut) {
        annotations.retain(|k, _| !IGNORED_ANNOTATIONS.contains(&k.as_str()));
        if annotations.is_empty() {
            // Left over from kubectl's annotation alone.
            kept.as_object_mut().map(|m| m.remove("annotations"));
        }
    }
    map.insert("metadata".into(), kept);
    if let Some(spec) = map.get_mut("spec").and_then(Value::as_object_mut) {
        spec.remove("clusterIP");
        spec.remove("clusterIPs");
    }
    object
}

struct Parity {
    client: Client,
    namespace: TestNamespace,
    resource: ApiResource,
    /// A custom resource (the scenario sets up its CRD): merge patches, not strategic.
    custom: bool,
}

impl Parity {
    async fn new(scenario: &str, sample: &Value, custom: bool) -> Self {
        let client = client().await;
        let namespace = TestNamespace::new(&client, &format!("csa-{scenario}")).await;
        let api_version = sample["apiVersion"].as_str().expect("apiVersion");
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let kind = GroupVersionKind::gvk(group, version, sample["kind"].as_str().expect("kind"));
        // A CRD created just before may take a moment to be served.
        let resource = wait_for(&format!("discovery of {kind:?}"), || {
            let client = client.clone();
            let kind = kind.clone();
            async move { discovery::pinned_kind(&client, &kind).await.ok() }
        })
        .await
        .0;
        Parity {
            client,
            namespace,
            resource,
            custom,
        }
    }

    fn api(&self) -> Api<DynamicObject> {
        Api::namespaced_with(self.client.clone(), &self.namespace.name, &self.resource)
    }

    async fn get(&self, name: &str) -> Value {
        let object = self
            .api()
            .get(name)
            .await
            .unwrap_or_else(|e| panic!("GET {name}: {e}"));
        serde_json::to_value(object).expect("object as JSON")
    }

    /// Another client's change, the same to both objects.
    async fn out_of_band(&self, names: [&str; 2], change: &Value) {
        let params = PatchParams {
            field_manager: Some("someone-else".into()),
            ..PatchParams::default()
        };
        for name in names {
            let patch = if self.custom {
                Patch::Merge(change)
            } else {
                Patch::Strategic(change)
            };
            self.api()
                .patch(name, &params, &patch)
                .await
                .unwrap_or_else(|e| panic!("out-of-band change to {name}: {e}"));
        }
    }
}

/// Server-side applies `setup.yaml` (a CRD), if any, and waits until it is established.
async fn set_up(dir: &Path) -> bool {
    let path = dir.join("setup.yaml");
    if !path.exists() {
        return false;
    }
    let crd = read_yaml(&path);
    let client = client().await;
    let crds: Api<DynamicObject> = Api::all_with(
        client,
        &ApiResource::from_gvk(&GroupVersionKind::gvk(
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
        )),
    );
    let name = crd["metadata"]["name"]
        .as_str()
        .expect("CRD name")
        .to_string();
    crds.patch(
        &name,
        &PatchParams::apply("ketch-e2e").force(),
        &Patch::Apply(&crd),
    )
    .await
    .unwrap_or_else(|e| panic!("apply {}: {e}", path.display()));
    wait_for(&format!("CRD {name} established"), || {
        let crds = crds.clone();
        let name = name.clone();
        async move {
            let crd = crds.get(&name).await.ok()?;
            let conditions = crd.data.pointer("/status/conditions")?.as_array()?.clone();
            conditions
                .iter()
                .any(|c| c["type"] == "Established" && c["status"] == "True")
                .then_some(())
        }
    })
    .await;
    true
}

/// Runs one scenario; returns ketch's object after the last step.
async fn run_parity(scenario: &str) -> Value {
    let dir = scenario_dir(scenario);
    let custom = set_up(&dir).await;
    let mut steps = Vec::new();
    for n in 1.. {
        let path = dir.join(format!("{n}.yaml"));
        if !path.exists() {
            break;
        }
        let then = dir.join(format!("{n}-then.yaml"));
        steps.push((read_yaml(&path), then.exists().then(|| read_yaml(&then))));
    }
    assert!(
        steps.len() >= 2,
        "scenario {scenario} needs at least two steps"
    );

    let parity = Parity::new(scenario, &steps[0].0, custom).await;
    let base = steps[0].0["metadata"]["name"]
        .as_str()
        .expect("name")
        .to_string();
    let (with_kubectl, with_ketch) = (format!("{base}-kubectl"), format!("{base}-ketch"));
    let applier = ClientApplier::new(parity.client.clone());
    let mut previous: Option<Value> = None;
    let mut last = Value::Null;
    for (index, (manifest, then)) in steps.iter().enumerate() {
        let step = index + 1;
        kubectl_apply(&parity.namespace.name, &named(manifest, &with_kubectl)).await;
        let modified = named(manifest, &with_ketch);
        let applied: ClientApplied = applier
            .apply(
                &parity.resource,
                Some(&parity.namespace.name),
                previous.as_ref(),
                &modified,
            )
            .await
            .unwrap_or_else(|e| panic!("{scenario} step {step}: ketch apply failed: {e}"));
        if step == 1 {
            assert_eq!(applied.outcome, Outcome::Created, "{scenario} step 1");
        }
        if let Outcome::Patched { kind, .. } = &applied.outcome {
            let expected = if parity.custom {
                PatchKind::Merge
            } else {
                PatchKind::Strategic
            };
            assert_eq!(*kind, expected, "{scenario} step {step}: patch type");
        }

        let reference = comparable(&parity.get(&with_kubectl).await);
        last = parity.get(&with_ketch).await;
        let ours = comparable(&last);
        assert!(
            reference == ours,
            "{scenario} step {step}: ketch and kubectl differ\nkubectl: {}\nketch:   {}\npatch: {:?}",
            serde_json::to_string_pretty(&reference).unwrap_or_default(),
            serde_json::to_string_pretty(&ours).unwrap_or_default(),
            applied.outcome,
        );

        if let Some(change) = then {
            parity
                .out_of_band([with_kubectl.as_str(), with_ketch.as_str()], change)
                .await;
        }
        previous = Some(modified);
    }

    // Applying the last manifest again changes nothing (kubectl may still send an
    // element order, which the server finds already in place).
    let again = applier
        .apply(
            &parity.resource,
            Some(&parity.namespace.name),
            previous.as_ref(),
            previous.as_ref().expect("a last manifest"),
        )
        .await
        .unwrap_or_else(|e| panic!("{scenario}: applying again failed: {e}"));
    let unchanged = comparable(&again.object) == comparable(&last)
        && again.object["metadata"]["generation"] == last["metadata"]["generation"];
    assert!(
        unchanged,
        "{scenario}: applying the same manifest again changed the object: {:?}",
        again.outcome
    );
    last
}

fn containers(object: &Value) -> &Vec<Value> {
    let pod = if object["kind"] == "CronJob" {
        &object["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    } else {
        &object["spec"]["template"]["spec"]
    };
    pod["containers"].as_array().expect("containers")
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item["name"].as_str())
        .collect()
}

#[tokio::test]
async fn containers_merge_by_name_like_kubectl() {
    let web = run_parity("containers").await;
    let containers = containers(&web);
    let list = Value::Array(containers.clone());
    // An item another client patched in without an element order goes first, and stays
    // there: kubectl's order, which ketch keeps.
    assert_eq!(
        names(&list),
        ["proxy", "web"],
        "metrics removed, proxy kept"
    );
    assert_eq!(containers[1]["image"], "nginx:1.28");
    assert!(
        containers[1].get("workingDir").is_none(),
        "workingDir was removed from the manifest"
    );
    assert!(
        web["spec"]["template"]["spec"]
            .get("initContainers")
            .is_none()
    );
}

#[tokio::test]
async fn env_lists_like_kubectl() {
    let web = run_parity("env").await;
    let env = &containers(&web)[0]["env"];
    assert_eq!(names(env), ["DEBUG", "TOKEN", "MODEL"]);
    assert_eq!(env[1], json!({"name": "TOKEN", "value": "rotated"}));
}

#[tokio::test]
async fn container_ports_like_kubectl() {
    let web = run_parity("ports").await;
    let ports: Vec<_> = containers(&web)[0]["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .map(|p| p["containerPort"].as_i64().unwrap_or_default())
        .collect();
    assert_eq!(ports, [15090, 8443, 53]);
}

#[tokio::test]
async fn volumes_and_mounts_like_kubectl() {
    let web = run_parity("volumes").await;
    let volumes = &web["spec"]["template"]["spec"]["volumes"];
    assert_eq!(names(volumes), ["token", "config"]);
    assert_eq!(
        volumes[1],
        json!({"name": "config", "secret": {"secretName": "web-config", "defaultMode": 420}}),
        "retainKeys drops the configMap source"
    );
}

#[tokio::test]
async fn fields_removed_since_the_previous_revision_like_kubectl() {
    let web = run_parity("removed-fields").await;
    let spec = &web["spec"];
    assert_eq!(spec["strategy"], json!({"type": "Recreate"}));
    assert_eq!(spec["revisionHistoryLimit"], 10, "back to the default");
    let pod = &spec["template"]["spec"];
    assert!(pod.get("nodeSelector").is_none());
    let container = &containers(&web)[0];
    assert!(container.get("command").is_none());
    assert!(container["resources"].get("limits").is_none());
    assert!(container["readinessProbe"].get("httpGet").is_none());
}

#[tokio::test]
async fn out_of_band_changes_like_kubectl() {
    let web = run_parity("out-of-band").await;
    assert_eq!(web["spec"]["replicas"], 0, "the autoscaler's replicas stay");
    assert_eq!(web["metadata"]["labels"]["oncall"], "team-ml");
    assert_eq!(web["metadata"]["annotations"]["note"], "investigating");
    let pod = &web["spec"]["template"]["spec"];
    assert_eq!(
        pod["terminationGracePeriodSeconds"], 30,
        "removed: default again"
    );
    assert_eq!(containers(&web)[0]["image"], "nginx:1.28");
}

#[tokio::test]
async fn labels_and_annotations_like_kubectl() {
    let web = run_parity("labels-annotations").await;
    assert_eq!(
        web["metadata"]["labels"],
        json!({"app": "web", "injected": "yes"})
    );
    let annotations = &web["metadata"]["annotations"];
    assert_eq!(annotations["owner.example.com/ticket"], "42");
    assert!(annotations.get("note").is_none() && annotations.get("owner").is_none());
}

#[tokio::test]
async fn configmap_data_and_finalizers_like_kubectl() {
    let settings = run_parity("configmap-finalizers").await;
    assert_eq!(
        settings["data"],
        json!({"model": "mistral", "extra": "kept"})
    );
}

#[tokio::test]
async fn service_ports_like_kubectl() {
    let web = run_parity("service").await;
    let ports: Vec<_> = web["spec"]["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .map(|p| p["port"].as_i64().unwrap_or_default())
        .collect();
    assert_eq!(ports, [443, 53]);
    assert_eq!(web["spec"]["sessionAffinity"], "ClientIP");
}

#[tokio::test]
async fn custom_resource_merge_patch_like_kubectl() {
    let llm = run_parity("custom-resource").await;
    assert_eq!(
        llm["spec"],
        json!({
            "model": {"name": "mistral", "cache": "warm"},
            "routing": {},
            "autoscaler": {"min": 1, "max": 4}
        })
    );
}

#[tokio::test]
async fn cronjob_job_template_like_kubectl() {
    let nightly = run_parity("cronjob").await;
    let train = &containers(&nightly)[0];
    assert_eq!(names(&train["env"]), ["WANDB_MODE", "EPOCHS"]);
    assert!(train.get("args").is_none());
}

#[tokio::test]
async fn dry_run_changes_nothing() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "csa-dry-run").await;
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk("", "v1", "ConfigMap"));
    let cm = |model: &str| {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"},
               "data": {"model": model}})
    };
    let applier = ClientApplier::new(client.clone());
    applier
        .apply(&resource, Some(&ns.name), None, &cm("llama"))
        .await
        .expect("create");
    let dry = ClientApplier::with_options(
        client.clone(),
        ClientApplyOptions {
            dry_run: true,
            ..ClientApplyOptions::default()
        },
    );
    let preview = dry
        .apply(
            &resource,
            Some(&ns.name),
            Some(&cm("llama")),
            &cm("mistral"),
        )
        .await
        .expect("dry-run patch");
    assert_eq!(preview.object["data"]["model"], "mistral");
    let ghost = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ghost"}});
    let created = dry
        .apply(&resource, Some(&ns.name), None, &ghost)
        .await
        .expect("dry-run create");
    assert_eq!(created.outcome, Outcome::Created);

    let api: Api<DynamicObject> = Api::namespaced_with(client, &ns.name, &resource);
    let live = api.get("settings").await.expect("GET settings");
    assert_eq!(
        live.data["data"]["model"], "llama",
        "dry run changed the object"
    );
    assert!(
        api.get_opt("ghost").await.expect("GET ghost").is_none(),
        "dry run created an object"
    );
}

#[tokio::test]
async fn an_unmergeable_manifest_names_the_object_and_field() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "csa-error").await;
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk("apps", "v1", "Deployment"));
    let manifest = |containers: Value| {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
               "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                                     "spec": {"containers": containers}}}})
    };
    let good = manifest(json!([{"name": "web", "image": "nginx:1.27"}]));
    let applier = ClientApplier::new(client);
    applier
        .apply(&resource, Some(&ns.name), None, &good)
        .await
        .expect("create");
    let bad = manifest(json!([{"image": "nginx:1.28"}]));
    let err = applier
        .apply(&resource, Some(&ns.name), Some(&good), &bad)
        .await
        .expect_err("a container without a name cannot be merged");
    assert_eq!(
        err.to_string(),
        format!(
            "Deployment {}/web: cannot compute the client-side patch: at \
             .spec.template.spec.containers[0]: an item of a list merged by `name` has no `name`",
            ns.name
        )
    );
}
