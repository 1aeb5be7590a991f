//! The storage directory of `ketch serve`: chart archives (`NAME-VERSION.tgz`) and the
//! `index.yaml` generated from them.
//!
//! The archives are the truth; the index is derived. Every write is a temporary file renamed
//! into place, so readers see an old or a new file, never half of one. Mutations (upload,
//! delete) go through one lock, so concurrent uploads never lose an index entry; the index is
//! then rendered from memory by one writer at a time, and one render covers every mutation
//! made before it (group commit), so a burst of uploads costs a few renders, not one each. A
//! mutation returns only once an index that includes it is written and served. On open,
//! leftovers of an interrupted write are removed and the index is rebuilt from the archives,
//! so a server killed at any point restarts consistent.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};
use std::time::SystemTime;

use axum::body::Bytes;

use super::ServeError;
use crate::atomic::AtomicFile;
use crate::chart::Metadata;
use crate::repo::index::{ChartVersion, IndexFile};
use crate::timestamp::rfc3339_nanos;

pub const INDEX_FILE: &str = "index.yaml";
/// Where archives that do not load as charts are moved on start, instead of being served.
pub const REJECTED_DIR: &str = ".rejected";

/// One published chart version.
#[derive(Debug, Clone)]
pub struct IndexEntry {
    pub metadata: Metadata,
    /// The archive's file name in the storage directory (`demo-1.2.3.tgz`).
    pub file: String,
    /// sha256 of the archive, lower-case hex (Helm writes it without a `sha256:` prefix).
    pub digest: String,
    /// RFC 3339 with nanoseconds: the archive's mtime, so a restart reads back the same.
    pub created: String,
}

impl IndexEntry {
    fn index_version(&self) -> ChartVersion {
        ChartVersion::new(
            &self.metadata,
            vec![format!("charts/{}", self.file)],
            self.digest.clone(),
            self.created.clone(),
        )
    }
}

/// What [`ChartStore::open`] found and repaired.
#[derive(Debug, Default)]
pub struct OpenReport {
    pub charts: usize,
    pub removed_temp_files: usize,
    /// Archives moved to [`REJECTED_DIR`], with the reason.
    pub rejected: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct ChartStore {
    dir: PathBuf,
    state: RwLock<State>,
    /// Held for the whole of every mutation of the archives: one writer at a time.
    writer: Mutex<()>,
    /// Held while the index is rendered and written: one index writer at a time.
    indexer: Mutex<()>,
}

#[derive(Debug, Default)]
struct State {
    /// By (name, version).
    charts: HashMap<(String, String), IndexEntry>,
    /// The rendered index, as served (cheap to clone per request).
    index: Bytes,
    /// Counts mutations of `charts`.
    generation: u64,
    /// The generation `index` was rendered from.
    indexed: u64,
}

/// A validated upload, written to a temporary file (removed if dropped unpublished).
pub struct StagedChart {
    file: AtomicFile,
    entry: IndexEntry,
}

impl StagedChart {
    pub fn metadata(&self) -> &Metadata {
        &self.entry.metadata
    }
}

impl ChartStore {
    /// Opens (creating if needed) `dir`, repairs it and writes a fresh index.
    pub fn open(dir: &Path) -> Result<(Self, OpenReport), ServeError> {
        fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let mut report = OpenReport::default();
        let mut charts: HashMap<(String, String), IndexEntry> = HashMap::new();
        let mut names: Vec<(String, PathBuf)> = Vec::new();
        for item in fs::read_dir(dir).map_err(|e| io(dir, e))? {
            let item = item.map_err(|e| io(dir, e))?;
            let name = item.file_name().to_string_lossy().into_owned();
            let path = item.path();
            if is_temp_file(&name) {
                fs::remove_file(&path).map_err(|e| io(&path, e))?;
                report.removed_temp_files += 1;
            } else if name.ends_with(".tgz") && path.is_file() {
                names.push((name, path));
            }
        }
        names.sort();
        for (name, path) in names {
            let checked = fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|bytes| {
                    let created = fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .unwrap_or_else(|_| SystemTime::now());
                    check_archive(&bytes, &name, created).map_err(|e| e.to_string())
                })
                .and_then(|entry| {
                    let key = key(&entry.metadata);
                    match charts.get(&key) {
                        Some(other) => Err(format!(
                            "{} {} is already stored as {}",
                            key.0, key.1, other.file
                        )),
                        None => Ok((key, entry)),
                    }
                });
            match checked {
                Ok((key, mut entry)) => {
                    entry.file = name;
                    charts.insert(key, entry);
                }
                Err(reason) => {
                    let rejected = dir.join(REJECTED_DIR);
                    fs::create_dir_all(&rejected).map_err(|e| io(&rejected, e))?;
                    let target = rejected.join(&name);
                    fs::rename(&path, &target).map_err(|e| io(&path, e))?;
                    report.rejected.push((name, reason));
                }
            }
        }
        report.charts = charts.len();
        let store = ChartStore {
            dir: dir.to_path_buf(),
            state: RwLock::new(State {
                charts,
                index: Bytes::new(),
                generation: 1,
                indexed: 0,
            }),
            writer: Mutex::new(()),
            indexer: Mutex::new(()),
        };
        store.publish_index(1)?;
        Ok((store, report))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The current `index.yaml`.
    pub fn index(&self) -> Bytes {
        self.read_state().index.clone()
    }

    /// The path of a published archive by file name; `None` for anything not in the index.
    pub fn archive(&self, file: &str) -> Option<PathBuf> {
        let state = self.read_state();
        state
            .charts
            .values()
            .any(|e| e.file == file)
            .then(|| self.dir.join(file))
    }

    pub fn len(&self) -> usize {
        self.read_state().charts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A temporary file in the storage directory to stream an upload into;
    /// [`ChartStore::stage`] checks it and names it.
    pub fn upload_file(&self) -> Result<AtomicFile, ServeError> {
        let target = self.dir.join("upload");
        AtomicFile::create(&target).map_err(|e| io(&target, e))
    }

    /// Checks an upload written to `file` (see [`ChartStore::upload_file`]):
    /// a chart archive whose name, if given, is the one its metadata implies.
    pub fn stage(
        &self,
        mut file: AtomicFile,
        file_name: Option<&str>,
    ) -> Result<StagedChart, ServeError> {
        let shown = file_name.unwrap_or("the uploaded archive");
        file.flush().map_err(|e| io(file.temp_path(), e))?;
        let bytes = fs::read(file.temp_path()).map_err(|e| io(file.temp_path(), e))?;
        let mut entry = check_archive(&bytes, shown, SystemTime::now())?;
        drop(bytes);
        let expected = archive_name(&entry.metadata);
        if let Some(given) = file_name {
            let base = given.rsplit(['/', '\\']).next().unwrap_or(given);
            if base != expected {
                return Err(ServeError::FileNameMismatch {
                    file: given.to_string(),
                    expected,
                });
            }
        }
        entry.file = expected;
        // `created` is the file's mtime, which is what a restart reads back.
        if let Ok(modified) = fs::metadata(file.temp_path()).and_then(|m| m.modified()) {
            entry.created = rfc3339_nanos(modified);
        }
        Ok(StagedChart { file, entry })
    }

    /// Publishes a staged chart: 409 if its version exists (unless `overwrite`), else the
    /// archive is renamed into place under the writer lock; returns once the index lists it.
    pub fn publish(&self, staged: StagedChart, overwrite: bool) -> Result<IndexEntry, ServeError> {
        let (entry, generation) = {
            let _writer = self.lock_writer();
            let key = key(&staged.entry.metadata);
            if !overwrite && self.read_state().charts.contains_key(&key) {
                return Err(ServeError::VersionExists {
                    name: key.0,
                    version: key.1,
                });
            }
            let target = self.dir.join(&staged.entry.file);
            staged.file.commit_to(&target).map_err(|e| io(&target, e))?;
            sync_dir(&self.dir);
            let entry = staged.entry;
            // Memory follows disk: should the index write fail, the next one (or start) lists it.
            let mut state = self.write_state();
            state.charts.insert(key, entry.clone());
            state.generation += 1;
            (entry, state.generation)
        };
        self.publish_index(generation)?;
        Ok(entry)
    }

    /// Deletes a published version: archive first, then the index.
    pub fn delete(&self, name: &str, version: &str) -> Result<(), ServeError> {
        let writer = self.lock_writer();
        let key = (name.to_string(), version.to_string());
        let Some(file) = self.read_state().charts.get(&key).map(|e| e.file.clone()) else {
            return Err(ServeError::NoSuchVersion {
                name: name.to_string(),
                version: version.to_string(),
            });
        };
        let path = self.dir.join(&file);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&path, e)),
        }
        let generation = {
            let mut state = self.write_state();
            state.charts.remove(&key);
            state.generation += 1;
            state.generation
        };
        drop(writer);
        self.publish_index(generation)
    }

    /// Makes sure the served and stored index reflect at least `generation`: unless a render
    /// since then already did, renders the index from memory as it is now, writes it
    /// atomically, then serves it.
    fn publish_index(&self, generation: u64) -> Result<(), ServeError> {
        let _indexer = self.indexer.lock().unwrap_or_else(|e| e.into_inner());
        let (versions, current) = {
            let state = self.read_state();
            if state.indexed >= generation {
                return Ok(());
            }
            let versions: Vec<ChartVersion> = state
                .charts
                .values()
                .map(IndexEntry::index_version)
                .collect();
            (versions, state.generation)
        };
        let path = self.dir.join(INDEX_FILE);
        let mut index = IndexFile::new();
        for version in versions {
            index.add(version);
        }
        index.sort_entries();
        index.generated = Some(rfc3339_nanos(SystemTime::now()));
        let rendered = index.to_yaml().map_err(|e| ServeError::Index {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        AtomicFile::write(&path, rendered.as_bytes()).map_err(|e| io(&path, e))?;
        let mut state = self.write_state();
        state.index = Bytes::from(rendered.into_bytes());
        state.indexed = current;
        Ok(())
    }

    fn lock_writer(&self) -> std::sync::MutexGuard<'_, ()> {
        // A panic elsewhere leaves nothing half-done in the guarded data (it is `()`).
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn read_state(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_state(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// `NAME-VERSION.tgz`.
pub fn archive_name(metadata: &Metadata) -> String {
    format!("{}-{}.tgz", metadata.name, metadata.version)
}

fn key(metadata: &Metadata) -> (String, String) {
    (metadata.name.clone(), metadata.version.clone())
}

/// Loads `bytes` as a chart with the safe archive loader; the entry's `file` is left for the
/// caller to set.
fn check_archive(bytes: &[u8], shown: &str, created: SystemTime) -> Result<IndexEntry, ServeError> {
    let chart = crate::chart::load_archive(bytes, shown).map_err(|e| ServeError::InvalidChart {
        message: e.to_string(),
    })?;
    Ok(IndexEntry {
        metadata: chart.metadata,
        file: String::new(),
        digest: crate::digest::sha256_hex(bytes),
        created: rfc3339_nanos(created),
    })
}

/// A temporary file of [`AtomicFile`] (`.NAME.PID-N.tmp`) left by an interrupted write.
fn is_temp_file(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".tmp")
}

/// Makes a rename durable; best effort (not every platform can open a directory).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

fn io(path: &Path, source: std::io::Error) -> ServeError {
    ServeError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The chart versions by name, for listings.
pub fn versions_by_name(store: &ChartStore) -> BTreeMap<String, Vec<IndexEntry>> {
    let state = store.read_state();
    let mut out: BTreeMap<String, Vec<IndexEntry>> = BTreeMap::new();
    for entry in state.charts.values() {
        out.entry(entry.metadata.name.clone())
            .or_default()
            .push(entry.clone());
    }
    out
}
