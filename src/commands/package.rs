use ketch::error::Result;
use ketch::package::{PackageRequest, mtime_from_env, package};

use crate::cli::PackageArgs;

pub fn run(args: &PackageArgs) -> Result<()> {
    let capabilities = super::offline_capabilities(None, &[])?;
    let mtime = mtime_from_env()?;
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
        })?;
        println!(
            "Successfully packaged chart and saved it to: {}",
            written.path.display()
        );
        println!("sha256: {}", written.sha256);
    }
    Ok(())
}
