//! A real registry that needs a login (`KETCH_TEST_AUTH_REGISTRY`: Debian's docker-registry with
//! htpasswd Basic auth, started by `tests/cluster/up`): what fails without credentials or with
//! wrong ones, and what `ketch registry login` makes work — push, tags, pull by tag and digest,
//! and `dep update` of an `oci://` dependency — until `ketch registry logout`.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

use ketch::registry::{self, CredentialStore, RegistryError, RegistryOptions};
use serde_json::Value;

use super::install_crypto_provider;
use super::registry::unique;
use super::support::{
    Home, files_in, lock_versions, package_versions, printed_digest, sha256, write_chart,
};

/// The registry's `host:port`, user and password.
pub(super) fn auth_registry() -> (String, String, String) {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!(
                "{name} is not set: start the test cluster with `tests/cluster/up`, then \
                 `. target/cluster/env` (or run everything with `tests/run`)"
            )
        })
    };
    (
        var("KETCH_TEST_AUTH_REGISTRY"),
        var("KETCH_TEST_AUTH_REGISTRY_USER"),
        var("KETCH_TEST_AUTH_REGISTRY_PASSWORD"),
    )
}

/// `ketch registry login HOST -u USER --password-stdin` with `password` on standard input.
fn login(home: &Home, host: &str, user: &str, password: &str) -> Output {
    let mut child = home
        .command(&["registry", "login", host, "-u", user, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ketch registry login");
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stored_auths(file: &Path) -> Value {
    let stored: Value = serde_json::from_slice(&fs::read(file).unwrap()).unwrap();
    stored["auths"].clone()
}

#[tokio::test]
async fn login_push_pull_and_dep_update_against_a_registry_that_needs_credentials() {
    install_crypto_provider();
    let home = Home::new();
    let (host, user, password) = auth_registry();
    let path = unique("auth");
    let remote = format!("oci://{host}/{path}");
    let archives = package_versions(&home, "dist", "private", &["1.0.0", "1.1.0"]);
    let first = archives[0].to_str().unwrap();

    // No credentials: a 401 that names the registry and says how to log in.
    let err = home.fails(&["push", first, &remote]);
    assert!(
        err.contains(&format!("{host}: access denied"))
            && err.contains("401")
            && err.contains(&format!("`ketch registry login {host}`")),
        "{err}"
    );
    let err = home.fails(&["pull", &format!("{remote}/private"), "-d", "nothing"]);
    assert!(
        err.contains("401") && err.contains("ketch registry login"),
        "{err}"
    );

    // A wrong password is refused at login and nothing is stored.
    let out = login(&home, &host, &user, "not-the-password");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("{host}: login failed"))
            && stderr(&out).contains("refused the user name or password"),
        "{}",
        stderr(&out)
    );
    let file = home.config().join("registry/config.json");
    assert!(
        !file.exists() || stored_auths(&file).get(&host).is_none(),
        "a refused login was stored"
    );

    let out = login(&home, &host, &user, &password);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Login Succeeded"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "credentials readable by others");
    }
    assert!(stored_auths(&file)[&host]["auth"].is_string());
    assert!(
        !fs::read_to_string(&file).unwrap().contains(&password),
        "the password is stored in the clear"
    );

    // With the stored credentials: push both, list them, pull by constraint, tag and digest.
    let mut digests = Vec::new();
    for archive in &archives {
        let out = home.ok(&["push", archive.to_str().unwrap(), &remote]);
        digests.push(printed_digest(&out));
    }
    let stored = RegistryOptions {
        credentials: Some(CredentialStore::at(&file)),
        ..Default::default()
    };
    let anonymous = RegistryOptions {
        credentials: Some(CredentialStore::at(home.path("no-credentials.json"))),
        ..Default::default()
    };
    let chart = format!("{remote}/private");
    assert_eq!(
        registry::tags(&chart, &stored).await.unwrap(),
        ["1.1.0", "1.0.0"]
    );
    match registry::tags(&chart, &anonymous).await {
        Err(RegistryError::Unauthorized { registry, .. }) => assert_eq!(registry, host),
        other => panic!("listing tags without credentials: {other:?}"),
    }
    let pulled = home.path("pulled");
    let pulled_arg = pulled.to_str().unwrap();
    let out = home.ok(&["pull", &chart, "--version", "^1", "-d", pulled_arg]);
    assert!(out.contains("private-1.1.0.tgz"), "{out}");
    assert_eq!(
        sha256(&pulled.join("private-1.1.0.tgz")),
        sha256(&archives[1])
    );
    fs::remove_dir_all(&pulled).unwrap();
    let out = home.ok(&["pull", &format!("{chart}:1.0.0"), "-d", pulled_arg]);
    assert_eq!(
        printed_digest(&out),
        format!("sha256:{}", sha256(&archives[0]))
    );
    fs::remove_dir_all(&pulled).unwrap();
    home.ok(&["pull", &format!("{chart}@{}", digests[1]), "-d", pulled_arg]);
    assert_eq!(files_in(&pulled), ["private-1.1.0.tgz"]);
    assert_eq!(
        sha256(&pulled.join("private-1.1.0.tgz")),
        sha256(&archives[1])
    );

    // `dep update` lists and pulls with the same stored credentials.
    let umbrella = write_chart(
        &home,
        "stack",
        "stack",
        "0.1.0",
        &format!("  - name: private\n    version: ~1.0.0\n    repository: {remote}\n"),
    );
    let out = home.ok(&["dep", "update", umbrella.to_str().unwrap()]);
    assert!(out.contains("private 1.0.0"), "{out}");
    assert_eq!(lock_versions(&umbrella), ["1.0.0"]);
    assert_eq!(
        sha256(&umbrella.join("charts/private-1.0.0.tgz")),
        sha256(&archives[0])
    );

    // Logged out, the registry refuses again.
    home.ok(&["registry", "logout", &host]);
    assert!(stored_auths(&file).get(&host).is_none());
    let err = home.fails(&["dep", "update", umbrella.to_str().unwrap()]);
    assert!(
        err.contains("401") && err.contains("ketch registry login"),
        "{err}"
    );
}
