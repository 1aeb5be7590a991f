//! Chart dependencies: `dep update` resolves each of Chart.yaml's
//! `dependencies` to the highest version its constraint allows (from an HTTP
//! repository's index, an OCI registry's tags, or a local chart), fetches the
//! archives concurrently, checks each against its digest and its Chart.yaml,
//! vendors them into `charts/` and pins them in `Chart.lock` ([`lock`]);
//! `dep build` installs exactly what the lock pins; `dep list` says where
//! each dependency stands ([`status`]).
//!
//! Nothing in `charts/` changes until every archive is fetched and checked,
//! so a failure leaves the chart as it was. Indexes come from the cache unless
//! a refresh is asked for; archives are cached by digest ([`archives`]), so a
//! locked chart builds again with no network.

pub mod lock;
mod source;
pub mod status;
mod vendor;

use std::path::{Path, PathBuf};

use reqwest::Url;

use crate::archive_cache::ArchiveCache;
use crate::chart::{self, Dependency, LoadError, Metadata};
use crate::digest::sha256_hex;
use crate::package::write_archive;
use crate::registry::{RegistryError, RegistryOptions};
use crate::repo::fetch::{self, Fetcher, MAX_ARCHIVE_SIZE};
use crate::repo::{Credentials, RepoError, RepoSettings, Repository};
use crate::version::{Constraint, Version, highest_match, parse_version, same_version};
use lock::{ChartLock, LOCK_FILE, LockedDependency, requirements_digest};
use source::{Origin, RepoIndexes};

pub use status::{DependencyStatus, Status, list};

/// Local charts reached through `file://` deeper than this are taken for a cycle.
const MAX_LOCAL_DEPTH: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum DepError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(
        "dependency {dependency:?}: no repository named {name:?} (repository: {repository}); \
         add it with `ketch repo add {name} URL`"
    )]
    UnknownRepository {
        dependency: String,
        repository: String,
        name: String,
    },
    #[error(
        "dependency {dependency:?}: repository {repository:?} is not one ketch can use: \
         give https://..., oci://..., file://PATH or @NAME of an added repository"
    )]
    BadRepository {
        dependency: String,
        repository: String,
    },
    #[error("dependency {dependency:?}: version {constraint:?}: {reason}")]
    BadConstraint {
        dependency: String,
        constraint: String,
        reason: String,
    },
    #[error(
        "dependency {dependency:?}: {repository} has no chart {dependency:?}; \
         check the name, or refresh the index with `ketch dep update --refresh`"
    )]
    ChartNotFound {
        dependency: String,
        repository: String,
    },
    #[error(
        "dependency {dependency:?}: no version in {repository} satisfies {constraint:?}; \
         versions there: {}", shown_versions(.available)
    )]
    NoMatchingVersion {
        dependency: String,
        repository: String,
        constraint: String,
        available: Vec<String>,
    },
    #[error("dependency cycle through file:// charts: {}", .chain.join(" -> "))]
    Cycle { chain: Vec<String> },
    #[error(
        "dependency {dependency:?}: {origin} holds chart {found}, but {expected} was asked for; \
         the archive was refused"
    )]
    ArchiveMismatch {
        dependency: String,
        origin: String,
        /// `NAME VERSION`.
        expected: String,
        found: String,
    },
    #[error(
        "dependency {dependency:?}: {origin}: digest mismatch: expected sha256:{expected} ({pinned_by}), \
         got sha256:{actual}; the archive was refused"
    )]
    Digest {
        dependency: String,
        origin: String,
        expected: String,
        actual: String,
        pinned_by: &'static str,
    },
    #[error(
        "dependency {dependency:?}: the cached archive {path} does not match its digest \
         (Chart.lock pins sha256:{expected}, the file hashes to sha256:{actual}): it was altered; \
         delete it and run `ketch dep build` with network access"
    )]
    Tampered {
        dependency: String,
        path: String,
        expected: String,
        actual: String,
    },
    #[error(
        "dependency {dependency:?}: {path} changed since {LOCK_FILE} was written (its archive no longer \
         has the locked digest); run `ketch dep update` to lock the new content"
    )]
    LocalChanged { dependency: String, path: String },
    #[error(
        "dependency {dependency:?} {version}: its archive left the cache while ketch ran; run the command again"
    )]
    LeftCache { dependency: String, version: String },
    #[error(
        "{chart}: no {LOCK_FILE}; run `ketch dep update {chart}` to resolve the dependencies and write one"
    )]
    NoLock { chart: String },
    #[error(
        "{chart}: {LOCK_FILE} is out of date: Chart.yaml's dependencies changed since it was written; \
         run `ketch dep update {chart}`"
    )]
    LockOutOfDate { chart: String },
    #[error(
        "{path}: the chart directory holds {name:?} unpacked, and `dep update` would add {name:?} as an \
         archive beside it (both would render); delete the directory, or leave the dependency's \
         `repository` empty to keep it vendored"
    )]
    VendoredConflict { path: String, name: String },
    #[error(
        "dependency {dependency:?} has no repository, so it must be unpacked in {path}; \
         give it a repository or put the chart there"
    )]
    VendoredMissing { dependency: String, path: String },
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Yaml(#[from] crate::yaml::YamlError),
}

fn shown_versions(available: &[String]) -> String {
    match available.len() {
        0 => "none".into(),
        n if n <= 20 => available.join(", "),
        n => format!("{}, ... ({} more)", available[..20].join(", "), n - 20),
    }
}

fn io_error(path: &Path, error: std::io::Error) -> DepError {
    DepError::Io {
        path: path.display().to_string(),
        error,
    }
}

/// How to reach repositories and registries.
#[derive(Debug, Clone)]
pub struct DepOptions {
    pub settings: RepoSettings,
    pub registry: RegistryOptions,
    /// Fetch repository indexes again even when cached.
    pub refresh: bool,
}

/// What `update` or `build` did for one dependency.
#[derive(Debug, Clone)]
pub struct Installed {
    pub name: String,
    pub version: String,
    pub repository: String,
    /// Where its archive came from.
    pub from: Provenance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provenance {
    /// Unpacked in `charts/` already.
    Vendored,
    /// A `file://` chart, packaged.
    Packaged,
    /// The archive cache.
    Cache,
    Downloaded,
}

/// The outcome of `update` or `build`.
#[derive(Debug, Clone)]
pub struct Report {
    pub installed: Vec<Installed>,
    /// Whether `Chart.lock` was (re)written.
    pub lock_written: bool,
}

/// A dependency pinned to one version.
struct Pinned {
    dependency: Dependency,
    origin: Origin,
    version: String,
    /// sha256 (hex) the archive must have, and what says so.
    expected: Option<(String, &'static str)>,
    /// Where an HTTP dependency's archive is, when it has to be downloaded.
    url: Option<(Url, Credentials)>,
}

/// An archive in hand.
struct Fetched {
    bytes: Option<Vec<u8>>,
    sha256: Option<String>,
    from: Provenance,
}

/// Resolves, fetches and vendors the dependencies of the chart in `chart_dir`
/// and writes its `Chart.lock`.
pub async fn update(chart_dir: &Path, options: &DepOptions) -> Result<Report, DepError> {
    let metadata = read_metadata(chart_dir)?;
    // No dependencies, no lock, as in Helm.
    if metadata.dependencies.is_empty() {
        return Ok(Report {
            installed: Vec::new(),
            lock_written: false,
        });
    }
    let origins = origins(chart_dir, &metadata.dependencies, options)?;
    check_local_cycles(chart_dir, &metadata, &origins)?;
    let mut indexes = RepoIndexes::new(options.settings.clone(), options.refresh);
    indexes
        .load(&http_repos(&origins), &options.registry.tls)
        .await?;
    let tags = oci_versions(&metadata.dependencies, &origins, options).await?;

    let mut pinned = Vec::new();
    for ((dependency, origin), tags) in metadata.dependencies.iter().zip(origins).zip(tags) {
        let constraint = constraint(dependency)?;
        let no_match = |repository: String, available: Vec<String>| DepError::NoMatchingVersion {
            dependency: dependency.name.clone(),
            repository,
            constraint: dependency.version.clone().unwrap_or_default(),
            available,
        };
        let (version, expected, url) = match &origin {
            Origin::Vendored => {
                vendored_chart(chart_dir, dependency)?;
                (dependency.version.clone().unwrap_or_default(), None, None)
            }
            Origin::Local(dir) => {
                let local = read_metadata(dir)?;
                let matches = parse_version(&local.version).is_ok_and(|v| constraint.matches(&v));
                if !matches {
                    return Err(no_match(dir.display().to_string(), vec![local.version]));
                }
                (local.version, None, None)
            }
            Origin::Oci(base) => {
                let versions: Vec<(Version, &String)> = tags
                    .iter()
                    .filter_map(|t| Some((parse_version(t).ok()?, t)))
                    .collect();
                // The tag as the registry has it (`v1.2`, not 1.2.0), to pull it by.
                let best = highest_match(&constraint, versions.iter().map(|(v, _)| v))
                    .and_then(|best| versions.iter().find(|(v, _)| v == best));
                match best {
                    Some((_, tag)) => (tag.to_string(), None, None),
                    None => return Err(no_match(base.clone(), tags)),
                }
            }
            Origin::Http(repo) => {
                let not_found = || DepError::ChartNotFound {
                    dependency: dependency.name.clone(),
                    repository: repo.url.clone(),
                };
                let index = indexes.get(repo).ok_or_else(not_found)?;
                let versions = index.versions(&dependency.name).ok_or_else(not_found)?;
                let Some(entry) = index.best(&dependency.name, &constraint) else {
                    let available = versions.iter().map(|v| v.version.clone()).collect();
                    return Err(no_match(repo.url.clone(), available));
                };
                let expected = entry
                    .digest
                    .as_deref()
                    .map(|d| (fetch::digest_hex(d), "the repository index"));
                let url = fetch::archive_location(repo, &dependency.name, entry)?;
                (entry.version.clone(), expected, Some(url))
            }
        };
        pinned.push(Pinned {
            dependency: dependency.clone(),
            origin,
            version,
            expected,
            url,
        });
    }

    let fetched = fetch_all(&pinned, options).await?;
    let locked: Vec<LockedDependency> = pinned
        .iter()
        .zip(&fetched)
        .map(|(p, f)| LockedDependency {
            name: p.dependency.name.clone(),
            repository: p.dependency.repository.clone().unwrap_or_default(),
            version: p.version.clone(),
            digest: f.sha256.as_ref().map(|s| format!("sha256:{s}")),
        })
        .collect();
    let installed = vendor::install(chart_dir, &pinned, &fetched)?;
    let lock_written = write_lock(chart_dir, &metadata.dependencies, locked)?;
    Ok(Report {
        installed,
        lock_written,
    })
}

/// Installs into `charts/` exactly the versions and archives `Chart.lock` pins.
pub async fn build(chart_dir: &Path, options: &DepOptions) -> Result<Report, DepError> {
    let metadata = read_metadata(chart_dir)?;
    let shown = chart_dir.display().to_string();
    let lock = read_lock(chart_dir)?.ok_or_else(|| DepError::NoLock {
        chart: shown.clone(),
    })?;
    if !lock.matches(&metadata.dependencies)
        || lock.dependencies.len() != metadata.dependencies.len()
    {
        return Err(DepError::LockOutOfDate { chart: shown });
    }
    let origins = origins(chart_dir, &metadata.dependencies, options)?;
    let cache = ArchiveCache::new(&options.settings.cache_dir);

    // Indexes are read only for HTTP archives the cache does not hold.
    let mut needs_index = Vec::new();
    for (locked, origin) in lock.dependencies.iter().zip(&origins) {
        if let Origin::Http(repo) = origin
            && !locked
                .archive_sha256()
                .is_some_and(|sha| cache.path(&sha).exists())
        {
            needs_index.push(repo.clone());
        }
    }
    let mut indexes = RepoIndexes::new(options.settings.clone(), options.refresh);
    indexes
        .load(
            &needs_index.iter().collect::<Vec<_>>(),
            &options.registry.tls,
        )
        .await?;

    let mut pinned = Vec::new();
    for ((dependency, origin), locked) in metadata
        .dependencies
        .iter()
        .zip(origins)
        .zip(&lock.dependencies)
    {
        let mut expected = locked.archive_sha256().map(|s| (s, "Chart.lock"));
        let mut url = None;
        if let Origin::Http(repo) = &origin
            && needs_index.iter().any(|r| r.name == repo.name)
        {
            let versions = indexes
                .get(repo)
                .and_then(|index| index.versions(&dependency.name))
                .unwrap_or_default();
            let entry = versions
                .iter()
                .find(|v| v.version == locked.version)
                .ok_or_else(|| DepError::NoMatchingVersion {
                    dependency: dependency.name.clone(),
                    repository: repo.url.clone(),
                    constraint: format!("={} (locked)", locked.version),
                    available: versions.iter().map(|v| v.version.clone()).collect(),
                })?;
            if expected.is_none() {
                expected = entry
                    .digest
                    .as_deref()
                    .map(|d| (fetch::digest_hex(d), "the repository index"));
            }
            url = Some(fetch::archive_location(repo, &dependency.name, entry)?);
        }
        if origin == Origin::Vendored {
            vendored_chart(chart_dir, dependency)?;
        }
        pinned.push(Pinned {
            dependency: dependency.clone(),
            origin,
            version: locked.version.clone(),
            expected,
            url,
        });
    }
    let fetched = fetch_all(&pinned, options).await?;
    let installed = vendor::install(chart_dir, &pinned, &fetched)?;
    Ok(Report {
        installed,
        lock_written: false,
    })
}

fn read_metadata(chart_dir: &Path) -> Result<Metadata, DepError> {
    let path = chart_dir.join("Chart.yaml");
    let data = std::fs::read(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => DepError::Load(LoadError::NotFound {
            path: path.display().to_string(),
        }),
        _ => io_error(&path, e),
    })?;
    Ok(chart::parse_metadata(&data, &path.display().to_string())?)
}

/// The chart's `Chart.lock`, if it has one.
pub fn read_lock(chart_dir: &Path) -> Result<Option<ChartLock>, DepError> {
    let path = chart_dir.join(LOCK_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(crate::yaml::parse(
            &text,
            &path.display().to_string(),
        )?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(&path, e)),
    }
}

/// Writes `Chart.lock` unless the one there pins the same; true when written.
fn write_lock(
    chart_dir: &Path,
    required: &[Dependency],
    dependencies: Vec<LockedDependency>,
) -> Result<bool, DepError> {
    let digest = requirements_digest(required, &dependencies);
    if let Some(old) = read_lock(chart_dir).ok().flatten()
        && old.digest == digest
        && old.dependencies == dependencies
    {
        return Ok(false);
    }
    let lock = ChartLock {
        dependencies,
        digest,
        generated: crate::timestamp::rfc3339_nanos(crate::timestamp::build_time()),
    };
    let path = chart_dir.join(LOCK_FILE);
    let text = crate::yaml::to_string(&lock)?;
    crate::atomic::AtomicFile::write(&path, text.as_bytes()).map_err(|e| io_error(&path, e))?;
    Ok(true)
}

fn origins(
    chart_dir: &Path,
    dependencies: &[Dependency],
    options: &DepOptions,
) -> Result<Vec<Origin>, DepError> {
    let needs_repositories = dependencies.iter().any(|d| {
        d.repository.as_deref().is_some_and(|r| {
            ["@", "alias:", "http://", "https://"]
                .iter()
                .any(|p| r.starts_with(p))
        })
    });
    let repositories = if needs_repositories {
        options.settings.repositories()?
    } else {
        crate::repo::RepositoryFile {
            path: PathBuf::new(),
            repositories: Vec::new(),
        }
    };
    dependencies
        .iter()
        .map(|d| source::origin(chart_dir, d, &repositories))
        .collect()
}

fn http_repos(origins: &[Origin]) -> Vec<&Repository> {
    origins
        .iter()
        .filter_map(|o| match o {
            Origin::Http(repo) => Some(repo),
            _ => None,
        })
        .collect()
}

fn constraint(dependency: &Dependency) -> Result<Constraint, DepError> {
    let text = dependency.version.as_deref().unwrap_or("");
    Constraint::parse(text).map_err(|e| DepError::BadConstraint {
        dependency: dependency.name.clone(),
        constraint: text.to_string(),
        reason: e.to_string(),
    })
}

/// The versions in the registry of each OCI dependency (empty for the others), fetched concurrently.
async fn oci_versions(
    dependencies: &[Dependency],
    origins: &[Origin],
    options: &DepOptions,
) -> Result<Vec<Vec<String>>, DepError> {
    let jobs = dependencies.iter().zip(origins).map(|(d, o)| async move {
        match o {
            Origin::Oci(base) => {
                crate::registry::tags(&format!("{base}/{}", d.name), &options.registry).await
            }
            _ => Ok(Vec::new()),
        }
    });
    let all = futures::future::join_all(jobs).await;
    all.into_iter().map(|r| r.map_err(DepError::from)).collect()
}

/// The metadata of the unpacked chart `charts/NAME` a repository-less dependency needs.
fn vendored_chart(chart_dir: &Path, dependency: &Dependency) -> Result<Metadata, DepError> {
    let dir = chart_dir.join("charts").join(&dependency.name);
    if !dir.join("Chart.yaml").is_file() {
        return Err(DepError::VendoredMissing {
            dependency: dependency.name.clone(),
            path: dir.display().to_string(),
        });
    }
    read_metadata(&dir)
}

/// Refuses `file://` chains that come back to a chart already on the way.
fn check_local_cycles(
    chart_dir: &Path,
    metadata: &Metadata,
    origins: &[Origin],
) -> Result<(), DepError> {
    fn visit(
        dir: &Path,
        name: &str,
        locals: Vec<PathBuf>,
        stack: &mut Vec<(PathBuf, String)>,
    ) -> Result<(), DepError> {
        let real = std::fs::canonicalize(dir).map_err(|e| io_error(dir, e))?;
        if let Some(at) = stack.iter().position(|(p, _)| *p == real) {
            let mut chain: Vec<String> = stack[at..].iter().map(|(_, n)| n.clone()).collect();
            chain.push(name.to_string());
            return Err(DepError::Cycle { chain });
        }
        if stack.len() >= MAX_LOCAL_DEPTH {
            let mut chain: Vec<String> = stack.iter().map(|(_, n)| n.clone()).collect();
            chain.push("...".into());
            return Err(DepError::Cycle { chain });
        }
        stack.push((real, name.to_string()));
        for local in locals {
            let meta = read_metadata(&local)?;
            let nested = local_dirs(&local, &meta);
            visit(&local, &meta.name, nested, stack)?;
        }
        stack.pop();
        Ok(())
    }
    fn local_dirs(dir: &Path, meta: &Metadata) -> Vec<PathBuf> {
        meta.dependencies
            .iter()
            .filter_map(|d| d.repository.as_deref()?.strip_prefix("file://"))
            .map(|p| dir.join(p))
            .collect()
    }
    let locals = origins
        .iter()
        .filter_map(|o| match o {
            Origin::Local(dir) => Some(dir.clone()),
            _ => None,
        })
        .collect();
    visit(chart_dir, &metadata.name, locals, &mut Vec::new())
}

/// Fetches every pinned archive concurrently: from the cache when its digest
/// is known and cached, else by download or pull; each is checked against its
/// digest and must hold the chart and version it was pinned as.
async fn fetch_all(pinned: &[Pinned], options: &DepOptions) -> Result<Vec<Fetched>, DepError> {
    let cache = ArchiveCache::new(&options.settings.cache_dir);
    let registry = RegistryOptions {
        archive_cache: Some(cache.clone()),
        ..options.registry.clone()
    };
    let jobs = pinned.iter().map(|p| fetch_one(p, &cache, &registry));
    let fetched = fetch::until_interrupted(async {
        Ok::<_, DepError>(futures::future::join_all(jobs).await)
    })
    .await?;
    fetched.into_iter().collect()
}

async fn fetch_one(
    pinned: &Pinned,
    cache: &ArchiveCache,
    registry: &RegistryOptions,
) -> Result<Fetched, DepError> {
    let name = &pinned.dependency.name;
    let (bytes, origin, from) = match &pinned.origin {
        Origin::Vendored => {
            return Ok(Fetched {
                bytes: None,
                sha256: None,
                from: Provenance::Vendored,
            });
        }
        Origin::Local(dir) => {
            let files = chart::read_dir(dir)?;
            let bytes = write_archive(name, &files, 0).map_err(|e| io_error(dir, e))?;
            (
                bytes,
                format!("file://{}", dir.display()),
                Provenance::Packaged,
            )
        }
        remote => {
            let cached = match &pinned.expected {
                Some((sha, _)) => cache.get(sha).map_err(|t| DepError::Tampered {
                    dependency: name.clone(),
                    path: t.path.display().to_string(),
                    expected: sha.clone(),
                    actual: t.actual,
                })?,
                None => None,
            };
            match (cached, remote, &pinned.url) {
                (Some(bytes), _, _) => (bytes, "the archive cache".into(), Provenance::Cache),
                (None, Origin::Oci(base), _) => {
                    let reference = format!("{base}/{name}");
                    let pulled =
                        crate::registry::pull_chart(&reference, Some(&pinned.version), registry)
                            .await?;
                    (pulled.bytes, reference, Provenance::Downloaded)
                }
                (None, _, Some((url, credentials))) => {
                    // The repository's stored TLS settings, under the command's flags.
                    let fetcher = match remote {
                        Origin::Http(repo) => Fetcher::for_repository(repo, &registry.tls)?,
                        _ => Fetcher::with_tls(&registry.tls)?,
                    };
                    let mut bytes = Vec::new();
                    fetcher
                        .download(url, credentials, MAX_ARCHIVE_SIZE, &mut bytes)
                        .await?;
                    (bytes, url.to_string(), Provenance::Downloaded)
                }
                (None, _, None) => {
                    return Err(DepError::LeftCache {
                        dependency: name.clone(),
                        version: pinned.version.clone(),
                    });
                }
            }
        }
    };
    let sha256 = sha256_hex(&bytes);
    if let Some((expected, pinned_by)) = &pinned.expected
        && *expected != sha256
    {
        return Err(match &pinned.origin {
            Origin::Local(dir) => DepError::LocalChanged {
                dependency: name.clone(),
                path: dir.display().to_string(),
            },
            _ => DepError::Digest {
                dependency: name.clone(),
                origin,
                expected: expected.clone(),
                actual: sha256,
                pinned_by,
            },
        });
    }
    let chart = chart::load_archive(bytes.as_slice(), &origin)?;
    if chart.metadata.name != *name || !same_version(&chart.metadata.version, &pinned.version) {
        return Err(DepError::ArchiveMismatch {
            dependency: name.clone(),
            origin,
            expected: format!("{name} {}", pinned.version),
            found: format!("{} {}", chart.metadata.name, chart.metadata.version),
        });
    }
    if from == Provenance::Downloaded {
        cache.put(&sha256, &bytes);
    }
    Ok(Fetched {
        bytes: Some(bytes),
        sha256: Some(sha256),
        from,
    })
}
