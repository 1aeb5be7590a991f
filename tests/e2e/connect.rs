//! How ketch connects, against the real cluster: a kubeconfig user whose exec credential plugin
//! (client.authentication.k8s.io v1 and v1beta1) prints a ServiceAccount's token, a failing or
//! missing plugin, `--kube-token`/`--kube-apiserver`/`--kube-ca-file` with no kubeconfig,
//! `--kube-tls-server-name`, impersonation (`--kube-as-user`, `--kube-as-group`) and the
//! client-side rate limit (`--qps`, `--burst-limit`). Who made each request is read from the API
//! server's audit log.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use base64::Engine;
use k8s_openapi::api::authentication::v1::TokenRequest;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::api::{Api, ListParams, PostParams};
use kube::config::Kubeconfig;
use serde_json::{Value, json};

use super::audit::{AuditLog, Request};
use super::releases::{ketch_with, text};
use super::{TestNamespace, client, write_chart};

/// The test cluster's API server URL and CA (PEM), from its kubeconfig.
fn test_cluster() -> (String, Vec<u8>) {
    let path = std::env::var_os("KUBECONFIG").expect("KUBECONFIG names the test cluster");
    let kubeconfig = Kubeconfig::read_from(&path).expect("read the test kubeconfig");
    let cluster = kubeconfig.clusters[0]
        .cluster
        .clone()
        .expect("the test kubeconfig has a cluster");
    let ca = base64::engine::general_purpose::STANDARD
        .decode(
            cluster
                .certificate_authority_data
                .expect("the test kubeconfig has a CA"),
        )
        .expect("the CA is base64");
    (cluster.server.expect("the test cluster has a server"), ca)
}

/// Binds `subject` (`{"kind": "User"|"Group"|"ServiceAccount", ...}`) to `cluster-admin` in the
/// test's namespace only.
async fn grant_namespace_admin(ns: &TestNamespace, name: &str, subject: Value) {
    let bindings: Api<RoleBinding> = ns.api();
    let binding: RoleBinding = serde_json::from_value(json!({
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [subject],
    }))
    .unwrap();
    bindings
        .create(&PostParams::default(), &binding)
        .await
        .expect("create the RoleBinding");
}

/// A ServiceAccount `name` with every right in the test's namespace, and a token for it from the
/// TokenRequest API.
async fn service_account_token(ns: &TestNamespace, name: &str) -> String {
    let accounts: Api<ServiceAccount> = ns.api();
    let account: ServiceAccount =
        serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
    accounts
        .create(&PostParams::default(), &account)
        .await
        .expect("create the ServiceAccount");
    grant_namespace_admin(
        ns,
        name,
        json!({"kind": "ServiceAccount", "name": name, "namespace": ns.name}),
    )
    .await;
    let request: TokenRequest =
        serde_json::from_value(json!({"spec": {"audiences": [], "expirationSeconds": 3600}}))
            .unwrap();
    accounts
        .create_token_request(name, &PostParams::default(), &request)
        .await
        .expect("request a token")
        .status
        .expect("the TokenRequest has a status")
        .token
        .expect("the TokenRequest has a token")
}

/// An executable shell script `name` in `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A kubeconfig for the test cluster whose user `exec-user` runs `command` as its exec plugin.
fn exec_kubeconfig(dir: &Path, name: &str, api_version: &str, command: &Path) -> PathBuf {
    let (server, ca) = test_cluster();
    let kubeconfig = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "test", "cluster": {
            "server": server,
            "certificate-authority-data": base64::engine::general_purpose::STANDARD.encode(ca),
        }}],
        "users": [{"name": "exec-user", "user": {"exec": {
            "apiVersion": api_version,
            "command": command,
            "interactiveMode": "Never",
            "installHint": "see tests/e2e/connect.rs",
        }}}],
        "contexts": [{"name": "test", "context": {"cluster": "test", "user": "exec-user"}}],
        "current-context": "test",
    });
    let path = dir.join(name);
    std::fs::write(&path, kubeconfig.to_string()).unwrap();
    path
}

/// A chart of one ConfigMap, `RELEASE-cm`.
fn small_chart(dir: &Path) -> String {
    write_chart(
        dir,
        "small",
        "",
        &[(
            "cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ release.name }}-cm\ndata:\n  a: b\n",
        )],
    )
}

/// `ketch install web CHART -n NS EXTRA...` with `env` on top of the test's.
fn install(chart: &str, ns: &TestNamespace, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec!["install", "web", chart, "-n", &ns.name];
    args.extend(extra);
    ketch_with(&args, env)
}

/// `ketch list -n NS EXTRA...` with `env`.
fn list(ns: &TestNamespace, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec!["list", "-n", &ns.name];
    args.extend(extra);
    ketch_with(&args, env)
}

fn succeeded(out: &Output) {
    assert!(out.status.success(), "ketch failed: {}", text(out));
}

/// `out` failed with `code`; its standard error.
fn failed(out: &Output, code: i32) -> String {
    assert_eq!(out.status.code(), Some(code), "{}", text(out));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `out` is a `ketch list` that shows the release `web`.
fn lists_web(out: &Output) {
    succeeded(out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("web"), "{}", text(out));
}

/// The users that made `requests`, deduplicated.
fn users(requests: &[Request]) -> Vec<String> {
    let mut users: Vec<String> = requests.iter().map(|r| r.user.clone()).collect();
    users.sort();
    users.dedup();
    users
}

/// A plugin script that prints an ExecCredential of `api_version` with `token`.
fn credential_plugin(dir: &Path, api_version: &str, token: &str) -> PathBuf {
    let credential = json!({
        "apiVersion": format!("client.authentication.k8s.io/{api_version}"),
        "kind": "ExecCredential",
        "status": {"token": token},
    });
    script(
        dir,
        &format!("credential-{api_version}"),
        &format!("cat <<'EOF'\n{credential}\nEOF\n"),
    )
}

#[tokio::test]
async fn exec_plugin_authenticates_as_its_service_account() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "exec").await;
    let token = service_account_token(&ns, "deployer").await;
    let dir = tempfile::tempdir().unwrap();
    let chart = small_chart(dir.path());
    let plugin = credential_plugin(dir.path(), "v1", &token);
    let kubeconfig = exec_kubeconfig(dir.path(), "v1", "client.authentication.k8s.io/v1", &plugin);

    let audit = AuditLog::mark();
    succeeded(&install(
        &chart,
        &ns,
        &["--kubeconfig", kubeconfig.to_str().unwrap()],
        &[],
    ));
    let configmaps: Api<ConfigMap> = ns.api();
    assert!(configmaps.get_opt("web-cm").await.unwrap().is_some());
    let requests = audit.ketch_requests(&ns).await;
    assert!(requests.iter().any(|r| r.is_object_write()), "{requests:?}");
    assert_eq!(
        users(&requests),
        [format!("system:serviceaccount:{}:deployer", ns.name)]
    );

    // A v1beta1 plugin (older EKS, GKE and AKS plugins) works the same way.
    let plugin = credential_plugin(dir.path(), "v1beta1", &token);
    let kubeconfig = exec_kubeconfig(
        dir.path(),
        "v1beta1",
        "client.authentication.k8s.io/v1beta1",
        &plugin,
    );
    lists_web(&list(
        &ns,
        &["--kubeconfig", kubeconfig.to_str().unwrap()],
        &[],
    ));
}

#[tokio::test]
async fn a_failing_or_missing_exec_plugin_installs_nothing() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "exec-fail").await;
    let dir = tempfile::tempdir().unwrap();
    let chart = small_chart(dir.path());
    let failing = script(
        dir.path(),
        "credential-expired",
        "echo 'the session expired: run `cloud login`' >&2\nexit 3\n",
    );
    let missing = dir.path().join("no-such-plugin");
    for (plugin, expected) in [
        (
            &failing,
            "failed (exit status: 3): the session expired: run `cloud login`",
        ),
        (
            &missing,
            "was not found: install it, or put it on PATH; see tests/e2e/connect.rs",
        ),
    ] {
        let kubeconfig = exec_kubeconfig(
            dir.path(),
            "config",
            "client.authentication.k8s.io/v1",
            plugin,
        );
        let kubeconfig = kubeconfig.to_str().unwrap();
        let stderr = failed(&install(&chart, &ns, &["--kubeconfig", kubeconfig], &[]), 1);
        let named = format!(
            "kubeconfig {kubeconfig}: user \"exec-user\": exec credential plugin \"{}\" {expected}",
            plugin.display()
        );
        assert!(stderr.contains(&named), "expected {named:?} in\n{stderr}");
    }
    let configmaps: Api<ConfigMap> = ns.api();
    assert!(configmaps.get_opt("web-cm").await.unwrap().is_none());
    let secrets: Api<Secret> = ns.api();
    let records = secrets
        .list(&ListParams::default().fields("type=ketch.dev/release.v1"))
        .await
        .unwrap();
    assert!(records.items.is_empty(), "no release is recorded");
}

#[tokio::test]
async fn token_apiserver_and_ca_flags_need_no_kubeconfig() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "token").await;
    let token = service_account_token(&ns, "deployer").await;
    let dir = tempfile::tempdir().unwrap();
    let chart = small_chart(dir.path());
    let (server, ca) = test_cluster();
    let ca_file = dir.path().join("ca.crt");
    std::fs::write(&ca_file, ca).unwrap();
    let ca_file = ca_file.to_str().unwrap();
    // No KUBECONFIG and a HOME without ~/.kube/config: the flags are all there is.
    let home = dir.path().display().to_string();
    let no_kubeconfig = [("KUBECONFIG", ""), ("HOME", home.as_str())];

    let audit = AuditLog::mark();
    let flags = [
        "--kube-token",
        &token,
        "--kube-apiserver",
        &server,
        "--kube-ca-file",
        ca_file,
    ];
    succeeded(&install(&chart, &ns, &flags, &no_kubeconfig));
    let configmaps: Api<ConfigMap> = ns.api();
    assert!(configmaps.get_opt("web-cm").await.unwrap().is_some());
    let requests = audit.ketch_requests(&ns).await;
    assert_eq!(
        users(&requests),
        [format!("system:serviceaccount:{}:deployer", ns.name)]
    );

    // The same through the environment, with a server name the certificate holds (the URL's
    // host is 127.0.0.1).
    let env = [
        ("KUBECONFIG", ""),
        ("HOME", home.as_str()),
        ("KETCH_KUBETOKEN", token.as_str()),
        ("KETCH_KUBEAPISERVER", server.as_str()),
        ("KETCH_KUBECAFILE", ca_file),
        ("KETCH_KUBETLS_SERVER_NAME", "kubernetes.default"),
    ];
    lists_web(&list(&ns, &[], &env));

    // A server name the certificate does not hold is refused.
    let out = list(&ns, &["--kube-tls-server-name", "wrong.example"], &env);
    let stderr = failed(&out, 1);
    assert!(stderr.contains("certificate"), "{stderr}");

    // No kubeconfig and no --kube-apiserver: the error says what to pass.
    let stderr = failed(&list(&ns, &["--kube-token", &token], &no_kubeconfig), 1);
    assert!(stderr.contains("--kube-apiserver URL"), "{stderr}");
}

#[tokio::test]
async fn impersonation_sends_the_user_and_groups() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "as-user").await;
    let dir = tempfile::tempdir().unwrap();
    let chart = small_chart(dir.path());

    // A user without rights is refused, by name.
    let audit = AuditLog::mark();
    let stderr = failed(
        &install(&chart, &ns, &["--kube-as-user", "ketch-nobody"], &[]),
        1,
    );
    assert!(
        stderr.contains("forbidden") && stderr.contains("User \"ketch-nobody\" cannot"),
        "{stderr}"
    );
    let configmaps: Api<ConfigMap> = ns.api();
    assert!(configmaps.get_opt("web-cm").await.unwrap().is_none());
    let requests = audit.ketch_requests(&ns).await;
    assert!(!requests.is_empty());
    for request in &requests {
        assert_eq!(request.impersonated_user.as_deref(), Some("ketch-nobody"));
        assert_eq!(request.code, 403, "{request}");
    }

    // With a group the namespace grants rights to, it installs.
    grant_namespace_admin(
        &ns,
        "deployers",
        json!({"kind": "Group", "name": "ketch-deployers", "apiGroup": "rbac.authorization.k8s.io"}),
    )
    .await;
    let audit = AuditLog::mark();
    let flags = [
        "--kube-as-user",
        "ketch-nobody",
        "--kube-as-group",
        "ketch-deployers",
        "--kube-as-group",
        "ketch-others",
    ];
    succeeded(&install(&chart, &ns, &flags, &[]));
    assert!(configmaps.get_opt("web-cm").await.unwrap().is_some());
    let requests = audit.ketch_requests(&ns).await;
    assert!(requests.iter().any(|r| r.is_object_write()), "{requests:?}");
    for request in &requests {
        assert_eq!(request.impersonated_user.as_deref(), Some("ketch-nobody"));
        let groups = &request.impersonated_groups;
        assert!(
            groups.iter().any(|g| g == "ketch-deployers")
                && groups.iter().any(|g| g == "ketch-others"),
            "{groups:?}"
        );
    }
}

#[tokio::test]
async fn rate_limited_install_is_complete() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "qps").await;
    let dir = tempfile::tempdir().unwrap();
    let chart = write_chart(
        dir.path(),
        "many",
        "count: 30\n",
        &[(
            "cms.yaml",
            "{% for i in range(values.count) %}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{{ i }}\ndata:\n  i: \"{{ i }}\"\n{% endfor %}\n",
        )],
    );
    succeeded(&install(
        &chart,
        &ns,
        &["--qps", "5", "--burst-limit", "5"],
        &[],
    ));
    let configmaps: Api<ConfigMap> = ns.api();
    let names: Vec<String> = configmaps
        .list(&ListParams::default().labels("app.kubernetes.io/managed-by=ketch"))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|c| c.metadata.name)
        .collect();
    assert_eq!(names.len(), 30, "{names:?}");

    // A negative --qps turns the limit off, as in client-go.
    lists_web(&list(&ns, &["--qps", "-1"], &[]));

    // Values that mean nothing are refused before anything is sent, naming the flag.
    for (flags, env, flag) in [
        (&["--qps", "fast"][..], &[][..], "--qps"),
        (&["--qps", "NaN"], &[], "--qps"),
        (&["--burst-limit", "-1"], &[], "--burst-limit"),
        (&[], &[("KETCH_QPS", "inf")], "--qps"),
    ] {
        let stderr = failed(&install(&chart, &ns, flags, env), 2);
        assert!(stderr.contains(flag), "{stderr}");
    }
}
