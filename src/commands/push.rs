use ketch::error::{Error, Result};
use ketch::registry::{self, RegistryOptions};
use ketch::serve;

use crate::cli::PushArgs;

pub fn run(args: &PushArgs) -> Result<()> {
    let archive = std::fs::read(&args.chart).map_err(|e| Error::io(&args.chart, e))?;
    let runtime = super::runtime()?;
    if args.remote.starts_with("oci://") {
        let options = RegistryOptions::from(&args.registry);
        let pushed = runtime.block_on(registry::push_chart(&archive, &args.remote, &options))?;
        println!("Pushed: {}", pushed.reference);
        println!("Digest: {}", pushed.digest);
    } else if args.remote.starts_with("http://") || args.remote.starts_with("https://") {
        let uploaded = runtime.block_on(serve::upload_chart(
            &archive,
            &args.remote,
            args.token.as_deref(),
            &(&args.registry.tls).into(),
        ))?;
        println!(
            "Pushed: {} {} to {}",
            uploaded.name, uploaded.version, uploaded.endpoint
        );
    } else {
        return Err(Error::Invalid(format!(
            "{}: push to an OCI registry (oci://HOST/PATH) or a chart server (http(s)://HOST)",
            args.remote
        )));
    }
    Ok(())
}
