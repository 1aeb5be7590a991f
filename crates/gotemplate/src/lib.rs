//! Go's `text/template`, Sprig v3's functions and Helm's, in Rust: the engine ketch
//! renders Helm charts with, so that their output is what `helm template` prints.
//!
//! - `lex`, `parse`: the template language, as Go's `text/template/parse`.
//! - `exec`: evaluation with Go's semantics (`missingkey=zero`, nil pointers,
//!   typed comparisons, `and`/`or` returning operands), bounded by [`Limits`].
//! - `builtins`: Go's own functions (`and`, `eq`, `index`, `printf`, ...).
//! - `fmt`: Go's `fmt` verbs over [`Value`]s (`%v`, `%s`, `%d`, `%q`, floats as strconv).
//! - `sprig`: Sprig v3's function library.
//! - `serial`: `toYaml`, `toJson`, `fromYaml`, ... byte-identical to Helm's.
//! - `crypto`: certificates, keys, passwords, random strings.
//! - `helm`: Helm's whole function map (Sprig, serialization, Helm's duration helpers).

pub mod builtins;
pub mod crypto;
pub mod error;
pub mod exec;
pub mod fmt;
pub mod func;
pub mod helm;
pub mod lex;
pub mod parse;
#[cfg(test)]
mod probe;
pub mod serial;
pub mod sprig;
pub mod value;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

pub use error::{Error, ErrorKind};
pub use func::{Func, FuncMap, FuncResult, Type};
pub use value::{Map, Object, Value};

use builtins::Builtin;
use parse::{FuncRef, Tree};

/// Bounds on one `execute`: every hostile template ends with an [`ErrorKind::Limit`]
/// error instead of running forever or exhausting memory.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Evaluation steps (nodes walked and commands run).
    pub fuel: u64,
    /// Nesting of template calls (`template`, `include`, `tpl`).
    pub max_depth: usize,
    /// Bytes written by one execute, strings built by `include` and `tpl` included.
    pub max_output: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            fuel: 1_000_000_000,
            max_depth: 10_000,
            max_output: 1 << 30,
        }
    }
}

/// The templates one `tpl` text defines (its top level named `gotpl`), or its parse error.
type ParsedTpl = Result<Rc<Vec<Rc<Tree>>>, Error>;

/// One Go template namespace (Helm's: one per render, every chart's templates).
pub struct Templates {
    funcs: FuncMap,
    trees: HashMap<String, Rc<Tree>>,
    /// `tpl` texts already parsed: charts call `tpl` on the same values many times.
    tpl_cache: RefCell<HashMap<String, ParsedTpl>>,
}

impl Templates {
    pub fn new(funcs: FuncMap) -> Templates {
        Templates {
            funcs,
            trees: HashMap::new(),
            tpl_cache: RefCell::new(HashMap::new()),
        }
    }

    /// The function a template calls by `name`, as the parser resolves it.
    pub fn resolve(&self, name: &str) -> Option<FuncRef> {
        if name == "include" || name == "tpl" {
            return Builtin::lookup(name).map(FuncRef::Builtin);
        }
        if let Some(f) = self.funcs.get(name) {
            return Some(FuncRef::User(f.clone()));
        }
        Builtin::lookup(name).map(FuncRef::Builtin)
    }

    /// Parses `text` as template `name`; its `define`s join the namespace, replacing
    /// earlier definitions of the same names (Go's AddParseTree), except that an empty
    /// definition never replaces a non-empty one (as Go).
    pub fn parse(&mut self, name: &str, text: &str) -> Result<(), Error> {
        let trees = parse::parse(name, text, &|n| self.resolve(n))?;
        for t in trees {
            if parse::is_empty_list(&t.root) && self.trees.contains_key(&t.name) {
                continue;
            }
            self.trees.insert(t.name.clone(), Rc::new(t));
        }
        Ok(())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.trees.contains_key(name)
    }

    /// Executes template `name` with `data` as dot (and `$`). Missing map keys are zero
    /// (`missingkey=zero`): printing one writes `<no value>`, which Helm strips from the
    /// output afterwards (the caller does that, as Helm does).
    pub fn execute(&self, name: &str, data: &Value, limits: &Limits) -> Result<String, Error> {
        let Some(tree) = self.trees.get(name) else {
            return Err(Error {
                kind: ErrorKind::Exec,
                template: String::new(),
                line: 0,
                col: 0,
                message: format!(
                    "no template {} associated with template {}",
                    lex::go_quote(name),
                    lex::go_quote(exec::ROOT_NAME)
                ),
            });
        };
        let ctx = exec::Ctx::new(self, limits);
        let ns = exec::Ns {
            base: &self.trees,
            local: Vec::new(),
            parent: None,
        };
        let mut out = String::new();
        exec::execute_tree(&ctx, &ns, tree, exec::Item::plain(data.clone()), &mut out)?;
        Ok(out)
    }

    /// A `tpl` text parsed as template `gotpl` (cached).
    pub(crate) fn parse_tpl(&self, text: &str) -> ParsedTpl {
        if let Some(r) = self.tpl_cache.borrow().get(text) {
            return r.clone();
        }
        let r = parse::parse(exec::ROOT_NAME, text, &|n| self.resolve(n))
            .map(|ts| Rc::new(ts.into_iter().map(Rc::new).collect::<Vec<_>>()));
        self.tpl_cache
            .borrow_mut()
            .insert(text.to_string(), r.clone());
        r
    }
}

/// How deep values and template calls may nest before evaluation stops with an error
/// (a map that holds itself, a template that includes itself without end).
pub const MAX_NESTING: usize = 10_000;

/// The largest string any single function may produce (`indent`, `repeat`,
/// `toYaml`, ...): one value can never take more memory than this.
pub const MAX_STRING: usize = 64 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::fmt::format_float_g;

    #[test]
    fn floats_print_as_go_prints_them() {
        for (x, go) in [
            (1000000.0, "1e+06"),
            (8080.0, "8080"),
            (12345678901.0, "1.2345678901e+10"),
            (0.1, "0.1"),
            (1e21, "1e+21"),
            (1e20, "1e+20"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (0.5, "0.5"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5, "-2.5"),
        ] {
            assert_eq!(format_float_g(x), go, "{x}");
        }
    }
}
