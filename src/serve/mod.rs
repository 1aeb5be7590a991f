//! `ketch serve`: a Helm chart repository server for teams and tests.
//!
//! Serves `GET /index.yaml` and `GET /charts/NAME-VERSION.tgz` to Helm and ketch clients, and
//! takes uploads with ChartMuseum's API (`POST /api/charts`, raw body or multipart field
//! `chart`; `DELETE /api/charts/NAME/VERSION`), guarded by a bearer token when one is set.
//! Published versions are immutable unless the server allows overwrites. Storage and its
//! crash-safety live in [`store`]; the HTTP surface in [`routes`]; the client side of uploads
//! (`ketch push http://...`) in [`upload`].

mod routes;
pub mod store;
pub mod upload;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use store::{ChartStore, IndexEntry, OpenReport};
pub use upload::upload_chart;

/// How `ketch serve` runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub storage: PathBuf,
    pub addr: SocketAddr,
    /// The bearer token uploads and deletes must present; `None` lets anyone who can reach
    /// the server write.
    pub token: Option<String>,
    pub allow_overwrite: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "cannot listen on {addr}: {source}; is another server using it? Choose another with --addr"
    )]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    TokenFile { path: String, message: String },
    #[error("{path}: cannot write the index: {message}")]
    Index { path: String, message: String },
    #[error("not a valid chart archive: {message}")]
    InvalidChart { message: String },
    #[error("file name {file:?} does not match the chart inside (expected {expected})")]
    FileNameMismatch { file: String, expected: String },
    #[error(
        "{name} {version} is already published; versions are immutable (bump the version, or start the server with --allow-overwrite)"
    )]
    VersionExists { name: String, version: String },
    #[error("no chart {name} version {version}")]
    NoSuchVersion { name: String, version: String },
    #[error("{message}")]
    BadRequest { message: String },
    #[error("the upload is larger than the {limit_mib} MiB a chart archive may be")]
    TooLarge { limit_mib: u64 },
    #[error("server error: {message}")]
    Internal { message: String },
    /// An upload by `ketch push` that the server refused or could not take.
    #[error("{url}: {message}")]
    Upload { url: String, message: String },
}

/// Reads a token file: the first line, surrounding whitespace trimmed; it may not be empty.
pub fn read_token_file(path: &Path) -> Result<String, ServeError> {
    let text = std::fs::read_to_string(path).map_err(|e| ServeError::TokenFile {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let token = text.lines().next().unwrap_or_default().trim().to_string();
    if token.is_empty() {
        return Err(ServeError::TokenFile {
            path: path.display().to_string(),
            message: "the file is empty; put the token on its first line".into(),
        });
    }
    Ok(token)
}

/// Runs the server until Ctrl-C or SIGTERM. `on_ready` gets the bound address (useful with
/// port 0) and what opening the storage repaired.
pub async fn serve(
    options: ServeOptions,
    on_ready: impl FnOnce(SocketAddr, &ChartStore, &OpenReport),
) -> Result<(), ServeError> {
    let storage = options.storage.clone();
    let (store, report) = tokio::task::spawn_blocking(move || ChartStore::open(&storage))
        .await
        .map_err(|e| ServeError::Internal {
            message: e.to_string(),
        })??;
    let store = Arc::new(store);
    let listener = tokio::net::TcpListener::bind(options.addr)
        .await
        .map_err(|source| ServeError::Bind {
            addr: options.addr,
            source,
        })?;
    let local = listener.local_addr().map_err(|source| ServeError::Bind {
        addr: options.addr,
        source,
    })?;
    on_ready(local, &store, &report);
    let app = routes::router(routes::AppState {
        store,
        token: options.token.map(Arc::from),
        allow_overwrite: options.allow_overwrite,
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| ServeError::Io {
        path: local.to_string(),
        source: e,
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
