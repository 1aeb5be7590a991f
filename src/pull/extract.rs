//! Extracting a pulled chart: files that already passed the archive checks
//! (relative paths inside one top directory, regular files only) are written
//! to a temporary directory beside the target, which is renamed into place,
//! so an interrupted extraction leaves no half chart.

use std::fs;
use std::path::{Path, PathBuf};

use super::{PullError, io_error};
use crate::chart::ChartFile;

/// Writes `files` to `parent/name`, which must not exist.
pub fn extract(files: &[ChartFile], parent: &Path, name: &str) -> Result<PathBuf, PullError> {
    let target = parent.join(name);
    if target.symlink_metadata().is_ok() {
        return Err(PullError::Exists {
            path: target.display().to_string(),
        });
    }
    let temp = parent.join(format!(".{name}.{}.untar.tmp", std::process::id()));
    let result = write_all(files, &temp)
        .and_then(|()| fs::rename(&temp, &target).map_err(|e| io_error(&target, e)));
    if result.is_err() {
        let _ = fs::remove_dir_all(&temp);
    }
    result.map(|()| target)
}

fn write_all(files: &[ChartFile], root: &Path) -> Result<(), PullError> {
    fs::create_dir(root).map_err(|e| io_error(root, e))?;
    for file in files {
        // Paths were checked by the archive reader: relative, no `..`, `/`-separated.
        let path = file
            .path
            .split('/')
            .fold(root.to_path_buf(), |p, part| p.join(part));
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        }
        fs::write(&path, &file.data).map_err(|e| io_error(&path, e))?;
    }
    Ok(())
}
