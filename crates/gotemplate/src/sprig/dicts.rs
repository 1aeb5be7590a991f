//! Sprig's dict functions. Maps are shared (Go maps): `set`, `unset`, `merge` and
//! `mergeOverwrite` change their first argument in place.
//!
//! Go's map order is random, so Sprig's `keys` and `values` come out in a random
//! order (a chart printing them renders differently on every run); here they are
//! sorted by key.

use std::collections::BTreeMap;

use crate::func::{FuncMap, Type};
use crate::value::{Map, Value};

use super::{empty, str_arg, strval};

const A: Type = Type::Any;
const M: Type = Type::Map;
const S: Type = Type::String;

fn map_arg(a: &[Value], i: usize) -> Result<&Map, String> {
    match a.get(i) {
        Some(Value::Map(m)) => Ok(m),
        _ => Err("wrong type for value; expected map[string]interface {}".into()),
    }
}

/// A map argument only read: Go passes a nil map where the value is nil (a
/// missing key, an absent `lookup` field), and reading a nil map finds nothing.
fn read_arg(a: &[Value], i: usize) -> Result<Map, String> {
    match a.get(i) {
        Some(Value::Nil) => Ok(Map::default()),
        _ => map_arg(a, i).cloned(),
    }
}

const IN_USE: &str = "map is in use";

pub fn funcs() -> FuncMap {
    let mut f = FuncMap::new();
    f.add("dict", &[], Some(A), |a| {
        let mut m = BTreeMap::new();
        for pair in a.chunks(2) {
            let value = pair.get(1).cloned().unwrap_or_else(|| Value::from(""));
            m.insert(strval(&pair[0]), value);
        }
        Ok(Value::map(m))
    });
    f.add("get", &[M, S], None, |a| {
        let m = read_arg(a, 0)?;
        let m = m.try_borrow().map_err(|_| IN_USE)?;
        Ok(m.get(str_arg(a, 1)).cloned().unwrap_or_else(|| "".into()))
    });
    f.add("set", &[M, S, A], None, |a| {
        if a[0].is_nil() {
            return Err("assignment to entry in nil map".into());
        }
        let m = map_arg(a, 0)?;
        m.try_borrow_mut()
            .map_err(|_| IN_USE)?
            .insert(str_arg(a, 1).into(), a[2].clone());
        Ok(Value::Map(m.clone()))
    });
    f.add("unset", &[M, S], None, |a| {
        // Deleting from a nil map does nothing; the nil map prints as `map[]`.
        if a[0].is_nil() {
            return Ok(Value::empty_map());
        }
        let m = map_arg(a, 0)?;
        m.try_borrow_mut()
            .map_err(|_| IN_USE)?
            .remove(str_arg(a, 1));
        Ok(Value::Map(m.clone()))
    });
    f.add("hasKey", &[M, S], None, |a| {
        Ok(read_arg(a, 0)?
            .try_borrow()
            .map_err(|_| IN_USE)?
            .contains_key(str_arg(a, 1))
            .into())
    });
    f.add("pluck", &[S], Some(M), |a| {
        let key = str_arg(a, 0);
        let mut out = Vec::new();
        for i in 1..a.len() {
            if let Some(v) = read_arg(a, i)?.try_borrow().map_err(|_| IN_USE)?.get(key) {
                out.push(v.clone());
            }
        }
        Ok(Value::list(out))
    });
    f.add("keys", &[], Some(M), |a| {
        let mut keys = Vec::new();
        for i in 0..a.len() {
            keys.extend(
                read_arg(a, i)?
                    .try_borrow()
                    .map_err(|_| IN_USE)?
                    .keys()
                    .cloned(),
            );
        }
        keys.sort();
        Ok(super::strings::strings_value(keys))
    });
    f.add("values", &[M], None, |a| {
        let m = read_arg(a, 0)?;
        let m = m.try_borrow().map_err(|_| IN_USE)?;
        Ok(Value::list(m.values().cloned().collect()))
    });
    f.add("pick", &[M], Some(S), |a| {
        let m = read_arg(a, 0)?;
        let m = m.try_borrow().map_err(|_| IN_USE)?;
        let picked = a[1..]
            .iter()
            .filter_map(|k| {
                let k = k.as_str()?;
                m.get(k).map(|v| (k.to_string(), v.clone()))
            })
            .collect();
        Ok(Value::map(picked))
    });
    f.add("omit", &[M], Some(S), |a| {
        let m = read_arg(a, 0)?;
        let m = m.try_borrow().map_err(|_| IN_USE)?;
        let omit: Vec<&str> = a[1..].iter().filter_map(Value::as_str).collect();
        Ok(Value::map(
            m.iter()
                .filter(|(k, _)| !omit.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ))
    });
    for (name, overwrite) in [
        ("merge", false),
        ("mustMerge", false),
        ("mergeOverwrite", true),
        ("mustMergeOverwrite", true),
    ] {
        let must = name.starts_with("must");
        f.add(name, &[M], Some(M), move |a| {
            let dst = map_arg(a, 0)?;
            for i in 1..a.len() {
                let src = read_arg(a, i)?;
                let src = &src;
                if let Err(e) = merge_maps(dst, src, overwrite, crate::MAX_NESTING) {
                    return if must { Err(e) } else { Ok("".into()) };
                }
            }
            Ok(Value::Map(dst.clone()))
        });
    }
    f.add("dig", &[], Some(A), |a| {
        if a.len() < 3 {
            return Err("dig needs at least three arguments".into());
        }
        let (keys, rest) = a.split_at(a.len() - 2);
        let default = &rest[0];
        let mut cur = match &rest[1] {
            Value::Map(m) => m.clone(),
            other => return Err(not_a_map(other)),
        };
        let keys: Vec<&str> = keys
            .iter()
            .map(|k| {
                k.as_str().ok_or_else(|| {
                    format!(
                        "interface conversion: interface {{}} is {}, not string",
                        k.type_name()
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        for (i, k) in keys.iter().enumerate() {
            let step = match cur.try_borrow().map_err(|_| IN_USE)?.get(*k) {
                None => return Ok(default.clone()),
                Some(v) => v.clone(),
            };
            if i + 1 == keys.len() {
                return Ok(step);
            }
            cur = match step {
                Value::Map(m) => m,
                other => return Err(not_a_map(&other)),
            };
        }
        Ok(default.clone())
    });
    f
}

fn not_a_map(v: &Value) -> String {
    let t = if v.is_nil() {
        "nil".to_string()
    } else {
        v.type_name()
    };
    format!("interface conversion: interface {{}} is {t}, not map[string]interface {{}}")
}

/// mergo's Merge (`overwrite` false) and MergeWithOverwrite over two Go maps, as
/// Sprig calls them: keys missing or empty in `dst` take `src`'s value; with
/// `overwrite`, every `src` value replaces `dst`'s (nil too); maps
/// present on both sides merge recursively (in place: they are shared).
fn merge_maps(dst: &Map, src: &Map, overwrite: bool, depth: usize) -> Result<(), String> {
    let depth = depth
        .checked_sub(1)
        .ok_or_else(|| "merge: values nest too deeply".to_string())?;
    if std::rc::Rc::ptr_eq(dst, src) {
        return Ok(());
    }
    let entries: Vec<(String, Value)> = src
        .try_borrow()
        .map_err(|_| IN_USE)?
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (key, sv) in entries {
        let dst_empty = dst.try_borrow().map_err(|_| IN_USE)?.is_empty();
        let dv = dst.try_borrow().map_err(|_| IN_USE)?.get(&key).cloned();
        if sv.is_nil() {
            if overwrite {
                dst.try_borrow_mut()
                    .map_err(|_| IN_USE)?
                    .insert(key, Value::Nil);
            }
            continue;
        }
        match &sv {
            Value::Map(sm) => {
                if let Some(Value::Map(dm)) = &dv {
                    merge_maps(dm, sm, overwrite, depth)?;
                }
            }
            Value::List(_) => {
                // mergo sets the slice it computed before deciding below: src's when
                // overwriting or when dst is empty, else dst's own (a new empty one
                // for a missing or nil key).
                let set = if overwrite || dst_empty {
                    sv.clone()
                } else {
                    match &dv {
                        None | Some(Value::Nil) => Value::list(Vec::new()),
                        Some(d) => d.clone(),
                    }
                };
                dst.try_borrow_mut()
                    .map_err(|_| IN_USE)?
                    .insert(key.clone(), set);
            }
            _ => {}
        }
        if let Some(d) = &dv
            && !empty(d)
            && (matches!(sv, Value::List(_))
                || (matches!(sv, Value::Map(_)) && matches!(d, Value::Map(_))))
        {
            continue;
        }
        if overwrite || dv.as_ref().is_none_or(empty) {
            dst.try_borrow_mut().map_err(|_| IN_USE)?.insert(key, sv);
        }
    }
    Ok(())
}
