//! Dates: Sprig's `now`, `date`, `dateInZone`, `dateModify`, `toDate`, `ago`,
//! `duration`, ... over Go's `time.Time` and `time.Duration`.
//!
//! The local zone is Go's: `TZ` if set (empty means UTC), else the zone `/etc/localtime`
//! links to; a zone the tz database does not know is UTC, as in Go.

pub mod duration;
pub mod layout;

use std::rc::Rc;
use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeZone, Timelike};
use chrono_tz::{OffsetName, Tz};

use crate::func::{FuncMap, Type};
use crate::value::{Object, Value};
use duration::GoDuration;

/// A time zone: one of the tz database, or a fixed offset (`+02:00` parsed from text).
#[derive(Clone, Debug)]
pub enum Loc {
    Zone(Tz),
    /// A name (possibly empty) and seconds east of UTC.
    Fixed(Rc<str>, i32),
}

impl Loc {
    pub fn utc() -> Loc {
        Loc::Zone(Tz::UTC)
    }

    /// The zone's name and offset at the instant `secs` (Unix seconds).
    fn at(&self, secs: i64) -> (String, i32) {
        match self {
            Loc::Fixed(name, off) => (name.to_string(), *off),
            Loc::Zone(tz) => {
                let Some(utc) = DateTime::from_timestamp(secs, 0) else {
                    return ("UTC".into(), 0);
                };
                let off = tz.offset_from_utc_datetime(&utc.naive_utc());
                let secs = off.fix().local_minus_utc();
                // chrono-tz has no name for zones tzdata names by offset (`+11`, `+0530`).
                let name = off
                    .abbreviation()
                    .map_or_else(|| numeric_zone_name(secs), str::to_string);
                (name, secs)
            }
        }
    }

    /// The offset the zone has under `name` around `secs`, if it uses that name
    /// (Go's lookupName, over the offsets in effect within a year of `secs`).
    fn offset_named(&self, name: &str, secs: i64) -> Option<i32> {
        const DAY: i64 = 86_400;
        [0, -182 * DAY, 182 * DAY, -365 * DAY, 365 * DAY]
            .iter()
            .map(|d| self.at(secs + d))
            .find(|(n, _)| n == name)
            .map(|(_, off)| off)
    }
}

/// tzdata's name for a zone without letters: `+11`, `-03`, `+0530`.
fn numeric_zone_name(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let m = secs.unsigned_abs() / 60;
    if m.is_multiple_of(60) {
        format!("{sign}{:02}", m / 60)
    } else {
        format!("{sign}{:02}{:02}", m / 60, m % 60)
    }
}

/// The local zone as Go reads it (`TZ`, then `/etc/localtime`).
pub fn local() -> Loc {
    static LOCAL: OnceLock<Tz> = OnceLock::new();
    Loc::Zone(*LOCAL.get_or_init(|| {
        let by_path = |p: &str| -> Option<Tz> {
            let name = p.rsplit_once("zoneinfo/").map_or(p, |(_, n)| n);
            name.parse().ok()
        };
        match std::env::var("TZ") {
            Ok(tz) if tz.is_empty() => Tz::UTC,
            Ok(tz) => by_path(tz.strip_prefix(':').unwrap_or(&tz)).unwrap_or(Tz::UTC),
            Err(_) => std::fs::read_link("/etc/localtime")
                .ok()
                .and_then(|p| by_path(&p.to_string_lossy()))
                .or_else(|| {
                    let name = std::fs::read_to_string("/etc/timezone").ok()?;
                    name.trim().parse().ok()
                })
                .unwrap_or(Tz::UTC),
        }
    }))
}

/// Go's time.LoadLocation: `""` and `UTC` are UTC, `Local` the local zone, else a
/// tz database name.
fn load_location(name: &str) -> Option<Loc> {
    match name {
        "" | "UTC" => Some(Loc::utc()),
        "Local" => Some(local()),
        _ => name.parse().ok().map(Loc::Zone),
    }
}

/// The process's start, as Go's monotonic clock readings count from it.
fn process_start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// A calendar reading of a time in its zone.
pub struct Civil {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub min: i64,
    pub sec: i64,
    /// 0 = Sunday.
    pub weekday: i64,
    /// Day of the year, from 1.
    pub yday: i64,
}

/// Go's `time.Time`: an instant, its zone, and (for `now`) a monotonic reading.
#[derive(Clone, Debug)]
pub struct GoTime {
    /// Seconds since the Unix epoch.
    pub secs: i64,
    pub nsec: u32,
    pub loc: Loc,
    /// Nanoseconds since the process started, printed as `m=+0.000123456`.
    pub mono: Option<i64>,
}

/// Go's zero time, 0001-01-01 00:00:00 UTC.
const ZERO_SECS: i64 = -62_135_596_800;

impl GoTime {
    pub fn zero() -> GoTime {
        GoTime::unix(ZERO_SECS, 0, Loc::utc())
    }

    pub fn unix(secs: i64, nsec: u32, loc: Loc) -> GoTime {
        GoTime {
            secs,
            nsec,
            loc,
            mono: None,
        }
    }

    /// Go's `time.Now()` in the local zone, with a monotonic reading.
    pub fn now() -> GoTime {
        let mono = Instant::now().duration_since(process_start()).as_nanos();
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        GoTime {
            secs: wall.as_secs() as i64,
            nsec: wall.subsec_nanos(),
            loc: local(),
            mono: Some(i64::try_from(mono).unwrap_or(i64::MAX).max(1)),
        }
    }

    pub fn value(self) -> Value {
        Value::Object(Rc::new(self))
    }

    /// The time a value holds, if it is a `time.Time`.
    pub fn of(v: &Value) -> Option<&GoTime> {
        match v {
            Value::Object(o) => o.as_any()?.downcast_ref::<GoTime>(),
            _ => None,
        }
    }

    /// The zone's abbreviation and offset at this time.
    pub fn zone(&self) -> (String, i32) {
        self.loc.at(self.secs)
    }

    /// Go's `Time.In` (which drops the monotonic reading).
    pub fn with_loc(&self, loc: Loc) -> GoTime {
        GoTime::unix(self.secs, self.nsec, loc)
    }

    pub fn civil(&self) -> Civil {
        let (_, off) = self.zone();
        let dt = DateTime::from_timestamp(self.secs.saturating_add(i64::from(off)), 0)
            .unwrap_or_default()
            .naive_utc();
        Civil {
            year: i64::from(dt.year()),
            month: i64::from(dt.month()),
            day: i64::from(dt.day()),
            hour: i64::from(dt.hour()),
            min: i64::from(dt.minute()),
            sec: i64::from(dt.second()),
            weekday: i64::from(dt.weekday().num_days_from_sunday()),
            yday: i64::from(dt.ordinal()),
        }
    }

    /// Go's `time.Date` for a valid calendar reading in `loc`.
    pub fn from_civil(c: &Civil, nsec: u32, loc: Loc) -> GoTime {
        let naive = NaiveDate::from_ymd_opt(c.year as i32, c.month as u32, c.day as u32)
            .and_then(|d| d.and_hms_opt(c.hour as u32, c.min as u32, c.sec as u32))
            .unwrap_or_default();
        let as_utc = naive.and_utc().timestamp();
        // Go: the offset at the reading taken as UTC, corrected once if that lands
        // in another period of the zone.
        let off = i64::from(loc.at(as_utc).1);
        let secs = if off == 0 {
            as_utc
        } else {
            as_utc - i64::from(loc.at(as_utc - off).1)
        };
        GoTime::unix(secs, nsec, loc)
    }

    /// Go's `Time.Add`: the monotonic reading moves too.
    pub fn add(&self, d: i64) -> GoTime {
        let total = i128::from(self.secs) * 1_000_000_000 + i128::from(self.nsec) + i128::from(d);
        let secs = total.div_euclid(1_000_000_000);
        GoTime {
            secs: i64::try_from(secs).unwrap_or(if d < 0 { i64::MIN } else { i64::MAX }),
            nsec: total.rem_euclid(1_000_000_000) as u32,
            loc: self.loc.clone(),
            mono: self.mono.and_then(|m| m.checked_add(d)),
        }
    }

    /// Go's `Time.Sub`, saturating.
    pub fn sub(&self, o: &GoTime) -> i64 {
        if let (Some(a), Some(b)) = (self.mono, o.mono) {
            return a.saturating_sub(b);
        }
        let d = (i128::from(self.secs) - i128::from(o.secs)) * 1_000_000_000
            + (i128::from(self.nsec) - i128::from(o.nsec));
        d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// Go's `time.Since`.
    fn since(&self) -> i64 {
        GoTime::now().sub(self)
    }

    /// Go's `Time.String`: `2006-01-02 15:04:05.999999999 -0700 MST`, and
    /// ` m=+0.000123456` for a time with a monotonic reading.
    pub fn go_string(&self) -> String {
        let mut s = layout::format(self, "2006-01-02 15:04:05.999999999 -0700 MST");
        if let Some(m) = self.mono {
            let u = m.unsigned_abs();
            let (secs, ns) = (u / 1_000_000_000, u % 1_000_000_000);
            let sign = if m < 0 { '-' } else { '+' };
            s.push_str(&format!(" m={sign}{secs}.{ns:09}"));
        }
        s
    }

    fn unix_nanos(&self) -> i128 {
        i128::from(self.secs) * 1_000_000_000 + i128::from(self.nsec)
    }
}

impl Object for GoTime {
    fn type_name(&self) -> &str {
        "time.Time"
    }
    fn field(&self, name: &str) -> Option<Value> {
        let c = || self.civil();
        Some(match name {
            "String" => self.go_string().into(),
            "Year" => Value::Int(c().year),
            "Month" => layout::format(self, "January").into(),
            "Day" => Value::Int(c().day),
            "Hour" => Value::Int(c().hour),
            "Minute" => Value::Int(c().min),
            "Second" => Value::Int(c().sec),
            "Nanosecond" => Value::Int(i64::from(self.nsec)),
            "YearDay" => Value::Int(c().yday),
            "Weekday" => layout::format(self, "Monday").into(),
            "Unix" => Value::Int64(self.secs),
            "UnixMilli" => Value::Int64((self.unix_nanos() / 1_000_000) as i64),
            "UnixMicro" => Value::Int64((self.unix_nanos() / 1_000) as i64),
            "UnixNano" => Value::Int64(self.unix_nanos() as i64),
            "IsZero" => Value::Bool(self.secs == ZERO_SECS && self.nsec == 0),
            "UTC" => self.with_loc(Loc::utc()).value(),
            "Local" => self.with_loc(local()).value(),
            _ => return None,
        })
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let time_arg = || match args {
            [v] => GoTime::of(v).ok_or_else(|| {
                format!(
                    "wrong type for value; expected time.Time; got {}",
                    v.type_name()
                )
            }),
            _ => Err(format!(
                "wrong number of args for {name}: want 1 got {}",
                args.len()
            )),
        };
        let duration_arg = || duration::method_arg(name, args);
        Some(match name {
            "Format" => match args {
                [Value::String(l)] => Ok(layout::format(self, l).into()),
                [v] => Err(format!(
                    "wrong type for value; expected string; got {}",
                    v.type_name()
                )),
                _ => Err(format!(
                    "wrong number of args for Format: want 1 got {}",
                    args.len()
                )),
            },
            "Add" => duration_arg().map(|d| self.add(d).value()),
            "Sub" => time_arg().map(|o| GoDuration::value(self.sub(o))),
            "Before" => time_arg().map(|o| (self.unix_nanos() < o.unix_nanos()).into()),
            "After" => time_arg().map(|o| (self.unix_nanos() > o.unix_nanos()).into()),
            "Equal" => time_arg().map(|o| (self.unix_nanos() == o.unix_nanos()).into()),
            _ => return self.field(name).map(Ok),
        })
    }
    fn to_value(&self) -> Value {
        self.go_string().into()
    }
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

/// An RFC 3339 time as a `time.Time` value in UTC (test support).
pub fn parse_rfc3339(s: &str) -> Option<Value> {
    let t = DateTime::parse_from_rfc3339(s).ok()?;
    let loc = if t.offset().local_minus_utc() == 0 {
        Loc::utc()
    } else {
        Loc::Fixed("".into(), t.offset().local_minus_utc())
    };
    Some(GoTime::unix(t.timestamp(), t.timestamp_subsec_nanos(), loc).value())
}

/// Sprig's reading of a date argument: a time, or Unix seconds (int, int64), else now.
fn date_arg(v: &Value) -> GoTime {
    match v {
        Value::Int(n) | Value::Int64(n) => GoTime::unix(*n, 0, local()),
        v => GoTime::of(v).cloned().unwrap_or_else(GoTime::now),
    }
}

/// Sprig's dateInZone: an unknown zone is UTC.
fn date_in_zone(layout: &str, date: &Value, zone: &str) -> Value {
    let loc = load_location(zone).unwrap_or_else(Loc::utc);
    layout::format(&date_arg(date).with_loc(loc), layout).into()
}

/// The `time.Time` argument of a function declaring one, or Go's type error.
fn time_param(v: &Value) -> Result<&GoTime, String> {
    GoTime::of(v).ok_or_else(|| {
        format!(
            "wrong type for value; expected time.Time; got {}",
            if v.is_nil() {
                "interface {}".into()
            } else {
                v.type_name()
            }
        )
    })
}

/// Sprig's durationRound: the largest whole unit (y = 365d, mo = 30d) below the duration.
fn duration_round(v: &Value) -> String {
    let d = match v {
        Value::String(s) => duration::parse(s).unwrap_or(0),
        Value::Int64(n) => *n,
        v => GoTime::of(v).map_or(0, GoTime::since),
    };
    let u = d.unsigned_abs();
    const SECOND: u64 = 1_000_000_000;
    for (unit, name) in [
        (SECOND * 3600 * 24 * 365, "y"),
        (SECOND * 3600 * 24 * 30, "mo"),
        (SECOND * 3600 * 24, "d"),
        (SECOND * 3600, "h"),
        (SECOND * 60, "m"),
        (SECOND, "s"),
    ] {
        if u > unit {
            return format!("{}{name}", u / unit);
        }
    }
    "0s".into()
}

pub fn funcs() -> FuncMap {
    use Type::{Any, String};
    process_start();
    let mut f = FuncMap::new();
    f.add("now", &[], None, |_| Ok(GoTime::now().value()));
    f.add("date", &[String, Any], None, |a| {
        Ok(date_in_zone(super::str_arg(a, 0), &a[1], "Local"))
    });
    f.add("htmlDate", &[Any], None, |a| {
        Ok(date_in_zone("2006-01-02", &a[0], "Local"))
    });
    f.add("htmlDateInZone", &[Any, String], None, |a| {
        Ok(date_in_zone("2006-01-02", &a[0], super::str_arg(a, 1)))
    });
    for name in ["dateInZone", "date_in_zone"] {
        f.add(name, &[String, Any, String], None, |a| {
            Ok(date_in_zone(
                super::str_arg(a, 0),
                &a[1],
                super::str_arg(a, 2),
            ))
        });
    }
    for name in ["dateModify", "date_modify"] {
        f.add(name, &[String, Any], None, |a| {
            let t = time_param(&a[1])?;
            Ok(match duration::parse(super::str_arg(a, 0)) {
                Ok(d) => t.add(d),
                Err(_) => t.clone(),
            }
            .value())
        });
    }
    for name in ["mustDateModify", "must_date_modify"] {
        f.add(name, &[String, Any], None, |a| {
            let t = time_param(&a[1])?;
            Ok(t.add(duration::parse(super::str_arg(a, 0))?).value())
        });
    }
    f.add("ago", &[Any], None, |a| {
        let t = match &a[0] {
            Value::Int(n) | Value::Int64(n) => GoTime::unix(*n, 0, local()),
            v => GoTime::of(v).cloned().unwrap_or_else(GoTime::now),
        };
        Ok(duration::format(duration::round(t.since(), duration::SECOND)).into())
    });
    f.add("duration", &[Any], None, |a| {
        let n = match &a[0] {
            Value::String(s) => s.parse::<i64>().unwrap_or(0),
            Value::Int64(n) => *n,
            _ => 0,
        };
        Ok(duration::format(n.wrapping_mul(duration::SECOND)).into())
    });
    f.add("durationRound", &[Any], None, |a| {
        Ok(duration_round(&a[0]).into())
    });
    f.add("toDate", &[String, String], None, |a| {
        Ok(
            layout::parse(super::str_arg(a, 0), super::str_arg(a, 1), &local())
                .unwrap_or_else(|_| GoTime::zero())
                .value(),
        )
    });
    f.add("mustToDate", &[String, String], None, |a| {
        Ok(layout::parse(super::str_arg(a, 0), super::str_arg(a, 1), &local())?.value())
    });
    f.add("unixEpoch", &[Any], None, |a| {
        Ok(time_param(&a[0])?.secs.to_string().into())
    });
    f
}

#[cfg(test)]
mod tests;
