use ketch::action::uninstall::UninstallRequest;
use ketch::error::Result;

use super::releases::{self, StderrProgress};
use crate::cli::UninstallArgs;

pub fn run(args: &UninstallArgs) -> Result<()> {
    let request = UninstallRequest {
        name: args.release.clone(),
        namespace: args.kube.namespace.clone(),
        keep_history: args.keep_history,
        no_hooks: args.no_hooks,
        wait: args.wait,
        timeout: args.timeout,
        lock_duration: args.lock_duration,
        connect: releases::connect(&args.kube),
    };
    let removed = super::runtime()?.block_on(request.run(&StderrProgress::new()))?;
    let mut out = format!("release \"{}\" uninstalled\n", args.release);
    if !removed.kept.is_empty() {
        out.push_str("These resources were kept due to the resource policy:\n");
        for kept in &removed.kept {
            out.push_str(&format!("  {kept}\n"));
        }
    }
    releases::write_stdout(&out)
}
