use ketch::action::rollback::RollbackRequest;
use ketch::error::{Error, Result};

use super::releases::{self, progress};
use crate::cli::RollbackArgs;

pub fn run(args: &RollbackArgs) -> Result<()> {
    let settings = releases::settings(&args.deploy);
    if settings.dry_run.is_some() {
        return Err(Error::Invalid(
            "rollback does not support --dry-run; `ketch get manifest RELEASE --revision N` shows what a revision holds".into(),
        ));
    }
    let request = RollbackRequest {
        name: args.release.clone(),
        namespace: args.kube.namespace.clone(),
        revision: args.revision,
        settings,
        connect: releases::connect(&args.kube),
    };
    let (release, report) = super::runtime()?.block_on(request.run(&progress))?;
    releases::print_release(&release, &report, None)
}
