//! Sprig's list functions. Every function that takes "a list" accepts Go slices
//! only; the error texts are Sprig's panics (`Cannot find first on type string`).

use crate::func::{FuncMap, Type};
use crate::value::Value;

use super::{NIL_DEREF, deep_equal, int_arg, kind, list_items, to_int64};

const A: Type = Type::Any;

pub fn funcs() -> FuncMap {
    let mut f = FuncMap::new();
    for name in ["list", "tuple"] {
        f.add(name, &[], Some(A), |a| Ok(Value::list(a.to_vec())));
    }
    for name in ["append", "push", "mustAppend", "mustPush"] {
        f.add(name, &[A, A], None, |a| {
            let items = list_items(&a[0], "Cannot push on type")?;
            let mut out = Vec::with_capacity(items.len() + 1);
            out.extend_from_slice(items);
            out.push(a[1].clone());
            Ok(Value::list(out))
        });
    }
    for name in ["prepend", "mustPrepend"] {
        f.add(name, &[A, A], None, |a| {
            let items = list_items(&a[0], "Cannot prepend on type")?;
            let mut out = Vec::with_capacity(items.len() + 1);
            out.push(a[1].clone());
            out.extend_from_slice(items);
            Ok(Value::list(out))
        });
    }
    for name in ["first", "mustFirst"] {
        f.add(name, &[A], None, |a| {
            Ok(list_items(&a[0], "Cannot find first on type")?
                .first()
                .cloned()
                .unwrap_or_default())
        });
    }
    for name in ["last", "mustLast"] {
        f.add(name, &[A], None, |a| {
            Ok(list_items(&a[0], "Cannot find last on type")?
                .last()
                .cloned()
                .unwrap_or_default())
        });
    }
    for name in ["rest", "mustRest"] {
        f.add(name, &[A], None, |a| {
            let items = list_items(&a[0], "Cannot find rest on type")?;
            Ok(Value::list(items.get(1..).unwrap_or_default().to_vec()))
        });
    }
    for name in ["initial", "mustInitial"] {
        f.add(name, &[A], None, |a| {
            let items = list_items(&a[0], "Cannot find initial on type")?;
            Ok(Value::list(items[..items.len().saturating_sub(1)].to_vec()))
        });
    }
    for name in ["reverse", "mustReverse"] {
        f.add(name, &[A], None, |a| {
            let items = list_items(&a[0], "Cannot find reverse on type")?;
            Ok(Value::list(items.iter().rev().cloned().collect()))
        });
    }
    for name in ["uniq", "mustUniq"] {
        f.add(name, &[A], None, |a| {
            let items = list_items(&a[0], "Cannot find uniq on type")?;
            let mut out: Vec<Value> = Vec::new();
            for item in items {
                if !out.iter().any(|o| deep_equal(item, o)) {
                    out.push(item.clone());
                }
            }
            Ok(Value::list(out))
        });
    }
    for name in ["without", "mustWithout"] {
        f.add(name, &[A], Some(A), |a| {
            let items = list_items(&a[0], "Cannot find without on type")?;
            let omit = &a[1..];
            Ok(Value::list(
                items
                    .iter()
                    .filter(|i| !omit.iter().any(|o| deep_equal(i, o)))
                    .cloned()
                    .collect(),
            ))
        });
    }
    for name in ["has", "mustHas"] {
        f.add(name, &[A, A], None, |a| {
            if a[1].is_nil() {
                return Ok(false.into());
            }
            let items = list_items(&a[1], "Cannot find has on type")?;
            Ok(items.iter().any(|i| deep_equal(&a[0], i)).into())
        });
    }
    for name in ["slice", "mustSlice"] {
        f.add(name, &[A], Some(A), |a| {
            let items = match &a[0] {
                Value::List(items) => items,
                Value::Nil => return Err(NIL_DEREF.into()),
                other => {
                    return Err(format!(
                        "list should be type of slice or array but {}",
                        kind(other)
                    ));
                }
            };
            if items.is_empty() {
                return Ok(Value::Nil);
            }
            let len = items.len() as i64;
            let start = a.get(1).map_or(0, to_int64);
            let end = a.get(2).map_or(len, to_int64);
            if start < 0 || end < start || end > len {
                return Err("reflect.Value.Slice: slice index out of bounds".into());
            }
            Ok(Value::list(items[start as usize..end as usize].to_vec()))
        });
    }
    f.add("concat", &[], Some(A), |a| {
        let mut out = Vec::new();
        for list in a {
            match list {
                Value::List(items) => out.extend_from_slice(items),
                Value::Nil => return Err(NIL_DEREF.into()),
                other => return Err(format!("Cannot concat type {} as list", kind(other))),
            }
        }
        Ok(Value::list(out))
    });
    for name in ["chunk", "mustChunk"] {
        f.add(name, &[Type::Int, A], None, |a| {
            let size = int_arg(a, 0);
            let items = list_items(&a[1], "Cannot chunk type")?;
            if items.is_empty() {
                return Ok(Value::list(Vec::new()));
            }
            if size <= 0 {
                return Err("runtime error: makeslice: len out of range".into());
            }
            Ok(Value::list(
                items
                    .chunks(size as usize)
                    .map(|c| Value::list(c.to_vec()))
                    .collect(),
            ))
        });
    }
    f
}
