//! `dep list`: each dependency of a chart, its constraint, the version
//! `Chart.lock` pins, and whether `charts/` holds exactly that.

use std::path::Path;

use serde::Serialize;

use super::vendor::{ChartCopy, copies_in};
use super::{DepError, read_lock, read_metadata};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// `charts/` holds the locked version with the locked digest.
    Ok,
    /// The locked version is not in `charts/`.
    Missing,
    /// No lock, or Chart.yaml changed since it was written.
    OutOfDate,
    /// `charts/` holds the locked version, but not the locked archive.
    DigestMismatch,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Missing => "missing",
            Status::OutOfDate => "out of date",
            Status::DigestMismatch => "digest mismatch",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DependencyStatus {
    pub name: String,
    /// The constraint, as Chart.yaml gives it.
    pub version: String,
    pub repository: String,
    /// The version Chart.lock pins, when the lock is current.
    pub locked: Option<String>,
    pub status: Status,
}

/// Where each dependency of the chart in `chart_dir` stands.
pub fn list(chart_dir: &Path) -> Result<Vec<DependencyStatus>, DepError> {
    let metadata = read_metadata(chart_dir)?;
    let lock = read_lock(chart_dir)?.filter(|lock| {
        lock.matches(&metadata.dependencies)
            && lock.dependencies.len() == metadata.dependencies.len()
    });
    let present = copies_in(&chart_dir.join("charts"))?;
    Ok(metadata
        .dependencies
        .iter()
        .enumerate()
        .map(|(i, dependency)| {
            let locked = lock.as_ref().map(|l| &l.dependencies[i]);
            let repository = dependency.repository.clone().unwrap_or_default();
            let status = match locked {
                None => Status::OutOfDate,
                // A repository-less dependency is the unpacked chart, at whatever version it has.
                Some(_) if repository.is_empty() => {
                    if present.iter().any(|p| p.name == dependency.name) {
                        Status::Ok
                    } else {
                        Status::Missing
                    }
                }
                Some(locked) => {
                    let copies: Vec<&ChartCopy> = present
                        .iter()
                        .filter(|p| p.name == dependency.name && p.version == locked.version)
                        .collect();
                    match (copies.is_empty(), locked.archive_sha256()) {
                        (true, _) => Status::Missing,
                        (false, Some(sha))
                            if !copies.iter().any(|c| c.sha256 == Some(sha.clone())) =>
                        {
                            Status::DigestMismatch
                        }
                        (false, _) => Status::Ok,
                    }
                }
            };
            DependencyStatus {
                name: dependency.name.clone(),
                version: dependency.version.clone().unwrap_or_default(),
                repository,
                locked: locked.map(|l| l.version.clone()),
                status,
            }
        })
        .collect())
}
