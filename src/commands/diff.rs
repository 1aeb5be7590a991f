use ketch::action::deploy::Settings;
use ketch::action::diff::{self, Change};
use ketch::action::upgrade::ChartRequest;
use ketch::error::Result;
use ketch::values::ValueOptions;

use super::releases;
use crate::cli::DiffArgs;

/// Prints the diffs; `Ok(true)` when something would change.
pub fn run(args: &DiffArgs) -> Result<bool> {
    let values: ValueOptions = (&args.values).into();
    let located = super::locate_chart(&args.chart, &args.source)?;
    let request = ChartRequest {
        name: args.release.clone(),
        namespace: args.kube.namespace.clone(),
        chart: located.path,
        source: located.source,
        values: values.clone(),
        create_namespace: false,
        reuse_values: args.reuse_values,
        reset_values: args.reset_values,
        settings: Settings {
            force_conflicts: args.force_conflicts,
            ..Settings::default()
        },
        connect: releases::connect(&args.kube),
    };
    let user = values.merge_values(&mut std::io::stdin())?;
    let diffs = super::runtime()?.block_on(diff::run(&request, &user))?;
    let mut out = String::new();
    for d in &diffs {
        let what = match d.change {
            Change::Added => "added",
            Change::Changed => "changed",
            Change::Removed => "removed",
        };
        out.push_str(&format!("{} ({what})\n", d.object));
        out.push_str(&d.text);
    }
    if diffs.is_empty() {
        eprintln!("no changes");
    }
    releases::write_stdout(&out)?;
    Ok(args.detailed_exitcode && !diffs.is_empty())
}
