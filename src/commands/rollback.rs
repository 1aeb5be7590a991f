use ketch::action::rollback::RollbackRequest;
use ketch::error::Result;

use super::releases::{self, StderrProgress};
use crate::cli::RollbackArgs;

pub fn run(args: &RollbackArgs) -> Result<()> {
    let settings = releases::settings(&args.deploy);
    let dry_run = settings.dry_run;
    let request = RollbackRequest {
        name: args.release.clone(),
        namespace: args.kube.namespace.clone(),
        revision: args.revision,
        settings,
        connect: releases::connect(&args.kube),
    };
    let (release, report) = super::runtime()?.block_on(request.run(&StderrProgress::new()))?;
    releases::print_release(&release, &report, dry_run)
}
