//! Charts in the real OCI registry (`KETCH_TEST_REGISTRY`, Debian's docker-registry) and Helm
//! (`KETCH_TEST_HELM`, built from its Go module by `tests/tools/helm`) as the peer: what one
//! pushes the other pulls, byte for byte, and Helm uses `ketch serve` as a repository.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ketch::registry::{self, RegistryError, RegistryOptions};
use serde_json::Value;

use super::install_crypto_provider;

pub(crate) fn registry_host() -> String {
    std::env::var("KETCH_TEST_REGISTRY").unwrap_or_else(|_| {
        panic!(
            "KETCH_TEST_REGISTRY is not set: start the test cluster with `tests/cluster/up`, \
             then `. target/cluster/env` (or run everything with `tests/run`)"
        )
    })
}

fn helm_binary() -> PathBuf {
    let path = std::env::var_os("KETCH_TEST_HELM").unwrap_or_else(|| {
        panic!(
            "KETCH_TEST_HELM is not set: these tests use Helm as the peer. Build it with \
             `export KETCH_TEST_HELM=$(tests/tools/helm)` (tests/run does it)"
        )
    });
    let path = PathBuf::from(path);
    assert!(
        path.is_file(),
        "KETCH_TEST_HELM={} is not a file",
        path.display()
    );
    path
}

/// A repository path of this test's own, so runs and tests never see each other's tags.
pub(crate) fn unique(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("e2e-{test}-{:x}", nanos ^ u128::from(std::process::id()))
}

fn chart_archive(name: &str, version: &str) -> Vec<u8> {
    let files = [
        (
            "Chart.yaml",
            format!(
                "apiVersion: v2\nname: {name}\nversion: {version}\ndescription: e2e chart\n\
                 home: https://example.com/{name}\nsources: [https://git.example/{name}]\n\
                 maintainers: [{{name: Ann, email: ann@example.com}}]\n\
                 annotations:\n  ketch.dev/engine: minijinja\n"
            ),
        ),
        ("values.yaml", "replicas: 1\n".to_string()),
        (
            "templates/configmap.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ release.name }}\n".to_string(),
        ),
    ];
    super::support::tar_gz(name, &files)
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", super::support::sha256_hex(bytes))
}

fn write_archive(dir: &Path, name: &str, version: &str) -> (PathBuf, Vec<u8>) {
    let bytes = chart_archive(name, version);
    let path = dir.join(format!("{name}-{version}.tgz"));
    std::fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `ketch` with its config home in `home`.
fn ketch(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ketch"))
        .args(args)
        .env("KETCH_CONFIG_HOME", home.join("ketch-config"))
        .env("DOCKER_CONFIG", home.join("docker-config"))
        .env_remove("KETCH_PUSH_TOKEN")
        .output()
        .expect("run ketch")
}

/// Helm with every directory of its own under `home`.
fn helm(home: &Path, args: &[&str]) -> Output {
    Command::new(helm_binary())
        .args(args)
        .env("HELM_CONFIG_HOME", home.join("helm-config"))
        .env("HELM_CACHE_HOME", home.join("helm-cache"))
        .env("HELM_DATA_HOME", home.join("helm-data"))
        .env(
            "HELM_REGISTRY_CONFIG",
            home.join("helm-config/registry.json"),
        )
        .env(
            "HELM_REPOSITORY_CONFIG",
            home.join("helm-config/repositories.yaml"),
        )
        .output()
        .expect("run helm")
}

/// The `Digest: sha256:...` line Helm and ketch print after a push or pull.
fn printed_digest(out: &Output) -> String {
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    all.lines()
        .find_map(|l| l.strip_prefix("Digest: "))
        .unwrap_or_else(|| panic!("no Digest line in:\n{all}"))
        .trim()
        .to_string()
}

/// The manifest the registry holds for `repository:reference`.
async fn manifest(repository: &str, reference: &str) -> Value {
    let url = format!(
        "http://{}/v2/{repository}/manifests/{reference}",
        registry_host()
    );
    let response = reqwest::Client::new()
        .get(&url)
        .header("Accept", "application/vnd.oci.image.manifest.v1+json")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert_eq!(response.status().as_u16(), 200, "GET {url}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn push_list_and_pull_by_tag_constraint_and_digest() {
    install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let host = registry_host();
    let path = unique("oci");
    let remote = format!("oci://{host}/{path}");
    let versions = ["1.0.0", "1.1.0", "1.2.0+build.3", "2.0.0-rc.1"];
    let mut archives = Vec::new();
    let mut digests = Vec::new();
    for version in versions {
        let (file, bytes) = write_archive(dir.path(), "demo", version);
        let out = ketch(dir.path(), &["push", file.to_str().unwrap(), &remote]);
        assert!(out.status.success(), "{}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let tag = version.replace('+', "_");
        assert!(
            stdout.contains(&format!("Pushed: {remote}/demo:{tag}")),
            "{stdout}"
        );
        digests.push(printed_digest(&out));
        archives.push(bytes);
    }

    // What the registry holds: Helm's media types, Chart.yaml as config, OCI annotations.
    let held = manifest(&format!("{path}/demo"), "1.2.0_build.3").await;
    assert_eq!(
        held["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(held["config"]["mediaType"], registry::CONFIG_MEDIA_TYPE);
    assert_eq!(
        held["layers"][0]["mediaType"],
        registry::CHART_LAYER_MEDIA_TYPE
    );
    assert_eq!(held["layers"][0]["digest"], sha256(&archives[2]).as_str());
    let annotations = &held["annotations"];
    assert_eq!(annotations["org.opencontainers.image.title"], "demo");
    assert_eq!(
        annotations["org.opencontainers.image.version"],
        "1.2.0+build.3"
    );
    assert_eq!(
        annotations["org.opencontainers.image.description"],
        "e2e chart"
    );
    assert_eq!(
        annotations["org.opencontainers.image.url"],
        "https://example.com/demo"
    );
    assert_eq!(
        annotations["org.opencontainers.image.source"],
        "https://git.example/demo"
    );
    assert_eq!(
        annotations["org.opencontainers.image.authors"],
        "Ann (ann@example.com)"
    );
    assert!(
        annotations["org.opencontainers.image.created"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );

    let options = RegistryOptions::default();
    let reference = format!("{remote}/demo");
    let tags = registry::tags(&reference, &options).await.unwrap();
    assert_eq!(tags, ["2.0.0-rc.1", "1.2.0+build.3", "1.1.0", "1.0.0"]);

    // No version: the highest stable one, as Helm picks it.
    let newest = registry::pull_chart(&reference, None, &options)
        .await
        .unwrap();
    assert_eq!(
        (newest.name.as_str(), newest.version.as_str()),
        ("demo", "1.2.0+build.3")
    );
    assert_eq!(newest.bytes, archives[2]);
    assert_eq!(newest.digest, digests[2]);

    let constrained = registry::pull_chart(&reference, Some("~1.1"), &options)
        .await
        .unwrap();
    assert_eq!(constrained.version, "1.1.0");
    assert_eq!(constrained.bytes, archives[1]);

    let tagged = registry::pull_chart(&format!("{reference}:1.0.0"), None, &options)
        .await
        .unwrap();
    assert_eq!(tagged.bytes, archives[0]);
    assert_eq!(tagged.digest, digests[0]);

    let by_digest = registry::pull_chart(&format!("{reference}@{}", digests[0]), None, &options)
        .await
        .unwrap();
    assert_eq!(by_digest.version, "1.0.0");
    assert_eq!(by_digest.bytes, archives[0]);

    match registry::pull_chart(&reference, Some("9.9.9"), &options).await {
        Err(RegistryError::NotFound { .. }) => {}
        other => panic!("pulling a missing version: {other:?}"),
    }
    match registry::pull_chart(&reference, Some(">5"), &options).await {
        Err(e @ RegistryError::NoMatchingVersion { .. }) => {
            assert!(
                e.to_string().contains("closest: 2.0.0-rc.1, 1.2.0+build.3"),
                "{e}"
            );
        }
        other => panic!("an unmatched constraint: {other:?}"),
    }
    match registry::pull_chart(&format!("{reference}:1.0.0"), Some("1.1.0"), &options).await {
        Err(RegistryError::VersionConflict { .. }) => {}
        other => panic!("tag and --version disagree: {other:?}"),
    }

    let out = ketch(
        dir.path(),
        &[
            "push",
            dir.path().join("demo-1.0.0.tgz").to_str().unwrap(),
            &format!("{remote}/demo:1.0.0"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("without a tag or digest"),
        "{}",
        text(&out)
    );
}

#[tokio::test]
async fn helm_push_then_ketch_pull() {
    install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let remote = format!("oci://{}/{}", registry_host(), unique("helm-push"));
    let (file, bytes) = write_archive(dir.path(), "peer", "3.0.0+meta.1");
    let out = helm(
        dir.path(),
        &["push", file.to_str().unwrap(), &remote, "--plain-http"],
    );
    assert!(out.status.success(), "helm push: {}", text(&out));
    let helm_digest = printed_digest(&out);

    let pulled = registry::pull_chart(
        &format!("{remote}/peer"),
        Some("3.0.0+meta.1"),
        &RegistryOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        pulled.bytes, bytes,
        "ketch pulled other bytes than helm pushed"
    );
    assert_eq!(pulled.digest, helm_digest);
    assert_eq!(pulled.version, "3.0.0+meta.1");
    let tags = registry::tags(&format!("{remote}/peer"), &RegistryOptions::default())
        .await
        .unwrap();
    assert_eq!(tags, ["3.0.0+meta.1"]);
}

#[tokio::test]
async fn ketch_push_then_helm_pull() {
    let dir = tempfile::tempdir().unwrap();
    let remote = format!("oci://{}/{}", registry_host(), unique("ketch-push"));
    let (file, bytes) = write_archive(dir.path(), "peer", "0.4.0+b.2");
    let out = ketch(dir.path(), &["push", file.to_str().unwrap(), &remote]);
    assert!(out.status.success(), "{}", text(&out));
    let ketch_digest = printed_digest(&out);

    let into = dir.path().join("pulled");
    std::fs::create_dir_all(&into).unwrap();
    let out = helm(
        dir.path(),
        &[
            "pull",
            &format!("{remote}/peer"),
            "--version",
            "0.4.0+b.2",
            "--plain-http",
            "-d",
            into.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "helm pull: {}", text(&out));
    assert_eq!(printed_digest(&out), ketch_digest);
    let got = std::fs::read(into.join("peer-0.4.0+b.2.tgz")).expect("helm saved the archive");
    assert_eq!(got, bytes, "helm pulled other bytes than ketch pushed");

    // Helm reads the config ketch wrote as the chart's metadata.
    let out = helm(
        dir.path(),
        &[
            "show",
            "chart",
            &format!("{remote}/peer"),
            "--version",
            "0.4.0+b.2",
            "--plain-http",
        ],
    );
    assert!(out.status.success(), "helm show chart: {}", text(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("name: peer") && shown.contains("version: 0.4.0+b.2"),
        "{shown}"
    );
}

#[test]
fn registry_login_stores_private_credentials_and_logout_forgets_them() {
    let dir = tempfile::tempdir().unwrap();
    let host = registry_host();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ketch"))
        .args(["registry", "login", &host, "-u", "ann", "--password-stdin"])
        .env("KETCH_CONFIG_HOME", dir.path().join("ketch-config"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"s3cret\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Login Succeeded"));

    let file = dir.path().join("ketch-config/registry/config.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "credentials readable by others");
    }
    let stored: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert!(
        stored["auths"][host.as_str()]["auth"].is_string(),
        "{stored}"
    );

    // Stored credentials are sent on push (this registry accepts anyone).
    let (archive, _) = write_archive(dir.path(), "authed", "1.0.0");
    let remote = format!("oci://{host}/{}", unique("login"));
    let out = ketch(dir.path(), &["push", archive.to_str().unwrap(), &remote]);
    assert!(out.status.success(), "{}", text(&out));

    let out = ketch(dir.path(), &["registry", "logout", &host]);
    assert!(out.status.success(), "{}", text(&out));
    let stored: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert!(stored["auths"].get(host.as_str()).is_none(), "{stored}");
    let out = ketch(dir.path(), &["registry", "logout", &host]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("not logged in"), "{}", text(&out));
}

/// A `ketch serve` process, killed when dropped.
pub(crate) struct Serve {
    child: Child,
    pub(crate) url: String,
}

impl Serve {
    pub(crate) fn start(storage: &Path, token_file: &Path) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ketch"))
            .args(["serve", "--addr", "127.0.0.1:0", "--storage"])
            .arg(storage)
            .arg("--token-file")
            .arg(token_file)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ketch serve");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.split("listening on ").nth(1)
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("ketch serve did not report its address");
        Serve { child, url }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn helm_uses_ketch_serve_as_a_repository() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "team-token\n").unwrap();
    let server = Serve::start(&dir.path().join("charts"), &token);
    let mut archives = Vec::new();
    for version in ["1.0.0", "1.1.0", "2.0.0-beta.1"] {
        let (file, bytes) = write_archive(dir.path(), "shared", version);
        let out = ketch(
            dir.path(),
            &[
                "push",
                file.to_str().unwrap(),
                &server.url,
                "--token",
                "team-token",
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        archives.push(bytes);
    }

    let out = helm(dir.path(), &["repo", "add", "team", &server.url]);
    assert!(out.status.success(), "helm repo add: {}", text(&out));
    let out = helm(
        dir.path(),
        &["search", "repo", "team/shared", "--versions", "--devel"],
    );
    assert!(out.status.success(), "helm search: {}", text(&out));
    let listing = String::from_utf8_lossy(&out.stdout);
    for version in ["1.0.0", "1.1.0", "2.0.0-beta.1"] {
        assert!(listing.contains(version), "{listing}");
    }

    let into = dir.path().join("pulled");
    std::fs::create_dir_all(&into).unwrap();
    let out = helm(
        dir.path(),
        &[
            "pull",
            "team/shared",
            "--version",
            "~1.0",
            "-d",
            into.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "helm pull: {}", text(&out));
    assert_eq!(
        std::fs::read(into.join("shared-1.0.0.tgz")).unwrap(),
        archives[0]
    );
    // Without --version Helm takes the newest stable version, checking the index digest.
    let out = helm(
        dir.path(),
        &["pull", "team/shared", "-d", into.to_str().unwrap()],
    );
    assert!(out.status.success(), "helm pull: {}", text(&out));
    assert_eq!(
        std::fs::read(into.join("shared-1.1.0.tgz")).unwrap(),
        archives[1]
    );

    // A delete shows up in Helm's view after `repo update`.
    let deleted = reqwest::Client::new()
        .delete(format!("{}/api/charts/shared/1.1.0", server.url))
        .bearer_auth("team-token")
        .send()
        .await
        .expect("DELETE");
    assert_eq!(deleted.status().as_u16(), 200);
    let out = helm(dir.path(), &["repo", "update", "team"]);
    assert!(out.status.success(), "helm repo update: {}", text(&out));
    let out = helm(dir.path(), &["search", "repo", "team/shared", "--versions"]);
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        !listing.contains("1.1.0") && listing.contains("1.0.0"),
        "{listing}"
    );
}
