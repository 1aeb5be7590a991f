use ketch::action::history;
use ketch::error::Result;

use super::releases;
use crate::cli::{HistoryArgs, ReleaseOutput};

pub fn run(args: &HistoryArgs) -> Result<()> {
    let connect = releases::connect(&args.kube);
    let revisions = super::runtime()?.block_on(history::run(
        &connect,
        &args.kube.namespace,
        &args.release,
        args.max,
    ))?;
    if args.output != ReleaseOutput::Table {
        return releases::print_structured(&revisions, args.output);
    }
    // SOURCE only when a revision's chart was taken by reference.
    let sourced = revisions.iter().any(|s| s.source.is_some());
    let rows: Vec<Vec<String>> = revisions
        .iter()
        .map(|s| {
            let mut row = vec![
                s.revision.to_string(),
                s.info.last_deployed.clone(),
                s.info.status.to_string(),
                s.chart.clone(),
                s.app_version.clone(),
                s.recorded_by.to_string(),
            ];
            if sourced {
                row.push(s.source.clone().unwrap_or_default());
            }
            row.push(s.info.description.clone());
            row
        })
        .collect();
    let mut header = vec![
        "REVISION",
        "UPDATED",
        "STATUS",
        "CHART",
        "APP VERSION",
        "RECORDED BY",
    ];
    if sourced {
        header.push("SOURCE");
    }
    header.push("DESCRIPTION");
    releases::write_stdout(&super::output::table(&header, &rows))
}
