//! Helm's own lint rules for Helm charts (Helm v4's `pkg/chart/v2/lint/rules`):
//! the same checks, in the same order, with Helm's severities, paths and
//! wording, so that `ketch lint` and `helm lint` agree on a chart. The chart
//! renders through ketch's engine in Helm's lint mode (`required` and `fail`
//! go on without failing), as release `test-release`.

use std::collections::{BTreeMap, HashSet};
use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value};

use super::{Finding, Severity, deprecations};
use crate::chart::{Chart, ChartFile};
use crate::engine::{self, Capabilities, EngineKind, ReleaseInfo, RenderOptions};
use crate::values::{self, SchemaViolation, UserValues, ValuesError};

/// Where the chart's files are read from: Helm's rules look at the files
/// themselves as well as at the loaded chart.
pub enum ChartSource {
    Dir(PathBuf),
    /// An archive's files, paths relative to the chart root.
    Archive(Vec<ChartFile>),
}

impl ChartSource {
    /// The chart at `path`: a directory, or an archive's files.
    pub fn open(path: &Path) -> Option<Self> {
        if path.is_dir() {
            return Some(ChartSource::Dir(path.to_path_buf()));
        }
        let file = std::fs::File::open(path).ok()?;
        let files = crate::chart::read_archive(file, &path.display().to_string()).ok()?;
        Some(ChartSource::Archive(files))
    }

    fn read(&self, name: &str) -> Option<Vec<u8>> {
        match self {
            ChartSource::Dir(dir) => std::fs::read(dir.join(name)).ok(),
            ChartSource::Archive(files) => files
                .iter()
                .find(|f| f.path == name)
                .map(|f| f.data.to_vec()),
        }
    }

    fn exists(&self, name: &str) -> bool {
        match self {
            ChartSource::Dir(dir) => dir.join(name).exists(),
            ChartSource::Archive(files) => files
                .iter()
                .any(|f| f.path == name || f.path.starts_with(&format!("{name}/"))),
        }
    }

    fn is_dir(&self, name: &str) -> bool {
        match self {
            ChartSource::Dir(dir) => dir.join(name).is_dir(),
            ChartSource::Archive(files) => files
                .iter()
                .any(|f| f.path.starts_with(&format!("{name}/"))),
        }
    }

    /// Chart.yaml as YAML, if it parses: `Err` holds the parser's message.
    pub fn chart_yaml(&self) -> Option<Result<Value, String>> {
        let data = self.read("Chart.yaml")?;
        let text = String::from_utf8_lossy(&data);
        Some(crate::yaml::parse_value(&text, "Chart.yaml").map_err(|e| e.to_string()))
    }

    /// Whether the chart is a Helm chart: Chart.yaml parses and names no engine.
    pub fn is_helm_chart(&self) -> bool {
        matches!(
            self.chart_yaml(),
            Some(Ok(Value::Object(map))) if map
                .get("annotations")
                .and_then(|a| a.get(crate::chart::metadata::ENGINE_ANNOTATION))
                .is_none()
        )
    }
}

/// What Helm's lint is given: the chart (or why it did not load), the
/// values from `-f`/`--set*`, and the capabilities to render for.
pub struct HelmLint<'a> {
    /// The chart path as the user gave it.
    pub path: &'a Path,
    pub source: &'a ChartSource,
    pub chart: Result<Chart, String>,
    pub user: &'a UserValues,
    pub capabilities: &'a Capabilities,
}

struct Findings(Vec<Finding>);

impl Findings {
    fn add(&mut self, severity: Severity, rule: &'static str, path: &str, message: String) {
        self.0.push(Finding {
            severity,
            rule,
            location: path.to_string(),
            message: message.trim_end().to_string(),
        });
    }
}

impl HelmLint<'_> {
    /// Helm's `lint.RunAll`: Chart.yaml, values, templates, dependencies, CRDs.
    pub fn run(self) -> Vec<Finding> {
        let mut out = Findings(Vec::new());
        // Helm's loader refuses charts ketch's loader reads; both show as Helm shows them.
        let chart = self.chart.as_ref().map_err(String::clone).and_then(|c| {
            match duplicate_dependency(c) {
                Some(name) => Err(format!(
                    "validation: more than one dependency with name or alias {name:?}"
                )),
                None => Ok(c),
            }
        });
        chartfile(self.source, &mut out);
        values_file(self.source, &chart, self.user, &mut out);
        templates(&self, &chart, &mut out);
        dependencies(self.path, &chart, &mut out);
        crds(self.source, &chart, &mut out);
        out.0
    }
}

// --- Chart.yaml ------------------------------------------------------------------------------------

const METADATA_FIELDS: &[&str] = &[
    "name",
    "home",
    "sources",
    "version",
    "description",
    "keywords",
    "maintainers",
    "icon",
    "apiVersion",
    "condition",
    "tags",
    "appVersion",
    "deprecated",
    "annotations",
    "kubeVersion",
    "dependencies",
    "type",
];
const MAINTAINER_FIELDS: &[&str] = &["name", "email", "url"];
const DEPENDENCY_FIELDS: &[&str] = &[
    "name",
    "version",
    "repository",
    "condition",
    "tags",
    "enabled",
    "import-values",
    "alias",
];

/// Helm's `rules.Chartfile`.
fn chartfile(source: &ChartSource, out: &mut Findings) {
    const FILE: &str = "Chart.yaml";
    let mut error = |message: String| out.add(Severity::Error, "chartfile", FILE, message);
    if source.is_dir(FILE) {
        error("should be a file, not a directory".into());
    }
    let doc = match source.chart_yaml() {
        Some(Ok(Value::Object(map))) => map,
        Some(Ok(other)) => {
            error(format!(
                "unable to parse YAML\n\terror unmarshaling JSON: while decoding JSON: json: \
                 cannot unmarshal {} into Go value of type chart.Metadata",
                json_kind(&other)
            ));
            return;
        }
        Some(Err(message)) => {
            error(format!("unable to parse YAML\n\t{message}"));
            return;
        }
        None => {
            error("unable to parse YAML\n\topen Chart.yaml: no such file or directory".into());
            return;
        }
    };
    if let Some(field) = unknown_field(&doc) {
        out.add(
            Severity::Warning,
            "chartfile",
            FILE,
            format!(
                "failed to strictly parse chart metadata file\n\terror unmarshaling JSON: while \
                 decoding JSON: json: unknown field {field:?}"
            ),
        );
    }
    let text = |key: &str| doc.get(key).map(scalar_text).unwrap_or_default();
    let api_version = text("apiVersion");
    let version = text("version");
    let icon = text("icon");
    let mut rules: Vec<(Severity, Option<String>)> = Vec::new();
    let name = text("name");
    rules.push((
        Severity::Error,
        if name.is_empty() {
            Some("name is required".into())
        } else if name.trim_end_matches('/').rsplit('/').next() != Some(name.as_str()) {
            Some(format!("chart name {name:?} is invalid"))
        } else {
            None
        },
    ));
    rules.push((
        Severity::Error,
        if api_version.is_empty() {
            Some("apiVersion is required. The value must be either \"v1\" or \"v2\"".into())
        } else if api_version != "v1" && api_version != "v2" {
            Some(format!(
                "apiVersion '{api_version}' is not valid. The value must be either \"v1\" or \"v2\""
            ))
        } else {
            None
        },
    ));
    rules.push((Severity::Error, string_type(&doc, "version")));
    rules.push((
        Severity::Error,
        if version.is_empty() {
            Some("version is required".into())
        } else if crate::version::parse_version(&version).is_err() {
            Some(format!("version '{version}' is not a valid SemVer"))
        } else {
            None
        },
    ));
    rules.push((Severity::Error, string_type(&doc, "appVersion")));
    rules.push((Severity::Error, maintainer_problem(doc.get("maintainers"))));
    rules.push((
        Severity::Error,
        list(doc.get("sources"))
            .iter()
            .map(scalar_text)
            .find(|s| !is_request_url(s))
            .map(|s| format!("invalid source URL '{s}'")),
    ));
    rules.push((
        Severity::Info,
        icon.is_empty().then(|| "icon is recommended".to_string()),
    ));
    rules.push((
        Severity::Error,
        (!icon.is_empty() && !is_request_url(&icon)).then(|| format!("invalid icon URL '{icon}'")),
    ));
    rules.push((
        Severity::Error,
        (!text("type").is_empty() && api_version != "v2").then(|| {
            format!(
                "chart type is not valid in apiVersion '{api_version}'. It is valid in apiVersion 'v2'"
            )
        }),
    ));
    rules.push((
        Severity::Error,
        (!list(doc.get("dependencies")).is_empty() && api_version != "v2").then(|| {
            format!(
                "dependencies are not valid in the Chart file with apiVersion '{api_version}'. \
                 They are valid in apiVersion 'v2'"
            )
        }),
    ));
    rules.push((
        Severity::Warning,
        semver::Version::parse(&version)
            .is_err()
            .then(|| format!("version '{version}' is not a valid SemVerV2")),
    ));
    for (severity, message) in rules {
        if let Some(message) = message {
            out.add(severity, "chartfile", FILE, message);
        }
    }
}

/// The first field Helm's strict reading of Chart.yaml does not know, in the
/// order Go's decoder meets them (keys sorted, as sigs.k8s.io/yaml writes them).
fn unknown_field(doc: &Map<String, Value>) -> Option<String> {
    let known = |fields: &[&str], key: &str| fields.iter().any(|f| f.eq_ignore_ascii_case(key));
    let mut keys: Vec<&String> = doc.keys().collect();
    keys.sort();
    for key in keys {
        if !known(METADATA_FIELDS, key) {
            return Some(key.clone());
        }
        let fields = match key.to_ascii_lowercase().as_str() {
            "maintainers" => MAINTAINER_FIELDS,
            "dependencies" => DEPENDENCY_FIELDS,
            _ => continue,
        };
        for item in list(doc.get(key)) {
            let Value::Object(item) = item else { continue };
            let mut keys: Vec<&String> = item.keys().collect();
            keys.sort();
            if let Some(key) = keys.into_iter().find(|k| !known(fields, k)) {
                return Some(key.clone());
            }
        }
    }
    None
}

/// Helm's `isStringValue`: Go's `%T` of a JSON-decoded value.
fn string_type(doc: &Map<String, Value>, key: &str) -> Option<String> {
    let value = doc.get(key)?;
    let type_name = match value {
        Value::String(_) => return None,
        Value::Number(_) => "float64",
        Value::Bool(_) => "bool",
        Value::Null => "<nil>",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    };
    Some(format!(
        "{key} should be of type string but it's of type {type_name}"
    ))
}

fn maintainer_problem(maintainers: Option<&Value>) -> Option<String> {
    for maintainer in list(maintainers) {
        let Value::Object(m) = maintainer else {
            return Some("a maintainer entry is empty".into());
        };
        let field = |k: &str| m.get(k).map(scalar_text).unwrap_or_default();
        let (name, email, url) = (field("name"), field("email"), field("url"));
        if name.is_empty() {
            return Some("each maintainer requires a name".into());
        }
        if !email.is_empty() && !is_email(&email) {
            return Some(format!("invalid email '{email}' for maintainer '{name}'"));
        }
        if !url.is_empty() && !is_url(&url) {
            return Some(format!("invalid url '{url}' for maintainer '{name}'"));
        }
    }
    None
}

fn list(value: Option<&Value>) -> &[Value] {
    match value {
        Some(Value::Array(items)) => items,
        _ => &[],
    }
}

/// A scalar as sigs.k8s.io/yaml reads it into a string field.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::Null | Value::Object(_) => "object",
    }
}

/// govalidator's `IsRequestURL`: an absolute URL with a scheme, as Go's
/// `url.ParseRequestURI` accepts it.
fn is_request_url(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    let host_ok = match rest.strip_prefix("//") {
        Some(authority) => !authority
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default()
            .contains(' '),
        None => true,
    };
    scheme_ok && host_ok && !text.chars().any(|c| c.is_ascii_control())
}

/// govalidator's `IsURL`, for what charts write: an optional scheme, then a
/// host with a dot (or `localhost`), no spaces.
fn is_url(text: &str) -> bool {
    if text.is_empty() || text.len() >= 2083 || text.starts_with('.') || text.contains(' ') {
        return false;
    }
    let rest = text.split_once("://").map_or(text, |(_, rest)| rest);
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default();
    !host.is_empty() && (host.contains('.') || host == "localhost")
}

/// govalidator's `IsEmail`, for what charts write.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !text.contains(char::is_whitespace)
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

// --- values.yaml -----------------------------------------------------------------------------------

/// Helm's `rules.ValuesWithOverrides`: values.yaml parses and, coalesced with
/// the user's values, meets the chart's own schema (not its subcharts').
fn values_file(
    source: &ChartSource,
    chart: &Result<&Chart, String>,
    user: &UserValues,
    out: &mut Findings,
) {
    const FILE: &str = "values.yaml";
    let Some(data) = source.read(FILE) else {
        out.add(Severity::Info, "values", FILE, "file does not exist".into());
        return;
    };
    let text = String::from_utf8_lossy(&data);
    let defaults = match crate::yaml::parse_value(&text, FILE) {
        Ok(Value::Object(map)) => map,
        Ok(Value::Null) => Map::new(),
        Ok(_) => {
            let message = "unable to parse YAML: error unmarshaling JSON: while decoding JSON: \
                           json: cannot unmarshal array into Go value of type map[string]interface {}";
            out.add(Severity::Error, "values", FILE, message.into());
            return;
        }
        Err(e) => {
            out.add(
                Severity::Error,
                "values",
                FILE,
                format!("unable to parse YAML: {e}"),
            );
            return;
        }
    };
    let Ok(chart) = chart else { return };
    if chart.schema.is_none() {
        return;
    }
    let mut merged = Value::Object(user.values.clone());
    coalesce_tables(&mut merged, &Value::Object(defaults));
    let Value::Object(merged) = merged else {
        return;
    };
    let own = Chart {
        subcharts: Vec::new(),
        ..(*chart).clone()
    };
    if let Err(e) = values::validate(&own, &merged, None) {
        out.add(Severity::Error, "values", FILE, schema_message(&e, false));
    }
}

/// Helm's `CoalesceTables(dst, src)`: what `dst` lacks is taken from `src`, tables merged.
fn coalesce_tables(dst: &mut Value, src: &Value) {
    let (Value::Object(dst), Value::Object(src)) = (dst, src) else {
        return;
    };
    for (key, value) in src {
        match dst.get_mut(key) {
            None => {
                dst.insert(key.clone(), value.clone());
            }
            Some(existing @ Value::Object(_)) => coalesce_tables(existing, value),
            Some(_) => {}
        }
    }
}

/// A schema failure as Helm words it: `- at '/path': reason` lines, under the
/// chart's name when the whole tree was validated.
fn schema_message(error: &ValuesError, per_chart: bool) -> String {
    let ValuesError::Schema(violations) = error else {
        return error.to_string();
    };
    let line =
        |v: &SchemaViolation| format!("- at '{}': {}", v.pointer, go_schema_reason(&v.message));
    if !per_chart {
        return violations.iter().map(line).collect::<Vec<_>>().join("\n");
    }
    let mut by_chart: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for violation in violations {
        let name = violation.chart.rsplit('/').next().unwrap_or_default();
        by_chart.entry(name).or_default().push(line(violation));
    }
    let mut text =
        "values don't meet the specifications of the schema(s) in the following chart(s):"
            .to_string();
    for (chart, lines) in by_chart {
        text.push_str(&format!("\n{chart}:\n{}", lines.join("\n")));
    }
    text
}

/// santhosh-tekuri/jsonschema's wording (Helm's validator) for the reasons
/// charts meet most: a wrong type and a missing property.
fn go_schema_reason(message: &str) -> String {
    if let Some((value, types)) = message
        .split_once(" is not of type ")
        .or_else(|| message.split_once(" is not of types "))
    {
        let got = match value.chars().next() {
            Some('"') => "string",
            Some('[') => "array",
            Some('{') => "object",
            Some('t' | 'f') => "boolean",
            Some('n') => "null",
            _ if value.contains(['.', 'e']) => "number",
            _ => "integer",
        };
        let want: Vec<&str> = types.split(", ").map(|t| t.trim_matches('"')).collect();
        return format!("got {got}, want {}", want.join(" or "));
    }
    if let Some(property) = message.strip_suffix(" is a required property") {
        return format!("missing property '{}'", property.trim_matches('"'));
    }
    message.to_string()
}

// --- templates/ ------------------------------------------------------------------------------------

/// Helm's `rules.Templates`: the chart renders in lint mode, and every YAML
/// template of the chart itself (not its subcharts') renders to objects
/// with valid names, no deprecated API, selectors where needed.
fn templates(lint: &HelmLint<'_>, chart: &Result<&Chart, String>, out: &mut Findings) {
    const DIR: &str = "templates/";
    if !lint.source.exists("templates") {
        out.add(
            Severity::Warning,
            "templates",
            DIR,
            "directory does not exist".into(),
        );
        return;
    }
    if !lint.source.is_dir("templates") {
        out.add(Severity::Error, "templates", DIR, "not a directory".into());
        return;
    }
    let chart = match chart {
        Ok(chart) => *chart,
        Err(e) => {
            out.add(Severity::Error, "templates", DIR, e.clone());
            return;
        }
    };
    let mut present = chart.clone();
    // Helm renders without a declared dependency that is not in charts/; the
    // dependencies rule reports it.
    let names: HashSet<String> = present
        .subcharts
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    present
        .metadata
        .dependencies
        .retain(|d| names.contains(&d.name));
    let (resolved, values) = match values::resolve(present, lint.user.values.clone()) {
        Ok(resolved) => resolved,
        Err(e) => {
            out.add(Severity::Error, "templates", DIR, e.to_string());
            return;
        }
    };
    if let Err(e) = values::validate(&resolved, &values, Some(lint.user)) {
        out.add(Severity::Error, "templates", DIR, schema_message(&e, true));
        return;
    }
    let options = RenderOptions {
        release: Some(ReleaseInfo::install("test-release", "default")),
        capabilities: lint.capabilities.clone(),
        lint: true,
        ..RenderOptions::default()
    };
    let rendered = match engine::render(&resolved, &values, &options) {
        Ok(rendered) => rendered,
        Err(e) => {
            out.add(Severity::Error, "templates", DIR, e.to_string());
            return;
        }
    };
    let kube = &lint.capabilities.kube_version;
    for template in &chart.templates {
        let file = format!("templates/{}", template.path);
        let extension = extension(&file);
        if ![".yaml", ".yml", ".tpl", ".txt"].contains(&extension) {
            out.add(
                Severity::Error,
                "templates",
                &file,
                format!(
                    "file extension '{extension}' not valid. Valid extensions are .yaml, .yml, .tpl, or .txt"
                ),
            );
        }
        let lower = extension.to_ascii_lowercase();
        if lower != ".yaml" && lower != ".yml" {
            continue;
        }
        let key = format!("{}/{file}", chart.name());
        let Some(content) = rendered
            .templates
            .iter()
            .find(|t| t.source == key)
            .map(|t| t.text.as_str())
        else {
            continue;
        };
        if content.trim().is_empty() {
            continue;
        }
        if let Some(line) = content.lines().find(|l| !l.trim().is_empty())
            && (line.starts_with(' ') || line.starts_with('\t'))
        {
            out.add(
                Severity::Warning,
                "templates",
                &file,
                format!(
                    "document starts with an illegal indent: {line:?}, which may cause parsing problems"
                ),
            );
        }
        let documents = match crate::yaml::parse_documents(content, &file) {
            Ok(documents) => documents,
            Err(e) => {
                out.add(
                    Severity::Error,
                    "templates",
                    &file,
                    format!("unable to parse YAML: {e}"),
                );
                return;
            }
        };
        for doc in documents {
            if doc.is_null() {
                continue;
            }
            let object = K8sObject::of(&doc);
            let mut found = |severity, message: Option<String>| {
                if let Some(message) = message {
                    out.add(severity, "templates", &file, message);
                }
            };
            found(Severity::Warning, object.name_problem());
            found(
                Severity::Warning,
                (!object.api_version.is_empty() && !object.kind.is_empty())
                    .then(|| {
                        deprecations::warning(
                            &object.api_version,
                            &object.kind,
                            kube.major,
                            kube.minor,
                        )
                    })
                    .flatten(),
            );
            found(
                Severity::Error,
                (["Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"]
                    .contains(&object.kind.as_str())
                    && !content.contains("matchLabels")
                    && !content.contains("matchExpressions"))
                .then(|| {
                    format!(
                        "a {} must contain matchLabels or matchExpressions, and {:?} does not",
                        object.kind, object.name
                    )
                }),
            );
            found(
                Severity::Error,
                (object.kind == "List" && list_keeps_items(&doc)).then(|| {
                    "annotation 'helm.sh/resource-policy' within List objects are ignored".into()
                }),
            );
        }
    }
}

/// Go's `filepath.Ext`: from the last dot of the last path element.
fn extension(path: &str) -> &str {
    let base = path.rsplit('/').next().unwrap_or(path);
    base.rfind('.').map_or("", |i| &base[i..])
}

fn list_keeps_items(doc: &Value) -> bool {
    doc.get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|item| {
            item.pointer("/metadata/annotations/helm.sh~1resource-policy")
                .is_some()
        })
}

/// What Helm's lint reads of an object (`k8sYamlStruct`).
struct K8sObject {
    api_version: String,
    kind: String,
    name: String,
}

impl K8sObject {
    fn of(doc: &Value) -> Self {
        let text = |v: Option<&Value>| v.map(scalar_text).unwrap_or_default();
        Self {
            api_version: text(doc.get("apiVersion")),
            kind: text(doc.get("kind")),
            name: text(doc.pointer("/metadata/name")),
        }
    }

    /// Helm's `validateMetadataName`: the name rule Kubernetes applies to the kind.
    fn name_problem(&self) -> Option<String> {
        let name = self.name.as_str();
        let problems = match self.kind.to_ascii_lowercase().as_str() {
            "service" => label_problems(name, true),
            "namespace" => label_problems(name, false),
            "certificatesigningrequest" => Vec::new(),
            "role" | "clusterrole" | "rolebinding" | "clusterrolebinding" => path_segment(name),
            _ => dns1123_subdomain(name),
        };
        if problems.is_empty() {
            return None;
        }
        let errors: Vec<String> = problems
            .iter()
            .map(|p| format!("metadata.name: Invalid value: {name:?}: {p}"))
            .collect();
        let aggregate = if errors.len() == 1 {
            errors[0].clone()
        } else {
            format!("[{}]", errors.join(", "))
        };
        Some(format!(
            "object name does not conform to Kubernetes naming requirements: {name:?}: {aggregate}"
        ))
    }
}

fn is_label(name: &str, first_alpha: bool) -> bool {
    let bytes = name.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) => {
            (if first_alpha {
                first.is_ascii_lowercase()
            } else {
                alnum(first)
            }) && alnum(last)
                && bytes.iter().all(|&b| alnum(b) || b == b'-')
        }
        _ => false,
    }
}

fn dns1123_subdomain(name: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if name.len() > 253 {
        problems.push("must be no more than 253 characters".to_string());
    }
    if !name.split('.').all(|label| is_label(label, false)) {
        problems.push(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \
             '-' or '.', and must start and end with an alphanumeric character (e.g. \
             'example.com', regex used for validation is \
             '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
                .to_string(),
        );
    }
    problems
}

/// A 63-character label: RFC 1123 (`first_alpha` false) or DNS-1035.
fn label_problems(name: &str, first_alpha: bool) -> Vec<String> {
    let mut problems = Vec::new();
    if name.len() > 63 {
        problems.push("must be no more than 63 characters".to_string());
    }
    if !is_label(name, first_alpha) {
        problems.push(
            if first_alpha {
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start \
             with an alphabetic character, and end with an alphanumeric character (e.g. \
             'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
            } else {
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \
             '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or \
             '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
            }
            .to_string(),
        );
    }
    problems
}

fn path_segment(name: &str) -> Vec<String> {
    if name == "." || name == ".." {
        return vec![format!("may not be '{name}'")];
    }
    ["/", "%"]
        .iter()
        .filter(|s| name.contains(*s))
        .map(|s| format!("may not contain '{s}'"))
        .collect()
}

// --- dependencies and crds/ ------------------------------------------------------------------------

/// Helm's loader refuses two dependencies with one name or alias.
fn duplicate_dependency(chart: &Chart) -> Option<String> {
    let mut seen = HashSet::new();
    chart
        .metadata
        .dependencies
        .iter()
        .map(|d| d.alias.clone().unwrap_or_else(|| d.name.clone()))
        .find(|key| !seen.insert(key.clone()))
}

/// Helm's `rules.Dependencies`: charts/ and Chart.yaml's dependencies agree.
fn dependencies(path: &Path, chart: &Result<&Chart, String>, out: &mut Findings) {
    let chart = match chart {
        Ok(chart) => *chart,
        Err(e) => {
            out.add(
                Severity::Error,
                "dependencies",
                "",
                format!("unable to load chart\n\t{e}"),
            );
            return;
        }
    };
    let dir = absolute(path);
    let declared: Vec<&str> = chart
        .metadata
        .dependencies
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    let present: Vec<&str> = chart.subcharts.iter().map(Chart::name).collect();
    let undeclared: Vec<&str> = present
        .iter()
        .copied()
        .filter(|name| !declared.contains(name))
        .collect();
    if !undeclared.is_empty() {
        out.add(
            Severity::Error,
            "dependencies",
            &dir,
            format!(
                "chart metadata is missing these dependencies: {}",
                undeclared.join(",")
            ),
        );
    }
    let missing: Vec<&str> = declared
        .iter()
        .copied()
        .filter(|name| !present.contains(name))
        .collect();
    if !missing.is_empty() {
        out.add(
            Severity::Warning,
            "dependencies",
            &dir,
            format!(
                "chart directory is missing these dependencies: {}",
                missing.join(",")
            ),
        );
    }
}

/// Go's `filepath.Abs`: absolute and cleaned, symbolic links kept.
fn absolute(path: &Path) -> String {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                clean.pop();
            }
            other => clean.push(other),
        }
    }
    clean.display().to_string()
}

/// Helm's `rules.Crds`: every file in `crds/` (the chart's and its
/// subcharts') holds CustomResourceDefinitions as plain YAML.
fn crds(source: &ChartSource, chart: &Result<&Chart, String>, out: &mut Findings) {
    const DIR: &str = "crds/";
    if !source.exists("crds") {
        return;
    }
    if !source.is_dir("crds") {
        out.add(Severity::Error, "crds", DIR, "not a directory".into());
        return;
    }
    let chart = match chart {
        Ok(chart) => *chart,
        Err(e) => {
            out.add(Severity::Error, "crds", DIR, e.clone());
            return;
        }
    };
    let mut files = Vec::new();
    collect_crds(chart, &mut files);
    for file in files {
        let text = String::from_utf8_lossy(&file.data);
        let documents = match crate::yaml::parse_documents(&text, &file.path) {
            Ok(documents) => documents,
            Err(e) => {
                out.add(
                    Severity::Error,
                    "crds",
                    &file.path,
                    format!("unable to parse YAML: {e}"),
                );
                return;
            }
        };
        for doc in documents.iter().filter(|d| !d.is_null()) {
            let object = K8sObject::of(doc);
            if !object.api_version.starts_with("apiextensions.k8s.io") {
                out.add(
                    Severity::Error,
                    "crds",
                    &file.path,
                    "apiVersion is not in 'apiextensions.k8s.io'".into(),
                );
            }
            if object.kind != "CustomResourceDefinition" {
                out.add(
                    Severity::Error,
                    "crds",
                    &file.path,
                    "object kind is not 'CustomResourceDefinition'".into(),
                );
            }
        }
    }
}

/// Helm's `CRDObjects`: a chart's own CRD files, then its subcharts'.
fn collect_crds<'a>(chart: &'a Chart, files: &mut Vec<&'a ChartFile>) {
    files.extend(chart.crds());
    for sub in &chart.subcharts {
        collect_crds(sub, files);
    }
}

/// Whether `chart` is linted with Helm's rules.
pub fn is_helm(chart: &Chart) -> bool {
    matches!(EngineKind::of(chart), Ok(EngineKind::Helm))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_kinds_rule() {
        let object = |kind: &str, name: &str| K8sObject {
            api_version: "v1".into(),
            kind: kind.into(),
            name: name.into(),
        };
        assert_eq!(object("Service", "web-1").name_problem(), None);
        assert!(object("Service", "1web").name_problem().is_some());
        assert_eq!(object("ConfigMap", "a.b-c").name_problem(), None);
        assert!(object("ConfigMap", "").name_problem().is_some());
        assert_eq!(object("Role", "system:reader").name_problem(), None);
        assert!(
            object("Role", "a/b")
                .name_problem()
                .unwrap()
                .ends_with("may not contain '/'")
        );
    }

    #[test]
    fn urls_and_emails_as_govalidator_reads_them() {
        assert!(is_request_url("https://example.com/x"));
        assert!(!is_request_url("not a url"));
        assert!(!is_request_url("example.com"));
        assert!(is_email("ml@example.com"));
        assert!(!is_email("ml@localhost"));
        assert!(is_url("example.com/x"));
        assert!(!is_url("not a url"));
    }

    #[test]
    fn unknown_fields_in_go_decoders_order() {
        let doc: Value = serde_json::json!({
            "zeta": 1, "name": "x",
            "maintainers": [{"name": "a", "phone": "1"}],
        });
        let Value::Object(doc) = doc else { panic!() };
        assert_eq!(unknown_field(&doc).as_deref(), Some("phone"));
    }
}
