//! The list of added repositories, `repositories.yaml` in ketch's config
//! directory (Helm's file of the same name, plus `token`): URL, credentials and
//! TLS settings (`caFile`, `certFile`, `keyFile`, `insecure_skip_tls_verify`,
//! as Helm stores them) per repository. It may hold credentials, so it is
//! always written with mode 0600.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::RepoError;
use crate::atomic::AtomicFile;
use crate::tls::TlsOptions;

pub const REPOSITORIES_FILE: &str = "repositories.yaml";
const LOCK_FILE: &str = "repositories.lock";

/// One added repository.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repository {
    pub name: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// CA certificates (PEM) to trust for this repository besides the system's.
    #[serde(default, rename = "caFile", skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// Client certificate (PEM) to present to this repository.
    #[serde(default, rename = "certFile", skip_serializing_if = "Option::is_none")]
    pub cert_file: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[serde(default, rename = "keyFile", skip_serializing_if = "Option::is_none")]
    pub key_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure_skip_tls_verify: bool,
}

impl Repository {
    pub fn credentials(&self) -> Credentials {
        match (&self.username, &self.password, &self.token) {
            (_, _, Some(token)) => Credentials::Bearer(token.clone()),
            (Some(user), password, None) => Credentials::Basic {
                username: user.clone(),
                password: password.clone().unwrap_or_default(),
            },
            _ => Credentials::None,
        }
    }

    /// The TLS settings stored for this repository.
    pub fn tls(&self) -> TlsOptions {
        TlsOptions {
            ca_file: self.ca_file.clone(),
            cert_file: self.cert_file.clone(),
            key_file: self.key_file.clone(),
            insecure_skip_tls_verify: self.insecure_skip_tls_verify,
        }
    }

    /// This repository with `tls` as its TLS settings.
    pub fn with_tls(self, tls: TlsOptions) -> Self {
        Repository {
            ca_file: tls.ca_file,
            cert_file: tls.cert_file,
            key_file: tls.key_file,
            insecure_skip_tls_verify: tls.insecure_skip_tls_verify,
            ..self
        }
    }
}

/// How requests to a repository authenticate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Credentials {
    #[default]
    None,
    Basic {
        username: String,
        password: String,
    },
    Bearer(String),
}

/// The repositories file: where it lives and what it holds.
#[derive(Debug, Clone)]
pub struct RepositoryFile {
    pub path: PathBuf,
    pub repositories: Vec<Repository>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct FileFormat {
    #[serde(default, rename = "apiVersion")]
    api_version: Option<String>,
    #[serde(default)]
    generated: Option<String>,
    #[serde(default)]
    repositories: Vec<Repository>,
}

impl RepositoryFile {
    /// Reads the file in `config_dir`; a missing file is an empty list.
    pub fn load(config_dir: &Path) -> Result<Self, RepoError> {
        let path = config_dir.join(REPOSITORIES_FILE);
        let shown = path.display().to_string();
        let repositories = match std::fs::read_to_string(&path) {
            Ok(text) => {
                crate::yaml::parse::<Option<FileFormat>>(&text, &shown)?
                    .unwrap_or_default()
                    .repositories
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(error) => return Err(RepoError::Io { path: shown, error }),
        };
        Ok(Self { path, repositories })
    }

    /// Takes the exclusive lock that serialises changes to the file (a
    /// concurrent `repo add` waits instead of losing an update); released on drop.
    pub fn lock(config_dir: &Path) -> Result<std::fs::File, RepoError> {
        let io = |path: &Path, error| RepoError::Io {
            path: path.display().to_string(),
            error,
        };
        create_private_dir(config_dir).map_err(|e| io(config_dir, e))?;
        let path = config_dir.join(LOCK_FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io(&path, e))?;
        file.lock().map_err(|e| io(&path, e))?;
        Ok(file)
    }

    pub fn get(&self, name: &str) -> Option<&Repository> {
        self.repositories.iter().find(|r| r.name == name)
    }

    /// Adds `repo`, or replaces the one of the same name.
    pub fn upsert(&mut self, repo: Repository) {
        match self.repositories.iter_mut().find(|r| r.name == repo.name) {
            Some(existing) => *existing = repo,
            None => self.repositories.push(repo),
        }
    }

    /// Removes the repository `name`; false when there is none.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.repositories.len();
        self.repositories.retain(|r| r.name != name);
        self.repositories.len() != before
    }

    /// Writes the file atomically, mode 0600, creating the directory (0700).
    pub fn save(&self) -> Result<(), RepoError> {
        let io = |path: &Path, error| RepoError::Io {
            path: path.display().to_string(),
            error,
        };
        if let Some(dir) = self.path.parent() {
            create_private_dir(dir).map_err(|e| io(dir, e))?;
        }
        let text = crate::yaml::to_string(&FileFormat {
            api_version: Some(String::new()),
            generated: Some(crate::timestamp::rfc3339_nanos(std::time::SystemTime::now())),
            repositories: self.repositories.clone(),
        })?;
        let mut file =
            AtomicFile::create_with_mode(&self.path, 0o600).map_err(|e| io(&self.path, e))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.commit())
            .map_err(|e| io(&self.path, e))
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Repository names become file names in the cache and the first part of
/// `name/chart`: letters, digits, `.`, `_`, `-`, not starting with `.`.
pub fn check_name(name: &str) -> Result<(), RepoError> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(RepoError::BadName(name.to_string()))
    }
}
