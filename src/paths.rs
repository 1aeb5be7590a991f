//! Where ketch keeps its own files on the user's machine.

use std::path::PathBuf;

/// ketch's configuration directory: `$KETCH_CONFIG_HOME`, else `$XDG_CONFIG_HOME/ketch`,
/// else `~/.config/ketch`. `None` when neither variable nor a home directory is known.
pub fn config_home() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("KETCH_CONFIG_HOME") {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = var("XDG_CONFIG_HOME") {
        return Some(PathBuf::from(dir).join("ketch"));
    }
    home_dir().map(|home| home.join(".config").join("ketch"))
}

/// The user's home directory from `$HOME`.
pub fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}
