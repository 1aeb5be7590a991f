//! Pulling from an OCI registry: `src/registry/` (another change) is not in yet.

use super::{PullError, PullRequest};
use crate::atomic::AtomicFile;

/// How to reach OCI registries (nothing yet).
#[derive(Debug, Clone, Default)]
pub struct Options;

#[derive(Debug, thiserror::Error)]
pub enum OciError {
    #[error("{0}: OCI registries are not supported by this build of ketch yet; pull from an HTTP repository or a URL")]
    Unsupported(String),
}

pub async fn pull(
    _request: &PullRequest,
    reference: &str,
    _wanted: Option<String>,
    _temp: &mut AtomicFile,
) -> Result<(String, Option<String>), PullError> {
    Err(OciError::Unsupported(reference.to_string()).into())
}
