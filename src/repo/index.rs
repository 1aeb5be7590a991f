//! A repository's `index.yaml`, Helm's format: `apiVersion: v1`, `entries`
//! (chart name → versions, newest first, each the chart's Chart.yaml fields
//! plus `urls`, `digest` and `created`) and `generated`.
//!
//! Indexes come from other tools and other people's servers, so reading one
//! is strict about types (a list where a string belongs is an error naming
//! the field, with the line) and bounded (size cap, the YAML reader's budgets
//! against alias bombs); an entry without a readable version is skipped with
//! a warning, as Helm does. Keys are written in alphabetical order, as Helm
//! writes them, and only fields Helm knows, since Helm reads indexes strictly.

use std::cmp::Ordering;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::chart::{self, Dependency, LoadError, Maintainer, Metadata};
use crate::digest::sha256_hex;
use crate::values::kind_of as kind;
use crate::version::{Version, cmp_precedence, parse_version};

/// The largest index read, from a file or a server (Helm's biggest public
/// indexes are a few tens of MiB).
pub const MAX_INDEX_SIZE: u64 = 256 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("{origin}: {message}")]
    Syntax { origin: String, message: String },
    #[error("{origin}: field {field}: expected {expected}, found {found}\n{detail}")]
    WrongType {
        origin: String,
        field: String,
        expected: &'static str,
        found: &'static str,
        detail: String,
    },
    #[error(
        "{origin}: not a chart repository index: apiVersion is missing (a Helm index starts with `apiVersion: v1`)"
    )]
    NoApiVersion { origin: String },
    #[error("{origin}: larger than the {limit_mib} MiB limit for an index; refusing to read it")]
    TooLarge { origin: String, limit_mib: u64 },
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error(transparent)]
    Chart(#[from] LoadError),
}

/// A repository index.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexFile {
    #[serde(default)]
    pub api_version: String,
    #[serde(default, deserialize_with = "nullable")]
    pub entries: IndexMap<String, Vec<ChartVersion>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
}

/// One version of a chart in an index: its Chart.yaml fields and where to get it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChartVersion {
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub annotations: IndexMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub dependencies: Vec<Dependency>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_false"
    )]
    pub deprecated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Lower-case hex sha256 of the archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_version: Option<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub maintainers: Vec<Maintainer>,
    #[serde(default)]
    pub name: String,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_false"
    )]
    pub removed: bool,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub sources: Vec<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub chart_type: Option<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub urls: Vec<String>,
    #[serde(default)]
    pub version: String,
}

fn is_false(b: &bool) -> bool {
    !b
}

/// `null` (or an empty value) reads as the type's default, as Go's YAML does.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl ChartVersion {
    /// The index entry for a chart whose archive is at `urls` with sha256 `digest`.
    pub fn new(metadata: &Metadata, urls: Vec<String>, digest: String, created: String) -> Self {
        let m = metadata.clone();
        ChartVersion {
            annotations: m.annotations,
            api_version: Some(m.api_version),
            app_version: m.app_version,
            created: Some(created),
            dependencies: m.dependencies,
            deprecated: m.deprecated,
            description: m.description,
            digest: Some(digest),
            home: m.home,
            icon: m.icon,
            keywords: m.keywords,
            kube_version: m.kube_version,
            maintainers: m.maintainers,
            name: m.name,
            removed: false,
            sources: m.sources,
            chart_type: m.chart_type,
            urls,
            version: m.version,
        }
    }

    /// The version as Helm reads it (`v1.2` is 1.2.0); `None` when unreadable.
    pub fn semver(&self) -> Option<Version> {
        parse_version(&self.version).ok()
    }
}

/// Newest first by semver precedence, then by version text for a stable order.
fn newest_first(a: &ChartVersion, b: &ChartVersion) -> Ordering {
    match (a.semver(), b.semver()) {
        (Some(x), Some(y)) => cmp_precedence(&y, &x).then_with(|| b.version.cmp(&a.version)),
        _ => b.version.cmp(&a.version),
    }
}

impl IndexFile {
    pub fn new() -> Self {
        IndexFile {
            api_version: "v1".into(),
            ..Default::default()
        }
    }

    /// Parses an index; `origin` (a URL or file) names it in errors. Returns
    /// the warnings about entries that were skipped.
    pub fn parse(text: &str, origin: &str) -> Result<(IndexFile, Vec<String>), IndexError> {
        let mut index: IndexFile = match crate::yaml::parse(text, origin) {
            Ok(index) => index,
            Err(err) => return Err(explain(text, origin, err.message)),
        };
        if index.api_version.is_empty() {
            return Err(IndexError::NoApiVersion {
                origin: origin.to_string(),
            });
        }
        let mut warnings = Vec::new();
        for (name, versions) in &mut index.entries {
            versions.retain(|v| {
                let problem = if v.name.is_empty() {
                    Some("it has no name".to_string())
                } else if let Err(e) = parse_version(&v.version) {
                    Some(e.to_string())
                } else {
                    None
                };
                if let Some(problem) = &problem {
                    warnings.push(format!(
                        "{origin}: skipping entry {name} {:?}: {problem}",
                        v.version
                    ));
                }
                problem.is_none()
            });
        }
        index.entries.retain(|_, versions| !versions.is_empty());
        index.sort_entries();
        Ok((index, warnings))
    }

    /// Reads and parses an index file, refusing one larger than [`MAX_INDEX_SIZE`].
    pub fn load(path: &Path) -> Result<(IndexFile, Vec<String>), IndexError> {
        let shown = path.display().to_string();
        let io = |error| IndexError::Io {
            path: shown.clone(),
            error,
        };
        let file = fs::File::open(path).map_err(io)?;
        let mut data = Vec::new();
        file.take(MAX_INDEX_SIZE + 1)
            .read_to_end(&mut data)
            .map_err(io)?;
        if data.len() as u64 > MAX_INDEX_SIZE {
            return Err(IndexError::TooLarge {
                origin: shown,
                limit_mib: MAX_INDEX_SIZE >> 20,
            });
        }
        let text = String::from_utf8(data).map_err(|_| IndexError::Syntax {
            origin: shown.clone(),
            message: "not valid UTF-8".into(),
        })?;
        Self::parse(&text, &shown)
    }

    /// Writes the index as YAML (Helm's key order).
    pub fn to_yaml(&self) -> Result<String, crate::yaml::YamlError> {
        crate::yaml::to_string(self)
    }

    /// Sorts each chart's versions newest first, and the charts by name.
    pub fn sort_entries(&mut self) {
        for versions in self.entries.values_mut() {
            versions.sort_by(newest_first);
        }
        self.entries.sort_keys();
    }

    /// Whether the index holds `name` at exactly `version`.
    pub fn has(&self, name: &str, version: &str) -> bool {
        self.entries
            .get(name)
            .is_some_and(|vs| vs.iter().any(|v| v.version == version))
    }

    /// Adds `entry`; false (and nothing added) when its name and version are there already.
    pub fn add(&mut self, entry: ChartVersion) -> bool {
        if self.has(&entry.name, &entry.version) {
            return false;
        }
        self.entries
            .entry(entry.name.clone())
            .or_default()
            .push(entry);
        true
    }

    /// Adds the entries of `older` that this index does not have (by name and
    /// version): this index's entries win, as in `helm repo index --merge`.
    pub fn merge(&mut self, older: IndexFile) {
        for entry in older.entries.into_values().flatten() {
            self.add(entry);
        }
        self.sort_entries();
    }
}

/// Indexes the chart archives in `dir` and its immediate subdirectories, as
/// `helm repo index` does. Each archive is loaded through the safe loader;
/// URLs are `base_url/relative/path.tgz`, or relative without a base URL.
/// Returns the index and warnings (a chart version found twice).
pub fn index_directory(
    dir: &Path,
    base_url: Option<&str>,
    created: &str,
) -> Result<(IndexFile, Vec<String>), IndexError> {
    // No archives make an empty index, as in Helm: a new repository starts there.
    let archives = find_archives(dir)?;
    let mut index = IndexFile::new();
    let mut warnings = Vec::new();
    for rel in archives {
        let path = dir.join(&rel);
        let shown = path.display().to_string();
        let data = fs::read(&path).map_err(|error| IndexError::Io {
            path: shown.clone(),
            error,
        })?;
        let chart = chart::load_archive(data.as_slice(), &shown)?;
        let url = match base_url {
            Some(base) => format!("{}/{rel}", base.trim_end_matches('/')),
            None => rel.clone(),
        };
        let entry = ChartVersion::new(
            &chart.metadata,
            vec![url],
            sha256_hex(&data),
            created.to_string(),
        );
        let (name, version) = (entry.name.clone(), entry.version.clone());
        if !index.add(entry) {
            warnings.push(format!(
                "{shown}: {name} {version} is indexed already from another archive; skipped"
            ));
        }
    }
    index.sort_entries();
    Ok((index, warnings))
}

/// `*.tgz` in `dir` and `*/*.tgz`, as `/`-separated relative paths, sorted.
fn find_archives(dir: &Path) -> Result<Vec<String>, IndexError> {
    let read = |d: &Path| -> Result<Vec<(String, PathBuf, bool)>, IndexError> {
        let io = |error| IndexError::Io {
            path: d.display().to_string(),
            error,
        };
        let mut out = Vec::new();
        for entry in fs::read_dir(d).map_err(io)? {
            let entry = entry.map_err(io)?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let is_dir = entry.file_type().map_err(io)?.is_dir();
            out.push((name, entry.path(), is_dir));
        }
        Ok(out)
    };
    let mut found = Vec::new();
    for (name, path, is_dir) in read(dir)? {
        if is_dir && !name.starts_with('.') {
            for (inner, _, inner_dir) in read(&path)? {
                if !inner_dir && inner.ends_with(".tgz") && !inner.starts_with('.') {
                    found.push(format!("{name}/{inner}"));
                }
            }
        } else if !is_dir && name.ends_with(".tgz") && !name.starts_with('.') {
            found.push(name);
        }
    }
    found.sort();
    Ok(found)
}

/// Turns a failed typed parse into an error naming the field at fault, when
/// it is a type error; the YAML reader's message (line, snippet) follows.
fn explain(text: &str, origin: &str, detail: String) -> IndexError {
    let origin = origin.to_string();
    let Ok(doc) = crate::yaml::parse_value(text, &origin) else {
        return IndexError::Syntax {
            origin,
            message: detail,
        };
    };
    match check_index(&doc) {
        Some((field, expected, found)) => IndexError::WrongType {
            origin,
            field,
            expected,
            found,
            detail,
        },
        None => IndexError::Syntax {
            origin,
            message: detail,
        },
    }
}

type TypeProblem = (String, &'static str, &'static str);

fn expect_scalar(v: &Value, path: String) -> Option<TypeProblem> {
    matches!(v, Value::Array(_) | Value::Object(_)).then(|| (path, "a string", kind(v)))
}

fn expect_bool(v: &Value, path: String) -> Option<TypeProblem> {
    (!matches!(v, Value::Bool(_) | Value::Null)).then(|| (path, "true or false", kind(v)))
}

fn expect_list<'a>(
    v: &'a Value,
    path: &str,
) -> Result<impl Iterator<Item = (String, &'a Value)>, TypeProblem> {
    let items: &[Value] = match v {
        Value::Array(items) => items,
        Value::Null => &[],
        other => return Err((path.to_string(), "a list", kind(other))),
    };
    Ok(items
        .iter()
        .enumerate()
        .map(move |(i, item)| (format!("{path}[{i}]"), item)))
}

fn expect_map<'a>(
    v: &'a Value,
    path: &str,
) -> Result<Vec<(String, &'a str, &'a Value)>, TypeProblem> {
    match v {
        Value::Object(map) => Ok(map
            .iter()
            .map(|(k, v)| {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                (p, k.as_str(), v)
            })
            .collect()),
        Value::Null => Ok(Vec::new()),
        other => Err((
            if path.is_empty() { "(top level)" } else { path }.to_string(),
            "a mapping",
            kind(other),
        )),
    }
}

/// The first value in `doc` whose type the index format does not allow.
fn check_index(doc: &Value) -> Option<TypeProblem> {
    if doc.is_null() {
        return Some(("(top level)".into(), "a mapping", "an empty document"));
    }
    let fields = match expect_map(doc, "") {
        Ok(fields) => fields,
        Err(p) => return Some(p),
    };
    fields.into_iter().find_map(|(path, key, value)| match key {
        "apiVersion" | "generated" => expect_scalar(value, path),
        "entries" => check_entries(value, &path),
        _ => None,
    })
}

fn check_entries(value: &Value, path: &str) -> Option<TypeProblem> {
    let charts = match expect_map(value, path) {
        Ok(charts) => charts,
        Err(p) => return Some(p),
    };
    for (chart_path, _, versions) in charts {
        let versions = match expect_list(versions, &chart_path) {
            Ok(versions) => versions,
            Err(p) => return Some(p),
        };
        for (entry_path, entry) in versions {
            let fields = match expect_map(entry, &entry_path) {
                Ok(fields) => fields,
                Err(p) => return Some(p),
            };
            for (field_path, key, v) in fields {
                if let Some(p) = check_entry_field(key, v, field_path) {
                    return Some(p);
                }
            }
        }
    }
    None
}

fn check_entry_field(key: &str, v: &Value, path: String) -> Option<TypeProblem> {
    let scalars = |v: &Value, path: &str| -> Option<TypeProblem> {
        match expect_list(v, path) {
            Ok(mut items) => items.find_map(|(p, item)| expect_scalar(item, p)),
            Err(p) => Some(p),
        }
    };
    let records = |v: &Value, path: &str| -> Option<TypeProblem> {
        match expect_list(v, path) {
            Ok(mut items) => items.find_map(|(p, item)| match expect_map(item, &p) {
                Ok(fields) => fields.into_iter().find_map(|(fp, k, fv)| match k {
                    "tags" => scalars(fv, &fp),
                    "enabled" => expect_bool(fv, fp),
                    "import-values" => match expect_list(fv, &fp) {
                        Ok(mut items) => items.find_map(|(ip, iv)| match iv {
                            Value::Object(_) => expect_map(iv, &ip)
                                .ok()?
                                .into_iter()
                                .find_map(|(cp, _, cv)| expect_scalar(cv, cp)),
                            _ => expect_scalar(iv, ip),
                        }),
                        Err(p) => Some(p),
                    },
                    _ => expect_scalar(fv, fp),
                }),
                Err(p) => Some(p),
            }),
            Err(p) => Some(p),
        }
    };
    match key {
        "urls" | "keywords" | "sources" => scalars(v, &path),
        "maintainers" | "dependencies" => records(v, &path),
        "deprecated" | "removed" => expect_bool(v, path),
        "annotations" => match expect_map(v, &path) {
            Ok(items) => items.into_iter().find_map(|(p, _, v)| expect_scalar(v, p)),
            Err(p) => Some(p),
        },
        _ => expect_scalar(v, path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELM_INDEX: &str = r#"apiVersion: v1
entries:
  nginx:
  - apiVersion: v2
    appVersion: 1.25.0
    created: "2026-01-02T03:04:05.123456789Z"
    description: A web server
    digest: abc123
    keywords: [web, proxy]
    name: nginx
    urls:
    - https://example.com/nginx-1.0.0.tgz
    version: 1.0.0
  - name: nginx
    version: 1.10.0
    urls: [nginx-1.10.0.tgz]
    sources:
    dependencies:
    - name: common
      version: ^1
      import-values: [data, {child: a, parent: b}]
  - name: nginx
    version: not-a-version
generated: "2026-01-02T03:04:05Z"
serverInfo: {contextPath: /x}
"#;

    #[test]
    fn reads_a_helm_index_newest_first_and_skips_bad_versions() {
        let (index, warnings) = IndexFile::parse(HELM_INDEX, "https://x/index.yaml").unwrap();
        let versions: Vec<&str> = index.entries["nginx"]
            .iter()
            .map(|v| v.version.as_str())
            .collect();
        assert_eq!(versions, ["1.10.0", "1.0.0"]);
        assert_eq!(
            index.entries["nginx"][1].app_version.as_deref(),
            Some("1.25.0")
        );
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("not-a-version"), "{warnings:?}");
    }

    #[test]
    fn round_trips_through_yaml_and_json() {
        let (index, _) = IndexFile::parse(HELM_INDEX, "t").unwrap();
        let yaml = index.to_yaml().unwrap();
        assert!(yaml.starts_with("apiVersion: v1\nentries:\n"), "{yaml}");
        assert_eq!(IndexFile::parse(&yaml, "t").unwrap().0, index);
        let json = serde_json::to_vec(&index).unwrap();
        assert_eq!(serde_json::from_slice::<IndexFile>(&json).unwrap(), index);
    }

    #[test]
    fn wrong_types_name_the_field() {
        let cases = [
            (
                "apiVersion: v1\nentries: [a]\n",
                "entries",
                "a mapping",
                "a list",
            ),
            (
                "apiVersion: v1\nentries:\n  a: {name: a}\n",
                "entries.a",
                "a list",
                "a mapping",
            ),
            (
                "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    urls: x\n",
                "entries.a[0].urls",
                "a list",
                "a string",
            ),
            (
                "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: [1]\n",
                "entries.a[0].version",
                "a string",
                "a list",
            ),
            (
                "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    deprecated: maybe\n",
                "entries.a[0].deprecated",
                "true or false",
                "a string",
            ),
            (
                "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    maintainers: [{name: [x]}]\n",
                "entries.a[0].maintainers[0].name",
                "a string",
                "a list",
            ),
            (
                "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    annotations: {k: {x: 1}}\n",
                "entries.a[0].annotations.k",
                "a string",
                "a mapping",
            ),
            ("- a\n", "(top level)", "a mapping", "a list"),
        ];
        for (text, field, expected, found) in cases {
            let err = IndexFile::parse(text, "http://h/index.yaml").unwrap_err();
            let message = err.to_string();
            assert!(
                message.starts_with(&format!(
                    "http://h/index.yaml: field {field}: expected {expected}, found {found}"
                )),
                "{text:?}: {message}"
            );
            assert!(message.contains("line"), "{message}");
        }
    }

    #[test]
    fn not_an_index() {
        let err = IndexFile::parse("entries: {}\n", "f").unwrap_err();
        assert!(matches!(err, IndexError::NoApiVersion { .. }), "{err}");
        let err = IndexFile::parse("<html><body>hi</body></html>\n", "f").unwrap_err();
        assert!(err.to_string().starts_with("f: "), "{err}");
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut doc = String::from("apiVersion: v1\nx0: &a0 [k, k, k, k, k, k, k, k, k, k]\n");
        for i in 1..12 {
            let p = i - 1;
            doc.push_str(&format!(
                "x{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        doc.push_str("entries: {}\n");
        assert!(IndexFile::parse(&doc, "bomb.yaml").is_err());
    }

    #[test]
    fn merge_keeps_new_entries_and_adds_old_ones() {
        let entry = |name: &str, version: &str, url: &str| ChartVersion {
            name: name.into(),
            version: version.into(),
            urls: vec![url.into()],
            ..Default::default()
        };
        let mut new = IndexFile::new();
        new.add(entry("a", "1.0.0", "new"));
        let mut old = IndexFile::new();
        old.add(entry("a", "1.0.0", "old"));
        old.add(entry("a", "0.9.0", "old"));
        old.add(entry("b", "2.0.0", "old"));
        new.merge(old);
        assert_eq!(new.entries["a"][0].urls, ["new"]);
        assert_eq!(new.entries["a"][1].version, "0.9.0");
        assert_eq!(new.entries.keys().collect::<Vec<_>>(), ["a", "b"]);
    }
}
