//! The binding to the Go-template engine (`crates/gotemplate`): one namespace of
//! templates shared by every Helm chart of a render, and the function library.

use gotemplate::{ErrorKind, FuncMap, Limits, Templates, Value};

/// Why a template could not be parsed or executed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoErrorKind {
    Parse,
    Exec,
    Limit,
}

/// A Go template error with Go's full text
/// (`template: c/templates/x.yaml:3:10: executing "c/templates/x.yaml" at <.Values.a.b>: ...`).
#[derive(Debug, Clone)]
pub struct GoError {
    pub kind: GoErrorKind,
    pub text: String,
}

impl From<gotemplate::Error> for GoError {
    fn from(error: gotemplate::Error) -> GoError {
        GoError {
            kind: match error.kind {
                ErrorKind::Parse => GoErrorKind::Parse,
                ErrorKind::Exec => GoErrorKind::Exec,
                ErrorKind::Limit => GoErrorKind::Limit,
            },
            text: error.to_string(),
        }
    }
}

/// Bounds on one template's execution.
#[derive(Debug, Clone, Copy)]
pub struct ExecLimits {
    pub fuel: u64,
    pub max_depth: usize,
    pub max_output: usize,
}

pub struct Namespace(Templates);

impl Namespace {
    pub fn new(funcs: FuncMap) -> Namespace {
        Namespace(Templates::new(funcs))
    }

    /// Parses `text` as template `name`; its `define`s replace earlier ones.
    pub fn parse(&mut self, name: &str, text: &str) -> Result<(), GoError> {
        self.0.parse(name, text).map_err(GoError::from)
    }

    pub fn execute(&self, name: &str, data: &Value, limits: ExecLimits) -> Result<String, GoError> {
        let limits = Limits {
            fuel: limits.fuel,
            max_depth: limits.max_depth,
            max_output: limits.max_output,
        };
        self.0.execute(name, data, &limits).map_err(GoError::from)
    }
}

/// Sprig's functions and Helm's (`toYaml`, certificates, ...), without the ones
/// Helm's engine defines per render (`required`, `fail`, `lookup`, ...).
pub fn library() -> FuncMap {
    gotemplate::helm::funcs()
}
