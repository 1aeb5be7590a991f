use ketch::error::{Error, Result};
use ketch::repo::index::index_directory;
use ketch::repo::{self, AddOutcome, IndexFile, RepoError, RepoSettings, Repository};
use ketch::tls::TlsOptions;

use crate::cli::{OutputFormat, RepoAddArgs, RepoCommand, RepoIndexArgs, RepoListArgs};

pub fn run(command: &RepoCommand) -> Result<()> {
    match command {
        RepoCommand::Add(args) => add(args),
        RepoCommand::Update(args) => update(&args.names),
        RepoCommand::List(args) => list(args),
        RepoCommand::Remove(args) => {
            repo::remove(&RepoSettings::from_env()?, &args.names)?;
            for name in &args.names {
                println!("\"{name}\" has been removed from your repositories");
            }
            Ok(())
        }
        RepoCommand::Index(args) => index(args),
    }
}

fn add(args: &RepoAddArgs) -> Result<()> {
    let settings = RepoSettings::from_env()?;
    let repository = Repository {
        name: args.name.clone(),
        url: args.url.clone(),
        username: args.username.clone(),
        password: args.password.clone(),
        token: args.token.clone(),
        ..Default::default()
    }
    // Stored: the paths must hold from any directory.
    .with_tls(TlsOptions::from(&args.tls).absolute());
    let (outcome, warnings) =
        super::runtime()?.block_on(repo::add(&settings, repository, args.force_update))?;
    warn(&warnings);
    match outcome {
        AddOutcome::Unchanged => println!(
            "\"{}\" already exists with the same configuration, skipping",
            args.name
        ),
        AddOutcome::Added | AddOutcome::Replaced => {
            println!("\"{}\" has been added to your repositories", args.name)
        }
    }
    Ok(())
}

fn update(names: &[String]) -> Result<()> {
    let settings = RepoSettings::from_env()?;
    println!("Hang tight while we grab the latest from your chart repositories...");
    let results = super::runtime()?.block_on(repo::update(&settings, names))?;
    let mut failed = Vec::new();
    for updated in results {
        match updated.result {
            Ok(warnings) => {
                warn(&warnings);
                println!(
                    "...Successfully got an update from the \"{}\" chart repository",
                    updated.name
                );
            }
            Err(err) => {
                eprintln!(
                    "...Unable to get an update from the \"{}\" chart repository: {err}",
                    updated.name
                );
                failed.push(updated.name);
            }
        }
    }
    if !failed.is_empty() {
        return Err(Error::Invalid(format!(
            "failed to update the following repositories: [{}]",
            failed.join(", ")
        )));
    }
    println!("Update Complete.");
    Ok(())
}

fn list(args: &RepoListArgs) -> Result<()> {
    let file = RepoSettings::from_env()?.repositories()?;
    if file.repositories.is_empty() && args.output == OutputFormat::Table {
        return Err(RepoError::NoRepositories.into());
    }
    // Credentials are never printed.
    let rows = || -> Vec<serde_json::Value> {
        file.repositories
            .iter()
            .map(|r| serde_json::json!({"name": r.name, "url": r.url}))
            .collect()
    };
    match args.output {
        OutputFormat::Table => {
            let table: Vec<Vec<String>> = file
                .repositories
                .iter()
                .map(|r| vec![r.name.clone(), r.url.clone()])
                .collect();
            print!("{}", super::output::table(&["NAME", "URL"], &table));
        }
        OutputFormat::Json => println!("{}", super::output::json(&rows())?),
        OutputFormat::Yaml => print!("{}", ketch::yaml::to_string(&rows())?),
    }
    Ok(())
}

fn index(args: &RepoIndexArgs) -> Result<()> {
    let created = ketch::timestamp::rfc3339_nanos(ketch::timestamp::build_time());
    let (mut index, warnings) =
        index_directory(&args.dir, args.url.as_deref(), &created).map_err(RepoError::from)?;
    warn(&warnings);
    // A missing merge file is created, as in Helm.
    if let Some(merge) = args.merge.as_ref().filter(|m| m.exists()) {
        let (older, warnings) = IndexFile::load(merge).map_err(RepoError::from)?;
        warn(&warnings);
        index.merge(older);
    }
    index.generated = Some(created);
    let path = args.dir.join("index.yaml");
    let yaml = index.to_yaml()?;
    ketch::atomic::AtomicFile::write(&path, yaml.as_bytes()).map_err(|e| Error::io(&path, e))?;
    Ok(())
}

fn warn(warnings: &[String]) {
    for w in warnings {
        eprintln!("WARNING: {w}");
    }
}
