use ketch::error::Result;
use ketch::serve::{self, ServeOptions};

use crate::cli::ServeArgs;

pub fn run(args: &ServeArgs) -> Result<()> {
    let token = args
        .token_file
        .as_deref()
        .map(serve::read_token_file)
        .transpose()?;
    if token.is_none() && !args.addr.ip().is_loopback() {
        eprintln!(
            "warning: no --token-file: anyone who can reach {} can upload and delete charts",
            args.addr
        );
    }
    let options = ServeOptions {
        storage: args.storage.clone(),
        addr: args.addr,
        token,
        allow_overwrite: args.allow_overwrite,
    };
    super::runtime()?.block_on(serve::serve(options, |addr, store, report| {
        for (file, reason) in &report.rejected {
            eprintln!(
                "warning: {file} is not a valid chart archive, moved to {}: {reason}",
                store.dir().join(serve::store::REJECTED_DIR).display()
            );
        }
        if report.removed_temp_files > 0 {
            eprintln!(
                "removed {} unfinished upload(s) left by an interrupted run",
                report.removed_temp_files
            );
        }
        // Tests and scripts read the address from this line: keep its shape.
        eprintln!(
            "ketch serve: {} chart version(s) in {}; listening on http://{addr}",
            report.charts,
            store.dir().display()
        );
    }))?;
    Ok(())
}
