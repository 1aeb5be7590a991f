//! Versions and Helm's version constraints.
//!
//! Helm reads dependency versions, `kubeVersion` and repository look-ups with
//! Masterminds semver v3; [`Constraint`] implements that constraint language
//! over [`semver::Version`]: `||` alternatives, AND by comma or whitespace,
//! `=`, `!=`, `>`, `<`, `>=`, `<=` (also `=>`, `=<`), `~`/`~>`, `^`,
//! wildcards `x`/`X`/`*`, hyphen ranges `1.2 - 1.4.5`, partial versions with a
//! leading `v`, and the prerelease rule (a prerelease version only matches an
//! AND-group in which some comparator names a prerelease, e.g. `>=1.2.3-0`).
//!
//! Use [`parse_version`] where Helm reads versions loosely (`v1.2`, `1.2`,
//! `v1.35.0-gke.1`), and [`semver::Version::parse`] where a strict semantic
//! version is required (chart versions in `Chart.yaml`).

mod constraint;
mod scan;
#[cfg(test)]
mod table;

use std::cmp::Ordering;

pub use constraint::{Constraint, ConstraintError};
pub use semver::Version;

/// A version that [`parse_version`] cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid version {input:?}: {reason}")]
pub struct VersionError {
    input: String,
    reason: String,
}

impl VersionError {
    /// The text that was parsed.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// What is wrong with it.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// Parses a version the way Masterminds' `NewVersion` does: a leading `v` is
/// dropped, missing minor and patch parts are zero (`1.2` is `1.2.0`) and
/// leading zeros in the numeric parts are accepted (`01.2.3` is `1.2.3`).
/// Prerelease and build metadata follow semver (`v1.35.0-gke.1`).
pub fn parse_version(input: &str) -> Result<Version, VersionError> {
    let error = |reason: String| VersionError {
        input: input.to_string(),
        reason,
    };
    if input.is_empty() {
        return Err(error("empty version".to_string()));
    }
    let mut scanner = scan::Scanner::new(input);
    let partial = scanner
        .version(false)
        .map_err(|(start, e)| error(e.describe(scanner.token_from(start))))?;
    if let Some(c) = scanner.current_char() {
        let parsed = input.get(..scanner.pos).unwrap_or("");
        return Err(error(if c == '-' {
            format!("expected a prerelease after \"-\" in {input:?}")
        } else if parsed.is_empty() {
            format!("expected a version, found {:?}", scanner.token_from(0))
        } else {
            format!("unexpected {c:?} after {parsed:?}")
        }));
    }
    Ok(partial.to_version())
}

/// Whether two version strings name the same version: equal as written, or
/// equal once read as Helm reads them (`v1.2` and `1.2.0`).
pub fn same_version(a: &str, b: &str) -> bool {
    a == b || matches!((parse_version(a), parse_version(b)), (Ok(a), Ok(b)) if a == b)
}

/// Orders versions by semver precedence: build metadata is ignored, so
/// `1.2.3+a` and `1.2.3+b` are equal (unlike [`Version`]'s `Ord`).
pub fn cmp_precedence(a: &Version, b: &Version) -> Ordering {
    (a.major, a.minor, a.patch)
        .cmp(&(b.major, b.minor, b.patch))
        .then_with(|| match (a.pre.is_empty(), b.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => cmp_prerelease(a.pre.as_str(), b.pre.as_str()),
        })
}

/// Compares prerelease strings identifier by identifier, as Masterminds'
/// `comparePrerelease`: a missing identifier sorts first, numeric identifiers
/// compare numerically and sort before alphanumeric ones, which compare in
/// ASCII order. Two empty strings are equal.
pub(crate) fn cmp_prerelease(a: &str, b: &str) -> Ordering {
    let mut a_parts = a.split('.');
    let mut b_parts = b.split('.');
    loop {
        let ordering = match (a_parts.next(), b_parts.next()) {
            (None, None) => return Ordering::Equal,
            (x, y) => cmp_identifier(x.unwrap_or(""), y.unwrap_or("")),
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
}

fn cmp_identifier(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    if a.is_empty() {
        return Ordering::Less;
    }
    if b.is_empty() {
        return Ordering::Greater;
    }
    let numeric = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    match (numeric(a), numeric(b)) {
        (true, true) => {
            let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
            a.len().cmp(&b.len()).then_with(|| a.cmp(b))
        }
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

/// The highest of `versions` (by precedence) that `constraint` matches, as
/// dependency resolution picks it. Among versions differing only in build
/// metadata the one greatest by [`Version`]'s `Ord` wins, so the result does
/// not depend on the order of `versions`.
pub fn highest_match<'a>(
    constraint: &Constraint,
    versions: impl IntoIterator<Item = &'a Version>,
) -> Option<&'a Version> {
    versions
        .into_iter()
        .filter(|v| constraint.matches(v))
        .max_by(|a, b| cmp_precedence(a, b).then_with(|| a.cmp(b)))
}

/// For a "no version matches" message: up to `n` of `available` around the first version
/// written in `constraint` (`~1.4`: those just above and below 1.4.0), newest first; without
/// one, the newest `n`.
pub fn closest<'a>(constraint: &str, available: &'a [String], n: usize) -> Vec<&'a str> {
    let written: String = constraint
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
        .collect();
    let target = written
        .trim_end_matches(".x")
        .trim_end_matches(".X")
        .trim_end_matches(".*");
    let Ok(target) = parse_version(target) else {
        return available.iter().take(n).map(String::as_str).collect();
    };
    let mut sorted: Vec<(&str, Version)> = available
        .iter()
        .filter_map(|text| Some((text.as_str(), parse_version(text).ok()?)))
        .collect();
    sorted.sort_by(|(_, a), (_, b)| cmp_precedence(a, b));
    // Outwards from where `target` would sit: the next version up first, then down, ...
    let at = sorted.partition_point(|(_, v)| cmp_precedence(v, &target).is_lt());
    let (mut up, mut down) = (at, at);
    let mut near = Vec::new();
    while near.len() < n && (up < sorted.len() || down > 0) {
        if up < sorted.len() {
            near.push(sorted[up].clone());
            up += 1;
        }
        if near.len() < n && down > 0 {
            down -= 1;
            near.push(sorted[down].clone());
        }
    }
    near.sort_by(|(_, a), (_, b)| cmp_precedence(b, a));
    near.into_iter().map(|(text, _)| text).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_versions_surround_the_constraint() {
        let available: Vec<String> = ["3.0.0", "2.1.0", "1.5.0", "1.3.2", "1.3.0", "0.9.0"]
            .map(String::from)
            .to_vec();
        assert_eq!(closest("~1.4", &available, 3), ["2.1.0", "1.5.0", "1.3.2"]);
        assert_eq!(closest(">= 2.5, < 3", &available, 2), ["3.0.0", "2.1.0"]);
        assert_eq!(closest("1.x", &available, 1), ["1.3.0"]);
        assert_eq!(closest("*", &available, 2), ["3.0.0", "2.1.0"]);
    }

    fn v(s: &str) -> Version {
        match Version::parse(s) {
            Ok(v) => v,
            Err(e) => panic!("test version {s:?}: {e}"),
        }
    }

    #[test]
    fn parse_version_coerces_like_new_version() {
        let cases = [
            ("1.2.3", "1.2.3"),
            ("v1.2.3", "1.2.3"),
            ("1.2", "1.2.0"),
            ("v1", "1.0.0"),
            ("0", "0.0.0"),
            ("01.002.3", "1.2.3"),
            ("v1.35.0-gke.1", "1.35.0-gke.1"),
            ("1.2-beta.1", "1.2.0-beta.1"),
            ("1.2.3+build.007", "1.2.3+build.007"),
            ("v1.30.2-eks-1552ad0+meta", "1.30.2-eks-1552ad0+meta"),
            (
                "v2.3.5-20161202202307-sha.e8fc5e5",
                "2.3.5-20161202202307-sha.e8fc5e5",
            ),
        ];
        for (input, want) in cases {
            match parse_version(input) {
                Ok(got) => assert_eq!(got, v(want), "parse_version({input:?})"),
                Err(e) => panic!("parse_version({input:?}): {e}"),
            }
        }
    }

    #[test]
    fn parse_version_rejects_with_reasons() {
        let cases = [
            ("", "empty version"),
            ("1.2.3.4", "more than three numeric parts"),
            ("V1.2.3", "expected a version"),
            ("x", "expected a version"),
            ("1.x", "minor part"),
            ("1.2.3-01", "leading zero"),
            ("1.2.3-", "expected a prerelease"),
            ("1.2.3-a..b", "empty prerelease identifier"),
            ("1.2.3+", "build metadata"),
            ("1.2.3 ", "unexpected ' '"),
            ("1.2.3_4", "unexpected '_'"),
            ("99999999999999999999.0.0", "too large"),
            ("1.2.3-ü", "expected a prerelease"),
        ];
        for (input, want) in cases {
            match parse_version(input) {
                Ok(got) => panic!("parse_version({input:?}) = {got}, want an error"),
                Err(e) => {
                    let message = e.to_string();
                    assert!(
                        message.contains(want),
                        "{input:?}: {message:?} lacks {want:?}"
                    );
                    assert!(
                        message.contains(&format!("{input:?}")),
                        "{message:?} names the input"
                    );
                }
            }
        }
    }

    #[test]
    fn strict_parse_stays_strict() {
        assert!(Version::parse("v1.2.3").is_err());
        assert!(Version::parse("1.2").is_err());
    }

    #[test]
    fn precedence_ignores_build_metadata() {
        assert_eq!(
            cmp_precedence(&v("1.2.3+a"), &v("1.2.3+b")),
            Ordering::Equal
        );
        assert_eq!(
            cmp_precedence(&v("1.2.3-alpha"), &v("1.2.3")),
            Ordering::Less
        );
        assert_eq!(
            cmp_precedence(&v("1.2.3-alpha.10"), &v("1.2.3-alpha.9")),
            Ordering::Greater
        );
        assert_eq!(
            cmp_precedence(&v("1.2.3-alpha"), &v("1.2.3-alpha.1")),
            Ordering::Less
        );
        assert_eq!(cmp_precedence(&v("1.2.3-1"), &v("1.2.3-a")), Ordering::Less);
        assert_eq!(
            cmp_precedence(&v("1.2.3-b"), &v("1.2.3-a.z")),
            Ordering::Greater
        );
    }

    #[test]
    fn highest_match_picks_greatest_matching() {
        let versions: Vec<Version> = [
            "1.2.3",
            "1.4.0",
            "2.0.0",
            "1.9.9-rc.1",
            "1.5.0+b",
            "1.5.0+a",
        ]
        .iter()
        .map(|s| v(s))
        .collect();
        let pick = |c: &str| -> Option<String> {
            let c = match Constraint::parse(c) {
                Ok(c) => c,
                Err(e) => panic!("{e}"),
            };
            highest_match(&c, &versions).map(|v| v.to_string())
        };
        assert_eq!(pick("^1.2").as_deref(), Some("1.5.0+b"));
        assert_eq!(pick("~1.2.0").as_deref(), Some("1.2.3"));
        assert_eq!(pick(">=1.2.3-0 <2").as_deref(), Some("1.9.9-rc.1"));
        assert_eq!(pick("*").as_deref(), Some("2.0.0"));
        assert_eq!(pick("").as_deref(), Some("2.0.0"));
        assert_eq!(pick("1.2 - 1.4").as_deref(), Some("1.4.0"));
        assert_eq!(pick(">2"), None);
        assert_eq!(highest_match(&Constraint::any(), std::iter::empty()), None);
    }
}
