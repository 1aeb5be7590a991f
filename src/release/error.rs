//! What can go wrong reading and writing release records, ketch's and Helm's.

use super::codec::CodecError;
use crate::cluster::ClusterError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("release {name} revision {revision}: {source}")]
    Codec {
        name: String,
        revision: u64,
        #[source]
        source: CodecError,
    },
    #[error("release {name}: revision {revision} is not stored in namespace {namespace}")]
    NoRevision {
        name: String,
        namespace: String,
        revision: u64,
    },
    #[error(
        "{object} is labelled as a Helm release record (owner=helm) but is not one: {error}; remove the label or the object if it is not Helm's"
    )]
    NotHelmRecord { object: String, error: CodecError },
    #[error(
        "release {name} revision {revision}: {found} of its {expected} stored parts are present; the record is damaged"
    )]
    MissingParts {
        name: String,
        revision: u64,
        expected: usize,
        found: usize,
    },
}
