//! One file per command: turn parsed arguments into a library call and print.

pub mod adopt;
pub mod completion;
pub mod convert;
pub mod create;
pub mod dependency;
pub mod diff;
pub mod get;
pub mod history;
pub mod install;
pub mod lint;
pub mod list;
pub mod output;
pub mod package;
pub mod pull;
pub mod push;
pub mod registry;
pub mod releases;
pub mod repo;
pub mod rollback;
pub mod search;
pub mod serve;
pub mod show;
pub mod status;
pub mod template;
pub mod uninstall;
pub mod upgrade;
pub mod version;

use ketch::engine::capabilities::OfflineCapabilities;
use ketch::engine::{Capabilities, KubeVersion};
use ketch::error::{Error, Result};
use ketch::pull::{ChartQuery, Located};
use ketch::values::ValueOptions;

use crate::cli::{ChartSourceArgs, ValuesArgs};

impl From<&ValuesArgs> for ValueOptions {
    fn from(args: &ValuesArgs) -> Self {
        ValueOptions {
            value_files: args.values.clone(),
            set: args.set.clone(),
            set_string: args.set_string.clone(),
            set_file: args.set_file.clone(),
            set_json: args.set_json.clone(),
            set_literal: args.set_literal.clone(),
        }
    }
}

/// What `--version`, `--repo`, ... ask of the chart `reference`.
fn chart_query(reference: &str, source: &ChartSourceArgs) -> ChartQuery {
    ChartQuery {
        reference: reference.to_string(),
        version: source.version.clone(),
        devel: source.devel,
        repo_url: source.repo.clone(),
        repo_username: source.username.clone(),
        repo_password: source.password.clone(),
        verify_digest: source.verify_digest.clone(),
        settings: None,
        registry: (&source.registry).into(),
    }
}

/// The chart a command was given: a path, or a reference fetched into the archive cache.
fn locate_chart(chart: &str, source: &ChartSourceArgs) -> Result<Located> {
    Ok(runtime()?.block_on(ketch::pull::locate(&chart_query(chart, source)))?)
}

/// The capabilities an offline render assumes, adjusted by `--kube-version` and `--api-versions`.
fn offline_capabilities(
    kube_version: Option<&str>,
    api_versions: &[String],
) -> Result<Capabilities> {
    let mut capabilities = Capabilities::default();
    if let Some(version) = kube_version {
        capabilities.kube_version = KubeVersion::parse(version)
            .map_err(|e| Error::Invalid(format!("--kube-version: {e}")))?;
    }
    let bundled = ketch::kube_schema::api_versions(&capabilities.kube_version);
    capabilities.offline = Some(OfflineCapabilities {
        kube_version: kube_version.map(str::to_string),
        api_versions: api_versions.to_vec(),
    });
    Ok(capabilities.with_api_versions(bundled.into_iter().chain(api_versions.iter().cloned())))
}

/// A runtime for the commands that talk to a cluster or a repository.
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Invalid(format!("cannot start the async runtime: {e}")))
}
