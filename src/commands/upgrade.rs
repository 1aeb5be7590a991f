use ketch::action::upgrade::{self, Mode};
use ketch::error::Result;

use super::releases::{self, StderrProgress};
use crate::cli::UpgradeArgs;

pub fn run(args: &UpgradeArgs) -> Result<()> {
    let request = releases::chart_request(
        &args.chart,
        args.create_namespace,
        args.reuse_values,
        args.reset_values,
    )?;
    let mode = Mode::Upgrade {
        install: args.install,
    };
    let outcome = super::runtime()?.block_on(async {
        upgrade::run(
            &request,
            mode,
            &mut std::io::stdin(),
            &StderrProgress::new(),
        )
        .await
    })?;
    releases::print_release(&outcome.release, &outcome.report, outcome.dry_run)
}
