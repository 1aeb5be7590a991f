//! Charts in OCI registries, as Helm stores them: push, pull (by tag, version constraint or
//! digest), list versions, and registry credentials.
//!
//! A chart is an OCI image manifest whose config (`application/vnd.cncf.helm.config.v1+json`)
//! is Chart.yaml as JSON and whose layer (`application/vnd.cncf.helm.chart.content.v1.tar+gzip`)
//! is the chart archive; its tag is the chart version with `+` written as `_`. Registries on
//! loopback (`127.0.0.1`, `localhost`, `[::1]`) are spoken to over plain HTTP unless TLS
//! settings are given, others over HTTPS unless [`RegistryOptions::plain_http`] is set; HTTPS
//! trusts the system's CAs plus [`RegistryOptions::tls`] (`--ca-file`,
//! `--insecure-skip-tls-verify`).

pub mod credentials;
mod login;
pub mod manifest;
pub mod reference;

use std::time::Duration;

use futures::StreamExt;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;
use reqwest::header::HeaderValue;

use crate::archive_cache::ArchiveCache;
use crate::chart::LoadError;
use crate::chart::loader::MAX_CHART_SIZE;
use crate::tls::{TlsOptions, TlsSource};
use crate::version::{Constraint, Version, cmp_precedence};

pub use credentials::{Credential, CredentialStore};
pub use login::{login, logout};
pub use manifest::{CHART_LAYER_MEDIA_TYPE, CONFIG_MEDIA_TYPE};
pub use reference::{ChartReference, tag_to_version, version_to_tag};

const USER_AGENT: &str = concat!("ketch/", env!("CARGO_PKG_VERSION"));
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
const READ_TIMEOUT: Duration = Duration::from_secs(120);
/// Tags asked for per page of `tags/list`.
const TAGS_PAGE: usize = 1000;

/// How to reach registries.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// Plain HTTP for every registry (loopback registries get it unless `tls` says otherwise).
    pub plain_http: bool,
    /// Credentials for this call, before any stored ones.
    pub credential: Option<Credential>,
    /// Where `ketch registry login` keeps credentials; `None` is the default location
    /// (`KETCH_CONFIG_HOME`). Helm's, Podman's and Docker's files are consulted after it
    /// (see [`credentials`]).
    pub credentials: Option<CredentialStore>,
    /// Archives already downloaded, by sha256: a pull whose chart layer is cached reads the
    /// manifest only; a downloaded layer is added.
    pub archive_cache: Option<ArchiveCache>,
    /// TLS: extra CAs, skipping verification (default: the system trust store).
    pub tls: TlsOptions,
}

/// A chart archive pulled from a registry.
#[derive(Debug, Clone)]
pub struct PulledChart {
    /// The chart archive (`.tgz`), verified against the layer digest.
    pub bytes: Vec<u8>,
    /// The manifest digest (`sha256:...`): what `oci://...@DIGEST` and `helm pull` name.
    /// The archive's own sha256 is that of [`PulledChart::bytes`].
    pub digest: String,
    /// Chart name and version from the archive's Chart.yaml.
    pub name: String,
    pub version: String,
    /// Read from [`RegistryOptions::archive_cache`]: no blob was downloaded.
    pub cached: bool,
}

/// Where a chart was pushed.
#[derive(Debug, Clone)]
pub struct PushedChart {
    /// `oci://host/path/NAME:TAG`.
    pub reference: String,
    /// The manifest digest (`sha256:...`).
    pub digest: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(
        "{reference}: not a chart reference: {reason}; expected oci://HOST[:PORT]/PATH/CHART[:VERSION] or ...@sha256:DIGEST"
    )]
    InvalidReference { reference: String, reason: String },
    #[error("{remote}: {reason}")]
    InvalidRemote { remote: String, reason: String },
    #[error(
        "{reference}: the reference says version {tag} but --version asks for {version}; give one of them"
    )]
    VersionConflict {
        reference: String,
        tag: String,
        version: String,
    },
    #[error("{reference}: --version {version:?}: {reason}")]
    InvalidVersion {
        reference: String,
        version: String,
        reason: String,
    },
    #[error(
        "{reference}: no version matches {constraint}{}",
        available_hint(constraint, available)
    )]
    NoMatchingVersion {
        reference: String,
        constraint: String,
        available: Vec<String>,
    },
    #[error("{reference}: not found in the registry; check the repository path and the version")]
    NotFound { reference: String },
    #[error(
        "{registry}: access denied ({message}); log in with `ketch registry login {registry}` or check your permissions"
    )]
    Unauthorized { registry: String, message: String },
    #[error("{registry}: {message}")]
    Tls { registry: String, message: String },
    #[error(transparent)]
    TlsSetup(#[from] crate::tls::TlsError),
    #[error("{registry}: cannot connect ({message}){}", plain_http_hint(*plain))]
    Unreachable {
        registry: String,
        message: String,
        plain: bool,
    },
    #[error("{reference}: the registry answered with an error: {message}")]
    Registry { reference: String, message: String },
    /// A blob download that stalled or passed its deadline.
    #[error(transparent)]
    Download(#[from] crate::repo::RepoError),
    #[error(
        "{reference}: not a Helm chart (config media type {media_type:?}, expected {CONFIG_MEDIA_TYPE})"
    )]
    NotAChart {
        reference: String,
        media_type: String,
    },
    #[error("{reference}: the manifest has no chart layer ({CHART_LAYER_MEDIA_TYPE})")]
    NoChartLayer { reference: String },
    #[error("{reference}: the chart layer is {size} bytes, over the {limit} byte limit")]
    TooLarge {
        reference: String,
        size: u64,
        limit: u64,
    },
    #[error(
        "{reference}: the chart layer does not match its digest (expected {expected}, got {actual})"
    )]
    DigestMismatch {
        reference: String,
        expected: String,
        actual: String,
    },
    #[error(
        "{reference}: the archive's Chart.yaml says {field} {found:?}, the reference says {expected:?}"
    )]
    Mismatch {
        reference: String,
        field: &'static str,
        expected: String,
        found: String,
    },
    #[error(transparent)]
    Archive(#[from] LoadError),
    #[error("{path}: {message}")]
    Credentials { path: String, message: String },
    #[error("{registry}: credential helper {helper} (named in {config}): {message}")]
    CredentialHelper {
        registry: String,
        helper: String,
        config: String,
        message: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{registry}: login failed: {message}")]
    LoginFailed { registry: String, message: String },
}

fn available_hint(constraint: &str, available: &[String]) -> String {
    if available.is_empty() {
        "; the repository has no chart versions".into()
    } else {
        let shown = crate::version::closest(constraint, available, 10);
        let more = if available.len() > shown.len() {
            ", ..."
        } else {
            ""
        };
        format!("; closest: {}{more}", shown.join(", "))
    }
}

fn plain_http_hint(plain: bool) -> &'static str {
    if plain {
        "; is the registry running?"
    } else {
        "; is the registry running, and does it speak HTTPS? Use --plain-http for an HTTP-only registry"
    }
}

/// Pulls a chart archive. `reference` may carry a tag or digest; otherwise `version` (an exact
/// version or a constraint such as `^1.2`) picks among the repository's tags, and without
/// either the highest stable version is pulled, as Helm does.
pub async fn pull_chart(
    reference: &str,
    version: Option<&str>,
    opts: &RegistryOptions,
) -> Result<PulledChart, RegistryError> {
    let parsed = ChartReference::parse(reference)?;
    let mut session = Session::new(&parsed, opts)?;
    session.authorize(&parsed, false).await?;
    let target = match (&parsed.tag, &parsed.digest, version) {
        (_, Some(_), _) => parsed.clone(),
        (Some(tag), None, Some(v)) if *tag != version_to_tag(v) => {
            return Err(RegistryError::VersionConflict {
                reference: parsed.to_string(),
                tag: tag_to_version(tag),
                version: v.to_string(),
            });
        }
        (Some(_), None, _) => parsed.clone(),
        (None, None, Some(v)) if Version::parse(v).is_ok() => parsed.with_tag(v),
        (None, None, v) => {
            let constraint_text = v.unwrap_or("*");
            let constraint =
                Constraint::parse(constraint_text).map_err(|e| RegistryError::InvalidVersion {
                    reference: parsed.to_string(),
                    version: constraint_text.to_string(),
                    reason: e.to_string(),
                })?;
            let available = session.tags(&parsed).await?;
            let versions: Vec<Version> = available
                .iter()
                .filter_map(|t| Version::parse(t).ok())
                .collect();
            match crate::version::highest_match(&constraint, &versions) {
                Some(best) => parsed.with_tag(&best.to_string()),
                None => {
                    return Err(RegistryError::NoMatchingVersion {
                        reference: parsed.to_string(),
                        constraint: constraint_text.to_string(),
                        available,
                    });
                }
            }
        }
    };
    let pulled = session.pull(&target).await?;
    if parsed.digest.is_some()
        && let Some(v) = version
        && pulled.version != v
    {
        return Err(RegistryError::Mismatch {
            reference: target.to_string(),
            field: "version",
            expected: v.to_string(),
            found: pulled.version,
        });
    }
    Ok(pulled)
}

/// The chart versions in a repository (tags that are strict SemVer, `_` read as `+`), highest
/// first. A tag or digest in `reference` is ignored.
pub async fn tags(reference: &str, opts: &RegistryOptions) -> Result<Vec<String>, RegistryError> {
    let parsed = ChartReference::parse(reference)?;
    let mut session = Session::new(&parsed, opts)?;
    session.authorize(&parsed, false).await?;
    session.tags(&parsed).await
}

/// Pushes a chart archive to `remote` (`oci://host[:port]/path`): it lands at
/// `remote/NAME:VERSION`, as `helm push` puts it.
pub async fn push_chart(
    archive: &[u8],
    remote: &str,
    opts: &RegistryOptions,
) -> Result<PushedChart, RegistryError> {
    let chart = crate::chart::load_archive(archive, "the chart archive")?;
    let metadata = chart.metadata;
    let base = remote.trim_end_matches('/');
    let path = base
        .strip_prefix(reference::SCHEME)
        .and_then(|rest| rest.split_once('/'))
        .map_or("", |(_, path)| path);
    if base.contains('@') || path.contains(':') {
        return Err(RegistryError::InvalidRemote {
            remote: remote.to_string(),
            reason: "give the repository without a tag or digest (oci://HOST/PATH); ketch adds \
                     NAME:VERSION from Chart.yaml"
                .into(),
        });
    }
    let namespace = ChartReference::parse(&format!("{base}/{}", metadata.name)).map_err(|e| {
        let reason = match e {
            RegistryError::InvalidReference { reason, .. } => reason,
            other => other.to_string(),
        };
        RegistryError::InvalidRemote {
            remote: remote.to_string(),
            reason: format!("not an OCI repository ({reason}); expected oci://HOST[:PORT]/PATH"),
        }
    })?;
    let target = namespace.with_tag(&metadata.version);
    let artifact = manifest::chart_artifact(&metadata, archive, crate::timestamp::build_time())
        .map_err(|e| RegistryError::Registry {
            reference: target.to_string(),
            message: format!("cannot encode the manifest: {e}"),
        })?;
    let mut session = Session::new(&target, opts)?;
    session.authorize(&target, true).await?;
    session.push(&target, archive, &artifact).await?;
    Ok(PushedChart {
        reference: target.to_string(),
        digest: artifact.manifest_digest,
    })
}

/// One registry conversation: a client and the credentials for the reference's registry.
struct Session {
    client: oci_client::Client,
    auth: RegistryAuth,
    registry: String,
    plain: bool,
    cache: Option<ArchiveCache>,
    tls: TlsOptions,
    /// An identity token not yet traded for an access token ([`Session::authorize`]).
    identity_token: Option<String>,
}

impl Session {
    fn new(reference: &ChartReference, opts: &RegistryOptions) -> Result<Self, RegistryError> {
        let plain = opts.plain_http || (reference.is_loopback() && opts.tls.is_default());
        let mut config = ClientConfig {
            protocol: if plain {
                ClientProtocol::Http
            } else {
                ClientProtocol::Https
            },
            platform_resolver: None,
            user_agent: USER_AGENT,
            connect_timeout: Some(CONNECT_TIMEOUT),
            read_timeout: Some(READ_TIMEOUT),
            ..Default::default()
        };
        opts.tls.configure_oci(&mut config)?;
        let client =
            oci_client::Client::try_from(config).map_err(|e| RegistryError::Unreachable {
                registry: reference.registry.clone(),
                message: format!("cannot set up an HTTP client: {e}"),
                plain,
            })?;
        let (auth, identity_token) = match credential_for(&reference.registry, opts)? {
            Some(c) if c.is_identity_token() => (RegistryAuth::Anonymous, Some(c.password)),
            Some(c) => (RegistryAuth::Basic(c.username, c.password), None),
            None => (RegistryAuth::Anonymous, None),
        };
        Ok(Session {
            client,
            auth,
            registry: reference.registry.clone(),
            plain,
            cache: opts.archive_cache.clone(),
            tls: opts.tls.clone(),
            identity_token,
        })
    }

    /// With an identity token, trades it for an access token to `reference`'s repository
    /// (to pull, or also to push); other credentials go to the registry as they are.
    async fn authorize(
        &mut self,
        reference: &ChartReference,
        push: bool,
    ) -> Result<(), RegistryError> {
        let Some(identity_token) = self.identity_token.take() else {
            return Ok(());
        };
        let actions = if push { "pull,push" } else { "pull" };
        let scope = format!(
            "repository:{}:{actions}",
            reference.with_tag("latest").to_oci().repository()
        );
        let token = login::access_token(
            &self.registry,
            self.plain,
            &self.tls,
            &identity_token,
            &scope,
        )
        .await?;
        self.auth = RegistryAuth::Bearer(token);
        Ok(())
    }

    async fn tags(&self, reference: &ChartReference) -> Result<Vec<String>, RegistryError> {
        let oci = reference.with_tag("latest").to_oci();
        let mut raw = Vec::new();
        let mut last: Option<String> = None;
        loop {
            let page = self
                .client
                .list_tags(&oci, &self.auth, Some(TAGS_PAGE), last.as_deref())
                .await
                .map_err(|e| self.error(reference, e))?;
            let count = page.tags.len();
            last = page.tags.last().cloned();
            raw.extend(page.tags);
            if count < TAGS_PAGE || last.is_none() {
                break;
            }
        }
        let mut versions: Vec<Version> = raw
            .iter()
            .filter_map(|tag| Version::parse(&tag_to_version(tag)).ok())
            .collect();
        versions.sort_by(|a, b| cmp_precedence(b, a).then_with(|| b.cmp(a)));
        versions.dedup();
        Ok(versions.iter().map(Version::to_string).collect())
    }

    async fn pull(&self, reference: &ChartReference) -> Result<PulledChart, RegistryError> {
        let shown = reference.to_string();
        let oci = reference.to_oci();
        let (oci_manifest, digest, _config) = self
            .client
            .pull_manifest_and_config(&oci, &self.auth)
            .await
            .map_err(|e| self.error(reference, e))?;
        if oci_manifest.config.media_type != CONFIG_MEDIA_TYPE {
            return Err(RegistryError::NotAChart {
                reference: shown,
                media_type: oci_manifest.config.media_type.clone(),
            });
        }
        let layer =
            manifest::chart_layer(&oci_manifest).ok_or_else(|| RegistryError::NoChartLayer {
                reference: shown.clone(),
            })?;
        let cached = self.cached_layer(&layer.digest, &shown)?;
        let bytes = match &cached {
            Some(bytes) => bytes.clone(),
            None => self.pull_layer(reference, &oci, layer).await?,
        };
        let (name, version) = chart_identity(&bytes, &shown)?;
        if name != reference.name() {
            return Err(RegistryError::Mismatch {
                reference: shown,
                field: "name",
                expected: reference.name().to_string(),
                found: name,
            });
        }
        if let Some(tag) = &reference.tag
            && reference.digest.is_none()
            && version_to_tag(&version) != *tag
        {
            return Err(RegistryError::Mismatch {
                reference: shown,
                field: "version",
                expected: tag_to_version(tag),
                found: version,
            });
        }
        if cached.is_none()
            && let Some(cache) = &self.cache
        {
            cache.put(
                crate::repo::fetch::digest_hex(&layer.digest).as_str(),
                &bytes,
            );
        }
        Ok(PulledChart {
            bytes,
            digest,
            name,
            version,
            cached: cached.is_some(),
        })
    }

    /// The chart layer from the archive cache, if it is there.
    fn cached_layer(&self, digest: &str, shown: &str) -> Result<Option<Vec<u8>>, RegistryError> {
        let Some(cache) = &self.cache else {
            return Ok(None);
        };
        let Some(hex) = digest.strip_prefix("sha256:") else {
            return Ok(None);
        };
        cache.get(hex).map_err(|t| RegistryError::DigestMismatch {
            reference: format!("{shown} (cached as {})", t.path.display()),
            expected: digest.to_string(),
            actual: format!("sha256:{}", t.actual),
        })
    }

    /// Downloads the chart layer, within [`MAX_CHART_SIZE`] and the download timeouts, and
    /// checks it against its digest.
    async fn pull_layer(
        &self,
        reference: &ChartReference,
        oci: &oci_client::Reference,
        layer: &oci_client::manifest::OciDescriptor,
    ) -> Result<Vec<u8>, RegistryError> {
        let shown = reference.to_string();
        let too_large = |size: u64| RegistryError::TooLarge {
            reference: shown.clone(),
            size,
            limit: MAX_CHART_SIZE,
        };
        let declared = u64::try_from(layer.size).unwrap_or(0);
        if declared > MAX_CHART_SIZE {
            return Err(too_large(declared));
        }
        let mut stream = self
            .client
            .pull_blob_stream(oci, layer)
            .await
            .map_err(|e| self.error(reference, e))?;
        let mut bytes = Vec::with_capacity(declared as usize);
        let timeouts = crate::repo::fetch::Timeouts::from_env();
        let mut watch = timeouts.watch(&shown, tokio::time::Instant::now() + timeouts.total);
        loop {
            let next = tokio::time::timeout_at(watch.until(), stream.next()).await;
            let Some(next) = watch.received(next)? else {
                continue;
            };
            let Some(chunk) = next else { break };
            let chunk =
                chunk.map_err(|e| self.error(reference, OciDistributionError::IoError(e)))?;
            if (bytes.len() + chunk.len()) as u64 > MAX_CHART_SIZE {
                return Err(too_large((bytes.len() + chunk.len()) as u64));
            }
            watch.bytes += chunk.len() as u64;
            bytes.extend_from_slice(&chunk);
        }
        let actual = manifest::sha256_digest(&bytes);
        if actual != layer.digest {
            return Err(RegistryError::DigestMismatch {
                reference: shown,
                expected: layer.digest.clone(),
                actual,
            });
        }
        Ok(bytes)
    }

    async fn push(
        &self,
        reference: &ChartReference,
        archive: &[u8],
        artifact: &manifest::ChartArtifact,
    ) -> Result<(), RegistryError> {
        let oci = reference.to_oci();
        let fail = |e| self.error(reference, e);
        self.client
            .store_auth_if_needed(oci.resolve_registry(), &self.auth)
            .await;
        for (data, digest) in [
            (archive.to_vec(), &artifact.layer_digest),
            (artifact.config.clone(), &artifact.config_digest),
        ] {
            if !self.client.blob_exists(&oci, digest).await.map_err(fail)? {
                self.client
                    .push_blob(&oci, data, digest)
                    .await
                    .map_err(fail)?;
            }
        }
        self.client
            .push_manifest_raw(
                &oci,
                artifact.manifest.clone(),
                HeaderValue::from_static(oci_client::manifest::OCI_IMAGE_MEDIA_TYPE),
            )
            .await
            .map_err(fail)?;
        Ok(())
    }

    /// Puts oci-client's error in the user's terms: what, where, and what to do.
    fn error(&self, reference: &ChartReference, e: OciDistributionError) -> RegistryError {
        let denied = |message: String| RegistryError::Unauthorized {
            registry: self.registry.clone(),
            message,
        };
        if let Some(failure) = crate::tls::diagnose(&e) {
            return RegistryError::Tls {
                registry: self.registry.clone(),
                message: failure.explain(&self.tls, &TlsSource::Flags),
            };
        }
        match e {
            OciDistributionError::UnauthorizedError { .. } => denied("401 Unauthorized".into()),
            OciDistributionError::AuthenticationFailure(m) => denied(m),
            OciDistributionError::ImageManifestNotFoundError(_) => RegistryError::NotFound {
                reference: reference.to_string(),
            },
            OciDistributionError::RegistryError { envelope, .. } => {
                let codes: Vec<&OciErrorCode> = envelope.errors.iter().map(|e| &e.code).collect();
                let message = envelope
                    .errors
                    .iter()
                    .map(|e| format!("{:?}: {}", e.code, e.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                if codes.iter().any(|c| {
                    matches!(
                        c,
                        OciErrorCode::ManifestUnknown
                            | OciErrorCode::NameUnknown
                            | OciErrorCode::NotFound
                    )
                }) {
                    RegistryError::NotFound {
                        reference: reference.to_string(),
                    }
                } else if codes
                    .iter()
                    .any(|c| matches!(c, OciErrorCode::Unauthorized | OciErrorCode::Denied))
                {
                    denied(message)
                } else {
                    RegistryError::Registry {
                        reference: reference.to_string(),
                        message,
                    }
                }
            }
            OciDistributionError::ServerError { code: 404, .. } => RegistryError::NotFound {
                reference: reference.to_string(),
            },
            OciDistributionError::ServerError { code, message, .. }
                if code == 401 || code == 403 =>
            {
                denied(format!("HTTP {code} {}", message.trim()))
            }
            // A HEAD (blob_exists) answered 401/403 has no body to parse: only a status.
            OciDistributionError::RequestError(e)
                if matches!(e.status().map(|s| s.as_u16()), Some(401 | 403)) =>
            {
                let status = e.status().map(|s| s.to_string()).unwrap_or_default();
                denied(format!("HTTP {status}"))
            }
            OciDistributionError::RequestError(e) if e.is_connect() || e.is_timeout() => {
                RegistryError::Unreachable {
                    registry: self.registry.clone(),
                    message: error_chain(&e),
                    plain: self.plain,
                }
            }
            other => RegistryError::Registry {
                reference: reference.to_string(),
                message: error_chain(&other),
            },
        }
    }
}

/// The credential to use for `registry`: the one given for this call, else ketch's store,
/// else Helm's, Podman's and Docker's files (see [`credentials`]).
fn credential_for(
    registry: &str,
    opts: &RegistryOptions,
) -> Result<Option<Credential>, RegistryError> {
    if let Some(c) = &opts.credential {
        return Ok(Some(c.clone()));
    }
    let store = match &opts.credentials {
        Some(store) => Some(store.clone()),
        // No config home at all: nothing stored, fall through to the other files.
        None => CredentialStore::default_location().ok(),
    };
    if let Some(c) = store.map(|s| s.get(registry)).transpose()?.flatten() {
        return Ok(Some(c));
    }
    credentials::external_credential(registry)
}

/// Name and version from the archive's Chart.yaml, read with the safe archive reader.
fn chart_identity(archive: &[u8], origin: &str) -> Result<(String, String), RegistryError> {
    #[derive(serde::Deserialize)]
    struct Identity {
        name: String,
        version: String,
    }
    let files = crate::chart::read_archive(archive, origin)?;
    let chart_yaml = files
        .iter()
        .find(|f| f.path == "Chart.yaml")
        .ok_or_else(|| LoadError::MissingChartYaml {
            chart: origin.to_string(),
        })?;
    let text = std::str::from_utf8(&chart_yaml.data).map_err(|_| LoadError::NotUtf8 {
        path: format!("{origin}/Chart.yaml"),
    })?;
    let identity: Identity =
        crate::yaml::parse(text, &format!("{origin}/Chart.yaml")).map_err(LoadError::Yaml)?;
    Ok((identity.name, identity.version))
}

/// An error and its sources on one line (reqwest hides the useful part in the chain).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}
