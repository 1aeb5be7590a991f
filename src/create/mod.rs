//! `ketch create`: a new chart from a starter. The starters are embedded in the
//! binary; the ML ones are the charts ketch ships under `charts/`.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::error::{Error, Result};

static BASIC: Dir = include_dir!("$CARGO_MANIFEST_DIR/src/create/starters/basic");
static MODEL_SERVER: Dir = include_dir!("$CARGO_MANIFEST_DIR/charts/model-server");
static TRAINER: Dir = include_dir!("$CARGO_MANIFEST_DIR/charts/trainer");

/// Where a chart begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Starter {
    /// A web service: Deployment, Service, optional Ingress.
    Basic,
    /// The shipped `charts/model-server`.
    ModelServer,
    /// The shipped `charts/trainer`.
    Trainer,
}

impl Starter {
    fn files(self) -> &'static Dir<'static> {
        match self {
            Starter::Basic => &BASIC,
            Starter::ModelServer => &MODEL_SERVER,
            Starter::Trainer => &TRAINER,
        }
    }
}

/// Writes a chart named after the last component of `dest` into `dest`, which
/// must not exist yet. Files are written to a sibling folder first and moved
/// into place, so a failure leaves nothing behind.
pub fn create(dest: &Path, starter: Starter) -> Result<PathBuf> {
    let name = dest
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::Invalid(format!("{}: give the chart a name", dest.display())))?;
    if !valid_name(name) {
        return Err(Error::Invalid(format!(
            "chart name {name:?}: use lower case letters, digits and '-', starting with a letter (e.g. iris-server)"
        )));
    }
    if dest.exists() {
        return Err(Error::Invalid(format!(
            "{}: already exists; choose another name or remove it first",
            dest.display()
        )));
    }
    let parent = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let staging = parent.join(format!(".{name}.ketch-create"));
    let result = write_tree(starter.files(), &staging, name)
        .and_then(|()| std::fs::rename(&staging, dest).map_err(|e| Error::io(dest, e)));
    if result.is_err() {
        std::fs::remove_dir_all(&staging).ok();
    }
    result.map(|()| dest.to_path_buf())
}

fn write_tree(dir: &Dir<'_>, root: &Path, name: &str) -> Result<()> {
    std::fs::create_dir_all(root.join(dir.path())).map_err(|e| Error::io(root, e))?;
    for file in dir.files() {
        let path = root.join(file.path());
        let text = String::from_utf8_lossy(file.contents());
        let text = if file.path() == Path::new("Chart.yaml") {
            rename_chart(&text, name)
        } else {
            text.replace("<CHARTNAME>", name)
        };
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
    }
    for sub in dir.dirs() {
        write_tree(sub, root, name)?;
    }
    Ok(())
}

/// Sets the `name:` line of a Chart.yaml, keeping everything else as written.
fn rename_chart(text: &str, name: &str) -> String {
    text.lines()
        .map(|line| {
            if line.starts_with("name:") {
                format!("name: {name}")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn valid_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
}
