//! The chart a command was given: a directory or archive on disk, or a reference fetched into
//! the archive cache (and read from there the next time).

use std::path::{Path, PathBuf};

use super::fetch::{ChartQuery, Reference, classify};
use super::{PullError, io_error};
use crate::archive_cache::ArchiveCache;
use crate::chart::ChartSource;

/// A chart ready to load.
#[derive(Debug, Clone)]
pub struct Located {
    /// A chart directory or `.tgz` archive.
    pub path: PathBuf,
    /// Where a chart taken by reference came from; `None` for a path.
    pub source: Option<ChartSource>,
}

/// Finds `query.reference`: a path that exists wins (as with Helm), unless `--repo` names a
/// repository; anything else is fetched as a reference.
pub async fn locate(query: &ChartQuery) -> Result<Located, PullError> {
    let path = Path::new(&query.reference);
    if query.repo_url.is_none() && path.exists() {
        return Ok(Located {
            path: path.to_path_buf(),
            source: None,
        });
    }
    check_reference(query)?;
    let fetched = super::fetch(query).await?;
    let cache = ArchiveCache::new(&query.settings()?.cache_dir);
    let path = cache
        .store(&fetched.sha256, &fetched.bytes)
        .map_err(|e| io_error(&cache.path(&fetched.sha256), e))?;
    Ok(Located {
        path,
        source: Some(fetched.source),
    })
}

/// A reference that is not one, or names a repository that was never added, is most likely a
/// mistyped path: say both.
fn check_reference(query: &ChartQuery) -> Result<(), PullError> {
    let chart = query.reference.clone();
    let path_like = ["./", "../", "/", "~"].iter().any(|p| chart.starts_with(p))
        || chart.ends_with(".tgz") && !chart.contains("://");
    if path_like && query.repo_url.is_none() {
        return Err(PullError::NoSuchChart { chart });
    }
    match classify(query) {
        Err(PullError::BadReference { .. }) => Err(PullError::NoSuchChart { chart }),
        Ok(Reference::Repo { repo, .. }) => {
            if query.settings()?.repositories()?.get(repo).is_none() {
                return Err(PullError::NoSuchRepoOrPath {
                    repo: repo.to_string(),
                    chart,
                });
            }
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(e) => Err(e),
    }
}
