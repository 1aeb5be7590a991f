//! Pulling from an OCI registry through [`crate::registry`].

use std::io::Write;

use super::{PullError, PullRequest, io_error};
use crate::atomic::AtomicFile;
use crate::package::sha256_hex;

pub type Options = crate::registry::RegistryOptions;
pub type OciError = crate::registry::RegistryError;

/// Writes the chart at `reference` to `temp`; returns its sha256 and the
/// digest it must have (`wanted` may name the archive or the manifest).
pub async fn pull(
    request: &PullRequest,
    reference: &str,
    wanted: Option<String>,
    temp: &mut AtomicFile,
) -> Result<(String, Option<String>), PullError> {
    let pulled =
        crate::registry::pull_chart(reference, request.version.as_deref(), &request.registry)
            .await?;
    temp.write_all(&pulled.bytes)
        .map_err(|e| io_error(temp.temp_path(), e))?;
    let sha256 = sha256_hex(&pulled.bytes);
    // The registry checked the layer digest already.
    let expected = wanted.map(|w| {
        if format!("sha256:{w}") == pulled.digest {
            sha256.clone()
        } else {
            w
        }
    });
    Ok((sha256, expected))
}
