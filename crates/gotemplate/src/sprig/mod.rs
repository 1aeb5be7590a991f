//! Sprig v3.3.0's functions (`TxtFuncMap`), with Helm's `required` and `fail`, and
//! Helm's removal of `env` and `expandenv`. Serialization, cryptography, random
//! values, hashes and base64/32 live in `serial` and `crypto`.

use crate::func::FuncMap;

pub mod date;

/// Every Sprig function this module implements.
pub fn funcs() -> FuncMap {
    let mut f = FuncMap::new();
    f.extend(date::funcs());
    f
}
