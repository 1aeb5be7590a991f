use clap::CommandFactory;

use crate::cli::{Cli, CompletionArgs};

pub fn run(args: &CompletionArgs) {
    clap_complete::generate(
        args.shell,
        &mut Cli::command(),
        "ketch",
        &mut std::io::stdout(),
    );
}
