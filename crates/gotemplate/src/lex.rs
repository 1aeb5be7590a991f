//! Go's template lexer (`text/template/parse/lex.go`): text, actions with trim
//! markers, comments, and the tokens inside actions. The whole input is lexed up
//! front; lexing stops at the first error, which becomes the last item, as Go's
//! lexer stops there.

/// Go's `strconv.Quote` (one implementation, in `fmt`).
pub use crate::fmt::quote as go_quote;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ItemType {
    Error,
    Bool,
    Char,
    CharConstant,
    Comment,
    Complex,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    // Keywords (Go orders them after `itemKeyword`; they print as `<word>`).
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

impl ItemType {
    fn is_keyword(self) -> bool {
        self >= ItemType::Block
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Item {
    pub typ: ItemType,
    /// Byte offset of the item in the input.
    pub pos: usize,
    /// End of the item's text in the input (for errors: unused).
    pub end: usize,
    pub line: usize,
}

pub struct Lexed<'a> {
    pub input: &'a str,
    pub items: Vec<Item>,
    /// The message of the error item, if lexing failed.
    pub error: String,
}

impl Lexed<'_> {
    pub fn val(&self, item: &Item) -> &str {
        match item.typ {
            ItemType::Error => &self.error,
            ItemType::Eof => "",
            _ => &self.input[item.pos..item.end],
        }
    }

    /// Go's `item.String()`, as parse errors show a token.
    pub fn describe(&self, item: &Item) -> String {
        let val = self.val(item);
        match item.typ {
            ItemType::Eof => "EOF".into(),
            ItemType::Error => val.to_string(),
            t if t.is_keyword() => format!("<{val}>"),
            _ if val.len() > 10 => {
                let short: String = val.chars().take(10).collect();
                format!("{}...", go_quote(&short))
            }
            _ => go_quote(val),
        }
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Go's `isAlphaNumeric` (Rust's `is_numeric` also accepts No and Nl numerals, which
/// Go's `unicode.IsDigit` does not: a difference no template meets in practice).
fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

fn has_left_trim(s: &[u8]) -> bool {
    s.len() >= 2 && s[0] == b'-' && is_space(s[1])
}

fn has_right_trim(s: &[u8]) -> bool {
    s.len() >= 2 && is_space(s[0]) && s[1] == b'-'
}

struct Lexer<'a> {
    input: &'a str,
    bytes: &'a [u8],
    pos: usize,
    start: usize,
    /// Line at `start`.
    line: usize,
    /// Where `line` was counted up to.
    counted: usize,
    paren_depth: i64,
    in_action: bool,
    items: Vec<Item>,
    error: Option<String>,
    break_ok: bool,
    continue_ok: bool,
}

/// Lexes `input`; `break_ok`/`continue_ok` are false when a function of that name
/// exists (Go then reads the word as an identifier).
pub fn lex(input: &str, break_ok: bool, continue_ok: bool) -> Lexed<'_> {
    let mut l = Lexer {
        input,
        bytes: input.as_bytes(),
        pos: 0,
        start: 0,
        line: 1,
        counted: 0,
        paren_depth: 0,
        in_action: false,
        items: Vec::new(),
        error: None,
        break_ok,
        continue_ok,
    };
    l.run();
    Lexed {
        input,
        items: l.items,
        error: l.error.unwrap_or_default(),
    }
}

impl<'a> Lexer<'a> {
    fn sync_line(&mut self) {
        if self.start > self.counted {
            self.line += self.bytes[self.counted..self.start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.counted = self.start;
        }
    }

    fn emit(&mut self, typ: ItemType) {
        self.emit_range(typ, self.start, self.pos);
        self.start = self.pos;
    }

    fn emit_range(&mut self, typ: ItemType, start: usize, end: usize) {
        let save = self.start;
        self.start = start;
        self.sync_line();
        self.start = save;
        self.items.push(Item {
            typ,
            pos: start,
            end,
            line: self.line,
        });
    }

    fn ignore(&mut self) {
        self.start = self.pos;
    }

    fn errorf(&mut self, msg: String) {
        self.sync_line();
        self.items.push(Item {
            typ: ItemType::Error,
            pos: self.start,
            end: self.start,
            line: self.line,
        });
        self.error = Some(msg);
    }

    fn peek_char(&self) -> Option<char> {
        self.input[self.pos..].chars().next()
    }

    fn next_char(&mut self) -> Option<char> {
        let c = self.peek_char()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.peek_char() {
            Some(c) if valid.contains(c) => {
                self.pos += c.len_utf8();
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn rest(&self) -> &'a [u8] {
        &self.bytes[self.pos..]
    }

    fn run(&mut self) {
        loop {
            // Text up to the next action.
            let Some(x) = self.input[self.pos..].find("{{") else {
                self.pos = self.input.len();
                if self.pos > self.start {
                    self.emit(ItemType::Text);
                }
                self.emit_eof();
                return;
            };
            if x > 0 {
                self.pos += x;
                let mut trim = 0;
                if has_left_trim(&self.bytes[self.pos + 2..]) {
                    let text = &self.input[self.start..self.pos];
                    trim = text.len() - text.trim_end_matches([' ', '\t', '\r', '\n']).len();
                }
                if self.pos - trim > self.start {
                    self.emit_range(ItemType::Text, self.start, self.pos - trim);
                }
                self.start = self.pos;
            }
            if !self.left_delim() {
                return;
            }
        }
    }

    fn emit_eof(&mut self) {
        self.start = self.pos;
        self.sync_line();
        self.items.push(Item {
            typ: ItemType::Eof,
            pos: self.pos,
            end: self.pos,
            line: self.line,
        });
    }

    /// At `{{`: a comment or an action. False once lexing stopped.
    fn left_delim(&mut self) -> bool {
        self.pos += 2;
        let trim = has_left_trim(self.rest());
        let after = if trim { 2 } else { 0 };
        if self.bytes[self.pos + after..].starts_with(b"/*") {
            self.pos += after;
            self.ignore();
            return self.comment();
        }
        let delim_start = self.start;
        self.emit_range(ItemType::LeftDelim, delim_start, self.pos);
        self.pos += after;
        self.ignore();
        self.paren_depth = 0;
        self.inside_action()
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = self.rest();
        if has_right_trim(rest) && rest[2..].starts_with(b"}}") {
            return (true, true);
        }
        (rest.starts_with(b"}}"), false)
    }

    fn comment(&mut self) -> bool {
        self.pos += 2;
        let Some(x) = self.input[self.pos..].find("*/") else {
            self.errorf("unclosed comment".into());
            return false;
        };
        self.pos += x + 2;
        let (delim, trim) = self.at_right_delim();
        if !delim {
            self.errorf("comment ends before closing delimiter".into());
            return false;
        }
        if trim {
            self.pos += 2;
        }
        self.pos += 2;
        if trim {
            self.skip_left_spaces();
        }
        self.ignore();
        true
    }

    fn skip_left_spaces(&mut self) {
        while self.pos < self.bytes.len() && is_space(self.bytes[self.pos]) {
            self.pos += 1;
        }
    }

    fn right_delim(&mut self, trim: bool) {
        if trim {
            self.pos += 2;
            self.ignore();
        }
        self.pos += 2;
        self.emit(ItemType::RightDelim);
        if trim {
            self.skip_left_spaces();
            self.ignore();
        }
    }

    /// Lexes the inside of an action up to and including its `}}`.
    fn inside_action(&mut self) -> bool {
        self.in_action = true;
        loop {
            if !self.in_action {
                return true;
            }
            let (delim, trim) = self.at_right_delim();
            if delim {
                if self.paren_depth == 0 {
                    self.right_delim(trim);
                    self.in_action = false;
                }
                if self.in_action {
                    self.errorf("unclosed left paren".into());
                    return false;
                }
                continue;
            }
            let Some(c) = self.next_char() else {
                self.errorf("unclosed action".into());
                return false;
            };
            let ok = match c {
                ' ' | '\t' | '\r' | '\n' => {
                    self.pos -= 1;
                    self.space()
                }
                '=' => {
                    self.emit(ItemType::Assign);
                    true
                }
                ':' => {
                    if self.next_char() != Some('=') {
                        self.errorf("expected :=".into());
                        false
                    } else {
                        self.emit(ItemType::Declare);
                        true
                    }
                }
                '|' => {
                    self.emit(ItemType::Pipe);
                    true
                }
                '"' => self.quote(),
                '`' => self.raw_quote(),
                '$' => self.variable(),
                '\'' => self.char_constant(),
                '.' if self.pos < self.bytes.len() && !self.bytes[self.pos].is_ascii_digit() => {
                    self.field_or_variable(ItemType::Field)
                }
                '.' | '+' | '-' | '0'..='9' => {
                    self.pos -= 1;
                    self.number()
                }
                c if is_alnum(c) => {
                    self.pos -= c.len_utf8();
                    self.identifier()
                }
                '(' => {
                    self.paren_depth += 1;
                    self.emit(ItemType::LeftParen);
                    true
                }
                ')' => {
                    self.paren_depth -= 1;
                    if self.paren_depth < 0 {
                        self.errorf("unexpected right paren".into());
                        false
                    } else {
                        self.emit(ItemType::RightParen);
                        true
                    }
                }
                c if c.is_ascii() && !c.is_ascii_control() => {
                    self.emit(ItemType::Char);
                    true
                }
                c => {
                    self.errorf(format!(
                        "unrecognized character in action: {}",
                        unicode_plus(c)
                    ));
                    false
                }
            };
            if !ok {
                return false;
            }
        }
    }

    /// Spaces inside an action; a single space before `-}}` belongs to the delimiter.
    fn space(&mut self) -> bool {
        let mut n = 0;
        while self.pos < self.bytes.len() && is_space(self.bytes[self.pos]) {
            self.pos += 1;
            n += 1;
        }
        let at = self.pos - 1;
        if has_right_trim(&self.bytes[at..]) && self.bytes[at + 2..].starts_with(b"}}") {
            self.pos -= 1;
            if n == 1 {
                let (_, trim) = self.at_right_delim();
                self.right_delim(trim);
                self.in_action = false;
                return true;
            }
        }
        self.emit(ItemType::Space);
        true
    }

    fn at_terminator(&self) -> bool {
        match self.peek_char() {
            None => true,
            Some(c) if c.is_ascii() && is_space(c as u8) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            _ => self.rest().starts_with(b"}}"),
        }
    }

    fn identifier(&mut self) -> bool {
        while let Some(c) = self.peek_char() {
            if !is_alnum(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
        if !self.at_terminator() {
            let c = self.peek_char().unwrap_or('\u{FFFD}');
            self.errorf(format!("bad character {}", unicode_plus(c)));
            return false;
        }
        let word = &self.input[self.start..self.pos];
        let typ = match word {
            "block" => ItemType::Block,
            "break" if self.break_ok => ItemType::Break,
            "continue" if self.continue_ok => ItemType::Continue,
            "define" => ItemType::Define,
            "else" => ItemType::Else,
            "end" => ItemType::End,
            "if" => ItemType::If,
            "range" => ItemType::Range,
            "nil" => ItemType::Nil,
            "template" => ItemType::Template,
            "with" => ItemType::With,
            "true" | "false" => ItemType::Bool,
            _ => ItemType::Identifier,
        };
        self.emit(typ);
        true
    }

    fn variable(&mut self) -> bool {
        if self.at_terminator() {
            self.emit(ItemType::Variable);
            return true;
        }
        self.field_or_variable(ItemType::Variable)
    }

    fn field_or_variable(&mut self, typ: ItemType) -> bool {
        if self.at_terminator() {
            self.emit(if typ == ItemType::Variable {
                ItemType::Variable
            } else {
                ItemType::Dot
            });
            return true;
        }
        let mut last = None;
        while let Some(c) = self.peek_char() {
            if !is_alnum(c) {
                last = Some(c);
                break;
            }
            self.pos += c.len_utf8();
        }
        if !self.at_terminator() {
            let c = last.unwrap_or('\u{FFFD}');
            self.errorf(format!("bad character {}", unicode_plus(c)));
            return false;
        }
        self.emit(typ);
        true
    }

    fn char_constant(&mut self) -> bool {
        self.quoted(
            '\'',
            ItemType::CharConstant,
            "unterminated character constant",
        )
    }

    /// A quoted literal up to `close` (backslash escapes; no newline).
    fn quoted(&mut self, close: char, typ: ItemType, unterminated: &str) -> bool {
        loop {
            let ok = match self.next_char() {
                Some('\\') => self.next_char().is_some_and(|c| c != '\n'),
                Some(c) if c == close => break,
                c => c.is_some_and(|c| c != '\n'),
            };
            if !ok {
                self.errorf(unterminated.into());
                return false;
            }
        }
        self.emit(typ);
        true
    }

    fn number(&mut self) -> bool {
        if !self.scan_number() {
            let text = self.input[self.start..self.pos].to_string();
            self.errorf(format!("bad number syntax: {}", go_quote(&text)));
            return false;
        }
        if matches!(self.peek_char(), Some('+' | '-')) {
            if !self.scan_number() || !self.input[..self.pos].ends_with('i') {
                let text = self.input[self.start..self.pos].to_string();
                self.errorf(format!("bad number syntax: {}", go_quote(&text)));
                return false;
            }
            self.emit(ItemType::Complex);
            return true;
        }
        self.emit(ItemType::Number);
        true
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if let Some(c) = self.peek_char()
            && is_alnum(c)
        {
            self.pos += c.len_utf8();
            return false;
        }
        true
    }

    fn quote(&mut self) -> bool {
        self.quoted('"', ItemType::String, "unterminated quoted string")
    }

    fn raw_quote(&mut self) -> bool {
        match self.input[self.pos..].find('`') {
            Some(x) => {
                self.pos += x + 1;
                self.emit(ItemType::RawString);
                true
            }
            None => {
                self.pos = self.input.len();
                self.errorf("unterminated raw quoted string".into());
                false
            }
        }
    }
}

/// Go's `%#U`: `U+0041 'A'`.
fn unicode_plus(c: char) -> String {
    if is_go_printable(c) {
        format!("U+{:04X} '{c}'", c as u32)
    } else {
        format!("U+{:04X}", c as u32)
    }
}

/// Go's `strconv.IsPrint`, approximately: letters, marks, numbers, punctuation,
/// symbols and the ASCII space.
pub fn is_go_printable(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    !(c.is_control()
        || c.is_whitespace()
        || matches!(c as u32, 0xAD | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB)
        || (0xD800..=0xDFFF).contains(&(c as u32))
        || (0xE000..=0xF8FF).contains(&(c as u32))
        || (0xF0000..=0x10FFFF).contains(&(c as u32))
        || matches!(c as u32 & 0xFFFF, 0xFFFE | 0xFFFF))
}

/// Go's `strconv.Unquote` for the literals the lexer accepts: `"..."`, `` `...` ``
/// and `'c'` (one character). The error is Go's message: `invalid syntax`.
pub fn unquote(s: &str) -> Result<String, &'static str> {
    let bytes = s.as_bytes();
    if bytes.len() < 2 {
        return Err("invalid syntax");
    }
    let quote = bytes[0];
    if bytes[bytes.len() - 1] != quote {
        return Err("invalid syntax");
    }
    let body = &s[1..s.len() - 1];
    match quote {
        b'`' => {
            if body.contains('`') {
                return Err("invalid syntax");
            }
            Ok(body.replace('\r', ""))
        }
        b'"' | b'\'' => {
            let mut out = String::with_capacity(body.len());
            let mut rest = body;
            while !rest.is_empty() {
                let (c, tail) = unquote_char(rest, quote)?;
                match c {
                    Unquoted::Char(c) => out.push(c),
                    Unquoted::Byte(b) => {
                        // A \x or octal byte: Go keeps raw bytes; non-UTF-8 bytes
                        // cannot live in a Rust string, so they become U+FFFD.
                        if b < 0x80 {
                            out.push(b as char);
                        } else {
                            out.push('\u{FFFD}');
                        }
                    }
                }
                rest = tail;
            }
            if quote == b'\'' && out.chars().count() != 1 {
                return Err("invalid syntax");
            }
            Ok(out)
        }
        _ => Err("invalid syntax"),
    }
}

pub enum Unquoted {
    Char(char),
    Byte(u8),
}

/// Go's `strconv.UnquoteChar`.
pub fn unquote_char(s: &str, quote: u8) -> Result<(Unquoted, &str), &'static str> {
    let mut chars = s.chars();
    let c = chars.next().ok_or("invalid syntax")?;
    if c as u32 == quote as u32 && (quote == b'\'' || quote == b'"') {
        return Err("invalid syntax");
    }
    if c != '\\' {
        if c == '\n' && quote == b'"' {
            return Err("invalid syntax");
        }
        return Ok((Unquoted::Char(c), chars.as_str()));
    }
    let e = chars.next().ok_or("invalid syntax")?;
    let rest = chars.as_str();
    let simple = |c: char| Ok((Unquoted::Char(c), rest));
    match e {
        'a' => simple('\u{7}'),
        'b' => simple('\u{8}'),
        'f' => simple('\u{c}'),
        'n' => simple('\n'),
        'r' => simple('\r'),
        't' => simple('\t'),
        'v' => simple('\u{b}'),
        '\\' => simple('\\'),
        '\'' | '"' => {
            if e as u32 != quote as u32 {
                return Err("invalid syntax");
            }
            simple(e)
        }
        'x' | 'u' | 'U' => {
            let n = match e {
                'x' => 2,
                'u' => 4,
                _ => 8,
            };
            if rest.len() < n || !rest.is_char_boundary(n) {
                return Err("invalid syntax");
            }
            let v = u32::from_str_radix(&rest[..n], 16).map_err(|_| "invalid syntax")?;
            if rest[..n].starts_with(['+', '-']) {
                return Err("invalid syntax");
            }
            if e == 'x' {
                return Ok((Unquoted::Byte(v as u8), &rest[n..]));
            }
            let c = char::from_u32(v).ok_or("invalid syntax")?;
            Ok((Unquoted::Char(c), &rest[n..]))
        }
        '0'..='7' => {
            if rest.len() < 2 || !rest.is_char_boundary(2) {
                return Err("invalid syntax");
            }
            let digits = format!("{e}{}", &rest[..2]);
            let v = u32::from_str_radix(&digits, 8).map_err(|_| "invalid syntax")?;
            if v > 255 {
                return Err("invalid syntax");
            }
            Ok((Unquoted::Byte(v as u8), &rest[2..]))
        }
        _ => Err("invalid syntax"),
    }
}
