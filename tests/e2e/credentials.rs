//! Registry credentials as Docker, Podman and Helm users keep them, against the registry that
//! needs a login (`KETCH_TEST_AUTH_REGISTRY`): a Docker credential helper
//! (`docker-credential-ketchtest`, a shell script on PATH) named by `credHelpers` or
//! `credsStore` in `$DOCKER_CONFIG/config.json`, Helm's registry config and
//! `$REGISTRY_AUTH_FILE`; push and pull work without `ketch registry login` (and Helm, given the
//! same Docker config, pulls the same archive), and a helper that fails, prints garbage or is
//! missing is an error that names it and the registry.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use base64::Engine;
use serde_json::json;

use super::auth_registry::auth_registry;
use super::registry::unique;
use super::support::{Home, failed, package_versions, sha256, succeeded};

/// A Docker credential helper in `home/bin` that answers as `home/bin/mode` says: `ok` (the
/// registry's user and password), `none` (not found), `fail` (exit 3) or `garbage`. Every
/// server it is asked about is appended to `home/bin/asked`.
fn write_helper(home: &Home, user: &str, password: &str) -> PathBuf {
    let bin = home.path("bin");
    fs::create_dir_all(&bin).unwrap();
    let script = format!(
        r#"#!/bin/sh
here=$(dirname "$0")
[ "$1" = get ] || {{ echo "unsupported: $1" >&2; exit 1; }}
read -r server
echo "$server" >> "$here/asked"
case "$(cat "$here/mode")" in
  ok) printf '{{"ServerURL":"%s","Username":"{user}","Secret":"{password}"}}\n' "$server" ;;
  none) echo "credentials not found in native keychain"; exit 1 ;;
  fail) echo "the keychain is locked" >&2; exit 3 ;;
  *) echo "this is not json" ;;
esac
"#
    );
    let path = bin.join("docker-credential-ketchtest");
    fs::write(&path, script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }
    set_mode(home, "ok");
    bin
}

fn set_mode(home: &Home, mode: &str) {
    fs::write(home.path("bin/mode"), mode).unwrap();
}

fn write_json(path: &Path, value: serde_json::Value) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, serde_json::to_vec_pretty(&value).unwrap()).unwrap();
}

/// ketch with the helper's directory first on PATH.
fn ketch(home: &Home, args: &[&str]) -> Output {
    let path = std::env::var("PATH").unwrap_or_default();
    home.command(args)
        .env("PATH", format!("{}:{path}", home.path("bin").display()))
        .output()
        .expect("run ketch")
}

fn ok(home: &Home, args: &[&str]) -> String {
    succeeded(args, ketch(home, args))
}

fn fails(home: &Home, args: &[&str]) -> String {
    failed(args, ketch(home, args))
}

#[test]
fn a_credential_helper_named_by_docker_config_logs_push_and_pull_in() {
    let home = Home::new();
    let (host, user, password) = auth_registry();
    write_helper(&home, &user, &password);
    let docker_config = home.path("docker/config.json");
    write_json(
        &docker_config,
        json!({"auths": {}, "credHelpers": {host.clone(): "ketchtest"}}),
    );
    let remote = format!("oci://{host}/{}", unique("helper"));
    let archives = package_versions(&home, "dist", "helped", &["1.0.0"]);
    let archive = archives[0].to_str().unwrap();

    ok(&home, &["push", archive, &remote]);
    let chart = format!("{remote}/helped");
    ok(&home, &["pull", &chart, "--version", "1.0.0", "-d", "out"]);
    assert_eq!(
        sha256(&home.path("out/helped-1.0.0.tgz")),
        sha256(&archives[0])
    );
    // Helm, given the same Docker config and helper, pulls the same archive.
    let path = std::env::var("PATH").unwrap_or_default();
    fs::create_dir_all(home.path("helm-out")).unwrap();
    let args = [
        "pull",
        &chart,
        "--version",
        "1.0.0",
        "-d",
        "helm-out",
        "--plain-http",
    ];
    let out = home
        .helm_command(&args)
        .env("DOCKER_CONFIG", home.path("docker"))
        .env("PATH", format!("{}:{path}", home.path("bin").display()))
        .output()
        .expect("run helm");
    succeeded(&args, out);
    assert_eq!(
        sha256(&home.path("helm-out/helped-1.0.0.tgz")),
        sha256(&archives[0])
    );
    let asked = fs::read_to_string(home.path("bin/asked")).unwrap();
    assert!(
        asked.lines().all(|l| l == host) && !asked.is_empty(),
        "{asked}"
    );
    assert!(
        !home.config().join("registry/config.json").exists(),
        "nothing was stored by ketch"
    );

    // credsStore: the helper for every registry.
    write_json(&docker_config, json!({"credsStore": "ketchtest"}));
    ok(&home, &["pull", &chart, "-d", "store"]);

    // A helper that fails, prints garbage, or is not there: errors naming it and the registry.
    set_mode(&home, "fail");
    let err = fails(&home, &["pull", &chart, "-d", "failed"]);
    assert!(
        err.contains(&format!(
            "{host}: credential helper docker-credential-ketchtest"
        )) && err.contains(docker_config.to_str().unwrap())
            && err.contains("the keychain is locked"),
        "{err}"
    );
    set_mode(&home, "garbage");
    let err = fails(&home, &["pull", &chart, "-d", "failed"]);
    assert!(
        err.contains("docker-credential-ketchtest")
            && err.contains(&host)
            && err.contains("not the credential-helper JSON"),
        "{err}"
    );
    write_json(
        &docker_config,
        json!({"credHelpers": {host.clone(): "not-installed"}}),
    );
    let err = fails(&home, &["pull", &chart, "-d", "failed"]);
    assert!(
        err.contains(&format!(
            "{host}: credential helper docker-credential-not-installed"
        )) && err.contains("not on PATH"),
        "{err}"
    );
    // "Not found": no credential, so the registry's 401.
    write_json(&docker_config, json!({"credsStore": "ketchtest"}));
    set_mode(&home, "none");
    let err = fails(&home, &["pull", &chart, "-d", "failed"]);
    assert!(
        err.contains("access denied") && err.contains("401"),
        "{err}"
    );
    assert!(!home.path("failed").exists());
}

#[test]
fn helm_registry_config_and_registry_auth_file_are_read() {
    let home = Home::new();
    let (host, user, password) = auth_registry();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let auths = json!({"auths": {host.clone(): {"auth": auth}}});
    let remote = format!("oci://{host}/{}", unique("files"));
    let archives = package_versions(&home, "dist", "filed", &["1.0.0"]);
    let archive = archives[0].to_str().unwrap();
    let chart = format!("{remote}/filed");

    // Helm's registry config (Home points HELM_REGISTRY_CONFIG at helm/config/registry).
    let helm_config = home.path("helm/config/registry/config.json");
    write_json(&helm_config, auths.clone());
    ok(&home, &["push", archive, &remote]);
    fs::remove_file(&helm_config).unwrap();
    fails(&home, &["pull", &chart, "-d", "anonymous"]);

    // Podman's auth file.
    let podman = home.path("containers/auth.json");
    write_json(&podman, auths);
    let args = ["pull", &chart, "-d", "podman"];
    let out = home
        .command(&args)
        .env("REGISTRY_AUTH_FILE", &podman)
        .output();
    succeeded(&args, out.expect("run ketch"));
    assert_eq!(
        sha256(&home.path("podman/filed-1.0.0.tgz")),
        sha256(&archives[0])
    );
}
