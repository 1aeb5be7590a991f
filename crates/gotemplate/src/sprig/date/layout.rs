//! Go's reference-time layouts (`2006-01-02T15:04:05Z07:00`): `Time.Format` and
//! `time.Parse`, chunk by chunk as Go's `nextStdChunk` reads them, with Go's error texts.

use super::{Civil, GoTime, Loc};

const LONG_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const LONG_DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// One element of a layout.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    TZ,
    Iso8601TZ,
    Iso8601SecondsTZ,
    Iso8601ShortTZ,
    Iso8601ColonTZ,
    Iso8601ColonSecondsTZ,
    NumTZ,
    NumSecondsTz,
    NumShortTZ,
    NumColonTZ,
    NumColonSecondsTZ,
    /// `.000` (exactly `digits` digits) or, with `trim`, `.999` (trailing zeros cut).
    Frac {
        digits: usize,
        trim: bool,
        sep: u8,
    },
}

impl Std {
    fn is_iso(self) -> bool {
        matches!(
            self,
            Std::Iso8601TZ
                | Std::Iso8601SecondsTZ
                | Std::Iso8601ShortTZ
                | Std::Iso8601ColonTZ
                | Std::Iso8601ColonSecondsTZ
        )
    }
}

fn is_digit(s: &[u8], i: usize) -> bool {
    s.get(i).is_some_and(u8::is_ascii_digit)
}

fn starts_lower(s: &[u8]) -> bool {
    s.first().is_some_and(u8::is_ascii_lowercase)
}

/// Go's nextStdChunk: the literal prefix's length, the element, and where the rest starts.
fn next_chunk(l: &[u8]) -> (usize, Option<Std>, usize) {
    let at = |i: usize, p: &str| l.len() >= i + p.len() && &l[i..i + p.len()] == p.as_bytes();
    for i in 0..l.len() {
        let hit = |std: Std, len: usize| (i, Some(std), i + len);
        match l[i] {
            b'J' if at(i, "Jan") => {
                if at(i, "January") {
                    return hit(Std::LongMonth, 7);
                }
                if !starts_lower(&l[i + 3..]) {
                    return hit(Std::Month, 3);
                }
            }
            b'M' if l.len() >= i + 3 => {
                if at(i, "Mon") {
                    if at(i, "Monday") {
                        return hit(Std::LongWeekDay, 6);
                    }
                    if !starts_lower(&l[i + 3..]) {
                        return hit(Std::WeekDay, 3);
                    }
                }
                if at(i, "MST") {
                    return hit(Std::TZ, 3);
                }
            }
            b'0' => {
                if l.len() >= i + 2 && (b'1'..=b'6').contains(&l[i + 1]) {
                    let std = [
                        Std::ZeroMonth,
                        Std::ZeroDay,
                        Std::ZeroHour12,
                        Std::ZeroMinute,
                        Std::ZeroSecond,
                        Std::Year,
                    ][usize::from(l[i + 1] - b'1')];
                    return hit(std, 2);
                }
                if at(i, "002") {
                    return hit(Std::ZeroYearDay, 3);
                }
            }
            b'1' => {
                if at(i, "15") {
                    return hit(Std::Hour, 2);
                }
                return hit(Std::NumMonth, 1);
            }
            b'2' => {
                if at(i, "2006") {
                    return hit(Std::LongYear, 4);
                }
                return hit(Std::Day, 1);
            }
            b'_' => {
                if at(i, "_2") {
                    // `_2006` is a literal `_` and the long year.
                    if at(i + 1, "2006") {
                        return (i + 1, Some(Std::LongYear), i + 5);
                    }
                    return hit(Std::UnderDay, 2);
                }
                if at(i, "__2") {
                    return hit(Std::UnderYearDay, 3);
                }
            }
            b'3' => return hit(Std::Hour12, 1),
            b'4' => return hit(Std::Minute, 1),
            b'5' => return hit(Std::Second, 1),
            b'P' if at(i, "PM") => return hit(Std::PM, 2),
            b'p' if at(i, "pm") => return hit(Std::Pm, 2),
            b'-' => {
                for (p, std) in [
                    ("-070000", Std::NumSecondsTz),
                    ("-07:00:00", Std::NumColonSecondsTZ),
                    ("-0700", Std::NumTZ),
                    ("-07:00", Std::NumColonTZ),
                    ("-07", Std::NumShortTZ),
                ] {
                    if at(i, p) {
                        return hit(std, p.len());
                    }
                }
            }
            b'Z' => {
                for (p, std) in [
                    ("Z070000", Std::Iso8601SecondsTZ),
                    ("Z07:00:00", Std::Iso8601ColonSecondsTZ),
                    ("Z0700", Std::Iso8601TZ),
                    ("Z07:00", Std::Iso8601ColonTZ),
                    ("Z07", Std::Iso8601ShortTZ),
                ] {
                    if at(i, p) {
                        return hit(std, p.len());
                    }
                }
            }
            c @ (b'.' | b',') if matches!(l.get(i + 1), Some(b'0' | b'9')) => {
                let ch = l[i + 1];
                let mut j = i + 1;
                while j < l.len() && l[j] == ch {
                    j += 1;
                }
                // Only a run of digits that ends here is a fractional second.
                if !is_digit(l, j) {
                    let std = Std::Frac {
                        digits: (j - (i + 1)) & 0xfff,
                        trim: ch == b'9',
                        sep: c,
                    };
                    return (i, Some(std), j);
                }
            }
            _ => {}
        }
    }
    (l.len(), None, l.len())
}

/// Go's appendInt: `x` in decimal, zero-padded to `width`.
fn push_int(b: &mut String, x: i64, width: usize) {
    if x < 0 {
        b.push('-');
    }
    let digits = x.unsigned_abs().to_string();
    for _ in digits.len()..width {
        b.push('0');
    }
    b.push_str(&digits);
}

/// Go's `Time.Format`.
pub fn format(t: &GoTime, layout: &str) -> String {
    let c = t.civil();
    let (name, offset) = t.zone();
    let mut b = String::with_capacity(layout.len() + 10);
    let mut l = layout.as_bytes();
    loop {
        let (p, std, rest) = next_chunk(l);
        b.push_str(&String::from_utf8_lossy(&l[..p]));
        let Some(std) = std else { break };
        l = &l[rest..];
        let hr12 = if c.hour % 12 == 0 { 12 } else { c.hour % 12 };
        match std {
            Std::Year => push_int(&mut b, c.year.abs() % 100, 2),
            Std::LongYear => push_int(&mut b, c.year, 4),
            Std::Month => b.push_str(&LONG_MONTHS[c.month as usize - 1][..3]),
            Std::LongMonth => b.push_str(LONG_MONTHS[c.month as usize - 1]),
            Std::NumMonth => push_int(&mut b, c.month, 0),
            Std::ZeroMonth => push_int(&mut b, c.month, 2),
            Std::WeekDay => b.push_str(&LONG_DAYS[c.weekday as usize][..3]),
            Std::LongWeekDay => b.push_str(LONG_DAYS[c.weekday as usize]),
            Std::Day => push_int(&mut b, c.day, 0),
            Std::UnderDay => {
                if c.day < 10 {
                    b.push(' ');
                }
                push_int(&mut b, c.day, 0);
            }
            Std::ZeroDay => push_int(&mut b, c.day, 2),
            Std::UnderYearDay => {
                if c.yday < 100 {
                    b.push(' ');
                    if c.yday < 10 {
                        b.push(' ');
                    }
                }
                push_int(&mut b, c.yday, 0);
            }
            Std::ZeroYearDay => push_int(&mut b, c.yday, 3),
            Std::Hour => push_int(&mut b, c.hour, 2),
            Std::Hour12 => push_int(&mut b, hr12, 0),
            Std::ZeroHour12 => push_int(&mut b, hr12, 2),
            Std::Minute => push_int(&mut b, c.min, 0),
            Std::ZeroMinute => push_int(&mut b, c.min, 2),
            Std::Second => push_int(&mut b, c.sec, 0),
            Std::ZeroSecond => push_int(&mut b, c.sec, 2),
            Std::PM => b.push_str(if c.hour >= 12 { "PM" } else { "AM" }),
            Std::Pm => b.push_str(if c.hour >= 12 { "pm" } else { "am" }),
            Std::TZ => {
                if name.is_empty() {
                    // No zone name: Go prints the -0700 form.
                    let zone = i64::from(offset) / 60;
                    b.push(if zone < 0 { '-' } else { '+' });
                    push_int(&mut b, zone.abs() / 60, 2);
                    push_int(&mut b, zone.abs() % 60, 2);
                } else {
                    b.push_str(&name);
                }
            }
            Std::Frac { digits, trim, sep } => {
                if trim && (digits == 0 || t.nsec == 0) {
                    continue;
                }
                let mut frac = format!("{:09}", t.nsec);
                frac.truncate(digits.min(9));
                if trim {
                    frac.truncate(frac.trim_end_matches('0').len());
                }
                if !(trim && frac.is_empty()) {
                    b.push(char::from(sep));
                    b.push_str(&frac);
                }
            }
            zone_std => {
                if offset == 0 && zone_std.is_iso() {
                    b.push('Z');
                    continue;
                }
                let off = i64::from(offset);
                let zone = off.abs() / 60;
                b.push(if off < 0 { '-' } else { '+' });
                push_int(&mut b, zone / 60, 2);
                if matches!(
                    zone_std,
                    Std::Iso8601ColonTZ
                        | Std::NumColonTZ
                        | Std::Iso8601ColonSecondsTZ
                        | Std::NumColonSecondsTZ
                ) {
                    b.push(':');
                }
                if !matches!(zone_std, Std::NumShortTZ | Std::Iso8601ShortTZ) {
                    push_int(&mut b, zone % 60, 2);
                }
                match zone_std {
                    Std::NumColonSecondsTZ | Std::Iso8601ColonSecondsTZ => {
                        b.push(':');
                        push_int(&mut b, off.abs() % 60, 2);
                    }
                    Std::Iso8601SecondsTZ | Std::NumSecondsTz => {
                        push_int(&mut b, off.abs() % 60, 2)
                    }
                    _ => {}
                }
            }
        }
        if b.len() > crate::MAX_STRING {
            break;
        }
    }
    b
}

/// The time package's quote: `"` and `\` escaped, bytes outside printable ASCII as `\xNN`.
pub fn quote(s: &str) -> String {
    let mut b = String::with_capacity(s.len() + 2);
    b.push('"');
    for c in s.chars() {
        if (c as u32) < 0x20 || (c as u32) >= 0x80 {
            let mut buf = [0u8; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                b.push_str(&format!("\\x{byte:02x}"));
            }
        } else {
            if c == '"' || c == '\\' {
                b.push('\\');
            }
            b.push(c);
        }
    }
    b.push('"');
    b
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Go's getnum: one or two digits (two when `fixed`).
fn getnum(s: &[u8], fixed: bool) -> Option<(i64, &[u8])> {
    if !is_digit(s, 0) {
        return None;
    }
    if !is_digit(s, 1) {
        if fixed {
            return None;
        }
        return Some((i64::from(s[0] - b'0'), &s[1..]));
    }
    Some((
        i64::from(s[0] - b'0') * 10 + i64::from(s[1] - b'0'),
        &s[2..],
    ))
}

/// Go's getnum3: one to three digits (three when `fixed`).
fn getnum3(s: &[u8], fixed: bool) -> Option<(i64, &[u8])> {
    let mut n = 0;
    let mut i = 0;
    while i < 3 && is_digit(s, i) {
        n = n * 10 + i64::from(s[i] - b'0');
        i += 1;
    }
    if i == 0 || (fixed && i != 3) {
        return None;
    }
    Some((n, &s[i..]))
}

/// Go's lookup: a case-insensitive prefix match against a table of names.
fn lookup<'a>(tab: &[&str], val: &'a [u8]) -> Option<(usize, &'a [u8])> {
    tab.iter().enumerate().find_map(|(i, v)| {
        let v = v.as_bytes();
        (val.len() >= v.len() && val[..v.len()].eq_ignore_ascii_case(v))
            .then(|| (i, &val[v.len()..]))
    })
}

fn cutspace(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|c| **c == b' ').count();
    &s[n..]
}

/// Go's skip: the layout's literal text must match (runs of spaces loosely).
fn skip<'a>(mut value: &'a [u8], mut prefix: &[u8]) -> Result<&'a [u8], &'a [u8]> {
    while let Some(&p) = prefix.first() {
        if p == b' ' {
            if value.first().is_some_and(|c| *c != b' ') {
                return Err(value);
            }
            prefix = cutspace(prefix);
            value = cutspace(value);
            continue;
        }
        if value.first() != Some(&p) {
            return Err(value);
        }
        prefix = &prefix[1..];
        value = &value[1..];
    }
    Ok(value)
}

/// Go's atoi for short fields: an optional sign and decimal digits.
fn atoi(s: &[u8]) -> Option<i64> {
    let (neg, d) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if d.is_empty() || !d.iter().all(u8::is_ascii_digit) || d.len() > 18 {
        return None;
    }
    let n: i64 = std::str::from_utf8(d).ok()?.parse().ok()?;
    Some(if neg { -n } else { n })
}

/// Go's parseNanoseconds: `value` starts with the separator; `n` bytes are read.
fn parse_nanos(value: &[u8], n: usize) -> Result<i64, &'static str> {
    if !matches!(value.first(), Some(b'.' | b',')) {
        return Err("");
    }
    let n = n.min(10);
    let ns = atoi(&value[1..n]).ok_or("")?;
    if ns < 0 {
        return Err("fractional second");
    }
    Ok(ns * 10i64.pow((10 - n) as u32))
}

/// Go's parseTimeZone: how long the zone name at the start of `v` is.
fn parse_time_zone(v: &[u8]) -> Option<usize> {
    if v.len() < 3 {
        return None;
    }
    if v.len() >= 4 && (&v[..4] == b"ChST" || &v[..4] == b"MeST") {
        return Some(4);
    }
    if &v[..3] == b"GMT" {
        return Some(3 + parse_signed_offset(&v[3..]));
    }
    if v[0] == b'+' || v[0] == b'-' {
        let n = parse_signed_offset(v);
        return (n > 0).then_some(n);
    }
    let upper = v
        .iter()
        .take(6)
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    match upper {
        5 if v[4] == b'T' => Some(5),
        4 if v[3] == b'T' || &v[..4] == b"WITA" => Some(4),
        3 => Some(3),
        _ => None,
    }
}

/// Go's parseSignedOffset: `+3`, `-10` (hours up to 23); 0 when there is none.
fn parse_signed_offset(v: &[u8]) -> usize {
    if !matches!(v.first(), Some(b'+' | b'-')) {
        return 0;
    }
    let digits = v[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 18 {
        return 0;
    }
    match atoi(&v[1..1 + digits]) {
        Some(x) if x <= 23 => 1 + digits,
        _ => 0,
    }
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in(month: i64, year: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn days_before(month: i64) -> i64 {
    (1..month).map(|m| days_in(m, 1)).sum()
}

/// Go's `time.ParseInLocation(layout, value, loc)` with its error texts.
pub fn parse(layout: &str, value: &str, default_loc: &Loc) -> Result<GoTime, String> {
    let err_at = |lay_elem: &[u8], val_elem: &[u8]| {
        format!(
            "parsing time {} as {}: cannot parse {} as {}",
            quote(value),
            quote(layout),
            quote(&text(val_elem)),
            quote(&text(lay_elem))
        )
    };
    let err_msg = |msg: &str| format!("parsing time {}{msg}", quote(value));
    let (mut year, mut month, mut day, mut yday) = (0i64, -1i64, -1i64, -1i64);
    let (mut hour, mut min, mut sec, mut nsec) = (0i64, 0i64, 0i64, 0i64);
    let (mut am, mut pm) = (false, false);
    let mut utc = false;
    let mut zone_offset: Option<i64> = None;
    let mut zone_name = String::new();
    let mut l = layout.as_bytes();
    let mut v = value.as_bytes();
    loop {
        let (p, std, rest) = next_chunk(l);
        let std_str = &l[p..rest];
        v = skip(v, &l[..p]).map_err(|at| err_at(&l[..p], at))?;
        let Some(std) = std else {
            if !v.is_empty() {
                return Err(err_msg(&format!(": extra text: {}", quote(&text(v)))));
            }
            break;
        };
        let suffix = &l[rest..];
        l = suffix;
        let hold = v;
        let mut range_err = "";
        let ok: Option<()> = (|| {
            match std {
                Std::Year => {
                    let (d, r) = (v.get(..2)?, &v[2.min(v.len())..]);
                    v = r;
                    year = atoi(d)?;
                    year += if year >= 69 { 1900 } else { 2000 };
                }
                Std::LongYear => {
                    if v.len() < 4 || !is_digit(v, 0) {
                        return None;
                    }
                    let d = &v[..4];
                    v = &v[4..];
                    year = atoi(d)?;
                }
                Std::Month | Std::LongMonth => {
                    let short: Vec<&str> = LONG_MONTHS.iter().map(|m| &m[..3]).collect();
                    let tab: &[&str] = if std == Std::Month {
                        &short
                    } else {
                        &LONG_MONTHS
                    };
                    let (m, r) = lookup(tab, v)?;
                    month = m as i64 + 1;
                    v = r;
                }
                Std::NumMonth | Std::ZeroMonth => {
                    let (m, r) = getnum(v, std == Std::ZeroMonth)?;
                    (month, v) = (m, r);
                    if !(1..=12).contains(&month) {
                        range_err = "month";
                    }
                }
                Std::WeekDay | Std::LongWeekDay => {
                    let short: Vec<&str> = LONG_DAYS.iter().map(|d| &d[..3]).collect();
                    let tab: &[&str] = if std == Std::WeekDay {
                        &short
                    } else {
                        &LONG_DAYS
                    };
                    v = lookup(tab, v)?.1;
                }
                Std::Day | Std::UnderDay | Std::ZeroDay => {
                    if std == Std::UnderDay && v.first() == Some(&b' ') {
                        v = &v[1..];
                    }
                    (day, v) = getnum(v, std == Std::ZeroDay)?;
                }
                Std::UnderYearDay | Std::ZeroYearDay => {
                    for _ in 0..2 {
                        if std == Std::UnderYearDay && v.first() == Some(&b' ') {
                            v = &v[1..];
                        }
                    }
                    (yday, v) = getnum3(v, std == Std::ZeroYearDay)?;
                }
                Std::Hour => {
                    (hour, v) = getnum(v, false)?;
                    if !(0..24).contains(&hour) {
                        range_err = "hour";
                    }
                }
                Std::Hour12 | Std::ZeroHour12 => {
                    (hour, v) = getnum(v, std == Std::ZeroHour12)?;
                    if !(0..=12).contains(&hour) {
                        range_err = "hour";
                    }
                }
                Std::Minute | Std::ZeroMinute => {
                    (min, v) = getnum(v, std == Std::ZeroMinute)?;
                    if !(0..60).contains(&min) {
                        range_err = "minute";
                    }
                }
                Std::Second | Std::ZeroSecond => {
                    (sec, v) = getnum(v, std == Std::ZeroSecond)?;
                    if !(0..60).contains(&sec) {
                        range_err = "second";
                        return Some(());
                    }
                    // A fractional second the layout does not ask for.
                    if v.len() >= 2 && matches!(v[0], b'.' | b',') && is_digit(v, 1) {
                        if let (_, Some(Std::Frac { .. }), _) = next_chunk(suffix) {
                            return Some(());
                        }
                        let mut n = 2;
                        while n < v.len() && is_digit(v, n) {
                            n += 1;
                        }
                        match parse_nanos(v, n) {
                            Ok(ns) => nsec = ns,
                            Err("") => return None,
                            Err(e) => range_err = e,
                        }
                        v = &v[n..];
                    }
                }
                Std::PM | Std::Pm => {
                    let p = v.get(..2)?;
                    v = &v[2..];
                    let (upper, lower) = if std == Std::PM {
                        (b"PM", b"AM")
                    } else {
                        (b"pm", b"am")
                    };
                    if p == upper {
                        pm = true;
                    } else if p == lower {
                        am = true;
                    } else {
                        return None;
                    }
                }
                Std::TZ => {
                    if v.starts_with(b"UTC") {
                        utc = true;
                        v = &v[3..];
                        return Some(());
                    }
                    let n = parse_time_zone(v)?;
                    zone_name = text(&v[..n]);
                    v = &v[n..];
                }
                Std::Frac { digits, trim, .. } => {
                    if !trim {
                        let n = 1 + digits;
                        if v.len() < n {
                            return None;
                        }
                        match parse_nanos(v, n) {
                            Ok(ns) => nsec = ns,
                            Err("") => return None,
                            Err(e) => range_err = e,
                        }
                        v = &v[n..];
                    } else {
                        if v.len() < 2 || !matches!(v[0], b'.' | b',') || !is_digit(v, 1) {
                            return Some(());
                        }
                        let mut i = 0;
                        while i + 1 < v.len() && is_digit(v, i + 1) {
                            i += 1;
                        }
                        match parse_nanos(v, 1 + i) {
                            Ok(ns) => nsec = ns,
                            Err("") => return None,
                            Err(e) => range_err = e,
                        }
                        v = &v[1 + i..];
                    }
                }
                zone_std => {
                    if zone_std.is_iso() && v.first() == Some(&b'Z') {
                        v = &v[1..];
                        utc = true;
                        return Some(());
                    }
                    let (sign, hh, mm, ss, r): (u8, &[u8], &[u8], &[u8], &[u8]) = match zone_std {
                        Std::Iso8601ColonTZ | Std::NumColonTZ => {
                            if v.len() < 6 || v[3] != b':' {
                                return None;
                            }
                            (v[0], &v[1..3], &v[4..6], b"00", &v[6..])
                        }
                        Std::NumShortTZ | Std::Iso8601ShortTZ => {
                            if v.len() < 3 {
                                return None;
                            }
                            (v[0], &v[1..3], b"00", b"00", &v[3..])
                        }
                        Std::Iso8601ColonSecondsTZ | Std::NumColonSecondsTZ => {
                            if v.len() < 9 || v[3] != b':' || v[6] != b':' {
                                return None;
                            }
                            (v[0], &v[1..3], &v[4..6], &v[7..9], &v[9..])
                        }
                        Std::Iso8601SecondsTZ | Std::NumSecondsTz => {
                            if v.len() < 7 {
                                return None;
                            }
                            (v[0], &v[1..3], &v[3..5], &v[5..7], &v[7..])
                        }
                        _ => {
                            if v.len() < 5 {
                                return None;
                            }
                            (v[0], &v[1..3], &v[3..5], b"00", &v[5..])
                        }
                    };
                    v = r;
                    let hr = getnum(hh, true)?.0;
                    let mi = getnum(mm, true)?.0;
                    let se = getnum(ss, true)?.0;
                    if hr > 24 {
                        range_err = "time zone offset hour";
                    }
                    if mi > 60 {
                        range_err = "time zone offset minute";
                    }
                    if se > 60 {
                        range_err = "time zone offset second";
                    }
                    let off = (hr * 60 + mi) * 60 + se;
                    zone_offset = Some(match sign {
                        b'+' => off,
                        b'-' => -off,
                        _ => return None,
                    });
                }
            }
            Some(())
        })();
        if !range_err.is_empty() {
            return Err(err_msg(&format!(": {range_err} out of range")));
        }
        if ok.is_none() {
            return Err(err_at(std_str, hold));
        }
    }
    if pm && hour < 12 {
        hour += 12;
    } else if am && hour == 12 {
        hour = 0;
    }
    if yday >= 0 {
        let (mut m, mut d) = (0, 0);
        if is_leap(year) {
            if yday == 31 + 29 {
                m = 2;
                d = 29;
            } else if yday > 31 + 29 {
                yday -= 1;
            }
        }
        if !(1..=365).contains(&yday) {
            return Err(err_msg(": day-of-year out of range"));
        }
        if m == 0 {
            m = (yday - 1) / 31 + 1;
            if days_before(m + 1) < yday {
                m += 1;
            }
            d = yday - days_before(m);
        }
        if month >= 0 && month != m {
            return Err(err_msg(": day-of-year does not match month"));
        }
        month = m;
        if day >= 0 && day != d {
            return Err(err_msg(": day-of-year does not match day"));
        }
        day = d;
    } else {
        if month < 0 {
            month = 1;
        }
        if day < 0 {
            day = 1;
        }
    }
    if day < 1 || day > days_in(month, year) {
        return Err(err_msg(": day out of range"));
    }
    let civil = Civil {
        year,
        month,
        day,
        hour,
        min,
        sec,
        weekday: 0,
        yday: 0,
    };
    let nsec = nsec as u32;
    if utc {
        return Ok(GoTime::from_civil(&civil, nsec, Loc::utc()));
    }
    let local = super::local();
    if let Some(off) = zone_offset {
        let mut t = GoTime::from_civil(&civil, nsec, Loc::utc());
        t.secs -= off;
        // The local zone, if it had this offset (and name) then.
        t.loc = local.clone();
        let (name, o) = t.zone();
        if i64::from(o) == off && (zone_name.is_empty() || name == zone_name) {
            return Ok(t);
        }
        t.loc = Loc::Fixed(zone_name.into(), off as i32);
        return Ok(t);
    }
    if !zone_name.is_empty() {
        let mut t = GoTime::from_civil(&civil, nsec, Loc::utc());
        if let Some(off) = local.offset_named(&zone_name, t.secs) {
            t.secs -= i64::from(off);
            t.loc = local;
            return Ok(t);
        }
        let mut off = 0;
        if zone_name.len() > 3 && zone_name.starts_with("GMT") {
            off = atoi(&zone_name.as_bytes()[3..]).unwrap_or(0) * 3600;
        }
        t.loc = Loc::Fixed(zone_name.into(), off as i32);
        return Ok(t);
    }
    Ok(GoTime::from_civil(&civil, nsec, default_loc.clone()))
}
