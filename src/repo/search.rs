//! `ketch search repo`, with Helm's semantics: the keyword is looked for,
//! case-insensitively, in each chart's name, `repo/name`, description and
//! keywords; hits are ranked by where they matched, then by name, newest
//! version first; a version constraint (by default `>0.0.0`, or `>0.0.0-0`
//! with `--devel`, so prereleases only show when asked for) then keeps the
//! newest matching version of each chart, or every one with `--versions`.

use serde::Serialize;

use super::cache::{CachedIndex, CachedVersion};
use crate::version::{Constraint, ConstraintError, parse_version};

/// Helm joins the searched fields with a vertical tab, which no field holds.
const SEP: char = '\u{b}';

#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// Words to find (joined by spaces, as one phrase); `None` lists everything.
    pub keyword: Option<String>,
    /// Every matching version, not only the newest of each chart.
    pub all_versions: bool,
    /// A version constraint (Helm syntax).
    pub version: Option<String>,
    /// Include prereleases when no constraint is given.
    pub devel: bool,
}

/// One row of the result, in Helm's JSON shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchHit {
    /// `repo/chart`.
    pub name: String,
    pub version: String,
    pub app_version: String,
    pub description: String,
}

struct Candidate<'a> {
    name: &'a str,
    score: usize,
    entry: &'a CachedVersion,
}

/// Searches `indexes` (repository name and its index).
pub fn search(
    indexes: &[(String, CachedIndex)],
    request: &SearchRequest,
) -> Result<Vec<SearchHit>, ConstraintError> {
    let constraint = Constraint::parse(match (&request.version, request.devel) {
        (Some(v), _) => v,
        (None, true) => ">0.0.0-0",
        (None, false) => ">0.0.0",
    })?;
    let term = request.keyword.as_ref().map(|k| k.to_lowercase());
    let names: Vec<Vec<String>> = indexes
        .iter()
        .map(|(repo, index)| {
            index
                .entries
                .keys()
                .map(|c| format!("{repo}/{c}"))
                .collect()
        })
        .collect();
    let mut candidates = Vec::new();
    for ((repo, index), names) in indexes.iter().zip(&names) {
        for ((chart, versions), name) in index.entries.iter().zip(names) {
            for entry in versions {
                let score = match &term {
                    None => 0,
                    Some(term) => match score(repo, chart, entry, term) {
                        Some(score) => score,
                        None => continue,
                    },
                };
                candidates.push(Candidate { name, score, entry });
            }
        }
    }
    // Stable: each chart's versions stay newest first, as the cache holds them.
    candidates.sort_by(|a, b| a.score.cmp(&b.score).then_with(|| a.name.cmp(b.name)));
    let mut found = std::collections::HashSet::new();
    let mut hits = Vec::new();
    for c in candidates {
        if !request.all_versions && found.contains(c.name) {
            continue;
        }
        // A version Helm cannot read either never matches.
        let Ok(version) = parse_version(&c.entry.version) else {
            continue;
        };
        if constraint.matches(&version) {
            found.insert(c.name);
            hits.push(SearchHit {
                name: c.name.to_string(),
                version: c.entry.version.clone(),
                app_version: c.entry.app_version.clone().unwrap_or_default(),
                description: c.entry.description.clone().unwrap_or_default(),
            });
        }
    }
    Ok(hits)
}

/// Where `term` first occurs in the chart's searched fields: 0 in its name, 1
/// in `repo/name`, 2 in the description, 3 in the keywords; `None` if nowhere.
fn score(repo: &str, name: &str, chart: &CachedVersion, term: &str) -> Option<usize> {
    let line = format!(
        "{name}{SEP}{repo}/{name}{SEP}{}{SEP}{}",
        chart.description.as_deref().unwrap_or(""),
        chart.keywords.join(" "),
    )
    .to_lowercase();
    let at = line.find(term)?;
    Some(line[..at].matches(SEP).count())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::repo::{ChartVersion, IndexFile};

    fn index(entries: &[(&str, &str, &str, &[&str])]) -> CachedIndex {
        let mut index = IndexFile::new();
        for (name, version, description, keywords) in entries {
            index.add(ChartVersion {
                name: name.to_string(),
                version: version.to_string(),
                description: Some(description.to_string()),
                keywords: keywords.iter().map(|k| k.to_string()).collect(),
                ..Default::default()
            });
        }
        index.sort_entries();
        CachedIndex::from(&index)
    }

    fn names(hits: &[SearchHit]) -> Vec<String> {
        hits.iter()
            .map(|h| format!("{} {}", h.name, h.version))
            .collect()
    }

    #[test]
    fn helm_semantics() {
        let repos = vec![(
            "ml".to_string(),
            index(&[
                ("model-server", "1.0.0", "Serve a model", &["inference"]),
                ("model-server", "1.1.0", "Serve a model", &["inference"]),
                (
                    "model-server",
                    "2.0.0-rc.1",
                    "Serve a model",
                    &["inference"],
                ),
                ("trainer", "0.3.0", "Train with GPUs", &["ml", "model"]),
                ("cache", "1.0.0", "Redis", &[]),
            ]),
        )];
        let run = |keyword: Option<&str>, all: bool, version: Option<&str>, devel: bool| {
            names(
                &search(
                    &repos,
                    &SearchRequest {
                        keyword: keyword.map(str::to_string),
                        all_versions: all,
                        version: version.map(str::to_string),
                        devel,
                    },
                )
                .unwrap(),
            )
        };
        assert_eq!(
            run(None, false, None, false),
            [
                "ml/cache 1.0.0",
                "ml/model-server 1.1.0",
                "ml/trainer 0.3.0"
            ]
        );
        // Name matches rank before keyword matches.
        assert_eq!(
            run(Some("MODEL"), false, None, false),
            ["ml/model-server 1.1.0", "ml/trainer 0.3.0"]
        );
        assert_eq!(run(Some("gpus"), false, None, false), ["ml/trainer 0.3.0"]);
        // The repository name matches every chart in it.
        assert_eq!(run(Some("ml/"), false, None, false).len(), 3);
        assert_eq!(
            run(Some("model-server"), true, None, false),
            ["ml/model-server 1.1.0", "ml/model-server 1.0.0"]
        );
        assert_eq!(
            run(Some("model-server"), false, None, true),
            ["ml/model-server 2.0.0-rc.1"]
        );
        assert_eq!(
            run(Some("model-server"), true, Some("^1.0"), false),
            ["ml/model-server 1.1.0", "ml/model-server 1.0.0"]
        );
        assert_eq!(
            run(Some("model-server"), false, Some(">=2.0.0-0"), false),
            ["ml/model-server 2.0.0-rc.1"]
        );
        assert!(run(Some("nothing-like-it"), false, None, false).is_empty());
        assert!(
            search(
                &repos,
                &SearchRequest {
                    version: Some(">>1".into()),
                    ..Default::default()
                }
            )
            .is_err()
        );
    }
}
