//! The Helm engine: Helm charts' Go templates rendered as Helm v4's engine
//! renders them (`pkg/engine`).
//!
//! - One template namespace across every Helm chart of the render, parsed in
//!   Helm's order (deepest paths first, then by name, reversed), so that a
//!   parent's `define` wins over a subchart's.
//! - Templates are named `chart/templates/x.yaml`,
//!   `chart/charts/sub/templates/y.yaml`; partials (`_*`) are parsed, never
//!   executed; a library chart contributes only its partials.
//! - Each chart's templates see `.Values` (its scope plus `global`),
//!   `.Release`, `.Chart`, `.Capabilities`, `.Files`, `.Subcharts` and
//!   `.Template`; `<no value>` is removed from the output as Helm removes it.
//! - Errors are reworded as Helm rewords them (`execution error at (...)`).

mod defaults;
mod files;
mod objects;

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use gotemplate::{ErrorKind, FuncMap, Limits, Templates, Type, Value};

use self::objects::HelmCapabilities;
use super::{
    Capabilities, ChartUnit, EngineError, EngineKind, EngineOutput, Lookup, ReleaseInfo,
    RenderOptions, RenderedTemplate, is_macro_file,
};
use crate::chart::Chart;

/// Where Helm's `required` and `fail` put their message, so that the error
/// report can show it alone.
const ERR_START: &str = "HELM_ERR_START";
const ERR_END: &str = "HELM_ERR_END";

const NOTES_SUFFIX: &str = "NOTES.txt";

/// How deep `include`, `template` and `tpl` may nest: Helm stops at 1000 nested
/// includes of one template.
const HELM_MAX_DEPTH: usize = 1000;

/// The Kubernetes version Helm checks a chart's `kubeVersion` against.
pub fn kube_version(capabilities: &Capabilities) -> String {
    HelmCapabilities::new(capabilities)
        .normalized_kube_version()
        .to_string()
}

/// One template of the namespace.
struct Source<'a> {
    name: String,
    text: &'a str,
    unit: usize,
    base_path: String,
}

/// Renders the Helm charts among `units` in one namespace.
pub fn render(
    units: &[ChartUnit<'_>],
    options: &RenderOptions,
) -> Result<EngineOutput, EngineError> {
    if !units.iter().any(|u| u.engine == EngineKind::Helm) {
        return Ok(EngineOutput::default());
    }
    let library = gotemplate::helm::funcs();
    let to_yaml = yaml_printer(&library);
    let mut funcs = library;
    funcs.extend(engine_funcs(options.lookup.clone(), options.lint));
    let contexts = contexts(units, options, &to_yaml);

    let mut sources = Vec::new();
    for (index, unit) in units.iter().enumerate() {
        if unit.engine != EngineKind::Helm {
            continue;
        }
        let library_chart = unit.chart.metadata.is_library();
        for file in &unit.chart.templates {
            if library_chart && !is_macro_file(&file.path) {
                continue;
            }
            let name = format!("{}/templates/{}", unit.path, file.path);
            let text = std::str::from_utf8(&file.data).map_err(|_| EngineError::NotUtf8 {
                template: name.clone(),
            })?;
            sources.push(Source {
                name,
                text,
                unit: index,
                base_path: format!("{}/templates", unit.path),
            });
        }
    }
    sort_templates(&mut sources);

    let mut templates = Templates::new(funcs);
    for source in &sources {
        templates
            .parse(&source.name, source.text)
            .map_err(|e| EngineError::Helm(parse_error(&source.name, &e)))?;
    }

    let mut left = options.limits.max_output_bytes;
    let mut output = EngineOutput::default();
    let root_notes = units
        .first()
        .filter(|u| u.engine == EngineKind::Helm)
        .map(|u| format!("{}/templates/{NOTES_SUFFIX}", u.path));
    for source in sources.iter().filter(|s| !is_macro_file(&s.name)) {
        let Some(Value::Map(context)) = contexts.get(&source.unit) else {
            continue;
        };
        let mut template = BTreeMap::new();
        template.insert("Name".to_string(), Value::from(source.name.as_str()));
        template.insert(
            "BasePath".to_string(),
            Value::from(source.base_path.as_str()),
        );
        context
            .borrow_mut()
            .insert("Template".into(), Value::map(template));
        let limits = Limits {
            fuel: options.limits.fuel,
            max_depth: HELM_MAX_DEPTH,
            max_output: left,
        };
        let text = templates
            .execute(&source.name, &Value::Map(context.clone()), &limits)
            .map_err(|e| match e.kind {
                ErrorKind::OutputLimit => EngineError::OutputTooLarge {
                    template: source.name.clone(),
                    limit: options.limits.max_output_bytes,
                },
                _ => EngineError::Helm(exec_error(&source.name, &e)),
            })?;
        left = left.saturating_sub(text.len());
        let text = text.replace("<no value>", "");
        // Helm takes every `*NOTES.txt` out of the manifest; only the root's is printed.
        if source.name.ends_with(NOTES_SUFFIX) {
            if root_notes.as_deref() == Some(source.name.as_str()) {
                output.notes = Some(text);
            }
            continue;
        }
        output.templates.push((
            source.unit,
            RenderedTemplate {
                source: source.name.clone(),
                text,
                engine: EngineKind::Helm,
            },
        ));
    }
    output
        .templates
        .sort_by(|(a, x), (b, y)| (a, &x.source).cmp(&(b, &y.source)));
    // A render's parsed templates live as long as the command: freeing their trees node
    // by node took a tenth of kube-prometheus-stack's render, so they are left to the exit.
    std::mem::forget(templates);
    Ok(output)
}

/// Parses the templates of every Helm chart in the tree of `chart` (each chart
/// in a namespace of its own: a syntax error is the chart's, whatever defines
/// its parents have).
pub fn check_syntax(chart: &Chart) -> Result<(), EngineError> {
    check_chart_syntax(chart, chart.name(), &functions())
}

/// Every function a Helm chart's templates may call (Sprig's and Helm's; `lookup`
/// finds nothing), for parsing them outside a render.
pub fn functions() -> FuncMap {
    let mut funcs = gotemplate::helm::funcs();
    funcs.extend(engine_funcs(None, false));
    funcs
}

fn check_chart_syntax(chart: &Chart, path: &str, funcs: &FuncMap) -> Result<(), EngineError> {
    if EngineKind::of(chart)? == EngineKind::Helm {
        let mut templates = Templates::new(funcs.clone());
        for file in &chart.templates {
            let name = format!("{path}/templates/{}", file.path);
            let text = std::str::from_utf8(&file.data).map_err(|_| EngineError::NotUtf8 {
                template: name.clone(),
            })?;
            templates
                .parse(&name, text)
                .map_err(|e| EngineError::Helm(parse_error(&name, &e)))?;
        }
    }
    for sub in &chart.subcharts {
        check_chart_syntax(sub, &format!("{path}/charts/{}", sub.name()), funcs)?;
    }
    Ok(())
}

/// Helm's parse order: templates with more path segments first, then by name
/// in reverse (`sort.Reverse(byPathLen)`), so that where two define the same
/// name, the one parsed last — nearer the root — wins.
fn sort_templates(sources: &mut [Source<'_>]) {
    sources.sort_by(|a, b| {
        let key = |s: &Source<'_>| (s.name.matches('/').count(), s.name.clone());
        key(b).cmp(&key(a))
    });
}

/// Every Helm chart's top-level object, by unit. A subchart's `.Values` is its
/// parent's `.Values.<name>` (the same map, as in Helm), and `.Subcharts`
/// holds each Helm subchart's own object.
fn contexts(
    units: &[ChartUnit<'_>],
    options: &RenderOptions,
    to_yaml: &Rc<dyn Fn(&Value) -> String>,
) -> BTreeMap<usize, Value> {
    let release = objects::release(
        &options
            .release
            .clone()
            .unwrap_or_else(|| ReleaseInfo::install("release-name", "default")),
    );
    let capabilities = Value::Object(Rc::new(HelmCapabilities::new(&options.capabilities)));
    let mut contexts: BTreeMap<usize, Value> = BTreeMap::new();
    for (index, unit) in units.iter().enumerate() {
        if unit.engine != EngineKind::Helm {
            continue;
        }
        let parent_values = unit
            .parent
            .and_then(|p| contexts.get(&p))
            .and_then(|context| field(context, "Values"));
        let values = match parent_values {
            Some(Value::Map(parent)) => match parent.borrow().get(unit.chart.name()) {
                Some(Value::Map(own)) => Value::Map(own.clone()),
                _ => Value::empty_map(),
            },
            _ => unit
                .values
                .map(|v| Value::from_json(&serde_json::Value::Object(v.clone())))
                .unwrap_or_else(Value::empty_map),
        };
        let mut context = BTreeMap::new();
        context.insert(
            "Chart".into(),
            objects::chart(&unit.chart.metadata, unit.is_root),
        );
        context.insert(
            "Files".into(),
            Value::Object(Rc::new(files::Files::new(
                &unit.chart.files,
                unit.chart.metadata.api_version == "v1",
                to_yaml.clone(),
            ))),
        );
        context.insert("Release".into(), release.clone());
        context.insert("Capabilities".into(), capabilities.clone());
        context.insert("Values".into(), values);
        context.insert("Subcharts".into(), Value::empty_map());
        let context = Value::map(context);
        if let Some(Some(Value::Map(parent_subcharts))) = unit
            .parent
            .map(|p| contexts.get(&p).and_then(|c| field(c, "Subcharts")))
        {
            parent_subcharts
                .borrow_mut()
                .insert(unit.chart.name().to_string(), context.clone());
        }
        contexts.insert(index, context);
    }
    contexts
}

/// The one string argument of a method of a built-in object, checked as Go checks it.
fn string_arg<'a>(method: &str, args: &'a [Value]) -> Result<&'a str, String> {
    match args {
        [Value::String(s)] => Ok(s),
        [other] => Err(format!(
            "wrong type for value; expected string; got {}",
            other.type_name()
        )),
        _ => Err(format!(
            "wrong number of args for {method}: want 1 got {}",
            args.len()
        )),
    }
}

fn field(map: &Value, key: &str) -> Option<Value> {
    match map {
        Value::Map(map) => map.borrow().get(key).cloned(),
        _ => None,
    }
}

/// Helm's `toYAML` (for `.Files.AsConfig`): the library's `toYaml`, or nothing.
fn yaml_printer(library: &FuncMap) -> Rc<dyn Fn(&Value) -> String> {
    let to_yaml = library.get("toYaml").cloned();
    Rc::new(move |value| {
        to_yaml
            .as_ref()
            .and_then(|f| (f.body)(std::slice::from_ref(value)).ok())
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    })
}

/// The functions Helm's engine defines for each render (`initFunMap`).
fn engine_funcs(lookup: Option<Arc<dyn Lookup>>, lint: bool) -> FuncMap {
    let mut funcs = FuncMap::new();
    funcs.add("required", &[Type::String, Type::Any], None, move |args| {
        let empty = match &args[1] {
            Value::Nil => true,
            Value::String(s) => s.is_empty(),
            _ => false,
        };
        match (&args[0], empty) {
            // Helm's lint mode goes on without the value.
            (Value::String(_), true) if lint => Ok(Value::from("")),
            (Value::String(message), true) => Err(format!("{ERR_START}{message}{ERR_END}")),
            _ => Ok(args[1].clone()),
        }
    });
    funcs.add("fail", &[Type::String], None, move |args| {
        if lint {
            return Ok(Value::from(""));
        }
        Err(format!(
            "{ERR_START}{}{ERR_END}",
            args[0].as_str().unwrap_or_default()
        ))
    });
    // DNS lookups are off in Helm unless `--enable-dns`.
    funcs.add("getHostByName", &[Type::String], None, |_| {
        Ok(Value::from(""))
    });
    funcs.add(
        "lookup",
        &[Type::String, Type::String, Type::String, Type::String],
        None,
        move |args| {
            let arg = |i: usize| args[i].as_str().unwrap_or_default();
            match &lookup {
                None => Ok(Value::empty_map()),
                Some(lookup) => lookup
                    .lookup(arg(0), arg(1), arg(2), arg(3))
                    .map(|json| unstructured(&json)),
            }
        },
    );
    funcs
}

/// An object from the cluster as Helm's `lookup` gives it (client-go's
/// unstructured JSON): whole numbers are `int64`, others `float64`.
fn unstructured(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int64(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::Array(items) => Value::list(items.iter().map(unstructured).collect()),
        serde_json::Value::Object(map) => Value::map(
            map.iter()
                .map(|(k, v)| (k.clone(), unstructured(v)))
                .collect(),
        ),
        other => Value::from_json(other),
    }
}

/// Helm's `cleanupParseError`: `parse error at (NAME:LINE): MESSAGE`.
fn parse_error(name: &str, error: &gotemplate::Error) -> String {
    let text = error.to_string();
    let tokens: Vec<&str> = text.split(": ").collect();
    if tokens.len() == 1 {
        return format!("parse error in ({name}): {text}");
    }
    format!(
        "parse error at ({}): {}",
        tokens[1],
        tokens[tokens.len() - 1]
    )
}

/// Helm's `reformatExecErrorMsg`: `required`'s and `fail`'s messages as
/// `execution error at (NAME:LINE:COL): MESSAGE`; other template errors as
/// one block per template in the chain (location, `executing ... at <...>:`,
/// message); an error from inside a function as Go wrote it.
fn exec_error(name: &str, error: &gotemplate::Error) -> String {
    if error.kind == ErrorKind::Parse {
        return parse_error(name, error);
    }
    let text = &error.to_string();
    let tokens: Vec<&str> = text.splitn(3, ": ").collect();
    if tokens.len() != 3 {
        return format!("execution error in ({name}): {text}");
    }
    if let Some(start) = tokens[2].find(ERR_START)
        && let Some(end) = tokens[2].rfind(ERR_END)
        && end >= start + ERR_START.len()
    {
        return format!(
            "execution error at ({}): {}",
            tokens[1],
            &tokens[2][start + ERR_START.len()..end]
        );
    }
    let mut blocks: Vec<String> = Vec::new();
    let mut current = text.as_str();
    loop {
        let Some(trace) = traceable(current) else {
            return text.clone();
        };
        // A function's own error ends the chain: Helm prints the whole error.
        if trace.wraps_function_error {
            return text.clone();
        }
        let block = trace.block();
        if blocks.last() != Some(&block) {
            blocks.push(block);
        }
        match trace.next {
            // A template error wrapped by `include`, `tpl`, ...: the chain goes on.
            Some(next) => current = next,
            None => break,
        }
    }
    blocks.concat().trim().to_string()
}

/// One link of a Go template error chain, as Helm's `TraceableError`.
struct Trace<'a> {
    location: &'a str,
    executed: Option<String>,
    message: &'a str,
    /// The wrapped error's text, when it is a template error itself.
    next: Option<&'a str>,
    /// The message wraps an error a function returned (`error calling b64dec: ...`,
    /// `error calling tpl: error during tpl function execution ...`), not a template's.
    wraps_function_error: bool,
}

impl Trace<'_> {
    fn block(&self) -> String {
        let mut out = String::new();
        if !self.location.is_empty() {
            out.push_str(self.location);
            out.push_str("\n  ");
        }
        if let Some(executed) = &self.executed {
            out.push_str(executed);
            out.push_str("\n    ");
        }
        if !self.message.is_empty() {
            out.push_str(self.message);
            out.push('\n');
        }
        out
    }
}

fn traceable(text: &str) -> Option<Trace<'_>> {
    let rest = text.strip_prefix("template: ")?;
    if rest.starts_with("no template ") {
        return Some(Trace {
            location: "",
            executed: None,
            message: text,
            next: None,
            wraps_function_error: false,
        });
    }
    let (location, executed, message) = match rest.split_once(": executing ") {
        Some((location, after)) if after.starts_with('"') => {
            let end = after[1..].find('"')? + 1;
            let function = &after[1..end];
            let at = after[end + 1..].strip_prefix(" at <")?;
            let (context, message) = at.split_once(">: ")?;
            (
                location,
                Some(format!("executing \"{function}\" at <{context}>:")),
                message,
            )
        }
        _ => {
            let sep = rest.rfind(": ")?;
            (&rest[..sep], None, &rest[sep + 2..])
        }
    };
    let (message, next) = match message.find(" template:") {
        Some(cut) => (&message[..cut], Some(&message[cut + 1..])),
        None => (message, None),
    };
    Some(Trace {
        location,
        executed,
        message,
        next,
        wraps_function_error: message.starts_with("error calling ") && !message.ends_with(':'),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error whose text Go printed as `text` (`template: ...`).
    fn exec(text: &str) -> String {
        let message = text.strip_prefix("template: ").unwrap_or(text);
        let error = gotemplate::Error {
            kind: ErrorKind::Exec,
            template: String::new(),
            line: 0,
            col: 0,
            message: message.into(),
        };
        assert_eq!(error.to_string(), text);
        exec_error("c/templates/x.yaml", &error)
    }

    // Expected strings are what Helm v4 prints for these Go errors (engine.go's reformatting).
    #[test]
    fn fail_and_required_show_their_message_at_the_call() {
        assert_eq!(
            exec(
                "template: c/templates/x.yaml:3:4: executing \"c/templates/x.yaml\" at <fail \"no\">: error calling fail: HELM_ERR_STARTnoHELM_ERR_END"
            ),
            "execution error at (c/templates/x.yaml:3:4): no"
        );
    }

    #[test]
    fn template_errors_become_a_trace() {
        assert_eq!(
            exec(
                "template: c/templates/x.yaml:3:10: executing \"c/templates/x.yaml\" at <.Values.a.b>: nil pointer evaluating interface {}.b"
            ),
            "c/templates/x.yaml:3:10\n  executing \"c/templates/x.yaml\" at <.Values.a.b>:\n    nil pointer evaluating interface {}.b"
        );
        let nested = "template: c/templates/x.yaml:1:3: executing \"c/templates/x.yaml\" at <include \"h\" .>: error calling include: template: c/templates/_h.tpl:2:5: executing \"h\" at <.Values.a.b>: nil pointer evaluating interface {}.b";
        assert_eq!(
            exec(nested),
            "c/templates/x.yaml:1:3\n  executing \"c/templates/x.yaml\" at <include \"h\" .>:\n    error calling include:\nc/templates/_h.tpl:2:5\n  executing \"h\" at <.Values.a.b>:\n    nil pointer evaluating interface {}.b"
        );
    }

    #[test]
    fn function_errors_are_left_as_go_wrote_them() {
        let text = "template: c/templates/x.yaml:1:3: executing \"c/templates/x.yaml\" at <b64dec 1>: error calling b64dec: illegal base64 data";
        assert_eq!(exec(text), text);
    }

    #[test]
    fn parse_errors_name_the_place() {
        let e = gotemplate::Error {
            kind: ErrorKind::Parse,
            template: "c/templates/x.yaml".into(),
            line: 7,
            col: 0,
            message: "unexpected \"}\" in operand".into(),
        };
        assert_eq!(
            e.to_string(),
            "template: c/templates/x.yaml:7: unexpected \"}\" in operand"
        );
        assert_eq!(
            parse_error("c/templates/x.yaml", &e),
            "parse error at (c/templates/x.yaml:7): unexpected \"}\" in operand"
        );
    }

    #[test]
    fn parents_parse_after_their_subcharts() {
        let mut sources: Vec<Source<'_>> = [
            "p/templates/a.yaml",
            "p/charts/s/templates/_h.tpl",
            "p/templates/_h.tpl",
            "p/charts/s/templates/z.yaml",
        ]
        .iter()
        .map(|n| Source {
            name: n.to_string(),
            text: "",
            unit: 0,
            base_path: String::new(),
        })
        .collect();
        sort_templates(&mut sources);
        let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "p/charts/s/templates/z.yaml",
                "p/charts/s/templates/_h.tpl",
                "p/templates/a.yaml",
                "p/templates/_h.tpl"
            ]
        );
    }
}
