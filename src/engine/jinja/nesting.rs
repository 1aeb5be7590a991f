//! A check of template source before minijinja parses it: an expression that
//! chains thousands of operators (`not not ... x`, `- - x`, `a.a.a...`,
//! `x | upper | upper ...`, `1 + 1 + ...`) parses into a tree that deep, which
//! minijinja compiles and drops by recursion (a stack overflow). Brackets are
//! bounded by minijinja's parser itself; chains are bounded here.

use minijinja::{Error, ErrorKind};

/// The deepest chain of operators one expression may hold; real templates
/// stay under a few dozen.
pub const MAX_CHAIN: usize = 1000;

/// Fails on a tag (`{{ ... }}`, `{% ... %}`) whose expression would nest
/// deeper than [`MAX_CHAIN`], naming its line.
pub fn check(source: &str) -> Result<(), Error> {
    let bytes = source.as_bytes();
    let mut i = 0;
    while let Some(start) = find(bytes, i, b"{") {
        let close: &[u8] = match bytes.get(start + 1) {
            Some(b'{') => b"}}",
            Some(b'%') => b"%}",
            Some(b'#') => b"#}",
            _ => {
                i = start + 1;
                continue;
            }
        };
        let body = start + 2;
        if close == b"#}" {
            i = find(bytes, body, close).map_or(bytes.len(), |end| end + 2);
            continue;
        }
        let (end, depth) = scan_tag(bytes, body, close);
        if depth > MAX_CHAIN {
            let line = source[..start].bytes().filter(|&b| b == b'\n').count() + 1;
            return Err(Error::new(
                ErrorKind::SyntaxError,
                format!(
                    "line {line}: an expression chains more than {MAX_CHAIN} operators, filters or \
                     attribute lookups (`not not ...`, `a.b.c...`, `x | f | g ...`); \
                     split it into steps with {{% set %}}"
                ),
            ));
        }
        i = end;
    }
    Ok(())
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Scans one tag from `i` to its `close`: where it ends, and the deepest
/// chain of operators in it (the operators counted since the last `,`, `:` or
/// `=` on each enclosing bracket level, summed over the levels).
fn scan_tag(bytes: &[u8], mut i: usize, close: &[u8]) -> (usize, usize) {
    let mut levels = vec![0usize];
    let mut deepest = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if bytes[i..].starts_with(close) {
            return (i + 2, deepest);
        }
        let mut op = false;
        match b {
            b'\'' | b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' | b'[' | b'{' => levels.push(0),
            b')' | b']' | b'}' if levels.len() > 1 => {
                levels.pop();
            }
            b',' | b':' => *levels.last_mut().unwrap_or(&mut 0) = 0,
            b'=' if !matches!(bytes.get(i + 1), Some(b'='))
                && i > 0
                && !b"=!<>".contains(&bytes[i - 1]) =>
            {
                *levels.last_mut().unwrap_or(&mut 0) = 0;
            }
            b'+' | b'-' | b'*' | b'/' | b'%' | b'~' | b'|' | b'.' | b'<' | b'>' | b'!' | b'=' => {
                op = true
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let start = i;
                while i + 1 < bytes.len()
                    && (bytes[i + 1].is_ascii_alphanumeric() || bytes[i + 1] == b'_')
                {
                    i += 1;
                }
                op = matches!(
                    &bytes[start..=i],
                    b"not" | b"and" | b"or" | b"is" | b"in" | b"if" | b"else"
                );
            }
            _ => {}
        }
        if op && let Some(level) = levels.last_mut() {
            *level += 1;
            deepest = deepest.max(levels.iter().sum::<usize>() + levels.len());
        }
        i += 1;
    }
    (bytes.len(), deepest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_chains_are_refused_and_ordinary_templates_pass() {
        let nots = format!("a\n{{{{ {} true }}}}", "not ".repeat(MAX_CHAIN + 1));
        let err = check(&nots).unwrap_err().to_string();
        assert!(
            err.contains("line 2: an expression chains more than 1000"),
            "{err}"
        );
        for chain in [" - 1", " + 1", " | upper", ".a"] {
            let source = format!("{{{{ x{} }}}}", chain.repeat(MAX_CHAIN + 1));
            assert!(check(&source).is_err(), "{chain}");
            let source = format!("{{% set y = x{} %}}", chain.repeat(MAX_CHAIN + 1));
            assert!(check(&source).is_err(), "{chain}");
        }
        // Siblings in a list or a call do not nest.
        let list = format!("{{{{ [{}] }}}}", "-1, ".repeat(5 * MAX_CHAIN));
        check(&list).unwrap();
        let ok = "{# {{ not not }} #}{% if a.b | default('x') == 'y' and not c %}{{ 'not {{' ~ d.e | upper }}{% endif %}";
        check(ok).unwrap();
        check(&"{{ a.b }}\n".repeat(10 * MAX_CHAIN)).unwrap();
    }
}
