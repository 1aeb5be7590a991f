//! Go's `text/template`, Sprig v3's functions and Helm's, in Rust: the engine ketch
//! renders Helm charts with, so that their output is what `helm template` prints.
//!
//! - `lex`, `parse`: the template language, as Go's `text/template/parse`.
//! - `exec`: evaluation with Go's semantics (`missingkey=zero`, nil pointers,
//!   typed comparisons, `and`/`or` returning operands), bounded by [`Limits`].
//! - `builtins`: Go's own functions (`and`, `eq`, `index`, `printf`, ...).
//! - `fmt`: Go's `fmt` verbs over [`Value`]s (`%v`, `%s`, `%d`, `%q`, floats as strconv).
//! - `sprig`: Sprig v3's function library.
//! - `serial`: `toYaml`, `toJson`, `fromYaml`, ... byte-identical to Helm's.
//! - `crypto`: certificates, keys, passwords, random strings.

pub mod crypto;
pub mod fmt;
pub mod func;
pub mod serial;
pub mod value;

pub use func::{Func, FuncMap, FuncResult, Type};
pub use value::{Map, Object, Value};

/// How deep values and template calls may nest before evaluation stops with an error
/// (a map that holds itself, a template that includes itself without end).
pub const MAX_NESTING: usize = 10_000;

/// The largest string any single function may produce (`indent`, `repeat`,
/// `toYaml`, ...): one value can never take more memory than this.
pub const MAX_STRING: usize = 64 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::fmt::format_float_g;

    #[test]
    fn floats_print_as_go_prints_them() {
        for (x, go) in [
            (1000000.0, "1e+06"),
            (8080.0, "8080"),
            (12345678901.0, "1.2345678901e+10"),
            (0.1, "0.1"),
            (1e21, "1e+21"),
            (1e20, "1e+20"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (0.5, "0.5"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5, "-2.5"),
        ] {
            assert_eq!(format_float_g(x), go, "{x}");
        }
    }
}
