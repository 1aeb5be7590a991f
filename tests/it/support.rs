//! What several test modules share: a tiny HTTP server, ketch run with its own
//! config and cache, and Helm built from its Go module as the peer.

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

pub const REPO: &str = env!("CARGO_MANIFEST_DIR");

// --- a tiny HTTP server ----------------------------------------------------------------------------

#[derive(Clone)]
pub struct Reply {
    status: u16,
    body: Vec<u8>,
    /// Send `body`, then hang before the rest of the promised length.
    stall: bool,
}

#[derive(Clone, Default)]
pub struct Routes {
    replies: HashMap<String, Reply>,
    /// The `Authorization` header every request must carry.
    auth: Option<String>,
    /// Paths answered with a redirect (302) to another URL.
    redirects: HashMap<String, String>,
    /// Every request as it came: its path and its `Authorization` header.
    seen: Vec<(String, Option<String>)>,
}

pub struct Server {
    pub url: String,
    pub routes: Arc<Mutex<Routes>>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let routes = Arc::new(Mutex::new(Routes::default()));
        let shared = Arc::clone(&routes);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let routes = Arc::clone(&shared);
                std::thread::spawn(move || respond(stream, &routes));
            }
        });
        Server { url, routes }
    }

    pub fn serve(&self, path: &str, status: u16, body: impl Into<Vec<u8>>) {
        self.routes.lock().unwrap().replies.insert(
            path.to_string(),
            Reply {
                status,
                body: body.into(),
                stall: false,
            },
        );
    }

    /// Serves the start of a download that never finishes.
    pub fn serve_stalling(&self, path: &str, start: impl Into<Vec<u8>>) {
        self.routes.lock().unwrap().replies.insert(
            path.to_string(),
            Reply {
                status: 200,
                body: start.into(),
                stall: true,
            },
        );
    }

    pub fn serve_file(&self, path: &str, file: &Path) {
        self.serve(path, 200, fs::read(file).unwrap());
    }

    /// Forgets every route: the server answers 404 from now on.
    pub fn clear(&self) {
        self.routes.lock().unwrap().replies.clear();
    }

    /// Answers `path` with a redirect to `to`.
    pub fn redirect(&self, path: &str, to: &str) {
        let mut routes = self.routes.lock().unwrap();
        routes.redirects.insert(path.to_string(), to.to_string());
    }

    /// The requests received so far: path and `Authorization` header.
    pub fn requests(&self) -> Vec<(String, Option<String>)> {
        self.routes.lock().unwrap().seen.clone()
    }

    pub fn require_basic_auth(&self, user: &str, password: &str) {
        use base64::Engine;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        self.routes.lock().unwrap().auth = Some(format!("Basic {token}"));
    }
}

fn respond(stream: TcpStream, routes: &Mutex<Routes>) {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let path = request_line.split(' ').nth(1).unwrap_or("/").to_string();
    let mut auth = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("authorization")
        {
            auth = Some(value.trim().to_string());
        }
    }
    let routes = {
        let mut routes = routes.lock().unwrap();
        routes.seen.push((path.clone(), auth.clone()));
        routes.clone()
    };
    let mut stream = reader.into_inner();
    let authorized = routes.auth.is_none() || routes.auth == auth;
    if let Some(to) = routes.redirects.get(&path)
        && authorized
    {
        let head = format!(
            "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let _ = stream.write_all(head.as_bytes());
        return;
    }
    let reply = if !authorized {
        Reply {
            status: 401,
            body: b"unauthorized".to_vec(),
            stall: false,
        }
    } else {
        routes.replies.get(&path).cloned().unwrap_or(Reply {
            status: 404,
            body: b"not found".to_vec(),
            stall: false,
        })
    };
    let head = format!(
        "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n{}\r\n",
        reply.status,
        reply.body.len() + if reply.stall { 1 << 20 } else { 0 },
        if reply.status == 401 {
            "WWW-Authenticate: Basic realm=\"charts\"\r\n"
        } else {
            ""
        }
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&reply.body);
    if reply.stall {
        let _ = stream.flush();
        std::thread::sleep(std::time::Duration::from_secs(60));
    }
}

// --- running ketch with its own config and cache ---------------------------------------------------

pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    pub fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn ketch(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run ketch")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ketch"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("KETCH_CONFIG_HOME", self.config())
            .env("KETCH_CACHE_HOME", self.cache())
            .env("DOCKER_CONFIG", self.path("docker"))
            // Helm's registry config as `helm` below sees it; no Podman auth file.
            .env(
                "HELM_REGISTRY_CONFIG",
                self.path("helm/config/registry/config.json"),
            )
            .env_remove("REGISTRY_AUTH_FILE")
            .env("SOURCE_DATE_EPOCH", "0")
            .env_remove("KETCH_REPO_PASSWORD")
            .env_remove("KETCH_REPO_TOKEN")
            .env_remove("http_proxy")
            .env_remove("HTTP_PROXY");
        command
    }

    /// Runs ketch and returns stdout, failing the test with stderr if it fails.
    pub fn ok(&self, args: &[&str]) -> String {
        succeeded(args, self.ketch(args))
    }

    /// Runs ketch, expects exit code 1 and returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        failed(args, self.ketch(args))
    }

    /// Packages the demo fixture at `version` into `dir` (relative to the home).
    pub fn package_demo(&self, dir: &str, version: &str) -> PathBuf {
        let dest = self.path(dir);
        let chart = format!("{REPO}/fixtures/repo/charts/demo");
        self.ok(&[
            "package",
            &chart,
            "-d",
            dest.to_str().unwrap(),
            "--version",
            version,
        ]);
        dest.join(format!("demo-{version}.tgz"))
    }
}

/// The first object of `kind` in a rendered manifest (the test fails without one).
pub fn object_of_kind<'a>(
    objects: &'a [ketch::manifest::Object],
    kind: &str,
) -> &'a ketch::manifest::Object {
    objects
        .iter()
        .find(|o| o.kind() == kind)
        .unwrap_or_else(|| panic!("no {kind} rendered"))
}

/// A server with the demo chart at `versions` under `/charts` (archives and index.yaml).
pub fn demo_repository(home: &Home, versions: &[&str]) -> Server {
    let server = Server::start();
    for version in versions {
        let archive = home.package_demo("published", version);
        server.serve_file(&format!("/charts/demo-{version}.tgz"), &archive);
    }
    let published = home.path("published");
    let url = format!("{}/charts", server.url);
    home.ok(&["repo", "index", published.to_str().unwrap(), "--url", &url]);
    server.serve_file("/charts/index.yaml", &published.join("index.yaml"));
    server
}

/// The stdout of a run (of ketch or Helm) with `args` that succeeded; its stderr fails the test
/// otherwise.
pub fn succeeded(args: &[&str], out: Output) -> String {
    assert!(
        out.status.success(),
        "{args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The stderr of `ketch args` that failed with exit code 1.
pub fn failed(args: &[&str], out: Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(1),
        "ketch {args:?} should fail:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The `Digest: sha256:...` a push or pull printed: `sha256:HEX`.
pub fn printed_digest(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("Digest: "))
        .unwrap_or_else(|| panic!("no Digest line in:\n{stdout}"))
        .trim()
        .to_string()
}

/// Writes a minijinja chart `name` at `version` into `home/dir` with `dependencies` (YAML list
/// items, or empty); its one template makes a ConfigMap named after the chart (or its alias).
/// Runs the `ketch` binary in `dir`, `KETCH_LOG` unset (warnings shown as users see them).
pub fn ketch_in(dir: impl AsRef<Path>, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ketch"))
        .env_remove("KETCH_LOG")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run ketch")
}

pub fn write_chart(
    home: &Home,
    dir: &str,
    name: &str,
    version: &str,
    dependencies: &str,
) -> PathBuf {
    let root = home.path(dir);
    fs::create_dir_all(root.join("templates")).unwrap();
    let deps = if dependencies.is_empty() {
        String::new()
    } else {
        format!("dependencies:\n{dependencies}")
    };
    fs::write(
        root.join("Chart.yaml"),
        format!(
            "apiVersion: v2\nname: {name}\nversion: {version}\ndescription: {name} chart\n{deps}\
             annotations:\n  ketch.dev/engine: minijinja\n"
        ),
    )
    .unwrap();
    fs::write(root.join("values.yaml"), "message: hello\n").unwrap();
    fs::write(
        root.join("templates/configmap.yaml"),
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{{{ release.name }}}}-{{{{ chart.name }}}}\n\
             data:\n  version: \"{version}\"\n  message: {{{{ values.message | quote }}}}\n"
        ),
    )
    .unwrap();
    root
}

/// The versions `Chart.lock` in `chart` pins, in order.
pub fn lock_versions(chart: &Path) -> Vec<String> {
    locked(chart, "version")
}

/// `field` of each dependency in `chart`'s Chart.lock, in order (`-` where absent).
pub fn locked(chart: &Path, field: &str) -> Vec<String> {
    let lock: serde_json::Value = ketch::yaml::parse(
        &fs::read_to_string(chart.join("Chart.lock")).unwrap(),
        "lock",
    )
    .unwrap();
    lock["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d[field].as_str().unwrap_or("-").to_string())
        .collect()
}

/// A second checkout of a chart [`write_chart`] wrote: its files without `charts/`.
pub fn checkout(chart: &Path, to: &Path) {
    fs::create_dir_all(to.join("templates")).unwrap();
    for file in [
        "Chart.yaml",
        "Chart.lock",
        "values.yaml",
        "templates/configmap.yaml",
    ] {
        fs::copy(chart.join(file), to.join(file)).unwrap();
    }
}

/// Packages a [`write_chart`] chart `name` at each of `versions` into `home/dir`.
pub fn package_versions(home: &Home, dir: &str, name: &str, versions: &[&str]) -> Vec<PathBuf> {
    let dist = home.path(dir);
    versions
        .iter()
        .map(|version| {
            let src = write_chart(home, &format!("src/{name}-{version}"), name, version, "");
            home.ok(&[
                "package",
                src.to_str().unwrap(),
                "-d",
                dist.to_str().unwrap(),
            ]);
            dist.join(format!("{name}-{version}.tgz"))
        })
        .collect()
}

pub fn sha256(path: &Path) -> String {
    sha256_hex(&fs::read(path).unwrap())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// A gzipped tar of `files` (path, text) under `top/`, as `ketch package` lays a chart out
/// (mode 0644, mtime 0).
pub fn tar_gz(top: &str, files: &[(&str, String)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    for (path, text) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        builder
            .append_data(&mut header, format!("{top}/{path}"), text.as_bytes())
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

// --- Helm as the peer ------------------------------------------------------------------------------

/// Helm built from its Go module: `KETCH_TEST_HELM` (tests/run sets it), else what
/// `tests/tools/helm` prints, building it on first use. Without Helm these tests fail, saying why.
pub fn helm_binary() -> PathBuf {
    static HELM: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    built_helm(&HELM, "KETCH_TEST_HELM", None)
}

/// Helm v4 (v4.3.2), the reference for rendering and linting Helm charts:
/// `KETCH_TEST_HELM_V4` (tests/run sets it), else built by `tests/tools/helm`.
pub fn helm_v4_binary() -> PathBuf {
    static HELM: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    built_helm(&HELM, "KETCH_TEST_HELM_V4", Some("v4.3.2"))
}

fn built_helm(
    cell: &'static std::sync::OnceLock<Result<PathBuf, String>>,
    variable: &str,
    version: Option<&str>,
) -> PathBuf {
    let found = cell.get_or_init(|| {
        if let Some(path) = std::env::var_os(variable) {
            return Ok(PathBuf::from(path));
        }
        let mut command = Command::new("bash");
        command.arg(format!("{REPO}/tests/tools/helm"));
        if let Some(version) = version {
            command.env("KETCH_TEST_HELM_VERSION", version);
        }
        let out = command
            .output()
            .map_err(|e| format!("cannot run tests/tools/helm: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
    });
    match found {
        Ok(path) if path.is_file() => path.clone(),
        Ok(path) => panic!("{variable}={} is not a file", path.display()),
        Err(e) => panic!(
            "the Helm interoperability tests need Helm, and tests/tools/helm could not build it \
             (it needs Go 1.26+; or set {variable} to a helm binary):\n{e}"
        ),
    }
}

impl Home {
    /// Helm with all its directories under this home, to run.
    pub fn helm_command(&self, args: &[&str]) -> Command {
        let h = self.path("helm");
        let mut command = Command::new(helm_binary());
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("HELM_CONFIG_HOME", h.join("config"))
            .env("HELM_CACHE_HOME", h.join("cache"))
            .env("HELM_DATA_HOME", h.join("data"))
            .env("HELM_REPOSITORY_CONFIG", h.join("config/repositories.yaml"))
            .env("HELM_REPOSITORY_CACHE", h.join("cache/repository"))
            .env_remove("http_proxy")
            .env_remove("HTTP_PROXY");
        command
    }

    /// Runs Helm (see [`Home::helm_command`]) and returns stdout, failing the test if it fails.
    pub fn helm(&self, args: &[&str]) -> String {
        let out = self.helm_command(args).output().expect("run helm");
        assert!(
            out.status.success(),
            "helm {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}
