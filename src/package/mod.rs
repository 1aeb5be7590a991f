//! `ketch package`: a chart directory to a reproducible `NAME-VERSION.tgz`.
//!
//! The chart is linted and loaded first (nothing is written for a chart with
//! lint errors or a version that is not SemVer); the archive is built in
//! memory, read back through the safe loader, and written atomically.

pub mod archive;

use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::atomic::AtomicFile;
use crate::chart::{self, Chart, ChartFile, LoadError};
use crate::engine::Capabilities;
use crate::lint::{LintRequest, Severity};
use crate::values::ValueOptions;
use crate::yaml::YamlError;

pub use archive::write_archive;

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error(
        "{path}: not a chart directory; `ketch package` packages a directory (an archive is already packaged)"
    )]
    NotADirectory { path: String },
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Yaml(#[from] YamlError),
    #[error(
        "{chart}: lint found {} error(s); fix them before packaging (`ketch lint {chart}`):\n{}",
        .errors.len(),
        .errors.join("\n")
    )]
    Lint { chart: String, errors: Vec<String> },
    #[error("--version {value:?} is not strict SemVer 2 (e.g. 1.2.3 or 1.2.3-rc.1): {reason}")]
    BadVersion { value: String, reason: String },
    #[error(
        "SOURCE_DATE_EPOCH={0:?} is not a number of seconds since 1970-01-01; unset it or fix it"
    )]
    BadSourceDateEpoch(String),
    #[error("{path}: {error}")]
    Write { path: String, error: io::Error },
}

/// What to package and where.
pub struct PackageRequest<'a> {
    /// The chart directory.
    pub chart: &'a Path,
    /// The directory the archive is written to (created if missing).
    pub destination: &'a Path,
    /// Replaces `version` in the archived Chart.yaml.
    pub version: Option<&'a str>,
    /// Replaces `appVersion` in the archived Chart.yaml.
    pub app_version: Option<&'a str>,
    /// The mtime of every entry (see [`mtime_from_env`]).
    pub mtime: u64,
    /// What lint renders against.
    pub capabilities: Capabilities,
}

/// A written package.
#[derive(Debug, Clone)]
pub struct Package {
    pub path: PathBuf,
    pub name: String,
    pub version: String,
    /// Lower-case hex sha256 of the archive, as in repository indexes.
    pub sha256: String,
}

/// Entry mtimes: `SOURCE_DATE_EPOCH` when set (reproducible-builds.org), else 0.
pub fn mtime_from_env() -> Result<u64, PackageError> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(text) if !text.trim().is_empty() => text
            .trim()
            .parse()
            .map_err(|_| PackageError::BadSourceDateEpoch(text)),
        _ => Ok(0),
    }
}

/// Lints, builds and writes the package; see the module docs.
pub fn package(request: &PackageRequest) -> Result<Package, PackageError> {
    let shown = request.chart.display().to_string();
    if !request.chart.is_dir() {
        return Err(if request.chart.exists() {
            PackageError::NotADirectory { path: shown }
        } else {
            LoadError::NotFound { path: shown }.into()
        });
    }
    if let Some(value) = request.version {
        semver::Version::parse(value).map_err(|e| PackageError::BadVersion {
            value: value.to_string(),
            reason: e.to_string(),
        })?;
    }
    // One read of the directory serves lint and the archive.
    let files = chart::read_dir(request.chart);
    let loaded = match &files {
        Ok(files) => chart::load_files(files.clone(), &shown).ok(),
        Err(_) => None,
    };
    let metadata = loaded.as_ref().map(|chart| chart.metadata.clone());
    lint(request, &shown, loaded)?;

    let mut files = files?;
    let metadata = match metadata {
        Some(metadata) if request.version.is_none() && request.app_version.is_none() => metadata,
        _ => {
            rewrite_chart_yaml(&mut files, request, &shown)?;
            chart::load_files(files.clone(), &shown)?.metadata
        }
    };
    let (name, version) = (metadata.name, metadata.version);

    let bytes =
        write_archive(&name, &files, request.mtime).map_err(|error| PackageError::Write {
            path: shown.clone(),
            error,
        })?;
    let file_name = format!("{name}-{version}.tgz");
    // What was written must load as what was packaged.
    chart::load_archive(bytes.as_slice(), &file_name)?;

    let write_error = |path: &Path, error| PackageError::Write {
        path: path.display().to_string(),
        error,
    };
    std::fs::create_dir_all(request.destination)
        .map_err(|e| write_error(request.destination, e))?;
    let path = request.destination.join(&file_name);
    AtomicFile::write(&path, &bytes).map_err(|e| write_error(&path, e))?;
    Ok(Package {
        path,
        name,
        version,
        sha256: sha256_hex(&bytes),
    })
}

/// Lower-case hex sha256, the digest format of Helm's index and Chart.lock.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Lints the chart, `loaded` from its directory already (or loaded here, for
/// the lint's own report of why it does not load).
fn lint(request: &PackageRequest, shown: &str, loaded: Option<Chart>) -> Result<(), PackageError> {
    let lint = LintRequest {
        chart: request.chart,
        values: ValueOptions::default(),
        capabilities: request.capabilities.clone(),
    };
    let report = match loaded {
        Some(chart) => lint.check(chart, &mut io::empty()),
        None => lint.run(&mut io::empty()),
    };
    let errors: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("  {f}"))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(PackageError::Lint {
            chart: shown.to_string(),
            errors,
        })
    }
}

/// Sets `version` / `appVersion` in the Chart.yaml among `files`, keeping its other keys in order.
fn rewrite_chart_yaml(
    files: &mut [ChartFile],
    request: &PackageRequest,
    shown: &str,
) -> Result<(), PackageError> {
    let Some(file) = files.iter_mut().find(|f| f.path == "Chart.yaml") else {
        return Err(LoadError::MissingChartYaml {
            chart: shown.to_string(),
        }
        .into());
    };
    let origin = format!("{shown}/Chart.yaml");
    let text = std::str::from_utf8(&file.data).map_err(|_| LoadError::NotUtf8 {
        path: origin.clone(),
    })?;
    let mut doc = crate::yaml::parse_value(text, &origin)?;
    let Some(map) = doc.as_object_mut() else {
        // The loader reports what is wrong with it.
        return Ok(());
    };
    if let Some(v) = request.version {
        map.insert("version".into(), Value::String(v.to_string()));
    }
    if let Some(v) = request.app_version {
        map.insert("appVersion".into(), Value::String(v.to_string()));
    }
    file.data = crate::yaml::to_string(&doc)?.into_bytes();
    Ok(())
}
