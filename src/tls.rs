//! TLS for ketch's HTTP and OCI clients, as Helm's `--ca-file`, `--cert-file`, `--key-file` and
//! `--insecure-skip-tls-verify` set it: the system trust store plus any CA given, the client
//! certificate to present, and whether to skip verification. Also explains a failed handshake
//! in terms of the flag or stored setting that fixes it.

use std::error::Error as StdError;
use std::path::{Path, PathBuf};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// How a client verifies servers and which certificate it presents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TlsOptions {
    /// CA certificates (PEM) trusted besides the system's.
    pub ca_file: Option<PathBuf>,
    /// The client certificate (PEM) to present; needs `key_file`.
    pub cert_file: Option<PathBuf>,
    /// The client certificate's private key (PEM: PKCS#8, RSA or EC).
    pub key_file: Option<PathBuf>,
    /// Accept any server certificate (Helm's `--insecure-skip-tls-verify`).
    pub insecure_skip_tls_verify: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{flag} {path}: cannot read it: {error}")]
    Read {
        flag: &'static str,
        path: String,
        error: std::io::Error,
    },
    #[error("{flag} {path}: {problem}")]
    Pem {
        flag: &'static str,
        path: String,
        problem: String,
    },
    #[error("--cert-file and --key-file go together; give {missing} too")]
    Pair { missing: &'static str },
    #[error(
        "{path}: a client certificate (--cert-file/--key-file) cannot be presented to OCI \
         registries yet (ketch's OCI client, oci-client 0.18, has no client-certificate support); \
         it is used for chart repositories over HTTPS and `ketch registry login`"
    )]
    OciClientCertificate { path: String },
    #[error("cannot set up TLS: {0}")]
    Client(String),
}

/// Where a client's TLS settings come from: what a hint tells the user to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// Flags on the command line.
    Flags,
    /// An added repository's stored settings (`repo add` flags).
    Repository { name: String, url: String },
}

impl TlsOptions {
    /// Nothing beyond the system trust store.
    pub fn is_default(&self) -> bool {
        *self == TlsOptions::default()
    }

    /// Each setting of `self`, or `fallback`'s where `self` has none.
    pub fn or(&self, fallback: &TlsOptions) -> TlsOptions {
        let (cert_file, key_file) = if self.cert_file.is_some() {
            (self.cert_file.clone(), self.key_file.clone())
        } else {
            (fallback.cert_file.clone(), fallback.key_file.clone())
        };
        TlsOptions {
            ca_file: self.ca_file.clone().or_else(|| fallback.ca_file.clone()),
            cert_file,
            key_file,
            insecure_skip_tls_verify: self.insecure_skip_tls_verify
                || fallback.insecure_skip_tls_verify,
        }
    }

    /// The same settings with absolute paths (relative to the current directory), to store.
    pub fn absolute(&self) -> TlsOptions {
        let abs = |p: &Option<PathBuf>| {
            p.as_ref()
                .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
        };
        TlsOptions {
            ca_file: abs(&self.ca_file),
            cert_file: abs(&self.cert_file),
            key_file: abs(&self.key_file),
            insecure_skip_tls_verify: self.insecure_skip_tls_verify,
        }
    }

    /// A reqwest client builder with these settings (and ketch's TLS provider installed).
    pub fn client_builder(&self) -> Result<reqwest::ClientBuilder, TlsError> {
        // The binary installs the provider; library users (tests) may not have.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let mut builder = reqwest::Client::builder();
        if let Some(path) = &self.ca_file {
            let roots = certificates("--ca-file", path)?
                .iter()
                .map(|der| reqwest::Certificate::from_der(der))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| pem_error("--ca-file", path, &e.to_string()))?;
            builder = builder.tls_certs_merge(roots);
        }
        if let Some((cert, key)) = self.client_certificate()? {
            let mut pem = std::fs::read(&cert).map_err(|e| read_error("--cert-file", &cert, e))?;
            pem.push(b'\n');
            pem.extend(std::fs::read(&key).map_err(|e| read_error("--key-file", &key, e))?);
            let identity = reqwest::Identity::from_pem(&pem)
                .map_err(|e| pem_error("--cert-file", &cert, &e.to_string()))?;
            builder = builder.identity(identity);
        }
        if self.insecure_skip_tls_verify {
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        Ok(builder)
    }

    /// An error of `reqwest::ClientBuilder::build` with these settings: rustls checks the
    /// client certificate only then, so it is named when there is one.
    pub fn build_error(&self, e: &reqwest::Error) -> TlsError {
        let mut message = e.to_string();
        let mut source = e.source();
        while let Some(cause) = source {
            message = format!("{message}: {cause}");
            source = cause.source();
        }
        let problem = match &self.key_file {
            Some(key) if message.contains("KeyMismatch") => {
                format!(
                    "does not belong to the private key in --key-file {}",
                    key.display()
                )
            }
            _ => format!(
                "cannot be used as a client certificate ({message}); it must be an X.509 v3 \
                 certificate in PEM"
            ),
        };
        match &self.cert_file {
            Some(cert) => pem_error("--cert-file", cert, &problem),
            None => TlsError::Client(message),
        }
    }

    /// The client certificate and key, both checked to hold what they should; `None` without.
    fn client_certificate(&self) -> Result<Option<(PathBuf, PathBuf)>, TlsError> {
        match (&self.cert_file, &self.key_file) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(TlsError::Pair {
                missing: "--key-file",
            }),
            (None, Some(_)) => Err(TlsError::Pair {
                missing: "--cert-file",
            }),
            (Some(cert), Some(key)) => {
                certificates("--cert-file", cert)?;
                let pem = std::fs::read(key).map_err(|e| read_error("--key-file", key, e))?;
                PrivateKeyDer::from_pem_slice(&pem).map_err(|_| {
                    pem_error(
                        "--key-file",
                        key,
                        "holds no PEM private key (-----BEGIN PRIVATE KEY-----, RSA or EC)",
                    )
                })?;
                Ok(Some((cert.clone(), key.clone())))
            }
        }
    }

    /// These settings for oci-client: extra roots and whether to accept any certificate. A
    /// client certificate is refused: oci-client cannot present one.
    pub fn configure_oci(
        &self,
        config: &mut oci_client::client::ClientConfig,
    ) -> Result<(), TlsError> {
        if let Some(cert) = &self.cert_file {
            return Err(TlsError::OciClientCertificate {
                path: cert.display().to_string(),
            });
        }
        if let Some(path) = &self.ca_file {
            config.extra_root_certificates = certificates("--ca-file", path)?
                .into_iter()
                .map(|der| oci_client::client::Certificate {
                    encoding: oci_client::client::CertificateEncoding::Der,
                    data: der.to_vec(),
                })
                .collect();
        }
        config.accept_invalid_certificates = self.insecure_skip_tls_verify;
        Ok(())
    }
}

/// The certificates in the PEM file at `path`; none is an error naming the file and `flag`.
fn certificates(flag: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = std::fs::read(path).map_err(|e| read_error(flag, path, e))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(flag, path, &format!("not valid PEM ({e})")))?;
    if certs.is_empty() {
        return Err(pem_error(
            flag,
            path,
            "holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
        ));
    }
    Ok(certs)
}

fn read_error(flag: &'static str, path: &Path, error: std::io::Error) -> TlsError {
    TlsError::Read {
        flag,
        path: path.display().to_string(),
        error,
    }
}

fn pem_error(flag: &'static str, path: &Path, problem: &str) -> TlsError {
    TlsError::Pem {
        flag,
        path: path.display().to_string(),
        problem: problem.to_string(),
    }
}

/// A failed TLS handshake, as far as the error chain tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsFailure {
    /// The server's certificate chains to no trusted CA.
    UnknownIssuer,
    /// The server's certificate is not for the host asked for.
    WrongName,
    /// The server's certificate has expired or is not valid yet.
    ServerExpired,
    /// Another problem with the server's certificate.
    ServerCertificate(String),
    /// The server wants a client certificate and got none.
    ClientCertificateRequired,
    /// The server refused the client certificate (the alert it sent).
    ClientCertificateRejected(String),
    /// Any other TLS failure.
    Other(String),
}

/// What went wrong in TLS, if `err`'s chain says a handshake failed: a `rustls::Error` in the
/// chain, else its text (connectors box it where `source()` does not reach it).
pub fn diagnose(err: &(dyn StdError + 'static)) -> Option<TlsFailure> {
    let mut text = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let found = e.downcast_ref::<rustls::Error>().or_else(|| {
            e.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(tls) = found {
            return Some(classify(&tls.to_string()));
        }
        text.push(e.to_string());
        next = e.source();
    }
    let text = text.join(": ");
    ["invalid peer certificate: ", "received fatal alert: "]
        .iter()
        .find_map(|marker| text.find(marker).map(|at| classify(&text[at..])))
}

/// A rustls error as it prints (`invalid peer certificate: UnknownIssuer`, `received fatal
/// alert: CertificateRequired`).
fn classify(message: &str) -> TlsFailure {
    let detail = |prefix: &str| {
        message.strip_prefix(prefix).map(|rest| {
            rest.split(|c: char| !c.is_ascii_alphanumeric())
                .next()
                .unwrap_or_default()
                .to_string()
        })
    };
    if let Some(problem) = detail("invalid peer certificate: ") {
        return match problem.as_str() {
            "UnknownIssuer" | "BadSignature" => TlsFailure::UnknownIssuer,
            p if p.starts_with("NotValidForName") => TlsFailure::WrongName,
            p if p.starts_with("Expired") || p.starts_with("NotValidYet") => {
                TlsFailure::ServerExpired
            }
            _ => TlsFailure::ServerCertificate(message.to_string()),
        };
    }
    if let Some(alert) = detail("received fatal alert: ") {
        return match alert.as_str() {
            "CertificateRequired" => TlsFailure::ClientCertificateRequired,
            "BadCertificate"
            | "UnsupportedCertificate"
            | "CertificateRevoked"
            | "CertificateExpired"
            | "CertificateUnknown"
            | "UnknownCA"
            | "AccessDenied" => TlsFailure::ClientCertificateRejected(alert),
            _ => TlsFailure::Other(message.to_string()),
        };
    }
    TlsFailure::Other(message.to_string())
}

impl TlsFailure {
    /// The failure and what fixes it, given the settings in use and where they came from.
    pub fn explain(&self, tls: &TlsOptions, source: &TlsSource) -> String {
        let setting = |flag: &str, key: &str| match source {
            TlsSource::Flags => flag.to_string(),
            TlsSource::Repository { name, .. } => {
                format!("the {key} stored for repository {name:?}")
            }
        };
        let store = |flags: &str| match source {
            TlsSource::Flags => format!("pass {flags}"),
            TlsSource::Repository { name, url } => format!(
                "store it with the repository: `ketch repo add {name} {url} {flags} --force-update`"
            ),
        };
        let shown = |p: &Option<PathBuf>| {
            p.as_ref()
                .map_or(String::new(), |p| p.display().to_string())
        };
        match self {
            TlsFailure::UnknownIssuer => match &tls.ca_file {
                None => format!(
                    "the server's certificate is signed by a CA that is not in the system trust \
                     store; {} (or --insecure-skip-tls-verify to skip the check)",
                    store("--ca-file CA.pem with the CA that signed it")
                ),
                Some(ca) => format!(
                    "the server's certificate is signed by a CA that is neither in {} ({}) nor \
                     in the system trust store; check that this file holds the CA that signed \
                     the server's certificate",
                    ca.display(),
                    setting("--ca-file", "caFile")
                ),
            },
            TlsFailure::WrongName => "the server's certificate is not valid for this host name \
                 (see its subjectAltName); use the name it was issued for, or \
                 --insecure-skip-tls-verify"
                .into(),
            TlsFailure::ServerExpired => "the server's certificate has expired or is not valid \
                 yet; tell the server's operator (or check this machine's clock)"
                .into(),
            TlsFailure::ServerCertificate(problem) => {
                format!("the server's certificate was refused ({problem})")
            }
            TlsFailure::ClientCertificateRequired if tls.cert_file.is_none() => format!(
                "the server requires a client certificate; {}",
                store("--cert-file CERT.pem --key-file KEY.pem")
            ),
            TlsFailure::ClientCertificateRequired => format!(
                "the server requires a client certificate and did not take {}",
                shown(&tls.cert_file)
            ),
            TlsFailure::ClientCertificateRejected(alert) if alert == "CertificateExpired" => {
                format!(
                    "the server refused the client certificate {} ({}): it has expired; get a \
                     new one and {}",
                    shown(&tls.cert_file),
                    setting("--cert-file", "certFile"),
                    store("--cert-file CERT.pem --key-file KEY.pem")
                )
            }
            TlsFailure::ClientCertificateRejected(alert) if tls.cert_file.is_none() => format!(
                "the server refused the connection ({alert}): it probably requires a client \
                 certificate; {}",
                store("--cert-file CERT.pem --key-file KEY.pem")
            ),
            TlsFailure::ClientCertificateRejected(alert) => format!(
                "the server refused the client certificate {} ({}; {alert}): check that it is \
                 signed by a CA the server trusts and still valid",
                shown(&tls.cert_file),
                setting("--cert-file", "certFile")
            ),
            TlsFailure::Other(message) => format!("the TLS handshake failed: {message}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustls_errors_are_read_from_their_text() {
        assert_eq!(
            classify("invalid peer certificate: UnknownIssuer"),
            TlsFailure::UnknownIssuer
        );
        assert_eq!(
            classify("invalid peer certificate: NotValidForNameContext { expected: .. }"),
            TlsFailure::WrongName
        );
        assert_eq!(
            classify("received fatal alert: CertificateRequired"),
            TlsFailure::ClientCertificateRequired
        );
        assert_eq!(
            classify("received fatal alert: CertificateExpired"),
            TlsFailure::ClientCertificateRejected("CertificateExpired".into())
        );
        let err =
            std::io::Error::other("client error (Connect): invalid peer certificate: Expired");
        assert_eq!(diagnose(&err), Some(TlsFailure::ServerExpired));
        assert_eq!(diagnose(&std::io::Error::other("connection refused")), None);
    }

    #[test]
    fn flags_override_stored_settings_and_keep_cert_and_key_together() {
        let stored = TlsOptions {
            ca_file: Some("stored-ca.pem".into()),
            cert_file: Some("stored.pem".into()),
            key_file: Some("stored.key".into()),
            insecure_skip_tls_verify: false,
        };
        let flags = TlsOptions {
            cert_file: Some("flag.pem".into()),
            key_file: Some("flag.key".into()),
            ..Default::default()
        };
        let merged = flags.or(&stored);
        assert_eq!(merged.ca_file, Some("stored-ca.pem".into()));
        assert_eq!(merged.cert_file, Some("flag.pem".into()));
        assert_eq!(merged.key_file, Some("flag.key".into()));
        assert_eq!(TlsOptions::default().or(&stored), stored);
    }
}
