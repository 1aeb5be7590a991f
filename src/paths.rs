//! Where ketch keeps its own files on the user's machine.

use std::path::PathBuf;

/// ketch's configuration directory: `$KETCH_CONFIG_HOME`, else `$XDG_CONFIG_HOME/ketch`,
/// else `~/.config/ketch`. `None` when neither variable nor a home directory is known.
pub fn config_home() -> Option<PathBuf> {
    ketch_dir("KETCH_CONFIG_HOME", "XDG_CONFIG_HOME", ".config")
}

/// ketch's cache directory (repository indexes): `$KETCH_CACHE_HOME`, else
/// `$XDG_CACHE_HOME/ketch`, else `~/.cache/ketch`.
pub fn cache_home() -> Option<PathBuf> {
    ketch_dir("KETCH_CACHE_HOME", "XDG_CACHE_HOME", ".cache")
}

fn ketch_dir(own: &str, xdg: &str, under_home: &str) -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var(own) {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = var(xdg) {
        return Some(PathBuf::from(dir).join("ketch"));
    }
    home_dir().map(|home| home.join(under_home).join("ketch"))
}

/// The user's home directory from `$HOME`.
pub fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}
