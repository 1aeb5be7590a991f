//! Release commands without a cluster: what they say before any request is sent.

use std::process::{Command, Output};

fn ketch(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ketch"))
        .args(args)
        .envs(env.iter().copied())
        .env_remove("KETCH_NAMESPACE")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run ketch")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_client_dry_run_install_renders_without_a_cluster() {
    let out = ketch(
        &[
            "install",
            "web",
            "fixtures/charts/releases/app",
            "--dry-run",
            "-n",
            "ml",
        ],
        &[("KUBECONFIG", "/nonexistent/kubeconfig")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("NAMESPACE: ml") && text.contains("STATUS: pending (dry run)"),
        "{text}"
    );
    assert!(
        text.contains("HOOKS:\n---\n# Source: app/templates/hook-job.yaml"),
        "{text}"
    );
    assert!(
        text.contains("MANIFEST:") && text.contains("kind: Deployment"),
        "{text}"
    );
    assert!(text.contains("NOTES:\nweb is at revision 1"), "{text}");
}

#[test]
fn a_missing_kubeconfig_is_named() {
    let out = ketch(&["list", "--kubeconfig", "/nonexistent/kubeconfig"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim(),
        "Error: kubeconfig /nonexistent/kubeconfig: no such file"
    );
    let home = tempfile::tempdir().unwrap();
    let out = ketch(
        &["status", "web"],
        &[("KUBECONFIG", ""), ("HOME", home.path().to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no kubeconfig: KUBECONFIG is not set")
            && stderr(&out).contains("--kubeconfig"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bad_release_names_and_flags_are_refused_before_any_request() {
    let out = ketch(
        &[
            "install",
            "Web_1",
            "fixtures/charts/releases/app",
            "--dry-run",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("release name \"Web_1\" is invalid"),
        "{}",
        stderr(&out)
    );
    let out = ketch(
        &[
            "install",
            "web",
            "fixtures/charts/releases/app",
            "--timeout",
            "soon",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "clap usage error");
    assert!(
        stderr(&out).contains("\"soon\" is not a duration"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unknown_kube_context_lists_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kubeconfig");
    std::fs::write(
        &config,
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n\
         users: [{name: u, user: {token: x}}]\ncontexts: [{name: dev, context: {cluster: c, user: u}}]\n\
         current-context: dev\n",
    )
    .unwrap();
    let out = ketch(
        &[
            "list",
            "--kube-context",
            "prod",
            "--kubeconfig",
            config.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no context \"prod\" (contexts: dev)"),
        "{}",
        stderr(&out)
    );
}
