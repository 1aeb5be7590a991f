//! sha256 digests as Helm writes them (lower-case hex: index.yaml, Chart.lock, OCI layers),
//! shared by packaging, repositories, dependencies, pulls and the server.

use sha2::{Digest, Sha256};

/// Lower-case hex sha256, the digest format of Helm's index and Chart.lock.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of `bytes` (a finished hash).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
