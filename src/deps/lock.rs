//! `Chart.lock`: the exact version each dependency resolved to, in Helm's
//! format (`dependencies` with name, repository, version; `digest`;
//! `generated`), plus the sha256 of every locked archive, which Helm ignores
//! and ketch checks.
//!
//! `digest` is Helm's: the sha256 of the JSON of `[Chart.yaml dependencies,
//! locked dependencies]` as Go writes it, so `helm dep build` accepts a lock
//! ketch wrote and either tool notices when Chart.yaml changed after the lock.

use serde::{Deserialize, Serialize};

use crate::chart::{Dependency, ImportValue};
use crate::digest::sha256_hex;

pub const LOCK_FILE: &str = "Chart.lock";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartLock {
    #[serde(default)]
    pub dependencies: Vec<LockedDependency>,
    /// `sha256:HEX` over Chart.yaml's dependencies and the locked ones ([`requirements_digest`]).
    #[serde(default)]
    pub digest: String,
    #[serde(default)]
    pub generated: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockedDependency {
    pub name: String,
    /// As Chart.yaml writes it (`https://...`, `oci://...`, `file://...`, `@repo`).
    #[serde(default)]
    pub repository: String,
    #[serde(default)]
    pub version: String,
    /// `sha256:HEX` of the archive; absent in locks Helm wrote and for vendored directories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

impl LockedDependency {
    /// The archive digest as lower-case hex, if the lock has one.
    pub fn archive_sha256(&self) -> Option<String> {
        self.digest.as_deref().map(crate::repo::fetch::digest_hex)
    }
}

/// A Chart.yaml dependency as Go's `json.Marshal` writes Helm's `chart.Dependency`.
#[derive(Serialize)]
struct GoDependency<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    version: &'a str,
    repository: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    condition: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
    #[serde(
        rename = "import-values",
        skip_serializing_if = "<[ImportValue]>::is_empty"
    )]
    import_values: &'a [ImportValue],
    #[serde(skip_serializing_if = "str::is_empty")]
    alias: &'a str,
}

impl<'a> From<&'a Dependency> for GoDependency<'a> {
    fn from(d: &'a Dependency) -> Self {
        GoDependency {
            name: &d.name,
            version: d.version.as_deref().unwrap_or(""),
            repository: d.repository.as_deref().unwrap_or(""),
            condition: d.condition.as_deref().unwrap_or(""),
            tags: &d.tags,
            import_values: &d.import_values,
            alias: d.alias.as_deref().unwrap_or(""),
        }
    }
}

impl<'a> From<&'a LockedDependency> for GoDependency<'a> {
    fn from(d: &'a LockedDependency) -> Self {
        GoDependency {
            name: &d.name,
            version: &d.version,
            repository: &d.repository,
            condition: "",
            tags: &[],
            import_values: &[],
            alias: "",
        }
    }
}

/// Helm's `HashReq`: `sha256:` + hex sha256 of `json.Marshal([2][]*Dependency{req, lock})`.
pub fn requirements_digest(required: &[Dependency], locked: &[LockedDependency]) -> String {
    let required: Vec<GoDependency> = required.iter().map(GoDependency::from).collect();
    let locked: Vec<GoDependency> = locked.iter().map(GoDependency::from).collect();
    // Serialising borrowed strings and string lists cannot fail.
    let json = serde_json::to_string(&(required, locked)).unwrap_or_default();
    format!("sha256:{}", sha256_hex(go_html_escape(&json).as_bytes()))
}

/// Go's encoder escapes `<`, `>`, `&`, U+2028 and U+2029 inside strings (they
/// occur nowhere else in JSON), and constraints such as `>=1.0 <2.0` have them.
fn go_html_escape(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

impl ChartLock {
    /// Whether this lock was written for `required` (Chart.yaml's dependencies as they are now).
    pub fn matches(&self, required: &[Dependency]) -> bool {
        self.digest == requirements_digest(required, &self.dependencies)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(name: &str, version: &str, repository: &str) -> Dependency {
        Dependency {
            name: name.into(),
            version: Some(version.into()),
            repository: Some(repository.into()),
            condition: None,
            tags: vec![],
            alias: None,
            import_values: vec![],
        }
    }

    #[test]
    fn digest_is_helms_hash_of_go_json() {
        let required = [dep("web", ">=1.0.0 <2.0.0", "https://charts.example.com")];
        let locked = [LockedDependency {
            name: "web".into(),
            repository: "https://charts.example.com".into(),
            version: "1.4.0".into(),
            digest: Some("sha256:ab".into()),
        }];
        // What Go's json.Marshal writes for these (checked against Helm's HashReq).
        let go = r#"[[{"name":"web","version":"\u003e=1.0.0 \u003c2.0.0","repository":"https://charts.example.com"}],[{"name":"web","version":"1.4.0","repository":"https://charts.example.com"}]]"#;
        assert_eq!(
            requirements_digest(&required, &locked),
            format!("sha256:{}", sha256_hex(go.as_bytes()))
        );
    }

    #[test]
    fn a_changed_chart_yaml_no_longer_matches_its_lock() {
        let required = vec![dep("web", "^1.0", "@stable")];
        let dependencies = vec![LockedDependency {
            name: "web".into(),
            repository: "@stable".into(),
            version: "1.2.0".into(),
            digest: None,
        }];
        let lock = ChartLock {
            digest: requirements_digest(&required, &dependencies),
            dependencies,
            generated: String::new(),
        };
        assert!(lock.matches(&required));
        let mut changed = required.clone();
        changed[0].condition = Some("web.enabled".into());
        assert!(!lock.matches(&changed));
        changed = required;
        changed[0].version = Some("^2.0".into());
        assert!(!lock.matches(&changed));
    }
}
