//! Arguments of the release commands: install, upgrade, rollback, uninstall,
//! history, status, list, get, diff.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};

use super::{ChartSourceArgs, ValuesArgs};

// Where the cluster is and who ketch is there (Helm's global flags, its
// HELM_* variables as KETCH_*).
#[derive(Debug, Clone, Args)]
pub struct KubeArgs {
    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use (default: its current context)
    #[arg(
        long = "kube-context",
        env = "KETCH_KUBECONTEXT",
        value_name = "CONTEXT"
    )]
    pub kube_context: Option<String>,
    /// Bearer token for the API server, in place of the kubeconfig user's credentials
    #[arg(
        long = "kube-token",
        env = "KETCH_KUBETOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub kube_token: Option<String>,
    /// User to impersonate for the operation
    #[arg(long = "kube-as-user", env = "KETCH_KUBEASUSER", value_name = "USER")]
    pub kube_as_user: Option<String>,
    /// Group to impersonate for the operation (repeatable; KETCH_KUBEASGROUPS is comma-separated)
    #[arg(
        long = "kube-as-group",
        env = "KETCH_KUBEASGROUPS",
        value_name = "GROUP",
        value_delimiter = ','
    )]
    pub kube_as_group: Vec<String>,
    /// API server address (`https://HOST:PORT`), in place of the kubeconfig's; needs no kubeconfig
    #[arg(
        long = "kube-apiserver",
        env = "KETCH_KUBEAPISERVER",
        value_name = "URL"
    )]
    pub kube_apiserver: Option<String>,
    /// Certificate authority file (PEM) for the API server's certificate
    #[arg(long = "kube-ca-file", env = "KETCH_KUBECAFILE", value_name = "FILE")]
    pub kube_ca_file: Option<PathBuf>,
    /// Do not check the API server's certificate (insecure)
    #[arg(
        long = "kube-insecure-skip-tls-verify",
        env = "KETCH_KUBEINSECURE_SKIP_TLS_VERIFY"
    )]
    pub kube_insecure_skip_tls_verify: bool,
    /// Server name to check the API server's certificate against (default: the host contacted)
    #[arg(
        long = "kube-tls-server-name",
        env = "KETCH_KUBETLS_SERVER_NAME",
        value_name = "NAME"
    )]
    pub kube_tls_server_name: Option<String>,
    /// Limit requests to the API server to QPS a second past the burst (default: no limit; 0: client-go's 5)
    #[arg(long, env = "KETCH_QPS", value_name = "QPS", value_parser = parse_qps, allow_negative_numbers = true)]
    pub qps: Option<f32>,
    /// Requests the API server gets at once before --qps applies (0: client-go's 10)
    #[arg(long = "burst-limit", env = "KETCH_BURST_LIMIT", value_name = "N", default_value_t = 100, value_parser = parse_burst, allow_negative_numbers = true)]
    pub burst_limit: u32,
    /// Namespace of the release
    #[arg(short = 'n', long, env = "KETCH_NAMESPACE", default_value = "default")]
    pub namespace: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DryRunArg {
    /// Render only; contact the cluster at most to read the release
    Client,
    /// Send every object as a server-side dry-run apply; persist nothing
    Server,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ApplyMethodArg {
    /// Server-side apply, field manager `ketch`
    #[default]
    Ssa,
    /// Client-side three-way merge (strategic merge patch, JSON merge patch for custom resources)
    Client,
}

// Flags of the operations that change a release.
#[derive(Debug, Clone, Args)]
pub struct DeployArgs {
    /// Wait until every object is ready (rolled out, complete, bound, established)
    #[arg(long)]
    pub wait: bool,
    /// Time to wait for readiness and hooks (`300`, `90s`, `5m`, `1h`)
    #[arg(long, value_parser = parse_duration, default_value = "5m")]
    pub timeout: Duration,
    /// On failure, roll back (or uninstall a first install); implies --wait
    #[arg(long)]
    pub atomic: bool,
    /// Simulate: `client` renders only, `server` (also) validates every object with a server-side dry run
    #[arg(long = "dry-run", value_enum, num_args = 0..=1, require_equals = true, default_missing_value = "client")]
    pub dry_run: Option<DryRunArg>,
    /// How objects are applied
    #[arg(long = "apply-method", value_enum, default_value_t = ApplyMethodArg::Ssa)]
    pub apply_method: ApplyMethodArg,
    /// Take over fields other server-side appliers own
    #[arg(long = "force-conflicts")]
    pub force_conflicts: bool,
    /// Adopt existing objects that no release, or another release, owns
    #[arg(long = "take-ownership")]
    pub take_ownership: bool,
    /// Revisions kept per release (0: all)
    #[arg(long = "history-max", default_value_t = 10)]
    pub history_max: usize,
    /// Lifetime of the release's lock without renewal: a killed client's lock expires after it
    #[arg(long = "lock-duration", env = "KETCH_LOCK_DURATION", value_parser = parse_duration, default_value = "60s")]
    pub lock_duration: Duration,
    /// Description recorded with the revision
    #[arg(long)]
    pub description: Option<String>,
}

// What install and upgrade share: the release, the chart, its values, the cluster and how to deploy
#[derive(Debug, Args)]
pub struct ReleaseChartArgs {
    /// Release name
    pub release: String,
    /// Chart directory or .tgz archive, or a reference (REPO/CHART, oci://..., a URL)
    pub chart: String,
    #[command(flatten)]
    pub source: ChartSourceArgs,
    #[command(flatten)]
    pub values: ValuesArgs,
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Run `ketch dep update` on the chart first
    #[arg(long = "dependency-update")]
    pub dependency_update: bool,
    #[command(flatten)]
    pub deploy: DeployArgs,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    #[command(flatten)]
    pub chart: ReleaseChartArgs,
    /// Create the release namespace if it does not exist
    #[arg(long = "create-namespace")]
    pub create_namespace: bool,
}

#[derive(Debug, Args)]
pub struct UpgradeArgs {
    #[command(flatten)]
    pub chart: ReleaseChartArgs,
    /// Install the release if it does not exist
    #[arg(short = 'i', long)]
    pub install: bool,
    /// With --install: create the release namespace if it does not exist
    #[arg(long = "create-namespace")]
    pub create_namespace: bool,
    /// Merge the new values over the last release's values
    #[arg(long = "reuse-values", conflicts_with = "reset_values")]
    pub reuse_values: bool,
    /// Start from the chart's defaults, forgetting the last release's values
    #[arg(long = "reset-values")]
    pub reset_values: bool,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Release name
    pub release: String,
    /// Revision to go back to
    pub revision: Option<u64>,
    #[command(flatten)]
    pub kube: KubeArgs,
    #[command(flatten)]
    pub deploy: DeployArgs,
}

#[derive(Debug, Args)]
pub struct AdoptArgs {
    /// Release name (a release Helm installed)
    pub release: String,
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Adopt even if objects were changed or deleted by hand since Helm applied them
    /// (the new revision sets them back to Helm's manifest)
    #[arg(long = "allow-drift")]
    pub allow_drift: bool,
    /// Take over fields other server-side appliers own
    #[arg(long = "force-conflicts")]
    pub force_conflicts: bool,
    /// Wait until every object is ready
    #[arg(long)]
    pub wait: bool,
    /// Time to wait for readiness
    #[arg(long, value_parser = parse_duration, default_value = "5m")]
    pub timeout: Duration,
    /// Revisions kept per release, Helm's included (0: all)
    #[arg(long = "history-max", default_value_t = 10)]
    pub history_max: usize,
    /// Lifetime of the release's lock without renewal
    #[arg(long = "lock-duration", env = "KETCH_LOCK_DURATION", value_parser = parse_duration, default_value = "60s")]
    pub lock_duration: Duration,
}

#[derive(Debug, Subcommand)]
pub enum ReleaseCommand {
    /// Hand a release back to another tool: `--to helm` writes Helm's record of its
    /// current revision, so that `helm upgrade` continues from it
    Export(ExportArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportTarget {
    /// A `sh.helm.release.v1` Secret, as Helm 3 and 4 store releases
    Helm,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Release name
    pub release: String,
    #[command(flatten)]
    pub kube: KubeArgs,
    /// The tool to hand the release to
    #[arg(long, value_enum)]
    pub to: ExportTarget,
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Release name
    pub release: String,
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Keep the history, marking the release uninstalled
    #[arg(long = "keep-history")]
    pub keep_history: bool,
    /// Do not run pre-delete and post-delete hooks
    #[arg(long = "no-hooks")]
    pub no_hooks: bool,
    /// Wait until the deleted objects are gone
    #[arg(long)]
    pub wait: bool,
    /// Time to wait for deletion and hooks
    #[arg(long, value_parser = parse_duration, default_value = "5m")]
    pub timeout: Duration,
    /// Lifetime of the release's lock without renewal
    #[arg(long = "lock-duration", env = "KETCH_LOCK_DURATION", value_parser = parse_duration, default_value = "60s")]
    pub lock_duration: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReleaseOutput {
    #[default]
    Table,
    Json,
    Yaml,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Release name
    pub release: String,
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Show at most this many revisions (the newest)
    #[arg(long)]
    pub max: Option<usize>,
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ReleaseOutput::Table)]
    pub output: ReleaseOutput,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Release name
    pub release: String,
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Revision (default: the latest)
    #[arg(long)]
    pub revision: Option<u64>,
    /// Also list the revision's objects with their live readiness (as --wait judges it)
    #[arg(long)]
    pub show_resources: bool,
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ReleaseOutput::Table)]
    pub output: ReleaseOutput,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Releases of every namespace
    #[arg(short = 'A', long = "all-namespaces")]
    pub all_namespaces: bool,
    /// Also uninstalled releases (kept with --keep-history)
    #[arg(short = 'a', long)]
    pub all: bool,
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ReleaseOutput::Table)]
    pub output: ReleaseOutput,
}

#[derive(Debug, Subcommand)]
pub enum GetCommand {
    /// The values the user supplied (`--all`: the merged values)
    Values(GetValuesArgs),
    /// The rendered manifest
    Manifest(GetArgs),
    /// The rendered NOTES.txt
    Notes(GetArgs),
    /// The hooks
    Hooks(GetArgs),
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// Release name
    pub release: String,
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Revision (default: the latest)
    #[arg(long)]
    pub revision: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ValuesFormat {
    #[default]
    Yaml,
    Json,
}

#[derive(Debug, Args)]
pub struct GetValuesArgs {
    #[command(flatten)]
    pub get: GetArgs,
    /// All values: the chart's defaults merged with the user's
    #[arg(short = 'a', long)]
    pub all: bool,
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ValuesFormat::Yaml)]
    pub output: ValuesFormat,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Release name
    pub release: String,
    /// Chart directory or .tgz archive, or a reference (REPO/CHART, oci://..., a URL)
    pub chart: String,
    #[command(flatten)]
    pub source: ChartSourceArgs,
    #[command(flatten)]
    pub values: ValuesArgs,
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Merge the new values over the last release's values
    #[arg(long = "reuse-values", conflicts_with = "reset_values")]
    pub reuse_values: bool,
    /// Start from the chart's defaults, forgetting the last release's values
    #[arg(long = "reset-values")]
    pub reset_values: bool,
    /// Exit with 2 when there are changes (0 without, 1 on error)
    #[arg(long = "detailed-exitcode")]
    pub detailed_exitcode: bool,
    /// Dry-run as if taking over fields other appliers own
    #[arg(long = "force-conflicts")]
    pub force_conflicts: bool,
}

/// `300` (seconds), `90s`, `5m`, `1h30m`, `1500ms`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut total = Duration::ZERO;
    let mut number = String::new();
    let mut chars = text.chars().peekable();
    let bad = || format!("{text:?} is not a duration (examples: 300, 90s, 5m, 1h30m)");
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let mut unit = c.to_string();
        if c == 'm' && chars.peek() == Some(&'s') {
            unit.push('s');
            chars.next();
        }
        let value: f64 = number.parse().map_err(|_| bad())?;
        number.clear();
        let seconds = match unit.as_str() {
            "ms" => value / 1000.0,
            "s" => value,
            "m" => value * 60.0,
            "h" => value * 3600.0,
            _ => return Err(bad()),
        };
        total += Duration::from_secs_f64(seconds);
    }
    if !number.is_empty() || text.is_empty() {
        return Err(bad());
    }
    Ok(total)
}

fn parse_qps(text: &str) -> Result<f32, String> {
    match text.trim().parse::<f32>() {
        Ok(qps) if qps.is_finite() => Ok(qps),
        _ => Err(format!(
            "{text:?} is not a number of queries per second (e.g. 5, 20.5; 0 for client-go's default of 5, negative for no limit)"
        )),
    }
}

fn parse_burst(text: &str) -> Result<u32, String> {
    text.trim().parse::<u32>().map_err(|_| {
        format!("{text:?} is not a whole number of requests, 0 or more (0 for client-go's default of 10)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("300"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("5 minutes").is_err());
        assert!(parse_duration("5x").is_err());
    }
}
