//! `ketch serve` as a process: uploads, auth, immutability, deletes, downloads, the index,
//! concurrency and crash recovery. Runs the real binary on a free loopback port.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use futures::future::join_all;
use serde_json::Value;

use crate::support::sha256_hex;

const TOKEN: &str = "t0ken-for-tests";

/// A chart archive as `ketch package` lays it out: `NAME/Chart.yaml`, values, one template.
fn chart_archive(name: &str, version: &str) -> Vec<u8> {
    let files = [
        (
            "Chart.yaml",
            format!(
                "apiVersion: v2\nname: {name}\nversion: {version}\ndescription: test chart\n\
                 annotations:\n  ketch.dev/engine: minijinja\n"
            ),
        ),
        ("values.yaml", "replicas: 1\n".to_string()),
        (
            "templates/configmap.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ release.name }}\ndata:\n  replicas: \"{{ values.replicas }}\"\n"
                .to_string(),
        ),
    ];
    crate::support::tar_gz(name, &files)
}

/// A running `ketch serve`, killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    url: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(storage: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ketch"))
            .args(["serve", "--addr", "127.0.0.1:0", "--storage"])
            .arg(storage)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ketch serve");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let lines = Arc::clone(&log);
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.split("listening on ").nth(1)
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(url.trim().to_string());
                }
                lines.lock().unwrap().push(line);
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "ketch serve did not report its address; stderr:\n{}",
                    log.lock().unwrap().join("\n")
                );
            }
        };
        Server { child, url, log }
    }

    fn with_token(storage: &Path, extra: &[&str]) -> Server {
        let token_file = storage.with_extension("token");
        std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
        let mut args = vec!["--token-file", token_file.to_str().unwrap()];
        args.extend_from_slice(extra);
        Server::start(storage, &args)
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

async fn upload(client: &reqwest::Client, url: &str, archive: Vec<u8>, token: Option<&str>) -> u16 {
    let mut request = client.post(format!("{url}/api/charts")).body(archive);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

async fn index(client: &reqwest::Client, url: &str) -> Value {
    let response = client
        .get(format!("{url}/index.yaml"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let text = response.text().await.unwrap();
    ketch::yaml::parse(&text, "index.yaml").unwrap()
}

fn versions(index: &Value, name: &str) -> Vec<String> {
    index["entries"][name]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| v["version"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Every archive in the storage directory is in the index with its digest, and nothing else;
/// no temporary file is left.
fn assert_consistent(storage: &Path, index: &Value) {
    let mut on_disk = BTreeMap::new();
    for entry in std::fs::read_dir(storage).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            !name.ends_with(".tmp"),
            "temporary file {name} left in the storage"
        );
        if name.ends_with(".tgz") {
            let bytes = std::fs::read(entry.path()).unwrap();
            ketch::chart::load_archive(bytes.as_slice(), &name).expect("stored archive loads");
            on_disk.insert(format!("charts/{name}"), sha256_hex(&bytes));
        }
    }
    let mut indexed = BTreeMap::new();
    for versions in index["entries"].as_object().unwrap().values() {
        for v in versions.as_array().unwrap() {
            indexed.insert(
                v["urls"][0].as_str().unwrap().to_string(),
                v["digest"].as_str().unwrap().to_string(),
            );
        }
    }
    assert_eq!(indexed, on_disk, "index and stored archives differ");
    let file: Value = ketch::yaml::parse(
        &std::fs::read_to_string(storage.join("index.yaml")).unwrap(),
        "index.yaml",
    )
    .unwrap();
    assert_eq!(
        file["entries"], index["entries"],
        "index.yaml on disk differs from the served one"
    );
}

#[tokio::test]
async fn upload_auth_conflict_delete_download_and_index() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("charts");
    let server = Server::with_token(&storage, &[]);
    let url = server.url.clone();
    let http = client();
    let v1 = chart_archive("demo", "1.0.0");

    let health = http.get(format!("{url}/healthz")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    assert!(versions(&index(&http, &url).await, "demo").is_empty());

    // Writes need the token.
    assert_eq!(upload(&http, &url, v1.clone(), None).await, 401);
    assert_eq!(upload(&http, &url, v1.clone(), Some("wrong")).await, 401);
    assert_eq!(upload(&http, &url, v1.clone(), Some(TOKEN)).await, 201);
    // Versions are immutable.
    let again = http
        .post(format!("{url}/api/charts"))
        .bearer_auth(TOKEN)
        .body(v1.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 409);
    let message: Value = again.json().await.unwrap();
    assert!(
        message["error"]
            .as_str()
            .unwrap()
            .contains("already published"),
        "{message}"
    );

    // Multipart, as ChartMuseum clients send it; the file name must match the chart.
    let form = |file: &str, bytes: Vec<u8>| {
        reqwest::multipart::Form::new().part(
            "chart",
            reqwest::multipart::Part::bytes(bytes).file_name(file.to_string()),
        )
    };
    let v2 = chart_archive("demo", "2.0.0-rc.1+build.5");
    let mismatch = http
        .post(format!("{url}/api/charts"))
        .bearer_auth(TOKEN)
        .multipart(form("demo-9.9.9.tgz", v2.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(mismatch.status().as_u16(), 400);
    let saved = http
        .post(format!("{url}/api/charts"))
        .bearer_auth(TOKEN)
        .multipart(form("demo-2.0.0-rc.1+build.5.tgz", v2.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status().as_u16(), 201);

    // Junk and hostile archives are refused before anything is stored.
    assert_eq!(
        upload(&http, &url, b"not a tarball".to_vec(), Some(TOKEN)).await,
        400
    );
    assert_eq!(upload(&http, &url, Vec::new(), Some(TOKEN)).await, 400);

    let idx = index(&http, &url).await;
    assert_eq!(versions(&idx, "demo"), ["2.0.0-rc.1+build.5", "1.0.0"]);
    let first = &idx["entries"]["demo"][1];
    assert_eq!(first["digest"], sha256_hex(&v1));
    assert_eq!(first["urls"][0], "charts/demo-1.0.0.tgz");
    assert_eq!(first["apiVersion"], "v2");
    assert!(first["created"].as_str().unwrap().ends_with('Z'));

    let download = http
        .get(format!("{url}/charts/demo-1.0.0.tgz"))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status().as_u16(), 200);
    assert_eq!(download.bytes().await.unwrap().as_ref(), v1.as_slice());
    for missing in ["demo-3.0.0.tgz", "..%2Findex.yaml", "index.yaml"] {
        let status = http
            .get(format!("{url}/charts/{missing}"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status.as_u16(), 404, "{missing}");
    }

    // Deletes need the token too, then the version is gone from index and storage.
    let delete = |token: Option<&'static str>| {
        let mut request = http.delete(format!("{url}/api/charts/demo/1.0.0"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(delete(None).await, 401);
    assert_eq!(delete(Some(TOKEN)).await, 200);
    assert_eq!(delete(Some(TOKEN)).await, 404);
    let idx = index(&http, &url).await;
    assert_eq!(versions(&idx, "demo"), ["2.0.0-rc.1+build.5"]);
    let gone = http
        .get(format!("{url}/charts/demo-1.0.0.tgz"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status().as_u16(), 404);
    assert_consistent(&storage, &idx);

    // One log line per request, naming method, path and status.
    let log = server.log();
    assert!(log.contains("POST /api/charts 401"), "{log}");
    assert!(log.contains("POST /api/charts 409"), "{log}");
    assert!(log.contains("DELETE /api/charts/demo/1.0.0 200"), "{log}");
}

#[tokio::test]
async fn overwrite_replaces_a_version_when_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("charts");
    let server = Server::start(&storage, &["--allow-overwrite"]);
    let http = client();
    let first = chart_archive("demo", "1.0.0");
    let mut second = chart_archive("demo", "1.0.0");
    // Same chart, other bytes: a different gzip level.
    {
        let files = ketch::chart::read_archive(second.as_slice(), "x").unwrap();
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::best(),
        ));
        for f in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(f.data.len() as u64);
            header.set_mode(0o600);
            header.set_cksum();
            builder
                .append_data(&mut header, format!("demo/{}", f.path), &f.data[..])
                .unwrap();
        }
        second = builder.into_inner().unwrap().finish().unwrap();
    }
    assert_ne!(first, second);
    // No token file: uploads are open (the server listens on loopback only).
    assert_eq!(upload(&http, &server.url, first, None).await, 201);
    assert_eq!(upload(&http, &server.url, second.clone(), None).await, 201);
    let idx = index(&http, &server.url).await;
    assert_eq!(versions(&idx, "demo"), ["1.0.0"]);
    assert_eq!(idx["entries"]["demo"][0]["digest"], sha256_hex(&second));
    assert_consistent(&storage, &idx);
}

/// 50 concurrent uploads of distinct versions and 500 concurrent downloads: every version is
/// in the index, every archive served is whole, during the load and after it. (How fast `serve`
/// answers is a benchmark's question, not this test's.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_uploads_and_downloads_lose_nothing() {
    const UPLOADS: usize = 50;
    const DOWNLOADS: usize = 500;
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("charts");
    let server = Server::with_token(&storage, &[]);
    let url = server.url.clone();
    let http = client();

    // A few versions to download from the start.
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    for i in 0..5 {
        let version = format!("0.0.{i}");
        let archive = chart_archive("load", &version);
        expected.insert(format!("load-{version}.tgz"), sha256_hex(&archive));
        assert_eq!(upload(&http, &url, archive, Some(TOKEN)).await, 201);
    }
    let archives: Vec<(String, Vec<u8>)> = (0..UPLOADS)
        .map(|i| {
            let version = format!("1.{i}.0");
            (version.clone(), chart_archive("load", &version))
        })
        .collect();
    for (version, archive) in &archives {
        expected.insert(format!("load-{version}.tgz"), sha256_hex(archive));
    }
    let expected = Arc::new(expected);

    let uploads = join_all(archives.into_iter().map(|(_, archive)| {
        let http = http.clone();
        let url = url.clone();
        tokio::spawn(async move { upload(&http, &url, archive, Some(TOKEN)).await })
    }));
    let downloads = join_all((0..DOWNLOADS).map(|i| {
        let http = http.clone();
        let url = url.clone();
        let expected = Arc::clone(&expected);
        tokio::spawn(async move {
            if i % 5 == 0 {
                let response = http.get(format!("{url}/index.yaml")).send().await.unwrap();
                assert_eq!(response.status().as_u16(), 200);
                let text = response.text().await.unwrap();
                let parsed: Value = ketch::yaml::parse(&text, "index.yaml")
                    .unwrap_or_else(|e| panic!("a torn index was served: {e}"));
                assert!(versions(&parsed, "load").len() >= 5);
            } else {
                // Old versions always exist; new ones may not be published yet (404), but
                // whatever is served must be the whole archive.
                let file = if i % 2 == 0 {
                    format!("load-0.0.{}.tgz", i % 5)
                } else {
                    format!("load-1.{}.0.tgz", i % UPLOADS)
                };
                let response = http
                    .get(format!("{url}/charts/{file}"))
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                if status == 200 {
                    let body = response.bytes().await.unwrap();
                    assert_eq!(sha256_hex(&body), expected[&file], "{file} served corrupt");
                } else {
                    assert!(
                        status == 404 && file.starts_with("load-1."),
                        "{file}: {status}"
                    );
                }
            }
        })
    }));
    let (uploads, downloads) = tokio::join!(uploads, downloads);
    for result in uploads {
        assert_eq!(result.expect("upload task"), 201);
    }
    for result in downloads {
        result.expect("download task");
    }

    let idx = index(&http, &url).await;
    let listed: HashSet<String> = versions(&idx, "load").into_iter().collect();
    assert_eq!(listed.len(), 5 + UPLOADS, "versions lost from the index");
    assert_consistent(&storage, &idx);
    // Once the load is over, every acknowledged upload is served whole.
    for (file, digest) in expected.iter() {
        let body = http
            .get(format!("{url}/charts/{file}"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(&sha256_hex(&body), digest, "{file} after the load");
    }
}

/// SIGKILL in the middle of uploads, then a restart: the index lists exactly the archives on
/// disk, every acknowledged upload is there, no temporary file survives. Leftovers of a crash
/// at each step (a half-written upload, an archive renamed in but not indexed, a corrupt
/// archive) are repaired on start.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_during_uploads_then_restart_is_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("charts");
    let mut server = Server::with_token(&storage, &[]);
    let url = server.url.clone();
    let http = client();

    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let (enough_in, enough_in_rx) = tokio::sync::oneshot::channel::<()>();
    let enough_in = Arc::new(Mutex::new(Some(enough_in)));
    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let http = http.clone();
            let url = url.clone();
            let acknowledged = Arc::clone(&acknowledged);
            let enough_in = Arc::clone(&enough_in);
            tokio::spawn(async move {
                let version = format!("2.{i}.0");
                let status =
                    upload(&http, &url, chart_archive("crash", &version), Some(TOKEN)).await;
                if status == 201 {
                    let mut acknowledged = acknowledged.lock().unwrap();
                    acknowledged.push(version);
                    // Kill once a few are in, while others are mid-flight.
                    if acknowledged.len() >= 10
                        && let Some(tx) = enough_in.lock().unwrap().take()
                    {
                        let _ = tx.send(());
                    }
                }
            })
        })
        .collect();
    tokio::time::timeout(Duration::from_secs(30), enough_in_rx)
        .await
        .expect("fewer than 10 uploads succeeded")
        .unwrap();
    server.kill();
    join_all(tasks).await;
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(!acknowledged.is_empty());
    eprintln!(
        "killed ketch serve with {} of 60 uploads acknowledged",
        acknowledged.len()
    );

    // Leftovers of crashes at other points.
    std::fs::write(
        storage.join(".crash-9.0.0.tgz.4242-0.tmp"),
        &chart_archive("crash", "9.0.0")[..100],
    )
    .unwrap();
    let unindexed = chart_archive("crash", "8.0.0");
    std::fs::write(storage.join("crash-8.0.0.tgz"), &unindexed).unwrap();
    std::fs::write(storage.join("broken-1.0.0.tgz"), b"\x1f\x8b garbage").unwrap();
    let mut torn = std::fs::File::create(storage.join("index.yaml")).unwrap();
    torn.write_all(b"apiVersion: v1\nentries:\n  crash:\n  - name: cr")
        .unwrap();
    drop(torn);

    let restarted = Server::with_token(&storage, &[]);
    let idx = index(&http, &restarted.url).await;
    let listed: HashSet<String> = versions(&idx, "crash").into_iter().collect();
    for version in &acknowledged {
        assert!(
            listed.contains(version),
            "acknowledged upload {version} lost"
        );
    }
    assert!(
        listed.contains("8.0.0"),
        "an archive on disk was not indexed"
    );
    assert!(!listed.contains("9.0.0"));
    assert!(storage.join(".rejected/broken-1.0.0.tgz").exists());
    assert_consistent(&storage, &idx);
    let log = restarted.log();
    assert!(
        log.contains("broken-1.0.0.tgz is not a valid chart archive"),
        "{log}"
    );
    assert!(log.contains("unfinished upload"), "{log}");
}

#[test]
fn serve_refuses_an_empty_token_file_and_a_busy_port() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ketch"))
        .args(["serve", "--storage"])
        .arg(dir.path().join("s"))
        .arg("--token-file")
        .arg(&token)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the file is empty"), "{err}");

    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_ketch"))
        .args(["serve", "--addr", &addr, "--storage"])
        .arg(dir.path().join("s"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
}

#[test]
fn push_to_a_chart_server_reports_auth_and_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("charts");
    let server = Server::with_token(&storage, &[]);
    let archive = dir.path().join("demo-1.0.0.tgz");
    std::fs::write(&archive, chart_archive("demo", "1.0.0")).unwrap();
    let push = |token: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ketch"));
        command.arg("push").arg(&archive).arg(&server.url);
        command.env_remove("KETCH_PUSH_TOKEN");
        if let Some(token) = token {
            command.args(["--token", token]);
        }
        command.output().unwrap()
    };
    let out = push(None);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("401") && err.contains("--token"), "{err}");

    let out = push(Some(TOKEN));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Pushed: demo 1.0.0"));
    assert!(storage.join("demo-1.0.0.tgz").exists());

    let out = push(Some(TOKEN));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("409") && err.contains("immutable"), "{err}");
}

/// The server's peak resident memory (VmHWM), in MiB.
fn peak_rss_mib(server: &Server) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id())).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib >> 10
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_stream_to_disk_and_large_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("charts");
    let server = Server::with_token(&storage, &[]);
    let url = server.url.clone();
    let http = client();
    // Eight uploads of 95 MiB at once: buffered in memory, they held 889 MB.
    let body = vec![0x1fu8; 95 << 20];
    let uploads = (0..8).map(|_| upload(&http, &url, body.clone(), Some(TOKEN)));
    let statuses = futures::future::join_all(uploads).await;
    assert!(statuses.iter().all(|&s| s == 400), "{statuses:?}");
    let peak = peak_rss_mib(&server);
    eprintln!("peak RSS of ketch serve: {peak} MiB");
    assert!(
        peak < 400,
        "ketch serve held {peak} MiB for 8 uploads of 95 MiB"
    );
    // Over the archive limit: 413, and nothing is left in the storage.
    let status = upload(&http, &url, vec![0x1f; (100 << 20) + 1], Some(TOKEN)).await;
    assert_eq!(status, 413);
    let left: Vec<_> = std::fs::read_dir(&storage)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "index.yaml")
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // A real chart still goes in.
    assert_eq!(
        upload(&http, &url, chart_archive("demo", "1.0.0"), Some(TOKEN)).await,
        201
    );
}
