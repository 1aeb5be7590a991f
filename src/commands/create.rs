use ketch::create::{self, Starter};
use ketch::error::Result;

use crate::cli::{self, CreateArgs};

pub fn run(args: &CreateArgs) -> Result<()> {
    let starter = match args.starter {
        cli::Starter::Basic => Starter::Basic,
        cli::Starter::ModelServer => Starter::ModelServer,
        cli::Starter::Trainer => Starter::Trainer,
    };
    let path = create::create(&args.name, starter)?;
    println!("Creating {}", path.display());
    println!(
        "Its templates are Jinja: Chart.yaml's annotation `ketch.dev/engine: minijinja` chooses the engine \
         (a chart without it is a Helm chart, rendered with Go templates as `helm template` renders it)."
    );
    Ok(())
}
