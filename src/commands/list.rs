use ketch::action::list;
use ketch::error::Result;

use super::releases;
use crate::cli::{ListArgs, ReleaseOutput};

pub fn run(args: &ListArgs) -> Result<()> {
    let connect = releases::connect(&args.kube);
    let namespace = (!args.all_namespaces).then_some(args.kube.namespace.as_str());
    let found = super::runtime()?.block_on(list::run(&connect, namespace, args.all))?;
    if args.output != ReleaseOutput::Table {
        return releases::print_structured(&found, args.output);
    }
    let rows: Vec<Vec<String>> = found.iter().map(releases::summary_row).collect();
    releases::write_stdout(&super::output::table(
        &[
            "NAME",
            "NAMESPACE",
            "REVISION",
            "UPDATED",
            "STATUS",
            "CHART",
            "APP VERSION",
            "RECORDED BY",
        ],
        &rows,
    ))
}
