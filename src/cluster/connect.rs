//! How ketch reaches the API server, as Helm's global flags say: the
//! kubeconfig (`--kubeconfig`, `KUBECONFIG`, `~/.kube/config`) and its context
//! (`--kube-context`), overridden the way client-go's `clientcmd` overrides
//! it (`--kube-apiserver`, `--kube-ca-file`, `--kube-insecure-skip-tls-verify`,
//! `--kube-tls-server-name`, `--kube-token`, `--kube-as-user`,
//! `--kube-as-group`), and a client rate-limited by `--qps`/`--burst-limit`.
//! A kubeconfig user's exec credential plugin (EKS, GKE, AKS) is run by kube's
//! client; its failures are reported naming the plugin and the user.

use std::fmt;
use std::path::{Path, PathBuf};

use kube::Client;
use kube::client::{AuthError, ClientBuilder};
use kube::config::{ExecConfig, KubeConfigOptions, Kubeconfig};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::USER_AGENT;
use super::error::ClusterError;
use super::throttle::{Limits, ThrottleLayer};

/// How to reach the cluster: the kubeconfig and context, and Helm's flags that
/// override them. `Default` reads the default kubeconfig with Helm's limits.
#[derive(Clone, Default)]
pub struct ConnectOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    /// A bearer token in place of the kubeconfig user's credentials.
    pub token: Option<String>,
    /// The user to impersonate (`Impersonate-User`).
    pub as_user: Option<String>,
    /// The groups to impersonate (`Impersonate-Group`), with `as_user`.
    pub as_groups: Vec<String>,
    /// The API server's URL in place of the kubeconfig cluster's; with it,
    /// no kubeconfig is needed.
    pub apiserver: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub insecure_skip_tls_verify: bool,
    pub tls_server_name: Option<String>,
    pub limits: Limits,
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("kubeconfig", &self.kubeconfig)
            .field("context", &self.context)
            .field("token", &self.token.as_ref().map(|_| "(redacted)"))
            .field("as_user", &self.as_user)
            .field("as_groups", &self.as_groups)
            .field("apiserver", &self.apiserver)
            .field("ca_file", &self.ca_file)
            .field("insecure_skip_tls_verify", &self.insecure_skip_tls_verify)
            .field("tls_server_name", &self.tls_server_name)
            .field("limits", &self.limits)
            .finish()
    }
}

/// Where the client's settings came from, to name in messages.
#[derive(Debug, Clone)]
struct Source {
    /// The kubeconfig file(s), or the flags when there is none.
    path: String,
    /// The kubeconfig user of the context.
    user: Option<String>,
}

/// Builds a client from the kubeconfig and the flags over it; also returns
/// the API server's URL, for messages.
pub async fn client(options: &ConnectOptions) -> Result<(Client, String), ClusterError> {
    let (mut config, source) = config(options).await?;
    // Names ketch in the API server's audit log and metrics.
    config.headers.push((
        reqwest::header::USER_AGENT,
        reqwest::header::HeaderValue::from_static(USER_AGENT),
    ));
    let url = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let exec = config.auth_info.exec.clone();
    // Runs the exec credential plugin, if the user has one.
    let builder = ClientBuilder::try_from(config).map_err(|e| build_error(e, &source, exec))?;
    let client = builder
        .with_layer(&ThrottleLayer::new(options.limits))
        .build();
    Ok((client, url))
}

/// The kube config the options describe: the kubeconfig's context, or with
/// `--kube-apiserver` and no kubeconfig, the flags alone; then the flags over it.
async fn config(options: &ConnectOptions) -> Result<(kube::Config, Source), ClusterError> {
    check_flags(options)?;
    let apiserver = options
        .apiserver
        .as_deref()
        .map(apiserver_url)
        .transpose()?;
    let kubeconfig = match read_kubeconfig(options.kubeconfig.as_deref()) {
        Err(ClusterError::NoKubeconfig { .. }) if apiserver.is_some() => None,
        // A kubeconfig with no context to use (an empty one) leaves the flags, as in kubectl.
        Ok((kubeconfig, _))
            if apiserver.is_some()
                && options.context.is_none()
                && kubeconfig.current_context.is_none() =>
        {
            None
        }
        read => Some(read?),
    };
    let (mut config, source) = match (kubeconfig, apiserver) {
        (Some((kubeconfig, path)), _) => from_kubeconfig(kubeconfig, path, options).await?,
        (None, url) => {
            let url = url.unwrap_or_default();
            let config = kube::Config::new(url.parse().map_err(|e| {
                flag_error("--kube-apiserver", format!("{url:?} is not a URL: {e}"))
            })?);
            let source = Source {
                path: "(none: --kube-apiserver)".into(),
                user: None,
            };
            (config, source)
        }
    };
    apply_flags(&mut config, options)?;
    Ok((config, source))
}

fn check_flags(options: &ConnectOptions) -> Result<(), ClusterError> {
    if options.ca_file.is_some() && options.insecure_skip_tls_verify {
        return Err(flag_error(
            "--kube-ca-file",
            "cannot be used with --kube-insecure-skip-tls-verify: verify the server with the CA, or skip verification, not both".into(),
        ));
    }
    if let Some(qps) = options.limits.qps
        && !qps.is_finite()
    {
        return Err(flag_error(
            "--qps",
            format!("{qps} is not a number of queries per second"),
        ));
    }
    Ok(())
}

async fn from_kubeconfig(
    mut kubeconfig: Kubeconfig,
    path: String,
    options: &ConnectOptions,
) -> Result<(kube::Config, Source), ClusterError> {
    let context_name = options
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone());
    let context = context_name
        .as_ref()
        .and_then(|name| kubeconfig.contexts.iter().find(|c| &c.name == name));
    if let Some(name) = &options.context
        && context.is_none()
    {
        let known: Vec<&str> = kubeconfig
            .contexts
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        return Err(ClusterError::Kubeconfig {
            path,
            message: format!(
                "no context {name:?} (contexts: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ),
        });
    }
    let context = context.and_then(|c| c.context.clone());
    let user = context.as_ref().and_then(|c| c.user.clone());
    // A cluster without a server is fine when --kube-apiserver gives one.
    if let (Some(url), Some(context)) = (&options.apiserver, &context)
        && let Some(cluster) = kubeconfig
            .clusters
            .iter_mut()
            .find(|c| c.name == context.cluster)
            .and_then(|c| c.cluster.as_mut())
        && cluster.server.is_none()
    {
        cluster.server = Some(url.clone());
    }
    let kube_options = KubeConfigOptions {
        context: options.context.clone(),
        ..KubeConfigOptions::default()
    };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &kube_options)
        .await
        .map_err(|e| ClusterError::Kubeconfig {
            path: path.clone(),
            message: e.to_string(),
        })?;
    Ok((config, Source { path, user }))
}

/// client-go's overrides: a server clears the kubeconfig's TLS server name; a
/// CA or skipping verification replaces the kubeconfig's; a token replaces
/// the user's other credentials except a client certificate.
fn apply_flags(config: &mut kube::Config, options: &ConnectOptions) -> Result<(), ClusterError> {
    if let Some(url) = &options.apiserver {
        let url = apiserver_url(url)?;
        config.cluster_url = url
            .parse()
            .map_err(|e| flag_error("--kube-apiserver", format!("{url:?} is not a URL: {e}")))?;
        config.tls_server_name = None;
    }
    if let Some(name) = &options.tls_server_name {
        config.tls_server_name = Some(name.clone());
    }
    if let Some(path) = &options.ca_file {
        config.root_cert = Some(read_ca_file(path)?);
        config.root_cert_file = None;
        config.accept_invalid_certs = false;
    }
    if options.insecure_skip_tls_verify {
        config.root_cert = None;
        config.root_cert_file = None;
        config.accept_invalid_certs = true;
    }
    let auth = &mut config.auth_info;
    if let Some(token) = &options.token {
        if token.is_empty() {
            return Err(flag_error("--kube-token", "is empty".into()));
        }
        auth.token = Some(secrecy::SecretString::from(token.clone()));
        auth.token_file = None;
        auth.username = None;
        auth.password = None;
        auth.auth_provider = None;
        auth.exec = None;
    }
    if let Some(user) = &options.as_user {
        auth.impersonate = Some(user.clone());
    }
    if !options.as_groups.is_empty() {
        auth.impersonate_groups = Some(options.as_groups.clone());
    }
    if auth
        .impersonate_groups
        .as_ref()
        .is_some_and(|g| !g.is_empty())
        && auth.impersonate.is_none()
    {
        return Err(flag_error(
            "--kube-as-group",
            "needs --kube-as-user: the API server impersonates groups only together with a user"
                .into(),
        ));
    }
    Ok(())
}

/// `--kube-apiserver` as a URL: `HOST:PORT` means `https://HOST:PORT`.
fn apiserver_url(text: &str) -> Result<String, ClusterError> {
    let url = if text.contains("://") {
        text.to_string()
    } else {
        format!("https://{text}")
    };
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    let host = url.split_once("://").map(|(_, rest)| rest).unwrap_or("");
    if !scheme_ok || host.is_empty() || host.starts_with('/') {
        return Err(flag_error(
            "--kube-apiserver",
            format!("{text:?} is not an API server address; give https://HOST[:PORT]"),
        ));
    }
    Ok(url)
}

fn read_ca_file(path: &Path) -> Result<Vec<Vec<u8>>, ClusterError> {
    let what =
        |message: String| flag_error("--kube-ca-file", format!("{}: {message}", path.display()));
    let bytes = std::fs::read(path).map_err(|e| what(e.to_string()))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .map(|c| c.map(|c| c.to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| what(format!("not PEM: {e}")))?;
    if certs.is_empty() {
        return Err(what("holds no PEM certificate".into()));
    }
    Ok(certs)
}

fn flag_error(flag: &'static str, message: String) -> ClusterError {
    ClusterError::Flag { flag, message }
}

/// A client that could not be built: mostly an exec credential plugin that
/// could not be run or gave no credential.
fn build_error(err: kube::Error, source: &Source, exec: Option<ExecConfig>) -> ClusterError {
    let exec_error = |message: String| ClusterError::ExecPlugin {
        path: source.path.clone(),
        user: source.user.clone().unwrap_or_default(),
        command: exec
            .as_ref()
            .and_then(|e| e.command.clone())
            .unwrap_or_default(),
        message,
    };
    let hint = exec
        .as_ref()
        .and_then(|e| e.install_hint.as_deref())
        .map(|h| format!("; {}", h.trim()))
        .unwrap_or_default();
    match err {
        kube::Error::Auth(AuthError::AuthExecStart(e))
            if e.kind() == std::io::ErrorKind::NotFound =>
        {
            exec_error(format!(
                "was not found: install it, or put it on PATH{hint}"
            ))
        }
        kube::Error::Auth(AuthError::AuthExecStart(e)) => {
            exec_error(format!("could not be started: {e}{hint}"))
        }
        kube::Error::Auth(AuthError::AuthExecRun { out, .. }) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let stderr = stderr.trim();
            exec_error(format!(
                "failed ({}){}; run it by hand to see why, or log in again",
                out.status,
                if stderr.is_empty() {
                    String::new()
                } else {
                    format!(": {stderr}")
                }
            ))
        }
        kube::Error::Auth(AuthError::AuthExecParse(e)) => {
            exec_error(format!("printed no ExecCredential: {e}"))
        }
        kube::Error::Auth(AuthError::ExecPluginFailed) => {
            exec_error("printed an ExecCredential without a status".into())
        }
        kube::Error::Auth(AuthError::MissingCommand) => {
            exec_error("has no command: set users[].user.exec.command".into())
        }
        other => ClusterError::Kubeconfig {
            path: source.path.clone(),
            message: other.to_string(),
        },
    }
}

fn read_kubeconfig(explicit: Option<&Path>) -> Result<(Kubeconfig, String), ClusterError> {
    let read = |path: &Path| {
        if !path.exists() {
            return Err(ClusterError::Kubeconfig {
                path: path.display().to_string(),
                message: "no such file".into(),
            });
        }
        Kubeconfig::read_from(path)
            .map(|k| (k, path.display().to_string()))
            .map_err(|e| ClusterError::Kubeconfig {
                path: path.display().to_string(),
                message: e.to_string(),
            })
    };
    if let Some(path) = explicit {
        return read(path);
    }
    if let Some(paths) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        let origin = format!("KUBECONFIG={}", paths.to_string_lossy());
        let mut merged: Option<Kubeconfig> = None;
        for path in std::env::split_paths(&paths) {
            let (config, _) = read(&path)?;
            merged = Some(match merged {
                None => config,
                Some(m) => m.merge(config).map_err(|e| ClusterError::Kubeconfig {
                    path: origin.clone(),
                    message: e.to_string(),
                })?,
            });
        }
        return merged
            .map(|m| (m, origin.clone()))
            .ok_or(ClusterError::Kubeconfig {
                path: origin,
                message: "names no file".into(),
            });
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let default = home.join(".kube").join("config");
    if !default.exists() {
        return Err(ClusterError::NoKubeconfig {
            default: default.display().to_string(),
        });
    }
    read(&default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    const CA: &str = "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIUQ6pTqdS9eXo2m7Y1ejl1cZbvpHowCgYIKoZIzj0EAwIw\n-----END CERTIFICATE-----\n";

    fn kubeconfig(dir: &Path, user: &str) -> PathBuf {
        let path = dir.join("config");
        std::fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Config\ncurrent-context: c\n\
                 clusters:\n- name: k\n  cluster:\n    server: https://10.0.0.1:6443\n    tls-server-name: kube.internal\n\
                 contexts:\n- name: c\n  context: {{cluster: k, user: u}}\n\
                 users:\n- name: u\n  user:\n{user}"
            ),
        )
        .unwrap();
        path
    }

    async fn load(options: ConnectOptions) -> Result<kube::Config, ClusterError> {
        config(&options).await.map(|(c, _)| c)
    }

    #[tokio::test]
    async fn flags_override_the_kubeconfig() {
        let dir = tempfile::tempdir().unwrap();
        let exec = "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: aws\n    as: someone\n";
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, CA).unwrap();
        let config = load(ConnectOptions {
            kubeconfig: Some(kubeconfig(dir.path(), exec)),
            token: Some("t0ken".into()),
            as_user: Some("jane".into()),
            as_groups: vec!["dev".into(), "ops".into()],
            apiserver: Some("127.0.0.1:6443".into()),
            ca_file: Some(ca),
            ..ConnectOptions::default()
        })
        .await
        .unwrap();
        assert_eq!(config.cluster_url.to_string(), "https://127.0.0.1:6443/");
        // A new server clears the kubeconfig's TLS server name, as in client-go.
        assert_eq!(config.tls_server_name, None);
        assert_eq!(config.root_cert.as_ref().map(Vec::len), Some(1));
        assert!(!config.accept_invalid_certs);
        let auth = &config.auth_info;
        assert_eq!(
            auth.token.as_ref().map(|t| t.expose_secret()),
            Some("t0ken")
        );
        assert!(auth.exec.is_none(), "a token replaces the exec plugin");
        assert_eq!(auth.impersonate.as_deref(), Some("jane"));
        assert_eq!(
            auth.impersonate_groups.as_deref(),
            Some(&["dev".to_string(), "ops".to_string()][..])
        );
    }

    #[tokio::test]
    async fn without_flags_the_kubeconfig_stands() {
        let dir = tempfile::tempdir().unwrap();
        let config = load(ConnectOptions {
            kubeconfig: Some(kubeconfig(dir.path(), "    token: abc\n")),
            tls_server_name: None,
            ..ConnectOptions::default()
        })
        .await
        .unwrap();
        assert_eq!(config.cluster_url.to_string(), "https://10.0.0.1:6443/");
        assert_eq!(config.tls_server_name.as_deref(), Some("kube.internal"));
        assert!(config.auth_info.impersonate.is_none());
        let insecure = load(ConnectOptions {
            kubeconfig: Some(kubeconfig(dir.path(), "    token: abc\n")),
            insecure_skip_tls_verify: true,
            tls_server_name: Some("other".into()),
            ..ConnectOptions::default()
        })
        .await
        .unwrap();
        assert!(insecure.accept_invalid_certs);
        assert_eq!(insecure.tls_server_name.as_deref(), Some("other"));
    }

    #[tokio::test]
    async fn an_empty_kubeconfig_leaves_the_flags() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "apiVersion: v1\nkind: Config\n").unwrap();
        let config = load(ConnectOptions {
            kubeconfig: Some(empty),
            apiserver: Some("https://kube.example:443".into()),
            token: Some("t".into()),
            ..ConnectOptions::default()
        })
        .await
        .unwrap();
        assert_eq!(config.cluster_url.to_string(), "https://kube.example:443/");
        assert!(config.auth_info.token.is_some());
    }

    #[tokio::test]
    async fn bad_flags_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let with = |options: ConnectOptions| ConnectOptions {
            kubeconfig: Some(kubeconfig(dir.path(), "    token: abc\n")),
            ..options
        };
        let message = |options| async { load(options).await.unwrap_err().to_string() };
        assert_eq!(
            message(with(ConnectOptions {
                as_groups: vec!["dev".into()],
                ..ConnectOptions::default()
            }))
            .await,
            "--kube-as-group: needs --kube-as-user: the API server impersonates groups only together with a user"
        );
        let missing = dir.path().join("nope.pem");
        assert!(
            message(with(ConnectOptions {
                ca_file: Some(missing),
                ..ConnectOptions::default()
            }))
            .await
            .starts_with("--kube-ca-file: ")
        );
        let not_pem = dir.path().join("config");
        assert!(
            message(with(ConnectOptions {
                ca_file: Some(not_pem),
                ..ConnectOptions::default()
            }))
            .await
            .ends_with("holds no PEM certificate")
        );
        assert!(
            message(with(ConnectOptions {
                apiserver: Some("ftp://x".into()),
                ..ConnectOptions::default()
            }))
            .await
            .starts_with("--kube-apiserver: \"ftp://x\" is not an API server address")
        );
        assert!(
            message(with(ConnectOptions {
                limits: Limits {
                    qps: Some(f32::NAN),
                    burst: 1
                },
                ..ConnectOptions::default()
            }))
            .await
            .starts_with("--qps: NaN")
        );
    }
}
