use ketch::error::Result;

use crate::cli::CreateArgs;

pub fn run(_args: &CreateArgs) -> Result<()> {
    Err(ketch::error::Error::Invalid("create: not yet".into()))
}
