//! The local copies of repository indexes, under ketch's cache directory:
//! `repository/NAME-index.yaml` (as the server sent it) and
//! `repository/NAME-index.json` (parsed and checked, what commands read: JSON
//! loads many times faster than YAML). Both are replaced atomically.

use std::path::{Path, PathBuf};

use super::RepoError;
use super::index::IndexFile;
use crate::atomic::AtomicFile;

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

    pub fn json_path(&self, repo: &str) -> PathBuf {
        self.dir.join(format!("{repo}-index.json"))
    }

    /// Stores a fetched index: the YAML as received and the parsed form.
    pub fn store(&self, repo: &str, yaml: &[u8], index: &IndexFile) -> Result<(), RepoError> {
        let io = |path: &Path, error| RepoError::Io {
            path: path.display().to_string(),
            error,
        };
        std::fs::create_dir_all(&self.dir).map_err(|e| io(&self.dir, e))?;
        let json = serde_json::to_vec(index).map_err(|e| RepoError::Cache {
            path: self.json_path(repo).display().to_string(),
            message: e.to_string(),
        })?;
        let yaml_path = self.yaml_path(repo);
        AtomicFile::write(&yaml_path, yaml).map_err(|e| io(&yaml_path, e))?;
        let json_path = self.json_path(repo);
        AtomicFile::write(&json_path, &json).map_err(|e| io(&json_path, e))
    }

    /// Loads the parsed index of `repo`.
    pub fn load(&self, repo: &str) -> Result<IndexFile, RepoError> {
        let path = self.json_path(repo);
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
        serde_json::from_slice(&data).map_err(|e| RepoError::Cache {
            path: path.display().to_string(),
            message: format!("{e}; run `ketch repo update {repo}` to fetch it again"),
        })
    }

    /// Deletes the cached files of `repo` (missing ones are fine).
    pub fn remove(&self, repo: &str) -> Result<(), RepoError> {
        for path in [self.yaml_path(repo), self.json_path(repo)] {
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
