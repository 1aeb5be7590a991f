//! Flow collections written on one line: `[1, x]`, `{a: b, c: "d"}`, `{}`,
//! `[]`, nested. A trailing comma, a key without `: `, a single-pair mapping
//! inside a sequence, or a collection continued on the next line is refused.

use serde_json::map::Entry;
use serde_json::{Map, Value};

use super::Reader;

impl Reader<'_> {
    /// The flow collection at `pos` (at its `[` or `{`); leaves `pos` after it.
    pub(super) fn flow_node(&mut self) -> Option<Value> {
        let mapping = self.current() == b'{';
        self.enter()?;
        self.pos += 1;
        self.skip_spaces();
        let value = if mapping {
            self.flow_mapping()
        } else {
            self.flow_sequence()
        };
        self.leave();
        value
    }

    fn flow_sequence(&mut self) -> Option<Value> {
        let mut items = Vec::new();
        if !self.closes(b']') {
            loop {
                items.push(self.flow_value()?);
                if self.at_flow_end(b']')? {
                    break;
                }
            }
        }
        Some(Value::Array(items))
    }

    fn flow_mapping(&mut self) -> Option<Value> {
        let mut map = Map::new();
        if !self.closes(b'}') {
            loop {
                let key = self.flow_token(true)?.key()?;
                self.count(1)?;
                if !self.at_key_indicator() || self.byte(self.pos + 1) != b' ' {
                    return None;
                }
                self.pos += 1;
                self.skip_spaces();
                match map.entry(key) {
                    Entry::Vacant(entry) => {
                        entry.insert(self.flow_value()?);
                    }
                    Entry::Occupied(_) => return None,
                }
                if self.at_flow_end(b'}')? {
                    break;
                }
            }
        }
        Some(Value::Object(map))
    }

    /// Right after the opening bracket: whether the collection is empty,
    /// closing with `close` here (moving past it).
    fn closes(&mut self, close: u8) -> bool {
        let empty = self.current() == close;
        if empty {
            self.pos += 1;
        }
        empty
    }

    /// After an entry: whether the collection closes
    /// with `close` here (moving past it), or continues after a `,` (moving to
    /// the next entry); `None` for anything else.
    fn at_flow_end(&mut self, close: u8) -> Option<bool> {
        self.skip_spaces();
        if self.closes(close) {
            return Some(true);
        }
        if self.current() != b',' {
            return None;
        }
        self.pos += 1;
        self.skip_spaces();
        Some(false)
    }

    /// An entry's value: a nested collection or a scalar.
    fn flow_value(&mut self) -> Option<Value> {
        if matches!(self.current(), b'[' | b'{') {
            return self.flow_node();
        }
        self.count(1)?;
        self.flow_token(false)?.value()
    }
}
