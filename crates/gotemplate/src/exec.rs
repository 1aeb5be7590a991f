//! Template execution with Go's semantics (`text/template/exec.go`) and Helm's
//! options (`missingkey=zero`), Helm's `include` and `tpl`, bounded by [`Limits`].
//!
//! Go tells a nil `interface{}` held in a map or list (a missing key: `.a.b` on it
//! is a nil-pointer error) from no value at all (a pipeline's nil result: `.b` on it
//! is nil again); [`Item::iface`] keeps that difference.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt::Display;
use std::rc::Rc;

use crate::builtins::{self, Builtin, go_type};
use crate::error::{Error, ErrorKind};
use crate::func::Type;
use crate::lex::go_quote;
use crate::parse::{Arg, Branch, Command, FuncRef, List, Node, Number, Pipe, TemplateCall, Tree};
use crate::value::Value;
use crate::{Limits, Templates};

/// A value during execution, and whether it sits in an `interface{}` slot (a map
/// value, a list element) rather than being a plain result.
#[derive(Clone, Debug)]
pub struct Item {
    pub v: Value,
    pub iface: bool,
}

impl Item {
    pub(crate) fn plain(v: Value) -> Item {
        Item { v, iface: false }
    }

    fn slot(v: Value) -> Item {
        Item { v, iface: true }
    }

    /// Go's `indirectInterface` as evalPipeline applies it: a plain value.
    fn into_plain(self) -> Value {
        self.v
    }
}

/// Helm's bound on nested includes of one name (`recursionMaxNums`).
const INCLUDE_MAX: usize = 1000;

/// The name of Helm's root template: `tpl` parses its text under this name and
/// `include` reports unknown names against it.
pub const ROOT_NAME: &str = "gotpl";

/// State shared by one `execute` call and everything it includes.
pub(crate) struct Ctx<'n> {
    pub templates: &'n Templates,
    pub limits: &'n Limits,
    fuel: Cell<u64>,
    written: Cell<usize>,
    depth: Cell<usize>,
    included: RefCell<HashMap<Rc<str>, usize>>,
}

impl<'n> Ctx<'n> {
    pub fn new(templates: &'n Templates, limits: &'n Limits) -> Ctx<'n> {
        Ctx {
            templates,
            limits,
            fuel: Cell::new(limits.fuel),
            written: Cell::new(0),
            depth: Cell::new(0),
            included: RefCell::new(HashMap::new()),
        }
    }
}

/// A template namespace: Helm's, or the copy a `tpl` call parses its text into.
pub(crate) struct Ns<'a> {
    pub base: &'a HashMap<String, Rc<Tree>>,
    pub local: Vec<Rc<Tree>>,
    pub parent: Option<&'a Ns<'a>>,
}

impl Ns<'_> {
    pub fn lookup(&self, name: &str) -> Option<&Rc<Tree>> {
        let mut ns = Some(self);
        while let Some(n) = ns {
            if let Some(t) = n.local.iter().rev().find(|t| t.name == name) {
                return Some(t);
            }
            ns = n.parent;
        }
        self.base.get(name)
    }
}

/// The node Go's `state.at` last recorded: errors quote it.
#[derive(Clone, Copy)]
enum At<'t> {
    None,
    Node(&'t Node, usize),
    Pipe(&'t Pipe),
    Cmd(&'t Command),
    Arg(&'t Arg),
    Template(&'t TemplateCall),
}

enum Flow {
    Normal,
    Break,
    Continue,
}

type R<T> = Result<T, Error>;

struct State<'t, 'c, 'n> {
    ctx: &'c Ctx<'n>,
    ns: &'c Ns<'c>,
    tree: &'t Tree,
    at: At<'t>,
    vars: Vec<(Rc<str>, Item)>,
}

/// Executes `tree` with `dot` into `out`.
pub(crate) fn execute_tree(
    ctx: &Ctx<'_>,
    ns: &Ns<'_>,
    tree: &Tree,
    dot: Item,
    out: &mut String,
) -> R<()> {
    let depth = ctx.depth.get();
    if depth >= ctx.limits.max_depth {
        return Err(Error {
            kind: ErrorKind::Limit,
            template: tree.src.parse_name.clone(),
            line: 0,
            col: 0,
            message: format!(
                "executing {}: exceeded maximum template depth ({})",
                go_quote(&tree.name),
                ctx.limits.max_depth
            ),
        });
    }
    ctx.depth.set(depth + 1);
    let mut s = State {
        ctx,
        ns,
        tree,
        at: At::None,
        vars: vec![("$".into(), dot.clone())],
    };
    let r = stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
        s.walk_list(&dot, &tree.root, out)
    });
    ctx.depth.set(depth);
    r.map(|_| ())
}

fn type_name(t: Type) -> &'static str {
    t.go_name()
}

impl<'t, 'c, 'n> State<'t, 'c, 'n> {
    // ---- errors ----

    fn error_kind(&self, kind: ErrorKind, msg: impl Display) -> Error {
        let name = &self.tree.name;
        let (pos, ctx): (usize, String) = match self.at {
            At::None => {
                return Error {
                    kind,
                    template: name.clone(),
                    line: 0,
                    col: 0,
                    message: msg.to_string(),
                };
            }
            At::Node(n, pos) => (pos, n.to_string()),
            At::Pipe(p) => (p.pos, p.to_string()),
            At::Cmd(c) => (c.pos, c.to_string()),
            At::Arg(a) => (a.pos(), a.to_string()),
            At::Template(t) => (t.pos, Node::fmt_template(t)),
        };
        let (line, col) = self.tree.src.line_col(pos);
        Error {
            kind,
            template: self.tree.src.parse_name.clone(),
            line,
            col,
            message: format!("executing {} at <{ctx}>: {msg}", go_quote(name)),
        }
    }

    fn error(&self, msg: impl Display) -> Error {
        self.error_kind(ErrorKind::Exec, msg)
    }

    fn burn(&self) -> R<()> {
        let f = self.ctx.fuel.get();
        if f == 0 {
            return Err(self.error_kind(
                ErrorKind::Limit,
                format!(
                    "template execution ran out of fuel ({} steps)",
                    self.ctx.limits.fuel
                ),
            ));
        }
        self.ctx.fuel.set(f - 1);
        Ok(())
    }

    fn write(&self, out: &mut String, s: &str) -> R<()> {
        let w = self.ctx.written.get() + s.len();
        if w > self.ctx.limits.max_output {
            return Err(self.error_kind(
                ErrorKind::OutputLimit,
                format!(
                    "template output exceeds the limit of {} bytes",
                    self.ctx.limits.max_output
                ),
            ));
        }
        self.ctx.written.set(w);
        out.push_str(s);
        Ok(())
    }

    // ---- variables ----

    fn var(&self, name: &str) -> R<Item> {
        for (n, v) in self.vars.iter().rev() {
            if &**n == name {
                return Ok(v.clone());
            }
        }
        Err(self.error(format!("undefined variable: {name}")))
    }

    fn set_var(&mut self, name: &str, v: Item) -> R<()> {
        for (n, slot) in self.vars.iter_mut().rev() {
            if &**n == name {
                *slot = v;
                return Ok(());
            }
        }
        Err(self.error(format!("undefined variable: {name}")))
    }

    // ---- walking ----

    fn walk_list(&mut self, dot: &Item, list: &'t List, out: &mut String) -> R<Flow> {
        for node in &list.nodes {
            match self.walk(dot, node, out)? {
                Flow::Normal => {}
                f => return Ok(f),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Item, node: &'t Node, out: &mut String) -> R<Flow> {
        self.burn()?;
        match node {
            Node::Text(t) => {
                self.write(out, t)?;
            }
            Node::Action(pipe) => {
                self.at = At::Node(node, pipe.pos);
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.at = At::Node(node, pipe.pos);
                    self.print_value(&v, out)?;
                }
            }
            Node::If(b) | Node::With(b) => {
                self.at = At::Node(node, b.pos);
                let with = matches!(node, Node::With(_));
                return stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                    self.walk_if_or_with(with, dot, b, out)
                });
            }
            Node::Range(b) => {
                self.at = At::Node(node, b.pos);
                return stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                    self.walk_range(dot, node, b, out)
                });
            }
            Node::Template(t) => {
                self.at = At::Template(t);
                self.walk_template(dot, t, out)?;
            }
            Node::Break(_) => return Ok(Flow::Break),
            Node::Continue(_) => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn print_value(&self, v: &Value, out: &mut String) -> R<()> {
        match v {
            Value::Nil => self.write(out, "<no value>"),
            Value::String(s) => self.write(out, s),
            v => {
                let s = crate::fmt::sprint_value(v);
                self.write(out, &s)
            }
        }
    }

    fn walk_if_or_with(
        &mut self,
        with: bool,
        dot: &Item,
        b: &'t Branch,
        out: &mut String,
    ) -> R<Flow> {
        let mark = self.vars.len();
        let r = (|| {
            let val = self.eval_pipeline(dot, &b.pipe)?;
            if val.is_true() {
                if with {
                    self.walk_list(&Item::plain(val), &b.list, out)
                } else {
                    self.walk_list(dot, &b.list, out)
                }
            } else if let Some(e) = &b.else_list {
                self.walk_list(dot, e, out)
            } else {
                Ok(Flow::Normal)
            }
        })();
        self.vars.truncate(mark);
        r
    }

    fn walk_range(
        &mut self,
        dot: &Item,
        node: &'t Node,
        r: &'t Branch,
        out: &mut String,
    ) -> R<Flow> {
        let mark0 = self.vars.len();
        let res = self.walk_range_inner(dot, node, r, out);
        self.vars.truncate(mark0);
        res.map(|_| Flow::Normal)
    }

    fn range_iteration(
        &mut self,
        r: &'t Branch,
        index: Item,
        elem: Item,
        mark: usize,
        out: &mut String,
    ) -> R<bool> {
        self.burn()?;
        let decl = &r.pipe.decl;
        if !decl.is_empty() {
            if r.pipe.is_assign {
                if decl.len() > 1 {
                    self.set_var(&decl[0].1, index.clone())?;
                } else {
                    self.set_var(&decl[0].1, elem.clone())?;
                }
            } else {
                let n = self.vars.len();
                self.vars[n - 1].1 = elem.clone();
            }
        }
        if decl.len() > 1 {
            if r.pipe.is_assign {
                self.set_var(&decl[1].1, elem.clone())?;
            } else {
                let n = self.vars.len();
                self.vars[n - 2].1 = index;
            }
        }
        let flow = self.walk_list(&elem, &r.list, out);
        self.vars.truncate(mark);
        Ok(matches!(flow?, Flow::Break))
    }

    fn walk_range_inner(
        &mut self,
        dot: &Item,
        node: &'t Node,
        r: &'t Branch,
        out: &mut String,
    ) -> R<()> {
        let _ = node;
        let val = self.eval_pipeline(dot, &r.pipe)?;
        let val = val.collection().unwrap_or(val);
        let mark = self.vars.len();
        let iter: Box<dyn Iterator<Item = (Item, Item)>> = match &val {
            Value::Int(n) | Value::Int64(n) => {
                if r.pipe.decl.len() > 1 {
                    return Err(self.error(format!(
                        "can't use {n} to iterate over more than one variable"
                    )));
                }
                let int64 = matches!(val, Value::Int64(_));
                Box::new((0..*n).map(move |i| {
                    let v = if int64 {
                        Value::Int64(i)
                    } else {
                        Value::Int(i)
                    };
                    (Item::plain(Value::Nil), Item::plain(v))
                }))
            }
            Value::List(items) => {
                let items = items.clone();
                Box::new((0..items.len()).map(move |i| {
                    (
                        Item::plain(Value::Int(i as i64)),
                        Item::slot(items[i].clone()),
                    )
                }))
            }
            Value::Map(m) => {
                // Go sorts the keys once, then iterates.
                let entries: Vec<(String, Value)> = m
                    .borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Box::new(
                    entries
                        .into_iter()
                        .map(|(k, v)| (Item::plain(Value::string(k)), Item::slot(v))),
                )
            }
            Value::Nil => Box::new(std::iter::empty()),
            v => {
                return Err(self.error(format!(
                    "range can't iterate over {}",
                    crate::fmt::sprint_value(v)
                )));
            }
        };
        let mut ran = false;
        for (index, elem) in iter {
            ran = true;
            if self.range_iteration(r, index, elem, mark, out)? {
                break;
            }
        }
        if ran {
            return Ok(());
        }
        if let Some(e) = &r.else_list {
            self.walk_list(dot, e, out)?;
        }
        Ok(())
    }

    fn walk_template(&mut self, dot: &Item, t: &'t TemplateCall, out: &mut String) -> R<()> {
        let Some(tree) = self.ns.lookup(&t.name).cloned() else {
            return Err(self.error(format!("template {} not defined", go_quote(&t.name))));
        };
        if self.ctx.depth.get() >= self.ctx.limits.max_depth {
            return Err(self.error_kind(
                ErrorKind::Limit,
                format!(
                    "exceeded maximum template depth ({})",
                    self.ctx.limits.max_depth
                ),
            ));
        }
        let dot = match &t.pipe {
            Some(p) => Item::plain(self.eval_pipeline(dot, p)?),
            None => Item::plain(Value::Nil),
        };
        execute_tree(self.ctx, self.ns, &tree, dot, out)
    }

    // ---- pipelines and commands ----

    fn eval_pipeline(&mut self, dot: &Item, pipe: &'t Pipe) -> R<Value> {
        self.at = At::Pipe(pipe);
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            let v = self.eval_command(dot, cmd, value.take())?;
            value = Some(v.into_plain());
        }
        let value = value.unwrap_or(Value::Nil);
        for (_, name) in &pipe.decl {
            if pipe.is_assign {
                self.set_var(name, Item::plain(value.clone()))?;
            } else {
                self.vars.push((name.clone(), Item::plain(value.clone())));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], final_: &Option<Value>) -> R<()> {
        if args.len() > 1 || final_.is_some() {
            return Err(self.error(format!("can't give argument to non-function {}", args[0])));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Item, cmd: &'t Command, final_: Option<Value>) -> R<Item> {
        self.burn()?;
        let first = &cmd.args[0];
        match first {
            Arg::Field(_, idents) => {
                self.at = At::Arg(first);
                return self.eval_field_chain(dot, dot.clone(), first, idents, &cmd.args, final_);
            }
            Arg::Chain { node, fields, .. } => {
                return self.eval_chain(dot, first, node, fields, &cmd.args, final_);
            }
            Arg::Identifier { name, func, .. } => {
                self.at = At::Arg(first);
                return self.eval_function(dot, name, func, At::Cmd(cmd), &cmd.args, final_);
            }
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &final_)?;
                return Ok(Item::plain(self.eval_pipeline_nested(dot, p)?));
            }
            Arg::Variable(_, idents) => {
                return self.eval_variable(dot, first, idents, &cmd.args, final_);
            }
            _ => {}
        }
        self.at = At::Arg(first);
        self.not_a_function(&cmd.args, &final_)?;
        Ok(match first {
            Arg::Bool(_, b) => Item::plain(Value::Bool(*b)),
            Arg::Dot(_) => dot.clone(),
            Arg::Nil(_) => return Err(self.error("nil is not a command")),
            Arg::Number(_, n) => Item::plain(self.ideal_constant(first, n)?),
            Arg::String { value, .. } => Item::plain(value.clone()),
            _ => {
                return Err(self.error(format!(
                    "can't evaluate command {}",
                    go_quote(&first.to_string())
                )));
            }
        })
    }

    fn eval_pipeline_nested(&mut self, dot: &Item, p: &'t Pipe) -> R<Value> {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.eval_pipeline(dot, p))
    }

    fn ideal_constant(&mut self, node: &'t Arg, n: &Number) -> R<Value> {
        self.at = At::Arg(node);
        let text = &n.text;
        let is_hex = text.len() > 2
            && text.starts_with('0')
            && matches!(text.as_bytes()[1], b'x' | b'X')
            && !text.contains(['p', 'P']);
        let is_rune = text.starts_with('\'');
        if n.is_complex {
            return Err(self.error("complex numbers are not supported"));
        }
        if n.is_float && !is_hex && !is_rune && text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Ok(Value::Float(n.float));
        }
        if n.is_int {
            return Ok(Value::Int(n.int));
        }
        if n.is_uint {
            return Err(self.error(format!("{text} overflows int")));
        }
        Ok(Value::Nil)
    }

    fn eval_variable(
        &mut self,
        dot: &Item,
        node: &'t Arg,
        idents: &'t [Rc<str>],
        args: &'t [Arg],
        final_: Option<Value>,
    ) -> R<Item> {
        self.at = At::Arg(node);
        let value = self.var(&idents[0])?;
        if idents.len() == 1 {
            self.not_a_function(args, &final_)?;
            return Ok(value);
        }
        self.eval_field_chain(dot, value, node, &idents[1..], args, final_)
    }

    fn eval_chain(
        &mut self,
        dot: &Item,
        node: &'t Arg,
        base: &'t Arg,
        fields: &'t [Rc<str>],
        args: &'t [Arg],
        final_: Option<Value>,
    ) -> R<Item> {
        self.at = At::Arg(node);
        if let Arg::Nil(_) = base {
            return Err(self.error(format!("indirection through explicit nil in {node}")));
        }
        let recv = self.eval_arg(dot, None, base)?;
        self.eval_field_chain(dot, recv, node, fields, args, final_)
    }

    fn eval_field_chain(
        &mut self,
        dot: &Item,
        mut recv: Item,
        node: &'t Arg,
        idents: &'t [Rc<str>],
        args: &'t [Arg],
        final_: Option<Value>,
    ) -> R<Item> {
        let n = idents.len();
        for id in &idents[..n - 1] {
            recv = self.eval_field(dot, id, node, &[], None, recv)?;
        }
        self.eval_field(dot, &idents[n - 1], node, args, final_, recv)
    }

    fn eval_field(
        &mut self,
        dot: &Item,
        name: &str,
        node: &'t Arg,
        args: &'t [Arg],
        final_: Option<Value>,
        recv: Item,
    ) -> R<Item> {
        let has_args = args.len() > 1 || final_.is_some();
        match &recv.v {
            Value::Nil if !recv.iface => Ok(Item::plain(Value::Nil)),
            Value::Nil => Err(self.error(format!("nil pointer evaluating interface {{}}.{name}"))),
            Value::Map(m) => {
                if has_args {
                    return Err(self.error(format!("{name} is not a method but has arguments")));
                }
                let v = m.borrow().get(name).cloned().unwrap_or(Value::Nil);
                Ok(Item::slot(v))
            }
            Value::Object(o) => {
                let o = o.clone();
                if !has_args && let Some(v) = o.field(name) {
                    return Ok(Item::plain(v));
                }
                // A method: evaluate its arguments as Go would for `interface{}` parameters.
                let mut argv = Vec::with_capacity(args.len());
                for a in args.iter().skip(1) {
                    argv.push(self.eval_arg(dot, Some(Type::Any), a)?.v);
                }
                if let Some(f) = final_ {
                    argv.push(f);
                }
                match o.call(name, &argv) {
                    Some(Ok(v)) => Ok(Item::plain(v)),
                    Some(Err(e)) => {
                        self.at = At::Arg(node);
                        Err(self.error(format!("error calling {name}: {e}")))
                    }
                    None if has_args && o.field(name).is_some() => Err(self.error(format!(
                        "{name} has arguments but cannot be invoked as function"
                    ))),
                    None => Err(self.error(format!(
                        "can't evaluate field {name} in type {}",
                        go_type(&recv.v, recv.iface)
                    ))),
                }
            }
            v => Err(self.error(format!(
                "can't evaluate field {name} in type {}",
                go_type(v, recv.iface)
            ))),
        }
    }

    // ---- functions ----

    fn eval_function(
        &mut self,
        dot: &Item,
        name: &str,
        func: &'t FuncRef,
        call_node: At<'t>,
        args: &'t [Arg],
        final_: Option<Value>,
    ) -> R<Item> {
        let (params, variadic) = match func {
            FuncRef::Builtin(b) => b.signature(),
            FuncRef::User(f) => (f.params, f.variadic),
        };
        let args = &args[1..];
        let num_in = args.len() + usize::from(final_.is_some());
        let num_fixed = params.len();
        if variadic.is_some() {
            if num_in < num_fixed {
                return Err(self.error(format!(
                    "wrong number of args for {name}: want at least {num_fixed} got {}",
                    args.len()
                )));
            }
        } else if num_in != num_fixed {
            return Err(self.error(format!(
                "wrong number of args for {name}: want {num_fixed} got {num_in}"
            )));
        }

        if let FuncRef::Builtin(b @ (Builtin::And | Builtin::Or)) = func {
            let or = *b == Builtin::Or;
            let mut v = Value::Nil;
            for a in args {
                v = self.eval_arg(dot, Some(Type::Any), a)?.v;
                if v.is_true() == or {
                    return Ok(Item::plain(v));
                }
            }
            if let Some(f) = final_ {
                v = f;
            }
            return Ok(Item::plain(v));
        }

        let mut argv: Vec<Item> = Vec::with_capacity(num_in);
        for (i, a) in args.iter().enumerate() {
            let typ = if i < num_fixed {
                params[i]
            } else {
                variadic.unwrap_or(Type::Any)
            };
            argv.push(self.eval_arg(dot, Some(typ), a)?);
        }
        if let Some(f) = final_ {
            let typ = if variadic.is_some() {
                if num_in - 1 < num_fixed {
                    params[num_in - 1]
                } else {
                    variadic.unwrap_or(Type::Any)
                }
            } else {
                params[num_fixed - 1]
            };
            argv.push(self.validate_type(Item::plain(f), typ)?);
        }

        let result = match func {
            FuncRef::User(f) => {
                let vals: Vec<Value> = argv.into_iter().map(|i| i.v).collect();
                (f.body)(&vals)
            }
            FuncRef::Builtin(Builtin::Include) => self.include(&argv[0].v, argv[1].v.clone())?,
            FuncRef::Builtin(Builtin::Tpl) => self.tpl(&argv[0].v, argv[1].v.clone())?,
            FuncRef::Builtin(Builtin::Call) => {
                // Go names the callee by its node (or the piped value's reflect text).
                let callee = args.first().map_or_else(
                    || format!("<{} Value>", argv[0].v.type_name()),
                    |a| a.to_string(),
                );
                Err(if argv[0].v.is_nil() {
                    "call of nil".to_string()
                } else {
                    format!("non-function {callee} of type {}", argv[0].v.type_name())
                })
            }
            FuncRef::Builtin(b) => builtins::call(*b, &argv),
        };
        match result {
            Ok(v) => Ok(Item::plain(v)),
            Err(e) => {
                self.at = call_node;
                Err(self.error(format!("error calling {name}: {e}")))
            }
        }
    }

    /// Go's `validateType`.
    fn validate_type(&self, item: Item, typ: Type) -> R<Item> {
        if typ == Type::Any {
            return Ok(item);
        }
        if item.v.is_nil() {
            if matches!(typ, Type::List | Type::Map | Type::StringList) && !item.iface {
                return Ok(Item::plain(Value::Nil));
            }
            if !item.iface {
                return Err(self.error(format!("invalid value; expected {}", type_name(typ))));
            }
            return Err(self.error(format!(
                "wrong type for value; expected {}; got interface {{}}",
                type_name(typ)
            )));
        }
        if let Value::Object(o) = &item.v
            && o.go_bytes().is_some()
        {
            match typ {
                Type::Bytes => return Ok(Item::plain(item.v)),
                Type::String => return Ok(Item::plain(o.to_value())),
                _ => {}
            }
        }
        let ok = match (typ, &item.v) {
            (Type::String | Type::Bytes, Value::String(_))
            | (Type::Bool, Value::Bool(_))
            | (Type::Int, Value::Int(_))
            | (Type::Int64, Value::Int64(_))
            | (Type::Float64, Value::Float(_))
            | (Type::List, Value::List(_))
            | (Type::Map, Value::Map(_)) => true,
            (Type::StringList, Value::List(l)) => l.iter().all(|v| matches!(v, Value::String(_))),
            _ => false,
        };
        if !ok {
            return Err(self.error(format!(
                "wrong type for value; expected {}; got {}",
                type_name(typ),
                item.v.type_name()
            )));
        }
        Ok(Item::plain(item.v))
    }

    /// Go's `evalArg`; `typ` None is Go's nil type (a chain's receiver).
    fn eval_arg(&mut self, dot: &Item, typ: Option<Type>, n: &'t Arg) -> R<Item> {
        self.at = At::Arg(n);
        let check = |s: &Self, item: Item| match typ {
            None => Ok(item),
            Some(t) => s.validate_type(item, t),
        };
        match n {
            Arg::Dot(_) => return check(self, dot.clone()),
            Arg::Nil(_) => {
                return match typ {
                    None | Some(Type::Any | Type::List | Type::Map | Type::StringList) => {
                        Ok(Item::plain(Value::Nil))
                    }
                    Some(t) => Err(self.error(format!("cannot assign nil to {}", type_name(t)))),
                };
            }
            Arg::Field(_, idents) => {
                let v = self.eval_field_chain(
                    dot,
                    dot.clone(),
                    n,
                    idents,
                    std::slice::from_ref(n),
                    None,
                )?;
                return check(self, v);
            }
            Arg::Variable(_, idents) => {
                let v = self.eval_variable(dot, n, idents, &[], None)?;
                return check(self, v);
            }
            Arg::Pipe(p) => {
                let v = self.eval_pipeline_nested(dot, p)?;
                return check(self, Item::plain(v));
            }
            Arg::Identifier { name, func, .. } => {
                let v =
                    self.eval_function(dot, name, func, At::Arg(n), std::slice::from_ref(n), None)?;
                return check(self, v);
            }
            Arg::Chain { node, fields, .. } => {
                let v = self.eval_chain(dot, n, node, fields, &[], None)?;
                return check(self, v);
            }
            _ => {}
        }
        let typ = typ.unwrap_or(Type::Any);
        match typ {
            Type::Bool => match n {
                Arg::Bool(_, b) => Ok(Item::plain(Value::Bool(*b))),
                _ => Err(self.error(format!("expected bool; found {n}"))),
            },
            Type::Float64 => match n {
                Arg::Number(_, num) if num.is_float => Ok(Item::plain(Value::Float(num.float))),
                _ => Err(self.error(format!("expected float; found {n}"))),
            },
            Type::Int | Type::Int64 => match n {
                Arg::Number(_, num) if num.is_int => Ok(Item::plain(if typ == Type::Int {
                    Value::Int(num.int)
                } else {
                    Value::Int64(num.int)
                })),
                _ => Err(self.error(format!("expected integer; found {n}"))),
            },
            Type::String | Type::Bytes => match n {
                Arg::String { value, .. } => Ok(Item::plain(value.clone())),
                _ => Err(self.error(format!("expected string; found {n}"))),
            },
            Type::Any => match n {
                Arg::Bool(_, b) => Ok(Item::plain(Value::Bool(*b))),
                Arg::Number(_, num) => Ok(Item::plain(self.ideal_constant(n, num)?)),
                Arg::String { value, .. } => Ok(Item::plain(value.clone())),
                _ => Err(self.error(format!(
                    "can't handle assignment of {n} to empty interface argument"
                ))),
            },
            Type::List | Type::Map | Type::StringList => Err(self.error(format!(
                "can't handle {n} for arg of type {}",
                type_name(typ)
            ))),
        }
    }

    // ---- Helm's include and tpl ----

    /// Helm's `include`: the named template executed to a string.
    fn include(&mut self, name: &Value, data: Value) -> R<Result<Value, String>> {
        let name: Rc<str> = match name {
            Value::String(s) => s.clone(),
            _ => Rc::from(""),
        };
        {
            let mut inc = self.ctx.included.borrow_mut();
            let n = inc.entry(name.clone()).or_insert(0);
            if *n > INCLUDE_MAX {
                return Ok(Err(format!(
                    "rendering template has a nested reference name: {name}: unable to execute template"
                )));
            }
            *n += 1;
        }
        let r = self.include_inner(&name, data);
        if let Some(n) = self.ctx.included.borrow_mut().get_mut(&name) {
            *n = n.saturating_sub(1);
        }
        r
    }

    fn include_inner(&mut self, name: &str, data: Value) -> R<Result<Value, String>> {
        let Some(tree) = self.ns.lookup(name).cloned() else {
            return Ok(Err(format!(
                "template: no template {} associated with template {}",
                go_quote(name),
                go_quote(ROOT_NAME)
            )));
        };
        let mut buf = String::new();
        match execute_tree(self.ctx, self.ns, &tree, Item::plain(data), &mut buf) {
            Ok(()) => Ok(Ok(Value::string(buf))),
            Err(e) if e.kind.is_limit() => Err(e),
            Err(e) => Ok(Err(e.to_string())),
        }
    }

    /// Helm's `tpl`: `text` parsed as template `gotpl` in a copy of the namespace
    /// (its `define`s stay in that copy) and executed with `data`.
    fn tpl(&mut self, text: &Value, data: Value) -> R<Result<Value, String>> {
        let text = text.as_str().unwrap_or("");
        let parsed = match self.ctx.templates.parse_tpl(text) {
            Ok(p) => p,
            Err(e) => {
                return Ok(Err(format!(
                    "cannot parse template {}: {e}",
                    go_quote(text)
                )));
            }
        };
        let mut local: Vec<Rc<Tree>> = Vec::new();
        let mut top = None;
        for t in parsed.iter() {
            if t.name == ROOT_NAME {
                top = Some(t.clone());
            }
            let exists =
                local.iter().any(|l| l.name == t.name) || self.ns.lookup(&t.name).is_some();
            if exists && crate::parse::is_empty_list(&t.root) {
                continue;
            }
            local.push(t.clone());
        }
        let Some(top) = top else {
            return Ok(Ok(Value::string("")));
        };
        let ns = Ns {
            base: self.ns.base,
            local,
            parent: Some(self.ns),
        };
        let mut buf = String::new();
        match execute_tree(self.ctx, &ns, &top, Item::plain(data), &mut buf) {
            Ok(()) => Ok(Ok(Value::string(buf.replace("<no value>", "")))),
            Err(e) if e.kind.is_limit() => Err(e),
            Err(e) => Ok(Err(format!(
                "error during tpl function execution for {}: {e}",
                go_quote(text)
            ))),
        }
    }
}

impl Node {
    /// Go's String() of a template node.
    pub(crate) fn fmt_template(t: &TemplateCall) -> String {
        let mut s = format!("{{{{template {}", go_quote(&t.name));
        if let Some(p) = &t.pipe {
            s.push(' ');
            s.push_str(&p.to_string());
        }
        s.push_str("}}");
        s
    }
}
