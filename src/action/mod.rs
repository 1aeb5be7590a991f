//! Actions: what a command does, as an options struct with `run`, testable
//! without the command line.

pub mod render;
