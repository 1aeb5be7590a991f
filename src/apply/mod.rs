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
pub mod managed_fields;
pub mod ownership;
pub mod server_side;
pub mod target;

use std::fmt;

use kube::Client;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use server_side::{Applied, FIELD_MANAGER, SsaOptions};
pub use target::{ObjectKey, Target};

use crate::cluster::ClusterError;
use client::{ClientApplier, ClientApplyError, ClientApplyOptions, Outcome};

/// How the objects of a revision were applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ApplyMethod {
    /// Server-side apply, field manager `ketch`.
    #[default]
    Ssa,
    /// Client-side three-way merge (strategic merge patch / JSON merge patch).
    Client,
}

impl fmt::Display for ApplyMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ApplyMethod::Ssa => "ssa",
            ApplyMethod::Client => "client",
        })
    }
}

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
    #[error("{0}")]
    ClientSide(String),
}

impl From<ClientApplyError> for ApplyError {
    fn from(e: ClientApplyError) -> Self {
        match e {
            ClientApplyError::Api { object, source, .. } => {
                ApplyError::Cluster(ClusterError::from_kube(source, object))
            }
            other => ApplyError::ClientSide(other.to_string()),
        }
    }
}

/// Sends objects by one method; the client-side method reads each
/// group-version's patch metadata once per applier.
pub struct Applier {
    client: Client,
    options: ApplyOptions,
    client_side: Option<ClientApplier>,
}

impl Applier {
    pub fn new(client: &Client, options: ApplyOptions) -> Self {
        let client_side = (options.method == ApplyMethod::Client).then(|| {
            ClientApplier::with_options(
                client.clone(),
                ClientApplyOptions {
                    field_manager: FIELD_MANAGER.to_string(),
                    dry_run: options.dry_run,
                },
            )
        });
        Applier {
            client: client.clone(),
            options,
            client_side,
        }
    }

    /// Sends one object. `original` is the previous revision's version of it
    /// (the client-side three-way merge needs it), `live` what the cluster
    /// holds, if already read. `Ok(None)`: the client-side merge found nothing to send.
    pub async fn apply(
        &self,
        target: &Target,
        original: Option<&Value>,
        live: Option<&Value>,
    ) -> Result<Option<Applied>, ApplyError> {
        match &self.client_side {
            None => Ok(Some(
                server_side::apply(
                    &self.client,
                    target,
                    live,
                    SsaOptions {
                        force_conflicts: self.options.force_conflicts,
                        dry_run: self.options.dry_run,
                    },
                )
                .await?,
            )),
            Some(applier) => {
                let namespace = target.namespace().filter(|_| target.resource.namespaced);
                let modified = Value::Object(target.data().clone());
                let done = applier
                    .apply(&target.resource.api, namespace, original, &modified)
                    .await?;
                Ok((done.outcome != Outcome::Unchanged).then_some(Applied {
                    object: done.object,
                    took_back: Vec::new(),
                }))
            }
        }
    }
}
