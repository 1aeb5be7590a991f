//! Command-line definitions (clap derive) only; each command's doc comment is its help.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod registry;
mod release;
mod repository;
mod tls;
pub use registry::*;
pub use release::*;
pub use repository::*;
pub use tls::*;

#[derive(Debug, Parser)]
#[command(
    name = "ketch",
    version,
    about = "A Kubernetes packaging engine: Jinja-templated, Helm-compatible charts"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Deferred: a command's arguments are defined only when it runs (building
// every command's flags and help was a seventh of a small render's time).
// Each command's help is its variant's doc comment; the argument groups
// flattened into commands carry plain comments, as a doc comment there would
// become the help of every command that flattens them.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Render a chart's templates to Kubernetes YAML, with no cluster
    Template(TemplateArgs),
    /// Check a chart: metadata, values schema, templates, Kubernetes schemas and best practices
    Lint(LintArgs),
    /// Create a new chart that lints clean
    Create(CreateArgs),
    /// Show a chart's information
    #[command(subcommand)]
    Show(ShowCommand),
    /// Print ketch's version
    Version(VersionArgs),
    /// Print a shell completion script
    Completion(CompletionArgs),
    /// Package a chart directory into a reproducible NAME-VERSION.tgz
    ///
    /// The chart is linted first (any error stops packaging) and `.ketchignore` is
    /// honoured. Entries are sorted, owned by uid/gid 0, modes 0644/0755, stamped
    /// with `SOURCE_DATE_EPOCH` (or 0): the same chart always gives the same bytes.
    Package(PackageArgs),
    /// Manage a chart's dependencies: resolve and lock them, install what the lock pins, list them
    #[command(subcommand, alias = "dep")]
    Dependency(DependencyCommand),
    /// Chart repositories: add, list, update, remove, index
    #[command(subcommand)]
    Repo(RepoCommand),
    /// Search for charts
    #[command(subcommand)]
    Search(SearchCommand),
    /// Download a chart: `repo/chart`, `https://.../chart.tgz` or `oci://registry/repo/chart`
    ///
    /// The archive is checked (digest from the index, safe loading) before it is
    /// saved; nothing is left behind when a check fails.
    Pull(PullArgs),
    /// Upload a chart archive to an OCI registry or a chart repository server
    ///
    /// `oci://HOST[:PORT]/PATH`: the chart is pushed to PATH/NAME:VERSION, as `helm push` does,
    /// with the credentials from `ketch registry login` or ~/.docker/config.json.
    /// `http(s)://...`: the archive is uploaded to a `ketch serve` or ChartMuseum server
    /// (`POST /api/charts`).
    Push(PushArgs),
    /// Log in to or out of OCI registries
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// Serve a chart repository: index.yaml and archives over HTTP, uploads with a token
    ///
    /// Helm and ketch use it as a repository (`repo add NAME http://ADDR`); `ketch push` and
    /// ChartMuseum clients upload with `POST /api/charts` and delete with
    /// `DELETE /api/charts/NAME/VERSION`. Published versions are immutable unless
    /// --allow-overwrite. The index is rebuilt from the archives on every start.
    Serve(ServeArgs),
    /// Install a chart as a new release
    Install(InstallArgs),
    /// Upgrade a release to a new chart or new values
    Upgrade(UpgradeArgs),
    /// Roll a release back to an earlier revision (default: the previous one)
    Rollback(RollbackArgs),
    /// Uninstall a release: delete its objects and its history
    Uninstall(UninstallArgs),
    /// Show a release's revisions
    History(HistoryArgs),
    /// Show a release's status
    Status(StatusArgs),
    /// List releases
    List(ListArgs),
    /// Show parts of a stored release
    #[command(subcommand)]
    Get(GetCommand),
    /// Show what an upgrade would change in the cluster (server-side dry run)
    Diff(DiffArgs),
    /// Take over a release Helm installed, keeping its objects and its history
    ///
    /// Helm's last deployed revision N is applied as ketch's revision N+1: no object is
    /// deleted or recreated, ownership (labels, annotations, managed fields) moves from
    /// Helm to ketch, Helm's revisions stay readable in `history` and `rollback` can
    /// return to them. `ketch release export --to helm` hands the release back.
    Adopt(AdoptArgs),
    /// Operations on a release's records
    #[command(subcommand)]
    Release(ReleaseCommand),
    /// Rewrite a Helm (Go template) chart as a ketch Jinja chart, and check the result
    ///
    /// The root chart's templates are translated (defines become macros of
    /// templates/_converted.j2; subcharts stay Helm charts); what has no exact translation is
    /// written as `untranslated("...")` and listed. Then the original and the converted chart
    /// are rendered with the default values and each ci/*-values.yaml and their objects compared
    /// per template file. Exit code 1 when a construct was left untranslated or a file differs.
    Convert(ConvertArgs),
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// A Helm chart directory
    pub chart: PathBuf,
    /// Where to write the converted chart (a new or empty directory)
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: PathBuf,
}

// The values flags shared by every command that renders.
#[derive(Debug, Clone, Args, Default)]
pub struct ValuesArgs {
    /// Values file (YAML), `-` for standard input; repeat for several, later ones win
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<String>,
    /// Set values: `a.b=c,list[0]=x,tags={a,b}` (typed: numbers, booleans, null)
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Set values, keeping every value a string
    #[arg(long = "set-string", value_name = "KEY=VALUE")]
    pub set_string: Vec<String>,
    /// Set a value to the contents of a file: `key=path`
    #[arg(long = "set-file", value_name = "KEY=PATH")]
    pub set_file: Vec<String>,
    /// Set JSON values: `key={"a":1}` or a whole JSON object
    #[arg(long = "set-json", value_name = "KEY=JSON")]
    pub set_json: Vec<String>,
    /// Set a value verbatim, commas and all: `key=a,b`
    #[arg(long = "set-literal", value_name = "KEY=VALUE")]
    pub set_literal: Vec<String>,
}

// Where a chart given by reference comes from (Helm's chart-path flags), shared by every
// command that takes a chart.
#[derive(Debug, Clone, Args, Default)]
pub struct ChartSourceArgs {
    /// Version constraint of a chart from a repository or registry (default: the newest stable)
    #[arg(long, value_name = "CONSTRAINT")]
    pub version: Option<String>,
    /// Allow prereleases when no --version is given
    #[arg(long)]
    pub devel: bool,
    /// Repository URL to take CHART (a chart's name) from, without `ketch repo add`
    #[arg(long = "repo", value_name = "URL")]
    pub repo: Option<String>,
    /// Username for --repo
    #[arg(long, requires = "repo", requires = "password")]
    pub username: Option<String>,
    /// Password for --repo
    #[arg(long, requires = "username")]
    pub password: Option<String>,
    /// Require a digest to check: the index's, or the `sha256:HEX` given here
    #[arg(
        long = "verify-digest",
        value_name = "sha256:HEX",
        num_args = 0..=1,
        default_missing_value = ""
    )]
    pub verify_digest: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// Release name (default `release-name`), then the chart
    #[arg(value_name = "[RELEASE] CHART", num_args = 1..=2, required = true)]
    pub positional: Vec<String>,
    #[command(flatten)]
    pub source: ChartSourceArgs,
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Namespace of the release
    #[arg(short = 'n', long, default_value = "default")]
    pub namespace: String,
    /// Only print objects from these templates (`templates/deployment.yaml`)
    #[arg(short = 's', long = "show-only", value_name = "TEMPLATE")]
    pub show_only: Vec<String>,
    /// Write each template's objects to a file under this directory instead of stdout
    #[arg(long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Kubernetes version templates see in `capabilities.kube_version`
    #[arg(long = "kube-version", value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// Extra API versions for `capabilities.has(...)` (`monitoring.coreos.com/v1/ServiceMonitor`)
    #[arg(
        short = 'a',
        long = "api-versions",
        value_name = "GROUP/VERSION[/KIND]",
        value_delimiter = ','
    )]
    pub api_versions: Vec<String>,
    /// Also print the CRDs from the charts' `crds/` folders
    #[arg(long = "include-crds")]
    pub include_crds: bool,
    /// Leave out Helm test hooks (`helm.sh/hook: test`) of Helm charts
    #[arg(long = "skip-tests")]
    pub skip_tests: bool,
    /// Check every object against the bundled Kubernetes JSON Schemas (offline)
    #[arg(long)]
    pub validate: bool,
    /// Run `ketch dep update` on the chart first
    #[arg(long = "dependency-update")]
    pub dependency_update: bool,
}

#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum LintFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Chart directories or archives, or references (REPO/CHART, oci://..., a URL)
    #[arg(value_name = "CHART", required = true)]
    pub charts: Vec<String>,
    #[command(flatten)]
    pub source: ChartSourceArgs,
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Fail on warnings too
    #[arg(long)]
    pub strict: bool,
    /// Output format
    #[arg(short = 'o', long = "output", value_enum, default_value_t = LintFormat::Text)]
    pub output: LintFormat,
    /// Kubernetes version to check against
    #[arg(long = "kube-version", value_name = "VERSION")]
    pub kube_version: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum Starter {
    /// A web service: Deployment, Service, optional Ingress
    #[default]
    Basic,
    /// A model server (the shipped charts/model-server): variants, probes, HPA, PDB, Ingress
    ModelServer,
    /// Training (the shipped charts/trainer): CronJob and Job with GPUs, PVC, hyperparameters
    Trainer,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Name of the chart; also the directory created
    pub name: PathBuf,
    /// What the chart starts as
    #[arg(short = 'p', long, value_enum, default_value_t = Starter::Basic)]
    pub starter: Starter,
}

#[derive(Debug, Subcommand)]
pub enum ShowCommand {
    /// Chart.yaml
    Chart(ShowArgs),
    /// values.yaml as written
    Values(ShowArgs),
    /// README.md
    Readme(ShowArgs),
    /// values.schema.json
    Schema(ShowArgs),
    /// All of the above
    All(ShowArgs),
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Chart directory or archive, or a reference (REPO/CHART, oci://..., a URL)
    pub chart: String,
    #[command(flatten)]
    pub source: ChartSourceArgs,
}

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Only the version number
    #[arg(long)]
    pub short: bool,
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    pub shell: clap_complete::Shell,
}
