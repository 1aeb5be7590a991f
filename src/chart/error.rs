//! Why a chart could not be loaded, shared by the directory loader and the archive reader.

use std::io;

use super::ignore::IgnoreError;
use super::metadata::MetadataError;
use crate::yaml::YamlError;

/// Why a chart could not be loaded. Every message names the file or path at
/// fault and, where there is one, what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: no such file or directory; pass a chart directory or a .tgz archive")]
    NotFound { path: String },
    #[error("{path}: {error}")]
    Io { path: String, error: io::Error },
    #[error("{path}: not a chart: {hint}")]
    NotAChart { path: String, hint: String },
    #[error(
        "{chart}: Chart.yaml is missing; every chart needs one at its root (apiVersion: v2, name, version)"
    )]
    MissingChartYaml { chart: String },
    /// A YAML syntax or type error, with line, column and a snippet.
    #[error(transparent)]
    Yaml(#[from] YamlError),
    #[error("{path}: {error}")]
    Metadata { path: String, error: MetadataError },
    #[error(
        "{path}: the top level must be a mapping of values (got {found}); write `key: value` lines"
    )]
    ValuesNotMapping { path: String, found: &'static str },
    #[error("{path}: invalid JSON at line {line}, column {column}: {message}")]
    Schema {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: not valid UTF-8; save it as UTF-8 text")]
    NotUtf8 { path: String },
    #[error("{path}: file name is not valid UTF-8; rename it or list it in .ketchignore")]
    NonUtf8Name { path: String },
    #[error(transparent)]
    Ignore(#[from] IgnoreError),
    #[error(
        "{path}: symlink points outside the chart directory (to {target}); refusing to follow it. \
         Copy the file into the chart or list the link in .ketchignore"
    )]
    SymlinkOutside { path: String, target: String },
    #[error("{path}: symlink target does not exist; remove the link or list it in .ketchignore")]
    BrokenSymlink { path: String },
    #[error("{path}: symlink loops back to {target}; remove the link or list it in .ketchignore")]
    SymlinkLoop { path: String, target: String },
    #[error(
        "{path}: not a regular file (a device, socket or FIFO); remove it or list it in .ketchignore"
    )]
    IrregularFile { path: String },
    #[error(
        "{path}: larger than the {limit_mib} MiB limit for one chart file; list it in .ketchignore or make it smaller"
    )]
    FileTooLarge { path: String, limit_mib: u64 },
    #[error(
        "{chart}: more than {limit_mib} MiB of files in total; list large files in .ketchignore"
    )]
    ChartTooLarge { chart: String, limit_mib: u64 },
    #[error("{path}: subcharts nest more than {limit} levels deep")]
    TooDeep { path: String, limit: usize },
    #[error(
        "{path}: neither a chart directory nor a .tgz archive; move it out of charts/ \
         or start its name with `_` so it is skipped"
    )]
    StrayFileInCharts { path: String },
    // Archives.
    #[error(
        "{archive}: cannot read the archive (a chart archive is a gzip-compressed tar, .tgz): {message}"
    )]
    CorruptArchive { archive: String, message: String },
    #[error(
        "{archive}: more than {limit_mib} MiB after decompression (a gzip bomb?); refusing to extract"
    )]
    ArchiveTooLarge { archive: String, limit_mib: u64 },
    #[error("{archive}: entry {entry} escapes the chart directory; refusing to extract")]
    PathEscapes { archive: String, entry: String },
    #[error("{archive}: entry {entry} is an absolute path; refusing to extract")]
    AbsolutePath { archive: String, entry: String },
    #[error(
        "{archive}: entry {entry} is {kind}; chart archives may hold only regular files and \
         directories, refusing to extract"
    )]
    UnsupportedEntry {
        archive: String,
        entry: String,
        kind: &'static str,
    },
    #[error("{archive}: entry {entry} appears more than once; refusing to extract")]
    DuplicateEntry { archive: String, entry: String },
    #[error("{archive}: entry {entry} is both a file and a directory; refusing to extract")]
    FileDirConflict { archive: String, entry: String },
    #[error(
        "{archive}: entry {entry} is outside the chart's top-level directory {top}/; a chart \
         archive holds one directory, NAME/Chart.yaml, NAME/templates/..."
    )]
    OutsideTopDir {
        archive: String,
        entry: String,
        top: String,
    },
    #[error(
        "{archive}: entry {entry} is not inside a top-level directory; a chart archive holds \
         NAME/Chart.yaml, NAME/templates/..."
    )]
    NotInTopDir { archive: String, entry: String },
    #[error("{archive}: entry name {entry:?} is not valid UTF-8; refusing to extract")]
    NonUtf8Entry { archive: String, entry: String },
    #[error("{archive}: the archive holds no files")]
    EmptyArchive { archive: String },
}

pub(crate) fn io_error(path: &str, error: io::Error) -> LoadError {
    if error.kind() == io::ErrorKind::NotFound {
        LoadError::NotFound {
            path: path.to_string(),
        }
    } else {
        LoadError::Io {
            path: path.to_string(),
            error,
        }
    }
}
