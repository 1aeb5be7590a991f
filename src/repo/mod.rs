//! Chart repositories over HTTP(S), Helm's format: the added repositories
//! ([`config`], with their credentials and TLS settings), their cached indexes
//! ([`cache`]), fetching ([`fetch`]), the index model and `repo index`
//! ([`index`]) and search ([`search`]).

pub mod cache;
pub mod config;
pub mod fetch;
pub mod index;
pub mod search;

use std::path::PathBuf;

pub use cache::{CachedIndex, CachedVersion, IndexCache};
pub use config::{Credentials, Repository, RepositoryFile};
pub use fetch::Fetcher;
pub use index::{ChartVersion, IndexError, IndexFile};

use crate::tls::TlsOptions;
use crate::yaml::YamlError;

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error(
        "repository name {0:?} is not allowed: use letters, digits, '.', '_' and '-', not starting with '.'"
    )]
    BadName(String),
    #[error("{url}: not a repository URL: {reason}")]
    BadUrl { url: String, reason: String },
    #[error(
        "{url}: a repository's index lists this as a chart archive, but {reason}; \
         the index is wrong: tell the repository's owner"
    )]
    BadChartUrl { url: String, reason: String },
    #[error("{url}: cannot connect: {message}; check the URL and that the server is up")]
    Unreachable { url: String, message: String },
    #[error("{url}: HTTP {status} {reason}{hint}")]
    Status {
        url: String,
        status: u16,
        reason: String,
        hint: String,
    },
    #[error(
        "{url}: the server sent {bytes} bytes in the last {secs}s; giving up on a stalled download \
         (try again later; KETCH_DOWNLOAD_STALL_TIMEOUT sets the seconds)"
    )]
    Stalled { url: String, bytes: u64, secs: u64 },
    #[error(
        "{url}: the download did not finish within {secs}s; giving up \
         (try again later; KETCH_DOWNLOAD_TIMEOUT sets the seconds)"
    )]
    TooSlow { url: String, secs: u64 },
    #[error("{url}: larger than the {limit_mib} MiB limit; refusing to download it")]
    TooLarge { url: String, limit_mib: u64 },
    #[error("{url}: {message}")]
    Tls { url: String, message: String },
    #[error(transparent)]
    TlsSetup(#[from] crate::tls::TlsError),
    #[error("cannot set up HTTP: {0}")]
    Client(String),
    #[error("interrupted; nothing was left half-written")]
    Interrupted,
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Yaml(#[from] YamlError),
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("no repository named {name:?}; `ketch repo list` shows the added ones")]
    NoSuchRepo { name: String },
    #[error(
        "repository {name:?} already exists with URL {url} (or other credentials or TLS settings); \
         pass --force-update to replace it, or choose another name"
    )]
    Exists { name: String, url: String },
    #[error("no cached index for repository {repo:?}; run `ketch repo update {repo}`")]
    NotCached { repo: String },
    #[error("{path}: unreadable cached index: {message}")]
    Cache { path: String, message: String },
    #[error("no repositories added; add one with `ketch repo add NAME URL`")]
    NoRepositories,
    #[error("cannot tell where ketch keeps its {what}: set {var} (or HOME)")]
    NoHome {
        what: &'static str,
        var: &'static str,
    },
}

/// Where the repository list and the index cache live.
#[derive(Debug, Clone)]
pub struct RepoSettings {
    pub config_dir: PathBuf,
    pub cache_dir: PathBuf,
}

impl RepoSettings {
    /// From `KETCH_CONFIG_HOME` / `KETCH_CACHE_HOME` and the XDG variables.
    pub fn from_env() -> Result<Self, RepoError> {
        Ok(Self {
            config_dir: crate::paths::config_home().ok_or(RepoError::NoHome {
                what: "configuration",
                var: "KETCH_CONFIG_HOME",
            })?,
            cache_dir: crate::paths::cache_home().ok_or(RepoError::NoHome {
                what: "cache",
                var: "KETCH_CACHE_HOME",
            })?,
        })
    }

    pub fn repositories(&self) -> Result<RepositoryFile, RepoError> {
        RepositoryFile::load(&self.config_dir)
    }

    pub fn cache(&self) -> IndexCache {
        IndexCache::new(&self.cache_dir)
    }
}

/// What `repo add` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    Added,
    /// The same name, URL and credentials were there already.
    Unchanged,
    Replaced,
}

/// Adds `repo` after fetching and checking its index; nothing is written when
/// the index cannot be fetched or read. Returns warnings about skipped entries.
pub async fn add(
    settings: &RepoSettings,
    repo: Repository,
    force_update: bool,
) -> Result<(AddOutcome, Vec<String>), RepoError> {
    config::check_name(&repo.name)?;
    fetch::parse_url(&repo.url)?;
    let _lock = RepositoryFile::lock(&settings.config_dir)?;
    let mut file = settings.repositories()?;
    let outcome = match file.get(&repo.name) {
        Some(existing) if *existing == repo => return Ok((AddOutcome::Unchanged, Vec::new())),
        Some(existing) if !force_update => {
            return Err(RepoError::Exists {
                name: repo.name,
                url: existing.url.clone(),
            });
        }
        Some(_) => AddOutcome::Replaced,
        None => AddOutcome::Added,
    };
    // The settings were given as flags: errors name the flags.
    let fetcher = Fetcher::with_tls(&repo.tls())?;
    let fetched = fetch::until_interrupted(fetcher.index(&repo)).await?;
    settings
        .cache()
        .store(&repo.name, &fetched.yaml, &fetched.index)?;
    file.upsert(repo);
    file.save()?;
    Ok((outcome, fetched.warnings))
}

/// The outcome of updating one repository.
#[derive(Debug)]
pub struct Updated {
    pub name: String,
    pub result: Result<Vec<String>, RepoError>,
}

/// Fetches the indexes of `names` (all repositories when empty) concurrently
/// and caches each one that could be read; the others keep their old cache.
pub async fn update(settings: &RepoSettings, names: &[String]) -> Result<Vec<Updated>, RepoError> {
    let file = settings.repositories()?;
    if file.repositories.is_empty() {
        return Err(RepoError::NoRepositories);
    }
    let mut chosen = Vec::new();
    for name in names {
        chosen.push(
            file.get(name)
                .cloned()
                .ok_or_else(|| RepoError::NoSuchRepo { name: name.clone() })?,
        );
    }
    if names.is_empty() {
        chosen = file.repositories.clone();
    }
    let cache = settings.cache();
    let jobs = chosen.into_iter().map(|repo| {
        let cache = &cache;
        async move {
            let fetched = match Fetcher::for_repository(&repo, &TlsOptions::default()) {
                Ok(fetcher) => fetcher.index(&repo).await,
                Err(e) => Err(e),
            };
            let result = match fetched {
                Ok(fetched) => cache
                    .store(&repo.name, &fetched.yaml, &fetched.index)
                    .map(|()| fetched.warnings),
                Err(e) => Err(e),
            };
            Updated {
                name: repo.name,
                result,
            }
        }
    });
    fetch::until_interrupted(async { Ok(futures::future::join_all(jobs).await) }).await
}

/// Removes repositories and their cached indexes; all names must exist.
pub fn remove(settings: &RepoSettings, names: &[String]) -> Result<(), RepoError> {
    let _lock = RepositoryFile::lock(&settings.config_dir)?;
    let mut file = settings.repositories()?;
    for name in names {
        if !file.remove(name) {
            return Err(RepoError::NoSuchRepo { name: name.clone() });
        }
    }
    file.save()?;
    let cache = settings.cache();
    names.iter().try_for_each(|name| cache.remove(name))
}
