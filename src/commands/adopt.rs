use ketch::action::adopt::AdoptRequest;
use ketch::action::deploy::Settings;
use ketch::action::export::{self, ExportRequest};
use ketch::error::Result;

use super::releases::{self, StderrProgress};
use crate::cli::{AdoptArgs, ExportTarget, ReleaseCommand};

pub fn run(args: &AdoptArgs) -> Result<()> {
    let request = AdoptRequest {
        name: args.release.clone(),
        namespace: args.kube.namespace.clone(),
        allow_drift: args.allow_drift,
        settings: Settings {
            wait: args.wait,
            timeout: args.timeout,
            force_conflicts: args.force_conflicts,
            history_max: args.history_max,
            lock_duration: args.lock_duration,
            ..Settings::default()
        },
        connect: releases::connect(&args.kube),
    };
    let (release, report) = super::runtime()?.block_on(request.run(&StderrProgress::new()))?;
    releases::print_release(&release, &report, None)
}

pub fn export(command: &ReleaseCommand) -> Result<()> {
    let ReleaseCommand::Export(args) = command;
    let ExportTarget::Helm = args.to;
    let request = ExportRequest {
        name: args.release.clone(),
        namespace: args.kube.namespace.clone(),
        connect: releases::connect(&args.kube),
    };
    let exported = super::runtime()?.block_on(export::run(&request))?;
    releases::write_stdout(&format!(
        "wrote Helm's record of revision {revision}: {object}\n`helm upgrade {name} CHART -n {ns}` continues from it; the release is Helm's now (`ketch adopt {name} -n {ns}` takes it back)\n",
        revision = exported.revision,
        object = exported.object,
        name = args.release,
        ns = args.kube.namespace,
    ))
}
