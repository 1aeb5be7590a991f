use ketch::error::Result;
use ketch::package::{PackageRequest, mtime_from_env, package};
use ketch::values::ValueOptions;

use crate::cli::PackageArgs;

pub fn run(args: &PackageArgs) -> Result<()> {
    let capabilities = super::offline_capabilities(None, &[])?;
    let mtime = mtime_from_env()?;
    let options: ValueOptions = (&args.values).into();
    let values = options.merge_values(&mut std::io::stdin().lock())?;
    for chart in &args.charts {
        if args.dependency_update {
            super::dependency::update_first(chart)?;
        }
        let written = package(&PackageRequest {
            chart,
            destination: &args.destination,
            version: args.version.as_deref(),
            app_version: args.app_version.as_deref(),
            mtime,
            capabilities: capabilities.clone(),
            values: values.clone(),
            strict: args.strict,
        })?;
        if !written.warnings.is_empty() {
            tracing::warn!(
                "{}: lint found {} problem(s) with {}; packaged anyway (--strict refuses them):",
                chart.display(),
                written.warnings.len(),
                if values.sources.is_empty() {
                    "the chart's default values (-f and --set lint with others)"
                } else {
                    "the values given"
                }
            );
            for finding in &written.warnings {
                tracing::warn!(
                    "  {}: {} ({})",
                    finding.location,
                    finding.message,
                    finding.rule
                );
            }
        }
        println!(
            "Successfully packaged chart and saved it to: {}",
            written.path.display()
        );
        println!("sha256: {}", written.sha256);
    }
    Ok(())
}
