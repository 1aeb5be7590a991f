//! Charts given by reference to the commands that take a chart (`template`, `show`, `lint`):
//! `REPO/CHART --version`, `--repo URL CHART` and an archive URL, served by a real HTTP server
//! on 127.0.0.1. An archive whose digest the index gives is downloaded once, then read from the
//! archive cache; what is refused leaves nothing in the cache.

use std::fs;

use super::support::{self, Home, Server, files_in, sha256};

/// A repository holding the demo chart at `versions`, added as `demo`; its URL.
fn demo_repository(home: &Home, versions: &[&str]) -> (Server, String) {
    let server = support::demo_repository(home, versions);
    let url = format!("{}/charts", server.url);
    home.ok(&["repo", "add", "demo", &url]);
    (server, url)
}

/// How many times the server was asked for `path`.
fn requests_for(server: &Server, path: &str) -> usize {
    server.requests().iter().filter(|(p, _)| p == path).count()
}

fn shown_version(chart_yaml: &str) -> &str {
    chart_yaml
        .lines()
        .find_map(|l| l.strip_prefix("version: "))
        .map(|v| v.trim_matches('"'))
        .unwrap_or_else(|| panic!("no version in:\n{chart_yaml}"))
}

#[test]
fn a_repository_reference_resolves_its_version_and_is_downloaded_once() {
    let home = Home::new();
    let (server, _) = demo_repository(&home, &["1.0.0", "1.2.3", "1.3.0", "2.0.0"]);

    let shown = home.ok(&["show", "chart", "demo/demo", "--version", "~1.2"]);
    assert_eq!(shown_version(&shown), "1.2.3");
    let rendered = home.ok(&["template", "r", "demo/demo", "--version", "~1.2"]);
    let local = home.path("published/demo-1.2.3.tgz");
    assert_eq!(
        rendered,
        home.ok(&["template", "r", local.to_str().unwrap()])
    );
    home.ok(&["lint", "demo/demo", "--version", "~1.2"]);
    // One download for the three commands: the index's digest found it in the cache.
    assert_eq!(requests_for(&server, "/charts/demo-1.2.3.tgz"), 1);
    let cached = files_in(&home.cache().join("charts").join("sha256"));
    assert_eq!(cached.len(), 1, "{cached:?}");

    // Without --version: the newest stable version.
    let shown = home.ok(&["show", "chart", "demo/demo"]);
    assert_eq!(shown_version(&shown), "2.0.0");
}

#[test]
fn a_repository_url_and_an_archive_url_work_without_adding_anything() {
    let home = Home::new();
    let (server, url) = demo_repository(&home, &["1.0.0", "1.1.0"]);
    home.ok(&["repo", "remove", "demo"]);

    let by_repo = ["show", "chart", "demo", "--repo", &url];
    assert_eq!(shown_version(&home.ok(&by_repo)), "1.1.0");
    let pinned = [&by_repo[..], &["--version", "1.0.0"]].concat();
    assert_eq!(shown_version(&home.ok(&pinned)), "1.0.0");
    assert_eq!(shown_version(&home.ok(&pinned)), "1.0.0");
    // The index is read every time, as Helm does; the archive once.
    assert_eq!(
        requests_for(&server, "/charts/index.yaml"),
        4,
        "repo add fetched it once"
    );
    assert_eq!(requests_for(&server, "/charts/demo-1.0.0.tgz"), 1);

    let url = format!("{url}/demo-1.1.0.tgz");
    let rendered = home.ok(&["template", "r", &url]);
    let local = home.path("published/demo-1.1.0.tgz");
    assert_eq!(
        rendered,
        home.ok(&["template", "r", local.to_str().unwrap()])
    );
    // A URL promises no digest: downloaded again, unless --verify-digest names one the cache has.
    home.ok(&["template", "r", &url]);
    let pinned = format!("sha256:{}", sha256(&local));
    home.ok(&["template", "r", &url, "--verify-digest", &pinned]);
    // `--repo` without --version fetched 1.1.0 once, then the two bare URLs.
    assert_eq!(requests_for(&server, "/charts/demo-1.1.0.tgz"), 3);
    let wrong = format!("sha256:{}", "1".repeat(64));
    let err = home.fails(&["template", "r", &url, "--verify-digest", &wrong]);
    assert!(err.contains("digest mismatch"), "{err}");
}

#[test]
fn bad_references_say_what_is_wrong_and_cache_nothing() {
    let home = Home::new();
    let (server, _) = demo_repository(&home, &["1.0.0", "1.2.3"]);
    let cache = home.cache().join("charts").join("sha256");

    let err = home.fails(&["template", "nosuch/demo"]);
    assert!(
        err.contains("no repository \"nosuch\" is added") && err.contains("ketch repo add"),
        "{err}"
    );
    let err = home.fails(&["template", "./missing-chart"]);
    assert!(
        err.contains("\"./missing-chart\": no such chart directory or archive"),
        "{err}"
    );
    let err = home.fails(&["template", "demo/demo", "--version", ">=3.0.0"]);
    assert!(
        err.contains("demo/demo: no version matches \">=3.0.0\"") && err.contains("1.2.3, 1.0.0"),
        "{err}"
    );
    let err = home.fails(&["template", "demo/nothing"]);
    assert!(
        err.contains("chart \"nothing\" not found in repository \"demo\""),
        "{err}"
    );
    let err = home.fails(&["template", "demo/demo", "--version", "not a version"]);
    assert!(err.contains("--version \"not a version\""), "{err}");

    // An archive that does not match the index's digest.
    let index = fs::read_to_string(home.path("published/index.yaml")).unwrap();
    let digest = index
        .lines()
        .find_map(|l| l.trim().strip_prefix("digest: "))
        .unwrap()
        .to_string();
    server.serve(
        "/charts/index.yaml",
        200,
        index.replace(&digest, &"0".repeat(64)),
    );
    home.ok(&["repo", "update"]);
    let err = home.fails(&["template", "demo/demo"]);
    assert!(err.contains("digest mismatch"), "{err}");
    assert!(files_in(&cache).is_empty(), "{:?}", files_in(&cache));

    // An unreachable host names the URL.
    let err = home.fails(&["template", "http://127.0.0.1:9/demo-1.0.0.tgz"]);
    assert!(err.contains("127.0.0.1:9"), "{err}");
    assert!(files_in(&cache).is_empty(), "{:?}", files_in(&cache));
}
