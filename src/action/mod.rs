//! Actions: what a command does, as an options struct with `run`, testable
//! without the command line.

pub mod adopt;
pub mod deploy;
pub mod diff;
pub mod error;
pub mod export;
pub mod get;
pub mod history;
pub mod install;
pub mod list;
pub mod rollback;
pub mod status;
pub mod uninstall;
pub mod upgrade;

pub use error::ReleaseError;
