//! Helm's YAML readers: sigs.k8s.io/yaml's `Unmarshal` (go-yaml v2 decodes the first document
//! into `interface{}`, the result goes through `json.Marshal` and `json.Unmarshal`). So every
//! number ends as a float64, map keys are stringified as sigs.k8s.io/yaml does, plain scalars
//! resolve under YAML 1.1 (`yes`, `on`, `0755`...), timestamps stay strings, `<<` merges.
//!
//! The events come from granit-parser (a libyaml-like YAML parser); its error kinds are mapped
//! to go-yaml v2's messages, with go-yaml's line numbering (scanner errors 1-based, parser
//! errors the 0-based line of the offending token, no line at all on the first line). The
//! common messages are exact; rarer ones keep go-yaml's position and a close wording.

use std::collections::{BTreeMap, HashMap};

use granit_parser::{ErrorKind, Event, Options, Parser, ScalarStyle, ScanError, StructureStyle};

use super::resolve::{Resolved, resolve_plain};
use crate::value::Value;

/// go-yaml v2's flow and block depth limit.
const MAX_DEPTH: usize = 10_000;
/// Values built through aliases, at most: beyond go-yaml's own ratio check, a hard bound.
const MAX_DECODED: usize = 4_000_000;

enum Node {
    Scalar {
        text: String,
        plain: bool,
        /// The tag's suffix when it is a core-schema tag (`!!str` gives `str`), or `!` for any
        /// other tag.
        tag: Option<String>,
    },
    Seq(Vec<usize>),
    Map(Vec<(usize, usize)>),
    Alias {
        target: usize,
        name: String,
    },
}

/// The innermost open collection when an error comes.
#[derive(Clone, Copy)]
enum Open {
    FlowMap,
    FlowSeq,
    BlockMap,
    BlockSeq,
}

/// The innermost flow collection left open at the end of `text` (quotes and comments
/// skipped): granit reports an unclosed one before its start event.
fn innermost_flow(text: &str) -> Option<Open> {
    let mut stack = Vec::new();
    let mut chars = text.chars().peekable();
    let mut prev = ' ';
    while let Some(c) = chars.next() {
        match c {
            '[' => stack.push(Open::FlowSeq),
            '{' => stack.push(Open::FlowMap),
            ']' | '}' => {
                stack.pop();
            }
            '#' if prev.is_whitespace() => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '"' | '\'' => {
                while let Some(q) = chars.next() {
                    if q == '\\' && c == '"' {
                        chars.next();
                    } else if q == c {
                        break;
                    }
                }
            }
            _ => {}
        }
        prev = c;
    }
    stack.pop()
}

/// libyaml's reader accepts these characters only (`control characters are not allowed`).
fn allowed_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

struct Doc {
    nodes: Vec<Node>,
    /// Anchor names by node.
    names: HashMap<usize, String>,
}

/// Where an error is reported: go-yaml v2's `parser.fail`.
fn error_text(text: &str, err: &ScanError, open: Option<Open>) -> String {
    let mut line0 = err.marker().line().saturating_sub(1);
    let newlines = text.bytes().filter(|&b| b == b'\n').count();
    // libyaml's stream end sits on a line of its own when the text lacks a final newline.
    let eof_line0 = newlines + usize::from(!text.is_empty() && !text.ends_with('\n'));
    let last = text
        .trim_end_matches([' ', '\t', '\r', '\n'])
        .chars()
        .last();
    let open = open.or_else(|| innermost_flow(text));
    let flow_end = match open {
        Some(Open::FlowMap) => "did not find expected ',' or '}'",
        Some(Open::FlowSeq) => "did not find expected ',' or ']'",
        Some(Open::BlockMap) => "did not find expected key",
        _ => "did not find expected <document start>",
    };
    let (scanner, msg): (bool, String) = match err.kind() {
        ErrorKind::UnexpectedEofFlowSequence
        | ErrorKind::UnexpectedEofFlowMapping
        | ErrorKind::UnclosedFlowCollection { .. } => {
            line0 = eof_line0;
            if matches!(last, Some('[' | '{' | ',' | ':')) {
                (false, "did not find expected node content".into())
            } else {
                (false, flow_end.into())
            }
        }
        ErrorKind::InvalidTrailingDoubleQuotedScalar => (false, flow_end.into()),
        ErrorKind::UnclosedQuotedScalar => {
            line0 = newlines;
            (true, "found unexpected end of stream".into())
        }
        ErrorKind::InvalidQuotedScalarHexEscape => {
            (true, "did not find expected hexdecimal number".into())
        }
        ErrorKind::UnknownQuotedScalarEscape => (true, "found unknown escape character".into()),
        ErrorKind::MappingValueNotAllowed => (
            true,
            "mapping values are not allowed in this context".into(),
        ),
        ErrorKind::MappingKeyNotAllowed => {
            (true, "mapping keys are not allowed in this context".into())
        }
        ErrorKind::BlockSequenceEntryNotAllowed => (
            true,
            "block sequence entries are not allowed in this context".into(),
        ),
        ErrorKind::InvalidTagTerminator => (
            true,
            "did not find expected whitespace or line break".into(),
        ),
        ErrorKind::MissingDirectiveName => (true, "could not find expected directive name".into()),
        ErrorKind::ExpectedBlockMappingKey => (false, "did not find expected key".into()),
        ErrorKind::ExpectedBlockSequenceEntry => {
            (false, "did not find expected '-' indicator".into())
        }
        ErrorKind::ExpectedFlowMappingSeparator => {
            (false, "did not find expected ',' or '}'".into())
        }
        ErrorKind::ExpectedFlowSequenceSeparator => {
            (false, "did not find expected ',' or ']'".into())
        }
        ErrorKind::ExpectedNodeContent => (false, "did not find expected node content".into()),
        ErrorKind::UnexpectedEofBlockMapping | ErrorKind::UnexpectedEofBlockSequence => {
            (false, "did not find expected key".into())
        }
        ErrorKind::ExpectedDocumentStart => {
            (false, "did not find expected <document start>".into())
        }
        ErrorKind::UnknownAnchor => {
            let start = err.marker().byte_offset().unwrap_or(0);
            let name: String = text
                .get(start..)
                .unwrap_or("")
                .trim_start_matches('*')
                .chars()
                .take_while(|c| !c.is_whitespace() && !",[]{}".contains(*c))
                .collect();
            return format!("yaml: unknown anchor '{name}' referenced");
        }
        // libyaml notices the missing ':' on the line after the key.
        ErrorKind::SimpleKeyExpected => {
            line0 += 1;
            (true, "could not find expected ':'".into())
        }
        ErrorKind::InvalidSimpleKey => (true, "could not find expected ':'".into()),
        ErrorKind::UnexpectedCharacter { .. } => {
            (true, "found character that cannot start any token".into())
        }
        ErrorKind::TabNotAllowed | ErrorKind::TabInBlockIndentation => {
            (true, "found character that cannot start any token".into())
        }
        ErrorKind::RecursionLimitExceeded => {
            return format!("yaml: exceeded max depth of {MAX_DEPTH}");
        }
        ErrorKind::MisplacedFlowCollectionEnd | ErrorKind::MismatchedFlowCollectionEnd { .. } => {
            (false, "did not find expected node content".into())
        }
        ErrorKind::BlockEntryInFlowCollection => {
            (false, "did not find expected node content".into())
        }
        ErrorKind::InvalidIndentation => (
            true,
            "mapping values are not allowed in this context".into(),
        ),
        // Rare: granit's wording, go-yaml's position.
        other => {
            let s = other.to_string();
            let s = s.strip_prefix("while ").map_or(s.as_str(), |rest| {
                rest.split_once(", ").map_or(rest, |(_, m)| m)
            });
            (true, s.to_string())
        }
    };
    let line = if line0 == 0 {
        0
    } else if scanner {
        line0 + 1
    } else {
        line0
    };
    if line == 0 {
        format!("yaml: {msg}")
    } else {
        format!("yaml: line {line}: {msg}")
    }
}

/// The first document's nodes; `None` when the text holds no document.
fn parse(text: &str) -> Result<Option<(Doc, usize)>, String> {
    let mut opts = Options::default();
    opts.flow_nesting_limit = MAX_DEPTH;
    opts.block_nesting_limit = MAX_DEPTH;
    opts.emit_comments = false;
    opts.emit_anchor_events = true;
    if !text.chars().all(allowed_char) {
        return Err("yaml: control characters are not allowed".into());
    }
    let mut parser = Parser::new_from_str_with_options(text, opts);
    let mut open: Vec<Open> = Vec::new();
    let mut doc = Doc {
        nodes: Vec::new(),
        names: HashMap::new(),
    };
    // Open collections: node index, and for a mapping a pending key.
    let mut stack: Vec<(usize, Option<usize>)> = Vec::new();
    let mut anchors: HashMap<usize, usize> = HashMap::new();
    let mut root = None;
    let mut in_doc = false;
    loop {
        // go-yaml reads the first document only: past its root node only the next token is
        // scanned, so only a scanner error there counts.
        if root.is_some() {
            if let Some(Err(e)) = parser.next_event()
                && matches!(
                    e.kind(),
                    ErrorKind::MappingKeyNotAllowed
                        | ErrorKind::MappingValueNotAllowed
                        | ErrorKind::BlockSequenceEntryNotAllowed
                        | ErrorKind::UnclosedQuotedScalar
                        | ErrorKind::InvalidQuotedScalarHexEscape
                        | ErrorKind::UnknownQuotedScalarEscape
                )
            {
                return Err(error_text(text, &e, None));
            }
            break;
        }
        let Some(item) = parser.next_event() else {
            break;
        };
        let (event, _span) = item.map_err(|e| error_text(text, &e, open.last().copied()))?;
        let (node, anchor) = match event {
            Event::StreamStart => continue,
            Event::StreamEnd => break,
            Event::DocumentStart(..) => {
                in_doc = true;
                continue;
            }
            Event::DocumentEnd => break,
            Event::Anchor(id, name) => {
                if let Some(&n) = anchors.get(&id) {
                    doc.names.insert(n, name.into_owned());
                }
                continue;
            }
            Event::Alias(id) => {
                let Some(&target) = anchors.get(&id) else {
                    return Err("yaml: unknown anchor referenced".into());
                };
                let name = doc.names.get(&target).cloned().unwrap_or_default();
                (Node::Alias { target, name }, 0)
            }
            Event::UnresolvedAlias(name) => {
                return Err(format!("yaml: unknown anchor '{name}' referenced"));
            }
            Event::Scalar(value, style, anchor, tag) => {
                let tag = tag.map(|t| {
                    if t.is_yaml_core_schema() {
                        t.suffix().to_string()
                    } else {
                        "!".to_string()
                    }
                });
                (
                    Node::Scalar {
                        text: value.into_owned(),
                        plain: style == ScalarStyle::Plain,
                        tag,
                    },
                    anchor,
                )
            }
            Event::SequenceStart(style, anchor, _) => {
                open.push(if style == StructureStyle::Flow {
                    Open::FlowSeq
                } else {
                    Open::BlockSeq
                });
                (Node::Seq(Vec::new()), anchor)
            }
            Event::MappingStart(style, anchor, _) => {
                open.push(if style == StructureStyle::Flow {
                    Open::FlowMap
                } else {
                    Open::BlockMap
                });
                (Node::Map(Vec::new()), anchor)
            }
            Event::SequenceEnd | Event::MappingEnd => {
                open.pop();
                let Some((done, _)) = stack.pop() else {
                    return Err("yaml: unbalanced collection end".into());
                };
                attach(&mut doc, &mut stack, &mut root, done);
                continue;
            }
            _ => continue,
        };
        let _ = in_doc;
        let id = doc.nodes.len();
        let collection = matches!(node, Node::Seq(_) | Node::Map(_));
        doc.nodes.push(node);
        if anchor != 0 {
            anchors.insert(anchor, id);
        }
        if collection {
            stack.push((id, None));
        } else {
            attach(&mut doc, &mut stack, &mut root, id);
        }
    }
    Ok(root.map(|r| (doc, r)))
}

fn attach(
    doc: &mut Doc,
    stack: &mut [(usize, Option<usize>)],
    root: &mut Option<usize>,
    id: usize,
) {
    let Some((parent, pending)) = stack.last_mut() else {
        *root = Some(id);
        return;
    };
    match &mut doc.nodes[*parent] {
        Node::Seq(items) => items.push(id),
        Node::Map(entries) => match pending.take() {
            Some(key) => entries.push((key, id)),
            None => *pending = Some(id),
        },
        _ => {}
    }
}

/// A decoded YAML value before the JSON round trip (keys keep their YAML types).
enum Raw {
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    List(Vec<Raw>),
    Map(Vec<(Raw, Raw)>),
}

struct Decoder<'a> {
    doc: &'a Doc,
    decode_count: usize,
    alias_count: usize,
    alias_depth: usize,
    /// Aliases being expanded (go-yaml's `d.aliases`).
    active: Vec<usize>,
}

/// go-yaml v2's `allowedAliasRatio`.
fn allowed_alias_ratio(decode_count: usize) -> f64 {
    const LOW: f64 = 400_000.0;
    const HIGH: f64 = 4_000_000.0;
    let n = decode_count as f64;
    if n <= LOW {
        0.99
    } else if n >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((n - LOW) / (HIGH - LOW))
    }
}

impl Decoder<'_> {
    fn decode(&mut self, id: usize) -> Result<Raw, String> {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.decode_inner(id))
    }

    fn decode_inner(&mut self, id: usize) -> Result<Raw, String> {
        self.decode_count += 1;
        if self.alias_depth > 0 {
            self.alias_count += 1;
        }
        if (self.alias_count > 100
            && self.decode_count > 1000
            && self.alias_count as f64 / self.decode_count as f64
                > allowed_alias_ratio(self.decode_count))
            || self.decode_count > MAX_DECODED
        {
            return Err("yaml: document contains excessive aliasing".into());
        }
        match &self.doc.nodes[id] {
            Node::Scalar { text, plain, tag } => scalar(text, *plain, tag.as_deref()),
            Node::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for &item in items {
                    out.push(self.decode(item)?);
                }
                Ok(Raw::List(out))
            }
            Node::Map(entries) => {
                let mut out = Vec::with_capacity(entries.len());
                self.mapping(entries, &mut out)?;
                Ok(Raw::Map(out))
            }
            Node::Alias { target, name } => {
                if self.active.contains(target) {
                    return Err(format!("yaml: anchor '{name}' value contains itself"));
                }
                self.active.push(*target);
                self.alias_depth += 1;
                let r = self.decode(*target);
                self.alias_depth -= 1;
                self.active.pop();
                r
            }
        }
    }

    fn is_merge(&self, id: usize) -> bool {
        matches!(&self.doc.nodes[id], Node::Scalar { text, plain, tag }
            if text == "<<" && ((*plain && tag.is_none()) || tag.as_deref() == Some("merge")))
    }

    fn mapping(
        &mut self,
        entries: &[(usize, usize)],
        out: &mut Vec<(Raw, Raw)>,
    ) -> Result<(), String> {
        for &(k, v) in entries {
            if self.is_merge(k) {
                self.merge(v, out)?;
                continue;
            }
            let key = self.decode(k)?;
            if matches!(key, Raw::List(_) | Raw::Map(_)) {
                return Err("yaml: invalid map key".into());
            }
            let value = self.decode(v)?;
            set(out, key, value);
        }
        Ok(())
    }

    /// go-yaml v2's `merge`: a mapping (or alias of one) or a sequence of them, the earlier
    /// ones winning.
    fn merge(&mut self, id: usize, out: &mut Vec<(Raw, Raw)>) -> Result<(), String> {
        const MSG: &str = "yaml: map merge requires map or sequence of maps as the value";
        let target = match &self.doc.nodes[id] {
            Node::Alias { target, .. } => *target,
            _ => id,
        };
        match &self.doc.nodes[target] {
            Node::Map(_) => self.merge_one(id, out),
            Node::Seq(items) if !matches!(self.doc.nodes[id], Node::Alias { .. }) => {
                for &item in items.iter().rev() {
                    let t = match &self.doc.nodes[item] {
                        Node::Alias { target, .. } => *target,
                        _ => item,
                    };
                    if !matches!(self.doc.nodes[t], Node::Map(_)) {
                        return Err(MSG.into());
                    }
                    self.merge_one(item, out)?;
                }
                Ok(())
            }
            _ => Err(MSG.into()),
        }
    }

    fn merge_one(&mut self, id: usize, out: &mut Vec<(Raw, Raw)>) -> Result<(), String> {
        if let Raw::Map(entries) = self.decode(id)? {
            for (k, v) in entries {
                set(out, k, v);
            }
        }
        Ok(())
    }
}

fn same_key(a: &Raw, b: &Raw) -> bool {
    match (a, b) {
        (Raw::Nil, Raw::Nil) => true,
        (Raw::Bool(x), Raw::Bool(y)) => x == y,
        (Raw::Int(x), Raw::Int(y)) => x == y,
        (Raw::Uint(x), Raw::Uint(y)) => x == y,
        (Raw::Float(x), Raw::Float(y)) => x == y,
        (Raw::Str(x), Raw::Str(y)) => x == y,
        _ => false,
    }
}

fn set(out: &mut Vec<(Raw, Raw)>, key: Raw, value: Raw) {
    if let Some(slot) = out.iter_mut().find(|(k, _)| same_key(k, &key)) {
        slot.1 = value;
    } else {
        out.push((key, value));
    }
}

fn scalar(text: &str, plain: bool, tag: Option<&str>) -> Result<Raw, String> {
    let resolved = match tag {
        None if plain => resolve_plain(text),
        None | Some("str") | Some("!") | Some("timestamp") | Some("binary") => Resolved::Str,
        Some("null") | Some("bool") | Some("int") | Some("float") => {
            let r = resolve_plain(text);
            let ok = matches!(
                (tag, &r),
                (Some("null"), Resolved::Null)
                    | (Some("bool"), Resolved::Bool(_))
                    | (Some("int"), Resolved::Int(_) | Resolved::Uint(_))
                    | (Some("float"), Resolved::Float(_))
            );
            match (tag, &r) {
                _ if ok => r,
                (Some("float"), Resolved::Int(i)) => Resolved::Float(*i as f64),
                (Some("float"), Resolved::Uint(u)) => Resolved::Float(*u as f64),
                _ => {
                    return Err(format!(
                        "yaml: cannot decode !!str `{text}` as a !!{}",
                        tag.unwrap_or("")
                    ));
                }
            }
        }
        Some(_) => resolve_plain(text),
    };
    Ok(match resolved {
        Resolved::Null => Raw::Nil,
        Resolved::Bool(b) => Raw::Bool(b),
        Resolved::Int(i) => Raw::Int(i),
        Resolved::Uint(u) => Raw::Uint(u),
        Resolved::Float(x) => Raw::Float(x),
        Resolved::Timestamp | Resolved::Str => Raw::Str(text.to_string()),
    })
}

/// Go's `strconv.FormatFloat(x, 'g', -1, 32)` for a key (sigs.k8s.io/yaml), with go-yaml's
/// names for the infinities and NaN.
fn float_key(x: f64) -> String {
    if x.is_nan() {
        return ".nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    let f = x as f32;
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    // Shortest digits of the float32 in %g layout: exponent form when the exponent is below
    // -4 or at least 6.
    let s = format!("{f:e}");
    // Shortest formatting decides with precision 6.
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let eprec = 6;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if exp < -4 || exp >= eprec {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.abs()));
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let point = exp as usize + 1;
        if digits.len() <= point {
            out.push_str(&digits);
            for _ in digits.len()..point {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..point]);
            out.push('.');
            out.push_str(&digits[point..]);
        }
    }
    out
}

/// Go's `%+#v` of a decoded scalar, for sigs.k8s.io/yaml's key error.
fn go_sharp_v(v: &Raw) -> String {
    match v {
        Raw::Nil => "<nil>".into(),
        Raw::Bool(b) => b.to_string(),
        Raw::Int(i) => i.to_string(),
        Raw::Uint(u) => format!("0x{u:x}"),
        Raw::Float(x) => {
            let mut s = String::new();
            if super::json::write_float(&mut s, *x).is_err() {
                s = format!("{x}");
            }
            s
        }
        Raw::Str(s) => {
            let mut out = String::new();
            super::json::write_string(&mut out, s, false);
            out
        }
        Raw::List(_) => "[]interface {}{...}".into(),
        Raw::Map(_) => "map[interface {}]interface {}{...}".into(),
    }
}

/// The JSON round trip: sigs.k8s.io/yaml's `convertToJSONableObject`, `json.Marshal`,
/// `json.Unmarshal` into `interface{}`.
fn to_json_value(raw: Raw, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH + 2 {
        return Err(format!("yaml: exceeded max depth of {MAX_DEPTH}"));
    }
    Ok(match raw {
        Raw::Nil => Value::Nil,
        Raw::Bool(b) => Value::Bool(b),
        Raw::Int(i) => Value::Float(i as f64),
        Raw::Uint(u) => Value::Float(u as f64),
        Raw::Float(x) => {
            if !x.is_finite() {
                let name = if x.is_nan() {
                    "NaN"
                } else if x > 0.0 {
                    "+Inf"
                } else {
                    "-Inf"
                };
                return Err(format!("json: unsupported value: {name}"));
            }
            Value::Float(x)
        }
        Raw::Str(s) => Value::from(s),
        Raw::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                    to_json_value(item, depth + 1)
                })?);
            }
            Value::list(out)
        }
        Raw::Map(entries) => {
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                let key = match &k {
                    Raw::Str(s) => s.clone(),
                    Raw::Int(i) => i.to_string(),
                    Raw::Uint(u) => u.to_string(),
                    Raw::Float(x) => float_key(*x),
                    Raw::Bool(b) => b.to_string(),
                    _ => {
                        return Err(format!(
                            "unsupported map key of type: %!s(<nil>), key: <nil>, value: {}",
                            go_sharp_v(&v)
                        ));
                    }
                };
                let value =
                    stacker::maybe_grow(64 * 1024, 1024 * 1024, || to_json_value(v, depth + 1))?;
                out.insert(key, value);
            }
            Value::map(out)
        }
    })
}

/// What the YAML text of a first document reads as, after the JSON round trip (`Nil` for
/// no document or a null one); the error is sigs.k8s.io/yaml's message.
pub fn read(text: &str) -> Result<Value, String> {
    let wrap = |e: String| format!("error converting YAML to JSON: {e}");
    let Some((doc, root)) = parse(text).map_err(wrap)? else {
        return Ok(Value::Nil);
    };
    let mut d = Decoder {
        doc: &doc,
        decode_count: 0,
        alias_count: 0,
        alias_depth: 0,
        active: Vec::new(),
    };
    let raw = d.decode(root).map_err(wrap)?;
    drop(doc);
    to_json_value(raw, 0).map_err(wrap)
}

/// The JSON kind name Go's decoder reports for a value it cannot store.
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "bool",
        Value::Int(_) | Value::Int64(_) | Value::Float(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "array",
        _ => "object",
    }
}

/// Helm's `fromYaml`: a map, or `{"Error": message}`.
pub fn from_yaml(text: &str) -> Value {
    let err = |m: String| {
        let mut out = BTreeMap::new();
        out.insert("Error".to_string(), Value::from(m));
        Value::map(out)
    };
    match read(text) {
        Ok(Value::Nil) => Value::empty_map(),
        Ok(v @ Value::Map(_)) => v,
        Ok(other) => err(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_kind(&other)
        )),
        Err(m) => err(m),
    }
}

/// Helm's `fromYamlArray`: a list, or a list holding the error message.
pub fn from_yaml_array(text: &str) -> Value {
    match read(text) {
        Ok(Value::Nil) => Value::list(Vec::new()),
        Ok(v @ Value::List(_)) => v,
        Ok(other) => Value::list(vec![Value::from(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
            json_kind(&other)
        ))]),
        Err(m) => Value::list(vec![Value::from(m)]),
    }
}
