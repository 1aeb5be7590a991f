use ketch::error::Result;
use ketch::pull::{PullRequest, pull};

use crate::cli::PullArgs;

pub fn run(args: &PullArgs) -> Result<()> {
    let request = PullRequest {
        reference: args.reference.clone(),
        version: args.version.clone(),
        devel: args.devel,
        destination: args.destination.clone(),
        untar: args.untar.then(|| args.untardir.clone()),
        verify_digest: args.verify_digest.clone(),
        settings: None,
        registry: (&args.registry).into(),
    };
    let pulled = super::runtime()?.block_on(pull(&request))?;
    if args.untar {
        println!(
            "Pulled {} {} to {}",
            pulled.name,
            pulled.version,
            pulled.path.display()
        );
    } else {
        println!("Saved {}", pulled.path.display());
    }
    println!("Digest: sha256:{}", pulled.sha256);
    Ok(())
}
