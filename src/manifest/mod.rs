//! The manifest: rendered text parsed into Kubernetes objects, checked
//! (apiVersion, kind, metadata.name, no duplicates), ordered for install and
//! written back as YAML with `# Source:` headers.

pub mod helm;
pub mod order;

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::engine::{EngineKind, Rendered, RenderedTemplate};
use crate::{parallel, yaml};

/// One Kubernetes object and the template it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// `chart/templates/file.yaml` (or `chart/crds/file.yaml`).
    pub source: String,
    pub data: Map<String, Value>,
}

impl Object {
    fn field(&self, key: &str) -> &str {
        self.data.get(key).and_then(Value::as_str).unwrap_or("")
    }

    pub fn api_version(&self) -> &str {
        self.field("apiVersion")
    }

    pub fn kind(&self) -> &str {
        self.field("kind")
    }

    /// The API group: `apps` for `apps/v1`, empty for the core group.
    pub fn group(&self) -> &str {
        self.api_version()
            .rsplit_once('/')
            .map_or("", |(group, _)| group)
    }

    fn metadata(&self, key: &str) -> Option<&str> {
        self.data.get("metadata")?.get(key)?.as_str()
    }

    pub fn name(&self) -> &str {
        self.metadata("name").unwrap_or("")
    }

    pub fn namespace(&self) -> Option<&str> {
        self.metadata("namespace")
    }

    /// `Kind/name`, or `Kind/namespace/name`, for messages.
    pub fn describe(&self) -> String {
        match self.namespace() {
            Some(ns) => format!("{} {ns}/{}", self.kind(), self.name()),
            None => format!("{} {}", self.kind(), self.name()),
        }
    }
}

/// The ordered objects of a release.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Manifest {
    /// CRDs from the charts' `crds/` folders, applied before everything else.
    pub crds: Vec<Object>,
    /// Rendered objects in install order.
    pub objects: Vec<Object>,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{source_path}: the rendered output is not valid YAML: {message}")]
    Yaml {
        source_path: String,
        message: String,
    },
    #[error(
        "{source_path}: document {index} is not a mapping (a Kubernetes object is a mapping with apiVersion, kind and metadata)"
    )]
    NotAnObject { source_path: String, index: usize },
    #[error(
        "{source_path}: document {index} has no {field} (every object needs apiVersion, kind and metadata.name)"
    )]
    MissingField {
        source_path: String,
        index: usize,
        field: &'static str,
    },
    #[error("could not find template {template} in chart")]
    ShowOnly { template: String },
    #[error(
        "{second}: {object} is also rendered by {first}; each object may be rendered once (rename one, or guard it with a condition)"
    )]
    Duplicate {
        object: String,
        first: String,
        second: String,
    },
}

impl Manifest {
    /// Parses every rendered document, drops empty ones, checks each object and
    /// orders them for install. Identical input gives identical output.
    pub fn from_rendered(
        rendered: &Rendered,
        default_namespace: &str,
    ) -> Result<Self, ManifestError> {
        // Helm charts keep Helm's rules: what Helm accepts is only warned about.
        let strict = rendered.root_engine == EngineKind::Jinja;
        let crds = parse_templates(&rendered.crds, strict)?;
        let objects = parse_templates(&rendered.templates, strict)?;
        // Each object's identity and rank, read on every core: the objects
        // were parsed there, and a thousand of them read again on one core
        // were a tenth of a large render's serial time.
        let facts = parallel::map(&objects, |object| {
            (
                identity(object, default_namespace),
                order::install_rank(object.kind()),
            )
        });
        let duplicates = check_duplicates(
            crds.iter()
                .map(|crd| (identity(crd, default_namespace), crd))
                .chain(facts.iter().zip(&objects).map(|((id, _), o)| (*id, o))),
        );
        match duplicates {
            Err(e) if !strict => tracing::warn!("{e}"),
            other => other?,
        }
        let ranks: Vec<usize> = facts.into_iter().map(|(_, rank)| rank).collect();
        let mut ranked: Vec<(usize, Object)> = ranks.into_iter().zip(objects).collect();
        // Stable: objects of one kind keep their order.
        ranked.sort_by_key(|(rank, _)| *rank);
        let objects = ranked.into_iter().map(|(_, object)| object).collect();
        Ok(Self { crds, objects })
    }

    /// The multi-document YAML `ketch template` prints (CRDs first, if asked for).
    pub fn to_yaml(&self, include_crds: bool) -> Result<String, yaml::YamlError> {
        let crds = if include_crds { &self.crds[..] } else { &[] };
        let objects: Vec<&Object> = crds.iter().chain(&self.objects).collect();
        write_documents(&objects)
    }
}

/// The objects as multi-document YAML, each as [`write_document`] writes it,
/// written on every core (serialising is a tenth of a large render).
pub fn write_documents(objects: &[&Object]) -> Result<String, yaml::YamlError> {
    let mut out = String::new();
    for document in parallel::map(objects, |object| {
        let mut text = String::new();
        write_document(&mut text, object).map(|()| text)
    }) {
        out.push_str(&document?);
    }
    Ok(out)
}

/// Appends `---`, the `# Source:` header and the object as YAML.
pub fn write_document(out: &mut String, object: &Object) -> Result<(), yaml::YamlError> {
    out.push_str("---\n# Source: ");
    out.push_str(&object.source);
    out.push('\n');
    yaml::write_map(out, &object.data)?;
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(())
}

/// Parses templates on every core: YAML parsing dominates a large render.
fn parse_templates(
    templates: &[RenderedTemplate],
    strict: bool,
) -> Result<Vec<Object>, ManifestError> {
    let mut objects = Vec::new();
    for parsed in parallel::map(templates, |t| parse_template(t, strict)) {
        objects.extend(parsed?);
    }
    Ok(objects)
}

fn parse_template(template: &RenderedTemplate, strict: bool) -> Result<Vec<Object>, ManifestError> {
    let mut objects = Vec::new();
    if template.text.trim().is_empty() {
        return Ok(objects);
    }
    let parse = match template.engine {
        EngineKind::Jinja => yaml::parse_documents,
        EngineKind::Helm => yaml::parse_documents_as_helm,
    };
    let documents: Vec<Value> = match parse(&template.text, &template.source) {
        Ok(documents) => documents,
        Err(e) => {
            let error = ManifestError::Yaml {
                source_path: template.source.clone(),
                message: e.message,
            };
            if strict {
                return Err(error);
            }
            // Helm's reader takes what ketch's refuses (duplicate keys, YAML 1.1).
            tracing::warn!("{error}; its objects are left out");
            return Ok(objects);
        }
    };
    for (index, document) in documents.into_iter().enumerate() {
        let index = index + 1;
        let data = match document {
            Value::Null => continue,
            Value::Object(map) if map.is_empty() => continue,
            Value::Object(map) => map,
            _ => {
                return Err(ManifestError::NotAnObject {
                    source_path: template.source.clone(),
                    index,
                });
            }
        };
        let object = Object {
            source: template.source.clone(),
            data,
        };
        let missing = |field| ManifestError::MissingField {
            source_path: template.source.clone(),
            index,
            field,
        };
        let absent = [
            ("apiVersion", object.api_version()),
            ("kind", object.kind()),
            ("metadata.name", object.name()),
        ]
        .into_iter()
        .find(|(_, value)| value.is_empty());
        match absent {
            Some((field, _)) if strict => return Err(missing(field)),
            Some((field, _)) => {
                tracing::warn!("{}; it is left out", missing(field));
            }
            None => objects.push(object),
        }
    }
    Ok(objects)
}

/// What makes an object one of a kind in a release: group, kind, namespace
/// (the release's when the object names none) and name.
type Identity<'a> = (&'a str, &'a str, &'a str, &'a str);

fn identity<'a>(object: &'a Object, default_namespace: &'a str) -> Identity<'a> {
    (
        object.group(),
        object.kind(),
        object.namespace().unwrap_or(default_namespace),
        object.name(),
    )
}

fn check_duplicates<'a>(
    objects: impl Iterator<Item = (Identity<'a>, &'a Object)>,
) -> Result<(), ManifestError> {
    let mut seen: HashMap<Identity, &Object> = HashMap::new();
    for (identity, object) in objects {
        if let Some(first) = seen.insert(identity, object) {
            return Err(ManifestError::Duplicate {
                object: object.describe(),
                first: first.source.clone(),
                second: object.source.clone(),
            });
        }
    }
    Ok(())
}
