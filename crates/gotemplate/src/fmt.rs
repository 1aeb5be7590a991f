//! Go's `fmt` over template values: `Sprint` (how `{{ x }}` and `print` show a
//! value), `Sprintln`, `Sprintf` (`printf`) with Go's verbs, flags and error forms
//! (`%!d(float64=8080)`, `%!v(MISSING)`, `%!(EXTRA int=1)`), and strconv's float
//! formatting and quoting.
//!
//! Not covered (no chart uses them): `%x`/`%X` of floats ignore a precision (they
//! print the shortest hex mantissa), and `%p`/`%w` are bad verbs here.

use crate::MAX_STRING;
use crate::value::Value;

/// `fmt.Sprint(v)` for one value: `%v`. Output past [`MAX_STRING`] is cut off (a map
/// holding itself); the callers that build strings use [`sprint`], which reports it.
pub fn sprint_value(v: &Value) -> String {
    let mut p = Printer::new();
    p.print_arg(v, 'v', 0);
    p.buf
}

/// `fmt.Sprint(args...)`: operands printed with `%v`, a space between two operands
/// when neither is a string.
pub fn sprint(args: &[Value]) -> Result<String, String> {
    let mut p = Printer::new();
    let mut prev_string = false;
    for (i, arg) in args.iter().enumerate() {
        let is_string = matches!(arg, Value::String(_));
        if i > 0 && !is_string && !prev_string {
            p.buf.push(' ');
        }
        p.flags = Flags::default();
        p.print_arg(arg, 'v', 0);
        prev_string = is_string;
    }
    p.finish("print")
}

/// `fmt.Sprintln(args...)`: operands with `%v`, always a space between them, and a newline.
pub fn sprintln(args: &[Value]) -> Result<String, String> {
    let mut p = Printer::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            p.buf.push(' ');
        }
        p.flags = Flags::default();
        p.print_arg(arg, 'v', 0);
    }
    p.buf.push('\n');
    p.finish("println")
}

/// `fmt.Sprintf(format, args...)`.
pub fn sprintf(format: &str, args: &[Value]) -> Result<String, String> {
    let mut p = Printer::new();
    p.do_printf(format, args);
    p.finish("printf")
}

/// strconv.Quote: a double-quoted Go string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    quote_into(&mut out, s, '"', false);
    out
}

/// Go's fmt width and precision bound: larger numbers are not a width.
const MAX_WIDTH: usize = 1_000_000;

#[derive(Default, Clone, Copy)]
struct Flags {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    sharp_v: bool,
    wid: Option<usize>,
    prec: Option<usize>,
}

struct Printer {
    buf: String,
    flags: Flags,
}

impl Printer {
    fn new() -> Printer {
        Printer {
            buf: String::new(),
            flags: Flags::default(),
        }
    }

    fn full(&self) -> bool {
        self.buf.len() > MAX_STRING
    }

    fn finish(self, name: &str) -> Result<String, String> {
        if self.full() {
            return Err(format!("{name}: output exceeds {MAX_STRING} bytes"));
        }
        Ok(self.buf)
    }

    fn do_printf(&mut self, format: &str, args: &[Value]) {
        let bytes = format.as_bytes();
        let end = bytes.len();
        let mut arg_num = 0usize;
        let mut reordered = false;
        let mut i = 0usize;
        'format: while i < end {
            if self.full() {
                return;
            }
            let mut good_arg_num = true;
            let lasti = i;
            while i < end && bytes[i] != b'%' {
                i += 1;
            }
            if i > lasti {
                self.buf.push_str(&format[lasti..i]);
            }
            if i >= end {
                break;
            }
            i += 1;
            self.flags = Flags::default();
            while i < end {
                match bytes[i] {
                    b'#' => self.flags.sharp = true,
                    b'0' => self.flags.zero = true,
                    b'+' => self.flags.plus = true,
                    b'-' => self.flags.minus = true,
                    b' ' => self.flags.space = true,
                    c => {
                        if c.is_ascii_lowercase() && arg_num < args.len() {
                            // The fast path of Go: a simple verb right after the flags.
                            if c == b'v' {
                                self.set_v_flags();
                            }
                            self.print_arg(&args[arg_num], c as char, 0);
                            arg_num += 1;
                            i += 1;
                            continue 'format;
                        }
                        break;
                    }
                }
                i += 1;
            }

            let mut after_index;
            (arg_num, i, after_index) = arg_number(
                arg_num,
                format,
                i,
                args.len(),
                &mut reordered,
                &mut good_arg_num,
            );

            if i < end && bytes[i] == b'*' {
                i += 1;
                let (wid, ok, next) = int_from_arg(args, arg_num);
                arg_num = next;
                self.flags.wid = ok.then_some(wid.unsigned_abs() as usize);
                if !ok {
                    self.buf.push_str("%!(BADWIDTH)");
                } else if wid < 0 {
                    self.flags.minus = true;
                    self.flags.zero = false;
                }
                after_index = false;
            } else {
                let (n, present, next) = parse_num(bytes, i);
                i = next;
                self.flags.wid = present.then_some(n);
                if after_index && present {
                    good_arg_num = false;
                }
            }

            if i + 1 < end && bytes[i] == b'.' {
                i += 1;
                if after_index {
                    good_arg_num = false;
                }
                (arg_num, i, after_index) = arg_number(
                    arg_num,
                    format,
                    i,
                    args.len(),
                    &mut reordered,
                    &mut good_arg_num,
                );
                if i < end && bytes[i] == b'*' {
                    i += 1;
                    let (prec, ok, next) = int_from_arg(args, arg_num);
                    arg_num = next;
                    self.flags.prec = (ok && prec >= 0).then_some(prec as usize);
                    if self.flags.prec.is_none() {
                        self.buf.push_str("%!(BADPREC)");
                    }
                    after_index = false;
                } else {
                    let (n, present, next) = parse_num(bytes, i);
                    i = next;
                    self.flags.prec = Some(if present { n } else { 0 });
                }
            }

            if !after_index {
                (arg_num, i, _) = arg_number(
                    arg_num,
                    format,
                    i,
                    args.len(),
                    &mut reordered,
                    &mut good_arg_num,
                );
            }

            let Some(verb) = format[i.min(end)..].chars().next() else {
                self.buf.push_str("%!(NOVERB)");
                break;
            };
            i += verb.len_utf8();

            if verb == '%' {
                self.buf.push('%');
            } else if !good_arg_num {
                self.bad_marker(verb, "BADINDEX");
            } else if arg_num >= args.len() {
                self.bad_marker(verb, "MISSING");
            } else {
                if verb == 'v' {
                    self.set_v_flags();
                }
                self.print_arg(&args[arg_num], verb, 0);
                arg_num += 1;
            }
        }

        if !reordered && arg_num < args.len() {
            self.flags = Flags::default();
            self.buf.push_str("%!(EXTRA ");
            for (k, arg) in args[arg_num..].iter().enumerate() {
                if k > 0 {
                    self.buf.push_str(", ");
                }
                if arg.is_nil() {
                    self.buf.push_str("<nil>");
                } else {
                    self.buf.push_str(&arg.type_name());
                    self.buf.push('=');
                    self.print_arg(arg, 'v', 0);
                }
            }
            self.buf.push(')');
        }
    }

    fn set_v_flags(&mut self) {
        self.flags.sharp_v = self.flags.sharp;
        self.flags.sharp = false;
        self.flags.plus_v = self.flags.plus;
        self.flags.plus = false;
    }

    fn bad_marker(&mut self, verb: char, what: &str) {
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push('(');
        self.buf.push_str(what);
        self.buf.push(')');
    }

    fn print_arg(&mut self, v: &Value, verb: char, depth: usize) {
        if self.full() {
            return;
        }
        if verb == 'T' {
            let name = v.type_name();
            self.fmt_s(&name);
            return;
        }
        match v {
            Value::Nil => {
                if depth > 0 {
                    // A nil inside a list or map prints as <nil> whatever the verb.
                    self.buf.push_str(if self.flags.sharp_v {
                        "interface {}(nil)"
                    } else {
                        "<nil>"
                    });
                } else if verb == 'v' {
                    self.pad_str("<nil>");
                } else {
                    self.bad_verb(v, verb, depth);
                }
            }
            Value::Bool(b) => match verb {
                't' | 'v' => self.pad_str(if *b { "true" } else { "false" }),
                _ => self.bad_verb(v, verb, depth),
            },
            Value::Int(i) | Value::Int64(i) => self.fmt_int(v, *i, verb, depth),
            Value::Float(x) => self.fmt_float_verb(v, *x, verb, depth),
            Value::String(s) => match verb {
                'v' if self.flags.sharp_v => self.fmt_q(s),
                'v' | 's' => self.fmt_s(s),
                'x' => self.fmt_sx(s, false),
                'X' => self.fmt_sx(s, true),
                'q' => self.fmt_q(s),
                _ => self.bad_verb(v, verb, depth),
            },
            Value::List(items) => {
                if depth >= crate::MAX_NESTING {
                    self.buf.push_str("[...]");
                    return;
                }
                if self.flags.sharp_v {
                    self.buf.push_str("[]interface {}{");
                } else {
                    self.buf.push('[');
                }
                for (k, item) in items.iter().enumerate() {
                    if self.full() {
                        return;
                    }
                    if k > 0 {
                        self.buf
                            .push_str(if self.flags.sharp_v { ", " } else { " " });
                    }
                    self.print_arg(item, verb, depth + 1);
                }
                self.buf.push(if self.flags.sharp_v { '}' } else { ']' });
            }
            Value::Map(map) => {
                if depth >= crate::MAX_NESTING {
                    self.buf.push_str("map[...]");
                    return;
                }
                let Ok(map) = map.try_borrow() else {
                    self.buf.push_str("map[...]");
                    return;
                };
                if self.flags.sharp_v {
                    self.buf.push_str("map[string]interface {}{");
                } else {
                    self.buf.push_str("map[");
                }
                for (k, (key, item)) in map.iter().enumerate() {
                    if self.full() {
                        return;
                    }
                    if k > 0 {
                        self.buf
                            .push_str(if self.flags.sharp_v { ", " } else { " " });
                    }
                    match verb {
                        'v' if self.flags.sharp_v => self.fmt_q(key),
                        'v' | 's' => self.fmt_s(key),
                        'x' => self.fmt_sx(key, false),
                        'X' => self.fmt_sx(key, true),
                        'q' => self.fmt_q(key),
                        _ => self.bad_verb(&Value::string(key.as_str()), verb, depth + 1),
                    }
                    self.buf.push(':');
                    self.print_arg(item, verb, depth + 1);
                }
                self.buf.push(if self.flags.sharp_v { '}' } else { ']' });
            }
            Value::Object(o) => {
                let shown = o.to_value();
                if matches!(shown, Value::Object(_)) {
                    self.pad_str("{}");
                } else {
                    self.print_arg(&shown, verb, depth);
                }
            }
        }
    }

    /// `%!verb(type=value)`, Go's report of a verb that does not fit the operand.
    fn bad_verb(&mut self, v: &Value, verb: char, depth: usize) {
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push('(');
        if v.is_nil() {
            self.buf.push_str("<nil>");
        } else {
            self.buf.push_str(&v.type_name());
            self.buf.push('=');
            let (sharp_v, plus_v) = (self.flags.sharp_v, self.flags.plus_v);
            self.print_arg(v, 'v', depth);
            self.flags.sharp_v = sharp_v;
            self.flags.plus_v = plus_v;
        }
        self.buf.push(')');
    }

    /// Widths are at most [`MAX_WIDTH`]; `full` stops the output between verbs.
    fn write_padding(&mut self, n: usize) {
        let c = if self.flags.zero && !self.flags.minus {
            '0'
        } else {
            ' '
        };
        self.buf.extend(std::iter::repeat_n(c, n));
    }

    /// Pads `s` to the width with spaces or zeros, left or right.
    fn pad_str(&mut self, s: &str) {
        let Some(wid) = self.flags.wid.filter(|w| *w > 0) else {
            self.buf.push_str(s);
            return;
        };
        let width = wid.saturating_sub(s.chars().count());
        if self.flags.minus {
            self.buf.push_str(s);
            self.write_padding(width);
        } else {
            self.write_padding(width);
            self.buf.push_str(s);
        }
    }

    fn truncate<'a>(&self, s: &'a str) -> &'a str {
        match self.flags.prec {
            Some(n) => match s.char_indices().nth(n) {
                Some((i, _)) => &s[..i],
                None => s,
            },
            None => s,
        }
    }

    fn fmt_s(&mut self, s: &str) {
        let s = self.truncate(s);
        self.pad_str(s);
    }

    fn fmt_q(&mut self, s: &str) {
        let s = self.truncate(s);
        if self.flags.sharp && can_backquote(s) {
            self.pad_str(&format!("`{s}`"));
            return;
        }
        let mut q = String::with_capacity(s.len() + 2);
        quote_into(&mut q, s, '"', self.flags.plus);
        self.pad_str(&q);
    }

    fn fmt_sx(&mut self, s: &str, upper: bool) {
        let digits: &[u8; 16] = if upper {
            b"0123456789ABCDEF"
        } else {
            b"0123456789abcdef"
        };
        let x = if upper { 'X' } else { 'x' };
        let b = s.as_bytes();
        let length = self.flags.prec.map_or(b.len(), |p| p.min(b.len()));
        let mut width = 2 * length;
        if width > 0 {
            if self.flags.space {
                if self.flags.sharp {
                    width *= 2;
                }
                width += length - 1;
            } else if self.flags.sharp {
                width += 2;
            }
        } else {
            if let Some(w) = self.flags.wid {
                self.write_padding(w);
            }
            return;
        }
        let wid = self.flags.wid.unwrap_or(0);
        if wid > width && !self.flags.minus {
            self.write_padding(wid - width);
        }
        if self.flags.sharp {
            self.buf.push('0');
            self.buf.push(x);
        }
        for (i, c) in b[..length].iter().enumerate() {
            if self.flags.space && i > 0 {
                self.buf.push(' ');
                if self.flags.sharp {
                    self.buf.push('0');
                    self.buf.push(x);
                }
            }
            self.buf.push(digits[(c >> 4) as usize] as char);
            self.buf.push(digits[(c & 0xF) as usize] as char);
        }
        if wid > width && self.flags.minus {
            self.write_padding(wid - width);
        }
    }

    fn fmt_int(&mut self, v: &Value, i: i64, verb: char, depth: usize) {
        match verb {
            'v' | 'd' => self.fmt_integer(i, 10, verb, false),
            'b' => self.fmt_integer(i, 2, verb, false),
            'o' | 'O' => self.fmt_integer(i, 8, verb, false),
            'x' => self.fmt_integer(i, 16, verb, false),
            'X' => self.fmt_integer(i, 16, verb, true),
            'c' => {
                let c = rune(i);
                self.pad_str(c.encode_utf8(&mut [0; 4]));
            }
            'q' => {
                let c = rune(i);
                if self.flags.sharp && c != '`' && can_backquote(c.encode_utf8(&mut [0; 4])) {
                    self.pad_str(&format!("`{c}`"));
                } else {
                    let mut q = String::new();
                    quote_into(&mut q, c.encode_utf8(&mut [0; 4]), '\'', self.flags.plus);
                    self.pad_str(&q);
                }
            }
            'U' => self.fmt_unicode(i),
            _ => self.bad_verb(v, verb, depth),
        }
    }

    /// Go's fmtInteger: sign, base prefix with `#`, precision as minimum digits,
    /// zero padding to the width.
    fn fmt_integer(&mut self, i: i64, base: u64, verb: char, upper: bool) {
        let negative = i < 0;
        let mut u = i.unsigned_abs();
        let mut prec = 0usize;
        if let Some(p) = self.flags.prec {
            prec = p;
            if p == 0 && u == 0 {
                let zero = self.flags.zero;
                self.flags.zero = false;
                self.write_padding(self.flags.wid.unwrap_or(0));
                self.flags.zero = zero;
                return;
            }
        } else if self.flags.zero
            && !self.flags.minus
            && let Some(w) = self.flags.wid
        {
            prec = w;
            if negative || self.flags.plus || self.flags.space {
                prec = prec.saturating_sub(1);
            }
        }
        let digits: &[u8; 16] = if upper {
            b"0123456789ABCDEF"
        } else {
            b"0123456789abcdef"
        };
        let mut rev: Vec<u8> = Vec::with_capacity(24 + prec);
        loop {
            rev.push(digits[(u % base) as usize]);
            u /= base;
            if u == 0 {
                break;
            }
        }
        while rev.len() < prec {
            rev.push(b'0');
        }
        if self.flags.sharp {
            match base {
                2 => rev.extend_from_slice(b"b0"),
                8 if rev.last() != Some(&b'0') => rev.push(b'0'),
                16 => rev.extend_from_slice(if upper { b"X0" } else { b"x0" }),
                _ => {}
            }
        }
        if verb == 'O' {
            rev.extend_from_slice(b"o0");
        }
        if negative {
            rev.push(b'-');
        } else if self.flags.plus {
            rev.push(b'+');
        } else if self.flags.space {
            rev.push(b' ');
        }
        rev.reverse();
        let s: String = rev.into_iter().map(char::from).collect();
        let zero = self.flags.zero;
        self.flags.zero = false;
        self.pad_str(&s);
        self.flags.zero = zero;
    }

    fn fmt_unicode(&mut self, i: i64) {
        let u = i as u64;
        let prec = self.flags.prec.unwrap_or(4);
        let mut s = format!("U+{u:0prec$X}");
        if self.flags.sharp
            && u <= 0x10FFFF
            && let Some(c) = char::from_u32(u as u32)
            && is_print(c)
        {
            s.push_str(" '");
            s.push(c);
            s.push('\'');
        }
        let zero = self.flags.zero;
        self.flags.zero = false;
        self.pad_str(&s);
        self.flags.zero = zero;
    }

    fn fmt_float_verb(&mut self, v: &Value, x: f64, verb: char, depth: usize) {
        match verb {
            'v' => self.fmt_float(x, 'g', -1),
            'b' | 'g' | 'G' => self.fmt_float(x, verb, -1),
            'x' | 'X' => self.fmt_float(x, verb, -1),
            'f' | 'e' | 'E' | 'F' => self.fmt_float(x, verb, 6),
            _ => self.bad_verb(v, verb, depth),
        }
    }

    /// Go's fmt.fmtFloat over strconv.FormatFloat.
    fn fmt_float(&mut self, x: f64, verb: char, prec: i32) {
        let prec = self.flags.prec.map_or(prec, |p| p.min(MAX_WIDTH) as i32);
        let formatted = format_float(x, verb, prec);
        let mut num: Vec<u8> = if formatted.starts_with('-') || formatted.starts_with('+') {
            formatted.into_bytes()
        } else {
            let mut n = vec![b'+'];
            n.extend_from_slice(formatted.as_bytes());
            n
        };
        if self.flags.space && num[0] == b'+' && !self.flags.plus {
            num[0] = b' ';
        }
        if num[1] == b'I' || num[1] == b'N' {
            let zero = self.flags.zero;
            self.flags.zero = false;
            if num[1] == b'N' && !self.flags.space && !self.flags.plus {
                num.remove(0);
            }
            self.pad_str(&String::from_utf8_lossy(&num));
            self.flags.zero = zero;
            return;
        }
        if self.flags.sharp && verb != 'b' {
            let mut digits: i64 = match verb {
                'v' | 'g' | 'G' | 'x' => {
                    if prec == -1 {
                        6
                    } else {
                        prec as i64
                    }
                }
                _ => 0,
            };
            let mut tail = Vec::new();
            let mut has_point = false;
            let mut saw_nonzero = false;
            let mut k = 1;
            while k < num.len() {
                match num[k] {
                    b'.' => has_point = true,
                    b'p' | b'P' | b'e' | b'E' => {
                        tail = num.split_off(k);
                        break;
                    }
                    c => {
                        if c != b'0' {
                            saw_nonzero = true;
                        }
                        if saw_nonzero {
                            digits -= 1;
                        }
                    }
                }
                k += 1;
            }
            if !has_point {
                if num.len() == 2 && num[1] == b'0' {
                    digits -= 1;
                }
                num.push(b'.');
            }
            while digits > 0 {
                num.push(b'0');
                digits -= 1;
            }
            num.extend_from_slice(&tail);
        }
        let s = String::from_utf8_lossy(&num).into_owned();
        if self.flags.plus || num[0] != b'+' {
            if self.flags.zero
                && !self.flags.minus
                && let Some(w) = self.flags.wid
                && w > num.len()
            {
                self.buf.push(num[0] as char);
                self.write_padding(w - num.len());
                self.buf.push_str(&s[1..]);
                return;
            }
            self.pad_str(&s);
            return;
        }
        self.pad_str(&s[1..]);
    }
}

/// Go's `[n]` argument index at `i`: (new argument number, new position, found).
fn arg_number(
    arg_num: usize,
    format: &str,
    i: usize,
    num_args: usize,
    reordered: &mut bool,
    good_arg_num: &mut bool,
) -> (usize, usize, bool) {
    let bytes = format.as_bytes();
    if i >= bytes.len() || bytes[i] != b'[' {
        return (arg_num, i, false);
    }
    *reordered = true;
    let rest = &bytes[i..];
    // parseArgNumber
    let (index, wid, ok) = 'parse: {
        if rest.len() < 3 {
            break 'parse (0usize, 1usize, false);
        }
        for k in 1..rest.len() {
            if rest[k] == b']' {
                let (n, present, next) = parse_num(&rest[..k], 1);
                if !present || next != k || n == 0 {
                    // Go: `[0]` parses as index -1, which is out of range (not ok-false).
                    if present && next == k {
                        *good_arg_num = false;
                        return (arg_num, i + k + 1, true);
                    }
                    break 'parse (0, k + 1, false);
                }
                break 'parse (n - 1, k + 1, true);
            }
        }
        (0, 1, false)
    };
    if ok && index < num_args {
        return (index, i + wid, true);
    }
    *good_arg_num = false;
    (arg_num, i + wid, ok)
}

/// Go's parsenum: digits at `start`. A number that grows past 1e6 before its last
/// digit is no number, and swallows the rest of the format (Go's behaviour).
fn parse_num(bytes: &[u8], start: usize) -> (usize, bool, usize) {
    let mut n = 0usize;
    let mut present = false;
    let mut i = start;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        if n > MAX_WIDTH {
            return (0, false, bytes.len());
        }
        n = n * 10 + (bytes[i] - b'0') as usize;
        present = true;
        i += 1;
    }
    (n, present, i)
}

/// Go's intFromArg: a `*` width or precision must be an integer operand.
fn int_from_arg(args: &[Value], arg_num: usize) -> (i64, bool, usize) {
    match args.get(arg_num) {
        Some(Value::Int(n) | Value::Int64(n)) => {
            if n.unsigned_abs() > MAX_WIDTH as u64 {
                (0, false, arg_num + 1)
            } else {
                (*n, true, arg_num + 1)
            }
        }
        Some(_) => (0, false, arg_num + 1),
        None => (0, false, arg_num),
    }
}

/// The rune Go's `%c` prints for an integer: U+FFFD when it is no valid rune.
fn rune(i: i64) -> char {
    u32::try_from(i)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('\u{FFFD}')
}

/// strconv.CanBackquote.
fn can_backquote(s: &str) -> bool {
    s.chars()
        .all(|c| c != '`' && c != '\u{FEFF}' && (c == '\t' || !(c < ' ' || c == '\u{7F}')))
}

/// strconv's quoting (Quote, QuoteToASCII, QuoteRune) into `out`.
fn quote_into(out: &mut String, s: &str, q: char, ascii: bool) {
    out.push(q);
    for c in s.chars() {
        if c == q || c == '\\' {
            out.push('\\');
            out.push(c);
            continue;
        }
        if ascii {
            if (c as u32) < 0x80 && is_print(c) {
                out.push(c);
                continue;
            }
        } else if is_print(c) {
            out.push(c);
            continue;
        }
        match c {
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push(q);
}

/// strconv.IsPrint, as far as it can be told without Unicode's category tables:
/// control characters, non-ASCII spaces, format characters, private use and
/// noncharacters are not printable. Unassigned code points count as printable here
/// (Go escapes them).
fn is_print(c: char) -> bool {
    let u = c as u32;
    if u < 0x80 {
        return (0x20..0x7F).contains(&u);
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(u,
        0xA0 | 0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F
        | 0xD800..=0xF8FF | 0xFEFF | 0xFFF9..=0xFFFB | 0xFFFE | 0xFFFF
        | 0x110BD | 0x1D173..=0x1D17A | 0xE0001..=0xE007F | 0xF0000..=0x10FFFF)
        && (u & 0xFFFE) != 0xFFFE
}

/// strconv.FormatFloat(x, 'g', -1, 64), as `%v` prints a float64: the shortest
/// digits that read back as `x`, in exponent form when the exponent is < -4 or >= 6
/// (strconv decides with precision 6 when the precision is the shortest).
pub fn format_float_g(x: f64) -> String {
    format_float(x, 'g', -1)
}

/// Decimal digits of |x| with the position of the decimal point: `digits` "12345"
/// with `dp` 2 is 12.345.
struct Digits {
    digits: Vec<u8>,
    dp: i32,
}

/// The shortest digits that read back as |x| (`sig` None), or |x| rounded to `sig`
/// significant digits (half to even on the exact binary value, as strconv rounds),
/// trailing zeros removed.
fn digits(x: f64, sig: Option<usize>) -> Digits {
    let s = match sig {
        None => format!("{:e}", x.abs()),
        Some(n) => format!("{:.*e}", n.max(1) - 1, x.abs()),
    };
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut d: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    while d.len() > 1 && d.last() == Some(&b'0') {
        d.pop();
    }
    if d == b"0" {
        return Digits {
            digits: Vec::new(),
            dp: 0,
        };
    }
    Digits {
        digits: d,
        dp: exp + 1,
    }
}

/// strconv.FormatFloat(x, fmt, prec, 64) for fmt in b, e, E, f, F, g, G.
pub fn format_float(x: f64, fmt: char, prec: i32) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let neg = x.is_sign_negative();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if fmt == 'b' {
        let bits = x.to_bits();
        let exp = ((bits >> 52) & 0x7FF) as i64;
        let mut mant = bits & ((1 << 52) - 1);
        let e = if exp == 0 {
            -1074
        } else {
            mant |= 1 << 52;
            exp - 1075
        };
        out.push_str(&format!("{mant}p{}{}", if e >= 0 { "+" } else { "" }, e));
        return out;
    }
    if fmt == 'x' || fmt == 'X' {
        fmt_x(&mut out, x, fmt);
        return out;
    }
    let shortest = prec < 0;
    match fmt {
        'f' | 'F' => {
            if shortest {
                let d = digits(x, None);
                fmt_f(&mut out, &d, (d.digits.len() as i32 - d.dp).max(0) as usize);
            } else {
                out.push_str(&format!("{:.*}", prec as usize, x.abs()));
            }
        }
        'e' | 'E' => {
            let d = if shortest {
                digits(x, None)
            } else {
                digits(x, Some(prec as usize + 1))
            };
            let p = if shortest {
                d.digits.len().saturating_sub(1)
            } else {
                prec as usize
            };
            fmt_e(&mut out, &d, p, fmt);
        }
        _ => {
            // 'g' | 'G'
            let mut eprec = if prec == 0 { 1 } else { prec };
            let d = if shortest {
                digits(x, None)
            } else {
                digits(x, Some(eprec as usize))
            };
            let nd = d.digits.len() as i32;
            let mut p = if shortest { nd } else { eprec };
            if eprec > nd && nd >= d.dp {
                eprec = nd;
            }
            if shortest {
                eprec = 6;
            }
            let exp = if nd == 0 { 0 } else { d.dp - 1 };
            if exp < -4 || exp >= eprec {
                if p > nd {
                    p = nd;
                }
                let e = if fmt == 'G' { 'E' } else { 'e' };
                fmt_e(&mut out, &d, (p - 1).max(0) as usize, e);
            } else {
                if p > d.dp {
                    p = nd;
                }
                fmt_f(&mut out, &d, (p - d.dp).max(0) as usize);
            }
        }
    }
    out
}

/// %x: strconv's hex float, shortest mantissa (`0x1.4p+03`).
fn fmt_x(out: &mut String, x: f64, fmt: char) {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7FF) as i64;
    let mut mant = bits & ((1 << 52) - 1);
    let mut exp = if biased == 0 {
        1 - 1023
    } else {
        mant |= 1 << 52;
        biased - 1023
    };
    if mant == 0 {
        exp = 0;
    }
    mant <<= 8;
    while mant != 0 && mant & (1 << 60) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    let hex: &[u8; 16] = if fmt == 'X' {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    out.push('0');
    out.push(fmt);
    out.push(if (mant >> 60) & 1 == 1 { '1' } else { '0' });
    mant <<= 4;
    if mant != 0 {
        out.push('.');
        while mant != 0 {
            out.push(hex[((mant >> 60) & 15) as usize] as char);
            mant <<= 4;
        }
    }
    out.push(if fmt == 'X' { 'P' } else { 'p' });
    out.push(if exp < 0 { '-' } else { '+' });
    let a = exp.unsigned_abs();
    if a < 10 {
        out.push('0');
    }
    out.push_str(&a.to_string());
}

/// %e: d.ddd with `prec` digits after the point, then e±dd.
fn fmt_e(out: &mut String, d: &Digits, prec: usize, e: char) {
    let digit = |i: usize| d.digits.get(i).map_or('0', |c| *c as char);
    out.push(digit(0));
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(digit(i));
        }
    }
    out.push(e);
    let exp = if d.digits.is_empty() { 0 } else { d.dp - 1 };
    out.push(if exp < 0 { '-' } else { '+' });
    let a = exp.unsigned_abs();
    if a < 10 {
        out.push('0');
    }
    out.push_str(&a.to_string());
}

/// %f: integer part, then `prec` digits after the point.
fn fmt_f(out: &mut String, d: &Digits, prec: usize) {
    let digit = |i: i32| {
        if i >= 0 {
            d.digits.get(i as usize).map_or('0', |c| *c as char)
        } else {
            '0'
        }
    };
    if d.dp > 0 {
        for i in 0..d.dp {
            out.push(digit(i));
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 0..prec as i32 {
            out.push(digit(d.dp + i));
        }
    }
}

#[cfg(test)]
mod tests;
