//! Printing tables and JSON the way Helm's list commands do.

use ketch::error::{Error, Result};
use serde::Serialize;

/// The most characters a table cell shows: what a remote index or a
/// Chart.yaml says can be any length, and a longer cell is cut with `...`.
pub const MAX_CELL: usize = 200;

/// Columns padded to their widest cell and separated by a tab, as Helm's
/// tables; no trailing spaces. Cells are cut to [`MAX_CELL`] characters and
/// control characters (newlines, tabs, escapes) show as spaces, so one cell
/// cannot break the table or drive the terminal.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let header: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    let cells: Vec<Vec<String>> = std::iter::once(&header)
        .chain(rows)
        .map(|row| row.iter().map(|cell| printable(cell)).collect())
        .collect();
    let mut widths = vec![0; headers.len()];
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &cells {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(&widths).enumerate() {
            if i > 0 {
                line.push('\t');
            }
            line.push_str(cell);
            // Padded by hand: `format!`'s width argument stops at 65,535.
            line.extend(std::iter::repeat_n(' ', w - cell.chars().count()));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `text` cut to `width` characters, ending in `...` when it was longer.
pub fn cut(text: &str, width: usize) -> String {
    if text.chars().nth(width).is_none() {
        return text.to_string();
    }
    let kept: String = text.chars().take(width.saturating_sub(3)).collect();
    format!("{kept}...")
}

fn printable(cell: &str) -> String {
    cut(cell, MAX_CELL)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

pub fn json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_padded_and_long_ones_cut() {
        let rows = vec![
            vec!["a".to_string(), "1".to_string()],
            vec!["bbb".to_string(), "2".to_string()],
        ];
        assert_eq!(table(&["N", "V"], &rows), "N  \tV\na  \t1\nbbb\t2\n");

        // A 65,536-character version once made `format!` panic.
        let long = "9".repeat(70_000);
        let rows = vec![vec![long, "x\ny\u{1b}[2J".to_string()]];
        let out = table(&["VERSION", "NOTE"], &rows);
        let line = out.lines().nth(1).unwrap();
        let (version, note) = line.split_once('\t').unwrap();
        assert_eq!(version.chars().count(), MAX_CELL);
        assert!(version.ends_with("..."), "{version}");
        assert_eq!(note, "x y [2J");
    }
}
