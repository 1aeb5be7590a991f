//! Applying rendered objects to a cluster: the client-side three-way merge of
//! `--apply-method client` (strategic merge patch for built-in kinds, JSON merge
//! patch for custom resources) and the patch metadata it reads from the cluster's
//! OpenAPI.

pub mod client;
pub mod patch_schema;
pub mod strategic_merge;

// Server-side apply and what every apply method shares.
pub mod drift;
pub mod live;
pub mod ownership;
pub mod server_side;
pub mod target;

use kube::Client;
use serde_json::Value;

pub use server_side::{Applied, FIELD_MANAGER, SsaOptions};
pub use target::{ObjectKey, Target};

use crate::cluster::ClusterError;
use crate::release::ApplyMethod;

/// How objects are sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApplyOptions {
    pub method: ApplyMethod,
    pub force_conflicts: bool,
    /// Server-side dry run: validated and admitted, never persisted.
    pub dry_run: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("{object}: {message}")]
    ClientSide { object: String, message: String },
}

/// Sends one object. `original` is the previous revision's version of it
/// (the client-side merge needs it), `live` what the cluster holds, if read.
pub async fn apply_object(
    client: &Client,
    target: &Target,
    original: Option<&Value>,
    live: Option<&Value>,
    options: ApplyOptions,
) -> Result<Applied, ApplyError> {
    match options.method {
        ApplyMethod::Ssa => Ok(server_side::apply(
            client,
            target,
            live,
            SsaOptions {
                force_conflicts: options.force_conflicts,
                dry_run: options.dry_run,
            },
        )
        .await?),
        ApplyMethod::Client => {
            let _ = (original, live);
            Err(ApplyError::ClientSide {
                object: target.describe(),
                message: "--apply-method client is not available in this build yet; use the default server-side apply (--apply-method ssa)".into(),
            })
        }
    }
}
