//! TLS against real HTTPS chart repositories on 127.0.0.1 (`tests/tools/https-repo`: Python's
//! `http.server` and `ssl`), with a CA and certificates made by `openssl` for each test: a CA
//! ketch must be told about (`--ca-file`, stored per repository), mutual TLS with a good, a
//! missing and an expired client certificate, `--insecure-skip-tls-verify`, and Helm pulling
//! the same chart from the same servers with the same command lines.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::support::{Home, REPO, files_in, printed_digest, sha256, write_chart};

/// A CA and the certificates the tests use, made by openssl in `dir`.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn new(home: &Home) -> Pki {
        let dir = home.path("pki");
        fs::create_dir_all(&dir).unwrap();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(&dir)
                .output()
                .expect("run openssl (Debian package openssl)");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let key = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        for (ca, name) in [("ca", "ketch-test-ca"), ("other-ca", "another-ca")] {
            let subject = format!("/CN={name}");
            let (pem, key_file) = (format!("{ca}.pem"), format!("{ca}.key"));
            let mut args = vec!["req", "-x509"];
            args.extend(key);
            args.extend([
                "-keyout", &key_file, "-out", &pem, "-subj", &subject, "-days", "2",
            ]);
            openssl(&args);
        }
        // Extensions make X.509 v3 certificates, the only version rustls accepts.
        fs::write(dir.join("server.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
        fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
        // `-days -1` ends the certificate's life before it starts: expired from the outset.
        for (name, subject, days, ext) in [
            ("server", "/CN=127.0.0.1", "2", "server.ext"),
            ("client", "/CN=ketch-client", "2", "client.ext"),
            ("expired", "/CN=ketch-client", "-1", "client.ext"),
        ] {
            let (csr, key_file, pem) = (
                format!("{name}.csr"),
                format!("{name}.key"),
                format!("{name}.pem"),
            );
            let mut args = vec!["req"];
            args.extend(key);
            args.extend(["-keyout", &key_file, "-out", &csr, "-subj", subject]);
            openssl(&args);
            openssl(&[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &pem,
                "-days",
                days,
                "-extfile",
                ext,
            ]);
        }
        Pki { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_string()
    }
}

/// `tests/tools/https-repo` serving `dir`; killed on drop.
struct HttpsRepo {
    child: Child,
    url: String,
    log: PathBuf,
}

impl HttpsRepo {
    fn start(home: &Home, dir: &Path, pki: &Pki, client_ca: bool) -> HttpsRepo {
        let log = home.path(if client_ca { "mtls.log" } else { "https.log" });
        let mut command = Command::new("python3");
        command
            .arg(format!("{REPO}/tests/tools/https-repo"))
            .args(["--dir", dir.to_str().unwrap()])
            .args([
                "--cert",
                &pki.path("server.pem"),
                "--key",
                &pki.path("server.key"),
            ])
            .args(["--log", log.to_str().unwrap()])
            .stdout(Stdio::piped());
        if client_ca {
            command.args(["--client-ca", &pki.path("ca.pem")]);
        }
        let mut child = command.spawn().expect("run python3 tests/tools/https-repo");
        let mut port = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut port)
            .unwrap();
        assert!(!port.trim().is_empty(), "https-repo did not start");
        HttpsRepo {
            child,
            url: format!("https://127.0.0.1:{}", port.trim()),
            log,
        }
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for HttpsRepo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Debian's docker-registry serving HTTPS on 127.0.0.1 with the test CA's server certificate;
/// killed on drop.
struct TlsRegistry {
    child: Child,
    host: String,
}

impl TlsRegistry {
    fn start(home: &Home, pki: &Pki) -> TlsRegistry {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = home.path("registry.yml");
        let storage = home.path("registry");
        fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
                 http:\n  addr: 127.0.0.1:{port}\n  tls:\n    certificate: {}\n    key: {}\n",
                storage.display(),
                pki.path("server.pem"),
                pki.path("server.key"),
            ),
        )
        .unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run docker-registry (Debian package docker-registry)");
        let registry = TlsRegistry {
            child,
            host: format!("127.0.0.1:{port}"),
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::net::TcpStream::connect(&registry.host).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "docker-registry did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        registry
    }
}

impl Drop for TlsRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A repository directory with demo 1.0.0 and 1.1.0 and its index.
fn chart_dir(home: &Home) -> PathBuf {
    home.package_demo("www", "1.0.0");
    home.package_demo("www", "1.1.0");
    let dir = home.path("www");
    home.ok(&["repo", "index", dir.to_str().unwrap()]);
    dir
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn a_private_ca_is_given_once_with_repo_add_and_used_by_update_and_pull() {
    let home = Home::new();
    let pki = Pki::new(&home);
    let server = HttpsRepo::start(&home, &chart_dir(&home), &pki, false);
    let url = server.url.as_str();

    // Unknown CA: the error says which flag fixes it, and nothing is written.
    let err = home.fails(&["repo", "add", "secure", url]);
    assert!(
        err.contains(&format!("{url}/index.yaml"))
            && err.contains("not in the system trust store")
            && err.contains("--ca-file"),
        "{err}"
    );
    assert!(!home.config().join("repositories.yaml").exists());
    assert_eq!(files_in(&home.cache()), Vec::<String>::new());

    // Another CA: the error names the file given.
    let other = pki.path("other-ca.pem");
    let err = home.fails(&["repo", "add", "secure", url, "--ca-file", &other]);
    assert!(err.contains(&other) && err.contains("--ca-file"), "{err}");

    // The right CA, given relative to the working directory, is stored as an absolute path.
    home.ok(&["repo", "add", "secure", url, "--ca-file", "pki/ca.pem"]);
    let stored = read(&home.config().join("repositories.yaml"));
    assert!(
        stored.contains(&format!("caFile: {}", pki.path("ca.pem"))),
        "{stored}"
    );
    home.ok(&["repo", "update"]);
    let out = home.ok(&[
        "pull",
        "secure/demo",
        "--version",
        "1.0.0",
        "-d",
        "ketch-out",
    ]);
    let pulled = home.path("ketch-out/demo-1.0.0.tgz");
    assert_eq!(printed_digest(&out), format!("sha256:{}", sha256(&pulled)));
    // A URL under the added repository uses its CA too; so does --ca-file for any URL.
    let archive = format!("{url}/demo-1.1.0.tgz");
    home.ok(&["pull", &archive, "-d", "by-url"]);
    home.ok(&["pull", &archive, "-d", "by-flag", "--ca-file", "pki/ca.pem"]);

    // Helm, same servers, same command lines: the same version and digest.
    home.helm(&[
        "repo",
        "add",
        "secure",
        url,
        "--ca-file",
        &pki.path("ca.pem"),
    ]);
    fs::create_dir_all(home.path("helm-out")).unwrap();
    home.helm(&[
        "pull",
        "secure/demo",
        "--version",
        "1.0.0",
        "-d",
        "helm-out",
    ]);
    assert_eq!(
        sha256(&home.path("helm-out/demo-1.0.0.tgz")),
        sha256(&pulled)
    );

    // The stored CA no longer signs the server: the error names the stored setting.
    fs::copy(pki.dir.join("other-ca.pem"), pki.dir.join("ca.pem")).unwrap();
    let err = home.fails(&["repo", "update", "secure"]);
    assert!(
        err.contains("the caFile stored for repository \"secure\"") && err.contains("ca.pem"),
        "{err}"
    );
    // An archive the archive cache holds (its digest from the index) needs no connection:
    // empty the cache, so the pull has to reach the server.
    fs::remove_dir_all(home.cache().join("charts")).unwrap();
    let err = home.fails(&["pull", "secure/demo", "-d", "after"]);
    assert!(err.contains("caFile stored for repository"), "{err}");
    assert_eq!(files_in(&home.path("after")), Vec::<String>::new());
}

#[test]
fn mutual_tls_needs_a_valid_client_certificate() {
    let home = Home::new();
    let pki = Pki::new(&home);
    let server = HttpsRepo::start(&home, &chart_dir(&home), &pki, true);
    let url = server.url.as_str();
    let ca = pki.path("ca.pem");
    let with_ca = |tls: &[&str]| {
        let mut args = vec!["repo", "add", "m", url, "--ca-file", &ca];
        args.extend(tls);
        args.iter().map(|a| a.to_string()).collect::<Vec<_>>()
    };
    let fails = |tls: &[&str]| {
        let args = with_ca(tls);
        home.fails(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let (cert, key) = (pki.path("client.pem"), pki.path("client.key"));
    let (expired, expired_key) = (pki.path("expired.pem"), pki.path("expired.key"));

    let err = fails(&[]);
    assert!(
        err.contains("requires a client certificate")
            && err.contains("--cert-file")
            && err.contains("--key-file"),
        "{err}"
    );
    let err = fails(&["--cert-file", &expired, "--key-file", &expired_key]);
    assert!(
        err.contains(&format!("refused the client certificate {expired}"))
            && err.contains("expired"),
        "{err}"
    );
    assert!(!home.config().join("repositories.yaml").exists());
    assert_eq!(files_in(&home.cache()), Vec::<String>::new());
    let log = server.log();
    assert!(log.contains("TLS-REFUSED"), "{log}");

    // Files that are not what they should be are named.
    let err = fails(&["--cert-file", &ca, "--key-file", &ca]);
    assert!(
        err.contains(&format!("--key-file {ca}")) && err.contains("private key"),
        "{err}"
    );
    let err = fails(&["--cert-file", &cert, "--key-file", &expired_key]);
    assert!(
        err.contains(&format!("--cert-file {cert}"))
            && err.contains(&format!(
                "does not belong to the private key in --key-file {expired_key}"
            )),
        "{err}"
    );
    let missing = pki.path("missing.pem");
    let err = home.fails(&["repo", "add", "m", url, "--ca-file", &missing]);
    assert!(
        err.contains(&format!("--ca-file {missing}: cannot read it")),
        "{err}"
    );
    let err = home.fails(&["repo", "add", "m", url, "--ca-file", &pki.path("ca.key")]);
    assert!(err.contains("holds no PEM certificate"), "{err}");

    let args = with_ca(&["--cert-file", &cert, "--key-file", &key]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    home.ok(&args);
    home.ok(&["repo", "update", "m"]);
    let out = home.ok(&["pull", "m/demo", "--version", "1.1.0", "-d", "ketch-out"]);
    let pulled = home.path("ketch-out/demo-1.1.0.tgz");
    assert_eq!(printed_digest(&out), format!("sha256:{}", sha256(&pulled)));
    // `dep update` and `dep build` use the stored CA and client certificate too.
    let dependencies = "  - name: demo\n    version: 1.1.0\n    repository: \"@m\"\n";
    let chart = write_chart(&home, "umbrella", "umbrella", "0.1.0", dependencies);
    let chart = chart.to_str().unwrap();
    home.ok(&["dep", "update", chart, "--refresh"]);
    assert_eq!(
        sha256(&home.path("umbrella/charts/demo-1.1.0.tgz")),
        sha256(&pulled)
    );

    // Helm: the same `repo add` and `pull` command lines, the same archive.
    home.helm(&args);
    fs::create_dir_all(home.path("helm-out")).unwrap();
    home.helm(&["pull", "m/demo", "--version", "1.1.0", "-d", "helm-out"]);
    assert_eq!(
        sha256(&home.path("helm-out/demo-1.1.0.tgz")),
        sha256(&pulled)
    );
}

#[test]
fn insecure_skip_tls_verify_is_stored_and_used() {
    let home = Home::new();
    let pki = Pki::new(&home);
    let server = HttpsRepo::start(&home, &chart_dir(&home), &pki, false);
    let url = server.url.as_str();
    home.ok(&["repo", "add", "lax", url, "--insecure-skip-tls-verify"]);
    let stored = read(&home.config().join("repositories.yaml"));
    assert!(
        stored.contains("insecure_skip_tls_verify: true"),
        "{stored}"
    );
    home.ok(&["repo", "update"]);
    let out = home.ok(&["pull", "lax/demo", "-d", "out"]);
    assert_eq!(
        printed_digest(&out),
        format!("sha256:{}", sha256(&home.path("out/demo-1.1.0.tgz")))
    );
    // Helm v3.21 does not apply the stored setting to the archive's download: it needs the flag.
    home.helm(&["repo", "add", "lax", url, "--insecure-skip-tls-verify"]);
    fs::create_dir_all(home.path("helm-out")).unwrap();
    home.helm(&[
        "pull",
        "lax/demo",
        "-d",
        "helm-out",
        "--insecure-skip-tls-verify",
    ]);
    assert_eq!(
        sha256(&home.path("helm-out/demo-1.1.0.tgz")),
        sha256(&home.path("out/demo-1.1.0.tgz"))
    );
}

#[test]
fn an_oci_registry_over_tls_with_a_private_ca() {
    let home = Home::new();
    let pki = Pki::new(&home);
    let registry = TlsRegistry::start(&home, &pki);
    let host = registry.host.as_str();
    let archive = home.package_demo("dist", "1.0.0");
    let archive = archive.to_str().unwrap();
    let remote = format!("oci://{host}/charts");
    let (ca, other) = (pki.path("ca.pem"), pki.path("other-ca.pem"));

    // A CA that did not sign the registry's certificate: push, pull and login say so.
    let err = home.fails(&["push", archive, &remote, "--ca-file", &other]);
    assert!(
        err.contains(host) && err.contains(&other) && err.contains("--ca-file"),
        "{err}"
    );
    let err = home.fails(&[
        "registry",
        "login",
        host,
        "-u",
        "u",
        "-p",
        "pw",
        "--ca-file",
        &other,
    ]);
    assert!(err.contains(&other) && err.contains("--ca-file"), "{err}");

    let pushed = home.ok(&["push", archive, &remote, "--ca-file", &ca]);
    let chart = format!("{remote}/demo");
    let pulled = home.ok(&[
        "pull",
        &chart,
        "--version",
        "1.0.0",
        "-d",
        "out",
        "--ca-file",
        &ca,
    ]);
    assert!(pushed.contains("Digest: sha256:"), "{pushed}");
    assert_eq!(
        printed_digest(&pulled),
        format!("sha256:{}", sha256(Path::new(archive)))
    );
    home.ok(&["pull", &chart, "-d", "lax", "--insecure-skip-tls-verify"]);
    let err = home.fails(&[
        "pull",
        &chart,
        "-d",
        "mtls",
        "--cert-file",
        &pki.path("client.pem"),
        "--key-file",
        &pki.path("client.key"),
    ]);
    assert!(
        err.contains("cannot be presented to OCI registries"),
        "{err}"
    );
    assert!(!home.path("mtls").exists());

    // Helm pulls what ketch pushed, with the same flags, byte for byte.
    fs::create_dir_all(home.path("helm-out")).unwrap();
    home.helm(&[
        "pull",
        &chart,
        "--version",
        "1.0.0",
        "-d",
        "helm-out",
        "--ca-file",
        &ca,
    ]);
    assert_eq!(
        sha256(&home.path("helm-out/demo-1.0.0.tgz")),
        sha256(Path::new(archive))
    );
}
