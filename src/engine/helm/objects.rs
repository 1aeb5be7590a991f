//! Helm's built-in objects other than `.Files`: `.Chart`, `.Release` and
//! `.Capabilities`, with Helm's field names and Go types.

use std::collections::BTreeMap;
use std::rc::Rc;

use gotemplate::{Object, Value};

use super::{defaults, string_arg};
use crate::chart::Metadata;
use crate::engine::{Capabilities, ReleaseInfo};

/// `.Chart`: Chart.yaml as Helm's `structToMap` gives it (Go field names,
/// every field present, empty ones as Go's zero values) plus `IsRoot`.
pub fn chart(metadata: &Metadata, is_root: bool) -> Value {
    let text = |s: &Option<String>| Value::from(s.clone().unwrap_or_default());
    let strings =
        |items: &[String]| Value::list(items.iter().map(|s| Value::from(s.as_str())).collect());
    let mut map = BTreeMap::new();
    map.insert("Name".into(), Value::from(metadata.name.as_str()));
    map.insert("Home".into(), text(&metadata.home));
    map.insert("Sources".into(), strings(&metadata.sources));
    map.insert("Version".into(), Value::from(metadata.version.as_str()));
    map.insert("Description".into(), text(&metadata.description));
    map.insert("Keywords".into(), strings(&metadata.keywords));
    map.insert(
        "Maintainers".into(),
        Value::list(
            metadata
                .maintainers
                .iter()
                .map(|m| {
                    let mut entry = BTreeMap::new();
                    entry.insert("Name".into(), Value::from(m.name.as_str()));
                    entry.insert("Email".into(), text(&m.email));
                    entry.insert("URL".into(), text(&m.url));
                    Value::map(entry)
                })
                .collect(),
        ),
    );
    map.insert("Icon".into(), text(&metadata.icon));
    map.insert(
        "APIVersion".into(),
        Value::from(metadata.api_version.as_str()),
    );
    map.insert("Condition".into(), Value::from(""));
    map.insert("Tags".into(), Value::from(""));
    map.insert("AppVersion".into(), text(&metadata.app_version));
    map.insert("Deprecated".into(), Value::Bool(metadata.deprecated));
    map.insert(
        "Annotations".into(),
        Value::map(
            metadata
                .annotations
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect(),
        ),
    );
    map.insert("KubeVersion".into(), text(&metadata.kube_version));
    map.insert(
        "Dependencies".into(),
        Value::list(
            metadata
                .dependencies
                .iter()
                .map(|d| {
                    let mut entry = BTreeMap::new();
                    entry.insert("Name".into(), Value::from(d.name.as_str()));
                    entry.insert("Version".into(), text(&d.version));
                    entry.insert("Repository".into(), text(&d.repository));
                    entry.insert("Condition".into(), text(&d.condition));
                    entry.insert("Tags".into(), strings(&d.tags));
                    entry.insert("Enabled".into(), Value::Bool(true));
                    entry.insert(
                        "ImportValues".into(),
                        Value::list(
                            d.import_values
                                .iter()
                                .filter_map(|i| serde_json::to_value(i).ok())
                                .map(|i| Value::from_json(&i))
                                .collect(),
                        ),
                    );
                    entry.insert("Alias".into(), text(&d.alias));
                    Value::map(entry)
                })
                .collect(),
        ),
    );
    map.insert("Type".into(), text(&metadata.chart_type));
    map.insert("IsRoot".into(), Value::Bool(is_root));
    Value::map(map)
}

/// `.Release`, as Helm's `ToRenderValues` builds it.
pub fn release(release: &ReleaseInfo) -> Value {
    let mut map = BTreeMap::new();
    map.insert("Name".into(), Value::from(release.name.as_str()));
    map.insert("Namespace".into(), Value::from(release.namespace.as_str()));
    map.insert("IsUpgrade".into(), Value::Bool(release.is_upgrade));
    map.insert("IsInstall".into(), Value::Bool(release.is_install));
    map.insert(
        "Revision".into(),
        Value::Int(i64::try_from(release.revision).unwrap_or(i64::MAX)),
    );
    map.insert("Service".into(), Value::from("Helm"));
    Value::map(map)
}

/// `.Capabilities.KubeVersion`: `Version` (as given, `v1.33.4-gke.1`),
/// `Major`, `Minor` (strings), `GitVersion`; prints as the normalized version.
pub struct HelmKubeVersion {
    pub version: String,
    pub normalized: String,
    pub major: String,
    pub minor: String,
}

impl HelmKubeVersion {
    /// Parses as Helm's `ParseKubeVersion` (Kubernetes' generic version parser).
    pub fn parse(text: &str) -> Option<HelmKubeVersion> {
        let bare = text.trim().strip_prefix('v').unwrap_or(text.trim());
        let end = bare
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(bare.len());
        let numbers: Vec<&str> = bare[..end].split('.').collect();
        if numbers.len() < 2 || numbers.iter().any(|n| n.is_empty()) {
            return None;
        }
        let parsed: Vec<u64> = numbers
            .iter()
            .map(|n| n.parse().ok())
            .collect::<Option<_>>()?;
        let patch = parsed.get(2).copied().unwrap_or(0);
        let version = if text.starts_with('v') {
            text.to_string()
        } else {
            format!("v{text}")
        };
        Some(HelmKubeVersion {
            version,
            normalized: format!("v{}.{}.{patch}", parsed[0], parsed[1]),
            major: parsed[0].to_string(),
            minor: parsed[1].to_string(),
        })
    }
}

impl Object for HelmKubeVersion {
    fn type_name(&self) -> &str {
        "common.KubeVersion"
    }

    fn field(&self, name: &str) -> Option<Value> {
        Some(Value::from(match name {
            "Version" | "GitVersion" => self.version.as_str(),
            "Major" => self.major.as_str(),
            "Minor" => self.minor.as_str(),
            "String" => self.normalized.as_str(),
            _ => return None,
        }))
    }

    fn to_value(&self) -> Value {
        Value::from(self.normalized.as_str())
    }
}

/// `.Capabilities.APIVersions`: a list with `Has`.
pub struct ApiVersions(pub Vec<String>);

impl Object for ApiVersions {
    fn type_name(&self) -> &str {
        "common.VersionSet"
    }

    fn kind_name(&self) -> &str {
        "slice"
    }

    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        if name != "Has" {
            return None;
        }
        Some(string_arg(name, args).map(|api| Value::Bool(self.0.iter().any(|v| v == api))))
    }

    fn to_value(&self) -> Value {
        Value::list(self.0.iter().map(|v| Value::from(v.as_str())).collect())
    }
}

/// `.Capabilities`: the cluster's when connected; offline, Helm's defaults with
/// `--kube-version` and `--api-versions` applied, as `helm template` has them.
pub struct HelmCapabilities {
    kube_version: Rc<HelmKubeVersion>,
    api_versions: Rc<ApiVersions>,
}

impl HelmCapabilities {
    pub fn new(capabilities: &Capabilities) -> HelmCapabilities {
        let (kube_version, api_versions) = match &capabilities.offline {
            Some(offline) => {
                let kube = offline
                    .kube_version
                    .as_deref()
                    .and_then(HelmKubeVersion::parse)
                    .unwrap_or_else(defaults::kube_version);
                let mut apis: Vec<String> = defaults::API_VERSIONS
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
                apis.extend(offline.api_versions.iter().cloned());
                (kube, apis)
            }
            None => (
                HelmKubeVersion::parse(&capabilities.kube_version.version)
                    .unwrap_or_else(defaults::kube_version),
                capabilities.api_versions.iter().cloned().collect(),
            ),
        };
        HelmCapabilities {
            kube_version: Rc::new(kube_version),
            api_versions: Rc::new(ApiVersions(api_versions)),
        }
    }

    pub fn normalized_kube_version(&self) -> &str {
        &self.kube_version.normalized
    }
}

impl Object for HelmCapabilities {
    fn type_name(&self) -> &str {
        "*common.Capabilities"
    }

    fn kind_name(&self) -> &str {
        "ptr"
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "KubeVersion" => Some(Value::Object(self.kube_version.clone())),
            "APIVersions" => Some(Value::Object(self.api_versions.clone())),
            "HelmVersion" => Some(defaults::helm_version()),
            _ => None,
        }
    }

    fn to_value(&self) -> Value {
        let mut map = BTreeMap::new();
        map.insert("KubeVersion".into(), self.kube_version.to_value());
        map.insert("APIVersions".into(), self.api_versions.to_value());
        map.insert("HelmVersion".into(), defaults::helm_version());
        Value::map(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_versions_parse_as_helm_parses_them() {
        let v = HelmKubeVersion::parse("v1.33.4-gke.1245000").unwrap();
        assert_eq!(v.version, "v1.33.4-gke.1245000");
        assert_eq!(v.normalized, "v1.33.4");
        assert_eq!((v.major.as_str(), v.minor.as_str()), ("1", "33"));
        let v = HelmKubeVersion::parse("1.30").unwrap();
        assert_eq!(
            (v.version.as_str(), v.normalized.as_str()),
            ("v1.30", "v1.30.0")
        );
        assert!(HelmKubeVersion::parse("latest").is_none());
    }
}
