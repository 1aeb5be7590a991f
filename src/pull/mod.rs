//! `ketch pull`: fetch a chart archive from a repository (`repo/chart`, the
//! version chosen from the cached index and the digest checked against it),
//! a URL, or an OCI registry, and save or extract it.
//!
//! TLS: `registry.tls` (the command's flags) applies to every request; for
//! `repo/chart` and URLs under an added repository, the repository's stored
//! TLS settings fill in what the flags leave out.
//!
//! The bytes go to a temporary file in the destination directory and become
//! `NAME-VERSION.tgz` only once the digest matches and the archive loads as a
//! chart through the safe loader; anything refused leaves no file behind.

mod extract;
pub mod oci;

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use crate::atomic::AtomicFile;
use crate::chart::{self, LoadError};
use crate::repo::fetch::{self, MAX_ARCHIVE_SIZE};
use crate::repo::{CachedVersion, Credentials, Fetcher, RepoError, RepoSettings, Repository};
use crate::version::{Constraint, same_version};

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
        "{reference}: no version matches {constraint:?} (newest: {available}); pass --version, or --devel for prereleases"
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
    /// `repo/chart`, an http(s) URL of an archive, or `oci://...`.
    pub reference: String,
    /// A version constraint (Helm syntax); `None`: the newest stable version.
    pub version: Option<String>,
    /// Allow prereleases when `version` is `None`.
    pub devel: bool,
    pub destination: PathBuf,
    /// Extract into this directory (relative to `destination` unless absolute).
    pub untar: Option<PathBuf>,
    /// `Some("")`: a digest must be known (from the index); `Some("sha256:HEX")`: must match it.
    pub verify_digest: Option<String>,
    pub settings: Option<RepoSettings>,
    /// How to reach OCI registries.
    pub registry: oci::Options,
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

enum Reference<'a> {
    Repo { repo: &'a str, chart: &'a str },
    Url(&'a str),
    Oci(&'a str),
}

fn classify(reference: &str) -> Result<Reference<'_>, PullError> {
    if reference.starts_with("oci://") {
        return Ok(Reference::Oci(reference));
    }
    if reference.starts_with("https://") || reference.starts_with("http://") {
        return Ok(Reference::Url(reference));
    }
    match reference.split_once('/') {
        Some((repo, chart)) if !repo.is_empty() && !chart.is_empty() && !chart.contains('/') => {
            Ok(Reference::Repo { repo, chart })
        }
        _ => Err(PullError::BadReference {
            reference: reference.to_string(),
        }),
    }
}

/// Pulls as the module docs say; Ctrl-C removes the partial download, and
/// directories made for a pull that failed are removed again.
pub async fn pull(request: &PullRequest) -> Result<Pulled, PullError> {
    let parent = match &request.untar {
        Some(dir) => request.destination.join(dir),
        None => request.destination.clone(),
    };
    let made = create_dirs(&parent)?;
    let pulled = fetch::until_interrupted(pull_chart(request, &parent)).await;
    if pulled.is_err() {
        // Deepest first; a directory something else wrote into meanwhile stays.
        for dir in made.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
    pulled
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

async fn pull_chart(request: &PullRequest, parent: &Path) -> Result<Pulled, PullError> {
    let wanted = match request.verify_digest.as_deref() {
        None | Some("") => None,
        Some(flag) => Some(parse_digest_flag(flag)?),
    };
    let mut temp = AtomicFile::create(&parent.join("pull.tgz")).map_err(|e| io_error(parent, e))?;

    // The chart name and version an index entry promised.
    let mut promised = None;
    let (origin, sha256, expected) = match classify(&request.reference)? {
        Reference::Repo { repo, chart } => {
            let (url, credentials, entry, fetcher) = resolve(request, repo, chart)?;
            promised = Some((chart.to_string(), entry.version.clone()));
            let sha256 = fetcher
                .download(&url, &credentials, MAX_ARCHIVE_SIZE, &mut temp)
                .await?;
            let mut expected = entry.digest.clone().map(|d| fetch::digest_hex(&d));
            if let Some(w) = wanted {
                check(url.as_str(), &w, &sha256)?;
                expected.get_or_insert(w);
            }
            (url.to_string(), sha256, expected)
        }
        Reference::Url(text) => {
            let url = fetch::parse_url(text)?;
            let tls = &request.registry.tls;
            let (credentials, fetcher) = match repository_of_url(request, &url) {
                Some(repo) => (repo.credentials(), Fetcher::for_repository(&repo, tls)?),
                None => (Credentials::None, Fetcher::with_tls(tls)?),
            };
            let sha256 = fetcher
                .download(&url, &credentials, MAX_ARCHIVE_SIZE, &mut temp)
                .await?;
            (url.to_string(), sha256, wanted)
        }
        Reference::Oci(reference) => {
            let (sha256, expected) = oci::pull(request, reference, wanted, &mut temp).await?;
            (reference.to_string(), sha256, expected)
        }
    };
    match expected {
        Some(expected) => check(&origin, &expected, &sha256)?,
        None if request.verify_digest.is_some() => return Err(PullError::NoDigest { url: origin }),
        None => {}
    }
    temp.flush().map_err(|e| io_error(temp.temp_path(), e))?;

    let open = || File::open(temp.temp_path()).map_err(|e| io_error(temp.temp_path(), e));
    let loaded = chart::load_archive(BufReader::new(open()?), &origin)?;
    let (name, version) = (
        loaded.metadata.name.clone(),
        loaded.metadata.version.clone(),
    );
    if let Some((chart, promised_version)) = promised
        && (name != chart || !same_version(&version, &promised_version))
    {
        return Err(PullError::ArchiveMismatch {
            origin,
            expected: format!("{chart} {promised_version}"),
            found: format!("{name} {version}"),
        });
    }
    let path = match &request.untar {
        Some(_) => {
            let files = chart::read_archive(BufReader::new(open()?), &origin)?;
            extract::extract(&files, parent, &name)?
        }
        None => {
            let path = parent.join(format!("{name}-{version}.tgz"));
            temp.commit_to(&path).map_err(|e| io_error(&path, e))?;
            path
        }
    };
    Ok(Pulled {
        path,
        name,
        version,
        sha256,
    })
}

/// The URL, credentials and index entry of `repo/chart` at the wanted version,
/// and a client with the repository's TLS settings (flags override them).
fn resolve(
    request: &PullRequest,
    repo_name: &str,
    chart: &str,
) -> Result<(reqwest::Url, Credentials, CachedVersion, Fetcher), PullError> {
    let settings = match &request.settings {
        Some(s) => s.clone(),
        None => RepoSettings::from_env()?,
    };
    let repo = settings
        .repositories()?
        .get(repo_name)
        .cloned()
        .ok_or_else(|| RepoError::NoSuchRepo {
            name: repo_name.to_string(),
        })?;
    let index = settings.cache().load(repo_name)?;
    let versions = index
        .versions(chart)
        .ok_or_else(|| PullError::ChartNotFound {
            repo: repo_name.to_string(),
            chart: chart.to_string(),
        })?;
    let constraint_text = match (&request.version, request.devel) {
        (Some(v), _) => v.as_str(),
        (None, true) => ">=0.0.0-0",
        (None, false) => "*",
    };
    let constraint = Constraint::parse(constraint_text).map_err(|e| PullError::BadConstraint {
        value: constraint_text.to_string(),
        reason: e.to_string(),
    })?;
    let Some(entry) = index.best(chart, &constraint) else {
        return Err(PullError::NoMatchingVersion {
            reference: format!("{repo_name}/{chart}"),
            constraint: constraint_text.to_string(),
            available: versions
                .iter()
                .take(5)
                .map(|v| v.version.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    };
    let (url, credentials) = fetch::archive_location(&repo, chart, entry)?;
    let fetcher = Fetcher::for_repository(&repo, &request.registry.tls)?;
    Ok((url, credentials, entry.clone(), fetcher))
}

/// For a bare URL, the added repository it lies under, if any: its credentials
/// and TLS settings apply.
fn repository_of_url(request: &PullRequest, url: &reqwest::Url) -> Option<Repository> {
    let settings = match &request.settings {
        Some(s) => Some(s.clone()),
        None => RepoSettings::from_env().ok(),
    };
    let file = settings.and_then(|s| s.repositories().ok())?;
    file.repositories.into_iter().find(|r| {
        fetch::parse_url(&r.url).is_ok_and(|base| {
            fetch::same_origin(url, &base)
                && url.path().starts_with(base.path().trim_end_matches('/'))
        })
    })
}

fn parse_digest_flag(flag: &str) -> Result<String, PullError> {
    let hex = fetch::digest_hex(flag);
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err(PullError::BadDigestFlag(flag.to_string()))
    }
}

fn check(origin: &str, expected: &str, actual: &str) -> Result<(), PullError> {
    if expected == actual {
        Ok(())
    } else {
        Err(PullError::Digest {
            url: origin.to_string(),
            expected: expected.to_string(),
            actual: actual.to_string(),
        })
    }
}
