//! Getting a chart archive by reference and checking it: digest, safe loading, and the name
//! and version the index or tag promised.

use reqwest::Url;

use super::{PullError, oci};
use crate::archive_cache::ArchiveCache;
use crate::chart::{self, ChartSource};
use crate::digest::sha256_hex;
use crate::repo::fetch::{self, MAX_ARCHIVE_SIZE};
use crate::repo::{CachedIndex, CachedVersion, Credentials, Fetcher, RepoSettings, Repository};
use crate::version::{Constraint, same_version};

/// Which chart to fetch, and how.
#[derive(Debug, Clone, Default)]
pub struct ChartQuery {
    /// `repo/chart`, an http(s) URL of an archive, `oci://...`, or with
    /// [`ChartQuery::repo_url`] the chart's name.
    pub reference: String,
    /// A version constraint (Helm syntax); `None`: the newest stable version.
    pub version: Option<String>,
    /// Allow prereleases when `version` is `None`.
    pub devel: bool,
    /// `--repo URL`: the repository to take `reference` from, without adding it.
    pub repo_url: Option<String>,
    /// `--username`/`--password` for `repo_url`.
    pub repo_username: Option<String>,
    pub repo_password: Option<String>,
    /// `Some("")`: a digest must be known (from the index); `Some("sha256:HEX")`: must match it.
    pub verify_digest: Option<String>,
    /// ketch's config and cache homes; `None`: from the environment.
    pub settings: Option<RepoSettings>,
    /// How to reach OCI registries.
    pub registry: oci::Options,
}

impl ChartQuery {
    pub(super) fn settings(&self) -> Result<RepoSettings, PullError> {
        match &self.settings {
            Some(s) => Ok(s.clone()),
            None => Ok(RepoSettings::from_env()?),
        }
    }
}

/// A fetched, checked chart archive.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    /// sha256 of the archive (hex).
    pub sha256: String,
    pub name: String,
    pub version: String,
    /// Where it came from, for messages: the archive URL or the OCI reference.
    pub origin: String,
    /// What the release records.
    pub source: ChartSource,
    /// Read from the archive cache: nothing was downloaded.
    pub cached: bool,
}

pub(super) enum Reference<'a> {
    Repo { repo: &'a str, chart: &'a str },
    RepoUrl { url: &'a str, chart: &'a str },
    Url(&'a str),
    Oci(&'a str),
}

pub(super) fn classify(query: &ChartQuery) -> Result<Reference<'_>, PullError> {
    let reference = query.reference.as_str();
    if let Some(url) = &query.repo_url {
        return Ok(Reference::RepoUrl {
            url,
            chart: reference,
        });
    }
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

/// What a reference resolved to before anything was checked.
struct Got {
    bytes: Vec<u8>,
    origin: String,
    /// The digest the archive must have (hex), when known.
    expected: Option<String>,
    /// The chart name and version an index entry promised.
    promised: Option<(String, String)>,
    manifest_digest: Option<String>,
    cached: bool,
}

/// Fetches the chart `query` names, from the archive cache when its digest is known and cached.
pub async fn fetch(query: &ChartQuery) -> Result<Fetched, PullError> {
    let settings = query.settings()?;
    let cache = ArchiveCache::new(&settings.cache_dir);
    fetch::until_interrupted(fetch_with(query, &settings, &cache)).await
}

async fn fetch_with(
    query: &ChartQuery,
    settings: &RepoSettings,
    cache: &ArchiveCache,
) -> Result<Fetched, PullError> {
    let wanted = match query.verify_digest.as_deref() {
        None | Some("") => None,
        Some(flag) => Some(parse_digest_flag(flag)?),
    };
    let mut got = match classify(query)? {
        Reference::Repo { repo, chart } => {
            let repo = settings.repositories()?.get(repo).cloned().ok_or_else(|| {
                crate::repo::RepoError::NoSuchRepo {
                    name: repo.to_string(),
                }
            })?;
            let index = settings.cache().load(&repo.name)?;
            from_index(query, &repo, &index, chart, cache).await?
        }
        Reference::RepoUrl { url, chart } => {
            let repo = Repository {
                name: url.to_string(),
                url: url.to_string(),
                username: query.repo_username.clone(),
                password: query.repo_password.clone(),
                ..Repository::default()
            };
            // As Helm does: the index of a repository given by URL is fetched every time.
            let fetcher = Fetcher::with_tls(&query.registry.tls)?;
            let index = CachedIndex::from(&fetcher.index(&repo).await?.index);
            from_index(query, &repo, &index, chart, cache).await?
        }
        Reference::Url(text) => {
            // A URL promises no digest; one given with --verify-digest is looked up in the cache.
            let url = fetch::parse_url(text)?;
            let tls = &query.registry.tls;
            let (credentials, fetcher) = match repository_of_url(settings, &url) {
                Some(repo) => (repo.credentials(), Fetcher::for_repository(&repo, tls)?),
                None => (Credentials::None, Fetcher::with_tls(tls)?),
            };
            let (bytes, cached) =
                cached_or_download(&fetcher, &url, &credentials, wanted.as_deref(), cache).await?;
            Got {
                bytes,
                origin: url.to_string(),
                expected: None,
                promised: None,
                manifest_digest: None,
                cached,
            }
        }
        Reference::Oci(reference) => {
            let registry = oci::Options {
                archive_cache: Some(cache.clone()),
                ..query.registry.clone()
            };
            let pulled =
                crate::registry::pull_chart(reference, query.version.as_deref(), &registry).await?;
            Got {
                bytes: pulled.bytes,
                origin: reference.to_string(),
                expected: None,
                promised: None,
                // The registry checked the layer digest, and cached the layer it downloaded.
                manifest_digest: Some(pulled.digest),
                cached: pulled.cached,
            }
        }
    };
    let sha256 = sha256_hex(&got.bytes);
    if let Some(w) = wanted {
        // `--verify-digest` may name the archive or, for OCI, the manifest.
        if got.manifest_digest.as_deref() != Some(&format!("sha256:{w}")) {
            check(&got.origin, &w, &sha256)?;
        }
        got.expected.get_or_insert(sha256.clone());
    }
    match &got.expected {
        Some(expected) => check(&got.origin, expected, &sha256)?,
        None if query.verify_digest.is_some() => {
            return Err(PullError::NoDigest { url: got.origin });
        }
        None => {}
    }
    let loaded = chart::load_archive(got.bytes.as_slice(), &got.origin)?;
    let (name, version) = (loaded.metadata.name, loaded.metadata.version);
    if let Some((chart, promised_version)) = &got.promised
        && (name != *chart || !same_version(&version, promised_version))
    {
        return Err(PullError::ArchiveMismatch {
            origin: got.origin,
            expected: format!("{chart} {promised_version}"),
            found: format!("{name} {version}"),
        });
    }
    if !got.cached {
        cache.put(&sha256, &got.bytes);
    }
    Ok(Fetched {
        source: ChartSource {
            reference: query.reference.clone(),
            repository: query.repo_url.clone(),
            version: version.clone(),
            digest: format!("sha256:{sha256}"),
            manifest_digest: got.manifest_digest,
        },
        bytes: got.bytes,
        sha256,
        name,
        version,
        origin: got.origin,
        cached: got.cached,
    })
}

/// The archive of `chart` at the wanted version in `index`: from the cache when the index's
/// digest is cached, else downloaded.
async fn from_index(
    query: &ChartQuery,
    repo: &Repository,
    index: &CachedIndex,
    chart: &str,
    cache: &ArchiveCache,
) -> Result<Got, PullError> {
    let entry = best_version(query, repo, index, chart)?;
    let (url, credentials) = fetch::archive_location(repo, chart, entry)?;
    let expected = entry.digest.as_deref().map(fetch::digest_hex);
    let fetcher = Fetcher::for_repository(repo, &query.registry.tls)?;
    let (bytes, cached) =
        cached_or_download(&fetcher, &url, &credentials, expected.as_deref(), cache).await?;
    Ok(Got {
        bytes,
        origin: url.to_string(),
        expected,
        promised: Some((chart.to_string(), entry.version.clone())),
        manifest_digest: None,
        cached,
    })
}

/// The archive with sha256 `expected` from the cache (`true`), or `url` downloaded.
async fn cached_or_download(
    fetcher: &Fetcher,
    url: &Url,
    credentials: &Credentials,
    expected: Option<&str>,
    cache: &ArchiveCache,
) -> Result<(Vec<u8>, bool), PullError> {
    let cached = match expected {
        Some(sha) => cache.get(sha).map_err(|t| PullError::Digest {
            url: format!("{url} (cached as {})", t.path.display()),
            expected: sha.to_string(),
            actual: t.actual,
        })?,
        None => None,
    };
    match cached {
        Some(bytes) => Ok((bytes, true)),
        None => {
            let mut bytes = Vec::new();
            fetcher
                .download(url, credentials, MAX_ARCHIVE_SIZE, &mut bytes)
                .await?;
            Ok((bytes, false))
        }
    }
}

/// The newest version of `chart` in `index` that `--version` (or `--devel`) allows.
fn best_version<'a>(
    query: &ChartQuery,
    repo: &Repository,
    index: &'a CachedIndex,
    chart: &str,
) -> Result<&'a CachedVersion, PullError> {
    let versions = index
        .versions(chart)
        .ok_or_else(|| PullError::ChartNotFound {
            repo: repo.name.clone(),
            chart: chart.to_string(),
        })?;
    let constraint_text = match (&query.version, query.devel) {
        (Some(v), _) => v.as_str(),
        (None, true) => ">=0.0.0-0",
        (None, false) => "*",
    };
    let constraint = Constraint::parse(constraint_text).map_err(|e| PullError::BadConstraint {
        value: constraint_text.to_string(),
        reason: e.to_string(),
    })?;
    index
        .best(chart, &constraint)
        .ok_or_else(|| PullError::NoMatchingVersion {
            reference: match &query.repo_url {
                Some(url) => format!("{chart} (--repo {url})"),
                None => format!("{}/{chart}", repo.name),
            },
            constraint: constraint_text.to_string(),
            available: {
                let all: Vec<String> = versions.iter().map(|v| v.version.clone()).collect();
                crate::version::closest(constraint_text, &all, 5).join(", ")
            },
        })
}

/// For a bare URL, the added repository it lies under, if any: its credentials and TLS
/// settings apply.
fn repository_of_url(settings: &RepoSettings, url: &Url) -> Option<Repository> {
    let file = settings.repositories().ok()?;
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
