//! Rendering: each chart's templates through minijinja, with the template
//! context DESIGN.md fixes (`values release chart capabilities files template`),
//! strict undefined values, and bounded evaluation.

pub mod capabilities;
mod diagnostic;
mod files;
pub mod filters;
pub mod guard;
mod nesting;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use minijinja::value::{Value, ValueKind};
use minijinja::{AutoEscape, Environment, UndefinedBehavior, context, syntax::SyntaxConfig};

pub use capabilities::{Capabilities, KubeVersion};
use filters::serde_value;

use crate::chart::metadata::ENGINE_MINIJINJA;
use crate::chart::{Chart, ChartFile};
use crate::parallel;
use crate::values::Values;
use crate::version::{Constraint, parse_version};

/// The release a render is for, as templates see it under `release`.
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
    /// minijinja fuel per template (roughly instructions).
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
}

/// The text one template produced, named as in `# Source:` headers
/// (`parent/charts/sub/templates/deployment.yaml`).
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedTemplate {
    pub source: String,
    pub text: String,
}

#[derive(Debug, Default)]
pub struct Rendered {
    /// Rendered templates in order: the chart's own by path, then each subchart's.
    pub templates: Vec<RenderedTemplate>,
    /// CRD files from every chart's `crds/`, as written (never templated).
    pub crds: Vec<RenderedTemplate>,
    /// The root chart's rendered `templates/NOTES.txt`.
    pub notes: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(
        "{chart}: not a ketch chart: Chart.yaml lacks the annotation `ketch.dev/engine: minijinja` \
         (a Helm chart with Go templates? ketch renders Jinja templates only; add the annotation once the templates are Jinja)"
    )]
    NotKetchChart { chart: String },
    #[error("{chart}: Chart.yaml names engine {engine:?}; ketch knows only \"minijinja\"")]
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
    #[error(
        "{template}: the render passed {limit} bytes of output; a template loops or a value is huge"
    )]
    OutputTooLarge { template: String, limit: usize },
}

/// Renders a chart whose values are already resolved (see `values::resolve`):
/// the chart's own values at the root, each subchart's under its name.
///
/// Every chart's environment is set up first, in order; then the templates of
/// all charts render on every core. The result, and the first error in that
/// order, are what rendering one template after the other would give.
pub fn render(
    chart: &Chart,
    values: &Values,
    options: &RenderOptions,
) -> Result<Rendered, EngineError> {
    guard::quiet_panics();
    // Templates recurse; every one renders on a thread with a large stack.
    parallel::on_large_stack(|| render_planned(chart, values, options))
}

fn render_planned(
    chart: &Chart,
    values: &Values,
    options: &RenderOptions,
) -> Result<Rendered, EngineError> {
    let mut plan = Plan::default();
    let setup = plan.chart(chart, Some(values), chart.name(), true, options);
    let units = plan.units(options);
    let budget = OutputBudget {
        left: AtomicUsize::new(options.limits.max_output_bytes),
        limit: options.limits.max_output_bytes,
    };
    let texts = parallel::map(&plan.jobs, |job| {
        let unit = &units[job.unit];
        if let Some(i) = job.compile_only {
            let file = &unit.chart.templates[i];
            return guarded(&job.source, || {
                compile_template(&unit.env, file, &job.source).map(|()| String::new())
            });
        }
        let ctx = context! {
            template => context! { name => job.source.clone(), base_path => unit.base_path.clone() },
            ..unit.base.clone()
        };
        guarded(&job.source, || {
            render_template(&unit.env, &job.file, ctx, &job.source, &budget)
        })
    });
    let mut rendered = Rendered {
        crds: plan.crds,
        ..Rendered::default()
    };
    for (job, text) in plan.jobs.into_iter().zip(texts) {
        let text = text?;
        if job.compile_only.is_some() {
            continue;
        }
        if job.file == NOTES {
            rendered.notes = Some(text);
        } else {
            rendered.templates.push(RenderedTemplate {
                source: job.source,
                text,
            });
        }
    }
    setup?;
    Ok(rendered)
}

/// What a render does, in order: the charts to set up and the templates to
/// render with each.
#[derive(Default)]
struct Plan<'a> {
    charts: Vec<Planned<'a>>,
    jobs: Vec<Job>,
    crds: Vec<RenderedTemplate>,
}

/// A chart to render, with its values and its path in `# Source:` headers.
struct Planned<'a> {
    chart: &'a Chart,
    values: Option<&'a Values>,
    base_path: String,
}

/// One chart's environment and context.
struct Unit<'a> {
    chart: &'a Chart,
    env: Environment<'a>,
    base: Value,
    base_path: String,
}

/// One template to render with a unit's environment.
struct Job {
    unit: usize,
    file: String,
    source: String,
    /// Only check this one of the chart's templates (every template of a chart is
    /// checked before its first render, as when they were all added up front).
    compile_only: Option<usize>,
}

impl<'a> Plan<'a> {
    /// Plans `chart` and its subcharts; stops at the first chart that cannot be set up
    /// (the templates planned before it still render, and their errors come first).
    fn chart(
        &mut self,
        chart: &'a Chart,
        values: Option<&'a Values>,
        path: &str,
        is_root: bool,
        options: &RenderOptions,
    ) -> Result<(), EngineError> {
        match chart.metadata.engine() {
            Some(ENGINE_MINIJINJA) => {}
            Some(other) => {
                return Err(EngineError::UnknownEngine {
                    chart: chart.origin.clone(),
                    engine: other.into(),
                });
            }
            None => {
                return Err(EngineError::NotKetchChart {
                    chart: chart.origin.clone(),
                });
            }
        }
        check_kube_version(chart, &options.capabilities.kube_version)?;
        for crd in chart.crds() {
            self.crds.push(RenderedTemplate {
                source: format!("{path}/{}", crd.path),
                text: String::from_utf8(crd.data.clone()).map_err(|_| EngineError::NotUtf8 {
                    template: format!("{path}/{}", crd.path),
                })?,
            });
        }
        let base_path = format!("{path}/templates");
        let unit = self.charts.len();
        let job = |file: &str, compile_only: Option<usize>| Job {
            unit,
            file: file.to_string(),
            source: format!("{base_path}/{file}"),
            compile_only,
        };
        for (i, file) in chart.templates.iter().enumerate() {
            self.jobs.push(job(&file.path, Some(i)));
        }
        if !chart.metadata.is_library() {
            for file in chart
                .templates
                .iter()
                .filter(|f| !is_macro_file(&f.path) && f.path != NOTES)
            {
                self.jobs.push(job(&file.path, None));
            }
        }
        // Notes render last, so an error in a shared macro points at a manifest template.
        if is_root && chart.templates.iter().any(|f| f.path == NOTES) {
            self.jobs.push(job(NOTES, None));
        }
        self.charts.push(Planned {
            chart,
            values,
            base_path,
        });
        for sub in &chart.subcharts {
            let sub_values = match values.and_then(|v| v.get(sub.name())) {
                Some(serde_json::Value::Object(map)) => Some(map),
                _ => None,
            };
            self.chart(
                sub,
                sub_values,
                &format!("{path}/charts/{}", sub.name()),
                false,
                options,
            )?;
        }
        Ok(())
    }

    /// Every planned chart's environment and context, built on every core
    /// from one environment holding what all charts share.
    fn units(&self, options: &RenderOptions) -> Vec<Unit<'a>> {
        let shared = shared_environment(options);
        let no_values = Values::new();
        let capabilities = Value::from_object(options.capabilities.clone());
        parallel::map(&self.charts, |planned| {
            // Built once per chart: it serializes the values and copies the chart's files.
            let values = planned.values.unwrap_or(&no_values);
            let base = base_context(planned.chart, values, &capabilities, options);
            Unit {
                chart: planned.chart,
                env: environment(&shared, planned.chart, &base, options),
                base,
                base_path: planned.base_path.clone(),
            }
        })
    }
}

/// The bytes of output the whole release may still produce, shared by the
/// templates rendering at once.
struct OutputBudget {
    left: AtomicUsize,
    limit: usize,
}

/// Refuses to render a chart for a Kubernetes its `kubeVersion` excludes, as Helm does.
fn check_kube_version(chart: &Chart, kube: &KubeVersion) -> Result<(), EngineError> {
    let Some(text) = chart.metadata.kube_version.as_deref() else {
        return Ok(());
    };
    let bad = |message: String| EngineError::BadKubeVersion {
        chart: chart.origin.clone(),
        message,
    };
    let constraint = Constraint::parse(text).map_err(|e| bad(e.to_string()))?;
    let version = parse_version(&kube.version).map_err(|e| bad(e.to_string()))?;
    if constraint.matches(&version) {
        return Ok(());
    }
    Err(EngineError::KubeVersion {
        chart: chart.origin.clone(),
        constraint: text.into(),
        version: kube.version.clone(),
    })
}

/// The template printed after an install, never part of the manifest.
const NOTES: &str = "NOTES.txt";

/// Files whose name starts with `_` hold macros and never render on their own.
pub fn is_macro_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|name| name.starts_with('_'))
}

fn template_error(source: &str, err: &minijinja::Error) -> EngineError {
    EngineError::Template {
        template: source.to_string(),
        message: diagnostic::describe(err),
    }
}

/// Runs `work` for template `source` with the thread marked as rendering it
/// (see [`guard`]), a panic inside minijinja turned into an error.
fn guarded(
    source: &str,
    work: impl FnOnce() -> Result<String, EngineError>,
) -> Result<String, EngineError> {
    let _rendering = guard::rendering(source);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|panic| {
        Err(EngineError::Template {
            template: source.into(),
            message: guard::panic_message(panic.as_ref()),
        })
    })
}

fn render_template(
    env: &Environment<'_>,
    name: &str,
    ctx: Value,
    source: &str,
    budget: &OutputBudget,
) -> Result<String, EngineError> {
    let template = env
        .get_template(name)
        .map_err(|e| template_error(source, &e))?;
    let mut writer = CappedWriter {
        buf: Vec::new(),
        left: &budget.left,
        spent: false,
    };
    match template.render_captured_to(ctx, &mut writer) {
        Ok(_) => {}
        Err(_) if writer.spent => {
            return Err(EngineError::OutputTooLarge {
                template: source.into(),
                limit: budget.limit,
            });
        }
        Err(e) => return Err(template_error(source, &e)),
    }
    String::from_utf8(writer.buf).map_err(|_| EngineError::NotUtf8 {
        template: source.into(),
    })
}

/// Collects output and fails once the release's output budget is spent.
struct CappedWriter<'a> {
    buf: Vec<u8>,
    left: &'a AtomicUsize,
    spent: bool,
}

impl Write for CappedWriter<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let take = |left: usize| left.checked_sub(data.len());
        if self
            .left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, take)
            .is_err()
        {
            self.left.store(0, Ordering::Relaxed);
            self.spent = true;
            return Err(std::io::Error::other("output limit reached"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn base_context(
    chart: &Chart,
    values: &Values,
    capabilities: &Value,
    options: &RenderOptions,
) -> Value {
    let release = options
        .release
        .clone()
        .unwrap_or_else(|| ReleaseInfo::install("release-name", "default"));
    context! {
        values => serde_value(values),
        chart => serde_value(&chart.metadata),
        release => context! {
            name => release.name,
            namespace => release.namespace,
            revision => release.revision,
            is_install => release.is_install,
            is_upgrade => release.is_upgrade,
            service => "ketch",
        },
        capabilities => capabilities.clone(),
        files => Value::from_object(files::Files::new(&chart.files)),
    }
}

/// The environment every chart of a render starts from: syntax, limits,
/// formatting, filters.
fn shared_environment(options: &RenderOptions) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_auto_reload(false);
    env.set_debug(true);
    env.set_fuel(Some(options.limits.fuel));
    env.set_recursion_limit(options.limits.recursion);
    env.set_formatter(|out, state, value| match value.kind() {
        ValueKind::Bool => out
            .write_str(if value.is_true() { "true" } else { "false" })
            .map_err(Into::into),
        ValueKind::None => out.write_str("null").map_err(Into::into),
        // Maps and lists print as JSON, which YAML reads as a flow collection.
        ValueKind::Map | ValueKind::Seq => {
            filters::measure(value, "printing")?;
            let json = serde_json::to_string(value).map_err(|e| {
                minijinja::Error::new(minijinja::ErrorKind::BadSerialization, e.to_string())
            })?;
            out.write_str(&json).map_err(Into::into)
        }
        _ => minijinja::escape_formatter(out, state, value),
    });
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .expect("the default delimiters are a valid syntax");
    env.set_syntax(syntax);
    filters::register(&mut env);
    // Python's methods (`d.items()`, `s.startswith(...)`), which Jinja authors expect.
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env
}

/// One chart's environment: the shared one, its templates, and the functions
/// that see its context (`tpl`) or the cluster (`lookup`).
fn environment<'a>(
    shared: &Environment<'static>,
    chart: &'a Chart,
    base: &Value,
    options: &RenderOptions,
) -> Environment<'a> {
    let mut env = shared.clone();
    let base = base.clone();
    env.add_function(
        "tpl",
        move |state: &minijinja::State, text: &str, extra: Option<Value>| {
            let ctx = match extra {
                Some(extra) => context! { ..extra, ..base.clone() },
                None => base.clone(),
            };
            let _depth = TplDepth::enter()?;
            nesting::check(text)?;
            state
                .env()
                .render_named_str(&format!("tpl in {}", state.name()), text, ctx)
        },
    );
    let lookup = options.lookup.clone();
    env.add_function(
        "lookup",
        move |api_version: &str, kind: &str, namespace: &str, name: &str| match &lookup {
            None => Ok(serde_value(&serde_json::json!({}))),
            Some(lookup) => lookup
                .lookup(api_version, kind, namespace, name)
                .map(|v| serde_value(&v))
                .map_err(|e| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("lookup: {e}"),
                    )
                }),
        },
    );
    // Templates compile on first use, outside minijinja's lock, so the render's
    // threads compile them in parallel; `Plan` checks every one of them in order.
    let sources: BTreeMap<String, String> = chart
        .templates
        .iter()
        .filter_map(|file| {
            let text = std::str::from_utf8(&file.data).ok()?;
            Some((file.path.clone(), text.to_string()))
        })
        .collect();
    env.set_loader(move |name| match sources.get(name) {
        Some(source) => nesting::check(source).map(|()| Some(source.clone())),
        None => Ok(None),
    });
    env
}

/// How deep `tpl` calls nest on this thread: each one starts a new render
/// with its own recursion limit, so they are bounded here.
struct TplDepth;

/// `tpl` calls within each other; a value that `tpl`s itself stops here.
const MAX_TPL_DEPTH: usize = 16;

thread_local! {
    static TPL_DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl TplDepth {
    fn enter() -> Result<TplDepth, minijinja::Error> {
        let depth = TPL_DEPTH.with(|d| d.get()) + 1;
        if depth > MAX_TPL_DEPTH {
            return Err(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                format!(
                    "tpl: calls nest more than {MAX_TPL_DEPTH} deep (a value that renders itself with tpl?)"
                ),
            ));
        }
        TPL_DEPTH.with(|d| d.set(depth));
        Ok(TplDepth)
    }
}

impl Drop for TplDepth {
    fn drop(&mut self) {
        TPL_DEPTH.with(|d| d.set(d.get() - 1));
    }
}

/// Checks that a template is UTF-8 and compiles, as the render of any template
/// of its chart would need.
fn compile_template(
    env: &Environment<'_>,
    file: &ChartFile,
    source: &str,
) -> Result<(), EngineError> {
    if std::str::from_utf8(&file.data).is_err() {
        return Err(EngineError::NotUtf8 {
            template: source.into(),
        });
    }
    env.get_template(&file.path)
        .map(drop)
        .map_err(|e| template_error(source, &e))
}
