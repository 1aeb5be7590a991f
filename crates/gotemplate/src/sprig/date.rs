//! Dates: `now`, `date`, `dateInZone`, `toDate`, ... over Go's `time.Time`.

use std::rc::Rc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::func::FuncMap;
use crate::value::{Object, Value};

/// Go's `time.Time`.
pub struct GoTime {
    pub t: DateTime<Tz>,
}

impl Object for GoTime {
    fn type_name(&self) -> &str {
        "time.Time"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
}

/// An RFC 3339 time as a `time.Time` value (test support).
pub fn parse_rfc3339(s: &str) -> Option<Value> {
    let t = DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc);
    Some(Value::Object(Rc::new(GoTime {
        t: t.with_timezone(&Tz::UTC),
    })))
}

pub fn funcs() -> FuncMap {
    FuncMap::new()
}
