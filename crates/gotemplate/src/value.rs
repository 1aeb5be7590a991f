//! The values templates work on, typed as Go's `interface{}` values are in Helm.
//!
//! Go distinguishes `int` (number literals, `len`), `int64` (Sprig's arithmetic) and
//! `float64` (every number read from values); comparisons and `typeOf` see the
//! difference, so `Value` keeps it. Maps are Go maps: shared by reference (Sprig's
//! `set`, `unset` and `merge` change them in place, and every holder sees the change)
//! and ordered by key wherever Go orders them (`range`, printing, `toYaml`, `toJson`).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// A Go map, `map[string]interface{}`: shared, mutable, ordered by key.
pub type Map = Rc<RefCell<BTreeMap<String, Value>>>;

#[derive(Clone, Default)]
pub enum Value {
    /// Go's nil `interface{}`: a missing map key, `nil`, an absent argument.
    #[default]
    Nil,
    Bool(bool),
    /// Go `int`: number literals in templates, `len`, `int`, `atoi`.
    Int(i64),
    /// Go `int64`: Sprig's arithmetic (`add`, `add1`, `sub`, `mul`, `div`, `max`, ...), `int64`.
    Int64(i64),
    /// Go `float64`: every number read from values (JSON numbers), float literals.
    Float(f64),
    String(Rc<str>),
    /// `[]interface{}`.
    List(Rc<Vec<Value>>),
    /// `map[string]interface{}`.
    Map(Map),
    /// A host object with fields and methods (`.Files`, `.Capabilities`, a semver).
    Object(Rc<dyn Object>),
}

/// A value with fields and methods, as Helm's structs are (`.Files.Get "x"`,
/// `.Capabilities.APIVersions.Has "apps/v1"`, `.Capabilities.KubeVersion.Minor`).
pub trait Object {
    /// Go's type name, as `typeOf` prints it (`chartutil.Files`, `*semver.Version`).
    fn type_name(&self) -> &str;
    /// Go's kind, as `kindOf` prints it (`struct`, `map`, `ptr`, `slice`).
    fn kind_name(&self) -> &str {
        "struct"
    }
    /// A field, or a method taking no arguments; `None` if the object has no such member.
    fn field(&self, name: &str) -> Option<Value>;
    /// A method called with arguments; `None` if the object has no such method.
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let _ = (name, args);
        None
    }
    /// The plain value that stands for the object when it is printed or serialized.
    fn to_value(&self) -> Value {
        Value::Nil
    }
    /// For a Go string that is not UTF-8 (a binary file's contents): its bytes.
    fn go_bytes(&self) -> Option<&[u8]> {
        None
    }
    /// The object as `Any`, for functions that take a particular host type back
    /// (`dateModify` a `time.Time`); `None` if it cannot be taken back.
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Int64(i) => write!(f, "int64({i})"),
            Value::Float(x) => write!(f, "float64({x})"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::List(items) => f.debug_list().entries(items.iter()).finish(),
            Value::Map(map) => match map.try_borrow() {
                Ok(map) => f.debug_map().entries(map.iter()).finish(),
                Err(_) => f.write_str("map[<in use>]"),
            },
            Value::Object(o) => write!(f, "<{}>", o.type_name()),
        }
    }
}

impl Value {
    pub fn string(s: impl Into<Rc<str>>) -> Value {
        Value::String(s.into())
    }

    /// Bytes as a Go string: text when they are UTF-8; otherwise an object that
    /// prints as their text (U+FFFD for what is not UTF-8) and keeps the bytes for
    /// the functions that read them (`b64enc`, the hashes): `.Files.Get` of a
    /// binary file.
    pub fn go_string(bytes: Vec<u8>) -> Value {
        match String::from_utf8(bytes) {
            Ok(text) => Value::from(text),
            Err(e) => Value::Object(Rc::new(BinaryString(e.into_bytes()))),
        }
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(items))
    }

    pub fn map(map: BTreeMap<String, Value>) -> Value {
        Value::Map(Rc::new(RefCell::new(map)))
    }

    pub fn empty_map() -> Value {
        Value::map(BTreeMap::new())
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// A string's bytes, also of a Go string that is not UTF-8 (see [`Object::go_bytes`]).
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Value::String(s) => Some(s.as_bytes()),
            Value::Object(o) => o.go_bytes(),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Go's truth of a value (`if`, `with`, `and`, `or`, `not`): false for nil, false,
    /// zero numbers, and empty strings, lists and maps.
    pub fn is_true(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Float(x) => *x != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::List(items) => !items.is_empty(),
            Value::Map(map) => !map.borrow().is_empty(),
            Value::Object(_) => match self.collection() {
                Some(plain) => plain.is_true(),
                None => true,
            },
        }
    }

    /// A host object that Go sees as a map or a slice (`.Files`,
    /// `.Capabilities.APIVersions`) as that plain collection, for `if`, `range`
    /// and `len`; `None` for every other value.
    pub fn collection(&self) -> Option<Value> {
        match self {
            Value::Object(o) if matches!(o.kind_name(), "map" | "slice") => Some(o.to_value()),
            _ => None,
        }
    }

    /// Go's type name of the value, as Sprig's `typeOf` prints it.
    pub fn type_name(&self) -> String {
        match self {
            Value::Nil => "<nil>".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Int64(_) => "int64".into(),
            Value::Float(_) => "float64".into(),
            Value::String(_) => "string".into(),
            Value::List(_) => "[]interface {}".into(),
            Value::Map(_) => "map[string]interface {}".into(),
            Value::Object(o) => o.type_name().into(),
        }
    }

    /// Go's reflect kind of the value, as Sprig's `kindOf` prints it.
    pub fn kind_name(&self) -> &str {
        match self {
            Value::Nil => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Float(_) => "float64",
            Value::String(_) => "string",
            Value::List(_) => "slice",
            Value::Map(_) => "map",
            Value::Object(o) => o.kind_name(),
        }
    }

    /// Reads JSON as Helm reads values: every number is a float64.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => Value::string(s.as_str()),
            serde_json::Value::Array(items) => {
                Value::list(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => Value::map(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// The value as JSON data (objects by their `to_value`); `None` for a float that
    /// JSON cannot hold (NaN, infinities) or a map that holds itself.
    pub fn to_json(&self) -> Option<serde_json::Value> {
        self.to_json_within(crate::MAX_NESTING)
    }

    fn to_json_within(&self, depth: usize) -> Option<serde_json::Value> {
        let depth = depth.checked_sub(1)?;
        Some(match self {
            Value::Nil => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) | Value::Int64(i) => serde_json::Value::from(*i),
            Value::Float(x) => serde_json::Value::Number(serde_json::Number::from_f64(*x)?),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::List(items) => serde_json::Value::Array(
                items
                    .iter()
                    .map(|v| v.to_json_within(depth))
                    .collect::<Option<_>>()?,
            ),
            Value::Map(map) => serde_json::Value::Object(
                map.try_borrow()
                    .ok()?
                    .iter()
                    .map(|(k, v)| Some((k.clone(), v.to_json_within(depth)?)))
                    .collect::<Option<_>>()?,
            ),
            Value::Object(o) => o.to_value().to_json_within(depth)?,
        })
    }

    /// A copy that shares nothing mutable with `self` (Sprig's `deepCopy`); `None`
    /// past `MAX_NESTING` levels (a map that holds itself).
    pub fn deep_copy(&self) -> Option<Value> {
        self.deep_copy_within(crate::MAX_NESTING)
    }

    fn deep_copy_within(&self, depth: usize) -> Option<Value> {
        let depth = depth.checked_sub(1)?;
        Some(match self {
            Value::List(items) => Value::list(
                items
                    .iter()
                    .map(|v| v.deep_copy_within(depth))
                    .collect::<Option<_>>()?,
            ),
            Value::Map(map) => Value::map(
                map.try_borrow()
                    .ok()?
                    .iter()
                    .map(|(k, v)| Some((k.clone(), v.deep_copy_within(depth)?)))
                    .collect::<Option<_>>()?,
            ),
            other => other.clone(),
        })
    }
}

/// A Go string that is not UTF-8 (see [`Value::go_string`]).
struct BinaryString(Vec<u8>);

impl Object for BinaryString {
    fn type_name(&self) -> &str {
        "string"
    }

    fn kind_name(&self) -> &str {
        "string"
    }

    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    fn to_value(&self) -> Value {
        Value::from(String::from_utf8_lossy(&self.0).into_owned())
    }

    fn go_bytes(&self) -> Option<&[u8]> {
        Some(&self.0)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::string(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::string(s)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::list(items)
    }
}

impl From<BTreeMap<String, Value>> for Value {
    fn from(map: BTreeMap<String, Value>) -> Value {
        Value::map(map)
    }
}
