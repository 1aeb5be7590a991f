use ketch::error::{Error, Result};
use ketch::repo::search::{SearchRequest, search};
use ketch::repo::{RepoError, RepoSettings};

use crate::cli::{OutputFormat, SearchCommand};

/// Descriptions are cut to this width in the table, as Helm's `--max-col-width` default.
const MAX_COLUMN: usize = 50;

pub fn run(command: &SearchCommand) -> Result<()> {
    let SearchCommand::Repo(args) = command;
    let settings = RepoSettings::from_env()?;
    let file = settings.repositories()?;
    if file.repositories.is_empty() {
        return Err(RepoError::NoRepositories.into());
    }
    let cache = settings.cache();
    let mut indexes = Vec::new();
    for repo in &file.repositories {
        match cache.load(&repo.name) {
            Ok(index) => indexes.push((repo.name.clone(), index)),
            Err(err) => eprintln!("WARNING: {err}"),
        }
    }
    let request = SearchRequest {
        keyword: (!args.keyword.is_empty()).then(|| args.keyword.join(" ")),
        all_versions: args.versions,
        version: args.version.clone(),
        devel: args.devel,
    };
    let hits = search(&indexes, &request).map_err(|e| Error::Invalid(format!("--version: {e}")))?;
    match args.output {
        OutputFormat::Table if hits.is_empty() => println!("No results found"),
        OutputFormat::Table => {
            let rows: Vec<Vec<String>> = hits
                .iter()
                .map(|h| {
                    vec![
                        h.name.clone(),
                        h.version.clone(),
                        h.app_version.clone(),
                        super::output::cut(&h.description, MAX_COLUMN),
                    ]
                })
                .collect();
            print!(
                "{}",
                super::output::table(
                    &["NAME", "CHART VERSION", "APP VERSION", "DESCRIPTION"],
                    &rows
                )
            );
        }
        OutputFormat::Json => println!("{}", super::output::json(&hits)?),
        OutputFormat::Yaml => print!("{}", ketch::yaml::to_string(&hits)?),
    }
    Ok(())
}
