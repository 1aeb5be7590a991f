//! Deep merging of values trees, with Helm's two rules: user sources layer
//! over each other keeping `null`s (`merge_into`, Helm's `mergeMaps`), and the
//! user's values coalesce over chart defaults, where a `null` removes the
//! default (`coalesce`, Helm's `coalesceTables`).

use serde_json::Value;

use super::Values;

/// What a `null` in the higher layer of a `coalesce` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nulls {
    /// The key is removed, whatever the lower layer holds.
    Delete,
    /// The `null` replaces the lower value and stays, as a tombstone for a
    /// later coalesce (a subchart's values coalesce again with its defaults).
    Keep,
    /// Helm's rule, for Helm charts: a `null` removes the default under it;
    /// with no default under it, it stays (`toYaml` prints `key: null`).
    OverDefaults,
}

/// Layers `overlay` onto `base`: maps merge key by key; scalars, lists and
/// `null` replace. A `null` is kept: when the result is coalesced over chart
/// defaults it removes the default (a later `-f` file can drop a key an
/// earlier one set, and the chart's default with it).
pub fn merge_into(base: &mut Values, overlay: Values) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(Value::Object(below)), Value::Object(above)) => merge_into(below, above),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Coalesces `over` (higher precedence) onto `under`: maps merge
/// recursively; a scalar or list in `over` replaces what `under` holds (also
/// a map: the higher layer wins a type conflict); a `null` in `over` removes
/// the key or is kept, per `nulls`. With `Nulls::Delete` no `null` from
/// `over` survives; `null`s in `under` (chart defaults) are left as they are.
/// Keys keep `under`'s order, then `over`'s new keys follow.
pub fn coalesce(mut over: Values, under: &Values, nulls: Nulls) -> Values {
    let mut out = Values::new();
    for (key, below) in under {
        match over.shift_remove(key) {
            None => {
                out.insert(key.clone(), below.clone());
            }
            Some(above) => {
                if let Some(value) = coalesce_value(above, below, nulls) {
                    out.insert(key.clone(), value);
                }
            }
        }
    }
    for (key, above) in over {
        if let Some(value) = own_value(above, nulls) {
            out.insert(key, value);
        }
    }
    out
}

/// The value for one key present in both layers.
pub(crate) fn coalesce_value(above: Value, below: &Value, nulls: Nulls) -> Option<Value> {
    match (above, below) {
        (Value::Null, _) if nulls == Nulls::OverDefaults => None,
        (Value::Object(above), Value::Object(below)) => {
            Some(Value::Object(coalesce(above, below, nulls)))
        }
        (above, _) => own_value(above, nulls),
    }
}

/// A higher-layer value with nothing under it.
pub(crate) fn own_value(above: Value, nulls: Nulls) -> Option<Value> {
    match (above, nulls) {
        (Value::Null, Nulls::Delete) => None,
        (Value::Object(mut map), Nulls::Delete) => {
            strip_nulls(&mut map);
            Some(Value::Object(map))
        }
        (above, _) => Some(above),
    }
}

/// Removes `null` entries from maps, recursively through maps (list items
/// are data, and stay as they are).
pub fn strip_nulls(values: &mut Values) {
    values.retain(|_, value| !value.is_null());
    for value in values.values_mut() {
        if let Value::Object(map) = value {
            strip_nulls(map);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Values {
        match v {
            Value::Object(m) => m,
            other => panic!("not a map: {other}"),
        }
    }

    #[test]
    fn merge_into_merges_maps_and_replaces_the_rest() {
        let mut base = map(json!({"a": {"b": 1, "c": [1, 2]}, "d": "x", "e": {"f": 1}}));
        merge_into(
            &mut base,
            map(json!({"a": {"c": [3], "g": true}, "d": {"h": 1}, "e": null})),
        );
        assert_eq!(
            Value::Object(base),
            json!({"a": {"b": 1, "c": [3], "g": true}, "d": {"h": 1}, "e": null})
        );
    }

    #[test]
    fn coalesce_over_wins_and_maps_merge() {
        let under =
            map(json!({"image": {"repo": "nginx", "tag": "1.0"}, "replicas": 1, "list": [1, 2]}));
        let over = map(json!({"image": {"tag": "2.0"}, "list": [3], "extra": {"k": "v"}}));
        let out = coalesce(over, &under, Nulls::Delete);
        assert_eq!(
            Value::Object(out),
            json!({"image": {"repo": "nginx", "tag": "2.0"}, "replicas": 1, "list": [3], "extra": {"k": "v"}})
        );
    }

    #[test]
    fn coalesce_null_deletes_a_default() {
        let under = map(
            json!({"resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}}, "keep": 1}),
        );
        let over = map(
            json!({"resources": {"limits": null}, "keep": null, "unknown": null, "m": {"n": null, "o": 1}}),
        );
        let out = coalesce(over, &under, Nulls::Delete);
        assert_eq!(
            Value::Object(out),
            json!({"resources": {"requests": {"cpu": "1"}}, "m": {"o": 1}})
        );
    }

    #[test]
    fn coalesce_keep_leaves_tombstones() {
        let under = map(json!({"a": {"b": 1, "c": 2}}));
        let over = map(json!({"a": {"b": null}}));
        assert_eq!(
            Value::Object(coalesce(over, &under, Nulls::Keep)),
            json!({"a": {"b": null, "c": 2}})
        );
    }

    #[test]
    fn coalesce_type_conflict_higher_layer_wins() {
        let under = map(json!({"a": {"b": 1}, "c": "s"}));
        let over = map(json!({"a": "flat", "c": {"d": 1}}));
        assert_eq!(
            Value::Object(coalesce(over, &under, Nulls::Delete)),
            json!({"a": "flat", "c": {"d": 1}})
        );
    }

    #[test]
    fn defaults_nulls_survive_delete_mode_and_list_nulls_stay() {
        let under = map(json!({"tag": null}));
        let over = map(json!({"list": [null, 1]}));
        assert_eq!(
            Value::Object(coalesce(over, &under, Nulls::Delete)),
            json!({"tag": null, "list": [null, 1]})
        );
    }
}
