//! `ketch package`: reproducible archives, validation before writing.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/repo/charts")
        .join(name)
}

fn ketch(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ketch"));
    command.args(args).env_remove("SOURCE_DATE_EPOCH");
    for (k, v) in envs {
        command.env(k, v);
    }
    command.output().expect("run ketch")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Copies a directory, stamping every file and directory with `mtime`.
fn copy_with_mtime(from: &Path, to: &Path, mtime: SystemTime) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_with_mtime(&entry.path(), &dest, mtime);
        } else {
            fs::copy(entry.path(), &dest).unwrap();
            fs::File::options()
                .write(true)
                .open(&dest)
                .unwrap()
                .set_modified(mtime)
                .unwrap();
        }
    }
}

fn package(chart: &Path, dest: &Path, extra: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut args = vec![
        "package",
        chart.to_str().unwrap(),
        "-d",
        dest.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    ketch(&args, envs)
}

struct EntryInfo {
    path: String,
    mode: u32,
    mtime: u64,
    uid: u64,
    gid: u64,
    user: Vec<u8>,
    group: Vec<u8>,
}

fn entries(archive: &Path) -> Vec<EntryInfo> {
    let bytes = fs::read(archive).unwrap();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_slice()));
    tar.entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let h = e.header().clone();
            EntryInfo {
                path: e.path().unwrap().display().to_string(),
                mode: h.mode().unwrap(),
                mtime: h.mtime().unwrap(),
                uid: h.uid().unwrap(),
                gid: h.gid().unwrap(),
                user: h.username_bytes().unwrap_or_default().to_vec(),
                group: h.groupname_bytes().unwrap_or_default().to_vec(),
            }
        })
        .collect()
}

#[test]
fn the_same_chart_packages_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a/demo"), tmp.path().join("b/demo"));
    let epoch = SystemTime::UNIX_EPOCH;
    copy_with_mtime(&fixture("demo"), &a, epoch + Duration::from_secs(1_000_000));
    copy_with_mtime(
        &fixture("demo"),
        &b,
        epoch + Duration::from_secs(1_700_000_000),
    );
    let (out_a, out_b) = (tmp.path().join("out-a"), tmp.path().join("out-b"));
    let first = package(&a, &out_a, &[], &[]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let second = package(&b, &out_b, &[], &[]);
    assert!(second.status.success(), "{}", text(&second.stderr));

    let bytes_a = fs::read(out_a.join("demo-1.2.3.tgz")).unwrap();
    let bytes_b = fs::read(out_b.join("demo-1.2.3.tgz")).unwrap();
    assert!(bytes_a == bytes_b, "two packagings differ");
    let sha = format!("{:x}", Sha256::digest(&bytes_a));
    let stdout = text(&first.stdout);
    assert!(stdout.contains(&format!("sha256: {sha}")), "{stdout}");
    assert!(stdout.contains("demo-1.2.3.tgz"), "{stdout}");

    // The gzip header carries no timestamp and no file name.
    assert_eq!(&bytes_a[..4], &[0x1f, 0x8b, 8, 0]);
    assert_eq!(&bytes_a[4..8], &[0, 0, 0, 0]);

    let entries = entries(&out_a.join("demo-1.2.3.tgz"));
    let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "demo/",
            "demo/Chart.yaml",
            "demo/files/",
            "demo/files/notes.txt",
            "demo/templates/",
            "demo/templates/_helpers.j2",
            "demo/templates/configmap.yaml",
            "demo/values.yaml",
        ],
        ".ketchignore'd files (files/scratch.bak, .ketchignore) are left out, entries sorted"
    );
    for e in &entries {
        let want = if e.path.ends_with('/') { 0o755 } else { 0o644 };
        assert_eq!(e.mode, want, "{}", e.path);
        assert_eq!((e.mtime, e.uid, e.gid), (0, 0, 0), "{}", e.path);
        assert!(e.user.is_empty() && e.group.is_empty(), "{}", e.path);
    }
    // The archive loads as the chart it came from.
    let chart = ketch::chart::load(&out_a.join("demo-1.2.3.tgz")).unwrap();
    assert_eq!(chart.metadata.name, "demo");
    assert!(chart.file("files/notes.txt").is_some());
}

#[test]
fn source_date_epoch_sets_the_mtime() {
    let tmp = tempfile::tempdir().unwrap();
    let out = package(
        &fixture("demo"),
        tmp.path(),
        &[],
        &[("SOURCE_DATE_EPOCH", "1700000000")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let entries = entries(&tmp.path().join("demo-1.2.3.tgz"));
    assert!(entries.iter().all(|e| e.mtime == 1_700_000_000));

    let bad = package(
        &fixture("demo"),
        tmp.path(),
        &[],
        &[("SOURCE_DATE_EPOCH", "yesterday")],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("SOURCE_DATE_EPOCH"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn version_flags_rewrite_chart_yaml_in_the_archive() {
    let tmp = tempfile::tempdir().unwrap();
    let out = package(
        &fixture("demo"),
        tmp.path(),
        &["--version", "2.0.0-rc.1+build.5", "--app-version", "9.9"],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let archive = tmp.path().join("demo-2.0.0-rc.1+build.5.tgz");
    let chart = ketch::chart::load(&archive).unwrap();
    assert_eq!(chart.metadata.version, "2.0.0-rc.1+build.5");
    assert_eq!(chart.metadata.app_version.as_deref(), Some("9.9"));
    assert_eq!(
        chart.metadata.keywords,
        ["demo", "testing"],
        "other fields stay"
    );
    // The source chart is untouched.
    let source = fs::read_to_string(fixture("demo").join("Chart.yaml")).unwrap();
    assert!(source.contains("version: 1.2.3"));
}

#[test]
fn nothing_is_written_for_an_invalid_chart_or_version() {
    let tmp = tempfile::tempdir().unwrap();
    let out = package(&fixture("broken"), tmp.path(), &["--strict"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("lint found 1 problem(s) and --strict refuses them"),
        "{stderr}"
    );
    assert!(
        stderr.contains("missing"),
        "names the undefined value: {stderr}"
    );

    let out = package(&fixture("demo"), tmp.path(), &["--version", "1.2"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--version \"1.2\" is not strict SemVer"),
        "{}",
        text(&out.stderr)
    );

    // A version Helm reads loosely loads, but a package carries a strict one.
    let loose = tempfile::tempdir().unwrap();
    copy_with_mtime(&fixture("demo"), loose.path(), SystemTime::UNIX_EPOCH);
    let chart_yaml = loose.path().join("Chart.yaml");
    let source = fs::read_to_string(&chart_yaml).unwrap();
    fs::write(
        &chart_yaml,
        source.replace("version: 1.2.3", "version: v1.2"),
    )
    .unwrap();
    let out = package(loose.path(), tmp.path(), &[], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(
            "version \"v1.2\" is not strict SemVer 2; a package is named and indexed by its version, \
             so ketch writes strict ones: set `version: 1.2.0` in Chart.yaml or pass `--version 1.2.0`"
        ),
        "{}",
        text(&out.stderr)
    );
    let out = package(
        loose.path(),
        &loose.path().join("out"),
        &["--version", "1.2.0"],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    let archive = tmp.path().join("x.tgz");
    fs::write(&archive, b"not a chart").unwrap();
    let out = package(&archive, tmp.path(), &[], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not a chart directory"),
        "{}",
        text(&out.stderr)
    );

    let left: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(left, ["x.tgz"], "no archive or temporary file was left");
}

/// Writes a chart whose one template needs a value its defaults lack, as
/// charts with `required` do.
fn required_value_chart(dir: &Path, template: &str, values: &str, schema: Option<&str>) {
    fs::create_dir_all(dir.join("templates")).unwrap();
    fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: req\nversion: 0.1.0\ndescription: d\nannotations:\n  ketch.dev/engine: minijinja\n",
    )
    .unwrap();
    fs::write(dir.join("values.yaml"), values).unwrap();
    fs::write(dir.join("templates/configmap.yaml"), template).unwrap();
    if let Some(schema) = schema {
        fs::write(dir.join("values.schema.json"), schema).unwrap();
    }
}

const REQUIRED_TAG: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: req\ndata:\n  \
    tag: {{ values.tag | required('set tag') | quote }}\n  replicas: \"{{ values.replicas }}\"\n";

/// Packaging refuses what makes the archive unusable; what a render with the
/// default values finds is a warning (Helm packages such charts), `--strict`
/// refuses it, and `-f`/`--set` lint with the values the chart is meant for.
#[test]
fn package_refuses_only_what_makes_the_archive_unusable() {
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("req");
    let schema = r#"{"type": "object", "properties": {"replicas": {"type": "integer"}}}"#;
    required_value_chart(&chart, REQUIRED_TAG, "replicas: 1\n", Some(schema));
    let dist = tmp.path().join("dist");
    let archive = dist.join("req-0.1.0.tgz");

    let out = package(&chart, &dist, &[], &[]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(archive.is_file());
    assert!(
        stderr.contains("lint found 1 problem(s) with the chart's default values"),
        "{stderr}"
    );
    assert!(
        stderr.contains("packaged anyway (--strict refuses them)"),
        "{stderr}"
    );
    assert!(stderr.contains("set tag"), "{stderr}");
    fs::remove_file(&archive).unwrap();

    let out = package(&chart, &dist, &["--strict"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("set tag"),
        "{}",
        text(&out.stderr)
    );
    assert!(!archive.exists());

    // With the values the chart is meant for, lint is clean, also under --strict.
    let values = tmp.path().join("prod.yaml");
    fs::write(&values, "tag: \"1.0\"\n").unwrap();
    for extra in [
        &["--set", "tag=1.0", "--strict"][..],
        &["-f", values.to_str().unwrap(), "--strict"][..],
    ] {
        let out = package(&chart, &dist, extra, &[]);
        let stderr = text(&out.stderr);
        assert!(out.status.success(), "{extra:?}: {stderr}");
        assert!(!stderr.contains("WARN"), "{extra:?}: {stderr}");
    }
    fs::remove_file(&archive).unwrap();

    // Values that fail the chart's own schema: from values.yaml or from the flags.
    let out = package(&chart, &dist, &["--set", "replicas=many"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("req: not packaged"), "{stderr}");
    assert!(stderr.contains("replicas"), "{stderr}");
    required_value_chart(&chart, REQUIRED_TAG, "replicas: many\n", Some(schema));
    let out = package(&chart, &dist, &[], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not packaged"),
        "{}",
        text(&out.stderr)
    );

    // A template that does not compile, whatever the values.
    required_value_chart(&chart, "{% if %}\n", "replicas: 1\n", None);
    let out = package(&chart, &dist, &[], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("not packaged: req/templates/configmap.yaml"),
        "{stderr}"
    );

    // values.yaml that does not parse.
    required_value_chart(&chart, REQUIRED_TAG, "a: [1\n", None);
    let out = package(&chart, &dist, &[], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("values.yaml"),
        "{}",
        text(&out.stderr)
    );
    assert!(!archive.exists());
}
