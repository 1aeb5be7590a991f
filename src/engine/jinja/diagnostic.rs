//! Template errors as users should see them: the message, the template and
//! line, and a few lines of source with the failing expression marked. Unlike
//! minijinja's own debug dump, no values are printed (they may hold secrets).

use std::error::Error as _;
use std::fmt::Write;

const CONTEXT_LINES: usize = 2;

pub fn describe(err: &minijinja::Error) -> String {
    let mut out = headline(err);
    append_snippet(&mut out, err);
    let mut cause = err.source();
    while let Some(inner) = cause {
        write!(out, "\ncaused by: {inner}").ok();
        if let Some(inner) = inner.downcast_ref::<minijinja::Error>() {
            append_snippet(&mut out, inner);
        }
        cause = inner.source();
    }
    out
}

/// The error's message; an author's own `fail(...)`/`required(...)` text is
/// shown without minijinja's "invalid operation" prefix.
fn headline(err: &minijinja::Error) -> String {
    match (err.kind(), err.detail()) {
        (minijinja::ErrorKind::InvalidOperation, Some(detail)) => match (err.name(), err.line()) {
            (Some(name), Some(line)) => format!("{detail} (in {name}:{line})"),
            _ => detail.to_string(),
        },
        _ => err.to_string(),
    }
}

fn append_snippet(out: &mut String, err: &minijinja::Error) {
    let (Some(source), Some(line)) = (err.template_source(), err.line()) else {
        return;
    };
    let first = line.saturating_sub(CONTEXT_LINES).max(1);
    let marker = err
        .range()
        .and_then(|range| column_marker(source, line, range));
    let width = (line + CONTEXT_LINES).to_string().len();
    for (number, text) in source
        .lines()
        .enumerate()
        .map(|(i, t)| (i + 1, t))
        .skip(first - 1)
        .take(line + CONTEXT_LINES + 1 - first)
    {
        let arrow = if number == line { ">" } else { " " };
        write!(out, "\n {number:>width$} {arrow} {text}").ok();
        if number == line
            && let Some((column, len)) = marker
        {
            write!(
                out,
                "\n {:>width$}   {}{}",
                "",
                " ".repeat(column),
                "^".repeat(len.max(1))
            )
            .ok();
        }
    }
}

/// Column and length of the error's byte range on `line` (1-based), when it lies on it.
fn column_marker(
    source: &str,
    line: usize,
    range: std::ops::Range<usize>,
) -> Option<(usize, usize)> {
    let line_start = source
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum::<usize>();
    let line_text = source[line_start..].lines().next()?;
    if range.start < line_start || range.start > line_start + line_text.len() {
        return None;
    }
    let column = source.get(line_start..range.start)?.chars().count();
    let end = range.end.min(line_start + line_text.len());
    let len = source.get(range.start..end)?.chars().count();
    Some((column, len))
}
