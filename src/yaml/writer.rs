//! A fast YAML writer for JSON values that writes exactly the bytes serde-saphyr
//! writes with ketch's options (`indent_step: 2`, `compact_list_indent: true`,
//! the rest default). It walks the value once, straight into the output.
//!
//! The layout, for a node starting at one of three places:
//!
//! | node            | at the root     | after `key:`            | after `- ` (content column k) |
//! |-----------------|-----------------|-------------------------|-------------------------------|
//! | scalar          | `x`             | ` x`                    | `x`                           |
//! | `{}` / `[]`     | `{}`            | ` {}`                   | `{}`                          |
//! | mapping         | keys at 0       | newline, keys at c + 2  | first key inline, rest at k   |
//! | sequence        | dashes at 0     | newline, dashes at c    | first dash inline, rest at k  |
//! | multi-line text | `\|`, body at 2 | ` \|`, body at c + 2    | `\|`, body at k               |
//!
//! where c is the column of the key. What it does not reproduce, it refuses
//! ([`Unsupported`]) so the caller writes the whole document with serde-saphyr:
//! long single-line strings serde-saphyr folds (`>`), keys over 1,024
//! characters (written `? key`), and nesting deeper than [`MAX_DEPTH`].
//! Floats it has serde-saphyr format, one number at a time.

use super::quoting::{
    is_block_scalar_content_safe, is_plain_key, is_plain_value_safe, is_simple_word,
    push_double_quoted,
};
use serde_json::{Number, Value};

/// Nesting the writer follows; deeper values go to serde-saphyr.
const MAX_DEPTH: usize = 256;
/// serde-saphyr folds plain-safe single-line strings longer than this (`folded_wrap_chars`).
const FOLD_CHARS: usize = 80;
/// Room made up front for a document: most objects fit, saving the first reallocations.
const INITIAL_CAPACITY: usize = 512;
/// serde-saphyr writes keys longer than this as explicit `? key` entries.
const SIMPLE_KEY_MAX_LEN: usize = 1024;
/// Spaces per nesting level (`indent_step`).
const INDENT: usize = 2;

/// The value holds something this writer leaves to serde-saphyr.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Unsupported;

/// Where a node starts, which decides how it is laid out.
#[derive(Clone, Copy)]
enum Slot {
    /// The document itself, at the start of a line.
    Root,
    /// A mapping value, right after `key:` with the key at this column.
    MapValue(usize),
    /// A sequence item, right after `- ` with the content at this column.
    SeqItem(usize),
}

impl Slot {
    /// What separates the node from what precedes it on its line.
    fn lead(self) -> &'static str {
        match self {
            Slot::MapValue(_) => " ",
            Slot::Root | Slot::SeqItem(_) => "",
        }
    }

    /// The column of a block scalar's body.
    fn body_column(self) -> usize {
        match self {
            Slot::Root => INDENT,
            Slot::MapValue(key) => key + INDENT,
            Slot::SeqItem(content) => content,
        }
    }
}

/// Appends `value` as one YAML document ending in a newline, as serde-saphyr
/// would; on [`Unsupported`] `out` may hold part of it.
pub(super) fn write_document(out: &mut String, value: &Value) -> Result<(), Unsupported> {
    out.reserve(INITIAL_CAPACITY);
    Writer { out }.node(value, Slot::Root, 0)
}

/// [`write_document`] for a mapping.
pub(super) fn write_mapping_document(
    out: &mut String,
    map: &serde_json::Map<String, Value>,
) -> Result<(), Unsupported> {
    out.reserve(INITIAL_CAPACITY);
    let mut writer = Writer { out };
    if map.is_empty() {
        writer.line(Slot::Root, "{}");
        Ok(())
    } else {
        writer.mapping(map, Slot::Root, 0)
    }
}

struct Writer<'a> {
    out: &'a mut String,
}

impl Writer<'_> {
    /// Writes any node at `slot`, `depth` levels deep.
    fn node(&mut self, value: &Value, slot: Slot, depth: usize) -> Result<(), Unsupported> {
        if depth > MAX_DEPTH {
            return Err(Unsupported);
        }
        match value {
            Value::Null => self.line(slot, "null"),
            Value::Bool(b) => self.line(slot, if *b { "true" } else { "false" }),
            Value::Number(n) => {
                self.out.push_str(slot.lead());
                self.number(n)?;
                self.out.push('\n');
            }
            Value::String(s) => self.string(s, slot)?,
            Value::Array(items) if items.is_empty() => self.line(slot, "[]"),
            Value::Object(map) if map.is_empty() => self.line(slot, "{}"),
            Value::Array(items) => self.sequence(items, slot, depth)?,
            Value::Object(map) => self.mapping(map, slot, depth)?,
        }
        Ok(())
    }

    /// Writes a scalar's text at `slot` and ends the line.
    fn line(&mut self, slot: Slot, text: &str) {
        self.out.push_str(slot.lead());
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// Appends `count` spaces.
    fn indent(&mut self, count: usize) {
        const SPACES: &str = "                                                                ";
        let mut left = count;
        while left > 0 {
            let step = left.min(SPACES.len());
            self.out.push_str(&SPACES[..step]);
            left -= step;
        }
    }

    /// A block sequence: compact under a key, its first dash inline after a dash.
    fn sequence(&mut self, items: &[Value], slot: Slot, depth: usize) -> Result<(), Unsupported> {
        let (column, mut inline) = match slot {
            Slot::Root => (0, false),
            Slot::MapValue(key) => {
                self.out.push('\n');
                (key, false)
            }
            Slot::SeqItem(content) => (content, true),
        };
        for item in items {
            if !inline {
                self.indent(column);
            }
            inline = false;
            self.out.push_str("- ");
            self.node(item, Slot::SeqItem(column + INDENT), depth + 1)?;
        }
        Ok(())
    }

    /// A block mapping: under a key one level deeper, its first key inline after a dash.
    fn mapping(
        &mut self,
        map: &serde_json::Map<String, Value>,
        slot: Slot,
        depth: usize,
    ) -> Result<(), Unsupported> {
        let (column, mut inline) = match slot {
            Slot::Root => (0, false),
            Slot::MapValue(key) => {
                self.out.push('\n');
                (key + INDENT, false)
            }
            Slot::SeqItem(content) => (content, true),
        };
        for (key, value) in map {
            if !inline {
                self.indent(column);
            }
            inline = false;
            self.key(key)?;
            self.node(value, Slot::MapValue(column), depth + 1)?;
        }
        Ok(())
    }

    /// Writes `key:`, plain or double-quoted (a key that long would be written `? key`).
    fn key(&mut self, key: &str) -> Result<(), Unsupported> {
        let start = self.out.len();
        if is_plain_key(key) {
            self.out.push_str(key);
        } else {
            push_double_quoted(self.out, key);
        }
        let text = &self.out[start..];
        if text.len() > SIMPLE_KEY_MAX_LEN && text.chars().count() > SIMPLE_KEY_MAX_LEN {
            return Err(Unsupported);
        }
        self.out.push(':');
        Ok(())
    }

    /// Integers as digits; floats as serde-saphyr formats them (its float
    /// formatting depends on nothing but the number).
    fn number(&mut self, n: &Number) -> Result<(), Unsupported> {
        use std::fmt::Write;
        // Writing into a String cannot fail.
        if let Some(u) = n.as_u64() {
            let _ = write!(self.out, "{u}");
        } else if let Some(i) = n.as_i64() {
            let _ = write!(self.out, "{i}");
        } else {
            let f = n.as_f64().ok_or(Unsupported)?;
            let text = serde_saphyr::to_string(&f).map_err(|_| Unsupported)?;
            self.out.push_str(text.trim_end_matches('\n'));
        }
        Ok(())
    }

    /// A string value: a `|` block when it spans lines, else plain or quoted.
    fn string(&mut self, s: &str, slot: Slot) -> Result<(), Unsupported> {
        if s.len() <= FOLD_CHARS && is_simple_word(s, true) {
            self.line(slot, s);
            return Ok(());
        }
        if s.contains('\n') {
            if is_block_scalar_content_safe(s) {
                self.literal_block(s, slot);
            } else {
                self.out.push_str(slot.lead());
                push_double_quoted(self.out, s);
                self.out.push('\n');
            }
            return Ok(());
        }
        if s.len() > FOLD_CHARS && is_folded(s) {
            return Err(Unsupported);
        }
        self.out.push_str(slot.lead());
        if matches!(s, "." | "#" | "-") {
            self.out.push('\'');
            self.out.push_str(s);
            self.out.push('\'');
        } else if is_plain_value_safe(s, false) {
            self.out.push_str(s);
        } else {
            push_double_quoted(self.out, s);
        }
        self.out.push('\n');
        Ok(())
    }

    /// A multi-line string as a literal block: `|` with an indentation digit
    /// when the first line starts with spaces, and the chomping indicator its
    /// trailing newlines need (`-` none, `+` more than one).
    fn literal_block(&mut self, s: &str, slot: Slot) {
        let content = s.trim_end_matches('\n');
        let trailing = s.len() - content.len();
        self.out.push_str(slot.lead());
        self.out.push('|');
        if first_line_leading_spaces(content) > 0 {
            self.out.push(char::from(b'0' + INDENT as u8));
        }
        match trailing {
            0 => self.out.push('-'),
            1 if !content.is_empty() => {}
            _ => self.out.push('+'),
        }
        self.out.push('\n');
        if content.is_empty() {
            self.out.extend(std::iter::repeat_n('\n', trailing));
            return;
        }
        let body = slot.body_column();
        for line in content.split('\n') {
            if !line.is_empty() {
                self.indent(body);
                self.out.push_str(line);
            }
            self.out.push('\n');
        }
        self.out
            .extend(std::iter::repeat_n('\n', trailing.saturating_sub(1)));
    }
}

/// Whether serde-saphyr writes this single-line string as a folded `>` block:
/// plain-safe once trailing spaces are dropped, and over [`FOLD_CHARS`] characters.
fn is_folded(s: &str) -> bool {
    let probe = s.trim_end_matches(' ');
    !probe.is_empty() && is_plain_value_safe(probe, false) && s.chars().count() > FOLD_CHARS
}

/// Spaces in front of the first non-empty line.
fn first_line_leading_spaces(s: &str) -> usize {
    s.split('\n')
        .find(|line| !line.is_empty())
        .map_or(0, |line| line.len() - line.trim_start_matches(' ').len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    /// serde-saphyr's output with ketch's options: what the writer must match.
    fn saphyr(value: &Value) -> String {
        super::super::to_string(value).expect("serde-saphyr writes any JSON value")
    }

    /// The fast writer's output, `None` where it leaves the value to serde-saphyr.
    fn fast(value: &Value) -> Option<String> {
        let mut out = String::new();
        write_document(&mut out, value).ok().map(|()| out)
    }

    use super::super::test_rng::Rng;

    /// Strings that exercise every quoting rule.
    const TRICKY: &[&str] = &[
        "",
        " ",
        "a",
        "plain",
        "two words",
        "y",
        "Y",
        "yes",
        "Yes",
        "YES",
        "n",
        "N",
        "no",
        "No",
        "NO",
        "on",
        "On",
        "ON",
        "off",
        "Off",
        "OFF",
        "true",
        "True",
        "TRUE",
        "false",
        "False",
        "FALSE",
        "null",
        "Null",
        "NULL",
        "~",
        "nan",
        "NaN",
        ".nan",
        ".NaN",
        "inf",
        "-inf",
        "+inf",
        ".inf",
        "-.inf",
        ".Inf",
        "<<",
        "=",
        "-",
        "--",
        "---",
        "--- a",
        "...",
        "... x",
        "---x",
        "- a",
        "-a",
        "? x",
        "?x",
        "?",
        ":",
        ": ",
        "a:",
        "a: b",
        "a:b",
        "http://x.io/a#b",
        "#x",
        "a #b",
        "a#b",
        " lead",
        "trail ",
        " both ",
        "'",
        "it's",
        "\"",
        "say \"hi\"",
        "\\",
        "a\\b",
        "@x",
        "`x",
        "%x",
        "!x",
        "&x",
        "*x",
        "|",
        "|x",
        ">",
        ">x",
        "{",
        "{a}",
        "[",
        "[a]",
        "a,b",
        ",a",
        "}",
        "]",
        "é",
        "été",
        "日本",
        "😀",
        "a😀",
        "\t",
        "a\tb",
        "\r",
        "a\rb",
        "\0",
        "\u{7}",
        "\u{1b}",
        "\u{7f}",
        "\u{85}",
        "\u{a0}",
        "\u{2028}",
        "\u{feff}x",
        "\u{fffe}",
        "line1\nline2",
        "line1\nline2\n",
        "line1\nline2\n\n",
        "\n",
        "\n\n",
        "  indented\nnext",
        "\n  after blank",
        "a\n\nb",
        "trailing \nspace ",
        "tab\n\tx",
        "cr\r\nlf",
        "x\n\u{85}",
        "0",
        "1",
        "-1",
        "+1",
        "01",
        "0755",
        "0o17",
        "0x1F",
        "0X1f",
        "0b101",
        "1_000",
        "1__0",
        "_1",
        "1_",
        ".5",
        "5.",
        "-.5",
        "1.5",
        "1.0",
        "1e3",
        "1E3",
        "1e+3",
        "1.5e-3",
        "1e",
        "e3",
        "1.0.0",
        "v1.0.0",
        "10.0.0.1",
        "12:30",
        "1:2:3",
        "0:30",
        "190:20:30.15",
        "2026-11-22",
        "2026-1-2",
        "2026-11-22T10:00:00Z",
        "2026-11-22 10:00:00",
        "2026-11-22t1:2:3.5+01:00",
        "100m",
        "128Mi",
        "/healthz",
        "a/b:c",
        "key=value",
        "--flag=x",
        "-Xmx1g",
        "${VAR}",
        "{{ x }}",
        "a b c d e f g h i j k l m n o p q r s t u v",
    ];

    /// Strings from the pool, sometimes glued together, sometimes long.
    fn string(rng: &mut Rng) -> String {
        match rng.below(10) {
            0..=5 => rng.pick(TRICKY).to_string(),
            6..=8 => (0..2 + rng.below(3)).map(|_| rng.pick(TRICKY)).collect(),
            _ => (0..1 + rng.below(40)).map(|_| rng.pick(TRICKY)).collect(),
        }
    }

    fn number(rng: &mut Rng) -> Value {
        match rng.below(8) {
            0 => json!(rng.next()),
            1 => json!(rng.next() as i64),
            2 => json!(rng.below(100)),
            3 => json!(-(rng.below(100) as i64)),
            4 => json!([0.0, -0.0, 1.0, 1.5, -2.25, 1e300, 1e-7, 123_456.789][rng.below(8)]),
            5 => json!(f64::from_bits(rng.next() >> 2)),
            6 => json!(u64::MAX),
            _ => json!(i64::MIN),
        }
    }

    /// A random value, collections no deeper than `depth`.
    fn value(rng: &mut Rng, depth: usize) -> Value {
        let kinds = if depth == 0 { 5 } else { 9 };
        match rng.below(kinds) {
            0 => Value::Null,
            1 => Value::Bool(rng.below(2) == 0),
            2 => number(rng),
            3 | 4 => Value::String(string(rng)),
            5 | 6 => Value::Object(
                (0..rng.below(5))
                    .map(|_| (string(rng), value(rng, depth - 1)))
                    .collect::<Map<_, _>>(),
            ),
            _ => Value::Array((0..rng.below(5)).map(|_| value(rng, depth - 1)).collect()),
        }
    }

    /// Asserts the writer matches serde-saphyr on `value` (when it takes it) and
    /// that the YAML reads back as `value`; says whether it took it.
    fn check(value: &Value) -> bool {
        let expected = saphyr(value);
        let written = fast(value);
        if let Some(written) = &written {
            assert_eq!(written, &expected, "{value:#}");
        }
        // Template values (`toyaml`) write their maps with no length up front.
        let template_value = crate::engine::jinja::filters::serde_value(value);
        assert_eq!(
            super::super::to_string(&template_value).ok().as_ref(),
            Some(&expected)
        );
        let mut through = String::new();
        super::super::write_value(&mut through, value).expect("writes");
        assert_eq!(through, expected, "{value:#}");
        let back: Value = super::super::parse(&expected, "t")
            .unwrap_or_else(|e| panic!("{e}\n{expected}\n{value:#}"));
        // serde-saphyr's one known lossy case: a document that is a lone
        // no-break space, written plain, reads back as an empty document.
        if value != "\u{a0}" {
            assert_eq!(&back, value, "{expected}");
        }
        written.is_some()
    }

    #[test]
    fn every_tricky_string_is_written_as_serde_saphyr_writes_it() {
        for s in TRICKY {
            for value in [
                json!(s),
                json!({ *s: s }),
                json!([s, [s], { "k": s }]),
                json!({"a": [{ "b": s, *s: [s] }]}),
            ] {
                check(&value);
            }
        }
    }

    #[test]
    fn random_values_are_written_as_serde_saphyr_writes_them() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut taken = 0;
        let total = 10_000;
        for _ in 0..total {
            let value = value(&mut rng, 5);
            taken += usize::from(check(&value));
        }
        eprintln!("fast path taken {taken} of {total}");
        assert!(taken > total * 9 / 10, "fast path taken {taken} of {total}");
    }

    #[test]
    fn layouts_are_serde_saphyrs() {
        for value in [
            json!({}),
            json!([]),
            json!({"a": {}, "b": [], "c": [[]], "d": [{}], "e": [[[]]]}),
            json!([[1, [2, [3]]], [{"a": [{"b": {}}]}], {"x": {"y": [[]]}}]),
            json!({"a": ["x\ny", {"b": "p\n  q\n"}], "c": [["  lead\n"]]}),
            json!([{"a": 1, "b": {"c": "m\nn"}}, "s\nt\n\n"]),
        ] {
            assert!(check(&value), "{value:#}");
        }
    }

    #[test]
    fn long_foldable_strings_and_huge_keys_go_to_serde_saphyr() {
        let long = "word ".repeat(30);
        assert!(!check(&json!({ "a": long.trim_end() })));
        assert!(!check(&json!({ "k".repeat(1025): 1 })));
        // Long but quoted (or block) strings stay on the fast path.
        assert!(check(&json!({ "a": format!("{{{long}") })));
        assert!(check(&json!({ "a": format!("{long}\n") })));
    }

    #[test]
    fn very_deep_values_go_to_serde_saphyr() {
        let mut value = json!("leaf");
        for _ in 0..MAX_DEPTH + 2 {
            value = json!([value]);
        }
        assert_eq!(fast(&value), None);
    }

    /// ketch's rendered output: `---`, a `# Source:` line, then the document.
    const RENDERED: &str = include_str!("../../fixtures/yaml/rendered.yaml");

    /// The documents of [`RENDERED`], without their headers.
    fn rendered_documents() -> Vec<&'static str> {
        RENDERED
            .split("---\n# Source: ")
            .skip(1)
            .filter_map(|part| part.split_once('\n').map(|(_, body)| body))
            .collect()
    }

    #[test]
    fn rendered_objects_take_the_fast_path_and_read_back_byte_for_byte() {
        let documents = rendered_documents();
        assert_eq!(documents.len(), 7);
        for text in documents {
            let value: Value = super::super::parse(text, "t").expect("fixture parses");
            assert_eq!(fast(&value).as_deref(), Some(text));
            assert_eq!(saphyr(&value), text);
        }
    }

    /// Writes every object of a rendered stream 50 times with `write` and
    /// prints the time: `cargo test --release --lib -- --ignored --nocapture
    /// writer_speed` (KETCH_WRITER_BENCH names another stream than the fixture).
    fn bench(name: &str, write: &dyn Fn(&Value) -> String) {
        let text = std::env::var("KETCH_WRITER_BENCH").map_or_else(
            |_| RENDERED.to_string(),
            |path| std::fs::read_to_string(path).expect("reads"),
        );
        let values = super::super::parse_all::<Value>(&text, "bench").expect("parses");
        let start = std::time::Instant::now();
        let mut bytes = 0;
        for _ in 0..50 {
            bytes += values.iter().map(|v| write(v).len()).sum::<usize>();
        }
        eprintln!(
            "{name}: {:?} for 50 x {} objects ({bytes} bytes)",
            start.elapsed(),
            values.len()
        );
    }

    #[test]
    #[ignore]
    fn writer_speed_serde_saphyr() {
        bench("serde-saphyr", &saphyr);
    }

    #[test]
    #[ignore]
    fn writer_speed_fast() {
        bench("fast writer", &|v| fast(v).expect("fast path"));
    }

    #[test]
    #[ignore]
    fn writer_speed_none() {
        bench("parse only", &|_| String::new());
    }
}
