//! Where a chart taken by reference came from, as a release records it.

use serde::{Deserialize, Serialize};

/// A chart fetched from a repository, registry or URL: the reference as given, the version it
/// resolved to and the archive's digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChartSource {
    /// `REPO/CHART`, `oci://HOST/PATH/CHART[:TAG|@DIGEST]`, an archive URL, or the chart's name
    /// in [`ChartSource::repository`].
    pub reference: String,
    /// `--repo URL`: the repository the chart was taken from without being added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The version the reference and `--version` resolved to.
    pub version: String,
    /// `sha256:HEX` of the chart archive.
    pub digest: String,
    /// The OCI manifest's digest, for charts from a registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
}

impl ChartSource {
    /// How `history` and `status` show it: `REFERENCE@VERSION (sha256:...)`, with `--repo`'s URL.
    pub fn describe(&self) -> String {
        let reference = match &self.repository {
            Some(url) => format!("{} --repo {url}", self.reference),
            None => self.reference.clone(),
        };
        format!("{reference} {} ({})", self.version, self.digest)
    }
}
