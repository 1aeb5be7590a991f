//! Helm's version constraints (Masterminds semver v3 `NewConstraint` and
//! `Constraints.Check`).
//!
//! A constraint is one or more alternatives separated by `||`; an alternative
//! is one or more comparators separated by whitespace or `,`, all of which
//! must hold. A comparator is an optional operator and a version that may be
//! partial (`1.2`), carry a `v` prefix, or use wildcards (`1.2.x`, `*`), or a
//! hyphen range `A - B` (spaces required), which means `>= A, <= B`.
//!
//! Partial versions and wildcards keep Masterminds' meanings:
//!
//! | written            | means                         |
//! |--------------------|-------------------------------|
//! | `1.2`, `=1.2`, `1.2.x` | `>=1.2.0 <1.3.0`          |
//! | `1`, `1.x`         | `>=1.0.0 <2.0.0`              |
//! | `*`, `""`          | any version                   |
//! | `~1.2.3`           | `>=1.2.3 <1.3.0`              |
//! | `~1`               | `>=1.0.0 <2.0.0`              |
//! | `^1.2.3`           | `>=1.2.3 <2.0.0`              |
//! | `^0.2.3`, `^0.2`   | `>=0.2.x <0.3.0`              |
//! | `^0.0.3`           | `>=0.0.3 <0.0.4`              |
//! | `^0.0`, `^0.0.x`   | `>=0.0.0 <0.1.0`              |
//! | `^0`, `^0.x`       | `>=0.0.0 <1.0.0`              |
//! | `>1.2`, `>1.2.x`   | `>=1.3.0`                     |
//! | `>1`               | `>=2.0.0`                     |
//! | `<=1.2`            | `<1.3.0`                      |
//! | `<1.2`, `<1.2.x`   | `<1.2.0`                      |
//! | `!=1.2`            | not `1.2.x`                   |
//!
//! Prereleases: a version with a prerelease only matches an alternative in
//! which some comparator itself names a prerelease (`>=1.2.3-0 <2`), as in
//! Masterminds v3.4. Build metadata never affects a comparison.
//!
//! Deliberate differences from Masterminds:
//! - `^*` and `<=*` match any version (Masterminds documents `^*` as any, but
//!   its code matches only `0.0.0` for `^*` and `0.0.z` for `<=*`).
//! - An empty or all-whitespace constraint parses as any version; Masterminds'
//!   `NewConstraint("")` fails (Helm's repository look-up substitutes `*`).
//! - A hyphen range may follow another comparator after whitespace alone
//!   (`>=1 1.2 - 1.3`); Masterminds' range rewrite swallows that whitespace and
//!   then rejects the text, though it accepts `>=1, 1.2 - 1.3`.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use semver::Version;

use super::scan::{Part, Partial, Scanner, quote_or_end};
use super::{cmp_precedence, cmp_prerelease};

/// A parsed version constraint; [`Display`](fmt::Display) gives back the text
/// it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    text: String,
    /// Alternatives (`||`), at least one.
    groups: Vec<Group>,
}

/// An AND-group: comparators that must all hold.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    comparators: Vec<Comparator>,
    /// Whether some comparator names a prerelease, which lets prerelease
    /// versions match this group.
    prerelease: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `=` or no operator: exact, or a tilde range when the version is partial.
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    /// `~` or `~>`.
    Tilde,
    Caret,
}

/// Which part of the comparator's version is a wildcard or missing; that
/// part and all after it are zero in [`Comparator::version`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wild {
    None,
    Patch,
    Minor,
    Major,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Comparator {
    op: Op,
    wild: Wild,
    /// The version with wildcard parts as zero; never has build metadata.
    version: Version,
}

/// A constraint that cannot be parsed: the text, what is wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid version constraint {input:?}: {reason}")]
pub struct ConstraintError {
    input: String,
    position: usize,
    reason: String,
}

impl ConstraintError {
    /// The constraint text.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// The byte offset in [`input`](Self::input) where the problem was found.
    pub fn position(&self) -> usize {
        self.position
    }

    /// What is wrong.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl Constraint {
    /// Parses a constraint. An empty (or all-whitespace) text means any
    /// version, like `*`.
    pub fn parse(text: &str) -> Result<Constraint, ConstraintError> {
        let groups = if text.bytes().all(super::scan::is_space) {
            vec![Group::new(vec![Comparator::any()])]
        } else {
            Parser {
                scanner: Scanner::new(text),
            }
            .constraint()?
        };
        Ok(Constraint {
            text: text.to_string(),
            groups,
        })
    }

    /// The constraint `*`: any version without a prerelease.
    pub fn any() -> Constraint {
        Constraint {
            text: "*".to_string(),
            groups: vec![Group::new(vec![Comparator::any()])],
        }
    }

    /// Whether `version` satisfies the constraint (Masterminds' `Check`).
    pub fn matches(&self, version: &Version) -> bool {
        self.groups.iter().any(|group| group.matches(version))
    }

    /// The text the constraint was parsed from.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for Constraint {
    type Err = ConstraintError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Constraint::parse(s)
    }
}

impl TryFrom<&str> for Constraint {
    type Error = ConstraintError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Constraint::parse(s)
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl serde::Serialize for Constraint {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Constraint {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Constraint::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Group {
    fn new(comparators: Vec<Comparator>) -> Group {
        let prerelease = comparators.iter().any(|c| !c.version.pre.is_empty());
        Group {
            comparators,
            prerelease,
        }
    }

    fn matches(&self, version: &Version) -> bool {
        (version.pre.is_empty() || self.prerelease)
            && self.comparators.iter().all(|c| c.matches(version))
    }
}

impl Comparator {
    fn any() -> Comparator {
        Comparator {
            op: Op::Eq,
            wild: Wild::Major,
            version: Version::new(0, 0, 0),
        }
    }

    fn new(op: Op, partial: &Partial) -> Comparator {
        let (wild, major, minor, patch) = match (partial.major, partial.minor, partial.patch) {
            (Part::Wild, _, _) => (Wild::Major, 0, 0, 0),
            (Part::Num(major), None | Some(Part::Wild), _) => (Wild::Minor, major, 0, 0),
            (Part::Num(major), Some(Part::Num(minor)), None | Some(Part::Wild)) => {
                (Wild::Patch, major, minor, 0)
            }
            (Part::Num(major), Some(Part::Num(minor)), Some(Part::Num(patch))) => {
                (Wild::None, major, minor, patch)
            }
        };
        let mut version = Version::new(major, minor, patch);
        version.pre = partial.pre.clone();
        Comparator { op, wild, version }
    }

    /// Masterminds' constraint functions, one per operator. The prerelease
    /// rule is applied per group, in [`Group::matches`].
    fn matches(&self, v: &Version) -> bool {
        let c = &self.version;
        let ord = cmp_precedence(v, c);
        match self.op {
            Op::Eq if self.wild == Wild::None => ord == Ordering::Equal,
            Op::Eq | Op::Tilde => self.tilde(v, ord),
            Op::Caret => self.caret(v, ord),
            Op::Ne => match self.wild {
                Wild::None | Wild::Major => ord != Ordering::Equal,
                Wild::Minor => v.major != c.major,
                Wild::Patch => {
                    if v.major != c.major || v.minor != c.minor {
                        true
                    } else if !v.pre.is_empty() || !c.pre.is_empty() {
                        // Masterminds compares only the prereleases here, so
                        // `!=1.2-alpha` excludes every `1.2.z-alpha`.
                        cmp_prerelease(v.pre.as_str(), c.pre.as_str()) != Ordering::Equal
                    } else {
                        false
                    }
                }
            },
            Op::Gt => match self.wild {
                Wild::None | Wild::Major => ord == Ordering::Greater,
                Wild::Minor => v.major > c.major,
                Wild::Patch => (v.major, v.minor) > (c.major, c.minor),
            },
            Op::Lt => ord == Ordering::Less,
            Op::Ge => ord != Ordering::Less,
            Op::Le => match self.wild {
                Wild::None => ord != Ordering::Greater,
                // Deliberate: Masterminds lets `<=*` match only 0.0.z.
                Wild::Major => true,
                Wild::Minor => v.major <= c.major,
                Wild::Patch => (v.major, v.minor) <= (c.major, c.minor),
            },
        }
    }

    /// `~`: at least the version, same major, and same minor unless the minor
    /// is a wildcard. `~0.0.0` (fully written) and `~*` accept anything.
    fn tilde(&self, v: &Version, ord: Ordering) -> bool {
        let c = &self.version;
        if ord == Ordering::Less {
            return false;
        }
        match self.wild {
            Wild::Major => true,
            Wild::None if (c.major, c.minor, c.patch) == (0, 0, 0) => true,
            Wild::Minor => v.major == c.major,
            Wild::None | Wild::Patch => v.major == c.major && v.minor == c.minor,
        }
    }

    /// `^`: at least the version, and the same leftmost non-zero part (or the
    /// same major when the minor is a wildcard, the same minor when the patch is).
    fn caret(&self, v: &Version, ord: Ordering) -> bool {
        let c = &self.version;
        if ord == Ordering::Less {
            return false;
        }
        if self.wild == Wild::Major {
            // Deliberate: Masterminds documents `^*` as any version but its
            // code only matches 0.0.0.
            return true;
        }
        if c.major > 0 || self.wild == Wild::Minor {
            return v.major == c.major;
        }
        if v.major > 0 {
            return false;
        }
        if c.minor > 0 || self.wild == Wild::Patch {
            return v.minor == c.minor;
        }
        if v.minor > 0 {
            return false;
        }
        v.patch == c.patch
    }
}

struct Parser<'a> {
    scanner: Scanner<'a>,
}

impl Parser<'_> {
    fn error(&self, position: usize, reason: String) -> ConstraintError {
        ConstraintError {
            input: self.scanner.text.to_string(),
            position,
            reason,
        }
    }

    /// `group ("||" group)*`
    fn constraint(&mut self) -> Result<Vec<Group>, ConstraintError> {
        let mut groups = Vec::new();
        loop {
            self.scanner.skip_space();
            if self.scanner.at_end() || self.scanner.starts_with("||") {
                let reason = if groups.is_empty() {
                    "nothing before \"||\"".to_string()
                } else {
                    "empty alternative after \"||\"".to_string()
                };
                return Err(self.error(self.scanner.pos, reason));
            }
            groups.push(self.group()?);
            if self.scanner.at_end() {
                return Ok(groups);
            }
            // `group` stops only at the end or at "||".
            self.scanner.pos += 2;
        }
    }

    /// `term ((space+ | space* "," space*) term)* space*`, up to "||" or the end.
    fn group(&mut self) -> Result<Group, ConstraintError> {
        let mut comparators = Vec::new();
        loop {
            let term_start = self.scanner.pos;
            self.term(&mut comparators)?;
            let term_end = self.scanner.pos;
            let spaces = self.scanner.skip_space();
            if self.scanner.at_end() || self.scanner.starts_with("||") {
                return Ok(Group::new(comparators));
            }
            match self.scanner.peek() {
                Some(b',') => {
                    self.scanner.pos += 1;
                    self.scanner.skip_space();
                    if self.scanner.at_end() || self.scanner.starts_with("||") {
                        return Err(self.error(
                            self.scanner.pos,
                            "\",\" must be followed by another comparator".to_string(),
                        ));
                    }
                }
                Some(b'|') => {
                    return Err(self.error(
                        self.scanner.pos,
                        "unexpected \"|\": alternatives are separated by \"||\"".to_string(),
                    ));
                }
                _ if spaces == 0 => {
                    let last = self.scanner.text.get(term_start..term_end).unwrap_or("");
                    let c = self.scanner.current_char().unwrap_or(' ');
                    return Err(self.error(
                        self.scanner.pos,
                        format!(
                            "unexpected {:?} after {last:?}; separate comparators with whitespace or \",\"",
                            c.to_string()
                        ),
                    ));
                }
                _ => {}
            }
        }
    }

    /// `op? space* version`, or `version space+ "-" space+ version`.
    fn term(&mut self, comparators: &mut Vec<Comparator>) -> Result<(), ConstraintError> {
        let op_start = self.scanner.pos;
        let op = self.operator();
        let op_text = self
            .scanner
            .text
            .get(op_start..self.scanner.pos)
            .unwrap_or("");
        if op.is_some() {
            self.scanner.skip_space();
        }
        let after = if op_text.is_empty() {
            String::new()
        } else {
            format!(" after {op_text:?}")
        };
        let first = self.version(&after)?;

        // A hyphen range?
        let before_range = self.scanner.pos;
        let spaces_before = self.scanner.skip_space();
        if self.scanner.peek() != Some(b'-') {
            self.scanner.pos = before_range;
            comparators.push(Comparator::new(op.unwrap_or(Op::Eq), &first));
            return Ok(());
        }
        let dash = self.scanner.pos;
        self.scanner.pos += 1;
        let spaces_after = self.scanner.skip_space();
        if spaces_before == 0 && spaces_after == 0 {
            return Err(self.error(dash, "expected a prerelease after \"-\"".to_string()));
        }
        if spaces_before == 0 || spaces_after == 0 {
            return Err(self.error(
                dash,
                "a hyphen range needs whitespace on both sides of \"-\" (as in \"1.2 - 1.4.5\")"
                    .to_string(),
            ));
        }
        if op.is_some() {
            return Err(self.error(
                op_start,
                format!("a hyphen range cannot have an operator ({op_text:?})"),
            ));
        }
        let last = self.version(" after \"-\" in a hyphen range")?;
        comparators.push(Comparator::new(Op::Ge, &first));
        comparators.push(Comparator::new(Op::Le, &last));
        Ok(())
    }

    fn version(&mut self, after: &str) -> Result<Partial, ConstraintError> {
        let start = self.scanner.pos;
        self.scanner.version(true).map_err(|(at, e)| {
            let token = self.scanner.token_from(at);
            let reason = match e {
                super::scan::ScanError::NoVersion => {
                    format!("expected a version{after}, found {}", quote_or_end(token))
                }
                e => e.describe(token),
            };
            self.error(start.max(at), reason)
        })
    }

    fn operator(&mut self) -> Option<Op> {
        const OPERATORS: [(&str, Op); 11] = [
            ("!=", Op::Ne),
            (">=", Op::Ge),
            ("=>", Op::Ge),
            ("<=", Op::Le),
            ("=<", Op::Le),
            ("~>", Op::Tilde),
            (">", Op::Gt),
            ("<", Op::Lt),
            ("=", Op::Eq),
            ("~", Op::Tilde),
            ("^", Op::Caret),
        ];
        let (text, op) = OPERATORS
            .iter()
            .find(|(text, _)| self.scanner.starts_with(text))?;
        self.scanner.pos += text.len();
        Some(*op)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::parse_version;
    use crate::version::table::{CHECKS, INVALID};

    fn constraint(text: &str) -> Constraint {
        match Constraint::parse(text) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn table_of_checks() {
        let mut failures = Vec::new();
        for &(text, version, want) in CHECKS {
            let c = match Constraint::parse(text) {
                Ok(c) => c,
                Err(e) => {
                    failures.push(format!("{text:?}: {e}"));
                    continue;
                }
            };
            let v = match parse_version(version) {
                Ok(v) => v,
                Err(e) => {
                    failures.push(format!("{text:?} with {version:?}: {e}"));
                    continue;
                }
            };
            if c.matches(&v) != want {
                failures.push(format!("{text:?} with {version:?}: want {want}"));
            }
        }
        assert!(
            failures.is_empty(),
            "{} failing rows:\n{}",
            failures.len(),
            failures.join("\n")
        );
        assert!(CHECKS.len() >= 80);
    }

    #[test]
    fn table_of_invalid_constraints() {
        let mut failures = Vec::new();
        for &(text, want) in INVALID {
            match Constraint::parse(text) {
                Ok(c) => failures.push(format!("{text:?} parsed as {c:?}")),
                Err(e) => {
                    let message = e.to_string();
                    if !message.contains(want) || !message.contains(&format!("{text:?}")) {
                        failures.push(format!("{text:?}: {message:?} lacks {want:?}"));
                    }
                    if e.position() > text.len() {
                        failures.push(format!("{text:?}: position {} out of range", e.position()));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn groups_and_comparators() {
        let cases = [
            (">= 1.1", 1, 1),
            (">40.50.60, < 50.70", 1, 2),
            ("2.0", 1, 1),
            ("v2.3.5-20161202202307-sha.e8fc5e5", 1, 1),
            (">= 1.2.3 < 2.0", 1, 2),
            (">= 1.2.3 < 2.0 || => 3.0 < 4", 2, 2),
            (">= 1.2.3, < 2.0", 1, 2),
            (">= 1.2.3, < 2.0 || => 3.0, < 4", 2, 2),
            ("3 - 4 || => 3.0, < 4", 2, 2),
            ("12.3.34 ~1.2.3", 1, 2),
            ("1.0.0 - 2.0.0, <=2.0.0", 1, 3),
            ("2 - 3 4.0.0 - 5.1", 1, 4),
            ("  1.2  ,  1.3  ", 1, 2),
        ];
        for (text, ors, ands) in cases {
            let c = constraint(text);
            assert_eq!(c.groups.len(), ors, "{text:?}");
            assert_eq!(c.groups[0].comparators.len(), ands, "{text:?}");
        }
    }

    #[test]
    fn parses_partial_versions() {
        let c = constraint(">= 1.2");
        let first = &c.groups[0].comparators[0];
        assert_eq!((first.op, first.wild), (Op::Ge, Wild::Patch));
        assert_eq!(first.version, Version::new(1, 2, 0));
        for (text, op) in [
            ("=< 1.2", Op::Le),
            ("=> 1.2", Op::Ge),
            ("v1.2", Op::Eq),
            ("=1.5", Op::Eq),
            ("~>1.5", Op::Tilde),
            ("< 40.50.10", Op::Lt),
        ] {
            assert_eq!(constraint(text).groups[0].comparators[0].op, op, "{text:?}");
        }
    }

    #[test]
    fn display_and_serde_keep_the_text() {
        for text in ["*", ">= 1.2.3, < 2 || ^3", "", "1.2 - 1.4.5", " ~1.2 "] {
            let c = constraint(text);
            assert_eq!(c.to_string(), text);
            assert_eq!(c.as_str(), text);
            let parsed: Result<Constraint, _> = text.parse();
            assert_eq!(parsed.as_ref().ok(), Some(&c));
            let json = serde_json::to_string(&c).ok();
            assert_eq!(json, serde_json::to_string(text).ok());
            let back: Option<Constraint> = json.and_then(|j| serde_json::from_str(&j).ok());
            assert_eq!(back.as_ref(), Some(&c));
        }
        let bad: Result<Constraint, _> = serde_json::from_str("\">= bar\"");
        assert!(bad.is_err_and(|e| e.to_string().contains(">= bar")));
    }

    #[test]
    fn build_metadata_is_ignored() {
        let v = |s: &str| match Version::parse(s) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        };
        assert!(constraint("=1.2.3").matches(&v("1.2.3+abc")));
        assert!(constraint("1.2.3+xyz").matches(&v("1.2.3")));
        assert!(!constraint("!=1.2.3").matches(&v("1.2.3+abc")));
        assert!(!constraint(">1.2.3").matches(&v("1.2.3+zzz")));
        assert!(constraint("<=1.2.3+a").matches(&v("1.2.3+b")));
    }

    #[test]
    fn error_positions() {
        let position = |text: &str| Constraint::parse(text).err().map(|e| e.position());
        assert_eq!(position(">= bar"), Some(3));
        assert_eq!(position("1.2 -1.3"), Some(4));
        assert_eq!(position("1.2 ||"), Some(6));
        assert_eq!(position("12.3.34~ 1.2.3"), Some(7));
    }
}
