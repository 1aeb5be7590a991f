//! Installing charts by reference on the test cluster: `REPO/CHART --version '~1.2'` from an
//! HTTP repository, `oci://...@sha256:DIGEST` from the real registry, an archive URL and
//! `--repo URL CHART`. Each release records where its chart came from (reference, version,
//! digest); a second install of the same version downloads no archive (the servers' logs say
//! so); `upgrade --reuse-values` to another version keeps the values.

use std::fs;

use k8s_openapi::api::core::v1::ConfigMap;
use serde_json::Value;

use super::deps::{registry_log, snapshot};
use super::registry::{registry_host, unique};
use super::support::{Home, Server, package_versions, sha256};
use super::{TestNamespace, client};

/// The `Digest: sha256:...` line of a push.
fn pushed_digest(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("Digest: "))
        .unwrap_or_else(|| panic!("no Digest line in:\n{stdout}"))
        .trim()
        .to_string()
}

/// `ketch status RELEASE -o json`'s `source`.
fn recorded_source(home: &Home, ns: &str, release: &str) -> Value {
    let status: Value =
        serde_json::from_str(&home.ok(&["status", release, "-n", ns, "-o", "json"])).unwrap();
    status["source"].clone()
}

/// How many times the registry's access log shows `GET path`.
fn registry_gets(path: &str) -> usize {
    let needle = format!("\"GET {path} ");
    fs::read_to_string(registry_log())
        .unwrap()
        .lines()
        .filter(|l| l.contains(&needle))
        .count()
}

fn archive_requests(server: &Server, path: &str) -> usize {
    server.requests().iter().filter(|(p, _)| p == path).count()
}

/// An HTTP repository with versions 1.2.0, 1.2.5 and 1.3.0 of `app` (archives in `home/dist`);
/// its URL.
fn team_repository(home: &Home) -> (Server, String) {
    let archives = package_versions(home, "dist", "app", &["1.2.0", "1.2.5", "1.3.0"]);
    let server = Server::start();
    for archive in &archives {
        let name = archive.file_name().unwrap().to_str().unwrap();
        server.serve_file(&format!("/charts/{name}"), archive);
    }
    let url = format!("{}/charts", server.url);
    let dist = home.path("dist");
    home.ok(&["repo", "index", dist.to_str().unwrap(), "--url", &url]);
    server.serve_file("/charts/index.yaml", &dist.join("index.yaml"));
    (server, url)
}

#[tokio::test]
async fn charts_install_by_reference_record_their_source_and_download_once() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "refs").await;
    let n = ns.name.as_str();
    let home = Home::new();
    let configmaps = ns.api::<ConfigMap>();

    let (server, url) = team_repository(&home);
    home.ok(&["repo", "add", "team", &url]);
    let dist = home.path("dist");

    // REPO/CHART with a constraint, twice: one download.
    for release in ["first", "second"] {
        home.ok(&[
            "install",
            release,
            "team/app",
            "--version",
            "~1.2",
            "-n",
            n,
            "--set",
            "message=from-repo",
        ]);
        let cm = configmaps.get(&format!("{release}-app")).await.unwrap();
        assert_eq!(cm.data.unwrap()["version"], "1.2.5");
        let source = recorded_source(&home, n, release);
        assert_eq!(source["reference"], "team/app");
        assert_eq!(source["version"], "1.2.5");
        assert_eq!(
            source["digest"],
            format!("sha256:{}", sha256(&dist.join("app-1.2.5.tgz")))
        );
    }
    assert_eq!(archive_requests(&server, "/charts/app-1.2.5.tgz"), 1);

    // upgrade --reuse-values to another version of the same reference keeps the values.
    home.ok(&[
        "upgrade",
        "first",
        "team/app",
        "--version",
        "1.3.0",
        "--reuse-values",
        "-n",
        n,
    ]);
    let data = configmaps.get("first-app").await.unwrap().data.unwrap();
    assert_eq!(
        (data["version"].as_str(), data["message"].as_str()),
        ("1.3.0", "from-repo")
    );
    let history = home.ok(&["history", "first", "-n", n]);
    assert!(
        history.contains("SOURCE") && history.contains("team/app 1.3.0 (sha256:"),
        "{history}"
    );

    // --repo URL CHART and an archive URL, without adding anything.
    home.ok(&[
        "install",
        "by-repo",
        "app",
        "--repo",
        &url,
        "--version",
        "1.2.0",
        "-n",
        n,
    ]);
    let source = recorded_source(&home, n, "by-repo");
    assert_eq!(
        (
            &source["reference"],
            &source["repository"],
            &source["version"]
        ),
        (
            &Value::from("app"),
            &Value::from(url.as_str()),
            &Value::from("1.2.0")
        )
    );
    let archive_url = format!("{url}/app-1.3.0.tgz");
    home.ok(&["install", "by-url", &archive_url, "-n", n]);
    let source = recorded_source(&home, n, "by-url");
    assert_eq!(source["reference"], archive_url.as_str());
    assert_eq!(
        source["digest"],
        format!("sha256:{}", sha256(&dist.join("app-1.3.0.tgz")))
    );

    // oci://...@sha256:MANIFEST from the real registry, twice: one blob download.
    let remote = format!("oci://{}/{}", registry_host(), unique("refs"));
    let pushed = home.ok(&[
        "push",
        dist.join("app-1.2.5.tgz").to_str().unwrap(),
        &remote,
    ]);
    let manifest = pushed_digest(&pushed);
    let repository = remote
        .trim_start_matches("oci://")
        .split_once('/')
        .unwrap()
        .1;
    let layer = format!("sha256:{}", sha256(&dist.join("app-1.2.5.tgz")));
    let blob_path = format!("/v2/{repository}/app/blobs/{layer}");
    let reference = format!("{remote}/app@{manifest}");
    // A fresh cache, so the first install downloads the blob.
    fs::remove_dir_all(home.cache().join("charts")).unwrap();
    for release in ["oci-first", "oci-second"] {
        home.ok(&["install", release, &reference, "-n", n]);
        let source = recorded_source(&home, n, release);
        assert_eq!(source["manifestDigest"], manifest.as_str());
        assert_eq!(source["digest"], layer.as_str());
        assert_eq!(source["version"], "1.2.5");
    }
    assert_eq!(registry_gets(&blob_path), 1, "GET of the chart layer");
}

/// The same command lines run with Helm and with ketch against the same servers pick the same
/// versions and save the same archives; installing from `oci://` with both deploys the same
/// version.
#[tokio::test]
async fn helm_and_ketch_resolve_the_same_references_to_the_same_archives() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "refs-helm").await;
    let n = ns.name.as_str();
    let home = Home::new();
    let (_server, url) = team_repository(&home);
    home.ok(&["repo", "add", "team", &url]);
    home.helm(&["repo", "add", "team", &url]);
    let remote = format!("oci://{}/{}", registry_host(), unique("refs-helm"));
    for version in ["1.2.0", "1.2.5"] {
        let archive = home.path(&format!("dist/app-{version}.tgz"));
        home.ok(&["push", archive.to_str().unwrap(), &remote]);
    }
    let oci = format!("{remote}/app");
    let archive_url = format!("{url}/app-1.2.0.tgz");
    let table: [&[&str]; 5] = [
        &["team/app", "--version", "~1.2"],
        &["team/app"],
        &["app", "--repo", &url, "--version", "<1.2.5"],
        &[&oci, "--version", "1.2.5", "--plain-http"],
        &[&archive_url],
    ];
    for (i, line) in table.iter().enumerate() {
        let helm_dir = home.path(&format!("helm-{i}"));
        let ketch_dir = home.path(&format!("ketch-{i}"));
        // Helm does not make its destination.
        fs::create_dir_all(&helm_dir).unwrap();
        home.helm(&[&["pull"], *line, &["-d", helm_dir.to_str().unwrap()]].concat());
        home.ok(&[&["pull"], *line, &["-d", ketch_dir.to_str().unwrap()]].concat());
        assert_eq!(snapshot(&helm_dir), snapshot(&ketch_dir), "pull {line:?}");
        assert_eq!(snapshot(&ketch_dir).len(), 1, "pull {line:?}");
    }

    // Helm installs Helm charts: a Go-template chart, pushed by ketch.
    let chart = home.path("helm-chart");
    fs::create_dir_all(chart.join("templates")).unwrap();
    fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: gochart\nversion: 2.1.0\n",
    )
    .unwrap();
    fs::write(
        chart.join("templates/configmap.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-app\n\
         data:\n  version: {{ .Chart.Version | quote }}\n",
    )
    .unwrap();
    let dist = home.path("go-dist");
    home.ok(&[
        "package",
        chart.to_str().unwrap(),
        "-d",
        dist.to_str().unwrap(),
    ]);
    let archive = dist.join("gochart-2.1.0.tgz");
    home.ok(&["push", archive.to_str().unwrap(), &remote]);
    let oci = format!("{remote}/gochart");
    let install = ["--version", "~2.1", "--plain-http", "-n", n];
    home.helm(&[&["install", "by-helm", &oci][..], &install].concat());
    home.ok(&[&["install", "by-ketch", &oci][..], &install].concat());
    let configmaps = ns.api::<ConfigMap>();
    for release in ["by-helm", "by-ketch"] {
        let cm = configmaps.get(&format!("{release}-app")).await.unwrap();
        assert_eq!(cm.data.unwrap()["version"], "2.1.0", "{release}");
    }
}
