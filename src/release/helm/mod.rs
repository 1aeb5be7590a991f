//! Helm's releases: its record format and its records in the cluster, read
//! beside ketch's own so that `list`, `history`, `status` and `get` show a
//! release Helm installed, and `adopt` can take it over.

pub mod record;
pub mod store;

pub use store::{Driver, HelmRecord, HelmStore};
