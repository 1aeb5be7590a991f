//! Flags of the commands that make, index, find and fetch chart packages.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::ValuesArgs;

#[derive(Debug, Args)]
pub struct PackageArgs {
    /// Chart directories
    #[arg(value_name = "CHART", required = true)]
    pub charts: Vec<PathBuf>,
    /// Directory to write the archive to
    #[arg(
        short = 'd',
        long = "destination",
        value_name = "DIR",
        default_value = "."
    )]
    pub destination: PathBuf,
    /// Set the chart's version in the archive (strict SemVer)
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// Set the chart's appVersion in the archive
    #[arg(long = "app-version", value_name = "VERSION")]
    pub app_version: Option<String>,
    /// Run `ketch dep update` on each chart first
    #[arg(short = 'u', long = "dependency-update")]
    pub dependency_update: bool,
    /// Values lint renders the chart with (render and schema problems are warnings)
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Refuse the chart for any lint error or warning, as `ketch lint --strict`
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Subcommand)]
pub enum RepoCommand {
    Add(RepoAddArgs),
    Update(RepoUpdateArgs),
    List(RepoListArgs),
    #[command(alias = "rm")]
    Remove(RepoRemoveArgs),
    Index(RepoIndexArgs),
}

/// Add a chart repository (its index is fetched and checked first)
#[derive(Debug, Args)]
pub struct RepoAddArgs {
    /// Name to refer to the repository by (`NAME/chart`)
    pub name: String,
    /// URL of the repository (the directory holding index.yaml)
    pub url: String,
    /// Username for HTTP basic authentication
    #[arg(long, requires = "password", conflicts_with = "token")]
    pub username: Option<String>,
    /// Password for HTTP basic authentication
    #[arg(
        long,
        requires = "username",
        env = "KETCH_REPO_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,
    /// Bearer token
    #[arg(long, env = "KETCH_REPO_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Replace a repository of the same name with a different URL, credentials or TLS settings
    #[arg(long = "force-update")]
    pub force_update: bool,
    /// TLS settings, stored with the repository for every later use
    #[command(flatten)]
    pub tls: super::TlsArgs,
}

/// Fetch the latest index of every repository, or of those named
#[derive(Debug, Args)]
pub struct RepoUpdateArgs {
    /// Repositories to update (default: all)
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    #[default]
    Table,
    Json,
    Yaml,
}

/// List the configured repositories
#[derive(Debug, Args)]
pub struct RepoListArgs {
    /// Output format
    #[arg(short = 'o', long = "output", value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

/// Remove repositories and their cached indexes
#[derive(Debug, Args)]
pub struct RepoRemoveArgs {
    #[arg(value_name = "NAME", required = true)]
    pub names: Vec<String>,
}

/// Write index.yaml for the chart archives in a directory
#[derive(Debug, Args)]
pub struct RepoIndexArgs {
    /// Directory holding the .tgz archives (and one level of subdirectories)
    pub dir: PathBuf,
    /// Base URL of the archives (default: relative URLs)
    #[arg(long)]
    pub url: Option<String>,
    /// Merge into this existing index: its entries stay unless a new archive has the same version
    #[arg(long, value_name = "FILE")]
    pub merge: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum SearchCommand {
    Repo(SearchRepoArgs),
}

/// Search the added repositories' indexes (run `ketch repo update` for fresh ones)
///
/// The keyword matches chart names (`repo/chart`), descriptions and keywords,
/// case-insensitively. Only the newest stable version of each chart is shown
/// unless --versions, --devel or --version say otherwise.
#[derive(Debug, Args)]
pub struct SearchRepoArgs {
    /// Words to look for (all of them, as one phrase)
    pub keyword: Vec<String>,
    /// Show every version, not only the newest
    #[arg(short = 'l', long)]
    pub versions: bool,
    /// Only versions matching this constraint (`^1.2`, `>=1.0.0-0 <2`)
    #[arg(long, value_name = "CONSTRAINT")]
    pub version: Option<String>,
    /// Include prereleases (same as --version '>0.0.0-0')
    #[arg(long)]
    pub devel: bool,
    /// Output format
    #[arg(short = 'o', long = "output", value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// `repo/chart`, a URL of a .tgz, or `oci://...`
    #[arg(value_name = "REF")]
    pub reference: String,
    #[command(flatten)]
    pub source: super::ChartSourceArgs,
    /// Directory to save to
    #[arg(
        short = 'd',
        long = "destination",
        value_name = "DIR",
        default_value = "."
    )]
    pub destination: PathBuf,
    /// Extract the chart instead of saving the archive
    #[arg(long)]
    pub untar: bool,
    /// Directory to extract into (relative to --destination)
    #[arg(long, value_name = "DIR", default_value = ".", requires = "untar")]
    pub untardir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum DependencyCommand {
    Update(DependencyUpdateArgs),
    Build(DependencyBuildArgs),
    #[command(alias = "ls")]
    List(DependencyListArgs),
}

/// Resolve Chart.yaml's dependencies to the newest versions their constraints allow, put
/// their archives in charts/ and pin them in Chart.lock
///
/// Repositories: `https://...` (an added repository or any other), `@NAME` or `alias:NAME`
/// (added with `ketch repo add`), `oci://HOST/PATH` (versions from the registry's tags) and
/// `file://PATH` (a chart directory, packaged). Indexes are read from the cache (`repo update`
/// refreshes them, as does --refresh); archives are checked against the index digest and
/// cached, so `dep build` later needs no network. charts/ is left as it was on any error.
#[derive(Debug, Args)]
pub struct DependencyUpdateArgs {
    #[command(flatten)]
    pub fetch: DependencyFetchArgs,
}

/// Install into charts/ exactly the versions and archives Chart.lock pins
///
/// Refuses a lock that no longer matches Chart.yaml and any archive whose sha256 differs from
/// the lock's. Archives come from ketch's cache when there, so a locked chart builds offline.
#[derive(Debug, Args)]
pub struct DependencyBuildArgs {
    #[command(flatten)]
    pub fetch: DependencyFetchArgs,
}

// The chart and how to reach its dependencies' repositories.
#[derive(Debug, Args)]
pub struct DependencyFetchArgs {
    /// Chart directory
    #[arg(value_name = "CHART", default_value = ".")]
    pub chart: PathBuf,
    /// Fetch repository indexes again even when cached
    #[arg(long)]
    pub refresh: bool,
    /// Accepted for Helm compatibility: ketch reads cached indexes unless --refresh is given
    #[arg(long = "skip-refresh", hide = true)]
    pub skip_refresh: bool,
    #[command(flatten)]
    pub registry: super::RegistryArgs,
}

/// List a chart's dependencies: constraint, locked version and status
/// (ok, missing, out of date, digest mismatch)
#[derive(Debug, Args)]
pub struct DependencyListArgs {
    /// Chart directory
    #[arg(value_name = "CHART", default_value = ".")]
    pub chart: PathBuf,
    #[arg(short = 'o', long = "output", value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}
