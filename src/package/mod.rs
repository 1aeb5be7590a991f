//! `ketch package`: a chart directory to a reproducible `NAME-VERSION.tgz`.
//!
//! Nothing is written for a chart the archive would be unusable with: a
//! Chart.yaml, values.yaml or values.schema.json that does not load, values
//! that fail the chart's schema or miss a declared dependency, a template
//! that does not compile, a version that is not strict SemVer. The chart is
//! then linted with the values given (the chart's defaults without `-f` or
//! `--set*`): what the render and the Kubernetes schemas find are warnings,
//! as a chart may need values its defaults do not hold (`required`), unless
//! `strict`, which refuses what `ketch lint --strict` refuses. The archive is
//! built in memory, read back through the safe loader, and written atomically.

pub mod archive;

use std::io;
use std::path::{Path, PathBuf};

use crate::digest::sha256_hex;
use serde_json::Value;

use crate::atomic::AtomicFile;
use crate::chart::{self, Chart, ChartFile, LoadError};
use crate::engine::{self, Capabilities, EngineError};
use crate::lint::{Finding, LintRequest, Severity};
use crate::values::{self, UserValues, ValuesError};
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
    #[error("{chart}: not packaged: {source}")]
    Values {
        chart: String,
        #[source]
        source: ValuesError,
    },
    #[error("{chart}: not packaged: {source}")]
    Template {
        chart: String,
        #[source]
        source: EngineError,
    },
    #[error(
        "{chart}: lint found {} problem(s) and --strict refuses them; fix them \
         (`ketch lint --strict {chart}`) or package without --strict:\n{}",
        .problems.len(),
        .problems.join("\n")
    )]
    Lint {
        chart: String,
        problems: Vec<String>,
    },
    #[error("--version {value:?} is not strict SemVer 2 (e.g. 1.2.3 or 1.2.3-rc.1): {reason}")]
    BadVersion { value: String, reason: String },
    #[error(
        "{chart}/Chart.yaml: version {version:?} is not strict SemVer 2; a package is named and \
         indexed by its version, so ketch writes strict ones: set `version: {strict}` in Chart.yaml \
         or pass `--version {strict}`"
    )]
    LooseVersion {
        chart: String,
        version: String,
        strict: String,
    },
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
    /// The values lint renders with (`-f`, `--set*`, merged); empty: the chart's defaults.
    pub values: UserValues,
    /// Refuse the chart for any lint error or warning, as `ketch lint --strict` does.
    pub strict: bool,
}

/// A written package.
#[derive(Debug, Clone)]
pub struct Package {
    pub path: PathBuf,
    pub name: String,
    pub version: String,
    /// Lower-case hex sha256 of the archive, as in repository indexes.
    pub sha256: String,
    /// What lint found with the values given that did not stop packaging
    /// (render and Kubernetes-schema errors, as warnings).
    pub warnings: Vec<Finding>,
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
    let warnings = lint(request, &shown, loaded)?;

    let mut files = files?;
    let metadata = match metadata {
        Some(metadata) if request.version.is_none() && request.app_version.is_none() => metadata,
        _ => {
            rewrite_chart_yaml(&mut files, request, &shown)?;
            chart::load_files(files.clone(), &shown)?.metadata
        }
    };
    let (name, version) = (metadata.name, metadata.version);
    if let Err(strict) = strict_version(&version) {
        return Err(PackageError::LooseVersion {
            chart: shown,
            version,
            strict,
        });
    }

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
        warnings,
    })
}

/// Ok for a strict SemVer 2 version; else the strict form of a version Helm
/// reads loosely (`v1.2` is `1.2.0`), for the hint.
fn strict_version(version: &str) -> Result<(), String> {
    if semver::Version::parse(version).is_ok() {
        return Ok(());
    }
    Err(crate::version::parse_version(version)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| "1.2.3".to_string()))
}

/// Refuses what makes the archive unusable, then lints the chart (`loaded`
/// from its directory already) and returns the errors lint found, as
/// warnings; `strict` refuses them, and lint's warnings too.
fn lint(
    request: &PackageRequest,
    shown: &str,
    loaded: Option<Chart>,
) -> Result<Vec<Finding>, PackageError> {
    let chart = match loaded {
        Some(chart) => chart,
        // Loaded again for the loader's own message.
        None => chart::load(request.chart)?,
    };
    let refuse = |source| PackageError::Values {
        chart: shown.to_string(),
        source,
    };
    let (resolved, resolved_values) =
        values::resolve(chart.clone(), request.values.values.clone()).map_err(refuse)?;
    values::validate(&resolved, &resolved_values, Some(&request.values)).map_err(refuse)?;
    engine::check_syntax(&chart).map_err(|source| PackageError::Template {
        chart: shown.to_string(),
        source,
    })?;

    let lint = LintRequest {
        chart: request.chart,
        values: Default::default(),
        capabilities: request.capabilities.clone(),
    };
    let report = lint.check_with_values(chart, &request.values);
    if request.strict && report.fails(true) {
        return Err(PackageError::Lint {
            chart: shown.to_string(),
            problems: report
                .findings
                .iter()
                .filter(|f| f.severity >= Severity::Warning)
                .map(|f| format!("  {f}"))
                .collect(),
        });
    }
    Ok(report
        .findings
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| Finding {
            severity: Severity::Warning,
            ..f
        })
        .collect())
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
    file.data = crate::yaml::to_string(&doc)?.into_bytes().into();
    Ok(())
}
