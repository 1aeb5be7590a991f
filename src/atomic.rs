//! Files that appear whole or not at all: written to a temporary file in the
//! destination's directory and renamed over the destination only once complete
//! (and synced). A temporary file that is dropped before [`AtomicFile::commit`]
//! is removed, so an error or a refused download leaves nothing behind.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A file being written next to `target`; it replaces `target` on commit.
#[derive(Debug)]
pub struct AtomicFile {
    file: Option<File>,
    temp: PathBuf,
    target: PathBuf,
}

impl AtomicFile {
    /// Creates the temporary file (mode 0644 on Unix) in `target`'s directory.
    pub fn create(target: &Path) -> io::Result<Self> {
        Self::create_with_mode(target, 0o644)
    }

    /// Creates the temporary file with `mode` (Unix permission bits) from the
    /// start, so a secret is never readable by others, not even briefly.
    pub fn create_with_mode(target: &Path, mode: u32) -> io::Result<Self> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let temp = dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()));
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
            #[cfg(not(unix))]
            let _ = mode;
            match options.open(&temp) {
                Ok(file) => {
                    return Ok(Self {
                        file: Some(file),
                        temp,
                        target: target.to_path_buf(),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes `data` to `target` atomically in one call.
    pub fn write(target: &Path, data: &[u8]) -> io::Result<()> {
        let mut file = Self::create(target)?;
        file.write_all(data)?;
        file.commit()
    }

    /// The temporary file's path (to read back what was written before committing).
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// Syncs the data and renames the temporary file over the target.
    pub fn commit(self) -> io::Result<()> {
        let target = self.target.clone();
        self.commit_to(&target)
    }

    /// Like [`AtomicFile::commit`], to a name decided only now (in the same
    /// directory, so the rename stays atomic).
    pub fn commit_to(mut self, target: &Path) -> io::Result<()> {
        if let Some(file) = self.file.take() {
            file.sync_all()?;
        }
        fs::rename(&self.temp, target)?;
        // Renamed: nothing left for Drop to clean up.
        self.temp = PathBuf::new();
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.file {
            Some(file) => file.write(buf),
            None => Err(io::Error::other("file already committed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        self.file.take();
        if !self.temp.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_replaces_and_drop_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        AtomicFile::write(&target, b"one").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"one");

        let mut file = AtomicFile::create(&target).unwrap();
        file.write_all(b"two").unwrap();
        drop(file);
        assert_eq!(fs::read(&target).unwrap(), b"one");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "the temporary file is gone");
    }

    #[cfg(unix)]
    #[test]
    fn mode_is_set_from_the_start() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("secret.yaml");
        let mut file = AtomicFile::create_with_mode(&target, 0o600).unwrap();
        file.write_all(b"x").unwrap();
        file.commit().unwrap();
        let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
