//! TLS flags, Helm's names; flatten into any command that makes HTTPS requests.

use std::path::PathBuf;

use clap::Args;

// How to verify servers and which client certificate to present.
#[derive(Debug, Clone, Default, Args)]
pub struct TlsArgs {
    /// Trust the CA certificates in this PEM file, besides the system's
    #[arg(long = "ca-file", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Present this client certificate (PEM); needs --key-file
    #[arg(long = "cert-file", value_name = "FILE", requires = "key_file")]
    pub cert_file: Option<PathBuf>,
    /// The client certificate's private key (PEM); needs --cert-file
    #[arg(long = "key-file", value_name = "FILE", requires = "cert_file")]
    pub key_file: Option<PathBuf>,
    /// Skip the check of the server's certificate (insecure: anyone on the way can read and change what is sent)
    #[arg(long = "insecure-skip-tls-verify", alias = "insecure")]
    pub insecure_skip_tls_verify: bool,
}
