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
    let rows: Vec<Vec<String>> = revisions
        .iter()
        .map(|s| {
            vec![
                s.revision.to_string(),
                s.info.last_deployed.clone(),
                s.info.status.to_string(),
                s.chart.clone(),
                s.app_version.clone(),
                s.recorded_by.to_string(),
                s.info.description.clone(),
            ]
        })
        .collect();
    releases::write_stdout(&super::output::table(
        &[
            "REVISION",
            "UPDATED",
            "STATUS",
            "CHART",
            "APP VERSION",
            "RECORDED BY",
            "DESCRIPTION",
        ],
        &rows,
    ))
}
