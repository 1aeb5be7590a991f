//! Loading a chart from a directory or a `.tgz` archive.
//!
//! Both sources become a flat list of `(path, bytes)` files first (the
//! directory walk here, the archive reader in [`super::archive`]); one
//! function, [`load_files`], turns such a list into a [`Chart`], so the two
//! sources cannot drift apart. Limits follow Helm's loader: 5 MiB per file and
//! 100 MiB per load, counted over the chart, its subcharts and the decompressed
//! contents of every archive read along the way.

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::archive;
use super::budget::{Budget, MIB};
pub use super::budget::{MAX_CHART_SIZE, MAX_FILE_SIZE, MAX_SUBCHART_DEPTH};
pub use super::error::LoadError;
pub(crate) use super::error::io_error;
use super::ignore::{HELM_IGNORE_FILE, IGNORE_FILE, IgnoreRules};
use super::join;
use super::{Chart, ChartFile, Metadata};
use crate::parallel;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// Loads a chart from a gzip-compressed tar stream; `origin` names it in messages.
pub fn load_archive<R: Read>(reader: R, origin: &str) -> Result<Chart, LoadError> {
    let budget = Budget::new();
    let files = archive::read_files(reader, origin, &budget)?;
    build_chart(files, origin.to_string(), 0, &budget)
}

/// Loads a chart from a directory or a gzip-compressed tar archive, told apart
/// by what `path` is, not by its name.
pub fn load(path: &Path) -> Result<Chart, LoadError> {
    let origin = path.display().to_string();
    let meta = fs::metadata(path).map_err(|e| io_error(&origin, e))?;
    if meta.is_dir() {
        return load_dir(path);
    }
    if !meta.is_file() {
        return Err(LoadError::NotAChart {
            path: origin,
            hint: "pass a chart directory or a .tgz archive".into(),
        });
    }
    let mut file = File::open(path).map_err(|e| io_error(&origin, e))?;
    let mut magic = [0u8; 2];
    let n = read_up_to(&mut file, &mut magic).map_err(|e| io_error(&origin, e))?;
    if n < 2 || magic != GZIP_MAGIC {
        return Err(LoadError::NotAChart {
            hint: not_an_archive_hint(path),
            path: origin,
        });
    }
    file.rewind().map_err(|e| io_error(&origin, e))?;
    load_archive(BufReader::new(file), &origin)
}

/// Loads a chart from a directory, honouring its `.ketchignore`.
pub fn load_dir(dir: &Path) -> Result<Chart, LoadError> {
    let budget = Budget::new();
    let files = walk_dir(dir, &budget)?;
    build_chart(files, dir.display().to_string(), 0, &budget)
}

/// The files of a chart directory as the loader sees them (`.ketchignore`
/// honoured, symlinks inside the chart followed, limits applied), in path
/// order: what `ketch package` puts in an archive.
pub fn read_dir(dir: &Path) -> Result<Vec<ChartFile>, LoadError> {
    walk_dir(dir, &Budget::new())
}

fn walk_dir(dir: &Path, budget: &Budget) -> Result<Vec<ChartFile>, LoadError> {
    let origin = dir.display().to_string();
    let root = fs::canonicalize(dir).map_err(|e| io_error(&origin, e))?;
    let rules = IgnoreRules::from_chart_dir(dir)?;
    DirWalk::new(&origin, &root, &rules, budget, vec![root.clone()]).run(&root, "")
}

/// Builds a chart from files already in memory: paths relative to the chart
/// root, `/`-separated. `origin` names the chart in messages.
pub fn load_files(files: Vec<ChartFile>, origin: &str) -> Result<Chart, LoadError> {
    let budget = Budget::new();
    let total: u64 = files.iter().map(|f| f.data.len() as u64).sum();
    if !budget.take(total) {
        return Err(LoadError::ChartTooLarge {
            chart: origin.to_string(),
            limit_mib: MAX_CHART_SIZE / MIB,
        });
    }
    build_chart(files, origin.to_string(), 0, &budget)
}

/// Reads and checks a `Chart.yaml`; `path` names it in errors.
pub fn parse_metadata(data: &[u8], path: &str) -> Result<Metadata, LoadError> {
    let metadata: Metadata = crate::yaml::parse(utf8(data, path)?, path)?;
    metadata.validate().map_err(|error| LoadError::Metadata {
        path: path.to_string(),
        error,
    })?;
    Ok(metadata)
}

/// The one place a file list becomes a chart, for directories and archives alike.
pub(crate) fn build_chart(
    files: Vec<ChartFile>,
    origin: String,
    depth: usize,
    budget: &Budget,
) -> Result<Chart, LoadError> {
    let ignore_file = files
        .iter()
        .find(|f| f.path == IGNORE_FILE)
        .or_else(|| files.iter().find(|f| f.path == HELM_IGNORE_FILE));
    let rules = match ignore_file {
        Some(f) => {
            let path = join(&origin, &f.path);
            let text = utf8(&f.data, &path)?;
            IgnoreRules::parse(text, &path)?
        }
        None => IgnoreRules::defaults(),
    };

    let mut chart_yaml = None;
    let mut values_yaml = None;
    let mut schema_json = None;
    let mut templates = Vec::new();
    let mut other = Vec::new();
    // Subchart directories (entry name under charts/, files) and subchart archives.
    let mut sub_dirs: Vec<(String, Vec<ChartFile>)> = Vec::new();
    let mut sub_archives: Vec<ChartFile> = Vec::new();

    for file in files {
        if rules.is_ignored(&file.path, false) {
            continue;
        }
        match file.path.as_str() {
            "Chart.yaml" => chart_yaml = Some(file.data),
            "values.yaml" => values_yaml = Some(file.data),
            "values.schema.json" => schema_json = Some(file.data),
            path => {
                if let Some(name) = path.strip_prefix("templates/") {
                    templates.push(ChartFile {
                        path: name.to_string(),
                        data: strip_bom(file.data),
                    });
                } else if let Some(rest) = path.strip_prefix("charts/") {
                    match rest.split_once('/') {
                        // Helm skips entries starting with `_` or `.`.
                        _ if rest.starts_with(['_', '.']) => {}
                        Some((entry, inner)) => {
                            let sub = ChartFile {
                                path: inner.to_string(),
                                data: file.data,
                            };
                            match sub_dirs.iter_mut().find(|(e, _)| e == entry) {
                                Some((_, list)) => list.push(sub),
                                None => sub_dirs.push((entry.to_string(), vec![sub])),
                            }
                        }
                        // Provenance files of archived subcharts stay chart files, as in Helm.
                        None if rest.ends_with(".prov") => other.push(file),
                        None if file.data.starts_with(&GZIP_MAGIC) => sub_archives.push(file),
                        None => {
                            return Err(LoadError::StrayFileInCharts {
                                path: join(&origin, path),
                            });
                        }
                    }
                } else {
                    other.push(file);
                }
            }
        }
    }

    let chart_yaml_path = join(&origin, "Chart.yaml");
    let Some(chart_yaml) = chart_yaml else {
        return Err(LoadError::MissingChartYaml { chart: origin });
    };
    let mut metadata = parse_metadata(&chart_yaml, &chart_yaml_path)?;
    // A Helm `apiVersion: v1` chart declares its dependencies in requirements.yaml.
    if metadata.api_version == "v1"
        && metadata.dependencies.is_empty()
        && let Some(file) = other.iter().find(|f| f.path == "requirements.yaml")
    {
        #[derive(serde::Deserialize)]
        struct Requirements {
            #[serde(default)]
            dependencies: Option<Vec<crate::chart::Dependency>>,
        }
        let path = join(&origin, "requirements.yaml");
        let requirements: Requirements = crate::yaml::parse(utf8(&file.data, &path)?, &path)?;
        metadata.dependencies = requirements.dependencies.unwrap_or_default();
    }

    let (values, values_text) = match values_yaml {
        Some(data) => {
            let path = join(&origin, "values.yaml");
            let text = utf8(&data, &path)?.to_string();
            (parse_values(&text, &path)?, Some(text))
        }
        None => (Map::new(), None),
    };

    let schema = match schema_json {
        Some(data) => {
            let path = join(&origin, "values.schema.json");
            let text = utf8(&data, &path)?;
            Some(serde_json::from_str::<Value>(text).map_err(|e| {
                // serde_json's message ends with the position, which the variant shows already.
                let message = e.to_string();
                let position = format!(" at line {} column {}", e.line(), e.column());
                LoadError::Schema {
                    path,
                    line: e.line(),
                    column: e.column(),
                    message: message
                        .strip_suffix(&position)
                        .unwrap_or(&message)
                        .to_string(),
                }
            })?)
        }
        None => None,
    };

    let mut subcharts = Vec::new();
    if !sub_dirs.is_empty() || !sub_archives.is_empty() {
        if depth >= MAX_SUBCHART_DEPTH {
            return Err(LoadError::TooDeep {
                path: join(&origin, "charts"),
                limit: MAX_SUBCHART_DEPTH,
            });
        }
        let sources = sub_dirs
            .into_iter()
            .map(|(entry, files)| (format!("charts/{entry}"), Subchart::Dir(files)))
            .chain(
                sub_archives
                    .into_iter()
                    .map(|file| (file.path, Subchart::Archive(file.data))),
            )
            .collect();
        // Subcharts load on every core; the first error in this order is the one reported.
        for sub in parallel::map_owned(sources, |(rel, source)| {
            let sub_origin = join(&origin, &rel);
            let files = match source {
                Subchart::Dir(files) => files,
                Subchart::Archive(data) => archive::read_files(&data[..], &sub_origin, budget)?,
            };
            build_chart(files, sub_origin, depth + 1, budget)
        }) {
            subcharts.push(sub?);
        }
    }

    templates.sort_by(|a, b| a.path.cmp(&b.path));
    other.sort_by(|a, b| a.path.cmp(&b.path));
    subcharts.sort_by(|a, b| (a.name(), &a.origin).cmp(&(b.name(), &b.origin)));

    Ok(Chart {
        metadata,
        values,
        values_text,
        schema,
        templates,
        files: other,
        subcharts,
        origin,
    })
}

/// Where a subchart's files come from: a directory under `charts/` (files
/// already read) or an archive there.
enum Subchart {
    Dir(Vec<ChartFile>),
    Archive(bytes::Bytes),
}

/// `values.yaml` must hold a mapping; an empty file (or `null`) means no values.
fn parse_values(text: &str, path: &str) -> Result<Map<String, Value>, LoadError> {
    match crate::yaml::parse_value(text, path)? {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        other => Err(LoadError::ValuesNotMapping {
            path: path.to_string(),
            found: match other {
                Value::Array(_) => "a list",
                Value::String(_) => "a string",
                Value::Number(_) => "a number",
                _ => "a boolean",
            },
        }),
    }
}

/// A directory walk that collects a chart's files, skipping ignored paths,
/// following symlinks that stay inside the chart and refusing the others.
struct DirWalk<'a> {
    origin: &'a str,
    root: &'a Path,
    rules: &'a IgnoreRules,
    budget: &'a Budget,
    files: Vec<ChartFile>,
    /// Canonical paths of the directories being walked, to catch symlink loops.
    ancestors: Vec<PathBuf>,
    /// Subchart directories (`charts/NAME`), walked after the rest on every core.
    deferred: Vec<Deferred>,
    /// The files found, read on every core once their directories are walked.
    reads: Vec<PendingRead>,
}

/// A subchart directory left for later, and where its files go in the list.
struct Deferred {
    at: usize,
    real: PathBuf,
    rel: String,
    ancestors: Vec<PathBuf>,
}

/// A file to read, and where its contents go in the list.
struct PendingRead {
    at: usize,
    real: PathBuf,
    shown: String,
}

impl<'a> DirWalk<'a> {
    fn new(
        origin: &'a str,
        root: &'a Path,
        rules: &'a IgnoreRules,
        budget: &'a Budget,
        ancestors: Vec<PathBuf>,
    ) -> Self {
        Self {
            origin,
            root,
            rules,
            budget,
            files: Vec::new(),
            ancestors,
            deferred: Vec::new(),
            reads: Vec::new(),
        }
    }

    /// Walks `dir` and then the subchart directories found in it, those on every
    /// core; the files come out in path order, as one walk would give them.
    fn run(mut self, dir: &Path, rel: &str) -> Result<Vec<ChartFile>, LoadError> {
        self.dir(dir, rel)?;
        let (origin, budget) = (self.origin, self.budget);
        let contents = parallel::map(&self.reads, |file| {
            read_file(&file.real, &file.shown, origin, budget)
        });
        for (file, data) in self.reads.iter().zip(contents) {
            self.files[file.at].data = data?.into();
        }
        let deferred = std::mem::take(&mut self.deferred);
        let walks = parallel::map_owned(deferred, |sub| {
            let walk = DirWalk::new(
                self.origin,
                self.root,
                self.rules,
                self.budget,
                sub.ancestors,
            );
            (sub.at, walk.run(&sub.real, &sub.rel))
        });
        let mut files = Vec::with_capacity(self.files.len());
        let mut rest = self.files.into_iter();
        let mut taken = 0;
        for (at, walked) in walks {
            files.extend(rest.by_ref().take(at - taken));
            taken = at;
            files.extend(walked?);
        }
        files.extend(rest);
        Ok(files)
    }

    /// Walks `dir` (a real, canonical directory) whose chart-relative path is `rel`.
    fn dir(&mut self, dir: &Path, rel: &str) -> Result<(), LoadError> {
        let shown = join(self.origin, rel);
        let mut entries = fs::read_dir(dir)
            .map_err(|e| io_error(&shown, e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| io_error(&shown, e))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                return Err(LoadError::NonUtf8Name {
                    path: join(&shown, &name.to_string_lossy()),
                });
            };
            let rel_path = if rel.is_empty() {
                name.to_string()
            } else {
                format!("{rel}/{name}")
            };
            let shown_path = join(self.origin, &rel_path);
            let file_type = entry.file_type().map_err(|e| io_error(&shown_path, e))?;

            // The real path to read and what it is; a symlink resolves to its target.
            let (real, kind) = if file_type.is_symlink() {
                match fs::canonicalize(entry.path())
                    .and_then(|t| fs::metadata(&t).map(|m| (t, m.file_type())))
                {
                    Ok(found) => found,
                    Err(_) if self.rules.is_ignored(&rel_path, false) => continue,
                    Err(_) => return Err(LoadError::BrokenSymlink { path: shown_path }),
                }
            } else {
                (entry.path(), file_type)
            };
            if self.rules.is_ignored(&rel_path, kind.is_dir()) {
                continue;
            }
            if file_type.is_symlink() && !real.starts_with(self.root) {
                return Err(LoadError::SymlinkOutside {
                    path: shown_path,
                    target: real.display().to_string(),
                });
            }

            if kind.is_dir() {
                // `dir` is canonical, so `real` is too, symlink or not.
                if self.ancestors.contains(&real) {
                    return Err(LoadError::SymlinkLoop {
                        path: shown_path,
                        target: real.display().to_string(),
                    });
                }
                self.ancestors.push(real.clone());
                if rel == "charts" || rel.ends_with("/charts") {
                    self.deferred.push(Deferred {
                        at: self.files.len(),
                        real,
                        rel: rel_path,
                        ancestors: self.ancestors.clone(),
                    });
                } else {
                    self.dir(&real, &rel_path)?;
                }
                self.ancestors.pop();
            } else if kind.is_file() {
                self.reads.push(PendingRead {
                    at: self.files.len(),
                    real,
                    shown: shown_path,
                });
                self.files.push(ChartFile {
                    path: rel_path,
                    data: bytes::Bytes::new(),
                });
            } else {
                return Err(LoadError::IrregularFile { path: shown_path });
            }
        }
        Ok(())
    }
}

/// Reads a file (no larger than the per-file limit). Most chart files are
/// small: the first bytes go through a buffer on the stack and a file that
/// ends there is copied out at its exact size, without asking its size (a
/// stat per file was a fifth of loading a chart of many small files). A larger
/// file is read into one allocation of the size its open handle reports, not a
/// buffer grown by doubling (copying and faulting in a large CRD three times
/// over was most of loading kube-prometheus-stack).
fn read_file(
    path: &Path,
    shown: &str,
    origin: &str,
    budget: &Budget,
) -> Result<Vec<u8>, LoadError> {
    let mut file = File::open(path).map_err(|e| io_error(shown, e))?;
    let mut head = [0u8; SMALL_FILE];
    let n = read_up_to(&mut file, &mut head).map_err(|e| io_error(shown, e))?;
    let data = if n < SMALL_FILE {
        head[..n].to_vec()
    } else {
        let size = file.metadata().map_or(0, |m| m.len()).min(MAX_FILE_SIZE);
        let mut data = Vec::with_capacity(size as usize + 1);
        data.extend_from_slice(&head);
        file.take(MAX_FILE_SIZE + 1 - SMALL_FILE as u64)
            .read_to_end(&mut data)
            .map_err(|e| io_error(shown, e))?;
        data
    };
    if data.len() as u64 > MAX_FILE_SIZE {
        return Err(LoadError::FileTooLarge {
            path: shown.to_string(),
            limit_mib: MAX_FILE_SIZE / MIB,
        });
    }
    if !budget.take(data.len() as u64) {
        return Err(LoadError::ChartTooLarge {
            chart: origin.to_string(),
            limit_mib: MAX_CHART_SIZE / MIB,
        });
    }
    Ok(data)
}

/// What [`read_file`] reads before it asks a file's size.
const SMALL_FILE: usize = 8 * 1024;

fn utf8<'a>(data: &'a [u8], path: &str) -> Result<&'a str, LoadError> {
    let data = data.strip_prefix(UTF8_BOM).unwrap_or(data);
    std::str::from_utf8(data).map_err(|_| LoadError::NotUtf8 {
        path: path.to_string(),
    })
}

fn strip_bom(data: bytes::Bytes) -> bytes::Bytes {
    if data.starts_with(UTF8_BOM) {
        return data.slice(UTF8_BOM.len()..);
    }
    data
}

fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn not_an_archive_hint(path: &Path) -> String {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if name == "Chart.yaml" {
        "this is a chart's Chart.yaml; pass the directory that holds it".into()
    } else if name.ends_with(".yaml") || name.ends_with(".yml") {
        "this looks like a YAML file, but a chart directory or a .tgz archive was expected".into()
    } else {
        "not a directory and not gzip-compressed; pass a chart directory or a .tgz archive".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHART_YAML: &[u8] = b"apiVersion: v2\nname: demo\nversion: 0.1.0\nannotations:\n  ketch.dev/engine: minijinja\n";

    fn file(path: &str, data: &[u8]) -> ChartFile {
        ChartFile {
            path: path.into(),
            data: data.to_vec().into(),
        }
    }

    #[test]
    fn sorts_files_into_their_places() {
        let chart = load_files(
            vec![
                file("templates/svc.yaml", b"kind: Service"),
                file("values.yaml", b"replicas: 2\n"),
                file("Chart.yaml", CHART_YAML),
                file("files/b.txt", b"b"),
                file("README.md", b"# demo"),
                file("templates/_helpers.j2", b"{% macro x() %}{% endmacro %}"),
                file("charts/_skipped", b"x"),
                file("charts/sub-0.1.0.tgz.prov", b"sig"),
            ],
            "mem",
        )
        .unwrap();
        assert_eq!(chart.name(), "demo");
        assert_eq!(chart.values["replicas"], 2);
        assert_eq!(chart.values_text.as_deref(), Some("replicas: 2\n"));
        let templates: Vec<_> = chart.templates.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(templates, ["_helpers.j2", "svc.yaml"]);
        let files: Vec<_> = chart.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            files,
            ["README.md", "charts/sub-0.1.0.tgz.prov", "files/b.txt"]
        );
        assert!(chart.subcharts.is_empty());
    }

    #[test]
    fn empty_values_file_is_no_values() {
        let chart = load_files(
            vec![
                file("Chart.yaml", CHART_YAML),
                file("values.yaml", b"# none\n"),
            ],
            "mem",
        )
        .unwrap();
        assert!(chart.values.is_empty());
        assert_eq!(chart.values_text.as_deref(), Some("# none\n"));
    }

    #[test]
    fn values_must_be_a_mapping() {
        let err = load_files(
            vec![
                file("Chart.yaml", CHART_YAML),
                file("values.yaml", b"- a\n- b\n"),
            ],
            "mem",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "mem/values.yaml: the top level must be a mapping of values (got a list); write `key: value` lines"
        );
    }

    #[test]
    fn stray_file_in_charts_is_an_error() {
        let err = load_files(
            vec![
                file("Chart.yaml", CHART_YAML),
                file("charts/notes.txt", b"hi"),
            ],
            "mem",
        )
        .unwrap_err();
        assert!(
            matches!(err, LoadError::StrayFileInCharts { ref path } if path == "mem/charts/notes.txt"),
            "{err}"
        );
    }

    #[test]
    fn byte_order_mark_is_dropped_from_parsed_files() {
        let mut yaml = UTF8_BOM.to_vec();
        yaml.extend_from_slice(CHART_YAML);
        let chart = load_files(vec![file("Chart.yaml", &yaml)], "mem").unwrap();
        assert_eq!(chart.name(), "demo");
    }

    #[test]
    fn subcharts_nest_only_so_deep() {
        let mut files = Vec::new();
        let mut prefix = String::new();
        for _ in 0..=MAX_SUBCHART_DEPTH + 1 {
            files.push(file(&format!("{prefix}Chart.yaml"), CHART_YAML));
            prefix.push_str("charts/demo/");
        }
        let err = load_files(files, "mem").unwrap_err();
        assert!(matches!(err, LoadError::TooDeep { .. }), "{err}");
    }

    #[test]
    fn join_avoids_double_slashes() {
        assert_eq!(join("a/", "b"), "a/b");
        assert_eq!(join("a", ""), "a");
        assert_eq!(join("", "b"), "b");
    }
}
