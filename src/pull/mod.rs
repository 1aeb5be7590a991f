//! Charts by reference: `REPO/CHART` (an added repository, the version chosen from its cached
//! index and the digest checked against it), `--repo URL CHART`, an archive URL, or
//! `oci://...` in a registry. [`fetch`] gets and checks the archive; `ketch pull` ([`pull`])
//! saves or extracts it, and the commands that take a chart ([`locate`]) render it from the
//! archive cache.
//!
//! An archive whose digest is known beforehand (from the index, or the registry's manifest)
//! and already in the archive cache is not downloaded again. What is downloaded is kept only
//! once its digest matches and it loads as the promised chart through the safe loader:
//! anything refused leaves no file behind, in the destination or the cache.
//!
//! TLS: `registry.tls` (the command's flags) applies to every request; for `REPO/CHART`
//! and URLs under an added repository, the repository's stored TLS settings fill in what
//! the flags leave out.

mod extract;
mod fetch;
mod locate;
pub mod oci;

use std::path::{Path, PathBuf};

use crate::atomic::AtomicFile;
use crate::chart::{self, LoadError};
use crate::repo::RepoError;

pub use fetch::{ChartQuery, Fetched, fetch};
pub use locate::{Located, locate};

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error(
        "{reference:?} is not a chart reference: expected REPO/CHART (an added repository), \
         https://.../CHART-VERSION.tgz or oci://REGISTRY/PATH/CHART"
    )]
    BadReference { reference: String },
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Oci(#[from] oci::OciError),
    #[error(
        "chart {chart:?} not found in repository {repo:?}; `ketch search repo {chart}` lists what there is \
         (or run `ketch repo update {repo}`)"
    )]
    ChartNotFound { repo: String, chart: String },
    #[error(
        "{reference}: no version matches {constraint:?} (closest: {available}); pass another --version, or --devel for prereleases"
    )]
    NoMatchingVersion {
        reference: String,
        constraint: String,
        available: String,
    },
    #[error("--version {value:?}: {reason}")]
    BadConstraint { value: String, reason: String },
    #[error(
        "{url}: digest mismatch: expected sha256 {expected}, got {actual}; the archive was refused and not saved"
    )]
    Digest {
        url: String,
        expected: String,
        actual: String,
    },
    #[error(
        "{url}: --verify-digest was given but there is no digest to check against; \
         pass one: --verify-digest=sha256:HEX"
    )]
    NoDigest { url: String },
    #[error("--verify-digest {0:?}: expected sha256:HEX (64 hex digits)")]
    BadDigestFlag(String),
    #[error(
        "{origin} holds chart {found}, but the repository's index promised {expected}; \
         the archive was refused and not saved (the index or the archive is wrong: tell the \
         repository's owner)"
    )]
    ArchiveMismatch {
        origin: String,
        /// `NAME VERSION`.
        expected: String,
        found: String,
    },
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(
        "{chart:?}: no such chart directory or archive, and not a chart reference; give a path, \
         REPO/CHART (a repository from `ketch repo add`), oci://REGISTRY/PATH/CHART, an \
         https:// archive URL, or --repo URL with the chart's name"
    )]
    NoSuchChart { chart: String },
    #[error(
        "{chart:?}: no such chart directory or archive, and no repository {repo:?} is added \
         (`ketch repo list` shows them; `ketch repo add {repo} URL` adds it)"
    )]
    NoSuchRepoOrPath { chart: String, repo: String },
    #[error("{path}: already exists; remove it or pull into another --untardir")]
    Exists { path: String },
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
}

fn io_error(path: &Path, error: std::io::Error) -> PullError {
    PullError::Io {
        path: path.display().to_string(),
        error,
    }
}

/// What to pull and where.
#[derive(Debug, Clone)]
pub struct PullRequest {
    pub query: ChartQuery,
    pub destination: PathBuf,
    /// Extract into this directory (relative to `destination` unless absolute).
    pub untar: Option<PathBuf>,
}

/// A pulled chart: the saved archive or the extracted directory.
#[derive(Debug, Clone)]
pub struct Pulled {
    pub path: PathBuf,
    pub name: String,
    pub version: String,
    /// sha256 of the archive (hex).
    pub sha256: String,
}

/// Pulls as the module docs say; Ctrl-C stops the download, and directories made for a pull
/// that failed are removed again.
pub async fn pull(request: &PullRequest) -> Result<Pulled, PullError> {
    let parent = match &request.untar {
        Some(dir) => request.destination.join(dir),
        None => request.destination.clone(),
    };
    let made = create_dirs(&parent)?;
    let pulled = async {
        let fetched = fetch(&request.query).await?;
        save(&fetched, request, &parent)
    }
    .await;
    if pulled.is_err() {
        // Deepest first; a directory something else wrote into meanwhile stays.
        for dir in made.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
    pulled
}

/// Writes the archive to `parent/NAME-VERSION.tgz`, or extracts it.
fn save(fetched: &Fetched, request: &PullRequest, parent: &Path) -> Result<Pulled, PullError> {
    let path = match &request.untar {
        Some(_) => {
            let files = chart::read_archive(fetched.bytes.as_slice(), &fetched.origin)?;
            extract::extract(&files, parent, &fetched.name)?
        }
        None => {
            let path = parent.join(format!("{}-{}.tgz", fetched.name, fetched.version));
            AtomicFile::write(&path, &fetched.bytes).map_err(|e| io_error(&path, e))?;
            path
        }
    };
    Ok(Pulled {
        path,
        name: fetched.name.clone(),
        version: fetched.version.clone(),
        sha256: fetched.sha256.clone(),
    })
}

/// Creates `dir` and its missing parents; returns those it made, outermost first.
fn create_dirs(dir: &Path) -> Result<Vec<PathBuf>, PullError> {
    // Without `.` parts: `rmdir` and `create_dir_all` trip over a path that ends in one.
    let normal: PathBuf = dir.components().collect();
    let missing: Vec<PathBuf> = normal
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && d.symlink_metadata().is_err())
        .map(Path::to_path_buf)
        .collect();
    std::fs::create_dir_all(&normal).map_err(|e| io_error(dir, e))?;
    Ok(missing.into_iter().rev().collect())
}
