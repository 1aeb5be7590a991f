//! Sprig's defaults, reflection and flow control, with Helm's `required`.

use crate::func::{FuncMap, Type};
use crate::value::Value;

use super::{deep_equal, empty, list_items, str_arg};

const A: Type = Type::Any;
const S: Type = Type::String;

pub fn funcs() -> FuncMap {
    let mut f = FuncMap::new();
    f.add("default", &[A], Some(A), |a| {
        Ok(match a.get(1) {
            Some(given) if !empty(given) => given.clone(),
            _ => a[0].clone(),
        })
    });
    f.add("empty", &[A], None, |a| Ok(empty(&a[0]).into()));
    f.add("coalesce", &[], Some(A), |a| {
        Ok(a.iter().find(|v| !empty(v)).cloned().unwrap_or(Value::Nil))
    });
    f.add("all", &[], Some(A), |a| {
        Ok(a.iter().all(|v| !empty(v)).into())
    });
    f.add("any", &[], Some(A), |a| {
        Ok(a.iter().any(|v| !empty(v)).into())
    });
    for name in ["compact", "mustCompact"] {
        f.add(name, &[A], None, |a| {
            let items = list_items(&a[0], "Cannot compact on type")?;
            Ok(Value::list(
                items.iter().filter(|v| !empty(v)).cloned().collect(),
            ))
        });
    }
    f.add("ternary", &[A, A, Type::Bool], None, |a| {
        Ok(if a[2].is_true() {
            a[0].clone()
        } else {
            a[1].clone()
        })
    });
    for name in ["deepCopy", "mustDeepCopy"] {
        f.add(name, &[A], None, |a| {
            a[0].deep_copy()
                .ok_or_else(|| "deepCopy error: values nest too deeply".to_string())
        });
    }
    f.add("typeOf", &[A], None, |a| Ok(a[0].type_name().into()));
    f.add("typeIs", &[S, A], None, |a| {
        Ok((str_arg(a, 0) == a[1].type_name()).into())
    });
    f.add("typeIsLike", &[S, A], None, |a| {
        let (target, t) = (str_arg(a, 0), a[1].type_name());
        Ok((target == t || format!("*{target}") == t).into())
    });
    f.add("kindOf", &[A], None, |a| Ok(a[0].kind_name().into()));
    f.add("kindIs", &[S, A], None, |a| {
        Ok((str_arg(a, 0) == a[1].kind_name()).into())
    });
    f.add("deepEqual", &[A, A], None, |a| {
        Ok(deep_equal(&a[0], &a[1]).into())
    });
    f.add("fail", &[S], None, |a| Err(str_arg(a, 0).to_string()));
    f.add("required", &[S, A], None, |a| match &a[1] {
        Value::Nil => Err(str_arg(a, 0).to_string()),
        Value::String(s) if s.is_empty() => Err(str_arg(a, 0).to_string()),
        v => Ok(v.clone()),
    });
    // Sprig resolves the name through DNS; a render must not reach the network
    // (Helm itself fails here when the lookup finds nothing: `invalid argument to Intn`).
    f.add("getHostByName", &[S], None, |_| {
        Err("getHostByName: ketch does not resolve host names while rendering".into())
    });
    f
}
