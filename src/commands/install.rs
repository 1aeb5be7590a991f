use ketch::action::{install, upgrade::ChartRequest};
use ketch::error::Result;

use super::releases::{self, StderrProgress};
use crate::cli::InstallArgs;

pub fn run(args: &InstallArgs) -> Result<()> {
    if args.dependency_update {
        super::dependency::update_first(&args.chart)?;
    }
    let request = ChartRequest {
        name: args.release.clone(),
        namespace: args.kube.namespace.clone(),
        chart: args.chart.clone(),
        values: (&args.values).into(),
        create_namespace: args.create_namespace,
        reuse_values: false,
        reset_values: false,
        settings: releases::settings(&args.deploy),
        connect: releases::connect(&args.kube),
    };
    let outcome = super::runtime()?.block_on(async {
        install::run(&request, &mut std::io::stdin(), &StderrProgress::new()).await
    })?;
    releases::print_release(&outcome.release, &outcome.report, outcome.dry_run)
}
