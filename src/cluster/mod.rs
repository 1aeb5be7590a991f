//! Talking to a cluster: a client from the kubeconfig and Helm's connection
//! flags (`connect`), rate-limited as client-go is (`throttle`), the
//! cluster's version and served kinds (discovery), and the capabilities
//! templates see.

pub mod connect;
pub mod discovery;
pub mod error;
pub mod lookup;
pub mod throttle;

use kube::Client;

pub use connect::{ConnectOptions, client};
pub use discovery::{Resource, Resources};
pub use error::{ClusterError, FieldConflict};
pub use throttle::Limits;

use crate::engine::{Capabilities, KubeVersion};

/// The User-Agent of every request, so the audit log tells ketch's requests apart.
pub const USER_AGENT: &str = concat!("ketch/", env!("CARGO_PKG_VERSION"));

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
