//! Talking to a cluster: a client from a kubeconfig and context, the
//! cluster's version and served kinds (discovery), and the capabilities
//! templates see.

pub mod discovery;
pub mod error;
pub mod lookup;

use std::path::{Path, PathBuf};

use kube::Client;
use kube::config::{KubeConfigOptions, Kubeconfig};

pub use discovery::{Resource, Resources};
pub use error::{ClusterError, FieldConflict};

use crate::engine::{Capabilities, KubeVersion};

/// The User-Agent of every request, so the audit log tells ketch's requests apart.
pub const USER_AGENT: &str = concat!("ketch/", env!("CARGO_PKG_VERSION"));

/// How to reach the cluster: `--kubeconfig` and `--kube-context`.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
}

/// A connected cluster: the client and the kinds it serves.
#[derive(Clone)]
pub struct Cluster {
    pub client: Client,
    /// The API server's URL, for messages.
    pub url: String,
    pub version: KubeVersion,
    pub resources: Resources,
}

impl Cluster {
    /// Connects, asks the version and runs discovery (three requests).
    pub async fn connect(options: &ConnectOptions) -> Result<Self, ClusterError> {
        let (client, url) = client(options).await?;
        Self::from_client(client, url).await
    }

    /// `url` names the API server in messages.
    pub async fn from_client(client: Client, url: String) -> Result<Self, ClusterError> {
        let info = client
            .apiserver_version()
            .await
            .map_err(|e| ClusterError::from_kube(e, url.clone()))?;
        let version =
            KubeVersion::parse(&info.git_version).map_err(|message| ClusterError::Client {
                what: url.clone(),
                message,
            })?;
        let resources = Resources::discover(&client)
            .await
            .map_err(|e| ClusterError::from_kube(e, format!("{url} (discovery)")))?;
        Ok(Cluster {
            client,
            url,
            version,
            resources,
        })
    }

    /// What templates see under `capabilities`: this cluster's version and kinds.
    pub fn capabilities(&self) -> Capabilities {
        Capabilities {
            kube_version: self.version.clone(),
            api_versions: self.resources.api_versions(),
            offline: None,
        }
    }
}

/// Builds a client from `--kubeconfig`, `KUBECONFIG` or `~/.kube/config`, and
/// `--kube-context`; also returns the API server's URL, for messages.
pub async fn client(options: &ConnectOptions) -> Result<(Client, String), ClusterError> {
    let (kubeconfig, origin) = read_kubeconfig(options.kubeconfig.as_deref())?;
    if let Some(context) = &options.context
        && !kubeconfig.contexts.iter().any(|c| &c.name == context)
    {
        let known: Vec<&str> = kubeconfig
            .contexts
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        return Err(ClusterError::Kubeconfig {
            path: origin,
            message: format!(
                "no context {context:?} (contexts: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ),
        });
    }
    let kube_options = KubeConfigOptions {
        context: options.context.clone(),
        ..KubeConfigOptions::default()
    };
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &kube_options)
        .await
        .map_err(|e| ClusterError::Kubeconfig {
            path: origin.clone(),
            message: e.to_string(),
        })?;
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
    let client = Client::try_from(config).map_err(|e| ClusterError::Kubeconfig {
        path: origin,
        message: e.to_string(),
    })?;
    Ok((client, url))
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
