//! Helm's OCI artifact layout for a chart: an image manifest whose config is Chart.yaml as
//! JSON and whose one layer is the chart archive, annotated like `helm push` does.

use std::collections::BTreeMap;
use std::time::SystemTime;

use oci_client::manifest::{OCI_IMAGE_MEDIA_TYPE, OciDescriptor, OciImageManifest};
use sha2::{Digest, Sha256};

use crate::chart::{Maintainer, Metadata};

pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.helm.config.v1+json";
pub const CHART_LAYER_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
/// What Helm before 3.8 wrote for the chart layer; still accepted on pull, as Helm does.
pub const LEGACY_CHART_LAYER_MEDIA_TYPE: &str = "application/tar+gzip";
pub const PROVENANCE_LAYER_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.provenance.v1.prov";

const TITLE: &str = "org.opencontainers.image.title";
const VERSION: &str = "org.opencontainers.image.version";
const DESCRIPTION: &str = "org.opencontainers.image.description";
const CREATED: &str = "org.opencontainers.image.created";
const AUTHORS: &str = "org.opencontainers.image.authors";
const URL: &str = "org.opencontainers.image.url";
const SOURCE: &str = "org.opencontainers.image.source";

/// A chart ready to push: the blobs and the manifest bytes that name them.
pub struct ChartArtifact {
    pub config: Vec<u8>,
    pub config_digest: String,
    pub layer_digest: String,
    pub manifest: Vec<u8>,
    pub manifest_digest: String,
}

/// Builds the artifact for `archive` with `metadata` from its Chart.yaml.
pub fn chart_artifact(
    metadata: &Metadata,
    archive: &[u8],
    created: SystemTime,
) -> Result<ChartArtifact, serde_json::Error> {
    let config = serde_json::to_vec(metadata)?;
    let config_digest = sha256_digest(&config);
    let layer_digest = sha256_digest(archive);
    let manifest = OciImageManifest {
        schema_version: 2,
        media_type: Some(OCI_IMAGE_MEDIA_TYPE.to_string()),
        config: OciDescriptor {
            media_type: CONFIG_MEDIA_TYPE.to_string(),
            digest: config_digest.clone(),
            size: config.len() as i64,
            ..Default::default()
        },
        layers: vec![OciDescriptor {
            media_type: CHART_LAYER_MEDIA_TYPE.to_string(),
            digest: layer_digest.clone(),
            size: archive.len() as i64,
            ..Default::default()
        }],
        subject: None,
        artifact_type: None,
        annotations: Some(annotations(metadata, created)),
    };
    let manifest = serde_json::to_vec(&manifest)?;
    let manifest_digest = sha256_digest(&manifest);
    Ok(ChartArtifact {
        config,
        config_digest,
        layer_digest,
        manifest,
        manifest_digest,
    })
}

/// The manifest annotations `helm push` writes: OCI image annotations from Chart.yaml, then
/// the chart's own annotations (which may not replace title or version).
pub fn annotations(metadata: &Metadata, created: SystemTime) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut put = |key: &str, value: Option<&str>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            out.insert(key.to_string(), value.to_string());
        }
    };
    put(DESCRIPTION, metadata.description.as_deref());
    put(TITLE, Some(&metadata.name));
    put(VERSION, Some(&metadata.version));
    put(URL, metadata.home.as_deref());
    put(CREATED, Some(&crate::timestamp::rfc3339(created)));
    put(SOURCE, metadata.sources.first().map(String::as_str));
    if !metadata.maintainers.is_empty() {
        put(AUTHORS, Some(&authors(&metadata.maintainers)));
    }
    for (key, value) in &metadata.annotations {
        if key != TITLE && key != VERSION {
            out.insert(key.clone(), value.clone());
        }
    }
    out
}

/// `Ann (ann@example.com), Bob`.
fn authors(maintainers: &[Maintainer]) -> String {
    maintainers
        .iter()
        .map(|m| match &m.email {
            Some(email) if !email.is_empty() => format!("{} ({email})", m.name),
            _ => m.name.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The chart layer of a pulled manifest: Helm's media type, or the legacy one.
pub fn chart_layer(manifest: &OciImageManifest) -> Option<&OciDescriptor> {
    manifest
        .layers
        .iter()
        .find(|l| l.media_type == CHART_LAYER_MEDIA_TYPE)
        .or_else(|| {
            manifest
                .layers
                .iter()
                .find(|l| l.media_type == LEGACY_CHART_LAYER_MEDIA_TYPE)
        })
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn metadata() -> Metadata {
        crate::yaml::parse(
            "apiVersion: v2\nname: demo\nversion: 1.2.3+b.1\ndescription: A demo\nhome: https://example.com\n\
             sources: [https://git.example/demo, https://mirror]\n\
             maintainers: [{name: Ann, email: ann@example.com}, {name: Bob}]\n\
             annotations: {org.opencontainers.image.title: nope, team: ml}\n",
            "Chart.yaml",
        )
        .unwrap()
    }

    #[test]
    fn annotations_follow_helm_push() {
        let got = annotations(&metadata(), UNIX_EPOCH + Duration::from_secs(86_400));
        let want: BTreeMap<String, String> = [
            (DESCRIPTION, "A demo"),
            (TITLE, "demo"),
            (VERSION, "1.2.3+b.1"),
            (URL, "https://example.com"),
            (CREATED, "1970-01-02T00:00:00Z"),
            (SOURCE, "https://git.example/demo"),
            (AUTHORS, "Ann (ann@example.com), Bob"),
            ("team", "ml"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn artifact_names_its_blobs_by_digest() {
        let artifact = chart_artifact(&metadata(), b"archive", UNIX_EPOCH).unwrap();
        let manifest: serde_json::Value = serde_json::from_slice(&artifact.manifest).unwrap();
        assert_eq!(manifest["schemaVersion"], 2);
        assert_eq!(manifest["mediaType"], OCI_IMAGE_MEDIA_TYPE);
        assert_eq!(manifest["config"]["mediaType"], CONFIG_MEDIA_TYPE);
        assert_eq!(
            manifest["config"]["digest"],
            artifact.config_digest.as_str()
        );
        assert_eq!(manifest["layers"][0]["mediaType"], CHART_LAYER_MEDIA_TYPE);
        assert_eq!(
            manifest["layers"][0]["digest"],
            sha256_digest(b"archive").as_str()
        );
        assert_eq!(manifest["layers"][0]["size"], 7);
        assert_eq!(artifact.manifest_digest, sha256_digest(&artifact.manifest));
        let config: serde_json::Value = serde_json::from_slice(&artifact.config).unwrap();
        assert_eq!(config["name"], "demo");
        assert_eq!(config["apiVersion"], "v2");
    }
}
