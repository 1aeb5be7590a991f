//! Offline validation of rendered objects against the Kubernetes JSON Schemas
//! bundled under `schemas/kubernetes/` (generated from the test cluster's
//! `/openapi/v3` by `schemas/generate`).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

use crate::engine::KubeVersion;
use crate::manifest::Object;

/// Bundled schema sets by `major.minor`.
const BUNDLED: &[(&str, &str)] = &[("1.36", include_str!("../schemas/kubernetes/v1.36.json"))];

const BASE_URI: &str = "https://ketch.dev/schemas/kubernetes.json";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaSet {
    pub kubernetes_version: String,
    /// `group/version/Kind` (core: `v1/Kind`) to definition name.
    pub kinds: HashMap<String, String>,
    pub definitions: serde_json::Map<String, Value>,
}

struct Bundled {
    minor: u64,
    set: SchemaSet,
    /// The definitions as one JSON Schema document that `$ref`s point into.
    root: Value,
}

/// The bundled schema set closest to `version` (the same minor if bundled).
fn closest(version: &KubeVersion) -> &'static Bundled {
    static PARSED: OnceLock<Vec<Bundled>> = OnceLock::new();
    let sets = PARSED.get_or_init(|| {
        BUNDLED
            .iter()
            .map(|(minor, text)| {
                let set: SchemaSet =
                    serde_json::from_str(text).expect("bundled schemas are valid JSON");
                let root = serde_json::json!({ "definitions": set.definitions });
                Bundled {
                    minor: minor_of(minor),
                    set,
                    root,
                }
            })
            .collect()
    });
    sets.iter()
        .min_by_key(|b| b.minor.abs_diff(version.minor))
        .expect("at least one bundled schema set")
}

pub fn bundled(version: &KubeVersion) -> &'static SchemaSet {
    &closest(version).set
}

/// One way an object breaks its schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Template the object came from.
    pub source: String,
    /// `Deployment ns/name`.
    pub object: String,
    /// JSON pointer into the object (`/spec/template/spec/containers/0/resource`).
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(
            f,
            "{}: {}: {path}: {}",
            self.source, self.object, self.message
        )
    }
}

/// What offline validation reports: a bundled schema that does not compile (a bug in the
/// bundle), or objects that do not match (every violation, one per line).
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("{0}")]
    Bundle(String),
    #[error("{0}")]
    Mismatch(String),
}

type Result<T> = std::result::Result<T, SchemaError>;

/// Validates objects kind by kind, compiling each kind's schema once.
pub struct Validator {
    set: &'static SchemaSet,
    registry: jsonschema::Registry<'static>,
    compiled: HashMap<String, Option<jsonschema::Validator>>,
}

impl Validator {
    pub fn new(version: &KubeVersion) -> Result<Self> {
        let bundled = closest(version);
        let set = &bundled.set;
        let registry = jsonschema::Registry::new()
            .add(BASE_URI, &bundled.root)
            .and_then(|r| r.prepare())
            .map_err(|e| SchemaError::Bundle(format!("bundled Kubernetes schemas: {e}")))?;
        Ok(Self {
            set,
            registry,
            compiled: HashMap::new(),
        })
    }

    pub fn kubernetes_version(&self) -> &str {
        &self.set.kubernetes_version
    }

    /// Whether the bundled schemas know the object's kind (custom resources are skipped).
    pub fn knows(&self, object: &Object) -> bool {
        self.set.kinds.contains_key(&gvk(object))
    }

    pub fn validate(&mut self, object: &Object) -> Result<Vec<Violation>> {
        let key = gvk(object);
        if !self.compiled.contains_key(&key) {
            let validator = match self.set.kinds.get(&key) {
                None => None,
                Some(definition) => {
                    let schema = serde_json::json!({ "$ref": format!("{BASE_URI}#/definitions/{definition}") });
                    let built = jsonschema::options()
                        .with_draft(jsonschema::Draft::Draft7)
                        .with_registry(&self.registry)
                        .should_validate_formats(false)
                        .build(&schema)
                        .map_err(|e| {
                            SchemaError::Bundle(format!("bundled schema for {key}: {e}"))
                        })?;
                    Some(built)
                }
            };
            self.compiled.insert(key.clone(), validator);
        }
        let Some(Some(validator)) = self.compiled.get(&key) else {
            return Ok(Vec::new());
        };
        let instance = Value::Object(object.data.clone());
        Ok(validator
            .iter_errors(&instance)
            .map(|e| Violation {
                source: object.source.clone(),
                object: object.describe(),
                path: e.instance_path().to_string(),
                message: e.to_string(),
            })
            .collect())
    }
}

/// Validates every object; one error lists every violation.
pub fn validate_all<'a>(
    objects: impl IntoIterator<Item = &'a Object>,
    version: &KubeVersion,
) -> Result<()> {
    let mut validator = Validator::new(version)?;
    let mut violations = Vec::new();
    for object in objects {
        violations.extend(validator.validate(object)?);
    }
    if violations.is_empty() {
        return Ok(());
    }
    let mut message = format!(
        "{} object field(s) do not match the Kubernetes {} schemas:",
        violations.len(),
        validator.kubernetes_version()
    );
    for violation in &violations {
        message.push_str("\n  - ");
        message.push_str(&violation.to_string());
    }
    Err(SchemaError::Mismatch(message))
}

/// The API versions (`group/version` and `group/version/Kind`) the bundled
/// schemas describe. Reads only the kind index, not the definitions.
pub fn api_versions(version: &KubeVersion) -> Vec<String> {
    #[derive(Deserialize)]
    struct KindIndex {
        kinds: HashMap<String, String>,
    }
    let text = BUNDLED
        .iter()
        .min_by_key(|(minor, _)| minor_of(minor).abs_diff(version.minor))
        .map_or("{}", |(_, text)| text);
    let kinds = kinds_text(text)
        .and_then(|kinds| serde_json::from_str::<HashMap<String, String>>(kinds).ok())
        .unwrap_or_else(|| {
            let index: KindIndex =
                serde_json::from_str(text).expect("bundled schemas are valid JSON");
            index.kinds
        });
    let mut versions: Vec<String> = kinds
        .into_keys()
        .flat_map(|gvk| {
            let gv = gvk.rsplit_once('/').map(|(gv, _)| gv.to_string());
            std::iter::once(gvk).chain(gv)
        })
        .collect();
    versions.sort();
    versions.dedup();
    versions
}

/// The `kinds` object of a bundled schema set, without reading the definitions
/// after it (most of the text): `schemas/generate` writes `kinds` first, and its
/// keys and values (API paths and definition names) hold no braces.
fn kinds_text(text: &str) -> Option<&str> {
    const KEY: &str = "\"kinds\":";
    let start = text.find(KEY)? + KEY.len();
    let end = start + text[start..].find('}')? + 1;
    Some(&text[start..end])
}

fn minor_of(version: &str) -> u64 {
    version
        .rsplit('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

fn gvk(object: &Object) -> String {
    format!("{}/{}", object.api_version(), object.kind())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_index_read_alone_is_the_whole_sets() {
        for (_, text) in BUNDLED {
            let set: SchemaSet = serde_json::from_str(text).unwrap();
            let alone: HashMap<String, String> =
                serde_json::from_str(kinds_text(text).unwrap()).unwrap();
            assert_eq!(alone.len(), set.kinds.len());
            assert!(set.kinds.iter().all(|(k, v)| alone.get(k) == Some(v)));
        }
    }
}
