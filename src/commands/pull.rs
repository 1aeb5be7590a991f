use ketch::error::Result;
use ketch::pull::{PullRequest, pull};

use crate::cli::PullArgs;

pub fn run(args: &PullArgs) -> Result<()> {
    let request = PullRequest {
        query: super::chart_query(&args.reference, &args.source),
        destination: args.destination.clone(),
        untar: args.untar.then(|| args.untardir.clone()),
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
