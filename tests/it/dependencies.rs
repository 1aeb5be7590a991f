//! `dep update|build|list` over real HTTP and local charts: resolution, Chart.lock,
//! the archive cache, offline builds, bad input, and agreement with Helm on the
//! versions it picks.

use std::fs;
use std::path::Path;

use crate::support::{
    self, Home, Server, files_in, lock_versions, package_versions, sha256, write_chart,
};

/// Publishes `name` at each of `versions` on `server` under /charts, with an index.
fn publish(home: &Home, server: &Server, charts: &[(&str, &[&str])]) -> String {
    let published = home.path("published");
    for (name, versions) in charts {
        for archive in package_versions(home, "published", name, versions) {
            let file = archive.file_name().unwrap().to_str().unwrap();
            server.serve_file(&format!("/charts/{file}"), &archive);
        }
    }
    let url = format!("{}/charts", server.url);
    home.ok(&["repo", "index", published.to_str().unwrap(), "--url", &url]);
    server.serve_file("/charts/index.yaml", &published.join("index.yaml"));
    url
}

fn lock_field(chart: &Path, field: &str) -> String {
    let lock: serde_json::Value = ketch::yaml::parse(
        &fs::read_to_string(chart.join("Chart.lock")).unwrap(),
        "lock",
    )
    .unwrap();
    lock[field].as_str().unwrap().to_string()
}

#[test]
fn file_dependencies_lock_list_and_build_again() {
    let home = Home::new();
    write_chart(&home, "web", "web", "1.2.0", "");
    write_chart(&home, "worker", "worker", "0.3.0", "");
    let umbrella = write_chart(
        &home,
        "stack",
        "stack",
        "0.1.0",
        "  - name: web\n    version: ^1.0\n    repository: file://../web\n  \
         - name: worker\n    version: '>=0.3.0 <1.0.0'\n    repository: file://../worker\n",
    );
    let stack = umbrella.to_str().unwrap();

    let out = home.ok(&["dep", "list", stack]);
    assert!(out.contains("out of date"), "{out}");
    let out = home.ok(&["dep", "update", stack]);
    assert!(out.contains("web 1.2.0"), "{out}");
    assert_eq!(
        files_in(&umbrella.join("charts")),
        ["web-1.2.0.tgz", "worker-0.3.0.tgz"]
    );
    assert_eq!(lock_versions(&umbrella), ["1.2.0", "0.3.0"]);
    let list = home.ok(&["dep", "list", stack, "-o", "json"]);
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list[0]["status"], "ok");
    assert_eq!(list[1]["locked"], "0.3.0");
    let rendered = home.ok(&["template", "r", stack]);
    assert!(rendered.contains("name: r-web") && rendered.contains("name: r-worker"));

    // A second update with nothing changed keeps the lock as it is.
    let lock_before = fs::read(umbrella.join("Chart.lock")).unwrap();
    home.ok(&["dep", "update", stack]);
    assert_eq!(fs::read(umbrella.join("Chart.lock")).unwrap(), lock_before);

    // build restores exactly the locked archives.
    let digest = sha256(&umbrella.join("charts/web-1.2.0.tgz"));
    fs::remove_dir_all(umbrella.join("charts")).unwrap();
    assert!(home.ok(&["dep", "list", stack]).contains("missing"));
    home.ok(&["dep", "build", stack]);
    assert_eq!(sha256(&umbrella.join("charts/web-1.2.0.tgz")), digest);

    // Another web 1.2.0 swapped in charts/ shows as a digest mismatch.
    let other = write_chart(&home, "other-web", "web", "1.2.0", "");
    fs::write(other.join("values.yaml"), "message: other\n").unwrap();
    home.ok(&["package", other.to_str().unwrap(), "-d", "other"]);
    fs::copy(
        home.path("other/web-1.2.0.tgz"),
        umbrella.join("charts/web-1.2.0.tgz"),
    )
    .unwrap();
    let out = home.ok(&["dep", "list", stack]);
    assert!(out.contains("digest mismatch"), "{out}");
    home.ok(&["dep", "build", stack]);
    assert_eq!(sha256(&umbrella.join("charts/web-1.2.0.tgz")), digest);

    // A local chart changed since the lock: build refuses, update locks the new content.
    fs::write(home.path("web/values.yaml"), "message: changed\n").unwrap();
    let err = home.fails(&["dep", "build", stack]);
    assert!(
        err.contains("changed since Chart.lock was written") && err.contains("dep update"),
        "{err}"
    );
    assert_eq!(sha256(&umbrella.join("charts/web-1.2.0.tgz")), digest);
    home.ok(&["dep", "update", stack]);
    assert_ne!(sha256(&umbrella.join("charts/web-1.2.0.tgz")), digest);

    // Chart.yaml edited after the lock: the lock is out of date, and build says so.
    let chart_yaml = fs::read_to_string(umbrella.join("Chart.yaml")).unwrap();
    fs::write(
        umbrella.join("Chart.yaml"),
        chart_yaml.replace("version: ^1.0", "version: ^1.1"),
    )
    .unwrap();
    assert!(home.ok(&["dep", "list", stack]).contains("out of date"));
    let before = files_in(&umbrella.join("charts"));
    let err = home.fails(&["dep", "build", stack]);
    assert!(
        err.contains("Chart.lock is out of date") && err.contains("ketch dep update"),
        "{err}"
    );
    assert_eq!(files_in(&umbrella.join("charts")), before);
}

#[test]
fn repository_dependencies_resolve_from_cached_indexes_and_build_offline() {
    let home = Home::new();
    let server = Server::start();
    let url = publish(
        &home,
        &server,
        &[
            ("web", &["1.0.0", "1.2.0", "1.3.0-rc.1", "2.0.0"]),
            ("worker", &["0.1.0", "0.1.4", "0.2.0"]),
        ],
    );
    home.ok(&["repo", "add", "stable", &url]);
    let deps = format!(
        "  - name: web\n    version: ^1.0\n    repository: '@stable'\n  \
         - name: worker\n    version: ~0.1\n    repository: {url}/\n"
    );
    let umbrella = write_chart(&home, "stack", "stack", "0.1.0", &deps);
    let stack = umbrella.to_str().unwrap();
    let out = home.ok(&["dep", "update", stack]);
    assert!(out.contains("downloaded"), "{out}");
    assert_eq!(lock_versions(&umbrella), ["1.2.0", "0.1.4"]);
    assert_eq!(
        files_in(&umbrella.join("charts")),
        ["web-1.2.0.tgz", "worker-0.1.4.tgz"]
    );
    assert_eq!(
        sha256(&umbrella.join("charts/web-1.2.0.tgz")),
        sha256(&home.path("published/web-1.2.0.tgz"))
    );

    // The server goes away: the cached indexes and archives are all update and build need.
    server.clear();
    let out = home.ok(&["dep", "update", stack]);
    assert!(out.contains("from the archive cache"), "{out}");
    let err = home.fails(&["dep", "update", stack, "--refresh"]);
    assert!(err.contains(&format!("{url}/index.yaml")), "{err}");

    // A second checkout: Chart.yaml and Chart.lock only.
    let checkout = home.path("checkout");
    support::checkout(&umbrella, &checkout);
    let second = checkout.to_str().unwrap();
    let out = home.ok(&["dep", "build", second]);
    assert_eq!(out.matches("from the archive cache").count(), 2, "{out}");
    let rendered = home.ok(&["template", "r", second]);
    assert!(rendered.contains("version: \"1.2.0\"") && rendered.contains("name: r-worker"));

    // A cached archive altered behind ketch's back is refused, naming the digest.
    let web_digest = sha256(&home.path("published/web-1.2.0.tgz"));
    let cached = home.cache().join(format!("charts/sha256/{web_digest}.tgz"));
    let worker = home.path("published/worker-0.1.4.tgz");
    fs::copy(&worker, &cached).unwrap();
    fs::remove_dir_all(checkout.join("charts")).unwrap();
    let err = home.fails(&["dep", "build", second]);
    assert!(
        err.contains(&format!("sha256:{web_digest}")) && err.contains("altered"),
        "{err}"
    );
    assert!(!checkout.join("charts").exists(), "nothing written");
}

#[test]
fn bad_dependencies_fail_clearly_and_leave_charts_unchanged() {
    let home = Home::new();
    let server = Server::start();
    let url = publish(&home, &server, &[("web", &["1.0.0", "1.1.0", "2.0.0"])]);
    let with = |dir: &str, deps: &str| {
        let chart = write_chart(&home, dir, "stack", "0.1.0", deps);
        fs::create_dir_all(chart.join("charts")).unwrap();
        fs::write(chart.join("charts/keep.txt"), "").unwrap();
        chart
    };
    let refused = |chart: &Path, expected: &[&str]| {
        let err = home.fails(&["dep", "update", chart.to_str().unwrap()]);
        for part in expected {
            assert!(err.contains(part), "expected {part:?} in:\n{err}");
        }
        assert_eq!(files_in(&chart.join("charts")), ["keep.txt"], "{err}");
        assert!(!chart.join("Chart.lock").exists());
    };

    let chart = with(
        "unknown",
        "  - name: web\n    version: ^1\n    repository: '@nope'\n",
    );
    refused(
        &chart,
        &["no repository named \"nope\"", "ketch repo add nope"],
    );

    let chart = with(
        "nomatch",
        &format!("  - name: web\n    version: ^3.0\n    repository: {url}\n"),
    );
    refused(
        &chart,
        &["no version in", "satisfies \"^3.0\"", "2.0.0, 1.1.0, 1.0.0"],
    );

    let chart = with(
        "badconstraint",
        &format!("  - name: web\n    version: '>= bar'\n    repository: {url}\n"),
    );
    refused(&chart, &["dependency \"web\": version \">= bar\""]);

    let chart = with(
        "missing",
        &format!("  - name: nothere\n    version: ^1\n    repository: {url}\n"),
    );
    refused(&chart, &["has no chart \"nothere\""]);

    write_chart(
        &home,
        "a",
        "a",
        "1.0.0",
        "  - name: b\n    version: ^1\n    repository: file://../b\n",
    );
    write_chart(
        &home,
        "b",
        "b",
        "1.0.0",
        "  - name: a\n    version: ^1\n    repository: file://../a\n",
    );
    let chart = with(
        "cycle",
        "  - name: a\n    version: ^1\n    repository: file://../a\n",
    );
    refused(&chart, &["dependency cycle", "a -> b -> a"]);

    // A repository serving web 1.0.0's archive where its index (with `digest_of`'s digest)
    // promises `version`; the dependency asks for exactly `version`.
    let published = home.path("published");
    let impostor = |dir: &str, version: &str, digest_of: &str| {
        let fake = Server::start();
        fake.serve_file(
            &format!("/charts/web-{version}.tgz"),
            &published.join("web-1.0.0.tgz"),
        );
        let index = fs::read_to_string(published.join("index.yaml"))
            .unwrap()
            .replace(
                &sha256(&published.join(format!("web-{version}.tgz"))),
                &sha256(&published.join(digest_of)),
            )
            .replace(&server.url, &fake.url);
        fake.serve("/charts/index.yaml", 200, index);
        let deps = format!(
            "  - name: web\n    version: ={version}\n    repository: {}/charts\n",
            fake.url
        );
        (with(dir, &deps), fake)
    };
    // The index's digest matches the archive, but the archive is another version.
    let (chart, _fake) = impostor("liar", "1.1.0", "web-1.0.0.tgz");
    refused(
        &chart,
        &["holds chart web 1.0.0, but web 1.1.0 was asked for"],
    );
    // The archive does not match the index's digest.
    let (chart, _fake) = impostor("digest", "2.0.0", "web-2.0.0.tgz");
    refused(
        &chart,
        &[
            "digest mismatch",
            &sha256(&published.join("web-2.0.0.tgz")),
            "the repository index",
        ],
    );

    // A directory in charts/ holding a chart dep update would add as an archive.
    let chart = with(
        "vendored",
        &format!("  - name: web\n    version: ^1\n    repository: {url}\n"),
    );
    write_chart(&home, "vendored/charts/web", "web", "1.0.0", "");
    let err = home.fails(&["dep", "update", chart.to_str().unwrap()]);
    assert!(err.contains("holds \"web\" unpacked"), "{err}");
    assert_eq!(files_in(&chart.join("charts")), ["keep.txt", "web"]);
}

/// Helm's `dependency update` and ketch's pick the same versions for the same constraints and
/// index, and write the same lock digest (Helm's hash of Chart.yaml and the lock).
#[test]
fn helm_and_ketch_pick_the_same_versions() {
    let home = Home::new();
    let server = Server::start();
    let url = publish(
        &home,
        &server,
        &[(
            "web",
            &[
                "0.9.0",
                "1.0.0",
                "1.0.1",
                "1.1.0",
                "1.2.0-beta.1",
                "1.2.0",
                "1.10.3",
                "2.0.0-rc.1",
                "2.0.0",
                "2.1.0",
                "3.0.0",
            ],
        )],
    );
    let constraints = [
        "^1.0.0",
        "~1.0",
        ">=1.1 <2",
        "1.x",
        "*",
        ">=2.0.0-0",
        "<=1.2.0",
        "!=3.0.0",
        "1.0 - 1.2",
        "^0.9",
        ">1.2.0, <3",
        "~2.0.0-rc.1",
        "2.0.0-rc.1 || 1.0.1",
        "=1.10.3",
        "~1.2.0-0",
        "<1.0.0 || >=2.1",
        "1.2",
        "v1.1",
    ];
    let mut deps = String::new();
    for (i, constraint) in constraints.iter().enumerate() {
        deps.push_str(&format!(
            "  - name: web\n    alias: web{i}\n    version: '{constraint}'\n    repository: {url}\n"
        ));
    }
    let ours = write_chart(&home, "ketch-stack", "stack", "0.1.0", &deps);
    let theirs = write_chart(&home, "helm-stack", "stack", "0.1.0", &deps);
    home.ok(&["dep", "update", ours.to_str().unwrap()]);
    home.helm(&["dependency", "update", theirs.to_str().unwrap()]);
    let (ketch, helm) = (lock_versions(&ours), lock_versions(&theirs));
    for ((constraint, k), h) in constraints.iter().zip(&ketch).zip(&helm) {
        assert_eq!(
            k, h,
            "constraint {constraint:?}: ketch picked {k}, helm {h}"
        );
    }
    assert_eq!(ketch.len(), constraints.len());
    assert_eq!(lock_field(&ours, "digest"), lock_field(&theirs, "digest"));
    // And Helm builds from ketch's lock (it wants the repository added for that).
    home.helm(&["repo", "add", "stable", &url]);
    fs::remove_dir_all(ours.join("charts")).unwrap();
    home.helm(&["dependency", "build", ours.to_str().unwrap()]);
    assert!(ours.join("charts/web-1.2.0.tgz").is_file());
}

/// Two aliases of one chart at two versions: both archives land in charts/ and each instance
/// renders from the version its constraint allows.
#[test]
fn two_aliases_of_one_chart_at_two_versions() {
    let home = Home::new();
    let server = Server::start();
    let url = publish(&home, &server, &[("web", &["1.0.0", "2.0.0"])]);
    let umbrella = write_chart(
        &home,
        "stack",
        "stack",
        "0.1.0",
        &format!(
            "  - name: web\n    alias: old\n    version: ^1\n    repository: {url}\n  \
             - name: web\n    alias: new\n    version: ^2\n    repository: {url}\n"
        ),
    );
    let stack = umbrella.to_str().unwrap();
    home.ok(&["dep", "update", stack]);
    assert_eq!(
        files_in(&umbrella.join("charts")),
        ["web-1.0.0.tgz", "web-2.0.0.tgz"]
    );
    let rendered = home.ok(&["template", "r", stack, "--set", "new.message=second"]);
    let docs: Vec<&str> = rendered.split("\n---").collect();
    let of = |version: &str| {
        docs.iter()
            .find(|d| d.contains(&format!("version: \"{version}\"")))
            .unwrap_or_else(|| panic!("no object of web {version} in:\n{rendered}"))
            .to_string()
    };
    assert!(of("1.0.0").contains("message: hello"));
    assert!(of("2.0.0").contains("message: second"));
}

#[test]
fn template_and_package_resolve_first_with_dependency_update() {
    let home = Home::new();
    write_chart(&home, "web", "web", "1.2.0", "");
    let umbrella = write_chart(
        &home,
        "stack",
        "stack",
        "0.1.0",
        "  - name: web\n    version: ~1.2\n    repository: file://../web\n",
    );
    let stack = umbrella.to_str().unwrap();
    // A chart without dependencies gets no lock, as in Helm.
    let out = home.ok(&["dep", "update", home.path("web").to_str().unwrap()]);
    assert!(out.contains("no dependencies"), "{out}");
    assert!(!home.path("web/Chart.lock").exists());
    let err = home.fails(&["template", "r", stack]);
    assert!(err.contains("web"), "{err}");
    let rendered = home.ok(&["template", "r", stack, "--dependency-update"]);
    assert!(rendered.contains("name: r-web"), "{rendered}");
    assert_eq!(lock_versions(&umbrella), ["1.2.0"]);
    fs::remove_dir_all(umbrella.join("charts")).unwrap();
    home.ok(&["package", stack, "-d", "dist", "--dependency-update"]);
    let packaged = ketch::chart::load(&home.path("dist/stack-0.1.0.tgz")).unwrap();
    assert_eq!(packaged.subcharts[0].metadata.version, "1.2.0");
}
