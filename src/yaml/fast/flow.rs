//! Flow collections written on one line: `[1, x]`, `{a: b, c: "d"}`, `{}`,
//! `[]`, nested. A trailing comma, a key without `: `, a single-pair mapping
//! inside a sequence, or a collection continued on the next line is refused.

use serde_json::Value;

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
        let start = self.items.len();
        if !self.closes(b']') {
            loop {
                let item = self.flow_value()?;
                self.items.push(item);
                if self.at_flow_end(b']')? {
                    break;
                }
            }
        }
        Some(self.sequence(start))
    }

    fn flow_mapping(&mut self) -> Option<Value> {
        let start = self.entries.len();
        if !self.closes(b'}') {
            loop {
                let key = self.flow_token(true)?.key()?;
                self.count(1)?;
                if !self.at_key_indicator() || self.byte(self.pos + 1) != b' ' {
                    return None;
                }
                self.pos += 1;
                self.skip_spaces();
                let value = self.flow_value()?;
                self.entries.push((key, value));
                if self.at_flow_end(b'}')? {
                    break;
                }
            }
        }
        self.mapping(start)
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
