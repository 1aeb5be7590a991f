//! `Chart.yaml`: Helm's `apiVersion: v2` metadata, read as written and checked.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// The annotation that marks a chart as templated with minijinja.
pub const ENGINE_ANNOTATION: &str = "ketch.dev/engine";
pub const ENGINE_MINIJINJA: &str = "minijinja";
/// `go`: a Jinja chart's values print as Go templates print them (see `ketch convert`).
pub const PRINT_ANNOTATION: &str = "ketch.dev/print";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    pub api_version: String,
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub chart_type: Option<String>,
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home: Option<String>,
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub sources: Vec<String>,
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub dependencies: Vec<Dependency>,
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub maintainers: Vec<Maintainer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deprecated: bool,
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub annotations: IndexMap<String, String>,
    /// Keys Helm does not define; kept so `lint` can name them.
    #[serde(flatten, skip_serializing)]
    pub unknown: IndexMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Dependency {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub import_values: Vec<ImportValue>,
}

impl Dependency {
    /// The name the subchart goes by in its parent: its alias, else its name
    /// (an empty alias is none, as in Helm).
    pub fn scope(&self) -> &str {
        self.alias
            .as_deref()
            .filter(|alias| !alias.is_empty())
            .unwrap_or(&self.name)
    }
}

/// One `import-values` entry: `data` (imports `exports.data`) or `{child, parent}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ImportValue {
    Export(String),
    Path { child: String, parent: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Maintainer {
    /// Helm loads a maintainer without a name; its lint reports it.
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// What is wrong with a `Chart.yaml`, field by field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetadataError {
    #[error("apiVersion must be \"v2\" (got {0:?})")]
    ApiVersion(String),
    #[error("name is required")]
    MissingName,
    #[error(
        "name {0:?} must be lower case letters, digits and '-' (it becomes a file and object name)"
    )]
    BadName(String),
    #[error("version {0:?} is not a semantic version (e.g. 1.2.3 or 1.2.3-rc.1): {1}")]
    BadVersion(String, String),
    #[error("type must be \"application\" or \"library\" (got {0:?})")]
    BadType(String),
    #[error("dependencies[{0}]: name is required")]
    DependencyName(usize),
    #[error(
        "dependencies[{0}]: name {1:?} is not a chart name (lower case letters, digits, '-' and \
         '_'); it names the chart in charts/ and in its repository, so it cannot be a path"
    )]
    BadDependencyName(usize, String),
    #[error(
        "dependencies[{0}]: alias {1:?} may hold only letters, digits, '-' and '_' (it names \
         the subchart's values and its folder)"
    )]
    BadAlias(usize, String),
}

impl Metadata {
    /// Checks the fields Helm checks. `version` is read as Helm reads it
    /// (Masterminds' `NewVersion`: `v1.2.3` and `1.2` pass); `ketch package`
    /// asks for strict SemVer on top.
    pub fn validate(&self) -> Result<(), MetadataError> {
        // Helm still reads `apiVersion: v1` charts; ketch's own charts are v2.
        let helm_v1 = self.api_version == "v1" && self.engine().is_none();
        if self.api_version != "v2" && !helm_v1 {
            return Err(MetadataError::ApiVersion(self.api_version.clone()));
        }
        if self.name.is_empty() {
            return Err(MetadataError::MissingName);
        }
        if !is_chart_name(&self.name) {
            return Err(MetadataError::BadName(self.name.clone()));
        }
        crate::version::parse_version(&self.version)
            .map_err(|e| MetadataError::BadVersion(self.version.clone(), e.reason().to_string()))?;
        if let Some(t) = &self.chart_type
            && t != "application"
            && t != "library"
        {
            return Err(MetadataError::BadType(t.clone()));
        }
        for (i, dependency) in self.dependencies.iter().enumerate() {
            if dependency.name.is_empty() {
                return Err(MetadataError::DependencyName(i));
            }
            if !is_chart_name(&dependency.name) {
                return Err(MetadataError::BadDependencyName(i, dependency.name.clone()));
            }
            // Helm's `aliasNameFormat`.
            if let Some(alias) = &dependency.alias
                && !alias
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(MetadataError::BadAlias(i, alias.clone()));
            }
        }
        Ok(())
    }

    pub fn is_library(&self) -> bool {
        self.chart_type.as_deref() == Some("library")
    }

    /// The engine the chart's templates are written for, from `ketch.dev/engine`.
    pub fn engine(&self) -> Option<&str> {
        self.annotations.get(ENGINE_ANNOTATION).map(String::as_str)
    }

    /// The declaration of a subchart by its chart name, if Chart.yaml has one.
    pub fn dependency(&self, name: &str) -> impl Iterator<Item = &Dependency> {
        self.dependencies.iter().filter(move |d| d.name == name)
    }
}

/// Reads `key:` with nothing after it (`null`) as an empty collection, as Helm does.
fn null_as_empty<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

fn is_chart_name(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
}
