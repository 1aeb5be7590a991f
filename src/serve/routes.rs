//! The HTTP surface of `ketch serve` (axum): Helm's repository layout plus ChartMuseum's
//! upload API, one log line per request on stderr.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use futures::StreamExt;
use serde_json::json;
use std::io::Write;

use super::ServeError;
use super::store::{ChartStore, versions_by_name};
use crate::atomic::AtomicFile;
use crate::chart::loader::MAX_CHART_SIZE;

#[derive(Clone)]
pub(super) struct AppState {
    pub store: Arc<ChartStore>,
    pub token: Option<Arc<str>>,
    pub allow_overwrite: bool,
}

pub(super) fn router(state: AppState) -> Router {
    Router::new()
        .route("/index.yaml", get(index_yaml))
        .route("/charts/{file}", get(archive))
        .route("/api/charts", post(upload).get(list))
        .route("/api/charts/{name}/{version}", delete(remove))
        .route("/healthz", get(|| async { "ok\n" }))
        .layer(DefaultBodyLimit::max(MAX_CHART_SIZE as usize))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

impl IntoResponse for ServeError {
    fn into_response(self) -> Response {
        let status = match &self {
            ServeError::InvalidChart { .. }
            | ServeError::FileNameMismatch { .. }
            | ServeError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ServeError::VersionExists { .. } => StatusCode::CONFLICT,
            ServeError::NoSuchVersion { .. } => StatusCode::NOT_FOUND,
            ServeError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, axum::Json(json!({ "error": self.to_string() }))).into_response()
    }
}

async fn index_yaml(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/x-yaml")],
        state.store.index(),
    )
        .into_response()
}

async fn archive(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some(path) = state.store.archive(&file) else {
        return not_found(&format!("no chart archive {file}"));
    };
    // Archives are replaced only by rename: this reads one whole file, old or new.
    match tokio::fs::read(&path).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/gzip")], bytes).into_response(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            not_found(&format!("no chart archive {file}"))
        }
        Err(e) => ServeError::Io {
            path: file,
            source: e,
        }
        .into_response(),
    }
}

/// ChartMuseum's `GET /api/charts`: the published versions by chart name.
async fn list(State(state): State<AppState>) -> Response {
    let listing: serde_json::Map<String, serde_json::Value> = versions_by_name(&state.store)
        .into_iter()
        .map(|(name, entries)| {
            let versions = entries
                .into_iter()
                .map(|e| {
                    let mut v = serde_json::to_value(&e.metadata).unwrap_or_default();
                    if let Some(object) = v.as_object_mut() {
                        object.insert("urls".into(), json!([format!("charts/{}", e.file)]));
                        object.insert("created".into(), json!(e.created));
                        object.insert("digest".into(), json!(e.digest));
                    }
                    v
                })
                .collect();
            (name, serde_json::Value::Array(versions))
        })
        .collect();
    axum::Json(listing).into_response()
}

/// Uploads checked at once: each check holds its archive in memory (up to
/// the chart size limit), while streaming the uploads to disk holds nothing.
static CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

async fn upload(State(state): State<AppState>, request: Request) -> Response {
    if let Some(denied) = check_token(&state, request.headers()) {
        return denied;
    }
    let store = Arc::clone(&state.store);
    let (file, file_name) = match read_upload(&store, request).await {
        Ok(upload) => upload,
        Err(e) => return e.into_response(),
    };
    let overwrite = state.allow_overwrite;
    let _check = CHECKS.acquire().await;
    let result = tokio::task::spawn_blocking(move || {
        let staged = store.stage(file, file_name.as_deref())?;
        store.publish(staged, overwrite)
    })
    .await;
    match result {
        Ok(Ok(_)) => (StatusCode::CREATED, axum::Json(json!({ "saved": true }))).into_response(),
        Ok(Err(e)) => e.into_response(),
        Err(e) => ServeError::Internal {
            message: e.to_string(),
        }
        .into_response(),
    }
}

/// The archive from a raw body, or from the multipart field `chart` with its
/// file name, streamed to a temporary file of the store, at most
/// [`MAX_CHART_SIZE`] bytes.
async fn read_upload(
    store: &ChartStore,
    request: Request,
) -> Result<(AtomicFile, Option<String>), ServeError> {
    let bad = |message: String| ServeError::BadRequest { message };
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let mut upload = Upload {
        file: store.upload_file()?,
        size: 0,
    };
    if !is_multipart {
        let mut body = request.into_body().into_data_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| bad(format!("cannot read the request body: {e}")))?;
            upload.write(&chunk)?;
        }
        if upload.size == 0 {
            return Err(bad(
                "the request body is empty; send the chart archive".into()
            ));
        }
        return Ok((upload.file, None));
    }
    let mut form = Multipart::from_request(request, &())
        .await
        .map_err(|e| bad(e.body_text()))?;
    while let Some(mut field) = form
        .next_field()
        .await
        .map_err(|e| bad(format!("cannot read the form: {}", e.body_text())))?
    {
        match field.name() {
            Some("chart") => {
                let file_name = field.file_name().map(str::to_string);
                while let Some(chunk) = field
                    .chunk()
                    .await
                    .map_err(|e| bad(format!("cannot read field `chart`: {}", e.body_text())))?
                {
                    upload.write(&chunk)?;
                }
                return Ok((upload.file, file_name));
            }
            Some("prov") => {
                return Err(bad("provenance files (.prov) are not supported".into()));
            }
            _ => {}
        }
    }
    Err(bad("the form has no `chart` field with the archive".into()))
}

/// An upload being written to disk, refused past [`MAX_CHART_SIZE`].
struct Upload {
    file: AtomicFile,
    size: u64,
}

impl Upload {
    fn write(&mut self, chunk: &[u8]) -> Result<(), ServeError> {
        self.size += chunk.len() as u64;
        if self.size > MAX_CHART_SIZE {
            return Err(ServeError::TooLarge {
                limit_mib: MAX_CHART_SIZE >> 20,
            });
        }
        self.file.write_all(chunk).map_err(|source| ServeError::Io {
            path: self.file.temp_path().display().to_string(),
            source,
        })
    }
}

async fn remove(
    State(state): State<AppState>,
    Path((name, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(denied) = check_token(&state, &headers) {
        return denied;
    }
    let store = Arc::clone(&state.store);
    match tokio::task::spawn_blocking(move || store.delete(&name, &version)).await {
        Ok(Ok(())) => axum::Json(json!({ "deleted": true })).into_response(),
        Ok(Err(e)) => e.into_response(),
        Err(e) => ServeError::Internal {
            message: e.to_string(),
        }
        .into_response(),
    }
}

/// `None` when the request may write; otherwise the 401 to send.
fn check_token(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let expected = state.token.as_deref()?;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    if given.is_some_and(|g| constant_time_eq(g.as_bytes(), expected.as_bytes())) {
        return None;
    }
    let message = if given.is_some() {
        "the bearer token is wrong"
    } else {
        "uploads and deletes need a bearer token (`Authorization: Bearer TOKEN`)"
    };
    let mut response = (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({ "error": message })),
    )
        .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"ketch\""),
    );
    Some(response)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn not_found(message: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({ "error": message })),
    )
        .into_response()
}

/// One line per request: time, client, method, path, status, duration.
async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.to_string())
        .unwrap_or_else(|| "-".into());
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    eprintln!(
        "{} {client} {method} {path} {} {:.1}ms",
        crate::timestamp::rfc3339(SystemTime::now()),
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    response
}
