//! Where a dependency comes from, read off its `repository`: nothing (an
//! unpacked chart already in `charts/`), `file://PATH`, `oci://...`, an added
//! repository by name (`@name`, `alias:name`) or an HTTP(S) repository URL
//! (one that was added, or any other, whose index is then cached by URL).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::DepError;
use crate::chart::Dependency;
use crate::digest::sha256_hex;
use crate::repo::fetch::{self, Fetcher};
use crate::repo::{CachedIndex, RepoError, RepoSettings, Repository, RepositoryFile};
use crate::tls::TlsOptions;

/// A dependency's `repository`, classified.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// No repository: the chart is unpacked in `charts/` already, as Helm expects.
    Vendored,
    /// `file://PATH`, relative to the depending chart.
    Local(PathBuf),
    /// `oci://HOST/PATH`; the chart is `HOST/PATH/NAME`.
    Oci(String),
    /// An HTTP(S) chart repository.
    Http(Repository),
}

/// Reads `dependency.repository`, looking up names in the added repositories.
pub fn origin(
    chart_dir: &Path,
    dependency: &Dependency,
    repositories: &RepositoryFile,
) -> Result<Origin, DepError> {
    let repository = dependency.repository.as_deref().unwrap_or("").trim();
    if repository.is_empty() {
        return Ok(Origin::Vendored);
    }
    if let Some(path) = repository.strip_prefix("file://") {
        return Ok(Origin::Local(chart_dir.join(path)));
    }
    if repository.starts_with("oci://") {
        return Ok(Origin::Oci(repository.trim_end_matches('/').to_string()));
    }
    if let Some(name) = repository
        .strip_prefix('@')
        .or_else(|| repository.strip_prefix("alias:"))
    {
        return repositories
            .get(name)
            .cloned()
            .map(Origin::Http)
            .ok_or_else(|| DepError::UnknownRepository {
                dependency: dependency.name.clone(),
                repository: repository.to_string(),
                name: name.to_string(),
            });
    }
    if repository.starts_with("https://") || repository.starts_with("http://") {
        fetch::parse_url(repository)?;
        let same =
            |r: &&Repository| r.url.trim_end_matches('/') == repository.trim_end_matches('/');
        let repo = match repositories.repositories.iter().find(same) {
            Some(added) => added.clone(),
            // Not added: its index is cached under a name no added repository can have.
            None => Repository {
                name: format!("@{}", &sha256_hex(repository.as_bytes())[..16]),
                url: repository.to_string(),
                ..Default::default()
            },
        };
        return Ok(Origin::Http(repo));
    }
    Err(DepError::BadRepository {
        dependency: dependency.name.clone(),
        repository: repository.to_string(),
    })
}

/// The indexes of HTTP repositories, read from the cache, or fetched (and
/// cached) when missing or when a refresh was asked for.
pub struct RepoIndexes {
    settings: RepoSettings,
    refresh: bool,
    loaded: HashMap<String, CachedIndex>,
}

impl RepoIndexes {
    pub fn new(settings: RepoSettings, refresh: bool) -> Self {
        Self {
            settings,
            refresh,
            loaded: HashMap::new(),
        }
    }

    /// Makes the indexes of `repos` available, fetching the ones needed concurrently.
    /// Each repository's stored TLS settings apply, overridden by those in `flags`.
    pub async fn load(
        &mut self,
        repos: &[&Repository],
        flags: &TlsOptions,
    ) -> Result<(), DepError> {
        let cache = self.settings.cache();
        let mut wanted: Vec<&Repository> = Vec::new();
        for repo in repos {
            if self.loaded.contains_key(&repo.name) || wanted.iter().any(|w| w.name == repo.name) {
                continue;
            }
            if self.refresh {
                wanted.push(repo);
                continue;
            }
            match cache.load(&repo.name) {
                Ok(index) => {
                    self.loaded.insert(repo.name.clone(), index);
                }
                Err(RepoError::NotCached { .. } | RepoError::Cache { .. }) => wanted.push(repo),
                Err(e) => return Err(e.into()),
            }
        }
        if wanted.is_empty() {
            return Ok(());
        }
        let fetched =
            futures::future::join_all(wanted.iter().map(|repo| async move {
                Fetcher::for_repository(repo, flags)?.index(repo).await
            }))
            .await;
        for (repo, fetched) in wanted.into_iter().zip(fetched) {
            let fetched = fetched?;
            cache.store(&repo.name, &fetched.yaml, &fetched.index)?;
            self.loaded
                .insert(repo.name.clone(), CachedIndex::from(&fetched.index));
        }
        Ok(())
    }

    /// The index of `repo`, once [`RepoIndexes::load`] was called for it.
    pub fn get(&self, repo: &Repository) -> Option<&CachedIndex> {
        self.loaded.get(&repo.name)
    }
}
