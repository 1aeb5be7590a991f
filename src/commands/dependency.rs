use std::path::Path;

use ketch::deps::{self, DepOptions, Report};
use ketch::error::{Error, Result};
use ketch::repo::RepoSettings;

use crate::cli::{
    DependencyBuildArgs, DependencyCommand, DependencyFetchArgs, DependencyUpdateArgs, OutputFormat,
};

pub fn run(command: &DependencyCommand) -> Result<()> {
    match command {
        DependencyCommand::Update(DependencyUpdateArgs { fetch }) => {
            let report =
                super::runtime()?.block_on(deps::update(&fetch.chart, &options(fetch)?))?;
            print_report(&fetch.chart, &report);
        }
        DependencyCommand::Build(DependencyBuildArgs { fetch }) => {
            let report = super::runtime()?.block_on(deps::build(&fetch.chart, &options(fetch)?))?;
            print_report(&fetch.chart, &report);
        }
        DependencyCommand::List(args) => {
            let statuses = deps::list(&args.chart)?;
            match args.output {
                OutputFormat::Table => {
                    let rows: Vec<Vec<String>> = statuses
                        .iter()
                        .map(|s| {
                            vec![
                                s.name.clone(),
                                s.version.clone(),
                                s.repository.clone(),
                                s.locked.clone().unwrap_or_else(|| "-".into()),
                                s.status.as_str().to_string(),
                            ]
                        })
                        .collect();
                    print!(
                        "{}",
                        super::output::table(
                            &["NAME", "VERSION", "REPOSITORY", "LOCKED", "STATUS"],
                            &rows
                        )
                    );
                }
                OutputFormat::Json => println!("{}", super::output::json(&statuses)?),
                OutputFormat::Yaml => print!("{}", ketch::yaml::to_string(&statuses)?),
            }
        }
    }
    Ok(())
}

/// `--dependency-update` of template, install, upgrade and package.
pub fn update_first(chart: &Path) -> Result<()> {
    if !chart.is_dir() {
        return Err(Error::Invalid(format!(
            "{}: --dependency-update needs a chart directory (an archive carries its dependencies)",
            chart.display()
        )));
    }
    let options = DepOptions {
        settings: RepoSettings::from_env()?,
        registry: Default::default(),
        refresh: false,
    };
    let report = super::runtime()?.block_on(deps::update(chart, &options))?;
    for dep in &report.installed {
        eprintln!(
            "dependency {} {} ({})",
            dep.name,
            dep.version,
            dep.from.describe()
        );
    }
    Ok(())
}

fn options(args: &DependencyFetchArgs) -> Result<DepOptions> {
    Ok(DepOptions {
        settings: RepoSettings::from_env()?,
        registry: (&args.registry).into(),
        refresh: args.refresh,
    })
}

fn print_report(chart: &Path, report: &Report) {
    if report.installed.is_empty() {
        println!("{}: no dependencies", chart.display());
        return;
    }
    for dep in &report.installed {
        println!(
            "{} {} from {} ({})",
            dep.name,
            dep.version,
            if dep.repository.is_empty() {
                "charts/"
            } else {
                &dep.repository
            },
            dep.from.describe()
        );
    }
    if report.lock_written {
        println!("Wrote {}", chart.join(deps::lock::LOCK_FILE).display());
    }
}
