//! One Go template file to Jinja: the parse tree the Helm engine executes,
//! written back as ketch's Jinja (trim markers already applied by the parser,
//! so every text is emitted as it is and every tag keeps the whitespace
//! around it with `{%+ ... +%}` where Jinja's trim settings would take it).
//!
//! `.` becomes `root` (a dict shaped like Helm's top-level object) at the top
//! level and the `dot` parameter inside a macro; `.Values.x` at the top level
//! reads `values.x`. A `define` becomes a macro of `_converted.j2`; `include`
//! and `template` call it. Sprig functions map to ketch's filters. What has no
//! exact translation is written as a call of `untranslated("...")`, which
//! fails the render, and listed.

use std::collections::BTreeMap;

use gotemplate::parse::{Arg, Branch, Command, List, Node, Pipe, Tree};

/// Where `.` points.
#[derive(Clone)]
enum Dot {
    /// Helm's top-level object (in a template file).
    Root,
    /// A Jinja expression (a macro's `dot`, a loop item, a `with` value).
    Expr(String),
}

pub struct Translator<'a> {
    /// Go template name → macro name.
    pub macros: &'a BTreeMap<String, String>,
    /// Calls to macros need the `h.` prefix (outside the macro file).
    pub prefix: &'a str,
    /// The constructs that could not be translated, with their place.
    pub untranslated: Vec<String>,
    /// `root` is read (the top-level template must define it).
    pub uses_root: bool,
    file: String,
    dots: Vec<Dot>,
    /// `$` inside a macro is its `dot`; in a file, the root.
    dollar: Dot,
    counter: usize,
    /// Statements the expression being translated needs first (see `include_file`).
    prelude: String,
    /// Go variables bound by the enclosing `range`s (Jinja loop variables).
    loop_vars: Vec<String>,
    /// The `vars` namespace is read (the template or macro must create it).
    uses_vars: bool,
}

impl<'a> Translator<'a> {
    pub fn new(macros: &'a BTreeMap<String, String>, prefix: &'a str, file: &str) -> Self {
        Translator {
            macros,
            prefix,
            untranslated: Vec::new(),
            uses_root: false,
            file: file.to_string(),
            dots: vec![Dot::Root],
            dollar: Dot::Root,
            counter: 0,
            prelude: String::new(),
            loop_vars: Vec::new(),
            uses_vars: false,
        }
    }

    /// A file's top-level template.
    pub fn file(&mut self, tree: &Tree) -> String {
        let mut out = String::new();
        self.list(&mut out, &tree.root);
        match std::mem::take(&mut self.uses_vars) {
            true => format!("{VARS}{out}"),
            false => out,
        }
    }

    /// A `define` as a macro taking `dot`.
    pub fn define(&mut self, name: &str, tree: &Tree) -> String {
        self.dots = vec![Dot::Expr("dot".into())];
        self.dollar = Dot::Expr("dot".into());
        let mut body = String::new();
        self.list(&mut body, &tree.root);
        self.dots = vec![Dot::Root];
        self.dollar = Dot::Root;
        // The body is Go's text exactly: no whitespace control may touch it.
        let vars = match std::mem::take(&mut self.uses_vars) {
            true => "{%+ set vars = namespace() +%}",
            false => "",
        };
        format!("{{% macro {name}(dot) +%}}{vars}{body}{{%+ endmacro %}}\n")
    }

    /// A Go variable in Jinja: a `range`'s own is a loop variable; any other lives in the
    /// `vars` namespace, so that `$x = ...` inside a loop changes it after the loop too, as in Go.
    fn var(&mut self, go: &str) -> String {
        if self.loop_vars.iter().any(|v| v == go) {
            var_name(go)
        } else {
            self.uses_vars = true;
            format!("vars.{}", var_name(go))
        }
    }

    fn fresh(&mut self, base: &str) -> String {
        self.counter += 1;
        format!("{base}{}", self.counter)
    }

    fn miss(&mut self, what: &str) -> String {
        self.untranslated.push(format!("{}: {what}", self.file));
        format!("untranslated({})", literal(what))
    }

    fn list(&mut self, out: &mut String, list: &List) {
        for node in &list.nodes {
            self.node(out, node);
        }
    }

    fn node(&mut self, out: &mut String, node: &Node) {
        match node {
            Node::Text(text) => out.push_str(&escape_text(text)),
            Node::Action(pipe) if set_target(pipe).is_some() => {
                // `$_ := set $d "k" v` changes `$d` in Go: here `$d` is bound again.
                let target = self.var(&set_target(pipe).unwrap_or_default());
                let e = self.head(out, pipe);
                tag(out, &format!("set {target} = {e}"));
                if let Some((_, name)) = pipe.decl.first() {
                    let name = self.var(name);
                    tag(out, &format!("set {name} = {target}"));
                }
            }
            Node::Action(pipe) => {
                let e = self.head(out, pipe);
                if pipe.decl.is_empty() {
                    out.push_str(&format!("{{{{ {e} }}}}"));
                } else {
                    let name = self.var(&pipe.decl[0].1);
                    tag(out, &format!("set {name} = {e}"));
                }
            }
            Node::If(b) => {
                let cond = self.head(out, &b.pipe);
                tag(out, &format!("if {cond}"));
                self.branch_lists(out, b, None, "endif");
            }
            Node::With(b) => {
                let value = self.head(out, &b.pipe);
                let name = self.fresh("with");
                tag(out, &format!("with {name} = {value}"));
                tag(out, &format!("if {name}"));
                self.branch_lists(out, b, Some(name), "endif");
                tag(out, "endwith");
            }
            Node::Range(b) => self.range(out, b),
            Node::Template(call) => {
                let arg = match &call.pipe {
                    Some(p) => self.pipe(p),
                    None => "none".into(),
                };
                let e = self.call_macro(&call.name, arg);
                out.push_str(&format!("{{{{ {e} }}}}"));
            }
            Node::Break(_) => tag(out, "break"),
            Node::Continue(_) => tag(out, "continue"),
        }
    }

    /// The pipeline of a block tag, with the statements it needs written first.
    fn head(&mut self, out: &mut String, pipe: &Pipe) -> String {
        let e = self.pipe(pipe);
        out.push_str(&std::mem::take(&mut self.prelude));
        e
    }

    /// A block's list (with `.` set to `dot` when given), its else list, its end tag.
    fn branch_lists(&mut self, out: &mut String, b: &Branch, dot: Option<String>, end: &str) {
        let scoped = dot.is_some();
        if let Some(d) = dot {
            self.dots.push(Dot::Expr(d));
        }
        self.list(out, &b.list);
        if scoped {
            self.dots.pop();
        }
        if let Some(e) = &b.else_list {
            tag(out, "else");
            self.list(out, e);
        }
        tag(out, end);
    }

    /// `range`: Go walks a map's values in key order and a list's items; `entries`
    /// gives (key or index, value) pairs for both.
    fn range(&mut self, out: &mut String, b: &Branch) {
        let over = self.head(out, &b.pipe);
        let (key, value) = match b.pipe.decl.as_slice() {
            [] => (self.fresh("_k"), self.fresh("item")),
            [(_, v)] => (self.fresh("_k"), var_name(v)),
            [(_, k), (_, v), ..] => (var_name(k), var_name(v)),
        };
        let bound = b.pipe.decl.len();
        self.loop_vars
            .extend(b.pipe.decl.iter().map(|(_, name)| name.to_string()));
        tag(out, &format!("for {key}, {value} in {over} | entries"));
        self.branch_lists(out, b, Some(value), "endfor");
        self.loop_vars.truncate(self.loop_vars.len() - bound);
    }

    /// `include (print $.Template.BasePath "/file")`: the other template's output, rendered
    /// into a variable just before the action that uses it.
    fn include_file(&mut self, file: &str) -> String {
        let name = self.fresh("included");
        self.prelude.push_str(&format!(
            "{{%+ set {name} %}}{{% include {} %}}{{% endset +%}}",
            literal(file)
        ));
        name
    }

    fn call_macro(&mut self, name: &str, arg: String) -> String {
        match self.macros.get(name) {
            Some(m) => format!("{}{m}({arg})", self.prefix),
            None => self.miss(&format!("template {name:?} is not defined in this chart")),
        }
    }

    fn pipe(&mut self, pipe: &Pipe) -> String {
        let mut value: Option<String> = None;
        for cmd in &pipe.cmds {
            value = Some(self.command(cmd, value));
        }
        value.unwrap_or_else(|| "none".into())
    }

    fn dot(&mut self) -> Dot {
        self.dots.last().cloned().unwrap_or(Dot::Root)
    }

    fn dot_expr(&mut self, dot: &Dot) -> String {
        match dot {
            Dot::Root => {
                self.uses_root = true;
                "root".into()
            }
            Dot::Expr(e) => e.clone(),
        }
    }

    /// One command of a pipeline; `piped` is the previous command's value (Go's last argument).
    fn command(&mut self, cmd: &Command, piped: Option<String>) -> String {
        let Some(first) = cmd.args.first() else {
            return "none".into();
        };
        let rest = &cmd.args[1..];
        if let Arg::Identifier { name, .. } = first {
            let mut args: Vec<String> = rest.iter().map(|a| self.arg(a)).collect();
            args.extend(piped);
            return self.function(name, args, rest);
        }
        // A method call: `.Files.Get "x"`, `.Capabilities.APIVersions.Has "x"`.
        if !rest.is_empty() || piped.is_some() {
            let mut args: Vec<String> = rest.iter().map(|a| self.arg(a)).collect();
            args.extend(piped);
            return self.method(first, args);
        }
        self.arg(first)
    }

    fn method(&mut self, target: &Arg, args: Vec<String>) -> String {
        let fields: Vec<&str> = match target {
            Arg::Field(_, f) => f.iter().map(|s| s.as_ref()).collect(),
            Arg::Variable(_, v) => v[1..].iter().map(|s| s.as_ref()).collect(),
            _ => return self.miss("a call of a value that is not a method Helm defines"),
        };
        match (fields.as_slice(), args.as_slice()) {
            // Every chart of the tree sees the same capabilities; `.Files` of the converted chart.
            ([.., "Files", "Get"], [a]) => format!("files.get({a})"),
            ([.., "Capabilities", "APIVersions", "Has"], [a]) => format!("capabilities.has({a})"),
            _ => self.miss(&format!(".{} with arguments", fields.join("."))),
        }
    }

    fn arg(&mut self, arg: &Arg) -> String {
        match arg {
            Arg::Dot(_) => {
                let d = self.dot();
                self.dot_expr(&d)
            }
            Arg::Nil(_) => "none".into(),
            Arg::Bool(_, b) => b.to_string(),
            Arg::Number(_, n) => n.text.clone(),
            Arg::String { value, .. } => literal(value.as_str().unwrap_or_default()),
            Arg::Field(_, fields) => {
                let d = self.dot();
                self.fields(&d, fields)
            }
            Arg::Variable(_, parts) => {
                if parts[0].as_ref() == "$" {
                    let d = self.dollar.clone();
                    self.fields(&d, &parts[1..])
                } else {
                    let mut e = self.var(&parts[0]);
                    for f in &parts[1..] {
                        e = attr(&e, f);
                    }
                    e
                }
            }
            Arg::Pipe(p) => format!("({})", self.pipe(p)),
            // Go reads a field of a missing value as nothing: so does `{}`.
            Arg::Chain { node, fields, .. } => {
                let mut e = format!("({} or {{}})", self.arg(node));
                for f in fields {
                    e = attr(&e, f);
                }
                e
            }
            Arg::Identifier { name, .. } => self.function(name, Vec::new(), &[]),
        }
    }

    /// `.A.B` from `dot`: Helm's top-level object reads ketch's context names.
    fn fields(&mut self, dot: &Dot, fields: &[std::rc::Rc<str>]) -> String {
        let names: Vec<&str> = fields.iter().map(|f| f.as_ref()).collect();
        if let Dot::Root = dot
            && let Some((base, used)) = context_name(&names)
        {
            let mut e = base;
            for f in &names[used..] {
                e = attr(&e, f);
            }
            return e;
        }
        let mut e = self.dot_expr(dot);
        for f in &names {
            e = attr(&e, f);
        }
        e
    }

    fn function(&mut self, name: &str, a: Vec<String>, raw: &[Arg]) -> String {
        let n = a.len();
        if let Some((_, filter)) = FILTERS.iter().find(|(go, _)| *go == name)
            && let Some((last, rest)) = a.split_last()
        {
            return match rest {
                [] => format!("({last} | {filter})"),
                _ => format!("({last} | {filter}({}))", rest.join(", ")),
            };
        }
        let bin = |op: &str, a: &[String]| format!("({} {op} {})", a[0], a[1]);
        match (name, n) {
            ("eq", 2..) => {
                let alts: Vec<String> = a[1..].iter().map(|b| format!("{} == {b}", a[0])).collect();
                format!("({})", alts.join(" or "))
            }
            ("ne", 2) => bin("!=", &a),
            ("lt", 2) => bin("<", &a),
            ("le", 2) => bin("<=", &a),
            ("gt", 2) => bin(">", &a),
            ("ge", 2) => bin(">=", &a),
            ("and", 1..) => format!("({})", a.join(" and ")),
            ("or", 1..) => format!("({})", a.join(" or ")),
            ("not", 1) => format!("(not {})", a[0]),
            ("empty", 1) => format!("(not {})", a[0]),
            ("default", 2) => format!("({} | default({}, true))", a[1], a[0]),
            ("coalesce", 1..) => format!("({})", a.join(" or ")),
            ("ternary", 3) => format!("({} if {} else {})", a[0], a[2], a[1]),
            ("b64enc", 1) => format!("({} | b64encode)", a[0]),
            ("b64dec", 1) => format!("({} | b64decode)", a[0]),
            ("sha256sum", 1) => format!("({} | sha256)", a[0]),
            ("hasKey", 2) => format!("({} in {})", a[1], a[0]),
            ("contains", 2) => format!("({} in {})", a[0], a[1]),
            ("hasPrefix", 2) => format!("{}.startswith({})", a[1], a[0]),
            ("hasSuffix", 2) => format!("{}.endswith({})", a[1], a[0]),
            ("list", _) => format!("[{}]", a.join(", ")),
            ("dict", _) if n.is_multiple_of(2) => {
                let pairs: Vec<String> =
                    a.chunks(2).map(|p| format!("{}: {}", p[0], p[1])).collect();
                format!("{{{}}}", pairs.join(", "))
            }
            ("fail", 1) => format!("fail({})", a[0]),
            ("lookup", 4) => format!("lookup({})", a.join(", ")),
            ("semverCompare", 2) => format!("semver_compare({}, {})", a[0], a[1]),
            // Sprig's merge: the first map wins; mergeOverwrite: the last.
            ("merge", 1..) => {
                let reversed: Vec<String> = a.iter().rev().cloned().collect();
                format!("merge({})", reversed.join(", "))
            }
            ("mergeOverwrite", 1..) => format!("merge({})", a.join(", ")),
            ("has", 2) => format!("({} in {})", a[0], a[1]),
            ("concat", 1..) => format!("({})", a.join(" + ")),
            ("append", 2) => format!("({} + [{}])", a[0], a[1]),
            ("prepend", 2) => format!("([{}] + {})", a[1], a[0]),
            ("uniq" | "mustUniq", 1) => format!("({} | unique | list)", a[0]),
            ("keys", 1) => format!("({} | list | sort)", a[0]),
            ("index", 2..) => {
                let mut e = a[0].clone();
                for k in &a[1..] {
                    e = format!("{e}[{k}]");
                }
                e
            }
            ("get", 2) => format!("({0}[{1}] if {1} in {0} else \"\")", a[0], a[1]),
            ("splitList", 2) => format!("{}.split({})", a[1], a[0]),
            ("until", 1) => format!("range({})", a[0]),
            ("omit", 2..) => format!("({} | omit({}))", a[0], a[1..].join(", ")),
            ("typeIs", 2) => match raw.first() {
                Some(Arg::String { value, .. }) => match value.as_str().unwrap_or_default() {
                    "string" => format!("({} is string)", a[1]),
                    "bool" => format!("({} is boolean)", a[1]),
                    "float64" | "int" | "int64" => format!("({} is number)", a[1]),
                    "map[string]interface {}" => format!("({} is mapping)", a[1]),
                    "[]interface {}" => {
                        format!("({} is sequence and {} is not string)", a[1], a[1])
                    }
                    other => self.miss(&format!("typeIs {other:?}")),
                },
                _ => self.miss("typeIs of a computed type"),
            },
            ("print", _) => format!(
                "({})",
                a.iter()
                    .map(|x| format!("({x} | string)"))
                    .collect::<Vec<_>>()
                    .join(" ~ ")
            ),
            ("printf", 1..) => self.printf(raw, &a),
            ("include", 2) => match raw.first() {
                Some(Arg::String { value, .. }) => {
                    let name = value.as_str().unwrap_or_default().to_string();
                    self.call_macro(&name, a[1].clone())
                }
                _ => match raw.first().and_then(base_path_file) {
                    Some(file) => self.include_file(&file),
                    None => self.miss("include of a computed template name"),
                },
            },
            ("tpl", 2) => format!("helm_tpl({}, {})", a[0], a[1]),
            ("kindIs", 2) => match raw.first() {
                Some(Arg::String { value, .. }) => match value.as_str().unwrap_or_default() {
                    "map" => format!("({} is mapping)", a[1]),
                    "slice" => format!("({} is sequence and {} is not string)", a[1], a[1]),
                    "string" => format!("({} is string)", a[1]),
                    "bool" => format!("({} is boolean)", a[1]),
                    other => self.miss(&format!("kindIs {other:?}")),
                },
                _ => self.miss("kindIs of a computed kind"),
            },
            // Sprig's other functions, called as Go calls them.
            _ if SPRIG.with(|f| f.contains(name)) && !matches!(name, "lookup" | "htpasswd") => {
                let mut args = vec![literal(name)];
                args.extend(a);
                format!("sprig({})", args.join(", "))
            }
            _ => self.miss(&format!("{name} with {n} argument(s)")),
        }
    }

    /// `printf` with `%s`, `%d` and `%v` only: concatenation.
    fn printf(&mut self, raw: &[Arg], a: &[String]) -> String {
        let Some(Arg::String { value, .. }) = raw.first() else {
            return format!("sprig(\"printf\", {})", a.join(", "));
        };
        let format = value.as_str().unwrap_or_default().to_string();
        let mut parts = Vec::new();
        let mut rest = format.as_str();
        let mut next = 1;
        while let Some(i) = rest.find('%') {
            if i > 0 {
                parts.push(literal(&rest[..i]));
            }
            let verb = rest[i + 1..].chars().next();
            match verb {
                Some('%') => parts.push(literal("%")),
                Some('s' | 'd' | 'v') if next < a.len() => {
                    parts.push(format!("({} | string)", a[next]));
                    next += 1;
                }
                // Other verbs: Go's printf itself.
                _ => return format!("sprig(\"printf\", {})", a.join(", ")),
            }
            rest = &rest[i + 2..];
        }
        if !rest.is_empty() {
            parts.push(literal(rest));
        }
        if parts.is_empty() {
            return "\"\"".into();
        }
        format!("({})", parts.join(" ~ "))
    }
}

/// The Go variable a `set $var KEY VALUE` action changes.
fn set_target(pipe: &Pipe) -> Option<String> {
    let [cmd] = pipe.cmds.as_slice() else {
        return None;
    };
    match cmd.args.as_slice() {
        [Arg::Identifier { name, .. }, Arg::Variable(_, v), _, _]
            if name.as_ref() == "set" && v.len() == 1 && v[0].as_ref() != "$" =>
        {
            Some(v[0].to_string())
        }
        _ => None,
    }
}

/// `file` of `(print $.Template.BasePath "/file")` (or `.Template.BasePath`).
fn base_path_file(arg: &Arg) -> Option<String> {
    let Arg::Pipe(pipe) = arg else { return None };
    let [cmd] = pipe.cmds.as_slice() else {
        return None;
    };
    let [
        Arg::Identifier { name, .. },
        base,
        Arg::String { value, .. },
    ] = cmd.args.as_slice()
    else {
        return None;
    };
    let is_base = match base {
        Arg::Variable(_, v) => v
            .iter()
            .map(|s| s.as_ref())
            .eq(["$", "Template", "BasePath"]),
        Arg::Field(_, f) => f.iter().map(|s| s.as_ref()).eq(["Template", "BasePath"]),
        _ => false,
    };
    let file = value.as_str()?.strip_prefix('/')?;
    (name.as_ref() == "print" && is_base).then(|| file.to_string())
}

thread_local! {
    /// The functions Sprig and Helm define.
    static SPRIG: gotemplate::FuncMap = gotemplate::helm::funcs();
}

/// Sprig functions that are ketch filters: `f a b x` (`x | f a b`) is `x | filter(a, b)`.
const FILTERS: &[(&str, &str)] = &[
    ("quote", "quote"),
    ("squote", "squote"),
    ("toYaml", "helm_toyaml"),
    ("toJson", "helm_tojson"),
    ("fromYaml", "fromyaml"),
    ("fromYamlArray", "fromyaml"),
    ("fromJson", "fromjson"),
    ("indent", "indent"),
    ("nindent", "nindent"),
    ("trunc", "trunc"),
    ("trimSuffix", "trimsuffix"),
    ("trimPrefix", "trimprefix"),
    ("trim", "trim"),
    ("upper", "upper"),
    ("lower", "lower"),
    ("replace", "replace"),
    ("b64enc", "b64encode"),
    ("b64dec", "b64decode"),
    ("sha256sum", "sha256"),
    ("join", "join"),
    ("toString", "string"),
    ("int", "int"),
    ("int64", "int"),
    ("len", "length"),
    ("first", "first"),
    ("last", "last"),
    ("sortAlpha", "sort"),
    ("required", "required"),
];

/// The ketch context name for a path from Helm's top-level object, and how many
/// of its fields that name stands for.
fn context_name(fields: &[&str]) -> Option<(String, usize)> {
    Some(match fields {
        ["Values", ..] => ("values".into(), 1),
        ["Release", "Name", ..] => ("release.name".into(), 2),
        ["Release", "Namespace", ..] => ("release.namespace".into(), 2),
        ["Release", "Service", ..] => ("\"Helm\"".into(), 2),
        ["Release", "Revision", ..] => ("release.revision".into(), 2),
        ["Release", "IsInstall", ..] => ("release.is_install".into(), 2),
        ["Release", "IsUpgrade", ..] => ("release.is_upgrade".into(), 2),
        ["Chart", "Name", ..] => ("chart.name".into(), 2),
        ["Chart", "Version", ..] => ("chart.version".into(), 2),
        ["Chart", "AppVersion", ..] => ("chart.appVersion".into(), 2),
        ["Capabilities", "KubeVersion", "Version" | "GitVersion", ..] => {
            ("capabilities.kube_version.version".into(), 3)
        }
        ["Capabilities", "KubeVersion", "Major", ..] => {
            ("capabilities.kube_version.major".into(), 3)
        }
        ["Capabilities", "KubeVersion", "Minor", ..] => {
            ("capabilities.kube_version.minor".into(), 3)
        }
        ["Template", "Name", ..] => ("template.name".into(), 2),
        ["Template", "BasePath", ..] => ("template.base_path".into(), 2),
        _ => return None,
    })
}

/// The namespace Go variables live in (one per template file and macro).
const VARS: &str = "{% set vars = namespace() %}\n";

/// The dict that stands for Helm's top-level object where a template passes `.` on.
pub const ROOT: &str = r#"{% set root = {"Values": values, "Release": {"Name": release.name, "Namespace": release.namespace, "Service": "Helm", "Revision": release.revision, "IsInstall": release.is_install, "IsUpgrade": release.is_upgrade}, "Chart": {"Name": chart.name, "Version": chart.version, "AppVersion": chart.appVersion | default(""), "Type": chart.type | default("application"), "Description": chart.description | default(""), "KubeVersion": chart.kubeVersion | default(""), "Annotations": chart.annotations | default({})}, "Capabilities": {"KubeVersion": {"Version": capabilities.kube_version.version, "GitVersion": capabilities.kube_version.version, "Major": capabilities.kube_version.major, "Minor": capabilities.kube_version.minor}, "APIVersions": capabilities.api_versions}, "Template": {"Name": template.name, "BasePath": template.base_path}} %}
"#;

/// `e.f`, or `e["f"]` where `f` is not a plain name.
fn attr(e: &str, f: &str) -> String {
    let plain = f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !f.starts_with(|c: char| c.is_ascii_digit())
        && !matches!(
            f,
            "true" | "false" | "none" | "and" | "or" | "not" | "in" | "is" | "if" | "else"
        );
    if plain {
        format!("{e}.{f}")
    } else {
        format!("{e}[{}]", literal(f))
    }
}

/// `$name` as a Jinja variable that names nothing of ketch's context.
fn var_name(go: &str) -> String {
    let name: String = go
        .trim_start_matches('$')
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("v_{name}")
}

/// A Jinja string literal.
pub fn literal(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Text as Jinja prints it: delimiters Jinja would read are printed as strings.
fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = text[i + c.len_utf8()..].chars().next();
        // A `{` that ends the text would meet the `{` of the tag that follows.
        if c == '{' && matches!(next, Some('{' | '%' | '#') | None) {
            let shown: String = std::iter::once('{').chain(next).collect();
            out.push_str(&format!("{{{{ {} }}}}", literal(&shown)));
            if next.is_some() {
                chars.next();
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A block tag that keeps the whitespace around it (Jinja's `lstrip_blocks`
/// and `trim_blocks` are on for ketch charts).
fn tag(out: &mut String, body: &str) {
    out.push_str(&format!("{{%+ {body} +%}}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn translate(text: &str) -> (String, Vec<String>) {
        let templates = gotemplate::Templates::new(crate::engine::helm::functions());
        let resolve = |n: &str| templates.resolve(n);
        let trees = gotemplate::parse::parse("t", text, &resolve).unwrap();
        let macros = BTreeMap::new();
        let mut t = Translator::new(&macros, "h.", "t");
        let out = t.file(trees.last().unwrap());
        (out, t.untranslated)
    }

    #[test]
    fn values_and_pipelines_read_as_jinja() {
        let (out, missing) = translate("a: {{ .Values.a | default \"x\" | quote }}\n");
        assert_eq!(
            out,
            "a: {{ ((values.a | default(\"x\", true)) | quote) }}\n"
        );
        assert!(missing.is_empty());
    }

    #[test]
    fn ranges_walk_entries_and_untranslatable_calls_are_listed() {
        let (out, missing) =
            translate("{{ range $k, $v := .Values.m }}{{ $k }}{{ end }}{{ htpasswd \"u\" \"p\" }}");
        assert!(
            out.starts_with("{%+ for v_k, v_v in values.m | entries +%}{{ v_k }}{%+ endfor +%}"),
            "{out}"
        );
        assert_eq!(missing, ["t: htpasswd with 2 argument(s)"]);
    }
}
