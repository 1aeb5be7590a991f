//! `.ketchignore`: gitignore-syntax rules naming the files of a chart directory
//! that are not part of the chart. Used by the loader (directories and
//! archives) and by the packager when it walks a chart directory.

use std::fs;
use std::io;
use std::path::Path;

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// The name of the ignore file at a chart's root.
pub const IGNORE_FILE: &str = ".ketchignore";

/// Helm's ignore file, read when a chart has no `.ketchignore`, so that a Helm
/// chart holds the files it holds in Helm.
pub const HELM_IGNORE_FILE: &str = ".helmignore";

/// Rules that apply to every chart, after the chart's own (so a `!` line
/// cannot bring them back): the ignore file itself, VCS metadata, and
/// dotfiles under `templates/` (editor swap files), as Helm does.
const DEFAULT_RULES: &[&str] = &["/.ketchignore", ".git/", "/templates/**/.*"];

/// A `.ketchignore` line that could not be read as a pattern.
#[derive(Debug, thiserror::Error)]
pub enum IgnoreError {
    #[error("{path}:{line}: {message}; fix or remove the pattern (gitignore syntax)")]
    Pattern {
        path: String,
        line: usize,
        message: String,
    },
    #[error("{path}: cannot read: {error}")]
    Io { path: String, error: io::Error },
    #[error("{path}: not valid UTF-8; write .ketchignore as UTF-8 text")]
    NotUtf8 { path: String },
}

/// The ignore rules of one chart: its `.ketchignore` (if any) plus ketch's defaults.
#[derive(Debug, Clone, Default)]
pub struct IgnoreRules {
    /// The chart's own patterns with the defaults after them; `None` for a chart
    /// without patterns of its own, whose paths [`ignored_by_default`] checks
    /// (compiling the matcher's regexes cost an umbrella of 100 subcharts 40% of
    /// its render).
    matcher: Option<Gitignore>,
}

impl IgnoreRules {
    /// Only ketch's defaults: for a chart without a `.ketchignore`.
    pub fn defaults() -> Self {
        Self::default()
    }

    /// Reads `<dir>/.ketchignore`, else `<dir>/.helmignore`, if there is one.
    pub fn from_chart_dir(dir: &Path) -> Result<Self, IgnoreError> {
        for name in [IGNORE_FILE, HELM_IGNORE_FILE] {
            let file = dir.join(name);
            let path = file.display().to_string();
            match fs::read(&file) {
                Ok(bytes) => {
                    let text = String::from_utf8(bytes)
                        .map_err(|_| IgnoreError::NotUtf8 { path: path.clone() })?;
                    return Self::parse(&text, &path);
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(error) => return Err(IgnoreError::Io { path, error }),
            }
        }
        Ok(Self::defaults())
    }

    /// Parses the text of a `.ketchignore`; `path` names it in errors.
    pub fn parse(text: &str, path: &str) -> Result<Self, IgnoreError> {
        let matcher = matcher(text, path)?;
        // Blank and comment lines add no pattern.
        let has_own_rules = matcher.len() > DEFAULT_RULES.len();
        Ok(Self {
            matcher: has_own_rules.then_some(matcher),
        })
    }

    /// Whether `rel_path` (relative to the chart root, `/`-separated) is left
    /// out of the chart. As in git, a path inside an ignored directory is
    /// ignored even if a later `!` line names it.
    pub fn is_ignored(&self, rel_path: &str, is_dir: bool) -> bool {
        let parts: Vec<&str> = rel_path
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        let Some(matcher) = &self.matcher else {
            return ignored_by_default(&parts, is_dir);
        };
        let Some((_, parents)) = parts.split_last() else {
            return false;
        };
        let mut prefix = String::new();
        for parent in parents {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(parent);
            if let Match::Ignore(_) = matcher.matched(Path::new(&prefix), true) {
                return true;
            }
        }
        matches!(
            matcher.matched(Path::new(&parts.join("/")), is_dir),
            Match::Ignore(_)
        )
    }
}

/// The `.ketchignore` text's patterns followed by [`DEFAULT_RULES`], compiled.
fn matcher(text: &str, path: &str) -> Result<Gitignore, IgnoreError> {
    // Paths are always matched relative to the chart root; "." turns off
    // the builder's own prefix stripping.
    let mut builder = GitignoreBuilder::new(".");
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, line) in text.lines().enumerate() {
        builder
            .add_line(None, line)
            .map_err(|e| IgnoreError::Pattern {
                path: path.to_string(),
                line: i + 1,
                message: e.to_string(),
            })?;
    }
    for rule in DEFAULT_RULES {
        builder
            .add_line(None, rule)
            .map_err(|e| IgnoreError::Pattern {
                path: "<ketch defaults>".into(),
                line: 0,
                message: e.to_string(),
            })?;
    }
    builder.build().map_err(|e| IgnoreError::Pattern {
        path: path.to_string(),
        line: 0,
        message: e.to_string(),
    })
}

/// [`DEFAULT_RULES`] matched by hand (a chart without its own rules checks
/// every path against them; the matcher's regexes cost a large chart's load
/// a tenth of a render): `.ketchignore` at the root (and, were it a directory,
/// what is in it), any `.git` directory and
/// what is in it, and anything under `templates/` whose name starts with `.`.
fn ignored_by_default(parts: &[&str], is_dir: bool) -> bool {
    let Some((last, parents)) = parts.split_last() else {
        return false;
    };
    parts[0] == IGNORE_FILE
        || parents.contains(&".git")
        || (*last == ".git" && is_dir)
        || (parts.len() > 1
            && parts[0] == "templates"
            && parts[1..].iter().any(|p| p.starts_with('.')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> IgnoreRules {
        IgnoreRules::parse(text, ".ketchignore").unwrap()
    }

    #[test]
    fn comments_and_blank_lines_match_nothing() {
        let r = rules("# a comment\n\n   \n");
        assert!(!r.is_ignored("a comment", false));
        assert!(!r.is_ignored("README.md", false));
    }

    #[test]
    fn unanchored_patterns_match_at_any_depth() {
        let r = rules("*.bak\n");
        assert!(r.is_ignored("x.bak", false));
        assert!(r.is_ignored("files/deep/x.bak", false));
        assert!(!r.is_ignored("x.bakx", false));
    }

    #[test]
    fn anchored_patterns_match_only_at_the_root() {
        let r = rules("/notes.txt\n");
        assert!(r.is_ignored("notes.txt", false));
        assert!(!r.is_ignored("files/notes.txt", false));
    }

    #[test]
    fn directory_patterns_match_directories_and_their_contents() {
        let r = rules("build/\n");
        assert!(r.is_ignored("build", true));
        assert!(!r.is_ignored("build", false));
        assert!(r.is_ignored("build/out.bin", false));
        assert!(r.is_ignored("files/build/out.bin", false));
    }

    #[test]
    fn double_star_matches_any_number_of_directories() {
        let r = rules("files/**/*.tmp\n");
        assert!(r.is_ignored("files/a.tmp", false));
        assert!(r.is_ignored("files/a/b/c.tmp", false));
        assert!(!r.is_ignored("other/a.tmp", false));
    }

    #[test]
    fn negation_re_includes_a_file() {
        let r = rules("*.txt\n!keep.txt\n");
        assert!(r.is_ignored("drop.txt", false));
        assert!(!r.is_ignored("keep.txt", false));
    }

    #[test]
    fn negation_cannot_re_include_inside_an_ignored_directory() {
        let r = rules("secret/\n!secret/public.txt\n");
        assert!(r.is_ignored("secret/public.txt", false));
    }

    #[test]
    fn defaults_cannot_be_negated() {
        let r = rules("!.git/\n!.ketchignore\n");
        assert!(r.is_ignored(".git/config", false));
        assert!(r.is_ignored(".ketchignore", false));
        assert!(r.is_ignored("templates/.deployment.yaml.swp", false));
        assert!(r.is_ignored("templates/sub/.hidden", false));
        assert!(!r.is_ignored("files/.hidden", false));
        assert!(!r.is_ignored("charts/sub/.ketchignore", false));
    }

    #[test]
    fn the_defaults_by_hand_agree_with_the_matcher() {
        let matcher = IgnoreRules {
            matcher: Some(matcher("", "t").unwrap()),
        };
        let parts = [
            ".ketchignore",
            ".git",
            "templates",
            ".x",
            "a",
            ".swp",
            "b.yaml",
            "charts",
        ];
        let mut paths = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = paths
                .iter()
                .flat_map(|p| parts.iter().map(move |part| format!("{p}/{part}")))
                .collect();
            paths.extend(longer);
        }
        for path in &paths {
            for is_dir in [false, true] {
                let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
                let by_matcher = matcher.is_ignored(path, is_dir);
                assert_eq!(
                    ignored_by_default(&parts, is_dir),
                    by_matcher,
                    "{path} (dir: {is_dir})"
                );
            }
        }
    }

    #[test]
    fn defaults_alone() {
        let r = IgnoreRules::defaults();
        assert!(r.is_ignored(".git", true));
        assert!(r.is_ignored("charts/sub/.git/HEAD", false));
        assert!(!r.is_ignored("templates/deployment.yaml", false));
    }

    #[test]
    fn missing_file_means_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let r = IgnoreRules::from_chart_dir(dir.path()).unwrap();
        assert!(r.is_ignored(".git/HEAD", false));
        assert!(!r.is_ignored("README.md", false));
    }
}
