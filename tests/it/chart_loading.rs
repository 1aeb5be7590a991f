//! Loading charts from directories and archives, including hostile ones.
//!
//! Directory fixtures live in `fixtures/charts/loading/`; hostile archives are
//! built here, at test time, in a temporary directory (see
//! `fixtures/archives/README.md`).

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use ketch::chart::{self, Chart, LoadError};
use serde_json::json;
use tar::{EntryType, Header};

const MIB: u64 = 1024 * 1024;
const CHART_YAML: &str =
    "apiVersion: v2\nname: demo\nversion: 0.1.0\nannotations:\n  ketch.dev/engine: minijinja\n";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/charts/loading")
        .join(name)
}

fn load_err(path: &Path) -> String {
    match chart::load(path) {
        Ok(c) => panic!("{} loaded, expected an error: {c:?}", path.display()),
        Err(e) => e.to_string(),
    }
}

fn paths(files: &[chart::ChartFile]) -> Vec<&str> {
    files.iter().map(|f| f.path.as_str()).collect()
}

/// Two loads of the same chart agree on everything but where they came from.
fn assert_same_chart(a: &Chart, b: &Chart) {
    assert_eq!(a.metadata, b.metadata, "{} vs {}", a.origin, b.origin);
    assert_eq!(a.values, b.values, "{} vs {}", a.origin, b.origin);
    assert_eq!(a.values_text, b.values_text, "{} vs {}", a.origin, b.origin);
    assert_eq!(a.schema, b.schema, "{} vs {}", a.origin, b.origin);
    assert_eq!(a.templates, b.templates, "{} vs {}", a.origin, b.origin);
    assert_eq!(a.files, b.files, "{} vs {}", a.origin, b.origin);
    assert_eq!(
        a.subcharts.len(),
        b.subcharts.len(),
        "{} vs {}",
        a.origin,
        b.origin
    );
    for (x, y) in a.subcharts.iter().zip(&b.subcharts) {
        assert_same_chart(x, y);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A copy of the `valid` fixture in a fresh temporary directory, for tests
/// that add to a chart before loading it.
fn valid_chart_copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chart");
    copy_dir(&fixture("valid"), &dir);
    (tmp, dir)
}

/// A sparse file of `len` bytes: large to the loader, cheap on disk.
fn sparse_file(path: &Path, len: u64) {
    File::create(path).unwrap().set_len(len).unwrap();
}

/// Every file under `dir`, relative and `/`-separated, sorted.
fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, PathBuf)>) {
    let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().into_string().unwrap();
        let rel_path = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        if entry.file_type().unwrap().is_dir() {
            walk(&entry.path(), &rel_path, out);
        } else {
            out.push((rel_path, entry.path()));
        }
    }
}

/// Packs a chart directory as Helm does: every file under `top/`.
fn pack_dir(dir: &Path, top: &str, out: &Path) {
    let mut files = Vec::new();
    walk(dir, "", &mut files);
    let mut builder = tar::Builder::new(GzEncoder::new(
        File::create(out).unwrap(),
        Compression::default(),
    ));
    for (rel, path) in files {
        let data = fs::read(path).unwrap();
        let mut header = Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        builder
            .append_data(&mut header, format!("{top}/{rel}"), data.as_slice())
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap();
}

/// A header written field by field, so that it may say anything a hostile
/// archive says (`../` paths, absolute paths, links, devices).
fn raw_header(path: &str, kind: EntryType, size: u64) -> Header {
    let mut header = Header::new_gnu();
    header.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
    header.set_entry_type(kind);
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_cksum();
    header
}

fn link_header(path: &str, kind: EntryType, target: &str) -> Header {
    let mut header = raw_header(path, kind, 0);
    header.as_old_mut().linkname[..target.len()].copy_from_slice(target.as_bytes());
    header.set_cksum();
    header
}

/// Writes a `.tgz` of the given entries (header, data), streaming.
struct ArchiveWriter {
    builder: tar::Builder<GzEncoder<File>>,
}

impl ArchiveWriter {
    fn create(path: &Path) -> Self {
        Self {
            builder: tar::Builder::new(GzEncoder::new(
                File::create(path).unwrap(),
                Compression::default(),
            )),
        }
    }

    fn file(mut self, path: &str, data: &[u8]) -> Self {
        self.builder
            .append(
                &raw_header(path, EntryType::Regular, data.len() as u64),
                data,
            )
            .unwrap();
        self
    }

    fn entry(mut self, header: Header, data: impl Read) -> Self {
        self.builder.append(&header, data).unwrap();
        self
    }

    fn finish(self) {
        self.builder.into_inner().unwrap().finish().unwrap();
    }
}

fn zeros(n: u64) -> impl Read {
    io::repeat(0).take(n)
}

// Directory charts.

#[test]
fn loads_a_chart_directory() {
    let dir = fixture("valid");
    let chart = chart::load(&dir).unwrap();

    assert_eq!(chart.name(), "model-server");
    assert_eq!(chart.metadata.version, "1.2.3");
    assert_eq!(chart.metadata.engine(), Some("minijinja"));
    assert_eq!(chart.origin, dir.display().to_string());
    assert_eq!(chart.values["replicas"], json!(2));
    assert_eq!(chart.values["image"]["tag"], json!("1.0"));
    assert_eq!(
        chart.values["country"],
        json!("NO"),
        "YAML 1.2: NO stays a string"
    );
    assert!(
        chart
            .values_text
            .as_deref()
            .unwrap()
            .starts_with("# Defaults for the model server.\n")
    );
    assert_eq!(
        chart.schema.as_ref().unwrap()["properties"]["replicas"]["type"],
        json!("integer")
    );

    assert_eq!(
        paths(&chart.templates),
        [
            "NOTES.txt",
            "_helpers.j2",
            "deployment.yaml",
            "sub/configmap.yaml"
        ]
    );
    let helpers = chart
        .templates
        .iter()
        .find(|t| t.path == "_helpers.j2")
        .unwrap();
    assert!(String::from_utf8_lossy(&helpers.data).contains("{% macro fullname() %}"));
    assert_eq!(
        paths(&chart.files),
        [
            "README.md",
            "crds/models.yaml",
            "files/configs/server.ini",
            "files/keep.bak"
        ]
    );
    assert_eq!(
        chart.crds().map(|f| f.path.as_str()).collect::<Vec<_>>(),
        ["crds/models.yaml"]
    );
    assert_eq!(chart.readme().unwrap().data[..], *b"# model-server\n");
    assert_eq!(
        chart.file("files/configs/server.ini").unwrap().data[..],
        *b"threads = 4\n"
    );

    // charts/_notes.txt is skipped; the directory and the archive are both subcharts.
    let names: Vec<_> = chart.subcharts.iter().map(Chart::name).collect();
    assert_eq!(names, ["cache", "metrics"]);
    let cache = &chart.subcharts[0];
    assert_eq!(cache.origin, format!("{}/charts/cache", dir.display()));
    assert_eq!(cache.values["size"], json!("1Gi"));
    assert_eq!(paths(&cache.templates), ["service.yaml"]);
    assert!(
        cache.files.is_empty(),
        "the subchart's .ketchignore drops scratch.draft: {:?}",
        paths(&cache.files)
    );

    let metrics = &chart.subcharts[1];
    assert_eq!(
        metrics.origin,
        format!("{}/charts/metrics-0.3.0.tgz", dir.display())
    );
    assert_eq!(metrics.values["interval"], json!("30s"));
    assert_eq!(paths(&metrics.templates), ["servicemonitor.yaml"]);
    let exporter = &metrics.subcharts[..];
    assert_eq!(exporter.len(), 1);
    assert_eq!(exporter[0].name(), "exporter");
    assert_eq!(
        exporter[0].origin,
        format!("{}/charts/metrics-0.3.0.tgz/charts/exporter", dir.display())
    );
    assert_eq!(paths(&exporter[0].templates), ["configmap.yaml"]);
}

#[test]
fn ketchignore_excludes_what_it_says() {
    let chart = chart::load(&fixture("valid")).unwrap();
    let all: Vec<&str> = chart
        .files
        .iter()
        .map(|f| f.path.as_str())
        .chain(chart.templates.iter().map(|f| f.path.as_str()))
        .collect();
    // `*.bak`, `*.tmp` and `secrets/` are ignored ...
    for gone in [
        "files/configs/server.ini.bak",
        "notes.tmp",
        "secrets/token",
        ".ketchignore",
    ] {
        assert!(!all.contains(&gone), "{gone} should be ignored: {all:?}");
    }
    // ... but `!files/keep.bak` brings one back.
    assert_eq!(
        chart.file("files/keep.bak").unwrap().data[..],
        *b"keep me\n"
    );
}

#[test]
fn vcs_metadata_and_template_dotfiles_are_never_loaded() {
    let (_tmp, dir) = valid_chart_copy();
    fs::create_dir_all(dir.join(".git/objects")).unwrap();
    fs::write(dir.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    fs::write(dir.join(".git/objects/ab"), [0u8, 159, 146, 150]).unwrap();
    fs::write(dir.join("templates/.deployment.yaml.swp"), [0u8, 1, 2]).unwrap();
    fs::write(
        dir.join("files/.hidden"),
        "kept: dotfiles outside templates/ are chart files\n",
    )
    .unwrap();

    let chart = chart::load(&dir).unwrap();
    assert!(
        chart.files.iter().all(|f| !f.path.starts_with(".git")),
        "{:?}",
        paths(&chart.files)
    );
    assert!(chart.file("files/.hidden").is_some());
    assert_eq!(
        paths(&chart.templates),
        [
            "NOTES.txt",
            "_helpers.j2",
            "deployment.yaml",
            "sub/configmap.yaml"
        ]
    );
}

#[test]
fn a_directory_and_its_archive_load_the_same_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture("valid");
    // The archive holds everything, ignored files and .ketchignore included:
    // the rules must apply to archives too.
    let tgz = tmp.path().join("model-server-1.2.3.tgz");
    pack_dir(&dir, "model-server", &tgz);

    let from_dir = chart::load(&dir).unwrap();
    let from_tgz = chart::load(&tgz).unwrap();
    assert_same_chart(&from_dir, &from_tgz);
    assert_eq!(from_tgz.origin, tgz.display().to_string());
    assert_eq!(
        from_tgz.subcharts[1].origin,
        format!("{}/charts/metrics-0.3.0.tgz", tgz.display())
    );

    // Told apart by content, not by name; and readable from memory.
    let renamed = tmp.path().join("model-server.bin");
    fs::copy(&tgz, &renamed).unwrap();
    assert_same_chart(&from_dir, &chart::load(&renamed).unwrap());
    let bytes = fs::read(&tgz).unwrap();
    assert_same_chart(
        &from_dir,
        &chart::load_archive(bytes.as_slice(), "memory").unwrap(),
    );
}

#[test]
fn files_are_sorted_whatever_the_archive_order() {
    let tmp = tempfile::tempdir().unwrap();
    let tgz = tmp.path().join("demo.tgz");
    ArchiveWriter::create(&tgz)
        .file("demo/templates/z.yaml", b"kind: Z")
        .file("demo/files/b.txt", b"b")
        .file("demo/templates/a.yaml", b"kind: A")
        .file("demo/Chart.yaml", CHART_YAML.as_bytes())
        .file("demo/files/a.txt", b"a")
        .file("demo/README.md", b"# demo")
        .finish();
    let chart = chart::load(&tgz).unwrap();
    assert_eq!(paths(&chart.templates), ["a.yaml", "z.yaml"]);
    assert_eq!(
        paths(&chart.files),
        ["README.md", "files/a.txt", "files/b.txt"]
    );
}

// Broken charts.

#[test]
fn missing_chart_yaml_is_an_error() {
    let dir = fixture("missing-chart-yaml");
    assert_eq!(
        load_err(&dir),
        format!(
            "{}: Chart.yaml is missing; every chart needs one at its root (apiVersion: v2, name, version)",
            dir.display()
        )
    );
}

#[test]
fn version_must_be_a_semantic_version() {
    let dir = fixture("bad-version");
    let err = load_err(&dir);
    let expected = format!(
        "{}/Chart.yaml: version \"1.2.3.4\" is not a semantic version",
        dir.display()
    );
    assert!(err.starts_with(&expected), "{err}");
}

/// Helm reads `version` with Masterminds' `NewVersion`: some public charts
/// ship `v0.0.0`, and `1.2` means 1.2.0. Directories and archives alike.
#[test]
fn versions_helm_accepts_load() {
    let tmp = tempfile::tempdir().unwrap();
    for version in ["v0.0.0", "1.2", "v1.2.3-rc.1+build"] {
        let chart_yaml = CHART_YAML.replace("0.1.0", &format!("{version:?}"));
        let dir = tmp.path().join("demo");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("Chart.yaml"), &chart_yaml).unwrap();
        let loaded = chart::load(&dir).unwrap();
        assert_eq!(loaded.metadata.version, version);

        let tgz = tmp.path().join(format!("demo-{version}.tgz"));
        ArchiveWriter::create(&tgz)
            .file("demo/Chart.yaml", chart_yaml.as_bytes())
            .finish();
        assert_eq!(chart::load(&tgz).unwrap().metadata.version, version);
    }
}

/// A dependency's name becomes a path (`charts/NAME`, `NAME-VERSION.tgz`):
/// one that climbs out is refused where it is written, naming the file.
#[test]
fn dependency_names_and_aliases_that_are_paths_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    fs::create_dir_all(&dir).unwrap();
    for (dependency, says) in [
        (
            "name: ../../x",
            "dependencies[0]: name \"../../x\" is not a chart name",
        ),
        (
            "name: db\n    alias: ../db",
            "dependencies[0]: alias \"../db\" may hold only letters",
        ),
    ] {
        let chart_yaml = format!("{CHART_YAML}dependencies:\n  - {dependency}\n");
        fs::write(dir.join("Chart.yaml"), chart_yaml).unwrap();
        let err = load_err(&dir);
        assert!(
            err.starts_with(&format!("{}/Chart.yaml: {says}", dir.display())),
            "{err}"
        );
    }
}

#[test]
fn api_version_v1_is_refused() {
    let dir = fixture("api-v1");
    let err = load_err(&dir);
    assert_eq!(
        err,
        format!(
            "{}/Chart.yaml: apiVersion must be \"v2\" (got \"v1\")",
            dir.display()
        )
    );
}

#[test]
fn values_syntax_error_names_file_and_line() {
    let dir = fixture("bad-values");
    let err = chart::load(&dir).unwrap_err();
    assert!(matches!(err, LoadError::Yaml(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("{}/values.yaml: ", dir.display())),
        "{text}"
    );
    // The flow sequence opened on line 4 runs into line 5; the snippet shows both.
    assert!(text.contains("line 5 column 5"), "{text}");
    assert!(text.contains("4 |   tag: [1, 2"), "{text}");
}

#[test]
fn schema_syntax_error_names_file_line_and_column() {
    let dir = fixture("bad-schema");
    let err = load_err(&dir);
    let expected = format!(
        "{}/values.schema.json: invalid JSON at line 5, column 3: trailing comma",
        dir.display()
    );
    assert_eq!(err, expected);
}

#[test]
fn non_chart_file_in_charts_is_an_error() {
    let dir = fixture("stray-in-charts");
    let err = load_err(&dir);
    assert!(
        err.starts_with(&format!(
            "{}/charts/README.md: neither a chart directory nor a .tgz archive",
            dir.display()
        )),
        "{err}"
    );
}

#[test]
fn not_a_chart_at_all() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope");
    assert!(matches!(
        chart::load(&missing),
        Err(LoadError::NotFound { .. })
    ));

    let values = tmp.path().join("values.yaml");
    fs::write(&values, "replicas: 1\n").unwrap();
    let err = load_err(&values);
    assert!(err.contains("looks like a YAML file"), "{err}");

    let chart_yaml = fixture("valid").join("Chart.yaml");
    let err = load_err(&chart_yaml);
    assert!(err.contains("pass the directory that holds it"), "{err}");

    let garbage = tmp.path().join("garbage.tgz");
    fs::write(&garbage, [0x1f, 0x8b, 0x08, 0, 1, 2, 3, 4, 5, 6, 7]).unwrap();
    let err = load_err(&garbage);
    assert!(
        err.starts_with(&format!("{}: cannot read the archive", garbage.display())),
        "{err}"
    );
}

// Hostile directories.

#[test]
fn symlink_out_of_the_chart_is_refused() {
    let (tmp, dir) = valid_chart_copy();
    fs::write(tmp.path().join("outside.txt"), "secret").unwrap();
    std::os::unix::fs::symlink(tmp.path().join("outside.txt"), dir.join("files/leak.txt")).unwrap();
    let err = chart::load(&dir).unwrap_err();
    assert!(matches!(err, LoadError::SymlinkOutside { .. }), "{err:?}");
    let expected = format!(
        "{}/files/leak.txt: symlink points outside the chart directory",
        dir.display()
    );
    assert!(err.to_string().starts_with(&expected), "{err}");

    // A relative link climbing out is caught as well.
    fs::remove_file(dir.join("files/leak.txt")).unwrap();
    std::os::unix::fs::symlink("../../outside.txt", dir.join("files/leak.txt")).unwrap();
    assert!(matches!(
        chart::load(&dir),
        Err(LoadError::SymlinkOutside { .. })
    ));

    // Listed in .ketchignore, the link is never looked at.
    let mut ignore = fs::OpenOptions::new()
        .append(true)
        .open(dir.join(".ketchignore"))
        .unwrap();
    writeln!(ignore, "/files/leak.txt").unwrap();
    assert!(chart::load(&dir).unwrap().file("files/leak.txt").is_none());
}

#[test]
fn symlinks_inside_the_chart_are_followed_but_loops_are_not() {
    let (_tmp, dir) = valid_chart_copy();
    std::os::unix::fs::symlink("configs/server.ini", dir.join("files/alias.ini")).unwrap();
    let chart = chart::load(&dir).unwrap();
    assert_eq!(
        chart.file("files/alias.ini").unwrap().data[..],
        *b"threads = 4\n"
    );

    std::os::unix::fs::symlink("..", dir.join("files/loop")).unwrap();
    let err = chart::load(&dir).unwrap_err();
    assert!(matches!(err, LoadError::SymlinkLoop { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("{}/files/loop: ", dir.display())),
        "{err}"
    );

    fs::remove_file(dir.join("files/loop")).unwrap();
    std::os::unix::fs::symlink("does-not-exist", dir.join("files/dangling")).unwrap();
    let err = chart::load(&dir).unwrap_err();
    assert!(
        matches!(err, LoadError::BrokenSymlink { ref path } if path.ends_with("files/dangling")),
        "{err:?}"
    );
}

#[test]
fn symlinked_directories_are_read_through_their_links() {
    let (_tmp, dir) = valid_chart_copy();
    std::os::unix::fs::symlink("configs", dir.join("files/conf")).unwrap();
    let chart = chart::load(&dir).unwrap();
    assert_eq!(
        chart.file("files/conf/server.ini").unwrap().data,
        chart.file("files/configs/server.ini").unwrap().data
    );
}

#[test]
fn file_names_that_are_not_utf8_are_refused() {
    use std::os::unix::ffi::OsStrExt;
    let (_tmp, dir) = valid_chart_copy();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    fs::write(dir.join("files").join(name), "x").unwrap();
    let err = chart::load(&dir).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}/files/caf\u{FFFD}.txt: file name is not valid UTF-8; rename it or list it in .ketchignore",
            dir.display()
        )
    );
}

#[test]
fn irregular_files_are_refused() {
    let (_tmp, dir) = valid_chart_copy();
    let _socket = std::os::unix::net::UnixListener::bind(dir.join("files/socket")).unwrap();
    let err = chart::load(&dir).unwrap_err();
    assert!(
        matches!(err, LoadError::IrregularFile { ref path } if path.ends_with("files/socket")),
        "{err:?}"
    );
}

#[test]
fn file_and_chart_size_limits() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chart");
    fs::create_dir_all(dir.join("files")).unwrap();
    fs::write(dir.join("Chart.yaml"), CHART_YAML).unwrap();

    let big = dir.join("files/model.bin");
    sparse_file(&big, 5 * MIB + 1);
    let err = load_err(&dir);
    assert_eq!(
        err,
        format!(
            "{}/files/model.bin: larger than the 5 MiB limit for one chart file; list it in .ketchignore or make it smaller",
            dir.display()
        )
    );
    sparse_file(&big, 5 * MIB);
    assert_eq!(chart::load(&dir).unwrap().files.len(), 1);

    for i in 0..20 {
        sparse_file(&dir.join(format!("files/shard-{i:02}.bin")), 5 * MIB);
    }
    let err = load_err(&dir);
    assert!(
        err.starts_with(&format!(
            "{}: more than 100 MiB of files in total",
            dir.display()
        )),
        "{err}"
    );
}

#[test]
fn the_first_file_over_the_limit_in_path_order_is_named() {
    // Enough files in one directory for them to be read on every core.
    let (_tmp, dir) = valid_chart_copy();
    for i in 0..20 {
        let len = if i == 5 || i == 15 { 5 * MIB + 1 } else { 1 };
        sparse_file(&dir.join(format!("files/note-{i:02}.txt")), len);
    }
    let err = load_err(&dir);
    assert!(
        err.starts_with(&format!(
            "{}/files/note-05.txt: larger than the 5 MiB limit",
            dir.display()
        )),
        "{err}"
    );
}

// Hostile archives.

fn refused(build: impl FnOnce(&Path)) -> (PathBuf, LoadError, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let tgz = tmp.path().join("chart.tgz");
    build(&tgz);
    match chart::load(&tgz) {
        Ok(c) => panic!("hostile archive loaded: {c:?}"),
        Err(e) => (tgz, e, tmp),
    }
}

#[test]
fn archive_entry_escaping_the_chart_is_refused() {
    let (tgz, err, _tmp) = refused(|p| {
        ArchiveWriter::create(p)
            .file("demo/Chart.yaml", CHART_YAML.as_bytes())
            .file("../../etc/passwd", b"root:x:0:0")
            .finish()
    });
    assert_eq!(
        err.to_string(),
        format!(
            "{}: entry ../../etc/passwd escapes the chart directory; refusing to extract",
            tgz.display()
        )
    );

    let (_, err, _tmp) = refused(|p| {
        ArchiveWriter::create(p)
            .file("demo/Chart.yaml", CHART_YAML.as_bytes())
            .file("demo/templates/../../../x", b"x")
            .finish()
    });
    assert!(
        matches!(err, LoadError::PathEscapes { ref entry, .. } if entry == "demo/templates/../../../x"),
        "{err:?}"
    );
}

#[test]
fn archive_absolute_path_is_refused() {
    let (tgz, err, _tmp) = refused(|p| {
        ArchiveWriter::create(p)
            .file("/etc/cron.d/evil", b"* * * * * root sh")
            .file("demo/Chart.yaml", CHART_YAML.as_bytes())
            .finish()
    });
    assert_eq!(
        err.to_string(),
        format!(
            "{}: entry /etc/cron.d/evil is an absolute path; refusing to extract",
            tgz.display()
        )
    );
}

#[test]
fn archive_links_and_devices_are_refused() {
    let cases = [
        (
            link_header("demo/templates/passwd", EntryType::Symlink, "/etc/passwd"),
            "a symlink",
        ),
        (
            link_header("demo/files/shadow", EntryType::Link, "demo/Chart.yaml"),
            "a hard link",
        ),
        (raw_header("demo/files/mem", EntryType::Char, 0), "a device"),
        (
            raw_header("demo/files/sda", EntryType::Block, 0),
            "a device",
        ),
        (raw_header("demo/files/pipe", EntryType::Fifo, 0), "a FIFO"),
    ];
    for (header, kind) in cases {
        let name = String::from_utf8(header.path_bytes().to_vec()).unwrap();
        let (tgz, err, _tmp) = refused(|p| {
            ArchiveWriter::create(p)
                .file("demo/Chart.yaml", CHART_YAML.as_bytes())
                .entry(header, io::empty())
                .finish()
        });
        assert_eq!(
            err.to_string(),
            format!(
                "{}: entry {name} is {kind}; chart archives may hold only regular files and directories, refusing to extract",
                tgz.display()
            )
        );
    }
}

#[test]
fn archive_duplicate_entries_are_refused() {
    let (tgz, err, _tmp) = refused(|p| {
        ArchiveWriter::create(p)
            .file("demo/Chart.yaml", CHART_YAML.as_bytes())
            .file("demo/values.yaml", b"a: 1\n")
            .file("demo/./values.yaml", b"a: 2\n")
            .finish()
    });
    assert_eq!(
        err.to_string(),
        format!(
            "{}: entry demo/./values.yaml appears more than once; refusing to extract",
            tgz.display()
        )
    );
}

#[test]
fn archive_must_have_one_top_level_directory() {
    let (tgz, err, _tmp) = refused(|p| {
        ArchiveWriter::create(p)
            .file("demo/Chart.yaml", CHART_YAML.as_bytes())
            .file("other/templates/x.yaml", b"kind: X")
            .finish()
    });
    assert!(
        err.to_string().starts_with(&format!(
            "{}: entry other/templates/x.yaml is outside the chart's top-level directory demo/",
            tgz.display()
        )),
        "{err}"
    );

    let (_, err, _tmp) = refused(|p| {
        ArchiveWriter::create(p)
            .file("Chart.yaml", CHART_YAML.as_bytes())
            .finish()
    });
    assert!(
        matches!(err, LoadError::NotInTopDir { ref entry, .. } if entry == "Chart.yaml"),
        "{err:?}"
    );

    let (_, err, _tmp) = refused(|p| ArchiveWriter::create(p).finish());
    assert!(matches!(err, LoadError::EmptyArchive { .. }), "{err:?}");
}

/// The gzip layer is checked as a whole: tar stops reading at its end
/// marker, before the gzip checksum, and anything after the one member would
/// be bytes nobody checked.
#[test]
fn damaged_or_padded_gzip_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good.tgz");
    ArchiveWriter::create(&good)
        .file("demo/Chart.yaml", CHART_YAML.as_bytes())
        .finish();
    let bytes = fs::read(&good).unwrap();
    chart::load(&good).unwrap();

    let mut bad_crc = bytes.clone();
    let crc_at = bad_crc.len() - 8;
    bad_crc[crc_at] ^= 0xff;
    let mut two_members = bytes.clone();
    two_members.extend_from_slice(&bytes);
    let mut garbage = bytes.clone();
    garbage.extend_from_slice(b"trailing garbage");
    for (name, data, says) in [
        ("bad-crc", bad_crc, "checksum does not match"),
        ("two-members", two_members, "more than one gzip member"),
        ("garbage", garbage, "bytes after the end of the gzip data"),
    ] {
        let path = tmp.path().join(format!("{name}.tgz"));
        fs::write(&path, data).unwrap();
        let err = chart::load(&path).unwrap_err();
        assert!(
            matches!(err, LoadError::CorruptArchive { .. }),
            "{name}: {err:?}"
        );
        assert!(err.to_string().contains(says), "{name}: {err}");
        assert!(
            err.to_string().starts_with(&path.display().to_string()),
            "{err}"
        );
    }
}

/// A gzip bomb: hundreds of MiB of zeros in files each under the per-file
/// limit, compressed to a few hundred KiB. Written streaming, never held in memory.
fn write_gzip_bomb(path: &Path) {
    let mut archive = ArchiveWriter::create(path).file("bomb/Chart.yaml", CHART_YAML.as_bytes());
    for i in 0..75 {
        archive = archive.entry(
            raw_header(
                &format!("bomb/files/zeros-{i:02}.bin"),
                EntryType::Regular,
                4 * MIB,
            ),
            zeros(4 * MIB),
        );
    }
    archive.finish();
}

#[test]
fn gzip_bomb_fails_fast() {
    let (tgz, err, tmp) = refused(write_gzip_bomb);
    let compressed = fs::metadata(&tgz).unwrap().len();
    assert!(
        compressed < MIB,
        "the bomb should be small: {compressed} bytes"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "{}: more than 100 MiB after decompression (a gzip bomb?); refusing to extract",
            tgz.display()
        )
    );

    // The same bomb as a subchart of an innocent-looking archive: the limit
    // covers everything one load decompresses.
    let bomb = fs::read(&tgz).unwrap();
    let outer = tmp.path().join("outer.tgz");
    ArchiveWriter::create(&outer)
        .file("demo/Chart.yaml", CHART_YAML.as_bytes())
        .file("demo/charts/bomb-0.1.0.tgz", &bomb)
        .finish();
    let err = chart::load(&outer).unwrap_err();
    assert!(
        matches!(err, LoadError::ArchiveTooLarge { ref archive, .. } if *archive == format!("{}/charts/bomb-0.1.0.tgz", outer.display())),
        "{err:?}"
    );
}

#[test]
fn archive_bomb_in_one_entry_or_in_metadata_fails_fast() {
    // One huge file: refused from its header, before any of it is inflated.
    let (tgz, err, _tmp) = refused(|p| {
        ArchiveWriter::create(p)
            .file("demo/Chart.yaml", CHART_YAML.as_bytes())
            .entry(
                raw_header("demo/files/huge.bin", EntryType::Regular, 300 * MIB),
                zeros(300 * MIB),
            )
            .finish()
    });
    assert_eq!(
        err.to_string(),
        format!(
            "{}/files/huge.bin: larger than the 5 MiB limit for one chart file; list it in .ketchignore or make it smaller",
            tgz.display()
        )
    );

    // A GNU long-name record of 300 MiB, which a tar reader would buffer whole.
    let (_, err, _tmp) = refused(|p| {
        ArchiveWriter::create(p)
            .file("demo/Chart.yaml", CHART_YAML.as_bytes())
            .entry(
                raw_header("././@LongLink", EntryType::GNULongName, 300 * MIB),
                zeros(300 * MIB),
            )
            .file("demo/values.yaml", b"a: 1\n")
            .finish()
    });
    assert!(matches!(err, LoadError::ArchiveTooLarge { .. }), "{err:?}");

    // Data hidden in a directory entry, which nobody reads but the tar reader skips through.
    let (_, err, _tmp) = refused(|p| {
        ArchiveWriter::create(p)
            .file("demo/Chart.yaml", CHART_YAML.as_bytes())
            .entry(
                raw_header("demo/files/", EntryType::Directory, 300 * MIB),
                zeros(300 * MIB),
            )
            .file("demo/values.yaml", b"a: 1\n")
            .finish()
    });
    assert!(matches!(err, LoadError::ArchiveTooLarge { .. }), "{err:?}");
}
