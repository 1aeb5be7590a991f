//! Template functions with their Go signatures.
//!
//! Go checks and converts every argument against the function's parameter types
//! before the call (`wrong type for value; expected int; got float64`), and number
//! literals take the type of the parameter they are passed to. So each function
//! declares its Go signature, and the executor does that checking
//! (`exec::convert_arg`); the function body then sees values of the declared types.

use std::collections::HashMap;
use std::rc::Rc;

use crate::value::Value;

/// A Go parameter type, as far as template functions use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// `interface{}`: anything, nil included.
    Any,
    String,
    /// `string` whose bytes matter (hashes, encodings): it also takes a Go string
    /// that is not UTF-8 (`.Files.Get` of a binary file) as the host object that
    /// holds it; a `String` parameter gets that object's text instead.
    Bytes,
    Bool,
    /// `int`
    Int,
    /// `int64`
    Int64,
    /// `float64`
    Float64,
    /// `[]interface{}`
    List,
    /// `[]string`
    StringList,
    /// `map[string]interface{}`
    Map,
}

impl Type {
    /// The name Go gives the type in messages.
    pub fn go_name(self) -> &'static str {
        match self {
            Type::Any => "interface {}",
            Type::String | Type::Bytes => "string",
            Type::Bool => "bool",
            Type::Int => "int",
            Type::Int64 => "int64",
            Type::Float64 => "float64",
            Type::List => "[]interface {}",
            Type::StringList => "[]string",
            Type::Map => "map[string]interface {}",
        }
    }
}

/// What a function body returns: the value, or the message Go's `error` result
/// would carry (the executor wraps it as `error calling NAME: MESSAGE`).
pub type FuncResult = Result<Value, String>;

/// A function's body, called with arguments already checked against its signature.
pub type Body = Rc<dyn Fn(&[Value]) -> FuncResult>;

#[derive(Clone)]
pub struct Func {
    /// Fixed parameters.
    pub params: &'static [Type],
    /// The type of the trailing `...` parameter, if the function is variadic.
    pub variadic: Option<Type>,
    pub body: Body,
}

impl Func {
    pub fn new(
        params: &'static [Type],
        variadic: Option<Type>,
        body: impl Fn(&[Value]) -> FuncResult + 'static,
    ) -> Func {
        Func {
            params,
            variadic,
            body: Rc::new(body),
        }
    }
}

/// Functions by name, as Go's `template.FuncMap`.
#[derive(Clone, Default)]
pub struct FuncMap {
    funcs: HashMap<&'static str, Func>,
}

impl FuncMap {
    pub fn new() -> FuncMap {
        FuncMap::default()
    }

    /// Adds `name`, replacing an earlier function of that name.
    pub fn add(
        &mut self,
        name: &'static str,
        params: &'static [Type],
        variadic: Option<Type>,
        body: impl Fn(&[Value]) -> FuncResult + 'static,
    ) {
        self.funcs.insert(name, Func::new(params, variadic, body));
    }

    pub fn insert(&mut self, name: &'static str, func: Func) {
        self.funcs.insert(name, func);
    }

    pub fn get(&self, name: &str) -> Option<&Func> {
        self.funcs.get(name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.funcs.contains_key(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.funcs.keys().copied()
    }

    pub fn extend(&mut self, other: FuncMap) {
        self.funcs.extend(other.funcs);
    }
}
