use crate::cli::VersionArgs;

pub fn run(args: &VersionArgs) {
    let version = env!("CARGO_PKG_VERSION");
    if args.short {
        println!("v{version}");
    } else {
        println!(
            "ketch v{version} (template engines: minijinja, Go templates as Helm v4; default Kubernetes: {})",
            ketch::engine::capabilities::DEFAULT_KUBE_VERSION
        );
    }
}
