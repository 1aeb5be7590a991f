//! The `ketch` binary: parse, run one command, map errors to exit codes.

mod cli;
mod commands;

use std::io::IsTerminal;

use clap::Parser;

use cli::{Cli, Command};

fn main() {
    let code = run();
    exit(code)
}

/// Ends the process once what it printed is flushed, without running exit
/// handlers: mimalloc's hands every heap page back to the kernel one at a time
/// (a tenth of a millisecond and more), work the kernel does at once when the
/// process ends, and no other handler holds anything to write.
fn exit(code: u8) -> ! {
    use std::io::Write;
    // Nothing can be reported about a failed flush at this point.
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: _exit ends the process; no Rust code runs after it.
    unsafe { libc::_exit(code.into()) }
}

/// Runs the command line's command; the process's exit code.
fn run() -> u8 {
    // ketch's own warnings are shown unless KETCH_LOG sets other directives
    // (`KETCH_LOG=debug`, `KETCH_LOG=error`, `KETCH_LOG=kube=debug`).
    let filter = std::env::var("KETCH_LOG").unwrap_or_else(|_| "ketch=warn".into());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .without_time()
        .with_target(false)
        .init();
    // kube, reqwest and oci-client all use rustls; with aws-lc-rs installed as
    // the process default none of them has to pick a crypto provider itself.
    rustls::crypto::aws_lc_rs::default_provider()
        .install_default()
        .ok();
    // A template that exhausts the stack ends with an error naming it, not a crash.
    ketch::engine::guard::install_stack_guard();
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Template(args) => commands::template::run(args),
        Command::Lint(args) => commands::lint::run(args),
        Command::Create(args) => commands::create::run(args),
        Command::Show(command) => commands::show::run(command),
        Command::Version(args) => {
            commands::version::run(args);
            Ok(())
        }
        Command::Completion(args) => {
            commands::completion::run(args);
            Ok(())
        }
        Command::Package(args) => commands::package::run(args),
        Command::Dependency(command) => commands::dependency::run(command),
        Command::Repo(command) => commands::repo::run(command),
        Command::Search(command) => commands::search::run(command),
        Command::Pull(args) => commands::pull::run(args),
        Command::Push(args) => commands::push::run(args),
        Command::Registry(command) => commands::registry::run(command),
        Command::Serve(args) => commands::serve::run(args),
        Command::Install(args) => commands::install::run(args),
        Command::Upgrade(args) => commands::upgrade::run(args),
        Command::Rollback(args) => commands::rollback::run(args),
        Command::Uninstall(args) => commands::uninstall::run(args),
        Command::History(args) => commands::history::run(args),
        Command::Status(args) => commands::status::run(args),
        Command::List(args) => commands::list::run(args),
        Command::Get(command) => commands::get::run(command),
        Command::Adopt(args) => commands::adopt::run(args),
        Command::Release(command) => commands::adopt::export(command),
        Command::Convert(args) => commands::convert::run(args),
        // Exit code 2: `diff --detailed-exitcode` found changes.
        Command::Diff(args) => match commands::diff::run(args) {
            Ok(true) => return 2,
            Ok(false) => Ok(()),
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("Error: {err}");
            1
        }
    }
}

// mimalloc: a render allocates and frees millions of small values; glibc's
// malloc and free were a fifth of a render's instructions. The guard stops a
// runaway template with an error before an allocation fails (an abort).
#[global_allocator]
static ALLOCATOR: ketch::engine::guard::GuardedAlloc<mimalloc::MiMalloc> =
    ketch::engine::guard::GuardedAlloc(mimalloc::MiMalloc);
