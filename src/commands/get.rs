use ketch::action::{get, status};
use ketch::error::{Error, Result};
use ketch::release::Release;

use super::releases;
use crate::cli::{GetArgs, GetCommand, ValuesFormat};

pub fn run(command: &GetCommand) -> Result<()> {
    match command {
        GetCommand::Values(args) => {
            let release = read(&args.get)?;
            let values = get::values(&release, args.all);
            let text = match args.output {
                ValuesFormat::Yaml if values.is_empty() => "{}\n".to_string(),
                ValuesFormat::Yaml => ketch::yaml::to_string(values)?,
                ValuesFormat::Json => {
                    serde_json::to_string_pretty(values)
                        .map_err(|e| Error::Invalid(e.to_string()))?
                        + "\n"
                }
            };
            releases::write_stdout(&text)
        }
        GetCommand::Manifest(args) => releases::write_stdout(&read(args)?.manifest_yaml()?),
        GetCommand::Notes(args) => {
            let release = read(args)?;
            releases::write_stdout(release.notes.as_deref().unwrap_or(""))
        }
        GetCommand::Hooks(args) => releases::write_stdout(&get::hooks_yaml(&read(args)?)?),
    }
}

fn read(args: &GetArgs) -> Result<Release> {
    let connect = releases::connect(&args.kube);
    let (release, _) = super::runtime()?.block_on(status::run(
        &connect,
        &args.kube.namespace,
        &args.release,
        args.revision,
    ))?;
    Ok(release)
}
