//! `ketch registry login|logout`: check credentials against the registry the way `docker
//! login` does (`GET /v2/`, following a Bearer challenge to its token service), then keep
//! them in ketch's credential store.

use super::credentials::{Credential, CredentialStore};
use super::reference::is_loopback_host;
use super::{RegistryError, RegistryOptions, USER_AGENT, error_chain};
use crate::tls::{TlsOptions, TlsSource};

/// Verifies `credential` against `registry` (`host[:port]`, `oci://` allowed) and stores it.
/// Returns the host it was stored under.
pub async fn login(
    registry: &str,
    credential: &Credential,
    opts: &RegistryOptions,
) -> Result<String, RegistryError> {
    let host = host_of(registry)?;
    let plain = opts.plain_http || (is_loopback_host(&host) && opts.tls.is_default());
    verify(&host, credential, plain, &opts.tls).await?;
    store(opts)?.set(&host, credential)?;
    Ok(host)
}

/// Forgets the stored credential for `registry`; `false` when there was none.
pub fn logout(registry: &str, opts: &RegistryOptions) -> Result<bool, RegistryError> {
    let host = host_of(registry)?;
    store(opts)?.remove(&host)
}

fn store(opts: &RegistryOptions) -> Result<CredentialStore, RegistryError> {
    match &opts.credentials {
        Some(store) => Ok(store.clone()),
        None => CredentialStore::default_location(),
    }
}

/// `oci://host:5000/anything` or `host:5000` → `host:5000`.
fn host_of(registry: &str) -> Result<String, RegistryError> {
    let rest = [super::reference::SCHEME, "https://", "http://"]
        .iter()
        .find_map(|scheme| registry.strip_prefix(scheme))
        .unwrap_or(registry);
    let host = rest.split('/').next().unwrap_or_default();
    let valid = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
    if !valid {
        return Err(RegistryError::InvalidRemote {
            remote: registry.to_string(),
            reason: "expected a registry host such as registry.example.com or 127.0.0.1:5000"
                .into(),
        });
    }
    Ok(host.to_string())
}

/// An HTTP client for `GET /v2/` and token services, with the registry's TLS settings.
fn http_client(tls: &TlsOptions) -> Result<reqwest::Client, RegistryError> {
    tls.client_builder()?
        .user_agent(USER_AGENT)
        .connect_timeout(super::CONNECT_TIMEOUT)
        .timeout(super::READ_TIMEOUT)
        .build()
        .map_err(|e| tls.build_error(&e).into())
}

/// A request to `host` that failed: a TLS failure explained, else a connection error.
fn request_failed(host: &str, plain: bool, tls: &TlsOptions, e: &reqwest::Error) -> RegistryError {
    match crate::tls::diagnose(e) {
        Some(failure) => RegistryError::Tls {
            registry: host.to_string(),
            message: failure.explain(tls, &TlsSource::Flags),
        },
        None => RegistryError::Unreachable {
            registry: host.to_string(),
            message: error_chain(e),
            plain,
        },
    }
}

/// `GET /v2/` of `host`: its status and authentication challenge.
async fn front_door(
    client: &reqwest::Client,
    url: &str,
    unreachable: impl Fn(reqwest::Error) -> RegistryError,
) -> Result<(reqwest::StatusCode, Challenge), RegistryError> {
    let response = client.get(url).send().await.map_err(unreachable)?;
    let challenge = response
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .map(Challenge::parse)
        .unwrap_or_default();
    Ok((response.status(), challenge))
}

/// Trades an identity token (an OAuth2 refresh token: what `docker login` keeps under the
/// user name `<token>`) for an access token for `scope` at the registry's token service.
pub(super) async fn access_token(
    host: &str,
    plain: bool,
    tls: &TlsOptions,
    identity_token: &str,
    scope: &str,
) -> Result<String, RegistryError> {
    let scheme = if plain { "http" } else { "https" };
    let failed = |message: String| RegistryError::LoginFailed {
        registry: host.to_string(),
        message,
    };
    let client = http_client(tls)?;
    let unreachable = |e: reqwest::Error| request_failed(host, plain, tls, &e);
    let (_, challenge) =
        front_door(&client, &format!("{scheme}://{host}/v2/"), unreachable).await?;
    let realm = match challenge.param("realm") {
        Some(realm) if challenge.scheme.eq_ignore_ascii_case("bearer") => realm,
        _ => {
            return Err(failed(
                "the credential is an identity token (user name <token>), but the registry \
                 names no Bearer token service to trade it at"
                    .into(),
            ));
        }
    };
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("client_id", "ketch"),
        ("refresh_token", identity_token),
        ("scope", scope),
    ];
    if let Some(service) = challenge.param("service") {
        form.push(("service", service));
    }
    let body = reqwest::Url::parse_with_params("http://form/", &form)
        .ok()
        .and_then(|u| u.query().map(str::to_string))
        .unwrap_or_default();
    let response = client
        .post(realm)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body)
        .send()
        .await
        .map_err(unreachable)?;
    let status = response.status();
    if !status.is_success() {
        return Err(failed(format!(
            "the token service refused the identity token ({status}); log in again"
        )));
    }
    let reply: serde_json::Value = response
        .json()
        .await
        .map_err(|e| failed(format!("the token service's answer is not JSON ({e})")))?;
    reply
        .get("access_token")
        .or_else(|| reply.get("token"))
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| failed("the token service's answer holds no access_token".into()))
}

async fn verify(
    host: &str,
    credential: &Credential,
    plain: bool,
    tls: &TlsOptions,
) -> Result<(), RegistryError> {
    let scheme = if plain { "http" } else { "https" };
    let url = format!("{scheme}://{host}/v2/");
    let failed = |message: String| RegistryError::LoginFailed {
        registry: host.to_string(),
        message,
    };
    let unreachable = |e: reqwest::Error| request_failed(host, plain, tls, &e);
    let client = http_client(tls)?;
    let basic = |request: reqwest::RequestBuilder| {
        request.basic_auth(&credential.username, Some(&credential.password))
    };
    let (status, challenge) = front_door(&client, &url, unreachable).await?;
    if status.is_success() {
        // The registry asks for no credentials at all; accept them, as `docker login` does.
        return Ok(());
    }
    if status != reqwest::StatusCode::UNAUTHORIZED {
        return Err(failed(format!("GET {url} answered {status}")));
    }
    let response = match challenge.scheme.to_ascii_lowercase().as_str() {
        "bearer" => {
            let Some(realm) = challenge.param("realm") else {
                return Err(failed("the Bearer challenge names no token service".into()));
            };
            let mut query = vec![("account", credential.username.as_str())];
            if let Some(service) = challenge.param("service") {
                query.push(("service", service));
            }
            basic(client.get(realm).query(&query))
                .send()
                .await
                .map_err(unreachable)?
        }
        _ => basic(client.get(&url)).send().await.map_err(unreachable)?,
    };
    match response.status() {
        s if s.is_success() => Ok(()),
        reqwest::StatusCode::UNAUTHORIZED | reqwest::StatusCode::FORBIDDEN => Err(failed(
            "the registry refused the user name or password".into(),
        )),
        s => Err(failed(format!("the registry answered {s}"))),
    }
}

/// A `WWW-Authenticate` header: `Bearer realm="...",service="..."`.
#[derive(Debug, Default)]
struct Challenge {
    scheme: String,
    params: Vec<(String, String)>,
}

impl Challenge {
    fn parse(header: &str) -> Self {
        let header = header.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        let mut params = Vec::new();
        let mut rest = rest.trim();
        while let Some((key, after)) = rest.split_once('=') {
            let key = key
                .trim()
                .trim_start_matches(',')
                .trim()
                .to_ascii_lowercase();
            let after = after.trim_start();
            let (value, next) = match after.strip_prefix('"') {
                Some(quoted) => match quoted.find('"') {
                    Some(end) => (&quoted[..end], &quoted[end + 1..]),
                    None => (quoted, ""),
                },
                None => match after.find(',') {
                    Some(end) => (&after[..end], &after[end..]),
                    None => (after, ""),
                },
            };
            params.push((key, value.to_string()));
            rest = next.trim_start().trim_start_matches(',').trim_start();
        }
        Challenge {
            scheme: scheme.to_string(),
            params,
        }
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_and_basic_challenges() {
        let c = Challenge::parse(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a:pull""#,
        );
        assert_eq!(c.scheme, "Bearer");
        assert_eq!(c.param("realm"), Some("https://auth.example/token"));
        assert_eq!(c.param("service"), Some("registry.example"));
        assert_eq!(c.param("scope"), Some("repository:a:pull"));
        let c = Challenge::parse(r#"Basic realm=Registry"#);
        assert_eq!(c.scheme, "Basic");
        assert_eq!(c.param("realm"), Some("Registry"));
    }

    /// A registry front door: `/v2/` wants Basic auth, or sends clients to a token service
    /// that wants Basic auth, as Docker Hub and distribution's token auth do.
    async fn stub_registry(bearer: bool) -> String {
        use axum::http::{HeaderMap, StatusCode, header};
        use axum::response::IntoResponse;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let good = |h: &HeaderMap| {
            h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some("Basic YW5uOnJpZ2h0") // ann:right
        };
        let realm = format!("http://{addr}/token");
        let v2 = move |h: HeaderMap| {
            let realm = realm.clone();
            async move {
                if !bearer && good(&h) {
                    return StatusCode::OK.into_response();
                }
                let challenge = if bearer {
                    format!("Bearer realm=\"{realm}\",service=\"stub\"")
                } else {
                    "Basic realm=\"stub\"".to_string()
                };
                (
                    StatusCode::UNAUTHORIZED,
                    [(header::WWW_AUTHENTICATE, challenge)],
                )
                    .into_response()
            }
        };
        let token = move |h: HeaderMap| async move {
            if good(&h) {
                (StatusCode::OK, "{\"token\":\"t\"}").into_response()
            } else {
                StatusCode::UNAUTHORIZED.into_response()
            }
        };
        let app = axum::Router::new()
            .route("/v2/", axum::routing::get(v2))
            .route("/token", axum::routing::get(token));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr.to_string()
    }

    #[tokio::test]
    async fn login_checks_basic_and_bearer_credentials_before_storing() {
        let dir = tempfile::tempdir().unwrap();
        let opts = RegistryOptions {
            credentials: Some(CredentialStore::at(dir.path().join("config.json"))),
            ..Default::default()
        };
        let credential = |password: &str| Credential {
            username: "ann".into(),
            password: password.into(),
        };
        for bearer in [false, true] {
            let host = stub_registry(bearer).await;
            let err = login(&host, &credential("wrong"), &opts).await.unwrap_err();
            assert!(
                matches!(err, RegistryError::LoginFailed { .. })
                    && err.to_string().contains("refused"),
                "{err}"
            );
            let store = opts.credentials.as_ref().unwrap();
            assert_eq!(
                store.get(&host).unwrap(),
                None,
                "a refused login was stored"
            );
            assert_eq!(
                login(&host, &credential("right"), &opts).await.unwrap(),
                host
            );
            assert_eq!(store.get(&host).unwrap(), Some(credential("right")));
            assert!(logout(&format!("oci://{host}/charts"), &opts).unwrap());
        }
        // Nothing listening: a connection error that names the registry.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().to_string()
        };
        let err = login(&closed, &credential("x"), &opts).await.unwrap_err();
        assert!(err.to_string().contains("cannot connect"), "{err}");
    }

    #[tokio::test]
    async fn an_identity_token_is_traded_for_an_access_token_of_the_scope() {
        use axum::http::{StatusCode, header};
        use axum::response::IntoResponse;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let challenge = format!("Bearer realm=\"http://{addr}/token\",service=\"stub\"");
        let v2 = move || {
            let challenge = challenge.clone();
            async move {
                (
                    StatusCode::UNAUTHORIZED,
                    [(header::WWW_AUTHENTICATE, challenge)],
                )
                    .into_response()
            }
        };
        // The form as a token service reads it: refresh_token grant, scope and service.
        let token = |body: String| async move {
            let wanted = [
                "grant_type=refresh_token",
                "refresh_token=idt%2B1",
                "scope=repository%3Acharts%2Fa%3Apull",
                "service=stub",
            ];
            if wanted.iter().all(|w| body.split('&').any(|p| p == *w)) {
                (StatusCode::OK, "{\"access_token\":\"granted\"}").into_response()
            } else {
                (StatusCode::UNAUTHORIZED, body).into_response()
            }
        };
        let app = axum::Router::new()
            .route("/v2/", axum::routing::get(v2))
            .route("/token", axum::routing::post(token));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let host = addr.to_string();
        let tls = TlsOptions::default();
        let scope = "repository:charts/a:pull";
        assert_eq!(
            access_token(&host, true, &tls, "idt+1", scope)
                .await
                .unwrap(),
            "granted"
        );
        let err = access_token(&host, true, &tls, "stale", scope)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("refused the identity token"),
            "{err}"
        );
    }

    #[test]
    fn host_of_accepts_oci_urls_and_refuses_junk() {
        assert_eq!(
            host_of("oci://127.0.0.1:5000/charts").unwrap(),
            "127.0.0.1:5000"
        );
        assert_eq!(host_of("ghcr.io").unwrap(), "ghcr.io");
        assert!(host_of("https://x y").is_err());
        assert!(host_of("").is_err());
    }
}
