//! Flags of the commands that publish charts: push, registry login/logout, serve.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};

// How to reach OCI registries; flatten into any command that talks to one.
#[derive(Debug, Clone, Default, Args)]
pub struct RegistryArgs {
    /// Talk plain HTTP to the registry (registries on 127.0.0.1/localhost get it unless a TLS flag is given)
    #[arg(long = "plain-http")]
    pub plain_http: bool,
    #[command(flatten)]
    pub tls: super::TlsArgs,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// The chart archive (NAME-VERSION.tgz, from `ketch package`)
    #[arg(value_name = "CHART.tgz")]
    pub chart: PathBuf,
    /// `oci://HOST[:PORT]/PATH`, or the URL of a chart server
    #[arg(value_name = "REMOTE")]
    pub remote: String,
    /// Bearer token for a chart server (`ketch serve --token-file`)
    #[arg(long, env = "KETCH_PUSH_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    Login(RegistryLoginArgs),
    Logout(RegistryLogoutArgs),
}

/// Check credentials against a registry and store them for push and pull
///
/// They are kept in `$KETCH_CONFIG_HOME/registry/config.json` (default
/// ~/.config/ketch), readable by you only.
#[derive(Debug, Args)]
pub struct RegistryLoginArgs {
    /// Registry host, `HOST[:PORT]`
    #[arg(value_name = "HOST")]
    pub host: String,
    /// User name
    #[arg(short = 'u', long)]
    pub username: String,
    /// Read the password (or token) from standard input
    #[arg(long = "password-stdin", conflicts_with = "password")]
    pub password_stdin: bool,
    /// The password (visible in your shell history and `ps`: prefer --password-stdin)
    #[arg(
        short = 'p',
        long,
        env = "KETCH_REGISTRY_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// Forget the stored credentials of a registry
#[derive(Debug, Args)]
pub struct RegistryLogoutArgs {
    /// Registry host, `HOST[:PORT]`
    #[arg(value_name = "HOST")]
    pub host: String,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Directory of the chart archives and index.yaml (created if missing)
    #[arg(long, value_name = "DIR")]
    pub storage: PathBuf,
    /// Address to listen on; port 0 picks a free one
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:8879")]
    pub addr: SocketAddr,
    /// File whose first line is the bearer token uploads and deletes need
    #[arg(long = "token-file", value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Let an upload replace a published version
    #[arg(long = "allow-overwrite")]
    pub allow_overwrite: bool,
}
