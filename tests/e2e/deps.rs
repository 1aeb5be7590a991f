//! Chart dependencies end to end: an umbrella chart depending on charts served by `ketch serve`
//! (one through an added repository `@name`, one by URL) and on one in the real OCI registry
//! resolves, locks, builds again from the lock with every server gone (from the archive cache
//! alone), renders, and refuses a cached archive that was altered.

use std::fs;
use std::path::{Path, PathBuf};

use super::registry::{Serve, registry_host, unique};
use super::support::{
    self, Home, files_in, lock_versions, locked, package_versions, sha256, write_chart,
};

/// The registry's access log (`tests/cluster/up` exports its path).
pub(super) fn registry_log() -> PathBuf {
    PathBuf::from(std::env::var_os("KETCH_TEST_REGISTRY_LOG").unwrap_or_else(|| {
        panic!(
            "KETCH_TEST_REGISTRY_LOG is not set: start the test cluster with `tests/cluster/up`, \
             then `. target/cluster/env`"
        )
    }))
}

/// How many requests for repositories under `path` the registry has logged.
fn registry_requests(path: &str) -> usize {
    let needle = format!(" /v2/{path}/");
    fs::read_to_string(registry_log())
        .unwrap()
        .lines()
        .filter(|l| l.contains(&needle))
        .count()
}

/// The file names in `dir` with their sha256.
pub(super) fn snapshot(dir: &Path) -> Vec<(String, String)> {
    files_in(dir)
        .into_iter()
        .map(|f| {
            let hash = sha256(&dir.join(&f));
            (f, hash)
        })
        .collect()
}

#[test]
fn umbrella_locks_builds_offline_from_the_cache_and_refuses_a_tampered_archive() {
    let home = Home::new();
    let token = home.path("token");
    fs::write(&token, "team-token\n").unwrap();
    // Two servers: `web` from one added as `@team`, `worker` from one known only by its URL.
    let team = Serve::start(&home.path("serve-team"), &token);
    let other = Serve::start(&home.path("serve-other"), &token);
    let web = package_versions(&home, "dist", "web", &["1.0.0", "1.1.0", "1.2.0", "2.0.0"]);
    let worker = package_versions(
        &home,
        "dist",
        "worker",
        &["0.1.0", "0.2.0", "0.2.1", "1.0.0"],
    );
    let model = package_versions(
        &home,
        "dist",
        "model",
        &["0.9.0", "1.0.0", "1.3.0", "2.0.0-rc.1"],
    );
    let push = |archives: &[PathBuf], to: &str| {
        for archive in archives {
            let path = archive.to_str().unwrap();
            if to.starts_with("oci://") {
                home.ok(&["push", path, to]);
            } else {
                home.ok(&["push", path, to, "--token", "team-token"]);
            }
        }
    };
    push(&web, &team.url);
    push(&worker, &other.url);
    let oci_path = unique("deps");
    let oci = format!("oci://{}/{oci_path}", registry_host());
    push(&model, &oci);
    home.ok(&["repo", "add", "team", &team.url]);

    let dependencies = format!(
        "  - name: web\n    version: ^1.0\n    repository: '@team'\n\
         \x20 - name: worker\n    version: '>=0.2.0 <1.0.0'\n    repository: {}\n\
         \x20 - name: model\n    version: ~1.0 || ^1.3\n    repository: {oci}\n",
        other.url
    );
    let umbrella = write_chart(&home, "stack", "stack", "0.1.0", &dependencies);
    let stack = umbrella.to_str().unwrap();

    let out = home.ok(&["dep", "update", stack]);
    assert!(out.contains("web 1.2.0 from @team (downloaded)"), "{out}");
    assert!(out.contains("worker 0.2.1"), "{out}");
    assert!(out.contains("model 1.3.0"), "{out}");
    assert_eq!(lock_versions(&umbrella), ["1.2.0", "0.2.1", "1.3.0"]);
    let published = [&web[2], &worker[2], &model[2]];
    let expected: Vec<String> = published
        .iter()
        .map(|p| format!("sha256:{}", sha256(p)))
        .collect();
    assert_eq!(locked(&umbrella, "digest"), expected);
    let charts = umbrella.join("charts");
    assert_eq!(
        files_in(&charts),
        ["model-1.3.0.tgz", "web-1.2.0.tgz", "worker-0.2.1.tgz"]
    );
    for archive in published {
        let name = archive.file_name().unwrap();
        assert_eq!(
            fs::read(charts.join(name)).unwrap(),
            fs::read(archive).unwrap(),
            "{name:?} differs from what was published"
        );
    }

    // A second checkout holds Chart.yaml, Chart.lock and templates only; both chart servers are
    // gone, and the registry must not be asked either.
    drop(team);
    drop(other);
    let checkout = home.path("checkout");
    support::checkout(&umbrella, &checkout);
    let checkout_arg = checkout.to_str().unwrap();
    let asked_before = registry_requests(&oci_path);
    assert!(asked_before > 0, "the registry's access log shows no push");
    let out = home.ok(&["dep", "build", checkout_arg]);
    for line in ["web 1.2.0", "worker 0.2.1", "model 1.3.0"] {
        assert!(
            out.contains(&format!("{line} from ")),
            "{line} missing:\n{out}"
        );
    }
    assert_eq!(
        out.matches("(from the archive cache)").count(),
        3,
        "not all from the cache:\n{out}"
    );
    assert_eq!(
        registry_requests(&oci_path),
        asked_before,
        "dep build asked the registry although the archive was cached"
    );
    assert_eq!(snapshot(&checkout.join("charts")), snapshot(&charts));

    let rendered = home.ok(&["template", "r", checkout_arg]);
    for (name, version) in [("web", "1.2.0"), ("worker", "0.2.1"), ("model", "1.3.0")] {
        assert!(
            rendered.contains(&format!("name: r-{name}"))
                && rendered.contains(&format!("version: \"{version}\"")),
            "{name} {version} not rendered:\n{rendered}"
        );
    }

    // An altered cached archive is refused by its digest, and charts/ stays as it was.
    let web_sha = sha256(published[0]);
    let cached = home.cache().join(format!("charts/sha256/{web_sha}.tgz"));
    let mut bytes = fs::read(&cached).unwrap();
    bytes.extend_from_slice(b"tampered");
    fs::write(&cached, &bytes).unwrap();
    let before = snapshot(&checkout.join("charts"));
    let err = home.fails(&["dep", "build", checkout_arg]);
    assert!(err.contains(&format!("sha256:{web_sha}")), "{err}");
    assert!(
        err.contains("dependency \"web\"") && err.contains("altered"),
        "{err}"
    );
    assert!(err.contains(cached.to_str().unwrap()), "{err}");
    assert_eq!(snapshot(&checkout.join("charts")), before);
}

#[tokio::test]
async fn install_with_dependency_update_deploys_the_subchart_it_fetched() {
    let client = super::client().await;
    let ns = super::TestNamespace::new(&client, "deps").await;
    let home = Home::new();
    let model = package_versions(&home, "dist", "model", &["1.0.0", "1.1.0"]);
    let oci_path = unique("deps-install");
    let oci = format!("oci://{}/{oci_path}", registry_host());
    for archive in &model {
        home.ok(&["push", archive.to_str().unwrap(), &oci]);
    }
    let umbrella = write_chart(
        &home,
        "stack",
        "stack",
        "0.1.0",
        &format!("  - name: model\n    version: ~1.0.0\n    repository: {oci}\n"),
    );

    home.ok(&[
        "install",
        "r",
        umbrella.to_str().unwrap(),
        "-n",
        &ns.name,
        "--dependency-update",
    ]);
    assert_eq!(lock_versions(&umbrella), ["1.0.0"]);
    assert_eq!(files_in(&umbrella.join("charts")), ["model-1.0.0.tgz"]);
    let configmaps: kube::Api<k8s_openapi::api::core::v1::ConfigMap> = ns.api();
    for (name, version) in [("r-stack", "0.1.0"), ("r-model", "1.0.0")] {
        let cm = configmaps
            .get(name)
            .await
            .unwrap_or_else(|e| panic!("{name} not in the cluster: {e}"));
        let data = cm.data.unwrap_or_default();
        assert_eq!(data.get("version").map(String::as_str), Some(version));
    }
}
