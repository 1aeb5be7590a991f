//! The local copies of repository indexes, under ketch's cache directory:
//! `repository/NAME-index.yaml` (as the server sent it) and
//! `repository/NAME-charts.json`, what commands read: for each chart its
//! versions, newest first, with only the fields search, pull and dependency
//! resolution use. A 20 MB index shrinks to a few MB of JSON that loads in
//! milliseconds, where re-reading the YAML takes seconds. Both files are
//! replaced atomically.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::RepoError;
use super::index::IndexFile;
use crate::atomic::AtomicFile;
use crate::version::{Constraint, Version, highest_match, parse_version};

/// Bumped when [`CachedIndex`] changes shape; an older cache reads as absent.
const FORMAT: u32 = 1;

/// A repository index as commands read it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CachedIndex {
    format: u32,
    /// Chart name → its versions, newest first (the order [`IndexFile::parse`] leaves).
    pub entries: IndexMap<String, Vec<CachedVersion>>,
}

/// One chart version: what `search` shows and what `pull` and `dep update` need to fetch it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CachedVersion {
    #[serde(rename = "v")]
    pub version: String,
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "k", default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    #[serde(rename = "u", default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    /// Lower-case hex sha256 of the archive, as the index gives it.
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

impl From<&IndexFile> for CachedIndex {
    fn from(index: &IndexFile) -> Self {
        let entries = index
            .entries
            .iter()
            .map(|(name, versions)| {
                let versions = versions
                    .iter()
                    .map(|v| CachedVersion {
                        version: v.version.clone(),
                        app_version: v.app_version.clone(),
                        description: v.description.clone(),
                        keywords: v.keywords.clone(),
                        urls: v.urls.clone(),
                        digest: v.digest.clone(),
                    })
                    .collect();
                (name.clone(), versions)
            })
            .collect();
        CachedIndex {
            format: FORMAT,
            entries,
        }
    }
}

impl CachedIndex {
    /// The versions of `chart`, newest first; `None` when the index lacks it.
    pub fn versions(&self, chart: &str) -> Option<&[CachedVersion]> {
        self.entries.get(chart).map(Vec::as_slice)
    }

    /// The highest version of `chart` that `constraint` matches, as Helm's
    /// resolver picks it; versions nobody can read are skipped.
    pub fn best(&self, chart: &str, constraint: &Constraint) -> Option<&CachedVersion> {
        let parsed: Vec<(Version, &CachedVersion)> = self
            .versions(chart)?
            .iter()
            .filter_map(|v| Some((parse_version(&v.version).ok()?, v)))
            .collect();
        let best = highest_match(constraint, parsed.iter().map(|(v, _)| v))?;
        parsed.iter().find(|(v, _)| v == best).map(|(_, e)| *e)
    }
}

/// The cached indexes of the added repositories.
#[derive(Debug, Clone)]
pub struct IndexCache {
    dir: PathBuf,
}

impl IndexCache {
    /// The cache under `cache_home` (see [`crate::paths::cache_home`]).
    pub fn new(cache_home: &Path) -> Self {
        Self {
            dir: cache_home.join("repository"),
        }
    }

    pub fn yaml_path(&self, repo: &str) -> PathBuf {
        self.dir.join(format!("{repo}-index.yaml"))
    }

    pub fn charts_path(&self, repo: &str) -> PathBuf {
        self.dir.join(format!("{repo}-charts.json"))
    }

    /// Stores a fetched index: the YAML as received and the form commands read.
    pub fn store(&self, repo: &str, yaml: &[u8], index: &IndexFile) -> Result<(), RepoError> {
        let io = |path: &Path, error| RepoError::Io {
            path: path.display().to_string(),
            error,
        };
        std::fs::create_dir_all(&self.dir).map_err(|e| io(&self.dir, e))?;
        let json = serde_json::to_vec(&CachedIndex::from(index)).map_err(|e| RepoError::Cache {
            path: self.charts_path(repo).display().to_string(),
            message: e.to_string(),
        })?;
        let yaml_path = self.yaml_path(repo);
        AtomicFile::write(&yaml_path, yaml).map_err(|e| io(&yaml_path, e))?;
        let charts_path = self.charts_path(repo);
        AtomicFile::write(&charts_path, &json).map_err(|e| io(&charts_path, e))
    }

    /// Loads the cached index of `repo`.
    pub fn load(&self, repo: &str) -> Result<CachedIndex, RepoError> {
        let path = self.charts_path(repo);
        let data = match std::fs::read(&path) {
            Ok(data) => data,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(RepoError::NotCached {
                    repo: repo.to_string(),
                });
            }
            Err(error) => {
                return Err(RepoError::Io {
                    path: path.display().to_string(),
                    error,
                });
            }
        };
        let unreadable = |message: String| RepoError::Cache {
            path: path.display().to_string(),
            message: format!("{message}; run `ketch repo update {repo}` to fetch it again"),
        };
        let index: CachedIndex =
            serde_json::from_slice(&data).map_err(|e| unreadable(e.to_string()))?;
        if index.format != FORMAT {
            return Err(unreadable(format!(
                "written by another ketch version (format {})",
                index.format
            )));
        }
        Ok(index)
    }

    /// Deletes the cached files of `repo` (missing ones are fine).
    pub fn remove(&self, repo: &str) -> Result<(), RepoError> {
        // `NAME-index.json` is what ketch 0.1 cached.
        let legacy = self.dir.join(format!("{repo}-index.json"));
        for path in [self.yaml_path(repo), self.charts_path(repo), legacy] {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    return Err(RepoError::Io {
                        path: path.display().to_string(),
                        error,
                    });
                }
            }
        }
        Ok(())
    }
}
