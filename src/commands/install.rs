use ketch::action::install;
use ketch::error::Result;

use super::releases::{self, StderrProgress};
use crate::cli::InstallArgs;

pub fn run(args: &InstallArgs) -> Result<()> {
    let request = releases::chart_request(&args.chart, args.create_namespace, false, false)?;
    let outcome = super::runtime()?.block_on(async {
        install::run(&request, &mut std::io::stdin(), &StderrProgress::new()).await
    })?;
    releases::print_release(&outcome.release, &outcome.report, outcome.dry_run)
}
