use ketch::error::Result;

use crate::cli::LintArgs;

pub fn run(_args: &LintArgs) -> Result<()> {
    Err(ketch::error::Error::Invalid("lint: not yet".into()))
}
