//! Releases against the real cluster: the `ketch` binary installs, upgrades, rolls back and
//! uninstalls the fixture charts under `fixtures/charts/releases/`, and every test asserts on what
//! the cluster holds (objects, their labels and annotations, the release Secrets, the Lease).

use std::collections::BTreeMap;
use std::future::Future;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::Ingress;
use kube::Client;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use super::audit::{AuditLog, object_writes};
use super::{TestNamespace, client, wait_for, wait_gone, write_chart};

/// Upper bound for one `ketch` run; each run also gets its own `--timeout`.
pub(super) const KETCH_RUN: Duration = Duration::from_secs(180);

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/charts/releases")
        .join(name)
}

fn app_chart() -> String {
    fixture("app").display().to_string()
}

/// `install web CHART -n NAMESPACE --wait` of a Deployment that never becomes ready.
fn stuck_install<'a>(namespace: &'a str, chart: &'a str, timeout: &'a str) -> [&'a str; 12] {
    [
        "install",
        "web",
        chart,
        "-n",
        namespace,
        "--set",
        "hook.enabled=false",
        "--set",
        "neverReady=true",
        "--wait",
        "--timeout",
        timeout,
    ]
}

/// Starts `ketch install --wait` of a Deployment that never becomes ready, with
/// the given lock duration, and returns once the Deployment exists (mid-operation).
async fn install_stuck_on_its_deployment(
    ns: &TestNamespace,
    chart: &str,
    lock_duration: &str,
    stderr: Stdio,
) -> std::process::Child {
    let child = Command::new(env!("CARGO_BIN_EXE_ketch"))
        .args(stuck_install(&ns.name, chart, "120s"))
        .args(["--lock-duration", lock_duration])
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let deployments: Api<Deployment> = ns.api();
    wait_for("the install to apply its Deployment", || {
        let deployments = deployments.clone();
        async move {
            deployments
                .get_opt("web-web")
                .await
                .ok()
                .flatten()
                .map(|_| ())
        }
    })
    .await;
    child
}

/// Runs the `ketch` binary with the test cluster's KUBECONFIG, killed after [`KETCH_RUN`].
pub(super) fn ketch(args: &[&str]) -> Output {
    ketch_with(args, &[])
}

pub(super) fn ketch_with(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ketch"));
    command
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("run ketch");
    // Drain both pipes while the process runs, so a large output cannot block it.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for ketch") {
            break status;
        }
        if started.elapsed() > KETCH_RUN {
            let _ = child.kill();
            let _ = child.wait();
            let err = stderr.join().unwrap_or_default();
            panic!(
                "ketch {args:?} ran longer than {KETCH_RUN:?}\nstderr:\n{}",
                String::from_utf8_lossy(&err)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

pub(super) fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs ketch and fails the test unless it succeeds.
pub(super) fn ok(args: &[&str]) -> Output {
    let out = ketch(args);
    assert!(
        out.status.success(),
        "ketch {args:?} failed: {}",
        text(&out)
    );
    out
}

/// Runs ketch and fails the test unless it fails with exit code 1; returns stderr.
pub(super) fn fails(args: &[&str]) -> String {
    let out = ketch(args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "ketch {args:?} should fail: {}",
        text(&out)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The release's revisions as the cluster stores them: revision -> (status, Secrets).
pub(super) async fn stored(
    client: &Client,
    ns: &str,
    release: &str,
) -> BTreeMap<u64, (String, usize)> {
    let secrets: Api<Secret> = Api::namespaced(client.clone(), ns);
    let list = secrets
        .list(&ListParams::default().labels(&format!("ketch.dev/release={release}")))
        .await
        .expect("list release secrets");
    let mut out: BTreeMap<u64, (String, usize)> = BTreeMap::new();
    for s in list.items {
        assert_eq!(s.type_.as_deref(), Some("ketch.dev/release.v1"));
        let labels = s.metadata.labels.clone().unwrap_or_default();
        let revision: u64 = labels["ketch.dev/revision"].parse().unwrap();
        let entry = out.entry(revision).or_default();
        entry.1 += 1;
        if let Some(status) = labels.get("ketch.dev/status") {
            entry.0 = status.clone();
        }
    }
    out
}

pub(super) fn statuses(stored: &BTreeMap<u64, (String, usize)>) -> Vec<(u64, &str)> {
    stored.iter().map(|(r, (s, _))| (*r, s.as_str())).collect()
}

fn owned_by(meta: &kube::api::ObjectMeta, release: &str, ns: &str) -> bool {
    let labels = meta.labels.clone().unwrap_or_default();
    let annotations = meta.annotations.clone().unwrap_or_default();
    labels
        .get("app.kubernetes.io/managed-by")
        .map(String::as_str)
        == Some("ketch")
        && annotations
            .get("ketch.dev/release-name")
            .map(String::as_str)
            == Some(release)
        && annotations
            .get("ketch.dev/release-namespace")
            .map(String::as_str)
            == Some(ns)
}

async fn ready_replicas(deployments: &Api<Deployment>, name: &str) -> (i32, i32) {
    let d = deployments.get(name).await.expect("get deployment");
    let want = d.spec.and_then(|s| s.replicas).unwrap_or(1);
    let ready = d.status.and_then(|s| s.ready_replicas).unwrap_or(0);
    (want, ready)
}

/// After a rollback from `neverReady`: web-web's pods can be scheduled again.
async fn assert_schedulable(deployments: &Api<Deployment>) {
    let d = deployments.get("web-web").await.unwrap();
    let selector = d.spec.unwrap().template.spec.unwrap().node_selector;
    assert!(
        selector.is_none_or(|s| s.is_empty()),
        "the rollback left the unschedulable pod spec"
    );
}

#[tokio::test]
async fn install_upgrade_rollback_uninstall() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-cycle").await;
    let n = ns.name.as_str();
    let chart = app_chart();

    let out = ok(&[
        "install",
        "web",
        &chart,
        "-n",
        n,
        "--wait",
        "--timeout",
        "90s",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("STATUS: deployed"), "{}", text(&out));
    assert!(
        stdout.contains("web is at revision 1"),
        "notes: {}",
        text(&out)
    );

    // Every kind of the chart is there, labelled and annotated for the release.
    let deployments: Api<Deployment> = ns.api();
    let d = deployments.get("web-web").await.expect("deployment");
    assert!(owned_by(&d.metadata, "web", n));
    assert_eq!(
        ready_replicas(&deployments, "web-web").await,
        (1, 1),
        "--wait returned before pods were ready"
    );
    let configmaps: Api<ConfigMap> = ns.api();
    let cm = configmaps.get("web-config").await.expect("configmap");
    assert!(owned_by(&cm.metadata, "web", n));
    assert_eq!(cm.data.unwrap()["message"], "hello");
    let secrets: Api<Secret> = ns.api();
    let secret = secrets.get("web-secret").await.expect("secret");
    assert!(owned_by(&secret.metadata, "web", n));
    assert_eq!(secret.data.unwrap()["token"].0, b"s3cr3t");
    let services: Api<Service> = ns.api();
    assert!(owned_by(
        &services.get("web-web").await.expect("service").metadata,
        "web",
        n
    ));
    let ingresses: Api<Ingress> = ns.api();
    assert!(owned_by(
        &ingresses.get("web-web").await.expect("ingress").metadata,
        "web",
        n
    ));
    let cronjobs: Api<CronJob> = ns.api();
    assert!(owned_by(
        &cronjobs.get("web-nightly").await.expect("cronjob").metadata,
        "web",
        n
    ));
    // The hook Job ran to completion before the install went on, and is no manifest object.
    let jobs: Api<Job> = ns.api();
    let hook = jobs.get("web-migrate").await.expect("hook job");
    assert_eq!(hook.status.and_then(|s| s.succeeded), Some(1));
    let manifest =
        String::from_utf8_lossy(&ok(&["get", "manifest", "web", "-n", n]).stdout).into_owned();
    assert!(
        manifest.contains("kind: Deployment") && !manifest.contains("web-migrate"),
        "{manifest}"
    );
    let hooks = String::from_utf8_lossy(&ok(&["get", "hooks", "web", "-n", n]).stdout).into_owned();
    assert!(hooks.contains("web-migrate"), "{hooks}");
    assert_eq!(
        statuses(&stored(&client, n, "web").await),
        [(1, "deployed")]
    );
    // The lock is given back.
    let leases: Api<Lease> = ns.api();
    assert!(leases.get_opt("ketch.release.web").await.unwrap().is_none());

    // Upgrade: new values, a second replica, waited for.
    ok(&[
        "upgrade",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "message=v2",
        "--set",
        "replicas=2",
        "--wait",
        "--timeout",
        "90s",
    ]);
    assert_eq!(
        configmaps.get("web-config").await.unwrap().data.unwrap()["message"],
        "v2"
    );
    assert_eq!(ready_replicas(&deployments, "web-web").await, (2, 2));
    assert_eq!(
        statuses(&stored(&client, n, "web").await),
        [(1, "superseded"), (2, "deployed")]
    );
    let values =
        String::from_utf8_lossy(&ok(&["get", "values", "web", "-n", n, "-o", "json"]).stdout)
            .into_owned();
    let values: Value = serde_json::from_str(&values).unwrap();
    assert_eq!(values, json!({"message": "v2", "replicas": 2}));
    let all: Value = serde_json::from_slice(
        &ok(&["get", "values", "web", "-n", n, "--all", "-o", "json"]).stdout,
    )
    .unwrap();
    assert_eq!(all["image"], "registry.k8s.io/pause:3.10");

    // An upgrade given no values keeps the last ones (Helm's rule).
    ok(&["upgrade", "web", &chart, "-n", n]);
    assert_eq!(
        configmaps.get("web-config").await.unwrap().data.unwrap()["message"],
        "v2"
    );

    // Rollback to revision 1: its values come back as revision 4.
    ok(&[
        "rollback",
        "web",
        "1",
        "-n",
        n,
        "--wait",
        "--timeout",
        "90s",
    ]);
    assert_eq!(
        configmaps.get("web-config").await.unwrap().data.unwrap()["message"],
        "hello"
    );
    assert_eq!(ready_replicas(&deployments, "web-web").await.0, 1);
    let history: Value =
        serde_json::from_slice(&ok(&["history", "web", "-n", n, "-o", "json"]).stdout).unwrap();
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 4);
    assert_eq!(history[3]["status"], "deployed");
    assert_eq!(history[3]["description"], "Rollback to 1");
    let status: Value =
        serde_json::from_slice(&ok(&["status", "web", "-n", n, "-o", "json"]).stdout).unwrap();
    assert_eq!(status["revision"], 4);
    let list: Value = serde_json::from_slice(&ok(&["list", "-n", n, "-o", "json"]).stdout).unwrap();
    assert_eq!(list[0]["name"], "web");
    let listed_all = String::from_utf8_lossy(&ok(&["list", "-A"]).stdout).into_owned();
    assert!(listed_all.contains(n), "{listed_all}");

    // Uninstall: objects and history gone; the hook Job stays (hooks are not release objects).
    ok(&["uninstall", "web", "-n", n, "--wait", "--timeout", "60s"]);
    assert!(deployments.get_opt("web-web").await.unwrap().is_none());
    assert!(configmaps.get_opt("web-config").await.unwrap().is_none());
    assert!(secrets.get_opt("web-secret").await.unwrap().is_none());
    assert!(services.get_opt("web-web").await.unwrap().is_none());
    assert!(ingresses.get_opt("web-web").await.unwrap().is_none());
    assert!(cronjobs.get_opt("web-nightly").await.unwrap().is_none());
    assert!(stored(&client, n, "web").await.is_empty());
    let err = fails(&["status", "web", "-n", n]);
    assert!(err.contains("release web not found"), "{err}");
}

#[tokio::test]
async fn atomic_upgrade_rolls_back_a_deployment_that_never_becomes_ready() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-atomic").await;
    let n = ns.name.as_str();
    let chart = app_chart();
    ok(&[
        "install",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.enabled=false",
        "--wait",
    ]);

    let err = fails(&[
        "upgrade",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.enabled=false",
        "--set",
        "neverReady=true",
        "--atomic",
        "--timeout",
        "6s",
    ]);
    assert!(err.contains("timed out after 6s"), "{err}");
    assert!(
        err.contains("deployment/web-web") || err.contains("Deployment"),
        "{err}"
    );
    assert!(err.contains("rolled back to revision 1"), "{err}");
    assert_eq!(
        statuses(&stored(&client, n, "web").await),
        [(1, "superseded"), (2, "failed"), (3, "deployed")]
    );
    let deployments: Api<Deployment> = ns.api();
    assert_schedulable(&deployments).await;

    // A failing hook Job fails the upgrade; --atomic rolls back again.
    let err = fails(&[
        "upgrade",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.fail=true",
        "--set",
        "message=never",
        "--atomic",
        "--timeout",
        "60s",
    ]);
    assert!(err.contains("pre-upgrade hook Job"), "{err}");
    assert!(err.contains("rolled back to revision 3"), "{err}");
    let configmaps: Api<ConfigMap> = ns.api();
    assert_eq!(
        configmaps.get("web-config").await.unwrap().data.unwrap()["message"],
        "hello"
    );
    let last = stored(&client, n, "web").await;
    assert_eq!(last.values().last().unwrap().0, "deployed");
}

#[tokio::test]
async fn atomic_first_install_is_uninstalled() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-atomic-install").await;
    let n = ns.name.as_str();
    let err = fails(&[
        "install",
        "web",
        &app_chart(),
        "-n",
        n,
        "--set",
        "hook.enabled=false",
        "--set",
        "neverReady=true",
        "--atomic",
        "--timeout",
        "3s",
    ]);
    assert!(err.contains("uninstalled"), "{err}");
    assert!(stored(&client, n, "web").await.is_empty());
    let deployments: Api<Deployment> = ns.api();
    assert!(deployments.get_opt("web-web").await.unwrap().is_none());
}

#[tokio::test]
async fn prune_deletes_what_is_no_longer_rendered_except_kept_objects() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-prune").await;
    let n = ns.name.as_str();
    let chart = app_chart();
    ok(&[
        "install",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.enabled=false,extraConfig=true,keptConfig=true",
    ]);
    let configmaps: Api<ConfigMap> = ns.api();
    assert!(configmaps.get_opt("web-extra").await.unwrap().is_some());
    assert!(configmaps.get_opt("web-kept").await.unwrap().is_some());

    let out = ok(&[
        "upgrade",
        "web",
        &chart,
        "-n",
        n,
        "--reset-values",
        "--set",
        "hook.enabled=false,ingress=false",
    ]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("kept"),
        "{}",
        text(&out)
    );
    assert!(
        configmaps.get_opt("web-extra").await.unwrap().is_none(),
        "not pruned"
    );
    assert!(
        configmaps.get_opt("web-kept").await.unwrap().is_some(),
        "a keep object was pruned"
    );
    let ingresses: Api<Ingress> = ns.api();
    assert!(
        ingresses.get_opt("web-web").await.unwrap().is_none(),
        "ingress not pruned"
    );

    // Uninstall keeps it too.
    ok(&["uninstall", "web", "-n", n]);
    assert!(configmaps.get_opt("web-kept").await.unwrap().is_some());
    assert!(configmaps.get_opt("web-config").await.unwrap().is_none());
}

#[tokio::test]
async fn existing_objects_are_adopted_only_with_take_ownership() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-adopt").await;
    let n = ns.name.as_str();
    let chart = app_chart();
    let configmaps: Api<ConfigMap> = ns.api();
    let cm: ConfigMap = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "web-config"}, "data": {"message": "hand-made"}
    }))
    .unwrap();
    configmaps
        .create(&PostParams::default(), &cm)
        .await
        .unwrap();
    let secrets: Api<Secret> = ns.api();
    let theirs: Secret = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "web-secret", "labels": {"app.kubernetes.io/managed-by": "ketch"},
                     "annotations": {"ketch.dev/release-name": "alpha", "ketch.dev/release-namespace": n}},
        "stringData": {"token": "alpha's"}
    }))
    .unwrap();
    secrets
        .create(&PostParams::default(), &theirs)
        .await
        .unwrap();

    let err = fails(&[
        "install",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.enabled=false",
    ]);
    assert!(
        err.contains("ConfigMap") && err.contains("web-config"),
        "{err}"
    );
    assert!(
        err.contains("no ketch release manages it") && err.contains("--take-ownership"),
        "{err}"
    );
    assert!(
        err.contains("web-secret: it belongs to release alpha"),
        "{err}"
    );
    // Refused before anything was written, so --atomic has nothing to undo.
    assert!(stored(&client, n, "web").await.is_empty());
    let err = fails(&[
        "install",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.enabled=false",
        "--atomic",
    ]);
    assert!(err.contains("nothing to roll back"), "{err}");
    assert!(stored(&client, n, "web").await.is_empty());
    let deployments: Api<Deployment> = ns.api();
    assert!(deployments.get_opt("web-web").await.unwrap().is_none());
    assert_eq!(
        configmaps.get("web-config").await.unwrap().data.unwrap()["message"],
        "hand-made"
    );

    ok(&[
        "install",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.enabled=false",
        "--take-ownership",
    ]);
    let adopted = configmaps.get("web-config").await.unwrap();
    assert!(owned_by(&adopted.metadata, "web", n));
    assert_eq!(adopted.data.unwrap()["message"], "hello");
    assert!(owned_by(
        &secrets.get("web-secret").await.unwrap().metadata,
        "web",
        n
    ));

    // Installing it again is refused: the release exists.
    let err = fails(&["install", "web", &chart, "-n", n]);
    assert!(err.contains("already exists"), "{err}");
}

#[tokio::test]
async fn conflicting_field_manager_fails_until_force_conflicts() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-conflict").await;
    let n = ns.name.as_str();
    let chart = app_chart();
    ok(&[
        "install",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.enabled=false",
    ]);
    let configmaps: Api<ConfigMap> = ns.api();
    // Another applier takes the field with server-side apply.
    configmaps
        .patch(
            "web-config",
            &PatchParams::apply("gitops-bot").force(),
            &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap",
                                 "metadata": {"name": "web-config"}, "data": {"message": "bot"}})),
        )
        .await
        .unwrap();

    let err = fails(&[
        "upgrade",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.enabled=false",
        "--set",
        "message=mine",
    ]);
    assert!(err.contains(".data.message"), "{err}");
    assert!(err.contains("gitops-bot"), "{err}");
    assert!(err.contains("--force-conflicts"), "{err}");
    assert_eq!(
        configmaps.get("web-config").await.unwrap().data.unwrap()["message"],
        "bot"
    );
    assert_eq!(stored(&client, n, "web").await[&2].0, "failed");

    ok(&[
        "upgrade",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.enabled=false",
        "--set",
        "message=mine",
        "--force-conflicts",
    ]);
    let cm = configmaps.get("web-config").await.unwrap();
    assert_eq!(cm.data.unwrap()["message"], "mine");
    let owners: Vec<String> = cm
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .filter(|m| {
            m.fields_v1
                .as_ref()
                .is_some_and(|f| f.0.to_string().contains("f:message"))
        })
        .filter_map(|m| m.manager)
        .collect();
    assert_eq!(owners, ["ketch"], "ketch did not take the field over");
}

#[tokio::test]
async fn drift_is_corrected_by_the_next_upgrade() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-drift").await;
    let n = ns.name.as_str();
    let chart = app_chart();
    ok(&[
        "install",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.enabled=false",
        "--wait",
    ]);
    let deployments: Api<Deployment> = ns.api();
    let configmaps: Api<ConfigMap> = ns.api();
    let secrets: Api<Secret> = ns.api();
    // Edits behind the release's back: an imperative update, a deletion, a changed Secret.
    deployments
        .patch(
            "web-web",
            &PatchParams {
                field_manager: Some("kubectl-edit".into()),
                ..PatchParams::default()
            },
            &Patch::Merge(json!({"spec": {"replicas": 3}})),
        )
        .await
        .unwrap();
    configmaps
        .delete("web-config", &DeleteParams::default())
        .await
        .unwrap();
    secrets
        .patch(
            "web-secret",
            &PatchParams::default(),
            &Patch::Merge(json!({"stringData": {"token": "tampered"}})),
        )
        .await
        .unwrap();

    let out = ok(&[
        "upgrade",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.enabled=false",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("took back .spec.replicas"),
        "{}",
        text(&out)
    );
    let d = deployments.get("web-web").await.unwrap();
    assert_eq!(d.spec.unwrap().replicas, Some(1));
    assert_eq!(
        configmaps.get("web-config").await.unwrap().data.unwrap()["message"],
        "hello"
    );
    assert_eq!(
        secrets.get("web-secret").await.unwrap().data.unwrap()["token"].0,
        b"s3cr3t"
    );
    // Nothing drifted since: the next upgrade writes no object, as the API server saw it.
    let audit = AuditLog::mark();
    ok(&[
        "upgrade",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.enabled=false",
    ]);
    let requests = audit.ketch_requests(&ns).await;
    assert_eq!(object_writes(&requests), [""; 0], "{requests:#?}");
}

/// Only what changed is written, as the API server's audit log shows it (not as ketch reports
/// it): an upgrade that changes nothing writes no object; one that changes a ConfigMap writes that
/// ConfigMap alone, with one request more; objects changed or deleted behind the release's back
/// are written again, each once (a field taken back from a `kubectl edit` costs one apply that
/// the API server refuses with a conflict first).
#[tokio::test]
async fn only_what_changed_is_written_as_the_audit_log_shows() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-audit").await;
    let n = ns.name.as_str();
    let (chart, base) = install_without_hook(n, &[]);
    let upgrade = |extra: &[&str]| ok(&[&["upgrade", "web", &chart][..], &base, extra].concat());

    let audit = AuditLog::mark();
    upgrade(&[]);
    let unchanged = audit.ketch_requests(&ns).await;
    assert_eq!(object_writes(&unchanged), [""; 0], "{unchanged:#?}");
    assert!(
        unchanged.iter().any(|r| r.is_write()),
        "the record and the Lease were not written: {unchanged:#?}"
    );

    let audit = AuditLog::mark();
    upgrade(&["--set", "message=changed"]);
    let one = audit.ketch_requests(&ns).await;
    assert_eq!(
        object_writes(&one),
        [format!(
            "patch /api/v1/namespaces/{n}/configmaps/web-config"
        )],
        "{one:#?}"
    );
    assert_eq!(
        one.len(),
        unchanged.len() + 1,
        "unchanged: {unchanged:#?}\none ConfigMap changed: {one:#?}"
    );

    // Behind the release's back: the Deployment scaled, the Secret deleted.
    let deployments: Api<Deployment> = ns.api();
    let edit = PatchParams {
        field_manager: Some("kubectl-edit".into()),
        ..PatchParams::default()
    };
    deployments
        .patch(
            "web-web",
            &edit,
            &Patch::Merge(json!({"spec": {"replicas": 3}})),
        )
        .await
        .unwrap();
    let secrets: Api<Secret> = ns.api();
    secrets
        .delete("web-secret", &DeleteParams::default())
        .await
        .unwrap();
    let audit = AuditLog::mark();
    upgrade(&["--set", "message=changed"]);
    let drift = audit.ketch_requests(&ns).await;
    let mut writes = object_writes(&drift);
    writes.sort();
    assert_eq!(
        writes,
        [
            format!("patch /api/v1/namespaces/{n}/secrets/web-secret"),
            format!("patch /apis/apps/v1/namespaces/{n}/deployments/web-web"),
        ],
        "{drift:#?}"
    );
}

#[tokio::test]
async fn a_release_over_one_mebibyte_is_split_and_read_back() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-big").await;
    let n = ns.name.as_str();
    // 3 MB of pseudo-random hex: gzip halves it, so the record needs several Secrets.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let blob: String = (0..3_000_000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            char::from_digit((seed % 16) as u32, 16).unwrap()
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blob.txt");
    std::fs::write(&file, &blob).unwrap();
    let set_file = format!("blob={}", file.display());
    ok(&[
        "install",
        "big",
        &app_chart(),
        "-n",
        n,
        "--set",
        "hook.enabled=false",
        "--set-file",
        &set_file,
    ]);
    let stored = stored(&client, n, "big").await;
    let (status, parts) = &stored[&1];
    assert_eq!(status, "deployed");
    assert!(
        *parts >= 2,
        "a {}-byte record was stored in {parts} Secret(s)",
        blob.len()
    );
    let secrets: Api<Secret> = ns.api();
    for s in secrets
        .list(&ListParams::default().labels("ketch.dev/release=big"))
        .await
        .unwrap()
        .items
    {
        let size: usize = s.data.unwrap().values().map(|v| v.0.len()).sum();
        assert!(size < 1024 * 1024, "a release Secret holds {size} bytes");
    }
    let values: Value =
        serde_json::from_slice(&ok(&["get", "values", "big", "-n", n, "-o", "json"]).stdout)
            .unwrap();
    assert_eq!(values["blob"].as_str().map(str::len), Some(blob.len()));
    assert!(
        values["blob"] == blob.as_str(),
        "the blob did not read back intact"
    );
    // An upgrade reads it back too and supersedes it.
    ok(&[
        "upgrade",
        "big",
        &app_chart(),
        "-n",
        n,
        "--reuse-values",
        "--set",
        "message=again",
    ]);
    let history: Value =
        serde_json::from_slice(&ok(&["history", "big", "-n", n, "-o", "json"]).stdout).unwrap();
    assert_eq!(history[0]["status"], "superseded");
    assert_eq!(history[1]["status"], "deployed");
}

#[tokio::test]
async fn a_killed_install_is_recovered_by_an_upgrade_once_its_lock_expires() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-killed").await;
    let n = ns.name.as_str();
    let chart = app_chart();
    // An install that waits for a Deployment that never becomes ready, killed mid-way.
    let mut child = install_stuck_on_its_deployment(&ns, &chart, "3s", Stdio::null()).await;
    let deployments: Api<Deployment> = ns.api();
    child.kill().unwrap(); // SIGKILL: no cleanup runs
    child.wait().unwrap();
    assert_eq!(
        statuses(&stored(&client, n, "web").await),
        [(1, "pending-install")]
    );
    let leases: Api<Lease> = ns.api();
    assert!(
        leases.get_opt("ketch.release.web").await.unwrap().is_some(),
        "the lease is gone"
    );

    // While the lease lives, another operation is refused and told who holds it.
    let err = fails(&[
        "upgrade",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.enabled=false",
    ]);
    assert!(
        err.contains("in progress since") && err.contains("held by"),
        "{err}"
    );

    // Once it expired, an upgrade proceeds and the interrupted revision is marked failed.
    tokio::time::sleep(Duration::from_secs(4)).await;
    ok(&[
        "upgrade",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.enabled=false",
        "--wait",
        "--timeout",
        "90s",
    ]);
    assert_eq!(
        statuses(&stored(&client, n, "web").await),
        [(1, "failed"), (2, "deployed")]
    );
    assert_eq!(ready_replicas(&deployments, "web-web").await, (1, 1));
    let history = String::from_utf8_lossy(&ok(&["history", "web", "-n", n]).stdout).into_owned();
    assert!(history.contains("interrupted"), "{history}");
}

#[tokio::test]
async fn crds_are_applied_first_and_established_before_their_objects() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-crd").await;
    let n = ns.name.as_str();
    // A previous run on the same cluster may have left the CRD owned by its release.
    let crds: Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> =
        Api::all(client.clone());
    let _ = crds
        .delete("gadgets.e2e.ketch.dev", &DeleteParams::default())
        .await;
    wait_gone(&crds, "gadgets.e2e.ketch.dev").await;
    ok(&[
        "install",
        "gadgets",
        &fixture("crd").display().to_string(),
        "-n",
        n,
        "--set",
        "size=2",
    ]);
    let gvk = kube::api::GroupVersionKind::gvk("e2e.ketch.dev", "v1", "Gadget");
    let (resource, _) = kube::discovery::pinned_kind(&client, &gvk).await.unwrap();
    let gadgets: Api<kube::api::DynamicObject> = Api::namespaced_with(client.clone(), n, &resource);
    let gadget = gadgets
        .get("gadgets-gadget")
        .await
        .expect("the custom resource");
    assert_eq!(gadget.data["spec"]["size"], 2);
    // Uninstall deletes the custom resource but never the CRD.
    ok(&["uninstall", "gadgets", "-n", n]);
    assert!(gadgets.get_opt("gadgets-gadget").await.unwrap().is_none());
    assert!(
        crds.get_opt("gadgets.e2e.ketch.dev")
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn diff_shows_changes_with_secret_values_redacted() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-diff").await;
    let n = ns.name.as_str();
    let chart = app_chart();
    ok(&[
        "install",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.enabled=false",
    ]);
    let same = ketch(&[
        "diff",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.enabled=false",
        "--detailed-exitcode",
    ]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same));
    assert!(same.stdout.is_empty(), "{}", text(&same));

    let changed = ketch(&[
        "diff",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.enabled=false,message=v2,token=n3w-s3cr3t,ingress=false",
        "--detailed-exitcode",
    ]);
    assert_eq!(changed.status.code(), Some(2), "{}", text(&changed));
    let out = String::from_utf8_lossy(&changed.stdout);
    assert!(
        out.contains("-  message: hello") && out.contains("+  message: v2"),
        "{out}"
    );
    assert!(
        out.contains("Secret") && out.contains("(redacted: new value)"),
        "{out}"
    );
    assert!(
        !out.contains("n3w-s3cr3t") && !out.contains("s3cr3t"),
        "a secret value leaked: {out}"
    );
    assert!(
        out.contains("Ingress") && out.contains("(removed)"),
        "{out}"
    );
    // A diff changes nothing.
    let configmaps: Api<ConfigMap> = ns.api();
    assert_eq!(
        configmaps.get("web-config").await.unwrap().data.unwrap()["message"],
        "hello"
    );
}

#[tokio::test]
async fn cluster_errors_are_clear_and_leave_the_release_consistent() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-errors").await;
    let n = ns.name.as_str();
    let chart = app_chart();

    // Missing namespace.
    let err = fails(&["install", "web", &chart, "-n", "e2e-no-such-namespace"]);
    assert!(
        err.contains("namespace \"e2e-no-such-namespace\" does not exist")
            && err.contains("--create-namespace"),
        "{err}"
    );

    // Unknown kind: refused before anything is written.
    let err = fails(&["install", "web", &chart, "-n", n, "--set", "widget=true"]);
    assert!(
        err.contains("kind Widget") && err.contains("CustomResourceDefinition"),
        "{err}"
    );
    assert!(stored(&client, n, "web").await.is_empty());

    // Immutable field: the Deployment's selector.
    ok(&[
        "install",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.enabled=false",
    ]);
    let err = fails(&[
        "upgrade",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.enabled=false",
        "--set",
        "track=canary",
    ]);
    assert!(
        err.contains("spec.selector") && err.contains("cannot be changed in place"),
        "{err}"
    );
    assert_eq!(
        statuses(&stored(&client, n, "web").await),
        [(1, "deployed"), (2, "failed")]
    );
    // The failed revision does not block the next upgrade.
    ok(&[
        "upgrade",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.enabled=false",
        "--set",
        "message=fine",
    ]);
    assert_eq!(stored(&client, n, "web").await[&3].0, "deployed");

    // Unreachable cluster and missing kubeconfig.
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.kubeconfig");
    std::fs::write(
        &dead,
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n\
         users: [{name: u, user: {token: x}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n",
    )
    .unwrap();
    let out = ketch_with(
        &["status", "web", "-n", n],
        &[("KUBECONFIG", dead.to_str().unwrap())],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("cannot reach the cluster at https://127.0.0.1:1"),
        "{err}"
    );
    let out = ketch_with(&["list", "--kubeconfig", "/nonexistent/kubeconfig"], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent/kubeconfig") && err.contains("no such file"),
        "{err}"
    );

    // RBAC: a service account without permissions.
    let accounts: Api<ServiceAccount> = ns.api();
    let sa: ServiceAccount =
        serde_json::from_value(json!({"metadata": {"name": "nobody"}})).unwrap();
    accounts.create(&PostParams::default(), &sa).await.unwrap();
    let token = accounts
        .create_token_request(
            "nobody",
            &PostParams::default(),
            &serde_json::from_value(json!({"spec": {"audiences": []}})).unwrap(),
        )
        .await
        .unwrap()
        .status
        .unwrap()
        .token;
    let admin = std::fs::read_to_string(std::env::var("KUBECONFIG").unwrap()).unwrap();
    let admin: Value =
        serde_json::to_value(kube::config::Kubeconfig::from_yaml(&admin).unwrap()).unwrap();
    let cluster = &admin["clusters"][0]["cluster"];
    let restricted = dir.path().join("nobody.kubeconfig");
    std::fs::write(
        &restricted,
        serde_json::to_string(&json!({
            "apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": "c", "cluster": cluster}],
            "users": [{"name": "nobody", "user": {"token": token}}],
            "contexts": [{"name": "c", "context": {"cluster": "c", "user": "nobody"}}],
            "current-context": "c"
        }))
        .unwrap(),
    )
    .unwrap();
    let out = ketch_with(
        &[
            "install",
            "denied",
            &chart,
            "-n",
            n,
            "--set",
            "hook.enabled=false",
        ],
        &[("KUBECONFIG", restricted.to_str().unwrap())],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("forbidden") && err.contains("RBAC"), "{err}");
    assert!(stored(&client, n, "denied").await.is_empty());
}

#[tokio::test]
async fn client_side_apply_method_is_a_three_way_merge() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-client").await;
    let n = ns.name.as_str();
    let chart = app_chart();
    let flags = ["--set", "hook.enabled=false", "--apply-method", "client"];
    let with = |args: &[&str]| -> Vec<String> {
        args.iter().chain(&flags).map(|s| s.to_string()).collect()
    };
    let run = |args: Vec<String>| ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    run(with(&[
        "install",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "extraConfig=true",
    ]));
    let configmaps: Api<ConfigMap> = ns.api();
    let cm = configmaps.get("web-config").await.unwrap();
    assert!(owned_by(&cm.metadata, "web", n));
    let operations: Vec<(String, String)> = cm
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            (
                m.manager.unwrap_or_default(),
                m.operation.unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        operations.contains(&("ketch".into(), "Update".into())),
        "not a client-side write: {operations:?}"
    );
    // Drift on a field of the manifest is corrected; a field only the live object has stays.
    let deployments: Api<Deployment> = ns.api();
    deployments
        .patch(
            "web-web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 4},
                                 "metadata": {"annotations": {"team": "ml"}}})),
        )
        .await
        .unwrap();
    run(with(&[
        "upgrade",
        "web",
        &chart,
        "-n",
        n,
        "--reset-values",
        "--set",
        "message=v2",
    ]));
    let d = deployments.get("web-web").await.unwrap();
    assert_eq!(d.spec.unwrap().replicas, Some(1));
    assert_eq!(
        d.metadata
            .annotations
            .unwrap()
            .get("team")
            .map(String::as_str),
        Some("ml")
    );
    assert_eq!(
        configmaps.get("web-config").await.unwrap().data.unwrap()["message"],
        "v2"
    );
    assert!(
        configmaps.get_opt("web-extra").await.unwrap().is_none(),
        "not pruned"
    );
    let status: Value =
        serde_json::from_slice(&ok(&["status", "web", "-n", n, "-o", "json"]).stdout).unwrap();
    assert_eq!(status["applyMethod"], "client");
}

#[tokio::test]
async fn server_dry_run_validates_and_writes_nothing() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-dry").await;
    let n = ns.name.as_str();
    let chart = app_chart();
    let out = ok(&["install", "web", &chart, "-n", n, "--dry-run=server"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("MANIFEST:") && stdout.contains("kind: Deployment"),
        "{stdout}"
    );
    assert!(
        stdout.contains("HOOKS:") && stdout.contains("web-migrate"),
        "{stdout}"
    );
    assert!(stored(&client, n, "web").await.is_empty());
    let deployments: Api<Deployment> = ns.api();
    assert!(deployments.get_opt("web-web").await.unwrap().is_none());
    let leases: Api<Lease> = ns.api();
    assert!(leases.get_opt("ketch.release.web").await.unwrap().is_none());
    // The server validates: an invalid object fails the dry run.
    let err = fails(&[
        "install",
        "web",
        &chart,
        "-n",
        n,
        "--dry-run=server",
        "--set",
        "replicas=-1",
    ]);
    assert!(err.contains("replicas"), "{err}");
    // A client dry run needs no cluster at all.
    let out = ketch_with(
        &["install", "web", &chart, "-n", n, "--dry-run"],
        &[("KUBECONFIG", "/nonexistent")],
    );
    assert!(out.status.success(), "{}", text(&out));
}

#[tokio::test]
async fn upgrade_install_creates_the_namespace_keeps_history_max_and_runs_delete_hooks() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-misc").await;
    // A namespace of its own that does not exist yet.
    let n = format!("{}-new", ns.name);
    let chart = app_chart();
    let base = [
        "-n",
        n.as_str(),
        "--set",
        "hook.enabled=false,deleteHook=true",
        "--history-max",
        "2",
    ];
    let run = |first: &[&str]| ok(&first.iter().chain(&base).copied().collect::<Vec<_>>());
    run(&["upgrade", "web", &chart, "--install", "--create-namespace"]);
    run(&["upgrade", "web", &chart, "--set", "message=two"]);
    run(&["upgrade", "web", &chart, "--set", "message=three"]);
    assert_eq!(
        statuses(&stored(&client, &n, "web").await),
        [(2, "superseded"), (3, "deployed")],
        "--history-max 2 keeps the two newest revisions"
    );
    // Rollback to a trimmed revision is refused with the revisions that exist.
    let err = fails(&["rollback", "web", "1", "-n", &n]);
    assert!(
        err.contains("no revision 1") && err.contains("2, 3"),
        "{err}"
    );

    ok(&["uninstall", "web", "-n", &n, "--keep-history"]);
    let jobs: Api<Job> = Api::namespaced(client.clone(), &n);
    let goodbye = jobs
        .get("web-goodbye")
        .await
        .expect("the pre-delete hook ran");
    assert_eq!(goodbye.status.and_then(|s| s.succeeded), Some(1));
    let configmaps: Api<ConfigMap> = Api::namespaced(client.clone(), &n);
    assert!(configmaps.get_opt("web-config").await.unwrap().is_none());
    assert_eq!(stored(&client, &n, "web").await[&3].0, "uninstalled");
    let listed: Value =
        serde_json::from_slice(&ok(&["list", "-n", &n, "-o", "json"]).stdout).unwrap();
    assert_eq!(
        listed,
        json!([]),
        "an uninstalled release is listed without --all"
    );
    let listed: Value =
        serde_json::from_slice(&ok(&["list", "-n", &n, "-a", "-o", "json"]).stdout).unwrap();
    assert_eq!(listed[0]["status"], "uninstalled");
    // A kept history does not stop a new install of the name.
    run(&["install", "web", &chart]);
    assert_eq!(
        stored(&client, &n, "web").await.values().last().unwrap().0,
        "deployed"
    );
}

#[tokio::test]
async fn templates_look_up_live_objects() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-lookup").await;
    let n = ns.name.as_str();
    let chart = app_chart();
    ok(&[
        "install",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.enabled=false,lookupDemo=true",
    ]);
    let configmaps: Api<ConfigMap> = ns.api();
    assert_eq!(
        configmaps.get("web-config").await.unwrap().data.unwrap()["previous"],
        "none"
    );
    ok(&[
        "upgrade",
        "web",
        &chart,
        "-n",
        n,
        "--reuse-values",
        "--set",
        "message=v2",
    ]);
    let data = configmaps.get("web-config").await.unwrap().data.unwrap();
    assert_eq!(
        (data["message"].as_str(), data["previous"].as_str()),
        ("v2", "hello")
    );
}

#[tokio::test]
async fn ctrl_c_gives_the_lock_back_at_once() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-sigint").await;
    let n = ns.name.as_str();
    let chart = app_chart();
    let child = install_stuck_on_its_deployment(&ns, &chart, "600s", Stdio::piped()).await;
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("interrupted"),
        "{}",
        text(&out)
    );
    let leases: Api<Lease> = ns.api();
    assert!(
        leases.get_opt("ketch.release.web").await.unwrap().is_none(),
        "the lease was kept"
    );
    // No need to wait 600 s: the next upgrade proceeds now.
    ok(&[
        "upgrade",
        "web",
        &chart,
        "-n",
        n,
        "--set",
        "hook.enabled=false",
    ]);
    assert_eq!(
        statuses(&stored(&client, n, "web").await),
        [(1, "failed"), (2, "deployed")]
    );
}

#[tokio::test]
async fn an_install_killed_mid_apply_is_completed_by_the_next_upgrade() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-midapply").await;
    let n = ns.name.as_str();
    // A chart of 400 ConfigMaps: applying them takes long enough to be killed half-way.
    let dir = tempfile::tempdir().unwrap();
    let chart = write_chart(
        dir.path(),
        "many",
        "count: 400\n",
        &[(
            "configmaps.yaml",
            "{% for i in range(values.count) %}\n---\napiVersion: v1\nkind: ConfigMap\n\
             metadata:\n  name: many-{{ i }}\ndata:\n  index: \"{{ i }}\"\n{% endfor %}\n",
        )],
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_ketch"))
        .args(["install", "many", &chart, "-n", n, "--lock-duration", "3s"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let configmaps: Api<ConfigMap> = ns.api();
    let managed = ListParams::default().labels("app.kubernetes.io/managed-by=ketch");
    wait_for("the install to apply its first ConfigMap", || {
        let configmaps = configmaps.clone();
        let managed = managed.clone();
        async move {
            let list = configmaps.list(&managed).await.ok()?;
            (!list.items.is_empty()).then_some(())
        }
    })
    .await;
    child.kill().unwrap();
    child.wait().unwrap();
    let applied = configmaps.list(&managed).await.unwrap().items.len();
    eprintln!("{applied} of 400 ConfigMaps were applied before the kill");
    assert_eq!(
        statuses(&stored(&client, n, "many").await),
        [(1, "pending-install")]
    );

    tokio::time::sleep(Duration::from_secs(4)).await;
    let out = ok(&["upgrade", "many", &chart, "-n", n]);
    assert_eq!(configmaps.list(&managed).await.unwrap().items.len(), 400);
    assert_eq!(
        statuses(&stored(&client, n, "many").await),
        [(1, "failed"), (2, "deployed")]
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("CHANGES: 400 applied"),
        "{applied} applied before the kill\n{stdout}"
    );
}

/// Installs the app chart as `web` in `namespace` without its hook, with `extra` flags; returns
/// the chart and the flags every later run needs.
fn install_without_hook<'a>(namespace: &'a str, extra: &[&str]) -> (String, [&'a str; 4]) {
    let chart = app_chart();
    let base = ["-n", namespace, "--set", "hook.enabled=false"];
    ok(&[&["install", "web", &chart][..], &base, extra].concat());
    (chart, base)
}

#[tokio::test]
async fn rollback_dry_run_shows_the_revision_and_changes_nothing() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-rbdry").await;
    let n = ns.name.as_str();
    let (chart, base) = install_without_hook(n, &[]);
    ok(&[
        &["upgrade", "web", &chart][..],
        &base,
        &["--set", "message=v2", "--set", "extraConfig=true"],
    ]
    .concat());
    let configmaps: Api<ConfigMap> = ns.api();
    let before = configmaps.get("web-config").await.unwrap();

    for dry_run in ["--dry-run", "--dry-run=server"] {
        let out = ok(&["rollback", "web", "1", "-n", n, dry_run]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("STATUS: pending (dry run)") && stdout.contains("REVISION: 3"),
            "{dry_run}: {}",
            text(&out)
        );
        // What would be applied: revision 1's manifest.
        assert!(
            stdout.contains("MANIFEST:") && stdout.contains("message: hello"),
            "{dry_run}: {}",
            text(&out)
        );
        assert!(!stdout.contains("web-extra"), "{dry_run}: {stdout}");

        let after = configmaps.get("web-config").await.unwrap();
        assert_eq!(
            after.metadata.resource_version, before.metadata.resource_version,
            "{dry_run} changed the ConfigMap"
        );
        assert!(configmaps.get_opt("web-extra").await.unwrap().is_some());
        assert_eq!(
            statuses(&stored(&client, n, "web").await),
            [(1, "superseded"), (2, "deployed")],
            "{dry_run} recorded a revision"
        );
        let leases: Api<Lease> = ns.api();
        assert!(leases.get_opt("ketch.release.web").await.unwrap().is_none());
    }
    // A revision the release does not have is still refused.
    let err = fails(&["rollback", "web", "9", "-n", n, "--dry-run"]);
    assert!(err.contains('9'), "{err}");
}

/// Starts an install that renews its lock every second while it waits on a Deployment that
/// never becomes ready, does `to_the_lease` to its Lease, and returns what the install printed
/// and what `to_the_lease` returned. The install must have stopped on its lost lock (not on its
/// wait's --timeout of 120s), leaving revision 1 pending for the next operation to settle.
async fn install_losing_its_lock<T, F: Future<Output = T>>(
    client: &Client,
    ns: &TestNamespace,
    to_the_lease: impl FnOnce(Api<Lease>) -> F,
) -> (String, T) {
    let child = install_stuck_on_its_deployment(ns, &app_chart(), "3s", Stdio::piped()).await;
    let done = to_the_lease(ns.api()).await;
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        stderr.contains("lost its lock") && !stderr.contains("timed out"),
        "{}",
        text(&out)
    );
    assert_eq!(
        statuses(&stored(client, &ns.name, "web").await),
        [(1, "pending-install")]
    );
    (stderr, done)
}

#[tokio::test]
async fn an_operation_whose_lock_is_taken_over_stops_and_leaves_the_lease_alone() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-lost").await;
    let intruder = "intruder@elsewhere pid 1 (upgrade)";
    let takeover = json!({"spec": {
        "holderIdentity": intruder,
        "renewTime": k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime(
            k8s_openapi::jiff::Timestamp::now()
        ),
    }});
    let (stderr, taken) = install_losing_its_lock(&client, &ns, |leases| async move {
        leases
            .patch(
                "ketch.release.web",
                &PatchParams::default(),
                &Patch::Merge(&takeover),
            )
            .await
            .expect("take the lease over")
    })
    .await;
    assert!(stderr.contains(intruder), "{stderr}");
    // The new holder's lease is neither renewed nor deleted.
    let leases: Api<Lease> = ns.api();
    let lease = leases
        .get("ketch.release.web")
        .await
        .expect("the lease is kept");
    assert_eq!(
        lease.metadata.resource_version, taken.metadata.resource_version,
        "the lease was written after it was taken over"
    );
    assert_eq!(
        lease.spec.unwrap().holder_identity.as_deref(),
        Some(intruder)
    );
}

#[tokio::test]
async fn an_operation_whose_lease_is_deleted_stops_and_does_not_take_it_again() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-deleted").await;
    let (stderr, ()) = install_losing_its_lock(&client, &ns, |leases| async move {
        leases
            .delete("ketch.release.web", &DeleteParams::default())
            .await
            .expect("delete the lease");
    })
    .await;
    assert!(stderr.contains("its Lease was deleted"), "{stderr}");
    let leases: Api<Lease> = ns.api();
    assert!(
        leases.get_opt("ketch.release.web").await.unwrap().is_none(),
        "the lease was taken again"
    );
}

/// `rollback --atomic` to a revision that never becomes ready goes back to the revision deployed
/// before the rollback.
#[tokio::test]
async fn atomic_rollback_to_a_revision_that_never_becomes_ready_goes_back() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-atomic-rb").await;
    let n = ns.name.as_str();
    let (chart, base) = install_without_hook(n, &[]);
    // Revision 2 never becomes ready; without --wait its upgrade succeeds all the same.
    ok(&[
        &["upgrade", "web", &chart][..],
        &base,
        &["--set", "neverReady=true"],
    ]
    .concat());
    ok(&[
        &["upgrade", "web", &chart][..],
        &base,
        &["--set", "message=v3", "--wait", "--timeout", "90s"],
    ]
    .concat());

    let err = fails(&[
        "rollback",
        "web",
        "2",
        "-n",
        n,
        "--atomic",
        "--timeout",
        "6s",
    ]);
    assert!(err.contains("timed out after 6s"), "{err}");
    assert!(err.contains("rolled back to revision 3"), "{err}");
    assert_eq!(
        statuses(&stored(&client, n, "web").await),
        [
            (1, "superseded"),
            (2, "superseded"),
            (3, "superseded"),
            (4, "failed"),
            (5, "deployed")
        ]
    );
    let history: Value =
        serde_json::from_slice(&ok(&["history", "web", "-n", n, "-o", "json"]).stdout).unwrap();
    assert_eq!(history[4]["description"], "Rollback to 3", "{history}");
    // Revision 3's objects are back, and ready: --atomic waits for what it rolls back to.
    let configmaps: Api<ConfigMap> = ns.api();
    assert_eq!(
        configmaps.get("web-config").await.unwrap().data.unwrap()["message"],
        "v3"
    );
    let deployments: Api<Deployment> = ns.api();
    assert_schedulable(&deployments).await;
    assert_eq!(ready_replicas(&deployments, "web-web").await, (1, 1));
}

#[tokio::test]
async fn status_shows_resources_with_their_live_readiness() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-status").await;
    let n = ns.name.as_str();
    let (chart, base) = install_without_hook(n, &["--set", "neverReady=true"]);
    let configmaps: Api<ConfigMap> = ns.api();
    configmaps
        .delete("web-config", &DeleteParams::default())
        .await
        .expect("delete the ConfigMap behind ketch's back");

    let resources = |out: Output| -> BTreeMap<String, (bool, String)> {
        let value: Value = serde_json::from_slice(&out.stdout).expect("status -o json");
        assert_eq!(value["name"], "web");
        value["resources"]
            .as_array()
            .unwrap_or_else(|| panic!("no resources: {value}"))
            .iter()
            .map(|r| {
                (
                    format!(
                        "{}/{}",
                        r["kind"].as_str().unwrap(),
                        r["name"].as_str().unwrap()
                    ),
                    (
                        r["ready"].as_bool().unwrap(),
                        r["status"].as_str().unwrap().to_string(),
                    ),
                )
            })
            .collect()
    };
    let status =
        |args: &[&str]| ok(&[&["status", "web", "-n", n, "--show-resources"][..], args].concat());
    let live = resources(status(&["-o", "json"]));
    let (ready, why) = &live["Deployment/web-web"];
    assert!(!ready && why.contains("0/1"), "{live:?}");
    assert_eq!(
        live["ConfigMap/web-config"],
        (false, "not found".into()),
        "{live:?}"
    );
    assert_eq!(
        live["Secret/web-secret"],
        (true, "ready".into()),
        "{live:?}"
    );
    assert!(live["Service/web-web"].0, "{live:?}");
    assert!(live["CronJob/web-nightly"].0, "{live:?}");

    let table = String::from_utf8_lossy(&status(&[]).stdout).into_owned();
    let row = table
        .lines()
        .find(|l| l.starts_with("Deployment") && l.contains("web-web"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        table.contains("RESOURCES:") && row.contains("no"),
        "{table}"
    );
    let yaml = String::from_utf8_lossy(&status(&["-o", "yaml"]).stdout).into_owned();
    assert!(
        yaml.contains("resources:") && yaml.contains("not found"),
        "{yaml}"
    );

    // Once fixed by an upgrade, everything is ready.
    ok(&[
        &["upgrade", "web", &chart][..],
        &base,
        &["--wait", "--timeout", "60s"],
    ]
    .concat());
    let live = resources(status(&["-o", "json"]));
    assert!(live.values().all(|(ready, _)| *ready), "{live:?}");
}

#[tokio::test]
async fn wait_redraws_one_board_on_a_terminal_and_prints_lines_otherwise() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "rel-board").await;
    let n = ns.name.as_str();
    let chart = app_chart();
    let args = stuck_install(n, &chart, "4s");
    // On a terminal (`script` gives ketch a pseudo-terminal): a board redrawn in place.
    let command = std::iter::once(env!("CARGO_BIN_EXE_ketch"))
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("COLUMNS", "120")
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .expect("run script(1)");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{screen}");
    // The board, redrawn (cursor up, clear), then its summary line and the error.
    for want in [
        "waiting ",
        "objects ready",
        "deployment/web-web",
        "0/1 updated replicas available",
        "F\x1b[J",
        "waited ",
        "timed out",
    ] {
        assert!(screen.contains(want), "{want:?} missing: {screen:?}");
    }
    assert!(
        !screen.contains("deployment/web-web: 0/1"),
        "plain lines on a terminal: {screen}"
    );

    // Not a terminal: one plain line per change, no escape sequences.
    ok(&["uninstall", "web", "-n", n]);
    let out = ketch(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("deployment/web-web: 0/1 updated replicas available"),
        "{}",
        text(&out)
    );
    assert!(!stderr.contains('\x1b'), "{stderr:?}");
}
