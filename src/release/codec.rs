//! A release payload on the wire: JSON, gzip-compressed, cut into chunks that
//! each fit in one Secret (the API server refuses objects over 1 MiB).

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use super::Release;

/// Bytes of payload per Secret: below the 1 MiB limit, with room for metadata.
pub const CHUNK_BYTES: usize = 768 * 1024;

/// Decompressed payloads larger than this are refused (a corrupt or hostile Secret).
const MAX_PAYLOAD: u64 = 512 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("cannot encode the release record: {0}")]
    Encode(String),
    #[error("the stored release record is corrupt: {0}")]
    Decode(String),
}

/// JSON, gzip, then cut into chunks of at most `chunk_bytes`.
pub fn encode(release: &Release, chunk_bytes: usize) -> Result<Vec<Vec<u8>>, CodecError> {
    let json = serde_json::to_vec(release).map_err(|e| CodecError::Encode(e.to_string()))?;
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(&json)
        .map_err(|e| CodecError::Encode(e.to_string()))?;
    let gz = encoder
        .finish()
        .map_err(|e| CodecError::Encode(e.to_string()))?;
    Ok(gz.chunks(chunk_bytes.max(1)).map(<[u8]>::to_vec).collect())
}

/// Joins the chunks (in order), gunzips and parses.
pub fn decode(chunks: &[&[u8]]) -> Result<Release, CodecError> {
    let gz: Vec<u8> = chunks.concat();
    let mut json = Vec::new();
    GzDecoder::new(gz.as_slice())
        .take(MAX_PAYLOAD)
        .read_to_end(&mut json)
        .map_err(|e| CodecError::Decode(format!("gzip: {e}")))?;
    serde_json::from_slice(&json).map_err(|e| CodecError::Decode(format!("JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::{ApplyMethod, StoredObject};

    fn release(payload: usize) -> Release {
        let chart: crate::chart::Metadata = serde_json::from_value(serde_json::json!({
            "apiVersion": "v2", "name": "demo", "version": "1.0.0"
        }))
        .unwrap();
        // Incompressible-ish data so the payload really spans chunks.
        let mut seed = 7u64;
        let text: String = (0..payload)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                char::from(b'a' + (seed >> 59) as u8)
            })
            .collect();
        Release {
            name: "demo".into(),
            namespace: "ns".into(),
            revision: 3,
            chart,
            config: Default::default(),
            values: Default::default(),
            crds: vec![],
            manifest: vec![StoredObject {
                source: "demo/templates/cm.yaml".into(),
                object: serde_json::from_value(serde_json::json!({
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "big"}, "data": {"blob": text}
                }))
                .unwrap(),
            }],
            hooks: vec![],
            notes: Some("hi".into()),
            apply_method: ApplyMethod::Ssa,
            source: None,
            info: None,
        }
    }

    #[test]
    fn round_trips_across_chunks() {
        let r = release(3 * CHUNK_BYTES);
        let chunks = encode(&r, CHUNK_BYTES).unwrap();
        assert!(chunks.len() >= 2, "{} chunks", chunks.len());
        assert!(chunks.iter().all(|c| c.len() <= CHUNK_BYTES));
        let parts: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        assert_eq!(decode(&parts).unwrap(), r);
    }

    #[test]
    fn a_missing_chunk_is_an_error() {
        let r = release(3 * CHUNK_BYTES);
        let chunks = encode(&r, CHUNK_BYTES).unwrap();
        let parts: Vec<&[u8]> = chunks[..1].iter().map(Vec::as_slice).collect();
        assert!(decode(&parts).is_err());
    }
}
