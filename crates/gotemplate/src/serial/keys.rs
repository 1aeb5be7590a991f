//! go-yaml's order of mapping keys (`keyList.Less` in sorter.go): letters before other
//! characters, runs of digits compared as numbers ("9" before "10"), then by length.
//! yaml.v3 differs in one point: when the runes before the first difference end in a digit,
//! a letter sorts before a non-letter (v2: after); `v3` selects it.

use std::cmp::Ordering;

fn is_letter(c: u32) -> bool {
    match char::from_u32(c) {
        Some(c) if c.is_ascii() => c.is_ascii_alphabetic(),
        Some(c) => c.is_alphabetic(),
        None => false,
    }
}

fn is_digit(c: u32) -> bool {
    (u32::from(b'0')..=u32::from(b'9')).contains(&c)
}

/// `keyList.Less(a, b)` for two strings (go-yaml v2's, or yaml.v3's when `v3`).
pub fn less(a: &str, b: &str, v3: bool) -> bool {
    if a.is_ascii() && b.is_ascii() {
        less_runes(a.as_bytes(), b.as_bytes(), v3)
    } else {
        let ar: Vec<u32> = a.chars().map(u32::from).collect();
        let br: Vec<u32> = b.chars().map(u32::from).collect();
        less_runes(&ar, &br, v3)
    }
}

fn less_runes<T: Copy + Into<u32>>(ar: &[T], br: &[T], v3: bool) -> bool {
    let rune = |s: &[T], i: usize| -> u32 { s[i].into() };
    let Some(i) = (0..ar.len().min(br.len())).find(|&i| rune(ar, i) != rune(br, i)) else {
        return ar.len() < br.len();
    };
    let (x, y) = (rune(ar, i), rune(br, i));
    let (al, bl) = (is_letter(x), is_letter(y));
    if al && bl {
        return x < y;
    }
    if al || bl {
        // yaml.v3: after a digit (the last equal rune), the letter sorts first.
        let after_digit = v3 && i > 0 && is_digit(rune(ar, i - 1));
        return if after_digit { al } else { bl };
    }
    let (mut an, mut bn): (i64, i64) = (0, 0);
    if x == u32::from(b'0') || y == u32::from(b'0') {
        for j in (0..i).rev() {
            if !is_digit(rune(ar, j)) {
                break;
            }
            if rune(ar, j) != u32::from(b'0') {
                an = 1;
                bn = 1;
                break;
            }
        }
    }
    let mut aj = i;
    while aj < ar.len() && is_digit(rune(ar, aj)) {
        an = an
            .wrapping_mul(10)
            .wrapping_add(i64::from(rune(ar, aj)) - 48);
        aj += 1;
    }
    let mut bj = i;
    while bj < br.len() && is_digit(rune(br, bj)) {
        bn = bn
            .wrapping_mul(10)
            .wrapping_add(i64::from(rune(br, bj)) - 48);
        bj += 1;
    }
    if an != bn {
        return an < bn;
    }
    if aj != bj {
        return aj < bj;
    }
    x < y
}

fn order(a: &str, b: &str, v3: bool) -> Ordering {
    if less(a, b, v3) {
        Ordering::Less
    } else if less(b, a, v3) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

/// Sorts map entries by key in go-yaml's order. A merge sort of our own: it gives Go's result
/// whenever the order is total, and never panics when it is not.
pub fn sort<V>(entries: &mut Vec<(&String, V)>, v3: bool) {
    if entries.len() <= 12 {
        // Go's pdqsort sorts short slices by insertion, as here.
        for i in 1..entries.len() {
            let mut j = i;
            while j > 0 && less(entries[j].0, entries[j - 1].0, v3) {
                entries.swap(j, j - 1);
                j -= 1;
            }
        }
        return;
    }
    let mid = entries.len() / 2;
    let mut right = entries.split_off(mid);
    sort(entries, v3);
    sort(&mut right, v3);
    let left = std::mem::take(entries);
    let mut l = left.into_iter().peekable();
    let mut r = right.into_iter().peekable();
    while let (Some(x), Some(y)) = (l.peek(), r.peek()) {
        if order(y.0, x.0, v3) == Ordering::Less {
            entries.extend(r.next());
        } else {
            entries.extend(l.next());
        }
    }
    entries.extend(l);
    entries.extend(r);
}
