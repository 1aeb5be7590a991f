//! Helm's `toYaml`: sigs.k8s.io/yaml's `Marshal`, which encodes the value as JSON,
//! reads that JSON back with go-yaml v2 (so numbers become ints where they can) and
//! writes it with go-yaml v2's emitter. This module writes the same bytes directly from the
//! value: go-yaml's key order, its choice of plain, single-quoted, double-quoted and literal
//! scalars, its folding of long lines at 80 columns and its indentation.
//!
//! Helm v4's `toYamlPretty` (yaml.v3's encoder, indentation 2, straight from the value) shares
//! the emitter; yaml.v3 differs in: floats in strconv's 'g' form (`.inf`, `.nan`), sequences
//! indented inside mappings, no folding of long lines, tabs forcing double quotes, one key-order rule.

use super::json;
use super::resolve::{is_base60_float, resolves_to_str};
use crate::value::Value;

/// yaml.v3's `Encoder` with `SetIndent(2)` (with its final newline): Helm's `toYamlPretty`.
pub fn marshal_v3(v: &Value) -> Result<String, String> {
    document(v, true).map_err(|e| match e {
        Failure::TooLarge => too_large(),
        _ => "yaml: value nested too deeply".into(),
    })
}

fn too_large() -> String {
    format!("yaml: output larger than {} bytes", crate::MAX_STRING)
}

/// One document: the node, then the implicit document end, which still breaks the last line.
fn document(v: &Value, v3: bool) -> Result<String, Failure> {
    let mut e = Emitter::new(v3);
    e.node(v, Context::ROOT, 0)?;
    e.write_indent();
    Ok(e.out)
}

/// `yaml.Marshal(v)` of sigs.k8s.io/yaml (with its final newline).
pub fn marshal(v: &Value) -> Result<String, String> {
    match document(v, false) {
        Ok(text) => Ok(text),
        Err(Failure::Yaml) => {
            // JSON encoding runs first in Go: its errors win over the reader's.
            let text = json::encode(v, json::MARSHAL)
                .map_err(|json_error| format!("error marshaling into JSON: {json_error}"))?;
            Err(reader_error(&text))
        }
        Err(Failure::TooLarge) => Err(too_large()),
        Err(Failure::Json) => {
            let json_error = json::encode(v, json::MARSHAL)
                .err()
                .unwrap_or_else(|| json::CYCLE.to_string());
            Err(format!("error marshaling into JSON: {json_error}"))
        }
    }
}

enum Failure {
    /// encoding/json refuses the value (NaN, infinities, cycles): the exact message comes
    /// from walking it again in JSON's order.
    Json,
    /// go-yaml refuses the JSON text: the message comes from reading it in JSON's order.
    Yaml,
    TooLarge,
}

const BEST_INDENT: i64 = 2;
const BEST_WIDTH: usize = 80;

#[derive(Clone, Copy)]
struct Context {
    root: bool,
    mapping: bool,
    simple_key: bool,
}

impl Context {
    const ROOT: Context = Context {
        root: true,
        mapping: false,
        simple_key: false,
    };
    const ITEM: Context = Context {
        root: false,
        mapping: false,
        simple_key: false,
    };
    const VALUE: Context = Context {
        root: false,
        mapping: true,
        simple_key: false,
    };
    const SIMPLE_KEY: Context = Context {
        root: false,
        mapping: true,
        simple_key: true,
    };
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// What go-yaml's `yaml_emitter_analyze_scalar` finds out about a scalar.
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

struct Emitter {
    out: String,
    column: usize,
    indent: i64,
    indents: Vec<i64>,
    whitespace: bool,
    indention: bool,
    /// yaml.v3's encoder (`toYamlPretty`) rather than go-yaml v2 after JSON.
    v3: bool,
}

/// A scalar ready to write: its text and the style the encoder asks for.
struct Scalar<'a> {
    text: std::borrow::Cow<'a, str>,
    style: Style,
}

fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

fn width(b: u8) -> usize {
    if b & 0x80 == 0 {
        1
    } else if b & 0xE0 == 0xC0 {
        2
    } else if b & 0xF0 == 0xE0 {
        3
    } else if b & 0xF8 == 0xF0 {
        4
    } else {
        1
    }
}

fn is_space(b: &[u8], i: usize) -> bool {
    at(b, i) == b' '
}

fn is_blank(b: &[u8], i: usize) -> bool {
    matches!(at(b, i), b' ' | b'\t')
}

fn is_break(b: &[u8], i: usize) -> bool {
    match at(b, i) {
        b'\r' | b'\n' => true,
        0xC2 => at(b, i + 1) == 0x85,
        0xE2 => at(b, i + 1) == 0x80 && matches!(at(b, i + 2), 0xA8 | 0xA9),
        _ => false,
    }
}

fn is_blankz(b: &[u8], i: usize) -> bool {
    i >= b.len() || at(b, i) == 0 || is_blank(b, i) || is_break(b, i)
}

/// go-yaml's `is_printable` (which, as written, counts no 4-byte character as printable).
fn is_printable(b: &[u8], i: usize) -> bool {
    let c = at(b, i);
    c == 0x0A
        || (0x20..=0x7E).contains(&c)
        || (c == 0xC2 && at(b, i + 1) >= 0xA0)
        || (c > 0xC2 && c < 0xED)
        || (c == 0xED && at(b, i + 1) < 0xA0)
        || c == 0xEE
        || (c == 0xEF
            && !(at(b, i + 1) == 0xBB && at(b, i + 2) == 0xBF)
            && !(at(b, i + 1) == 0xBF && matches!(at(b, i + 2), 0xBE | 0xBF)))
}

fn analyze(value: &str, v3: bool) -> Analysis {
    let b = value.as_bytes();
    if b.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = false;
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;
    let mut previous_space = false;
    let mut previous_break = false;
    // yaml.v3 keeps tabs out of plain and single-quoted scalars.
    let tabs = v3 && value.contains('\t');

    if b.starts_with(b"---") || b.starts_with(b"...") {
        block_indicators = true;
    }
    let mut preceded_by_whitespace = true;
    let mut i = 0;
    while i < b.len() {
        let w = width(b[i]);
        let followed_by_whitespace = i + w >= b.len() || is_blank(b, i + w);
        if i == 0 {
            match b[i] {
                b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>'
                | b'\'' | b'"' | b'%' | b'@' | b'`' => block_indicators = true,
                b'?' | b':' | b'-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match b[i] {
                b':' if followed_by_whitespace => block_indicators = true,
                b'#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        // A tab is a special character to go-yaml v2; yaml.v3 counts it apart (`tabs`).
        if !(is_printable(b, i) || v3 && b[i] == b'\t') {
            special_characters = true;
        }
        let space = is_space(b, i);
        let line_break = !space && is_break(b, i);
        let (first, last) = (i == 0, i + w == b.len());
        if space {
            leading_space |= first;
            trailing_space |= last;
            break_space |= previous_break;
        } else if line_break {
            line_breaks = true;
            leading_break |= first;
            trailing_break |= last;
            space_break |= previous_space;
        }
        previous_space = space;
        previous_break = line_break;
        preceded_by_whitespace = is_blankz(b, i);
        i += w;
    }

    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || tabs || special_characters {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        a.block_allowed = false;
    }
    if line_breaks {
        a.block_plain_allowed = false;
    }
    if block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// Characters the JSON text carries raw and go-yaml's reader refuses.
fn refused_by_reader(c: char) -> bool {
    matches!(c, '\u{7f}' | '\u{80}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}')
}

/// Whether a raw NEL is followed by `---` or `...` and a blank: go-yaml ends the document
/// there, inside the JSON string.
fn document_indicator_after_nel(s: &str) -> bool {
    s.match_indices('\u{85}')
        .any(|(i, _)| document_indicator(&s[i + 2..]))
}

/// `---` or `...` and a blank at the start of a line.
fn document_indicator(line: &str) -> bool {
    (line.starts_with("---") || line.starts_with("..."))
        && line[3..].starts_with([' ', '\t', '\u{85}'])
}

/// The string go-yaml reads back from the JSON text of `s`. JSON leaves NEL (U+0085)
/// unescaped, and YAML folds it as a line break inside a double-quoted scalar.
fn read_back(s: &str) -> Result<std::borrow::Cow<'_, str>, Failure> {
    if !s.chars().any(|c| c == '\u{85}' || refused_by_reader(c)) {
        return Ok(s.into());
    }
    if s.chars().any(refused_by_reader) || document_indicator_after_nel(s) {
        return Err(Failure::Yaml);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != ' ' && c != '\u{85}' {
            out.push(c);
            continue;
        }
        // A run of blanks and breaks, as the scanner's flow-scalar loop takes it.
        let mut spaces = String::new();
        let mut leading_break = false;
        let mut trailing_breaks = 0;
        let mut next = Some(c);
        while let Some(c) = next {
            match c {
                ' ' if !leading_break => spaces.push(' '),
                ' ' => {}
                _ if !leading_break => {
                    spaces.clear();
                    leading_break = true;
                }
                _ => trailing_breaks += 1,
            }
            next = chars.next_if(|&c| c == ' ' || c == '\u{85}');
        }
        if !leading_break {
            out.push_str(&spaces);
        } else if trailing_breaks == 0 {
            out.push(' ');
        } else {
            out.extend(std::iter::repeat_n('\n', trailing_breaks));
        }
    }
    Ok(out.into())
}

/// Whether go-yaml, reading the JSON text, drops `key` as a simple key of its flow mapping:
/// the key spans lines (a raw NEL) or its ':' comes more than 1024 characters after its start.
fn stale_key(key: &str) -> bool {
    key.contains('\u{85}') || (key.len() > 1000 && json_chars(key) > 1024)
}

/// The length in characters of `s` as JSON text, quotes included.
fn json_chars(s: &str) -> usize {
    2 + s
        .chars()
        .map(|c| match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => 6,
            c if (c as u32) < 0x20 => 6,
            _ => 1,
        })
        .sum::<usize>()
}

/// The error go-yaml gives reading the JSON text `text` (which holds a string it refuses).
/// Raw NELs are line breaks to it: a key holding one is no simple key (so the flow mapping
/// lacks its ','), and `---` or `...` right after one ends the document. Characters it
/// refuses are found when their 512-byte chunk of input is decoded.
fn reader_error(text: &str) -> String {
    const CONTROL: &str = "yaml: control characters are not allowed";
    let control_at = text
        .char_indices()
        .find(|&(_, c)| refused_by_reader(c))
        .map(|(i, _)| i);
    let mut lines = 0usize;
    // The lines at which the open flow mappings start (the parser's context mark).
    let mut maps: Vec<usize> = Vec::new();
    // The last string: its start (char index) and length in chars, and whether it spans lines.
    let mut string_start = 0usize;
    let mut last_string: Option<(usize, bool)> = None;
    let mut in_string = false;
    let mut escaped = false;
    let mut other: Option<(usize, String)> = None;
    for (index, (offset, c)) in text.char_indices().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
                let nel = last_string.is_some_and(|(_, nel)| nel);
                last_string = Some((index + 1 - string_start, nel));
            } else if c == '\u{85}' {
                lines += 1;
                last_string = Some((0, true));
                if document_indicator(&text[offset + 2..]) {
                    let message = format!(
                        "yaml: line {}: found unexpected document indicator",
                        lines + 1
                    );
                    other = Some((offset, message));
                    break;
                }
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                string_start = index;
                last_string = Some((0, false));
            }
            '{' => maps.push(lines),
            '}' => {
                maps.pop();
            }
            ':' => {
                if let Some((chars, nel)) = last_string
                    && (nel || chars > 1024)
                {
                    let start = maps.last().copied().unwrap_or(0);
                    let line = if lines != 0 { lines } else { start };
                    let at = if line != 0 {
                        format!("line {line}: ")
                    } else {
                        String::new()
                    };
                    let message = format!("yaml: {at}did not find expected ',' or '}}'");
                    other = Some((offset, message));
                    break;
                }
            }
            _ => {}
        }
    }
    // go-yaml decodes its input 512 bytes at a time, a few characters ahead of the scanner.
    let chunk_end = |offset: usize| (offset / 512 + 1) * 512;
    match (control_at, other) {
        (Some(c), Some((at, _))) if c < chunk_end(at + 4) => CONTROL.into(),
        (_, Some((_, message))) => message,
        (Some(_), None) => CONTROL.into(),
        (None, None) => "yaml: unknown problem parsing YAML content".into(),
    }
}

/// The scalar for a string; v2 writes what it reads back from the JSON text, v3 the string.
fn string_scalar(s: &str, v3: bool) -> Result<Scalar<'_>, Failure> {
    let text = if v3 { s.into() } else { read_back(s)? };
    let style = if text.contains('\n') {
        Style::Literal
    } else if resolves_to_str(&text) && !is_base60_float(&text) {
        Style::Plain
    } else {
        Style::Double
    };
    Ok(Scalar { text, style })
}

/// The text go-yaml writes for a float64 after its JSON round trip: integral values that
/// fit int64 or uint64 come back as integers, the rest as strconv's 'g' format.
fn float_text(x: f64) -> Result<String, Failure> {
    if !x.is_finite() {
        return Err(Failure::Json);
    }
    let mut text = String::new();
    json::write_float(&mut text, x).map_err(|_| Failure::Json)?;
    if !text.contains(['.', 'e']) {
        if let Ok(i) = text.parse::<i64>() {
            return Ok(i.to_string());
        }
        if text.parse::<u64>().is_ok() {
            return Ok(text);
        }
    }
    Ok(crate::fmt::format_float_g(x))
}

/// yaml.v3's `floatv`: strconv's 'g' form, with YAML's names for infinities and NaN.
fn float_text_v3(x: f64) -> String {
    if x.is_nan() {
        ".nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { ".inf" } else { "-.inf" }.into()
    } else {
        crate::fmt::format_float_g(x)
    }
}

fn plain(text: String) -> Scalar<'static> {
    Scalar {
        text: text.into(),
        style: Style::Plain,
    }
}

impl Emitter {
    fn new(v3: bool) -> Emitter {
        Emitter {
            v3,
            out: String::new(),
            column: 0,
            indent: -1,
            indents: Vec::new(),
            whitespace: true,
            indention: true,
        }
    }

    /// Lines fold past 80 columns in go-yaml v2; yaml.v3's encoder never folds.
    fn best_width(&self) -> usize {
        if self.v3 { usize::MAX } else { BEST_WIDTH }
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        self.out.push_str(indicator);
        self.column += indicator.chars().count();
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    /// Copies the character at `i` and moves `i` past it.
    fn write_char(&mut self, value: &str, i: &mut usize) {
        let w = width(value.as_bytes()[*i]);
        self.out.push_str(&value[*i..*i + w]);
        self.column += 1;
        *i += w;
    }

    fn write_break(&mut self, value: &str, i: &mut usize) {
        if value.as_bytes()[*i] == b'\n' {
            self.put_break();
            *i += 1;
        } else {
            self.write_char(value, i);
            self.column = 0;
        }
    }

    fn node(&mut self, v: &Value, ctx: Context, depth: usize) -> Result<(), Failure> {
        if depth >= crate::MAX_NESTING {
            return Err(Failure::Json);
        }
        if self.out.len() > crate::MAX_STRING {
            return Err(Failure::TooLarge);
        }
        match v {
            Value::Nil => self.scalar(&plain("null".into()), ctx),
            Value::Bool(b) => self.scalar(&plain(b.to_string()), ctx),
            Value::Int(i) | Value::Int64(i) => self.scalar(&plain(i.to_string()), ctx),
            Value::Float(x) if self.v3 => self.scalar(&plain(float_text_v3(*x)), ctx),
            Value::Float(x) => self.scalar(&plain(float_text(*x)?), ctx),
            Value::String(s) => self.scalar(&string_scalar(s, self.v3)?, ctx),
            Value::List(items) => {
                if items.is_empty() {
                    self.empty_flow("[", "]");
                    return Ok(());
                }
                // go-yaml v2 writes a mapping's sequences at the mapping's indentation.
                self.increase_indent(false, !self.v3 && ctx.mapping && !self.indention);
                for item in items.iter() {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.node(item, Context::ITEM, depth + 1)?;
                }
                self.pop_indent();
                Ok(())
            }
            Value::Map(map) => {
                let map = map.try_borrow().map_err(|_| Failure::Json)?;
                if map.is_empty() {
                    self.empty_flow("{", "}");
                    return Ok(());
                }
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                super::keys::sort(&mut entries, self.v3);
                self.increase_indent(false, false);
                for (k, item) in entries {
                    self.write_indent();
                    if !self.v3 && stale_key(k) {
                        return Err(Failure::Yaml);
                    }
                    let key = string_scalar(k, self.v3)?;
                    if !analyze(&key.text, self.v3).multiline && key.text.len() <= 128 {
                        self.scalar(&key, Context::SIMPLE_KEY)?;
                        self.write_indicator(":", false, false, false);
                    } else {
                        self.write_indicator("?", true, false, true);
                        self.scalar(&key, Context::VALUE)?;
                        self.write_indent();
                        self.write_indicator(":", true, false, true);
                    }
                    self.node(item, Context::VALUE, depth + 1)?;
                }
                self.pop_indent();
                Ok(())
            }
            Value::Object(o) => self.node(&o.to_value(), ctx, depth + 1),
        }
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.write_indicator(close, false, false, false);
    }

    fn scalar(&mut self, s: &Scalar, ctx: Context) -> Result<(), Failure> {
        let a = analyze(&s.text, self.v3);
        let mut style = s.style;
        if ctx.simple_key && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain
            && (!a.block_plain_allowed || (s.text.is_empty() && ctx.simple_key))
        {
            style = Style::Single;
        }
        if style == Style::Single && !a.single_quoted_allowed {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block_allowed || ctx.simple_key) {
            style = Style::Double;
        }
        let _ = ctx.root;
        self.increase_indent(true, false);
        let allow_breaks = !ctx.simple_key;
        match style {
            Style::Plain => self.write_plain(&s.text, allow_breaks),
            Style::Single => self.write_single(&s.text, allow_breaks),
            Style::Double => self.write_double(&s.text, allow_breaks),
            Style::Literal => self.write_literal(&s.text),
        }
        self.pop_indent();
        Ok(())
    }

    fn write_plain(&mut self, value: &str, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        self.write_folded_text(value, allow_breaks, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single(&mut self, value: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        self.write_folded_text(value, allow_breaks, true);
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    /// The body of a plain or single-quoted scalar: a space past the width becomes a line
    /// break (in a quoted one, never the first or last character), line breaks are doubled.
    fn write_folded_text(&mut self, value: &str, allow_breaks: bool, quoted: bool) {
        let b = value.as_bytes();
        let mut spaces = false;
        let mut breaks = false;
        let mut i = 0;
        while i < b.len() {
            if is_space(b, i) {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width()
                    && (!quoted || (i > 0 && i < b.len() - 1))
                    && !is_space(b, i + 1)
                {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write_char(value, &mut i);
                }
                spaces = true;
            } else if is_break(b, i) {
                if !breaks && b[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(value, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if quoted && b[i] == b'\'' {
                    self.put('\'');
                }
                self.write_char(value, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
    }

    fn write_double(&mut self, value: &str, allow_breaks: bool) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let b = value.as_bytes();
        let bom = b.starts_with(&[0xEF, 0xBB, 0xBF]);
        self.write_indicator("\"", true, false, false);
        let mut spaces = false;
        let mut i = 0;
        while i < b.len() {
            if !is_printable(b, i) || bom || is_break(b, i) || b[i] == b'"' || b[i] == b'\\' {
                let c = value[i..].chars().next().unwrap_or('\0');
                i += c.len_utf8();
                self.put('\\');
                let short = match c {
                    '\0' => Some('0'),
                    '\u{7}' => Some('a'),
                    '\u{8}' => Some('b'),
                    '\t' => Some('t'),
                    '\n' => Some('n'),
                    '\u{b}' => Some('v'),
                    '\u{c}' => Some('f'),
                    '\r' => Some('r'),
                    '\u{1b}' => Some('e'),
                    '"' => Some('"'),
                    '\\' => Some('\\'),
                    '\u{85}' => Some('N'),
                    '\u{a0}' => Some('_'),
                    '\u{2028}' => Some('L'),
                    '\u{2029}' => Some('P'),
                    _ => None,
                };
                match short {
                    Some(e) => self.put(e),
                    None => {
                        let v = c as u32;
                        let (letter, digits) = if v <= 0xFF {
                            ('x', 2)
                        } else if v <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(letter);
                        for k in (0..digits).rev() {
                            self.put(HEX[((v >> (4 * k)) & 0xF) as usize] as char);
                        }
                    }
                }
                spaces = false;
            } else if is_space(b, i) {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width()
                    && i > 0
                    && i < b.len() - 1
                {
                    self.write_indent();
                    if is_space(b, i + 1) {
                        self.put('\\');
                    }
                    i += 1;
                } else {
                    self.write_char(value, &mut i);
                }
                spaces = true;
            } else {
                self.write_char(value, &mut i);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, value: &str) {
        let b = value.as_bytes();
        self.write_indicator("|", true, false, false);
        // Block scalar hints: an indentation indicator when the text starts with a space
        // or a break, and the chomping indicator.
        if is_space(b, 0) || is_break(b, 0) {
            self.write_indicator("2", false, false, false);
        }
        let chomp = if b.is_empty() {
            Some("-")
        } else {
            let mut i = b.len() - 1;
            while i > 0 && b[i] & 0xC0 == 0x80 {
                i -= 1;
            }
            if !is_break(b, i) {
                Some("-")
            } else if i == 0 {
                Some("+")
            } else {
                let mut j = i - 1;
                while j > 0 && b[j] & 0xC0 == 0x80 {
                    j -= 1;
                }
                if is_break(b, j) { Some("+") } else { None }
            }
        };
        if let Some(chomp) = chomp {
            self.write_indicator(chomp, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        let mut i = 0;
        while i < b.len() {
            if is_break(b, i) {
                self.write_break(value, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write_char(value, &mut i);
                self.indention = false;
                breaks = false;
            }
        }
    }
}
