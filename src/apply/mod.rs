//! Applying rendered objects to a cluster: the client-side three-way merge of
//! `--apply-method client` (strategic merge patch for built-in kinds, JSON merge
//! patch for custom resources) and the patch metadata it reads from the cluster's
//! OpenAPI.

pub mod client;
pub mod patch_schema;
pub mod strategic_merge;
