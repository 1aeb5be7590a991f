//! Repositories over real HTTP: `repo index`, `repo add/update/list/remove`,
//! `search repo` and `pull`, against a small HTTP server started on
//! 127.0.0.1 by each test and serving fixture files (and failures).

use std::fs;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use ketch::repo::{ChartVersion, IndexFile};
use sha2::{Digest, Sha256};

use crate::support::{self, Home, REPO, Server, files_in, sha256, write_chart};

/// An archive whose one entry climbs out of the chart directory.
fn hostile_archive() -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    let data = b"apiVersion: v2\nname: evil\nversion: 1.0.0\n";
    let mut header = tar::Header::new_gnu();
    let name = b"evil/../../../tmp/evil-Chart.yaml";
    header.as_old_mut().name[..name.len()].copy_from_slice(name);
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    builder.append(&header, &data[..]).unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}

fn entry(name: &str, version: &str, url: &str, digest: &str) -> ChartVersion {
    ChartVersion {
        api_version: Some("v2".into()),
        name: name.into(),
        version: version.into(),
        urls: vec![url.into()],
        digest: Some(digest.into()),
        description: Some(format!("{name} chart")),
        ..Default::default()
    }
}

fn index_yaml(entries: Vec<ChartVersion>) -> String {
    let mut index = IndexFile::new();
    for e in entries {
        index.add(e);
    }
    index.sort_entries();
    index.to_yaml().unwrap()
}

// --- repo index ------------------------------------------------------------------------------------

#[test]
fn repo_index_lists_archives_newest_first_with_digests() {
    let home = Home::new();
    let v100 = home.package_demo("charts", "1.0.0");
    let v123 = home.package_demo("charts", "1.2.3");
    let rc = home.package_demo("charts/older", "2.0.0-rc.1");
    let dir = home.path("charts");
    home.ok(&[
        "repo",
        "index",
        dir.to_str().unwrap(),
        "--url",
        "https://example.com/charts/",
    ]);

    let text = fs::read_to_string(dir.join("index.yaml")).unwrap();
    assert!(text.starts_with("apiVersion: v1\nentries:\n"), "{text}");
    let (index, warnings) = IndexFile::load(&dir.join("index.yaml")).unwrap();
    assert!(warnings.is_empty());
    let demo = &index.entries["demo"];
    let versions: Vec<&str> = demo.iter().map(|v| v.version.as_str()).collect();
    assert_eq!(versions, ["2.0.0-rc.1", "1.2.3", "1.0.0"]);
    assert_eq!(
        demo[0].urls,
        ["https://example.com/charts/older/demo-2.0.0-rc.1.tgz"]
    );
    assert_eq!(demo[1].urls, ["https://example.com/charts/demo-1.2.3.tgz"]);
    for (v, path) in demo.iter().zip([&rc, &v123, &v100]) {
        assert_eq!(v.digest.as_deref(), Some(sha256(path).as_str()));
        assert_eq!(v.created.as_deref(), Some("1970-01-01T00:00:00.000000000Z"));
    }
    assert_eq!(demo[1].app_version.as_deref(), Some("4.5"));
    assert_eq!(demo[1].keywords, ["demo", "testing"]);
    assert_eq!(
        index.generated.as_deref(),
        Some("1970-01-01T00:00:00.000000000Z")
    );
    assert_eq!(
        files_in(&dir),
        ["demo-1.0.0.tgz", "demo-1.2.3.tgz", "index.yaml", "older"]
    );
}

#[test]
fn repo_index_merge_keeps_old_entries_and_prefers_new_ones() {
    let home = Home::new();
    home.package_demo("charts", "1.2.3");
    let old = home.path("old-index.yaml");
    fs::write(
        &old,
        index_yaml(vec![
            entry("demo", "1.2.3", "https://old/demo-1.2.3.tgz", "aa"),
            entry("demo", "0.1.0", "https://old/demo-0.1.0.tgz", "bb"),
            entry("other", "3.0.0", "https://old/other-3.0.0.tgz", "cc"),
        ]),
    )
    .unwrap();
    let dir = home.path("charts");
    home.ok(&[
        "repo",
        "index",
        dir.to_str().unwrap(),
        "--merge",
        old.to_str().unwrap(),
    ]);
    let (index, _) = IndexFile::load(&dir.join("index.yaml")).unwrap();
    let demo: Vec<(&str, &str)> = index.entries["demo"]
        .iter()
        .map(|v| (v.version.as_str(), v.urls[0].as_str()))
        .collect();
    assert_eq!(
        demo,
        [
            ("1.2.3", "demo-1.2.3.tgz"),
            ("0.1.0", "https://old/demo-0.1.0.tgz")
        ]
    );
    assert_eq!(index.entries["other"][0].version, "3.0.0");

    // A missing merge file is fine (it is what is being created); a broken one is not.
    home.ok(&[
        "repo",
        "index",
        dir.to_str().unwrap(),
        "--merge",
        "nowhere.yaml",
    ]);
    fs::write(&old, "apiVersion: v1\nentries:\n  demo: {name: demo}\n").unwrap();
    let err = home.fails(&[
        "repo",
        "index",
        dir.to_str().unwrap(),
        "--merge",
        old.to_str().unwrap(),
    ]);
    assert!(
        err.contains("old-index.yaml: field entries.demo: expected a list, found a mapping"),
        "{err}"
    );
}

#[test]
fn an_empty_directory_makes_an_empty_index() {
    let home = Home::new();
    let dir = home.path("empty");
    fs::create_dir_all(&dir).unwrap();
    home.ok(&["repo", "index", dir.to_str().unwrap()]);
    let (index, _) = IndexFile::load(&dir.join("index.yaml")).unwrap();
    assert_eq!(index.api_version, "v1");
    assert!(index.entries.is_empty());
}

#[test]
fn repo_index_refuses_hostile_archives() {
    let home = Home::new();
    let dir = home.path("charts");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("evil-1.0.0.tgz"), hostile_archive()).unwrap();
    let err = home.fails(&["repo", "index", dir.to_str().unwrap()]);
    assert!(
        err.contains("evil-1.0.0.tgz: entry evil/../../../tmp/evil-Chart.yaml escapes"),
        "{err}"
    );
    assert!(!dir.join("index.yaml").exists());
}

// --- add, update, list, remove, search, pull -------------------------------------------------------

/// A server with demo 1.0.0, 1.2.3 and 2.0.0-rc.1 under /charts.
fn demo_repository(home: &Home) -> Server {
    support::demo_repository(home, &["1.0.0", "1.2.3", "2.0.0-rc.1"])
}

#[test]
fn add_search_pull_and_remove_with_credentials() {
    let home = Home::new();
    let server = demo_repository(&home);
    server.require_basic_auth("ada", "s3cret");
    let url = format!("{}/charts", server.url);

    let err = home.fails(&["repo", "add", "demo", &url]);
    assert!(
        err.contains(&format!("{url}/index.yaml: HTTP 401")),
        "{err}"
    );
    assert!(err.contains("--username and --password"), "{err}");
    assert!(
        !home.config().join("repositories.yaml").exists(),
        "nothing added"
    );

    let add = [
        "repo",
        "add",
        "demo",
        &url,
        "--username",
        "ada",
        "--password",
        "s3cret",
    ];
    let out = home.ok(&add);
    assert!(out.contains("\"demo\" has been added"), "{out}");
    let config = home.config().join("repositories.yaml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&config).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "credentials are stored private");
    }
    assert_eq!(
        files_in(&home.cache().join("repository")),
        ["demo-charts.json", "demo-index.yaml"]
    );
    let out = home.ok(&add);
    assert!(
        out.contains("already exists with the same configuration"),
        "{out}"
    );
    let err = home.fails(&["repo", "add", "demo", "http://127.0.0.1:9/other"]);
    assert!(err.contains("--force-update"), "{err}");

    let list = home.ok(&["repo", "list", "-o", "json"]);
    assert_eq!(list.trim(), format!(r#"[{{"name":"demo","url":"{url}"}}]"#));
    let table = home.ok(&["repo", "list"]);
    assert!(
        table.starts_with("NAME\tURL\n") || table.starts_with("NAME"),
        "{table}"
    );
    assert!(!table.contains("s3cret"));

    let out = home.ok(&["search", "repo", "demo"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("NAME")
            && lines[0].contains("CHART VERSION\tAPP VERSION\tDESCRIPTION"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("demo/demo") && lines[1].contains("1.2.3"),
        "{out}"
    );
    let json = home.ok(&["search", "repo", "demo", "--devel", "-o", "json"]);
    assert_eq!(
        json.trim(),
        r#"[{"name":"demo/demo","version":"2.0.0-rc.1","app_version":"4.5","description":"A demo chart for packaging and repository tests"}]"#
    );

    let out = home.ok(&["pull", "demo/demo", "-d", "downloads"]);
    let saved = home.path("downloads/demo-1.2.3.tgz");
    assert!(
        out.contains(&format!("Digest: sha256:{}", sha256(&saved))),
        "{out}"
    );
    assert_eq!(
        fs::read(&saved).unwrap(),
        fs::read(home.path("published/demo-1.2.3.tgz")).unwrap()
    );
    home.ok(&[
        "pull",
        "demo/demo",
        "--version",
        "~1.0",
        "-d",
        "downloads",
        "--verify-digest",
    ]);
    assert_eq!(
        files_in(&home.path("downloads")),
        ["demo-1.0.0.tgz", "demo-1.2.3.tgz"]
    );
    home.ok(&[
        "pull",
        "demo/demo",
        "--devel",
        "--untar",
        "--untardir",
        "src",
        "-d",
        "downloads",
    ]);
    let chart_yaml = fs::read_to_string(home.path("downloads/src/demo/Chart.yaml")).unwrap();
    assert!(chart_yaml.contains("version: 2.0.0-rc.1"), "{chart_yaml}");
    assert_eq!(
        files_in(&home.path("downloads/src")),
        ["demo"],
        "no archive or temp files"
    );
    let err = home.fails(&[
        "pull",
        "demo/demo",
        "--devel",
        "--untar",
        "--untardir",
        "src",
        "-d",
        "downloads",
    ]);
    assert!(err.contains("already exists"), "{err}");

    // A bare URL under an added repository gets that repository's credentials.
    let direct = format!("{url}/demo-1.0.0.tgz");
    home.ok(&["pull", &direct, "-d", "direct"]);
    assert_eq!(files_in(&home.path("direct")), ["demo-1.0.0.tgz"]);

    let err = home.fails(&["pull", "demo/nope"]);
    assert!(
        err.contains("chart \"nope\" not found in repository \"demo\""),
        "{err}"
    );
    let err = home.fails(&["pull", "demo/demo", "--version", ">=5"]);
    assert!(err.contains("no version matches \">=5\""), "{err}");

    home.ok(&["repo", "remove", "demo"]);
    assert!(files_in(&home.cache().join("repository")).is_empty());
    let err = home.fails(&["repo", "list"]);
    assert!(err.contains("no repositories added"), "{err}");
    let err = home.fails(&["pull", "demo/demo"]);
    assert!(err.contains("no repository named \"demo\""), "{err}");
}

/// Credentials go only to the repository's own server (same scheme, host and port), as Helm
/// sends them: with an index on one server whose archives are on another, `pull` and `dep update`
/// fetch those archives without the repository's `Authorization` header, also when the
/// repository's server redirects there; archives on the repository's server get it.
#[test]
fn credentials_are_sent_only_to_the_repositorys_own_server() {
    let home = Home::new();
    let repository = Server::start();
    let elsewhere = Server::start();
    repository.require_basic_auth("ada", "s3cret");
    let url = format!("{}/charts", repository.url);
    for version in ["1.0.0", "1.2.3", "2.0.0-rc.1"] {
        let archive = home.package_demo("published", version);
        elsewhere.serve_file(&format!("/demo-{version}.tgz"), &archive);
        repository.serve_file(&format!("/charts/demo-{version}.tgz"), &archive);
    }
    let published = home.path("published");
    home.ok(&[
        "repo",
        "index",
        published.to_str().unwrap(),
        "--url",
        &elsewhere.url,
    ]);
    // 1.2.3 is on the other server; 1.0.0 on the repository's own (a relative URL); 2.0.0-rc.1
    // is redirected from the repository's server to the other one.
    let index = fs::read_to_string(published.join("index.yaml"))
        .unwrap()
        .replace(
            &format!("{}/demo-1.0.0.tgz", elsewhere.url),
            "demo-1.0.0.tgz",
        )
        .replace(
            &format!("{}/demo-2.0.0-rc.1.tgz", elsewhere.url),
            &format!("{url}/redirect/demo-2.0.0-rc.1.tgz"),
        );
    repository.serve("/charts/index.yaml", 200, index);
    repository.redirect(
        "/charts/redirect/demo-2.0.0-rc.1.tgz",
        &format!("{}/demo-2.0.0-rc.1.tgz", elsewhere.url),
    );
    let login = ["--username", "ada", "--password", "s3cret"];
    home.ok(&[&["repo", "add", "demo", &url][..], &login].concat());

    let pull =
        |version: &str| home.ok(&["pull", "demo/demo", "--version", version, "-d", "downloads"]);
    pull("1.2.3");
    pull("2.0.0-rc.1");
    pull("1.0.0");
    assert_eq!(
        files_in(&home.path("downloads")),
        ["demo-1.0.0.tgz", "demo-1.2.3.tgz", "demo-2.0.0-rc.1.tgz"]
    );
    // A bare URL on the other server is not under the repository either.
    home.ok(&[
        "pull",
        &format!("{}/demo-1.2.3.tgz", elsewhere.url),
        "-d",
        "direct",
    ]);

    // dep update resolves through the same index.
    let parent = write_chart(
        &home,
        "parent",
        "parent",
        "0.1.0",
        "  - name: demo\n    version: 1.2.3\n    repository: '@demo'\n",
    );
    home.ok(&["dep", "update", parent.to_str().unwrap()]);
    assert_eq!(files_in(&parent.join("charts")), ["demo-1.2.3.tgz"]);

    // dep update found 1.2.3 (its digest in the index) in the archive cache the first pull
    // filled; the bare URL has no digest to look up, so it was downloaded again.
    let seen = elsewhere.requests();
    let paths: Vec<&str> = seen.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(
        paths,
        ["/demo-1.2.3.tgz", "/demo-2.0.0-rc.1.tgz", "/demo-1.2.3.tgz"]
    );
    for (path, auth) in &seen {
        assert_eq!(auth, &None, "credentials sent to another server for {path}");
    }
    // The repository's own server got them with every request, archives included.
    let own = repository.requests();
    assert!(
        own.iter()
            .any(|(path, auth)| path == "/charts/demo-1.0.0.tgz" && auth.is_some()),
        "{own:?}"
    );
    assert!(own.iter().all(|(_, auth)| auth.is_some()), "{own:?}");
}

#[test]
fn pull_refuses_wrong_digests_hostile_archives_and_server_errors_leaving_nothing() {
    let home = Home::new();
    let server = Server::start();
    let good = home.package_demo("published", "1.2.3");
    server.serve_file("/good-1.0.0.tgz", &good);
    let evil = hostile_archive();
    let evil_digest = format!("{:x}", Sha256::digest(&evil));
    server.serve("/evil-1.0.0.tgz", 200, evil);
    server.serve("/broken-1.0.0.tgz", 500, "boom");
    server.serve(
        "/index.yaml",
        200,
        index_yaml(vec![
            entry("good", "1.0.0", "good-1.0.0.tgz", &"0".repeat(64)),
            entry("evil", "1.0.0", "evil-1.0.0.tgz", &evil_digest),
            entry("missing", "1.0.0", "missing-1.0.0.tgz", "aa"),
            entry("broken", "1.0.0", "broken-1.0.0.tgz", "aa"),
        ]),
    );
    home.ok(&["repo", "add", "r", &server.url]);

    let err = home.fails(&["pull", "r/good", "-d", "out"]);
    assert!(
        err.contains(&format!("{}/good-1.0.0.tgz: digest mismatch", server.url)),
        "{err}"
    );
    let err = home.fails(&["pull", "r/evil", "-d", "out"]);
    assert!(
        err.contains("escapes the chart directory; refusing to extract"),
        "{err}"
    );
    let err = home.fails(&["pull", "r/evil", "-d", "out", "--untar"]);
    assert!(err.contains("escapes the chart directory"), "{err}");
    let err = home.fails(&["pull", "r/missing", "-d", "out"]);
    assert!(
        err.contains(&format!("{}/missing-1.0.0.tgz: HTTP 404", server.url)),
        "{err}"
    );
    let err = home.fails(&["pull", "r/broken", "-d", "out"]);
    assert!(
        err.contains("HTTP 500") && err.contains("the server failed"),
        "{err}"
    );

    // Direct URLs: the archive checks apply, and a digest can be required.
    let url = format!("{}/evil-1.0.0.tgz", server.url);
    let err = home.fails(&["pull", &url, "-d", "out"]);
    assert!(err.contains("refusing to extract"), "{err}");
    let url = format!("{}/good-1.0.0.tgz", server.url);
    let wrong = format!("--verify-digest=sha256:{}", "1".repeat(64));
    let err = home.fails(&["pull", &url, "-d", "out", &wrong]);
    assert!(err.contains("digest mismatch"), "{err}");
    let err = home.fails(&["pull", &url, "-d", "out", "--verify-digest"]);
    assert!(err.contains("no digest to check against"), "{err}");
    assert!(
        files_in(&home.path("out")).is_empty(),
        "left: {:?}",
        files_in(&home.path("out"))
    );

    let right = format!("--verify-digest=sha256:{}", sha256(&good));
    home.ok(&["pull", &url, "-d", "out", &right]);
    assert_eq!(files_in(&home.path("out")), ["demo-1.2.3.tgz"]);
    let err = home.fails(&["pull", "oci-less/too/deep"]);
    assert!(err.contains("not a chart reference"), "{err}");
}

/// An index entry is a promise of a chart name and version: an archive that
/// holds another chart is refused (as `dep update` refuses it), and a failed
/// pull leaves no directories it made behind.
#[test]
fn pull_refuses_an_archive_that_is_not_the_promised_chart() {
    let home = Home::new();
    let server = Server::start();
    let evil = crate::support::package_versions(&home, "dist", "evil", &["6.6.6"]).remove(0);
    let digest = sha256(&evil);
    server.serve_file("/evil-6.6.6.tgz", &evil);
    server.serve(
        "/index.yaml",
        200,
        index_yaml(vec![entry("demo", "0.1.0", "evil-6.6.6.tgz", &digest)]),
    );
    home.ok(&["repo", "add", "r", &server.url]);

    let err = home.fails(&["pull", "r/demo", "--version", "0.1.0", "-d", "out"]);
    assert!(
        err.contains(&format!(
            "{}/evil-6.6.6.tgz holds chart evil 6.6.6, but the repository's index promised demo 0.1.0",
            server.url
        )),
        "{err}"
    );
    assert!(
        !home.path("out").exists(),
        "{:?}",
        files_in(&home.path("out"))
    );

    let err = home.fails(&[
        "pull",
        "r/demo",
        "-d",
        "out/a",
        "--untar",
        "--untardir",
        "x/y",
    ]);
    assert!(err.contains("promised demo 0.1.0"), "{err}");
    assert!(
        !home.path("out").exists(),
        "{:?}",
        files_in(&home.path("out"))
    );

    // A directory that was there before stays.
    fs::create_dir(home.path("kept")).unwrap();
    home.fails(&["pull", "r/demo", "-d", "kept", "--untar"]);
    assert!(home.path("kept").is_dir());
    assert!(files_in(&home.path("kept")).is_empty());
}

#[test]
fn repo_add_errors_name_the_url_and_add_nothing() {
    let home = Home::new();
    let server = Server::start();
    server.serve("/broken/index.yaml", 500, "boom");
    server.serve(
        "/wrong-type/index.yaml",
        200,
        "apiVersion: v1\nentries:\n  demo:\n  - name: demo\n    version: 1.0.0\n    urls: demo-1.0.0.tgz\n",
    );
    let mut bomb =
        String::from("apiVersion: v1\nentries: {}\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    server.serve("/bomb/index.yaml", 200, bomb);
    server.serve("/html/index.yaml", 200, "<html><body>Welcome</body></html>");

    let cases = [
        ("/nothing-here", "/nothing-here/index.yaml: HTTP 404"),
        ("/broken", "/broken/index.yaml: HTTP 500"),
        (
            "/wrong-type",
            "/wrong-type/index.yaml: field entries.demo[0].urls: expected a list, found a string",
        ),
        ("/bomb", "/bomb/index.yaml: "),
        ("/html", "/html/index.yaml: "),
    ];
    for (path, want) in cases {
        let err = home.fails(&["repo", "add", "x", &format!("{}{path}", server.url)]);
        assert!(err.contains(want), "{path}: {err}");
    }
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let err = home.fails(&["repo", "add", "x", &format!("http://{closed}/charts")]);
    assert!(
        err.contains(&format!(
            "http://{closed}/charts/index.yaml: cannot connect"
        )),
        "{err}"
    );
    let err = home.fails(&["repo", "add", "../x", &server.url]);
    assert!(
        err.contains("repository name \"../x\" is not allowed"),
        "{err}"
    );
    let err = home.fails(&["repo", "add", "x", "ftp://example.com/charts"]);
    assert!(err.contains("unsupported scheme"), "{err}");

    assert!(!home.config().join("repositories.yaml").exists());
    assert!(files_in(&home.cache().join("repository")).is_empty());
}

#[test]
fn a_failed_update_keeps_the_cached_index() {
    let home = Home::new();
    let server = Server::start();
    server.serve(
        "/index.yaml",
        200,
        index_yaml(vec![entry("a", "1.0.0", "a.tgz", "aa")]),
    );
    let other = Server::start();
    other.serve(
        "/index.yaml",
        200,
        index_yaml(vec![entry("b", "1.0.0", "b.tgz", "bb")]),
    );
    home.ok(&["repo", "add", "one", &server.url]);
    home.ok(&["repo", "add", "two", &other.url]);
    let cache = home.cache().join("repository");
    let before = fs::read(cache.join("one-charts.json")).unwrap();

    server.serve("/index.yaml", 500, "down for maintenance");
    other.serve(
        "/index.yaml",
        200,
        index_yaml(vec![
            entry("b", "1.0.0", "b.tgz", "bb"),
            entry("b", "1.1.0", "b.tgz", "cc"),
        ]),
    );
    let out = home.ketch(&["repo", "update"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Unable to get an update from the \"one\" chart repository"),
        "{stderr}"
    );
    assert!(
        stderr.contains("failed to update the following repositories: [one]"),
        "{stderr}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("Successfully got an update from the \"two\"")
    );
    assert_eq!(
        fs::read(cache.join("one-charts.json")).unwrap(),
        before,
        "old cache intact"
    );
    assert_eq!(
        files_in(&cache),
        [
            "one-charts.json",
            "one-index.yaml",
            "two-charts.json",
            "two-index.yaml"
        ],
        "no temporary files"
    );
    let out = home.ok(&["search", "repo", "b", "--versions", "-o", "json"]);
    assert!(out.contains("\"version\":\"1.1.0\""), "{out}");

    server.serve(
        "/index.yaml",
        200,
        index_yaml(vec![entry("a", "2.0.0", "a.tgz", "aa")]),
    );
    home.ok(&["repo", "update", "one"]);
    let out = home.ok(&["search", "repo", "one/"]);
    assert!(out.contains("2.0.0"), "{out}");
    let err = home.fails(&["repo", "update", "three"]);
    assert!(err.contains("no repository named \"three\""), "{err}");
}

#[test]
fn concurrent_adds_lose_nothing() {
    let home = Home::new();
    let server = Server::start();
    server.serve(
        "/index.yaml",
        200,
        index_yaml(vec![entry("a", "1.0.0", "a.tgz", "aa")]),
    );
    let children: Vec<_> = (0..6)
        .map(|i| {
            home.command(&["repo", "add", &format!("r{i}"), &server.url])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let list: Vec<serde_json::Value> =
        serde_json::from_str(&home.ok(&["repo", "list", "-o", "json"])).unwrap();
    assert_eq!(list.len(), 6, "{list:?}");
}

#[cfg(unix)]
#[test]
fn an_interrupted_pull_leaves_nothing() {
    let home = Home::new();
    let server = Server::start();
    server.serve_stalling("/slow-1.0.0.tgz", vec![0x1f; 64 * 1024]);
    let out = home.path("out");
    let url = format!("{}/slow-1.0.0.tgz", server.url);
    let child = home
        .command(&["pull", &url, "-d", out.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the download has begun: the server got the request.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while server.requests().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the download never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let result = child.wait_with_output().unwrap();
    assert_eq!(result.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&result.stderr).contains("interrupted"));
    assert!(files_in(&out).is_empty(), "left: {:?}", files_in(&out));
    let cached = home.cache().join("charts").join("sha256");
    assert!(
        files_in(&cached).is_empty(),
        "cached: {:?}",
        files_in(&cached)
    );
}

#[test]
fn search_follows_helm_semantics() {
    let home = Home::new();
    let server = Server::start();
    server.serve_file(
        "/index.yaml",
        Path::new(&format!("{REPO}/fixtures/repo/index/search.yaml")),
    );
    home.ok(&["repo", "add", "ml", &server.url]);
    let rows = |args: &[&str]| -> Vec<String> {
        let mut full = vec!["search", "repo"];
        full.extend_from_slice(args);
        full.extend_from_slice(&["-o", "json"]);
        let out = home.ok(&full);
        let hits: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
        hits.iter()
            .map(|h| {
                format!(
                    "{} {}",
                    h["name"].as_str().unwrap(),
                    h["version"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(
        rows(&[]),
        [
            "ml/model-server 1.1.0",
            "ml/redis 0.9.0",
            "ml/trainer 0.3.0"
        ]
    );
    // Name matches first, then description, then keywords.
    assert_eq!(
        rows(&["model"]),
        [
            "ml/model-server 1.1.0",
            "ml/redis 0.9.0",
            "ml/trainer 0.3.0"
        ]
    );
    assert_eq!(rows(&["GPUs"]), ["ml/trainer 0.3.0"]);
    assert_eq!(rows(&["inference"]), ["ml/model-server 1.1.0"]);
    assert_eq!(
        rows(&["model-server", "--versions"]),
        ["ml/model-server 1.1.0", "ml/model-server 1.0.0"]
    );
    assert_eq!(
        rows(&["model-server", "--devel"]),
        ["ml/model-server 2.0.0-rc.1"]
    );
    assert_eq!(
        rows(&["model-server", "--versions", "--devel"]),
        [
            "ml/model-server 2.0.0-rc.1",
            "ml/model-server 1.1.0",
            "ml/model-server 1.0.0"
        ]
    );
    assert_eq!(
        rows(&["model-server", "--version", "~1.0"]),
        ["ml/model-server 1.0.0"]
    );
    assert_eq!(
        rows(&["model-server", "--version", ">=2.0.0-0"]),
        ["ml/model-server 2.0.0-rc.1"]
    );
    assert_eq!(
        rows(&["model-server", "--version", ">=2"]),
        Vec::<String>::new()
    );
    assert_eq!(rows(&["no-such-thing"]), Vec::<String>::new());

    let table = home.ok(&["search", "repo", "redis"]);
    assert_eq!(
        table,
        "NAME    \tCHART VERSION\tAPP VERSION\tDESCRIPTION\n\
         ml/redis\t0.9.0        \t7.2        \tAn in-memory cache used by model servers\n"
    );
    assert_eq!(
        home.ok(&["search", "repo", "nothing"]),
        "No results found\n"
    );
    let yaml = home.ok(&["search", "repo", "redis", "-o", "yaml"]);
    let parsed: serde_json::Value = ketch::yaml::parse(&yaml, "search output").unwrap();
    assert_eq!(
        parsed,
        serde_json::json!([{"name": "ml/redis", "version": "0.9.0", "app_version": "7.2",
            "description": "An in-memory cache used by model servers"}])
    );
    let err = home.fails(&["search", "repo", "x", "--version", ">>1"]);
    assert!(err.contains("--version"), "{err}");
}

/// A remote index (or a Chart.yaml) may hold cells of any length: tables cut
/// them instead of crashing (`format!` widths stop at 65,535).
#[test]
fn tables_survive_cells_of_any_length() {
    let home = Home::new();
    let server = Server::start();
    let long = "9".repeat(70_000);
    let mut hostile = entry("demo", &format!("1.0.0-{long}"), "demo.tgz", "");
    hostile.app_version = Some(long.clone());
    server.serve("/index.yaml", 200, index_yaml(vec![hostile]));
    home.ok(&["repo", "add", "r", &server.url]);
    let table = home.ok(&["search", "repo", "demo", "--devel"]);
    let row = table.lines().nth(1).unwrap_or_default();
    assert!(row.starts_with("r/demo\t1.0.0-999"), "{table}");
    assert!(row.len() < 1000, "the row is cut: {} characters", row.len());

    let chart = crate::support::write_chart(
        &home,
        "long",
        "long",
        "0.1.0",
        &format!("  - name: dep\n    version: \"{long}\"\n    repository: file://../dep\n"),
    );
    let out = home.ketch(&["dep", "list", chart.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{stderr}");
}

#[test]
fn index_downloads_are_capped() {
    let server = Server::start();
    server.serve(
        "/index.yaml",
        200,
        index_yaml(vec![entry("a", "1.0.0", "a.tgz", "aa")]),
    );
    let big = format!("apiVersion: v1\n# {}\nentries: {{}}\n", "x".repeat(4096));
    server.serve("/big/index.yaml", 200, big);
    let fetcher = ketch::repo::Fetcher::new().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let repo = |path: &str| ketch::repo::Repository {
        name: "r".into(),
        url: format!("{}{path}", server.url),
        ..Default::default()
    };
    let ok = runtime.block_on(fetcher.index_with_limit(&repo(""), 1024));
    assert!(ok.is_ok(), "{:?}", ok.err());
    let err = runtime
        .block_on(fetcher.index_with_limit(&repo("/big"), 1024))
        .unwrap_err();
    assert!(
        err.to_string().contains("/big/index.yaml: larger than the"),
        "{err}"
    );
}

#[test]
fn ketch_reads_the_index_helm_writes() {
    let home = Home::new();
    let server = Server::start();
    let old = home.package_demo("charts", "1.0.0");
    let new = home.package_demo("charts", "1.2.3");
    let dir = home.path("charts");
    let url = format!("{}/charts", server.url);
    home.helm(&["repo", "index", dir.to_str().unwrap(), "--url", &url]);

    let (index, warnings) = IndexFile::load(&dir.join("index.yaml")).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let demo = &index.entries["demo"];
    let got: Vec<(&str, &str)> = demo
        .iter()
        .map(|v| (v.version.as_str(), v.digest.as_deref().unwrap()))
        .collect();
    assert_eq!(got, [("1.2.3", &*sha256(&new)), ("1.0.0", &*sha256(&old))]);
    assert_eq!(demo[0].urls, [format!("{url}/demo-1.2.3.tgz")]);
    assert_eq!(demo[0].app_version.as_deref(), Some("4.5"));

    server.serve_file("/charts/index.yaml", &dir.join("index.yaml"));
    server.serve_file("/charts/demo-1.0.0.tgz", &old);
    server.serve_file("/charts/demo-1.2.3.tgz", &new);
    home.ok(&["repo", "add", "helm-made", &url]);
    let out = home.ok(&["search", "repo", "demo", "--versions", "-o", "json"]);
    assert!(
        out.contains(r#""name":"helm-made/demo","version":"1.0.0""#),
        "{out}"
    );
    home.ok(&["pull", "helm-made/demo", "--verify-digest", "-d", "out"]);
    assert_eq!(
        fs::read(home.path("out/demo-1.2.3.tgz")).unwrap(),
        fs::read(&new).unwrap()
    );
}

#[test]
fn helm_reads_the_index_and_archives_ketch_writes() {
    let home = Home::new();
    let server = demo_repository(&home);
    let published = home.path("published");
    let url = format!("{}/charts", server.url);
    home.helm(&["repo", "add", "made-by-ketch", &url]);
    let versions = |args: &[&str]| -> Vec<String> {
        let mut full = vec!["search", "repo", "demo", "-o", "json"];
        full.extend_from_slice(args);
        let hits: Vec<serde_json::Value> = serde_json::from_str(&home.helm(&full)).unwrap();
        hits.iter()
            .map(|h| h["version"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(versions(&[]), ["1.2.3"]);
    assert_eq!(versions(&["--versions"]), ["1.2.3", "1.0.0"]);
    assert_eq!(versions(&["--devel"]), ["2.0.0-rc.1"]);
    // ketch's search answers the same questions the same way.
    let ours = home.ok(&["repo", "add", "made-by-ketch", &url]);
    assert!(ours.contains("has been added"), "{ours}");
    let helm_json = home.helm(&[
        "search",
        "repo",
        "demo",
        "--versions",
        "--devel",
        "-o",
        "json",
    ]);
    let ketch_json = home.ok(&[
        "search",
        "repo",
        "demo",
        "--versions",
        "--devel",
        "-o",
        "json",
    ]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&helm_json).unwrap(),
        serde_json::from_str::<serde_json::Value>(&ketch_json).unwrap()
    );

    let into = home.path("helm-pulled");
    fs::create_dir_all(&into).unwrap();
    home.helm(&["pull", "made-by-ketch/demo", "-d", into.to_str().unwrap()]);
    let pulled = into.join("demo-1.2.3.tgz");
    assert_eq!(
        fs::read(&pulled).unwrap(),
        fs::read(published.join("demo-1.2.3.tgz")).unwrap()
    );
    // Helm's own loader accepts ketch's archive.
    let shown = home.helm(&["show", "chart", pulled.to_str().unwrap()]);
    assert!(
        shown.contains("name: demo") && shown.contains("version: 1.2.3"),
        "{shown}"
    );
}

/// A server on loopback that answers every request with a 200 and a body it
/// sends one byte every 100 ms, never finishing; its URL.
fn trickling_server() -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let head = "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n";
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
                while stream.write_all(b"a").is_ok() {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            });
        }
    });
    url
}

#[test]
fn a_server_that_trickles_is_cut_off() {
    let home = Home::new();
    let url = trickling_server();
    let run = |args: &[&str], stall: &str, total: &str| {
        let out = home
            .command(args)
            .env("KETCH_DOWNLOAD_STALL_TIMEOUT", stall)
            .env("KETCH_DOWNLOAD_TIMEOUT", total)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // Ten bytes a second: under the 1 KiB a stall window needs.
    let err = run(&["repo", "add", "slow", &url], "1", "600");
    assert!(
        err.contains("/index.yaml: the server sent") && err.contains("bytes in the last 1s"),
        "{err}"
    );
    let archive = format!("{url}/slow-1.0.0.tgz");
    let out = home.path("out");
    let err = run(&["pull", &archive, "-d", out.to_str().unwrap()], "1", "600");
    assert!(err.contains("slow-1.0.0.tgz: the server sent"), "{err}");
    assert!(err.contains("KETCH_DOWNLOAD_STALL_TIMEOUT"), "{err}");
    // Fast enough for each window, too slow for the deadline.
    let err = run(&["pull", &archive, "-d", out.to_str().unwrap()], "600", "2");
    assert!(
        err.contains("the download did not finish within 2s")
            && err.contains("KETCH_DOWNLOAD_TIMEOUT"),
        "{err}"
    );
}

/// An index of `charts` charts with `versions` versions each, as a large
/// public repository's: every version with its URL, digest and times.
fn generated_index(charts: usize, versions: usize) -> String {
    let mut text = String::from("apiVersion: v1\nentries:\n");
    for c in 0..charts {
        text.push_str(&format!("  chart-{c}:\n"));
        for v in 0..versions {
            text.push_str(&format!(
                "  - apiVersion: v2\n    name: chart-{c}\n    version: 1.{v}.0\n    appVersion: \"2.{v}\"\n    \
                 description: A generated chart\n    created: \"2026-01-01T00:00:00Z\"\n    \
                 digest: {:064x}\n    urls:\n    - https://charts.example/chart-{c}-1.{v}.0.tgz\n",
                c * versions + v
            ));
        }
    }
    text.push_str("generated: \"2026-01-01T00:00:00Z\"\n");
    text
}

#[test]
fn an_index_with_200000_versions_loads() {
    // Over two million nodes: once refused by the YAML reader's fixed budget.
    let text = generated_index(1_000, 200);
    let (index, warnings) = IndexFile::parse(&text, "index.yaml").unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(index.entries.values().map(Vec::len).sum::<usize>(), 200_000);
}

/// The index of issue 23 in size (53 MB), added over HTTP; slow in a debug build.
#[test]
#[ignore = "a 53 MB index: run with --ignored in a release build"]
fn a_53_mb_index_is_added_over_http() {
    let home = Home::new();
    let server = Server::start();
    let text = generated_index(2_000, 100);
    assert!(text.len() > 50_000_000, "{}", text.len());
    server.serve("/index.yaml", 200, text);
    home.ok(&["repo", "add", "big", &server.url]);
    let found = home.ok(&["search", "repo", "chart-1999", "-o", "json"]);
    assert!(found.contains("chart-1999"), "{found}");
}
