//! Reading chart archives (`NAME-VERSION.tgz`) safely: decompressed bytes are
//! capped while they stream (a gzip bomb fails fast, memory stays bounded),
//! the archive must be exactly one gzip member whose checksum holds, and only
//! regular files and directories under one top-level directory, with
//! relative paths that stay inside it, are accepted. The top-level directory
//! is stripped; the loader then assembles the files as it does a directory's
//! (`loader::load_archive`).

use std::cell::Cell;
use std::collections::HashSet;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

use flate2::bufread::GzDecoder;
use tar::EntryType;

use super::budget::{Budget, MAX_CHART_SIZE, MAX_FILE_SIZE, MIB};
use super::error::LoadError;
use super::{ChartFile, join};
/// Room for tar headers and padding on top of the files' own bytes.
const HEADER_ALLOWANCE: u64 = 16 * MIB;

/// Reads the files of a chart archive into memory, paths relative to the
/// chart root (the archive's top-level directory stripped), in archive order.
pub fn read_archive<R: Read>(reader: R, origin: &str) -> Result<Vec<ChartFile>, LoadError> {
    read_files(reader, origin, &Budget::new())
}

pub(crate) fn read_files<R: Read>(
    reader: R,
    origin: &str,
    budget: &Budget,
) -> Result<Vec<ChartFile>, LoadError> {
    let tripped = Rc::new(Cell::new(false));
    let capped = CappedReader {
        inner: GzDecoder::new(BufReader::new(reader)),
        remaining: budget.remaining().saturating_add(HEADER_ALLOWANCE),
        tripped: Rc::clone(&tripped),
    };
    let too_large = || LoadError::ArchiveTooLarge {
        archive: origin.to_string(),
        limit_mib: MAX_CHART_SIZE / MIB,
    };
    // Errors from the gzip or tar layer: a tripped cap is the real cause.
    let broken = |e: io::Error| {
        if tripped.get() {
            too_large()
        } else {
            LoadError::CorruptArchive {
                archive: origin.to_string(),
                message: e.to_string(),
            }
        }
    };

    let mut archive = tar::Archive::new(capped);
    let mut checker = EntryPaths::new(origin);
    let mut files = Vec::new();
    for entry in archive.entries().map_err(broken)? {
        let mut entry = entry.map_err(broken)?;
        let kind = entry.header().entry_type();
        if matches!(kind, EntryType::XGlobalHeader | EntryType::XHeader) {
            continue;
        }
        let raw = entry.path_bytes();
        let Ok(name) = std::str::from_utf8(&raw) else {
            return Err(LoadError::NonUtf8Entry {
                archive: origin.to_string(),
                entry: String::from_utf8_lossy(&raw).into_owned(),
            });
        };
        let name = name.to_string();
        // Old tars mark directories as regular entries named `dir/`.
        let is_dir = kind == EntryType::Directory
            || (kind == EntryType::Regular && name.ends_with('/') && entry.size() == 0);
        let rel = checker.check(&name, is_dir)?;
        if is_dir {
            continue;
        }
        if !matches!(kind, EntryType::Regular | EntryType::Continuous) {
            return Err(LoadError::UnsupportedEntry {
                archive: origin.to_string(),
                entry: name,
                kind: describe(kind),
            });
        }
        let Some(rel) = rel else {
            return Err(LoadError::NotInTopDir {
                archive: origin.to_string(),
                entry: name,
            });
        };
        let shown = join(origin, &rel);
        let file_too_large = || LoadError::FileTooLarge {
            path: shown.clone(),
            limit_mib: MAX_FILE_SIZE / MIB,
        };
        let size = entry.size();
        if size > MAX_FILE_SIZE {
            return Err(file_too_large());
        }
        if size > budget.remaining() {
            return Err(too_large());
        }
        let mut data = Vec::with_capacity(size as usize);
        (&mut entry)
            .take(MAX_FILE_SIZE + 1)
            .read_to_end(&mut data)
            .map_err(broken)?;
        if data.len() as u64 > MAX_FILE_SIZE {
            return Err(file_too_large());
        }
        if !budget.take(data.len() as u64) {
            return Err(too_large());
        }
        files.push(ChartFile {
            path: rel,
            data: data.into(),
        });
    }
    if files.is_empty() {
        return Err(LoadError::EmptyArchive {
            archive: origin.to_string(),
        });
    }
    checker.check_conflicts()?;
    check_gzip_end(archive.into_inner()).map_err(|e| match e {
        GzipEnd::Read(e) => broken(e),
        GzipEnd::Trailing(message) => LoadError::CorruptArchive {
            archive: origin.to_string(),
            message: message.to_string(),
        },
    })?;
    Ok(files)
}

enum GzipEnd {
    Read(io::Error),
    Trailing(&'static str),
}

/// Reads the gzip member to its end, so that its checksum is checked (tar
/// stops at its end marker, before the gzip trailer), and refuses anything
/// after it: a second member or other bytes would be data no one checked.
fn check_gzip_end<R: Read>(mut rest: CappedReader<GzDecoder<BufReader<R>>>) -> Result<(), GzipEnd> {
    io::copy(&mut rest, &mut io::sink()).map_err(|e| {
        if e.kind() == io::ErrorKind::InvalidInput && !rest.tripped.get() {
            GzipEnd::Trailing("the compressed data is damaged (its gzip checksum does not match)")
        } else {
            GzipEnd::Read(e)
        }
    })?;
    let mut compressed = rest.inner.into_inner();
    let after = compressed.fill_buf().map_err(GzipEnd::Read)?;
    match after {
        [] => Ok(()),
        [0x1f, 0x8b, ..] => Err(GzipEnd::Trailing(
            "it holds more than one gzip member; a chart archive is one",
        )),
        _ => Err(GzipEnd::Trailing(
            "there are bytes after the end of the gzip data",
        )),
    }
}

/// Checks entry paths one by one: relative, no `..`, one common top-level
/// directory, no duplicates.
struct EntryPaths<'a> {
    origin: &'a str,
    top: Option<String>,
    files: HashSet<String>,
    dirs: HashSet<String>,
}

impl<'a> EntryPaths<'a> {
    fn new(origin: &'a str) -> Self {
        Self {
            origin,
            top: None,
            files: HashSet::new(),
            dirs: HashSet::new(),
        }
    }

    /// The path relative to the top-level directory, or `None` for the top
    /// directory itself.
    fn check(&mut self, name: &str, is_dir: bool) -> Result<Option<String>, LoadError> {
        let entry = || name.to_string();
        let bytes = name.as_bytes();
        let drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
        if name.starts_with(['/', '\\']) || drive {
            return Err(LoadError::AbsolutePath {
                archive: self.origin.to_string(),
                entry: entry(),
            });
        }
        // Archives made on Windows may use `\`; treat it as a separator, as Helm does.
        let parts: Vec<&str> = name.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
        if parts.contains(&"..") {
            return Err(LoadError::PathEscapes {
                archive: self.origin.to_string(),
                entry: entry(),
            });
        }
        let Some((first, rest)) = parts.split_first() else {
            return Ok(None);
        };
        // The top directory is taken as written, `.` included (`tar -C chart .`), as Helm does.
        let rest: Vec<&str> = rest.iter().copied().filter(|p| *p != ".").collect();
        if rest.is_empty() && !is_dir {
            return Err(LoadError::NotInTopDir {
                archive: self.origin.to_string(),
                entry: entry(),
            });
        }
        match &self.top {
            Some(top) if top != first => {
                return Err(LoadError::OutsideTopDir {
                    archive: self.origin.to_string(),
                    entry: entry(),
                    top: top.clone(),
                });
            }
            Some(_) => {}
            None => self.top = Some((*first).to_string()),
        }
        if rest.is_empty() {
            return Ok(None);
        }
        let rel = rest.join("/");
        if is_dir {
            self.dirs.insert(rel.clone());
        } else if !self.files.insert(rel.clone()) {
            return Err(LoadError::DuplicateEntry {
                archive: self.origin.to_string(),
                entry: entry(),
            });
        }
        Ok(Some(rel))
    }

    /// A path may not be a file and also a directory (or a file's parent).
    fn check_conflicts(&self) -> Result<(), LoadError> {
        let mut files: Vec<&String> = self.files.iter().collect();
        files.sort();
        for file in files {
            let clash = self.dirs.contains(file.as_str())
                || file
                    .match_indices('/')
                    .any(|(i, _)| self.files.contains(&file[..i]));
            if clash {
                let top = self.top.as_deref().unwrap_or_default();
                return Err(LoadError::FileDirConflict {
                    archive: self.origin.to_string(),
                    entry: format!("{top}/{file}"),
                });
            }
        }
        Ok(())
    }
}

fn describe(kind: EntryType) -> &'static str {
    match kind {
        EntryType::Symlink => "a symlink",
        EntryType::Link => "a hard link",
        EntryType::Char | EntryType::Block => "a device",
        EntryType::Fifo => "a FIFO",
        EntryType::GNUSparse => "a sparse file",
        _ => "not a regular file",
    }
}

/// Passes decompressed bytes through until a cap, then fails (and says so).
struct CappedReader<R> {
    inner: R,
    remaining: u64,
    tripped: Rc<Cell<bool>>,
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            // One probe byte tells a stream that ends exactly at the cap from one that goes on.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => {
                    self.tripped.set(true);
                    Err(io::Error::other("decompressed size limit reached"))
                }
            };
        }
        let max = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_paths_are_checked() {
        let mut c = EntryPaths::new("x.tgz");
        assert_eq!(c.check("demo/", true).unwrap(), None);
        assert_eq!(
            c.check("demo/./templates//a.yaml", false)
                .unwrap()
                .as_deref(),
            Some("templates/a.yaml")
        );
        assert!(matches!(
            c.check("demo/templates/a.yaml", false),
            Err(LoadError::DuplicateEntry { .. })
        ));
        assert!(matches!(
            c.check("demo/a/../../b", false),
            Err(LoadError::PathEscapes { .. })
        ));
        assert!(matches!(
            c.check("demo\\..\\..\\b", false),
            Err(LoadError::PathEscapes { .. })
        ));
        assert!(matches!(
            c.check("/etc/passwd", false),
            Err(LoadError::AbsolutePath { .. })
        ));
        assert!(matches!(
            c.check("C:/x", false),
            Err(LoadError::AbsolutePath { .. })
        ));

        let mut dot = EntryPaths::new("x.tgz");
        assert_eq!(dot.check("./", true).unwrap(), None);
        assert_eq!(
            dot.check("./Chart.yaml", false).unwrap().as_deref(),
            Some("Chart.yaml")
        );
        assert!(matches!(
            c.check("other/Chart.yaml", false),
            Err(LoadError::OutsideTopDir { .. })
        ));
        assert!(matches!(
            c.check("Chart.yaml", false),
            Err(LoadError::NotInTopDir { .. })
        ));
    }

    #[test]
    fn a_file_cannot_also_be_a_directory() {
        let mut c = EntryPaths::new("x.tgz");
        c.check("demo/files", false).unwrap();
        c.check("demo/files/a", false).unwrap();
        assert!(matches!(
            c.check_conflicts(),
            Err(LoadError::FileDirConflict { .. })
        ));
    }

    #[test]
    fn capped_reader_trips_only_past_the_cap() {
        let tripped = Rc::new(Cell::new(false));
        let mut exact = CappedReader {
            inner: &[0u8; 10][..],
            remaining: 10,
            tripped: Rc::clone(&tripped),
        };
        let mut out = Vec::new();
        exact.read_to_end(&mut out).unwrap();
        assert_eq!(out.len(), 10);
        assert!(!tripped.get());

        let mut over = CappedReader {
            inner: &[0u8; 11][..],
            remaining: 10,
            tripped: Rc::clone(&tripped),
        };
        assert!(over.read_to_end(&mut Vec::new()).is_err());
        assert!(tripped.get());
    }
}
