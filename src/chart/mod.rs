//! The chart model: metadata, default values, templates, files and subcharts,
//! loaded from a directory or a `.tgz` archive.

pub mod archive;
mod budget;
mod error;
pub mod ignore;
pub mod loader;
pub mod metadata;
pub mod source;

pub use self::ignore::{IgnoreError, IgnoreRules};
pub use archive::read_archive;
pub use loader::{LoadError, load, load_archive, load_dir, load_files, parse_metadata, read_dir};
pub use metadata::{Dependency, ImportValue, Maintainer, Metadata};
pub use source::ChartSource;

use serde_json::{Map, Value};

/// A file of a chart: its path relative to the chart root (`/`-separated) and
/// bytes, shared (not copied) by every render that shows the file to a template.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartFile {
    pub path: String,
    pub data: bytes::Bytes,
}

/// A loaded chart and, recursively, its subcharts.
#[derive(Debug, Clone)]
pub struct Chart {
    pub metadata: Metadata,
    /// Default values from `values.yaml` (empty when the chart has none).
    pub values: Map<String, Value>,
    /// `values.yaml` as written, for `show values`.
    pub values_text: Option<String>,
    /// `values.schema.json`, parsed.
    pub schema: Option<Value>,
    /// Files under `templates/`, paths relative to `templates/` (`deployment.yaml`, `_helpers.j2`).
    pub templates: Vec<ChartFile>,
    /// Every other file of the chart (`crds/`, `files/`, `README.md`, ...) except
    /// `Chart.yaml`, `values.yaml`, `values.schema.json`, `templates/` and `charts/`.
    pub files: Vec<ChartFile>,
    /// Subcharts found under `charts/`, as directories or archives, sorted by name.
    pub subcharts: Vec<Chart>,
    /// Where the chart was read from, for messages (a directory, an archive, or
    /// `parent/charts/child`).
    pub origin: String,
}

impl Chart {
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    pub fn file(&self, path: &str) -> Option<&ChartFile> {
        self.files.iter().find(|f| f.path == path)
    }

    /// CRD manifests under `crds/` (never templated), in path order.
    pub fn crds(&self) -> impl Iterator<Item = &ChartFile> {
        self.files.iter().filter(|f| {
            f.path.starts_with("crds/")
                && (f.path.ends_with(".yaml")
                    || f.path.ends_with(".yml")
                    || f.path.ends_with(".json"))
        })
    }

    pub fn readme(&self) -> Option<&ChartFile> {
        self.files.iter().find(|f| {
            f.path.eq_ignore_ascii_case("README.md") || f.path.eq_ignore_ascii_case("README")
        })
    }
}

/// `origin/rel` for messages, without doubled or trailing slashes.
pub(crate) fn join(origin: &str, rel: &str) -> String {
    if rel.is_empty() {
        return origin.to_string();
    }
    if origin.is_empty() {
        return rel.to_string();
    }
    format!("{}/{rel}", origin.strip_suffix('/').unwrap_or(origin))
}
