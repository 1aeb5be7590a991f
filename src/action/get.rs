//! `get values|manifest|notes|hooks`: parts of one stored revision.

use serde_json::{Map, Value};

use crate::release::Release;

/// What `get` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The user-supplied values (`--all`: the merged values).
    Values {
        all: bool,
    },
    Manifest,
    Notes,
    Hooks,
}

/// The values `get values` shows.
pub fn values(release: &Release, all: bool) -> &Map<String, Value> {
    if all {
        &release.values
    } else {
        &release.config
    }
}

/// The hooks as multi-document YAML.
pub fn hooks_yaml(release: &Release) -> Result<String, crate::yaml::YamlError> {
    let mut out = String::new();
    for hook in release.hook_objects() {
        crate::manifest::write_document(&mut out, &hook)?;
    }
    Ok(out)
}
