//! Go's template parser (`text/template/parse/parse.go`): the node tree, parse
//! errors with Go's text, functions resolved while parsing, and Go's `String()` of
//! every node (execution errors quote it).

use std::fmt::Write as _;
use std::rc::Rc;

use crate::error::{Error, ErrorKind};
use crate::lex::{self, Item, ItemType, Lexed, go_quote};
use crate::value::Value;

/// How deep parentheses and control structures may nest in the source (Go allows
/// 10,000 parentheses and unbounded control nesting; a bound keeps the tree's
/// recursion, and its drop, within any thread's stack).
pub const MAX_PARSE_DEPTH: usize = 1000;

/// The text one `parse` call read: node positions are offsets into it.
pub struct Source {
    /// The top-level template's name (Go's `ParseName`), for error locations.
    pub parse_name: String,
    pub text: String,
}

impl Source {
    /// Go's `ErrorContext` location: `NAME:LINE:COL` (COL counted in bytes from 0).
    pub fn line_col(&self, pos: usize) -> (usize, usize) {
        let text = &self.text.as_bytes()[..pos.min(self.text.len())];
        let line = 1 + text.iter().filter(|&&b| b == b'\n').count();
        let col = match text.iter().rposition(|&b| b == b'\n') {
            Some(nl) => pos - (nl + 1),
            None => pos,
        };
        (line, col)
    }
}

/// One template: the top level of a file, a `define` or a `block`.
pub struct Tree {
    pub name: String,
    pub root: List,
    pub src: Rc<Source>,
}

#[derive(Default)]
pub struct List {
    pub nodes: Vec<Node>,
}

pub enum Node {
    Text(Rc<str>),
    Action(Pipe),
    If(Box<Branch>),
    Range(Box<Branch>),
    With(Box<Branch>),
    Template(Box<TemplateCall>),
    Break(usize),
    Continue(usize),
}

pub struct Branch {
    pub pos: usize,
    pub pipe: Pipe,
    pub list: List,
    pub else_list: Option<List>,
}

pub struct TemplateCall {
    pub pos: usize,
    pub name: String,
    pub pipe: Option<Pipe>,
}

pub struct Pipe {
    pub pos: usize,
    pub is_assign: bool,
    /// Declared or assigned variables, by name (`$x`), with their positions.
    pub decl: Vec<(usize, Rc<str>)>,
    pub cmds: Vec<Command>,
}

pub struct Command {
    pub pos: usize,
    pub args: Vec<Arg>,
}

/// A function as the parser resolved it.
#[derive(Clone)]
pub enum FuncRef {
    Builtin(crate::builtins::Builtin),
    User(crate::func::Func),
}

pub struct Number {
    pub text: String,
    pub is_int: bool,
    pub is_uint: bool,
    pub is_float: bool,
    pub is_complex: bool,
    pub int: i64,
    pub uint: u64,
    pub float: f64,
}

pub enum Arg {
    Identifier {
        pos: usize,
        name: Rc<str>,
        func: FuncRef,
    },
    Dot(usize),
    Nil(usize),
    Bool(usize, bool),
    Number(usize, Box<Number>),
    String {
        pos: usize,
        quoted: Box<str>,
        value: Value,
    },
    /// `.A.B`: the identifiers without dots.
    Field(usize, Vec<Rc<str>>),
    /// `$x.A.B`: `$x`, then the fields.
    Variable(usize, Vec<Rc<str>>),
    Pipe(Box<Pipe>),
    Chain {
        pos: usize,
        node: Box<Arg>,
        fields: Vec<Rc<str>>,
    },
}

impl Arg {
    pub fn pos(&self) -> usize {
        match self {
            Arg::Identifier { pos, .. }
            | Arg::Dot(pos)
            | Arg::Nil(pos)
            | Arg::Bool(pos, _)
            | Arg::Number(pos, _)
            | Arg::String { pos, .. }
            | Arg::Field(pos, _)
            | Arg::Variable(pos, _)
            | Arg::Chain { pos, .. } => *pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

// ---- dropping deep trees without recursion ----

impl Drop for List {
    fn drop(&mut self) {
        let mut stack = std::mem::take(&mut self.nodes);
        while let Some(node) = stack.pop() {
            if let Node::If(mut b) | Node::Range(mut b) | Node::With(mut b) = node {
                stack.append(&mut b.list.nodes);
                if let Some(e) = &mut b.else_list {
                    stack.append(&mut e.nodes);
                }
            }
        }
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        let mut stack: Vec<Arg> = self
            .cmds
            .iter_mut()
            .flat_map(|c| c.args.drain(..))
            .collect();
        while let Some(arg) = stack.pop() {
            match arg {
                Arg::Pipe(mut p) => stack.extend(p.cmds.iter_mut().flat_map(|c| c.args.drain(..))),
                Arg::Chain { node, .. } => stack.push(*node),
                _ => {}
            }
        }
    }
}

// ---- Go's String() of nodes ----

impl std::fmt::Display for Arg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Arg::Identifier { name, .. } => f.write_str(name),
            Arg::Dot(_) => f.write_str("."),
            Arg::Nil(_) => f.write_str("nil"),
            Arg::Bool(_, b) => write!(f, "{b}"),
            Arg::Number(_, n) => f.write_str(&n.text),
            Arg::String { quoted, .. } => f.write_str(quoted),
            Arg::Field(_, idents) => {
                for id in idents {
                    write!(f, ".{id}")?;
                }
                Ok(())
            }
            Arg::Variable(_, idents) => {
                for (i, id) in idents.iter().enumerate() {
                    if i > 0 {
                        f.write_char('.')?;
                    }
                    f.write_str(id)?;
                }
                Ok(())
            }
            Arg::Pipe(p) => write!(f, "{p}"),
            Arg::Chain { node, fields, .. } => {
                if let Arg::Pipe(p) = &**node {
                    write!(f, "({p})")?;
                } else {
                    write!(f, "{node}")?;
                }
                for field in fields {
                    write!(f, ".{field}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            if let Arg::Pipe(p) = arg {
                write!(f, "({p})")?;
            } else {
                write!(f, "{arg}")?;
            }
        }
        Ok(())
    }
}

impl std::fmt::Display for Pipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.decl.is_empty() {
            for (i, (_, v)) in self.decl.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                f.write_str(v)?;
            }
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl std::fmt::Display for List {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for n in &self.nodes {
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

impl std::fmt::Display for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let branch = |f: &mut std::fmt::Formatter<'_>, name: &str, b: &Branch| {
            write!(f, "{{{{{name} {}}}}}{}", b.pipe, b.list)?;
            if let Some(e) = &b.else_list {
                write!(f, "{{{{else}}}}{e}")?;
            }
            f.write_str("{{end}}")
        };
        match self {
            Node::Text(t) => f.write_str(t),
            Node::Action(p) => write!(f, "{{{{{p}}}}}"),
            Node::If(b) => branch(f, "if", b),
            Node::Range(b) => branch(f, "range", b),
            Node::With(b) => branch(f, "with", b),
            Node::Template(t) => {
                write!(f, "{{{{template {}", go_quote(&t.name))?;
                if let Some(p) = &t.pipe {
                    write!(f, " {p}")?;
                }
                f.write_str("}}")
            }
            Node::Break(_) => f.write_str("{{break}}"),
            Node::Continue(_) => f.write_str("{{continue}}"),
        }
    }
}

// ---- the parser ----

/// Resolves a function name while parsing (`None`: not defined).
pub type Resolver<'r> = &'r dyn Fn(&str) -> Option<FuncRef>;

/// Go's `IsEmptyTree`: only whitespace text (and comments).
pub fn is_empty_list(list: &List) -> bool {
    list.nodes.iter().all(|n| match n {
        Node::Text(t) => t
            .trim_matches([' ', '\t', '\n', '\r', '\u{b}', '\u{c}'])
            .is_empty(),
        _ => false,
    })
}

struct Parser<'a, 'r> {
    lx: Lexed<'a>,
    idx: usize,
    /// The furthest item read: Go reports parse errors at its line.
    fetched: usize,
    src: Rc<Source>,
    resolve: Resolver<'r>,
    vars: Vec<Rc<str>>,
    range_depth: usize,
    depth: usize,
    action_line: usize,
    /// Trees found so far (the top level last).
    trees: Vec<Tree>,
}

type PResult<T> = Result<T, Error>;

enum ListEnd {
    End,
    Else(usize),
}

/// Parses `text` as template `name`: the template itself and every `define`/`block`
/// in it, in order (the top level last).
pub fn parse(name: &str, text: &str, resolve: Resolver<'_>) -> Result<Vec<Tree>, Error> {
    let break_ok = resolve("break").is_none();
    let continue_ok = resolve("continue").is_none();
    let src = Rc::new(Source {
        parse_name: name.to_string(),
        text: text.to_string(),
    });
    let lx = lex::lex(text, break_ok, continue_ok);
    let mut p = Parser {
        lx,
        idx: 0,
        fetched: 0,
        src: src.clone(),
        resolve,
        vars: vec!["$".into()],
        range_depth: 0,
        depth: 0,
        action_line: 0,
        trees: Vec::new(),
    };
    let root = p.parse_top()?;
    let mut trees = std::mem::take(&mut p.trees);
    let tree = Tree {
        name: name.to_string(),
        root,
        src,
    };
    add_tree(&mut trees, tree, &p)?;
    Ok(trees)
}

/// Go's `Tree.add`: a second non-empty definition of a name in one parse is an error.
fn add_tree(trees: &mut Vec<Tree>, tree: Tree, p: &Parser<'_, '_>) -> PResult<()> {
    if let Some(i) = trees.iter().position(|t| t.name == tree.name) {
        if is_empty_list(&trees[i].root) {
            trees[i] = tree;
            return Ok(());
        }
        if !is_empty_list(&tree.root) {
            return Err(p.error(format!(
                "template: multiple definition of template {}",
                go_quote(&tree.name)
            )));
        }
        return Ok(());
    }
    trees.push(tree);
    Ok(())
}

impl<'a> Parser<'a, '_> {
    fn error(&self, msg: String) -> Error {
        let line = self
            .lx
            .items
            .get(self.fetched)
            .or(self.lx.items.last())
            .map_or(1, |i| i.line);
        Error {
            kind: ErrorKind::Parse,
            template: self.src.parse_name.clone(),
            line,
            col: 0,
            message: msg,
        }
    }

    fn next(&mut self) -> Item {
        let i = self.idx.min(self.lx.items.len() - 1);
        self.fetched = self.fetched.max(i);
        self.idx = i + 1;
        self.lx.items[i]
    }

    fn backup(&mut self) {
        self.idx -= 1;
    }

    fn peek(&mut self) -> Item {
        let it = self.next();
        self.backup();
        it
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let it = self.next();
            if it.typ != ItemType::Space {
                return it;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        let it = self.next_non_space();
        self.backup();
        it
    }

    fn val(&self, it: &Item) -> &'a str {
        match it.typ {
            ItemType::Eof | ItemType::Error => "",
            _ => &self.lx.input[it.pos..it.end],
        }
    }

    fn unexpected(&self, it: &Item, context: &str) -> Error {
        if it.typ == ItemType::Error {
            let msg = self.lx.error.clone();
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != it.line {
                extra = format!(
                    " in action started at {}:{}",
                    self.src.parse_name, self.action_line
                );
                if msg.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.error(format!("{msg}{extra}"));
        }
        self.error(format!("unexpected {} in {context}", self.lx.describe(it)))
    }

    fn expect(&mut self, typ: ItemType, context: &str) -> PResult<Item> {
        let it = self.next_non_space();
        if it.typ != typ {
            return Err(self.unexpected(&it, context));
        }
        Ok(it)
    }

    fn enter(&mut self) -> PResult<()> {
        if self.depth >= MAX_PARSE_DEPTH {
            return Err(self.error("max expression depth exceeded".into()));
        }
        self.depth += 1;
        Ok(())
    }

    fn parse_top(&mut self) -> PResult<List> {
        let mut root = List::default();
        while self.peek().typ != ItemType::Eof {
            if self.peek().typ == ItemType::LeftDelim {
                let save = self.idx;
                self.next();
                if self.next_non_space().typ == ItemType::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.idx = save;
            }
            match self.text_or_action()? {
                Parsed::Node(n) => root.nodes.push(n),
                Parsed::Skip => {}
                Parsed::End => return Err(self.error("unexpected {{end}}".into())),
                Parsed::Else(_) => return Err(self.error("unexpected {{else}}".into())),
            }
        }
        Ok(root)
    }

    fn parse_definition(&mut self) -> PResult<()> {
        const CONTEXT: &str = "define clause";
        let it = self.next_non_space();
        if it.typ != ItemType::String && it.typ != ItemType::RawString {
            return Err(self.unexpected(&it, CONTEXT));
        }
        let name = lex::unquote(self.val(&it)).map_err(|e| self.error(e.into()))?;
        self.expect(ItemType::RightDelim, CONTEXT)?;
        // A definition starts with fresh variables (Go's startParse).
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let (root, end) = self.item_list()?;
        self.vars = saved_vars;
        self.range_depth = saved_range;
        if let ListEnd::Else(_) = end {
            return Err(self.error(format!("unexpected {{{{else}}}} in {CONTEXT}")));
        }
        let tree = Tree {
            name,
            root,
            src: self.src.clone(),
        };
        let mut trees = std::mem::take(&mut self.trees);
        let r = add_tree(&mut trees, tree, self);
        self.trees = trees;
        r
    }

    fn item_list(&mut self) -> PResult<(List, ListEnd)> {
        let mut list = List::default();
        while self.peek_non_space().typ != ItemType::Eof {
            match self.text_or_action()? {
                Parsed::Node(n) => list.nodes.push(n),
                Parsed::Skip => {}
                Parsed::End => return Ok((list, ListEnd::End)),
                Parsed::Else(pos) => return Ok((list, ListEnd::Else(pos))),
            }
        }
        Err(self.error("unexpected EOF".into()))
    }

    fn text_or_action(&mut self) -> PResult<Parsed> {
        let it = self.next_non_space();
        match it.typ {
            ItemType::Text => Ok(Parsed::Node(Node::Text(self.val(&it).into()))),
            ItemType::LeftDelim => {
                self.action_line = it.line;
                let r = self.action();
                self.action_line = 0;
                r
            }
            ItemType::Comment => Ok(Parsed::Skip),
            _ => Err(self.unexpected(&it, "input")),
        }
    }

    fn action(&mut self) -> PResult<Parsed> {
        let it = self.next_non_space();
        match it.typ {
            ItemType::Block => return self.block_control().map(Parsed::Node),
            ItemType::Break | ItemType::Continue => {
                let word = if it.typ == ItemType::Break {
                    "{{break}}"
                } else {
                    "{{continue}}"
                };
                let t = self.next_non_space();
                if t.typ != ItemType::RightDelim {
                    return Err(self.unexpected(&t, word));
                }
                if self.range_depth == 0 {
                    return Err(self.error(format!("{word} outside {{{{range}}}}")));
                }
                return Ok(Parsed::Node(if it.typ == ItemType::Break {
                    Node::Break(it.pos)
                } else {
                    Node::Continue(it.pos)
                }));
            }
            ItemType::Else => {
                let peek = self.peek_non_space();
                if peek.typ == ItemType::If || peek.typ == ItemType::With {
                    return Ok(Parsed::Else(peek.pos));
                }
                let t = self.expect(ItemType::RightDelim, "else")?;
                return Ok(Parsed::Else(t.pos));
            }
            ItemType::End => {
                self.expect(ItemType::RightDelim, "end")?;
                return Ok(Parsed::End);
            }
            ItemType::If => return self.control(Ctl::If).map(Parsed::Node),
            ItemType::Range => return self.control(Ctl::Range).map(Parsed::Node),
            ItemType::With => return self.control(Ctl::With).map(Parsed::Node),
            ItemType::Template => return self.template_control().map(Parsed::Node),
            _ => {}
        }
        self.backup();
        let pipe = self.pipeline("command", ItemType::RightDelim)?;
        Ok(Parsed::Node(Node::Action(pipe)))
    }

    fn control(&mut self, ctl: Ctl) -> PResult<Node> {
        self.enter()?;
        let r = stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.control_inner(ctl));
        self.depth -= 1;
        r
    }

    fn control_inner(&mut self, ctl: Ctl) -> PResult<Node> {
        let context = match ctl {
            Ctl::If => "if",
            Ctl::Range => "range",
            Ctl::With => "with",
        };
        let nvars = self.vars.len();
        let r = (|| {
            let pipe = self.pipeline(context, ItemType::RightDelim)?;
            if ctl == Ctl::Range {
                self.range_depth += 1;
            }
            let listed = self.item_list();
            if ctl == Ctl::Range {
                self.range_depth -= 1;
            }
            let (list, end) = listed?;
            let mut else_list = None;
            if let ListEnd::Else(pos) = end {
                let _ = pos;
                if ctl == Ctl::If && self.peek().typ == ItemType::If {
                    self.next();
                    let n = self.control(Ctl::If)?;
                    else_list = Some(List { nodes: vec![n] });
                } else if ctl == Ctl::With && self.peek().typ == ItemType::With {
                    self.next();
                    let n = self.control(Ctl::With)?;
                    else_list = Some(List { nodes: vec![n] });
                } else {
                    let (l, end) = self.item_list()?;
                    if let ListEnd::Else(_) = end {
                        return Err(self.error("expected end; found {{else}}".into()));
                    }
                    else_list = Some(l);
                }
            }
            let b = Box::new(Branch {
                pos: pipe.pos,
                pipe,
                list,
                else_list,
            });
            Ok(match ctl {
                Ctl::If => Node::If(b),
                Ctl::Range => Node::Range(b),
                Ctl::With => Node::With(b),
            })
        })();
        self.vars.truncate(nvars);
        r
    }

    fn template_name(&mut self, it: &Item, context: &str) -> PResult<String> {
        match it.typ {
            ItemType::String | ItemType::RawString => {
                lex::unquote(self.val(it)).map_err(|e| self.error(e.into()))
            }
            _ => Err(self.unexpected(it, context)),
        }
    }

    fn template_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "template clause";
        let it = self.next_non_space();
        let name = self.template_name(&it, CONTEXT)?;
        let mut pipe = None;
        if self.next_non_space().typ != ItemType::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(CONTEXT, ItemType::RightDelim)?);
        }
        Ok(Node::Template(Box::new(TemplateCall {
            pos: it.pos,
            name,
            pipe,
        })))
    }

    fn block_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "block clause";
        let it = self.next_non_space();
        let name = self.template_name(&it, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, ItemType::RightDelim)?;
        self.enter()?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let listed = stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.item_list());
        self.vars = saved_vars;
        self.range_depth = saved_range;
        self.depth -= 1;
        let (root, end) = listed?;
        if let ListEnd::Else(_) = end {
            return Err(self.error(format!("unexpected {{{{else}}}} in {CONTEXT}")));
        }
        let tree = Tree {
            name: name.clone(),
            root,
            src: self.src.clone(),
        };
        let mut trees = std::mem::take(&mut self.trees);
        let r = add_tree(&mut trees, tree, self);
        self.trees = trees;
        r?;
        Ok(Node::Template(Box::new(TemplateCall {
            pos: it.pos,
            name,
            pipe: Some(pipe),
        })))
    }

    fn pipeline(&mut self, context: &str, end: ItemType) -> PResult<Pipe> {
        let start = self.peek_non_space();
        let mut pipe = Pipe {
            pos: start.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        // Declarations.
        loop {
            let v = self.peek_non_space();
            if v.typ != ItemType::Variable {
                break;
            }
            let save = self.idx;
            self.next_non_space();
            let name: Rc<str> = self.val(&v).into();
            let next = self.peek_non_space();
            match next.typ {
                ItemType::Assign | ItemType::Declare => {
                    pipe.is_assign = next.typ == ItemType::Assign;
                    self.next_non_space();
                    pipe.decl.push((v.pos, name.clone()));
                    self.vars.push(name);
                    break;
                }
                ItemType::Char if self.val(&next) == "," => {
                    self.next_non_space();
                    pipe.decl.push((v.pos, name.clone()));
                    self.vars.push(name);
                    if context == "range" && pipe.decl.len() < 2 {
                        match self.peek_non_space().typ {
                            ItemType::Variable | ItemType::RightDelim | ItemType::RightParen => {
                                continue;
                            }
                            _ => {
                                return Err(
                                    self.error("range can only initialize variables".into())
                                );
                            }
                        }
                    }
                    return Err(self.error(format!("too many declarations in {context}")));
                }
                _ => {
                    self.idx = save;
                    break;
                }
            }
        }
        loop {
            let it = self.next_non_space();
            if it.typ == end {
                self.check_pipeline(&pipe, context)?;
                return Ok(pipe);
            }
            match it.typ {
                ItemType::Bool
                | ItemType::CharConstant
                | ItemType::Complex
                | ItemType::Dot
                | ItemType::Field
                | ItemType::Identifier
                | ItemType::Number
                | ItemType::Nil
                | ItemType::RawString
                | ItemType::String
                | ItemType::Variable
                | ItemType::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return Err(self.unexpected(&it, context)),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return Err(self.error(format!("missing value for {context}")));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(
                    Arg::Bool(..)
                        | Arg::Dot(_)
                        | Arg::Nil(_)
                        | Arg::Number(..)
                        | Arg::String { .. }
                )
            ) {
                return Err(self.error(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                )));
            }
        }
        Ok(())
    }

    fn command(&mut self) -> PResult<Command> {
        let start = self.peek_non_space();
        let mut cmd = Command {
            pos: start.pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let it = self.next();
            match it.typ {
                ItemType::Space => continue,
                ItemType::RightDelim | ItemType::RightParen => self.backup(),
                ItemType::Pipe => {}
                _ => return Err(self.unexpected(&it, "operand")),
            }
            break;
        }
        if cmd.args.is_empty() {
            return Err(self.error("empty command".into()));
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().typ != ItemType::Field {
            return Ok(Some(node));
        }
        let chain_pos = self.peek().pos;
        let mut fields: Vec<Rc<str>> = Vec::new();
        while self.peek().typ == ItemType::Field {
            let it = self.next();
            fields.push(self.val(&it)[1..].into());
        }
        Ok(Some(match node {
            Arg::Field(_, mut idents) => {
                idents.extend(fields);
                Arg::Field(chain_pos, idents)
            }
            Arg::Variable(_, mut idents) => {
                idents.extend(fields);
                Arg::Variable(chain_pos, idents)
            }
            Arg::Bool(..) | Arg::String { .. } | Arg::Number(..) | Arg::Nil(_) | Arg::Dot(_) => {
                let s = node.to_string();
                return Err(self.error(format!("unexpected . after term {}", go_quote(&s))));
            }
            node => Arg::Chain {
                pos: chain_pos,
                node: Box::new(node),
                fields,
            },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let it = self.next_non_space();
        let val = self.val(&it);
        Ok(Some(match it.typ {
            ItemType::Identifier => {
                let Some(func) = (self.resolve)(val) else {
                    return Err(self.error(format!("function {} not defined", go_quote(val))));
                };
                Arg::Identifier {
                    pos: it.pos,
                    name: val.into(),
                    func,
                }
            }
            ItemType::Dot => Arg::Dot(it.pos),
            ItemType::Nil => Arg::Nil(it.pos),
            ItemType::Variable => {
                let name = val.split('.').next().unwrap_or(val);
                if !self.vars.iter().any(|v| &**v == name) {
                    return Err(self.error(format!("undefined variable {}", go_quote(name))));
                }
                Arg::Variable(it.pos, val.split('.').map(Rc::from).collect())
            }
            ItemType::Field => Arg::Field(it.pos, val[1..].split('.').map(Rc::from).collect()),
            ItemType::Bool => Arg::Bool(it.pos, val == "true"),
            ItemType::CharConstant | ItemType::Complex | ItemType::Number => {
                let n = parse_number(val, it.typ).map_err(|e| self.error(e))?;
                Arg::Number(it.pos, Box::new(n))
            }
            ItemType::LeftParen => {
                self.enter()?;
                let r = stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                    self.pipeline("parenthesized pipeline", ItemType::RightParen)
                });
                self.depth -= 1;
                Arg::Pipe(Box::new(r?))
            }
            ItemType::String | ItemType::RawString => {
                let s = lex::unquote(val).map_err(|e| self.error(e.into()))?;
                Arg::String {
                    pos: it.pos,
                    quoted: val.into(),
                    value: Value::string(s),
                }
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

enum Parsed {
    Node(Node),
    Skip,
    End,
    Else(usize),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctl {
    If,
    Range,
    With,
}

/// Go's `newNumber`.
fn parse_number(text: &str, typ: ItemType) -> Result<Number, String> {
    let mut n = Number {
        text: text.to_string(),
        is_int: false,
        is_uint: false,
        is_float: false,
        is_complex: false,
        int: 0,
        uint: 0,
        float: 0.0,
    };
    match typ {
        ItemType::CharConstant => {
            let body = &text[1..];
            let (c, tail) = lex::unquote_char(body, b'\'').map_err(|e| e.to_string())?;
            if tail != "'" {
                return Err(format!("malformed character constant: {text}"));
            }
            let r = match c {
                lex::Unquoted::Char(c) => c as i64,
                lex::Unquoted::Byte(b) => b as i64,
            };
            n.int = r;
            n.is_int = true;
            n.uint = r as u64;
            n.is_uint = true;
            n.float = r as f64;
            n.is_float = true;
            return Ok(n);
        }
        ItemType::Complex => {
            return Err(format!("complex constants are not supported: {text}"));
        }
        _ => {}
    }
    if let Some(imag) = text.strip_suffix('i')
        && parse_go_float(imag).is_some()
    {
        return Err(format!("complex constants are not supported: {text}"));
    }
    let u = parse_go_uint(text);
    if let Some(u) = u {
        n.is_uint = true;
        n.uint = u;
    }
    if let Some(i) = parse_go_int(text) {
        n.is_int = true;
        n.int = i;
        if i == 0 {
            n.is_uint = true;
            n.uint = u.unwrap_or(0);
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float = n.int as f64;
    } else if n.is_uint {
        n.is_float = true;
        n.float = n.uint as f64;
    } else if let Some(f) = parse_go_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", go_quote(text)));
        }
        n.is_float = true;
        n.float = f;
        if f.fract() == 0.0 && (-9.223372036854776e18..9.223372036854776e18).contains(&f) {
            n.is_int = true;
            n.int = f as i64;
        }
        if f.fract() == 0.0 && (0.0..1.8446744073709552e19).contains(&f) {
            n.is_uint = true;
            n.uint = f as u64;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!("illegal number syntax: {}", go_quote(text)));
    }
    Ok(n)
}

/// Go's `underscoreOK`: underscores only between digits or after a base prefix.
fn underscore_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    if !b.is_empty() && (b[0] == b'-' || b[0] == b'+') {
        i = 1;
    }
    let mut hex = false;
    if b.len() - i >= 2 && b[i] == b'0' && matches!(b[i + 1] | 0x20, b'b' | b'o' | b'x') {
        hex = (b[i + 1] | 0x20) == b'x';
        i += 2;
        saw = b'0';
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// `strconv.ParseUint(s, 0, 64)`.
fn parse_go_uint(s: &str) -> Option<u64> {
    if s.starts_with(['+', '-']) || s.is_empty() {
        return None;
    }
    let (radix, digits, prefixed) = if let Some(r) = s.strip_prefix("0x").or(s.strip_prefix("0X")) {
        (16, r, true)
    } else if let Some(r) = s.strip_prefix("0o").or(s.strip_prefix("0O")) {
        (8, r, true)
    } else if let Some(r) = s.strip_prefix("0b").or(s.strip_prefix("0B")) {
        (2, r, true)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..], true)
    } else {
        (10, s, false)
    };
    let _ = prefixed;
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    if clean.is_empty() || clean.starts_with('+') {
        return None;
    }
    u64::from_str_radix(&clean, radix).ok()
}

/// `strconv.ParseInt(s, 0, 64)`.
fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let u = parse_go_uint(body)?;
    if neg {
        if u > (i64::MAX as u64) + 1 {
            return None;
        }
        Some((u as i64).wrapping_neg())
    } else {
        i64::try_from(u).ok()
    }
}

/// `strconv.ParseFloat(s, 64)` for the literals the lexer accepts.
fn parse_go_float(s: &str) -> Option<f64> {
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let clean: String = s.chars().filter(|&c| c != '_').collect();
    let (neg, body) = match clean.as_bytes().first() {
        Some(b'-') => (true, &clean[1..]),
        Some(b'+') => (false, &clean[1..]),
        _ => (false, &clean[..]),
    };
    let v = if let Some(h) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        parse_hex_float(h)?
    } else {
        if body.starts_with(['0'])
            && body.len() > 1
            && (body.as_bytes()[1] | 0x20 == b'o' || body.as_bytes()[1] | 0x20 == b'b')
        {
            return None;
        }
        if !body
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    Some(if neg { -v } else { v })
}

fn parse_hex_float(h: &str) -> Option<f64> {
    let (mant, exp) = match h.find(['p', 'P']) {
        Some(i) => (&h[..i], h[i + 1..].parse::<i32>().ok()?),
        None => (h, 0),
    };
    let (int_part, frac_part) = mant.split_once('.').unwrap_or((mant, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int_part.chars() {
        v = v * 16.0 + c.to_digit(16)? as f64;
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        v += c.to_digit(16)? as f64 * scale;
        scale /= 16.0;
    }
    Some(v * 2f64.powi(exp))
}
