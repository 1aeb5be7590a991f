//! Sprig's `semver` and `semverCompare` (Masterminds semver v3).

use crate::func::FuncMap;

pub fn funcs() -> FuncMap {
    FuncMap::new()
}
