//! Helm's `fromToml`: a TOML document read into a map (BurntSushi/toml's decoder in
//! Helm): integers as int64, floats as float64, tables as maps, arrays as lists. On
//! error the map holds the message under `Error`, as Helm returns it.
//!
//! Known differences from Helm: error messages are the `toml` crate's (they name the
//! line and column, in other words than BurntSushi's), and date-times are their TOML
//! text where Go holds a `time.Time` (they print alike for RFC 3339 values).

use std::collections::BTreeMap;

use crate::value::Value;

pub fn from_toml(text: &str) -> Value {
    match text.parse::<toml::Table>() {
        Ok(table) => table_value(table),
        Err(e) => {
            let mut map = BTreeMap::new();
            map.insert("Error".to_string(), Value::from(e.message().to_string()));
            Value::map(map)
        }
    }
}

fn table_value(table: toml::Table) -> Value {
    Value::map(table.into_iter().map(|(k, v)| (k, value(v))).collect())
}

fn value(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::from(s),
        toml::Value::Integer(i) => Value::Int64(i),
        toml::Value::Float(x) => Value::Float(x),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::from(d.to_string()),
        toml::Value::Array(items) => Value::list(items.into_iter().map(value).collect()),
        toml::Value::Table(table) => table_value(table),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fmt::sprint_value;

    #[test]
    fn documents_read_as_helm_reads_them() {
        let v = from_toml("a = 1\nb = 1.5\n[t]\nname = \"x\"\nlist = [1, 2]\n");
        assert_eq!(sprint_value(&v), "map[a:1 b:1.5 t:map[list:[1 2] name:x]]");
        let Value::Map(map) = &v else { panic!() };
        assert!(matches!(map.borrow()["a"], Value::Int64(1)));
    }

    #[test]
    fn errors_are_returned_under_error() {
        let Value::Map(map) = from_toml("a = = 1") else {
            panic!()
        };
        assert!(map.borrow().contains_key("Error"));
    }
}
