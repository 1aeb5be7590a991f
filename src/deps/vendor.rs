//! Putting fetched archives into `charts/`: each as `NAME-VERSION.tgz`,
//! written atomically; other archives of the same charts (older versions)
//! are removed afterwards. Everything is checked before the first write.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{DepError, Fetched, Installed, Pinned, Provenance, io_error};
use crate::atomic::AtomicFile;
use crate::chart;
use crate::digest::sha256_hex;

pub(super) fn install(
    chart_dir: &Path,
    pinned: &[Pinned],
    fetched: &[Fetched],
) -> Result<Vec<Installed>, DepError> {
    let charts = chart_dir.join("charts");
    // File name → archive; two aliases of one chart version share a file.
    let mut archives: BTreeMap<String, &[u8]> = BTreeMap::new();
    for (p, f) in pinned.iter().zip(fetched) {
        if let Some(bytes) = &f.bytes {
            archives.insert(format!("{}-{}.tgz", p.dependency.name, p.version), bytes);
        }
    }
    let managed: Vec<&str> = pinned
        .iter()
        .zip(fetched)
        .filter(|(_, f)| f.bytes.is_some())
        .map(|(p, _)| p.dependency.name.as_str())
        .collect();

    let mut stale = Vec::new();
    for copy in copies_in(&charts)? {
        if !managed.contains(&copy.name.as_str()) {
            continue;
        }
        let file_name = copy.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        match copy.sha256 {
            None => {
                return Err(DepError::VendoredConflict {
                    path: copy.path.display().to_string(),
                    name: copy.name,
                });
            }
            Some(_) if !archives.contains_key(file_name) => stale.push(copy.path),
            Some(_) => {}
        }
    }

    if !archives.is_empty() {
        std::fs::create_dir_all(&charts).map_err(|e| io_error(&charts, e))?;
    }
    for (file_name, bytes) in &archives {
        let path = charts.join(file_name);
        if std::fs::read(&path).is_ok_and(|old| old == *bytes) {
            continue;
        }
        AtomicFile::write(&path, bytes).map_err(|e| io_error(&path, e))?;
    }
    for path in stale {
        std::fs::remove_file(&path).map_err(|e| io_error(&path, e))?;
    }

    Ok(pinned
        .iter()
        .zip(fetched)
        .map(|(p, f)| Installed {
            name: p.dependency.name.clone(),
            version: p.version.clone(),
            repository: p.dependency.repository.clone().unwrap_or_default(),
            from: f.from,
        })
        .collect())
}

/// A chart in `charts/`, archived or unpacked.
pub(super) struct ChartCopy {
    pub path: PathBuf,
    pub name: String,
    pub version: String,
    /// sha256 of an archive; `None` for an unpacked directory.
    pub sha256: Option<String>,
}

/// The charts in `charts/` (none when it is missing); entries that hold no
/// readable chart are skipped, as are those the loader skips (`.`, `_`).
pub(super) fn copies_in(charts: &Path) -> Result<Vec<ChartCopy>, DepError> {
    let entries = match std::fs::read_dir(charts) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error(charts, e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_error(charts, e))?;
        let path = entry.path();
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if file_name.starts_with(['.', '_']) {
            continue;
        }
        let copy = if path.is_dir() {
            std::fs::read(path.join("Chart.yaml"))
                .ok()
                .and_then(|data| chart::parse_metadata(&data, &file_name).ok())
                .map(|m| (m, None))
        } else if file_name.ends_with(".tgz") {
            let data = std::fs::read(&path).map_err(|e| io_error(&path, e))?;
            chart::load_archive(data.as_slice(), &file_name)
                .ok()
                .map(|c| (c.metadata, Some(sha256_hex(&data))))
        } else {
            None
        };
        if let Some((metadata, sha256)) = copy {
            found.push(ChartCopy {
                path,
                name: metadata.name,
                version: metadata.version,
                sha256,
            });
        }
    }
    Ok(found)
}

impl Provenance {
    pub fn describe(self) -> &'static str {
        match self {
            Provenance::Vendored => "vendored in charts/",
            Provenance::Packaged => "packaged from its directory",
            Provenance::Cache => "from the archive cache",
            Provenance::Downloaded => "downloaded",
        }
    }
}
