//! `ketch pull oci://...` against the real OCI registry (`KETCH_TEST_REGISTRY`): what
//! `ketch push` stored comes back byte for byte, digests are checked, and a refused pull
//! leaves nothing behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

fn registry_host() -> String {
    std::env::var("KETCH_TEST_REGISTRY").unwrap_or_else(|_| {
        panic!(
            "KETCH_TEST_REGISTRY is not set: start the test cluster with `tests/cluster/up`, \
             then `. target/cluster/env` (or run everything with `tests/run`)"
        )
    })
}

fn ketch(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ketch"))
        .args(args)
        .current_dir(home)
        .env("KETCH_CONFIG_HOME", home.join("config"))
        .env("KETCH_CACHE_HOME", home.join("cache"))
        .env("DOCKER_CONFIG", home.join("docker-config"))
        .env_remove("KETCH_PUSH_TOKEN")
        .output()
        .expect("run ketch")
}

fn ok(home: &Path, args: &[&str]) -> String {
    let out = ketch(home, args);
    assert!(
        out.status.success(),
        "ketch {args:?}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn fails(home: &Path, args: &[&str]) -> String {
    let out = ketch(home, args);
    assert_eq!(out.status.code(), Some(1), "ketch {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Packages the demo fixture at `version` into `home/published`.
fn package(home: &Path, version: &str) -> PathBuf {
    let chart = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/repo/charts/demo");
    let dest = home.join("published");
    ok(
        home,
        &[
            "package",
            chart,
            "-d",
            dest.to_str().unwrap(),
            "--version",
            version,
        ],
    );
    dest.join(format!("demo-{version}.tgz"))
}

#[test]
fn pull_from_a_registry_checks_and_saves_what_was_pushed() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let remote = format!("oci://{}/ketch-pull-{nanos}", registry_host());
    let mut archives = Vec::new();
    for version in ["1.0.0", "1.2.3", "2.0.0-rc.1"] {
        let archive = package(home, version);
        ok(home, &["push", archive.to_str().unwrap(), &remote]);
        archives.push(std::fs::read(&archive).unwrap());
    }
    let reference = format!("{remote}/demo");
    let sha = |bytes: &[u8]| format!("{:x}", Sha256::digest(bytes));

    // Newest stable by default; the digest printed is the archive's.
    let out = ok(home, &["pull", &reference, "-d", "out"]);
    assert!(
        out.contains(&format!("Digest: sha256:{}", sha(&archives[1]))),
        "{out}"
    );
    assert_eq!(
        std::fs::read(home.join("out/demo-1.2.3.tgz")).unwrap(),
        archives[1]
    );

    let right = format!("--verify-digest=sha256:{}", sha(&archives[0]));
    ok(
        home,
        &["pull", &reference, "--version", "~1.0", "-d", "out", &right],
    );
    assert_eq!(
        std::fs::read(home.join("out/demo-1.0.0.tgz")).unwrap(),
        archives[0]
    );

    let wrong = format!("--verify-digest=sha256:{}", "0".repeat(64));
    let err = fails(
        home,
        &[
            "pull",
            &reference,
            "--version",
            "2.0.0-rc.1",
            "-d",
            "refused",
            &wrong,
        ],
    );
    assert!(err.contains("digest mismatch"), "{err}");
    assert!(
        files_in(&home.join("refused")).is_empty(),
        "{:?}",
        files_in(&home.join("refused"))
    );

    ok(
        home,
        &[
            "pull",
            &format!("{reference}:2.0.0-rc.1"),
            "--untar",
            "-d",
            "src",
        ],
    );
    let chart_yaml = std::fs::read_to_string(home.join("src/demo/Chart.yaml")).unwrap();
    assert!(chart_yaml.contains("version: 2.0.0-rc.1"), "{chart_yaml}");
    assert_eq!(files_in(&home.join("src")), ["demo"]);

    let err = fails(
        home,
        &["pull", &format!("{remote}/absent"), "-d", "refused"],
    );
    assert!(err.contains("absent"), "{err}");
    assert!(files_in(&home.join("refused")).is_empty());
}
