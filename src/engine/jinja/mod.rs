//! The Jinja engine: each ketch chart's templates through minijinja, with the
//! template context DESIGN.md fixes (`values release chart capabilities files
//! template`), strict undefined values, and bounded evaluation.

mod capabilities;
mod diagnostic;
mod files;
pub mod filters;
mod nesting;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use minijinja::value::{Value, ValueKind};
use minijinja::{AutoEscape, Environment, UndefinedBehavior, context, syntax::SyntaxConfig};

use filters::serde_value;

use super::{
    ChartUnit, EngineError, EngineKind, EngineOutput, ReleaseInfo, RenderOptions, RenderedTemplate,
    guard, is_macro_file,
};
use crate::chart::metadata::PRINT_ANNOTATION;
use crate::chart::{Chart, ChartFile};
use crate::parallel;
use crate::values::Values;

/// Renders the Jinja charts among `units`: every chart's environment is set up
/// first, in order; then the templates of all charts render on every core.
pub fn render(
    units: &[ChartUnit<'_>],
    options: &RenderOptions,
) -> Result<EngineOutput, EngineError> {
    let mut plan = Plan::default();
    for (index, unit) in units.iter().enumerate() {
        if unit.engine == EngineKind::Jinja {
            plan.chart(index, unit);
        }
    }
    if plan.charts.is_empty() {
        return Ok(EngineOutput::default());
    }
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
    let mut output = EngineOutput::default();
    for (job, text) in plan.jobs.into_iter().zip(texts) {
        let text = text?;
        if job.compile_only.is_some() {
            continue;
        }
        if job.file == NOTES {
            output.notes = Some(text);
        } else {
            output.templates.push((
                plan.charts[job.unit].index,
                RenderedTemplate {
                    source: job.source,
                    text,
                    engine: EngineKind::Jinja,
                },
            ));
        }
    }
    Ok(output)
}

/// What a render does, in order: the charts to set up and the templates to
/// render with each.
#[derive(Default)]
struct Plan<'a> {
    charts: Vec<Planned<'a>>,
    jobs: Vec<Job>,
}

/// A chart to render, with its values and its path in `# Source:` headers.
struct Planned<'a> {
    /// The chart's index among the render's units.
    index: usize,
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
    /// Plans one Jinja chart's templates.
    fn chart(&mut self, index: usize, unit: &ChartUnit<'a>) {
        let chart = unit.chart;
        let base_path = format!("{}/templates", unit.path);
        let planned = self.charts.len();
        let job = |file: &str, compile_only: Option<usize>| Job {
            unit: planned,
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
        if unit.is_root && chart.templates.iter().any(|f| f.path == NOTES) {
            self.jobs.push(job(NOTES, None));
        }
        self.charts.push(Planned {
            index,
            chart,
            values: unit.values,
            base_path,
        });
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

/// The template printed after an install, never part of the manifest.
const NOTES: &str = "NOTES.txt";

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

/// How a chart converted from Helm's prints (`ketch.dev/print: go`): as Go's
/// templates print, so its output stays Helm's (and undefined values are
/// lenient, as Go's missing keys are). A missing or null value prints
/// nothing (Helm removes Go's `<no value>`), numbers as Go prints a float64
/// (`1e+06`), lists and maps in Go's `[a b]`/`map[k:v]` form.
fn go_formatter(
    out: &mut minijinja::Output<'_>,
    _: &minijinja::State<'_, '_>,
    value: &Value,
) -> Result<(), minijinja::Error> {
    let text = match value.kind() {
        ValueKind::Undefined | ValueKind::None => return Ok(()),
        ValueKind::String => value.as_str().unwrap_or_default().to_string(),
        _ => {
            filters::measure(value, "printing")?;
            let json = filters::exact_json(value).ok_or_else(|| {
                minijinja::Error::new(
                    minijinja::ErrorKind::BadSerialization,
                    "the value cannot be printed as Go prints it",
                )
            })?;
            gotemplate::fmt::sprint_value(&gotemplate::Value::from_json(&json))
        }
    };
    out.write_str(&text).map_err(Into::into)
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
    if chart
        .metadata
        .annotations
        .get(PRINT_ANNOTATION)
        .map(String::as_str)
        == Some("go")
    {
        // Go prints a missing value as nothing: such a chart reads undefined leniently.
        env.set_undefined_behavior(UndefinedBehavior::Lenient);
        env.set_formatter(|out, state, value| go_formatter(out, state, value));
    }
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

/// Compiles the templates of every Jinja chart in the tree of `chart`.
pub fn check_syntax(chart: &Chart) -> Result<(), EngineError> {
    let options = RenderOptions::default();
    let shared = shared_environment(&options);
    check_chart_syntax(chart, chart.name(), &shared, &options)
}

fn check_chart_syntax(
    chart: &Chart,
    path: &str,
    shared: &Environment<'static>,
    options: &RenderOptions,
) -> Result<(), EngineError> {
    if EngineKind::of(chart)? == EngineKind::Jinja {
        let env = environment(shared, chart, &Value::UNDEFINED, options);
        for file in &chart.templates {
            compile_template(&env, file, &format!("{path}/templates/{}", file.path))?;
        }
    }
    for sub in &chart.subcharts {
        check_chart_syntax(
            sub,
            &format!("{path}/charts/{}", sub.name()),
            shared,
            options,
        )?;
    }
    Ok(())
}
