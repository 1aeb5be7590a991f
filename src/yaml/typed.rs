//! Typed reads from a value the fast reader built, as strict as serde-saphyr
//! is. serde_json's own `from_value` fills a struct from a list, field by
//! position, which no YAML reader does; this deserializer asks a struct for a
//! mapping and otherwise hands each value to the type as it is, so a value
//! whose type does not fit fails (and the caller falls back to serde-saphyr).

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Unexpected, Visitor};
use serde_json::{Error, Value};

/// A `T` read from `value`, or `None` when `T` does not accept it as it is.
pub fn from_value<T: de::DeserializeOwned>(value: &Value) -> Option<T> {
    T::deserialize(Strict(value)).ok()
}

struct Strict<'de>(&'de Value);

impl<'de> Strict<'de> {
    fn unexpected(&self) -> Unexpected<'de> {
        match self.0 {
            Value::Null => Unexpected::Unit,
            Value::Bool(b) => Unexpected::Bool(*b),
            Value::Number(_) => Unexpected::Other("a number"),
            Value::String(s) => Unexpected::Str(s),
            Value::Array(_) => Unexpected::Seq,
            Value::Object(_) => Unexpected::Map,
        }
    }
}

impl<'de> Deserializer<'de> for Strict<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(_) => self.0.deserialize_any(visitor),
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => visitor.visit_seq(Items(items.iter())),
            Value::Object(map) => visitor.visit_map(Entries {
                entries: map.iter(),
                value: None,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(_) => self.deserialize_any(visitor),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // Unit variants are strings, the others one-entry maps, in YAML as in JSON.
        self.0.deserialize_enum(name, variants, visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier
    }
}

struct Items<'de>(std::slice::Iter<'de, Value>);

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        self.0
            .next()
            .map(|item| seed.deserialize(Strict(item)))
            .transpose()
    }
}

struct Entries<'de> {
    entries: serde_json::map::Iter<'de>,
    value: Option<&'de Value>,
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = Error;

    fn next_key_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(Strict(value)),
            None => Err(de::Error::custom(
                "a map value was asked for before its key",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Entry {
        name: String,
        tags: Option<Vec<String>>,
        #[serde(default)]
        size: u8,
    }

    #[test]
    fn a_struct_needs_a_mapping() {
        assert_eq!(
            from_value::<Entry>(&json!({"name": "a", "tags": ["x"], "size": 3})),
            Some(Entry {
                name: "a".into(),
                tags: Some(vec!["x".into()]),
                size: 3
            })
        );
        assert_eq!(
            from_value::<Entry>(&json!({"name": "a", "tags": null})),
            Some(Entry {
                name: "a".into(),
                tags: None,
                size: 0
            })
        );
        // serde_json::from_value would fill these from the list, by position.
        assert_eq!(from_value::<Entry>(&json!(["a", null, 1])), None);
        assert_eq!(from_value::<Vec<Entry>>(&json!([["a", null, 1]])), None);
        // Values of the wrong type fail rather than convert.
        assert_eq!(from_value::<Entry>(&json!({"name": 1})), None);
        assert_eq!(
            from_value::<Entry>(&json!({"name": "a", "size": 300})),
            None
        );
        assert_eq!(
            from_value::<Entry>(&json!({"name": "a", "tags": "x"})),
            None
        );
    }
}
