//! Template errors, printed as Go prints them.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The template text does not parse.
    Parse,
    /// Execution failed as Go's would (a nil pointer, a function's error, ...).
    Exec,
    /// A bound of [`crate::Limits`] stopped execution (Go has no such bound).
    Limit,
    /// `Limits::max_output` stopped execution: the render wrote too much.
    OutputLimit,
}

/// A parse or execution error. `Display` gives Go's full text:
/// `template: NAME:LINE: MESSAGE` for parse errors,
/// `template: NAME:LINE:COL: executing "T" at <NODE>: MESSAGE` for execution errors
/// (`message` then holds `executing "T" at <NODE>: MESSAGE`), `template: NAME: MESSAGE`
/// for those without a position (line 0) and `template: MESSAGE` without a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    /// The template (file) the error points into.
    pub template: String,
    pub line: usize,
    /// Byte column (from 0, as Go counts); 0 for parse errors, which Go reports by line.
    pub col: usize,
    /// The message after Go's location prefix.
    pub message: String,
}

impl ErrorKind {
    /// Whether a bound stopped execution (any of them).
    pub fn is_limit(self) -> bool {
        matches!(self, ErrorKind::Limit | ErrorKind::OutputLimit)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ErrorKind::Parse => write!(
                f,
                "template: {}:{}: {}",
                self.template, self.line, self.message
            ),
            _ if self.template.is_empty() => write!(f, "template: {}", self.message),
            _ if self.line == 0 => write!(f, "template: {}: {}", self.template, self.message),
            _ => write!(
                f,
                "template: {}:{}:{}: {}",
                self.template, self.line, self.col, self.message
            ),
        }
    }
}

impl std::error::Error for Error {}
