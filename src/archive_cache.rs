//! Downloaded chart archives (dependencies, and charts taken by reference),
//! kept under ketch's cache directory by content (`charts/sha256/HEX.tgz`), so
//! `dep build` of a locked chart, or a second install of a chart version whose
//! digest is known, needs no download. A cached file is trusted only
//! after its content hashes to its name again.

use std::path::{Path, PathBuf};

use crate::atomic::AtomicFile;
use crate::digest::sha256_hex;

/// A cached archive whose content no longer matches its digest.
#[derive(Debug)]
pub struct Tampered {
    pub path: PathBuf,
    pub actual: String,
}

#[derive(Debug, Clone)]
pub struct ArchiveCache {
    dir: PathBuf,
}

impl ArchiveCache {
    /// The cache under `cache_home` (see [`crate::paths::cache_home`]).
    pub fn new(cache_home: &Path) -> Self {
        Self {
            dir: cache_home.join("charts").join("sha256"),
        }
    }

    pub fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(format!("{sha256}.tgz"))
    }

    /// The archive with this sha256 (lower-case hex), if cached and intact.
    pub fn get(&self, sha256: &str) -> Result<Option<Vec<u8>>, Tampered> {
        let path = self.path(sha256);
        let Ok(bytes) = std::fs::read(&path) else {
            return Ok(None);
        };
        let actual = sha256_hex(&bytes);
        if actual != sha256 {
            return Err(Tampered { path, actual });
        }
        Ok(Some(bytes))
    }

    /// Stores `bytes` under their sha256. A cache that cannot be written only
    /// costs a download later, so failures are ignored.
    pub fn put(&self, sha256: &str, bytes: &[u8]) {
        let _ = self.store(sha256, bytes);
    }

    /// Stores `bytes` under their sha256 (unless there already) and returns the file's path.
    pub fn store(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
        let path = self.path(sha256);
        if !path.is_file() {
            std::fs::create_dir_all(&self.dir)?;
            AtomicFile::write(&path, bytes)?;
        }
        Ok(path)
    }
}
