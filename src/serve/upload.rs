//! The client side of ChartMuseum's upload API, for `ketch push CHART.tgz http(s)://...`
//! against `ketch serve` or ChartMuseum.

use std::time::Duration;

use serde_json::Value;

use super::ServeError;

/// Where an upload went.
#[derive(Debug, Clone)]
pub struct Uploaded {
    pub name: String,
    pub version: String,
    /// The API endpoint that took it.
    pub endpoint: String,
}

/// Uploads `archive` to the chart server at `url` (its root, or its `/api/charts`
/// endpoint), with `Authorization: Bearer token` when given, over TLS as `tls` says.
pub async fn upload_chart(
    archive: &[u8],
    url: &str,
    token: Option<&str>,
    tls: &crate::tls::TlsOptions,
) -> Result<Uploaded, ServeError> {
    let chart = crate::chart::load_archive(archive, "the chart archive").map_err(|e| {
        ServeError::InvalidChart {
            message: e.to_string(),
        }
    })?;
    let endpoint = endpoint(url)?;
    let failed = |message: String| ServeError::Upload {
        url: endpoint.clone(),
        message,
    };
    let client = tls
        .client_builder()
        .map_err(|e| failed(e.to_string()))?
        .user_agent(concat!("ketch/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(30))
        .timeout(Duration::from_secs(300))
        .build()
        .map_err(|e| failed(tls.build_error(&e).to_string()))?;
    let mut request = client
        .post(&endpoint)
        .header(reqwest::header::CONTENT_TYPE, "application/gzip")
        .body(archive.to_vec());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .map_err(|e| match crate::tls::diagnose(&e) {
            Some(tls_failure) => failed(tls_failure.explain(tls, &crate::tls::TlsSource::Flags)),
            None => failed(format!(
                "cannot connect ({}); is the server running at that address?",
                crate::registry::error_chain(&e)
            )),
        })?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    let reason = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| body.trim().chars().take(300).collect());
    let name = chart.metadata.name;
    let version = chart.metadata.version;
    match status.as_u16() {
        200..=299 => Ok(Uploaded {
            name,
            version,
            endpoint,
        }),
        401 | 403 => Err(failed(format!(
            "{status}: {reason}; pass the server's token with --token (or KETCH_PUSH_TOKEN)"
        ))),
        409 => Err(failed(format!(
            "{status}: {name} {version} is already there; versions are immutable, bump the chart's version"
        ))),
        _ => Err(failed(format!("{status}: {reason}"))),
    }
}

/// `http://host:8879` → `http://host:8879/api/charts`; a URL that already ends in
/// `/api/charts` (or ChartMuseum's `/api/TENANT/charts`) is used as is.
fn endpoint(url: &str) -> Result<String, ServeError> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ServeError::Upload {
            url: url.to_string(),
            message: "expected an http:// or https:// URL of a chart server".into(),
        });
    }
    let base = url.trim_end_matches('/');
    let path = base.splitn(4, '/').nth(3).unwrap_or_default();
    if path.starts_with("api/") && path.ends_with("/charts") || path == "api/charts" {
        Ok(base.to_string())
    } else {
        Ok(format!("{base}/api/charts"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_appends_the_api_path_once() {
        assert_eq!(
            endpoint("http://127.0.0.1:8879").unwrap(),
            "http://127.0.0.1:8879/api/charts"
        );
        assert_eq!(
            endpoint("http://h/repo/").unwrap(),
            "http://h/repo/api/charts"
        );
        assert_eq!(
            endpoint("https://h/api/charts").unwrap(),
            "https://h/api/charts"
        );
        assert_eq!(
            endpoint("https://h/api/team/charts/").unwrap(),
            "https://h/api/team/charts"
        );
        assert!(endpoint("ftp://h").is_err());
    }
}
