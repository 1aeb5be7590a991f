use ketch::action::upgrade::{self, ChartRequest, Mode};
use ketch::error::Result;

use super::releases::{self, StderrProgress};
use crate::cli::UpgradeArgs;

pub fn run(args: &UpgradeArgs) -> Result<()> {
    if args.dependency_update {
        super::dependency::update_first(&args.chart)?;
    }
    let request = ChartRequest {
        name: args.release.clone(),
        namespace: args.kube.namespace.clone(),
        chart: args.chart.clone(),
        values: (&args.values).into(),
        create_namespace: args.create_namespace,
        reuse_values: args.reuse_values,
        reset_values: args.reset_values,
        settings: releases::settings(&args.deploy),
        connect: releases::connect(&args.kube),
    };
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
