//! Rendering: the one interface the render step calls, over one module per
//! template engine.
//!
//! A chart's engine is chosen by its `Chart.yaml`: the annotation
//! `ketch.dev/engine: minijinja` makes it a ketch chart, rendered by [`jinja`];
//! a chart without it is a Helm chart (Go `text/template`, Sprig, Helm's
//! functions and built-in objects), rendered by [`helm`] exactly as
//! `helm template` renders it. A chart tree may mix them: each chart renders
//! with its own engine and the values it was given by `values::resolve`, and
//! neither engine sees the other's charts.

pub mod capabilities;
pub mod guard;
pub mod helm;
pub mod jinja;

use std::sync::Arc;

pub use capabilities::{Capabilities, KubeVersion};

use crate::chart::Chart;
use crate::chart::metadata::ENGINE_MINIJINJA;
use crate::values::Values;
use crate::version::{Constraint, parse_version};

/// The release a render is for, as templates see it (`release` / `.Release`).
#[derive(Debug, Clone)]
pub struct ReleaseInfo {
    pub name: String,
    pub namespace: String,
    pub revision: u64,
    pub is_install: bool,
    pub is_upgrade: bool,
}

impl ReleaseInfo {
    /// A first install: what `ketch template` renders as.
    pub fn install(name: &str, namespace: &str) -> Self {
        Self {
            name: name.into(),
            namespace: namespace.into(),
            revision: 1,
            is_install: true,
            is_upgrade: false,
        }
    }
}

/// Reads live objects for `lookup(...)`; absent offline, where lookups return `{}`.
pub trait Lookup: Send + Sync {
    fn lookup(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<serde_json::Value, String>;
}

/// Bounds on template evaluation, so no chart can hang or exhaust memory.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Evaluation steps per template (minijinja's fuel; the Go engine's fuel).
    pub fuel: u64,
    pub recursion: usize,
    /// Bytes of rendered text over the whole release.
    pub max_output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            fuel: 50_000_000,
            recursion: 200,
            max_output_bytes: 256 * 1024 * 1024,
        }
    }
}

#[derive(Clone, Default)]
pub struct RenderOptions {
    pub release: Option<ReleaseInfo>,
    pub capabilities: Capabilities,
    pub lookup: Option<Arc<dyn Lookup>>,
    pub limits: Limits,
    /// Helm's lint mode: `required` and `fail` print nothing instead of failing.
    pub lint: bool,
}

/// The text one template produced, named as in `# Source:` headers
/// (`parent/charts/sub/templates/deployment.yaml`).
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedTemplate {
    pub source: String,
    pub text: String,
    /// The engine of the chart the text comes from: a Helm chart's documents are
    /// read with Helm's YAML rules (YAML 1.1: `0755` is octal, `yes` is true).
    pub engine: EngineKind,
}

/// The template language of a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineKind {
    /// ketch's own charts: minijinja, strict undefined values.
    Jinja,
    /// Helm charts: Go templates with Helm's semantics and output.
    #[default]
    Helm,
}

impl EngineKind {
    /// The engine `Chart.yaml` asks for: Jinja with `ketch.dev/engine: minijinja`,
    /// Helm's Go templates without the annotation.
    pub fn of(chart: &Chart) -> Result<Self, EngineError> {
        match chart.metadata.engine() {
            Some(ENGINE_MINIJINJA) => Ok(EngineKind::Jinja),
            Some(other) => Err(EngineError::UnknownEngine {
                chart: chart.origin.clone(),
                engine: other.into(),
            }),
            None => Ok(EngineKind::Helm),
        }
    }
}

#[derive(Debug, Default)]
pub struct Rendered {
    /// The root chart's engine: it decides how the release is printed.
    pub root_engine: EngineKind,
    /// Rendered templates in order: each chart's own by path, charts in tree
    /// order (a chart before its subcharts).
    pub templates: Vec<RenderedTemplate>,
    /// CRD files from every chart's `crds/`, as written (never templated).
    pub crds: Vec<RenderedTemplate>,
    /// The root chart's rendered `templates/NOTES.txt`.
    pub notes: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(
        "{chart}: Chart.yaml names engine {engine:?}; ketch knows \"minijinja\" (or no annotation, for Helm's Go templates)"
    )]
    UnknownEngine { chart: String, engine: String },
    #[error(
        "{chart}: Chart.yaml requires kubeVersion {constraint:?}, which Kubernetes {version} does not satisfy \
         (render for another version with --kube-version)"
    )]
    KubeVersion {
        chart: String,
        constraint: String,
        version: String,
    },
    #[error("{chart}: Chart.yaml kubeVersion: {message}")]
    BadKubeVersion { chart: String, message: String },
    #[error("{template}: the template is not UTF-8 text")]
    NotUtf8 { template: String },
    #[error("{template}: {message}")]
    Template { template: String, message: String },
    /// A Helm chart's template failed; the message is Helm's own
    /// (`execution error at (chart/templates/x.yaml:3:10): ...`).
    #[error("{0}")]
    Helm(String),
    #[error(
        "{template}: the render passed {limit} bytes of output; a template loops or a value is huge"
    )]
    OutputTooLarge { template: String, limit: usize },
}

/// One chart of the tree to render: its values and its place in the tree.
pub struct ChartUnit<'a> {
    pub chart: &'a Chart,
    /// The chart's values (`None`: the parent's values have no table for it).
    pub values: Option<&'a Values>,
    /// `parent/charts/sub`: the prefix of its templates' names.
    pub path: String,
    pub is_root: bool,
    pub engine: EngineKind,
    /// The index of the parent chart's unit.
    pub parent: Option<usize>,
}

/// Renders a chart whose values are already resolved (see `values::resolve`):
/// the chart's own values at the root, each subchart's under its name.
///
/// Each chart renders with its engine; the result, and the first error in tree
/// order, are what rendering one chart after the other would give.
pub fn render(
    chart: &Chart,
    values: &Values,
    options: &RenderOptions,
) -> Result<Rendered, EngineError> {
    guard::quiet_panics();
    // Templates recurse; every one renders on a thread with a large stack.
    crate::parallel::on_large_stack(|| render_planned(chart, values, options))
}

fn render_planned(
    chart: &Chart,
    values: &Values,
    options: &RenderOptions,
) -> Result<Rendered, EngineError> {
    let mut units = Vec::new();
    let setup = plan(
        &mut units,
        chart,
        Some(values),
        chart.name().to_string(),
        None,
        options,
    );
    let mut rendered = Rendered {
        root_engine: units.first().map(|u| u.engine).unwrap_or_default(),
        ..Rendered::default()
    };
    for unit in &units {
        for crd in unit.chart.crds() {
            let source = format!("{}/{}", unit.path, crd.path);
            let text = String::from_utf8(crd.data.to_vec()).map_err(|_| EngineError::NotUtf8 {
                template: source.clone(),
            })?;
            rendered.crds.push(RenderedTemplate {
                source,
                text,
                engine: unit.engine,
            });
        }
    }
    let jinja = jinja::render(&units, options);
    let helm = helm::render(&units, options);
    let (jinja, helm) = (jinja?, helm?);
    setup?;
    let mut templates: Vec<(usize, RenderedTemplate)> = jinja.templates;
    templates.extend(helm.templates);
    // Stable: each engine gives its charts' templates in order.
    templates.sort_by_key(|(unit, _)| *unit);
    rendered.templates = templates.into_iter().map(|(_, t)| t).collect();
    rendered.notes = jinja.notes.or(helm.notes);
    Ok(rendered)
}

/// Compiles every template of `chart` and of its subcharts without rendering
/// any: a syntax error, unlike what a render with some values finds, makes a
/// chart unusable whatever values it is given.
pub fn check_syntax(chart: &Chart) -> Result<(), EngineError> {
    jinja::check_syntax(chart)?;
    helm::check_syntax(chart)
}

/// What one engine rendered: templates tagged with their chart's unit index,
/// and the root chart's notes if the root is the engine's.
#[derive(Default)]
pub struct EngineOutput {
    pub templates: Vec<(usize, RenderedTemplate)>,
    pub notes: Option<String>,
}

/// Lists `chart` and its subcharts in tree order; stops at the first chart
/// that cannot be rendered (those listed before it still render, and their
/// errors come first).
fn plan<'a>(
    units: &mut Vec<ChartUnit<'a>>,
    chart: &'a Chart,
    values: Option<&'a Values>,
    path: String,
    parent: Option<usize>,
    options: &RenderOptions,
) -> Result<(), EngineError> {
    let engine = EngineKind::of(chart)?;
    if engine == EngineKind::Helm && parent.is_none() && chart.metadata.is_library() {
        return Err(EngineError::Helm(
            "library charts are not installable".into(),
        ));
    }
    if engine == EngineKind::Jinja || parent.is_none() {
        // Helm checks only the chart it installs.
        check_kube_version(chart, &options.capabilities, engine)?;
    }
    let index = units.len();
    units.push(ChartUnit {
        chart,
        values,
        path: path.clone(),
        is_root: parent.is_none(),
        engine,
        parent,
    });
    for sub in &chart.subcharts {
        let sub_values = match values.and_then(|v| v.get(sub.name())) {
            Some(serde_json::Value::Object(map)) => Some(map),
            _ => None,
        };
        plan(
            units,
            sub,
            sub_values,
            format!("{path}/charts/{}", sub.name()),
            Some(index),
            options,
        )?;
    }
    Ok(())
}

/// Refuses to render a chart for a Kubernetes its `kubeVersion` excludes, as Helm does.
fn check_kube_version(
    chart: &Chart,
    capabilities: &Capabilities,
    engine: EngineKind,
) -> Result<(), EngineError> {
    let Some(text) = chart.metadata.kube_version.as_deref() else {
        return Ok(());
    };
    let kube = match engine {
        EngineKind::Jinja => capabilities.kube_version.version.clone(),
        EngineKind::Helm => helm::kube_version(capabilities),
    };
    let bad = |message: String| EngineError::BadKubeVersion {
        chart: chart.origin.clone(),
        message,
    };
    let constraint = Constraint::parse(text).map_err(|e| bad(e.to_string()))?;
    let version = parse_version(&kube).map_err(|e| bad(e.to_string()))?;
    if constraint.matches(&version) {
        return Ok(());
    }
    Err(EngineError::KubeVersion {
        chart: chart.origin.clone(),
        constraint: text.into(),
        version: kube,
    })
}

/// Files whose name starts with `_` hold macros or `define`s and never render on their own.
pub fn is_macro_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|name| name.starts_with('_'))
}
