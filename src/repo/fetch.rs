//! HTTP(S) for chart repositories: fetching `index.yaml` and downloading
//! archives, with credentials, TLS settings (flags or a repository's stored
//! ones, see [`crate::tls`]), size caps and errors that name the URL and say
//! what to do (401: credentials; 404: wrong URL; 5xx: the server; an untrusted
//! certificate: `--ca-file`).

use std::io::{IsTerminal, Write};
use std::time::Duration;

use tokio::time::Instant;

use reqwest::{StatusCode, Url};
use sha2::{Digest, Sha256};

use super::RepoError;
use super::cache::CachedVersion;
use super::config::{Credentials, Repository};
use super::index::{IndexFile, MAX_INDEX_SIZE};
use crate::tls::{TlsOptions, TlsSource};

/// The largest chart archive downloaded (compressed); the loader caps what it unpacks.
pub const MAX_ARCHIVE_SIZE: u64 = 100 * 1024 * 1024;

/// An index as fetched: the YAML as sent, the parsed index and warnings about skipped entries.
#[derive(Debug)]
pub struct FetchedIndex {
    pub yaml: Vec<u8>,
    pub index: IndexFile,
    pub warnings: Vec<String>,
}

/// One HTTP client for a command's requests, with one set of TLS settings.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    tls: TlsOptions,
    /// Where `tls` came from, for the hint of a TLS error.
    source: TlsSource,
}

impl Fetcher {
    /// A client that trusts the system's CAs only.
    pub fn new() -> Result<Self, RepoError> {
        Self::with_tls(&TlsOptions::default())
    }

    /// A client with TLS settings given as flags.
    pub fn with_tls(tls: &TlsOptions) -> Result<Self, RepoError> {
        Self::build(tls.clone(), TlsSource::Flags)
    }

    /// A client for `repo`: its stored TLS settings, each overridden by one in `flags`.
    pub fn for_repository(repo: &Repository, flags: &TlsOptions) -> Result<Self, RepoError> {
        let source = if flags.is_default() {
            TlsSource::Repository {
                name: repo.name.clone(),
                url: repo.url.clone(),
            }
        } else {
            TlsSource::Flags
        };
        Self::build(flags.or(&repo.tls()), source)
    }

    fn build(tls: TlsOptions, source: TlsSource) -> Result<Self, RepoError> {
        let client = tls
            .client_builder()?
            .user_agent(concat!("ketch/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(15))
            .read_timeout(Timeouts::from_env().stall)
            .build()
            .map_err(|e| tls.build_error(&e))?;
        Ok(Self {
            client,
            tls,
            source,
        })
    }

    /// The error for a request to `url` that failed with `e`: a TLS failure explained, else
    /// `otherwise`.
    fn failed(&self, url: &str, e: &reqwest::Error, otherwise: String) -> RepoError {
        match crate::tls::diagnose(e) {
            Some(failure) => RepoError::Tls {
                url: url.to_string(),
                message: failure.explain(&self.tls, &self.source),
            },
            None => RepoError::Unreachable {
                url: url.to_string(),
                message: otherwise,
            },
        }
    }

    /// Fetches and checks `repo`'s index (`URL/index.yaml`).
    pub async fn index(&self, repo: &Repository) -> Result<FetchedIndex, RepoError> {
        self.index_with_limit(repo, MAX_INDEX_SIZE).await
    }

    /// [`Fetcher::index`] with a size cap of `limit` bytes.
    pub async fn index_with_limit(
        &self,
        repo: &Repository,
        limit: u64,
    ) -> Result<FetchedIndex, RepoError> {
        let url = index_url(&repo.url)?;
        let mut yaml = Vec::new();
        self.download(&url, &repo.credentials(), limit, &mut yaml)
            .await?;
        let origin = url.to_string();
        // Parsing a large index takes seconds: off the async threads, so other fetches go on.
        tokio::task::spawn_blocking(move || {
            let parsed = std::str::from_utf8(&yaml)
                .map_err(|_| super::index::IndexError::Syntax {
                    origin: origin.clone(),
                    message: "not valid UTF-8 (is this a chart repository index?)".into(),
                })
                .and_then(|t| IndexFile::parse(t, &origin));
            parsed
                .map(|(index, warnings)| FetchedIndex {
                    yaml,
                    index,
                    warnings,
                })
                .map_err(RepoError::from)
        })
        .await
        .map_err(|e| RepoError::Client(e.to_string()))?
    }

    /// Streams `url` into `out`, failing past `limit` bytes; returns the
    /// lower-case hex sha256 of what was written.
    pub async fn download(
        &self,
        url: &Url,
        credentials: &Credentials,
        limit: u64,
        out: &mut dyn Write,
    ) -> Result<String, RepoError> {
        let shown = url.to_string();
        let mut request = self.client.get(url.clone());
        request = match credentials {
            Credentials::None => request,
            Credentials::Basic { username, password } => {
                request.basic_auth(username, Some(password))
            }
            Credentials::Bearer(token) => request.bearer_auth(token),
        };
        let timeouts = Timeouts::from_env();
        let deadline = Instant::now() + timeouts.total;
        let mut watch = timeouts.watch(&shown, deadline);
        let sent = tokio::time::timeout_at(watch.until(), request.send()).await;
        let mut response = watch
            .check(sent)?
            .map_err(|e| self.failed(&shown, &e, chain(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(RepoError::Status {
                url: shown,
                status: status.as_u16(),
                reason: status.canonical_reason().unwrap_or("").to_string(),
                hint: hint(status, credentials),
            });
        }
        let too_large = || RepoError::TooLarge {
            url: shown.clone(),
            limit_mib: limit >> 20,
        };
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut hasher = Sha256::new();
        let mut meter = Meter::new(&shown, response.content_length());
        loop {
            let next = tokio::time::timeout_at(watch.until(), response.chunk()).await;
            let Some(next) = watch.received(next)? else {
                continue;
            };
            let chunk = next.map_err(|e| {
                self.failed(&shown, &e, format!("the download broke off: {}", chain(&e)))
            })?;
            let Some(chunk) = chunk else { break };
            watch.bytes += chunk.len() as u64;
            if meter.add(chunk.len() as u64) > limit {
                return Err(too_large());
            }
            hasher.update(&chunk);
            out.write_all(&chunk).map_err(|error| RepoError::Io {
                path: shown.clone(),
                error,
            })?;
        }
        Ok(crate::digest::hex(&hasher.finalize()))
    }
}

/// How long a download may stall and take in all: `KETCH_DOWNLOAD_STALL_TIMEOUT`
/// (seconds in which a server must send at least [`MIN_BYTES_PER_WINDOW`],
/// default 30) and `KETCH_DOWNLOAD_TIMEOUT` (seconds, default 600).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub stall: Duration,
    pub total: Duration,
}

/// Fewer bytes than this in one stall window is a stall (1 byte a second is one).
pub const MIN_BYTES_PER_WINDOW: u64 = 1024;

impl Timeouts {
    pub fn from_env() -> Self {
        let secs = |name: &str, default: u64| {
            let value = std::env::var(name).ok().and_then(|v| v.trim().parse().ok());
            Duration::from_secs(value.filter(|&s| s > 0).unwrap_or(default))
        };
        Self {
            stall: secs("KETCH_DOWNLOAD_STALL_TIMEOUT", 30),
            total: secs("KETCH_DOWNLOAD_TIMEOUT", 600),
        }
    }

    /// A watch over one download of `url` that must end by `deadline`.
    pub fn watch<'a>(&self, url: &'a str, deadline: Instant) -> StallWatch<'a> {
        StallWatch {
            url,
            stall: self.stall,
            total: self.total,
            deadline,
            window_end: Instant::now() + self.stall,
            bytes: 0,
        }
    }
}

/// Cuts a download whose server sends under [`MIN_BYTES_PER_WINDOW`] in a
/// stall window, or that passes its deadline.
pub struct StallWatch<'a> {
    url: &'a str,
    stall: Duration,
    total: Duration,
    deadline: Instant,
    window_end: Instant,
    /// Bytes received in the current window.
    pub bytes: u64,
}

impl StallWatch<'_> {
    /// When the next read must have returned: the window's end or the deadline.
    pub fn until(&self) -> Instant {
        self.window_end.min(self.deadline)
    }

    /// The result of a read bounded by [`StallWatch::until`]: `None` when it
    /// timed out at the end of a window that had enough bytes (read again).
    pub fn received<T>(
        &mut self,
        read: Result<T, tokio::time::error::Elapsed>,
    ) -> Result<Option<T>, RepoError> {
        let now = Instant::now();
        if now >= self.deadline {
            return Err(RepoError::TooSlow {
                url: self.url.to_string(),
                secs: self.total.as_secs(),
            });
        }
        if now >= self.window_end {
            if self.bytes < MIN_BYTES_PER_WINDOW {
                return Err(RepoError::Stalled {
                    url: self.url.to_string(),
                    bytes: self.bytes,
                    secs: self.stall.as_secs(),
                });
            }
            self.window_end = now + self.stall;
            self.bytes = 0;
        }
        Ok(read.ok())
    }

    /// A read that must not time out (the response head): its timeout is a stall.
    pub fn check<T>(
        &mut self,
        read: Result<T, tokio::time::error::Elapsed>,
    ) -> Result<T, RepoError> {
        let value = self.received(read)?.ok_or_else(|| RepoError::Stalled {
            url: self.url.to_string(),
            bytes: 0,
            secs: self.stall.as_secs(),
        })?;
        // The body gets a window of its own.
        self.window_end = Instant::now() + self.stall;
        self.bytes = 0;
        Ok(value)
    }
}

/// Shows a long download's progress on a terminal (stderr), in place.
struct Meter<'a> {
    url: &'a str,
    total: u64,
    expected: Option<u64>,
    started: Instant,
    shown: Option<Instant>,
}

impl<'a> Meter<'a> {
    fn new(url: &'a str, expected: Option<u64>) -> Self {
        Self {
            url,
            total: 0,
            expected,
            started: Instant::now(),
            shown: None,
        }
    }

    /// Counts `n` more bytes; the total so far.
    fn add(&mut self, n: u64) -> u64 {
        self.total += n;
        let now = Instant::now();
        let due = match self.shown {
            None => now - self.started >= Duration::from_secs(1),
            Some(at) => now - at >= Duration::from_millis(250),
        };
        if due && std::io::stderr().is_terminal() {
            let of = self
                .expected
                .map_or(String::new(), |n| format!(" of {} KiB", n >> 10));
            eprint!("\r\x1b[K{}: {} KiB{of}", self.url, self.total >> 10);
            self.shown = Some(now);
        }
        self.total
    }
}

impl Drop for Meter<'_> {
    fn drop(&mut self) {
        if self.shown.is_some() {
            eprint!("\r\x1b[K");
        }
    }
}

/// `URL/index.yaml`, keeping any query string, as Helm builds it.
pub fn index_url(repo_url: &str) -> Result<Url, RepoError> {
    let mut url = parse_url(repo_url)?;
    let path = format!("{}/index.yaml", url.path().trim_end_matches('/'));
    url.set_path(&path);
    Ok(url)
}

/// A chart URL from an index, resolved against the repository's URL when relative.
pub fn chart_url(repo_url: &str, chart_url: &str) -> Result<Url, RepoError> {
    if let Ok(url) = Url::parse(chart_url) {
        return match url.scheme() {
            "http" | "https" => Ok(url),
            other => Err(RepoError::BadChartUrl {
                url: chart_url.to_string(),
                reason: format!("ketch downloads charts over http and https only, not {other}:"),
            }),
        };
    }
    let mut base = parse_url(repo_url)?;
    // The repository URL is a directory: resolve against `URL/`.
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    base.join(chart_url).map_err(|e| RepoError::BadChartUrl {
        url: chart_url.to_string(),
        reason: format!("it is not a URL ({e})"),
    })
}

/// Where to download `entry` of `repo`: its first URL, resolved against the
/// repository, with the repository's credentials only when that URL is on the
/// repository's own server, as Helm does.
pub fn archive_location(
    repo: &Repository,
    chart: &str,
    entry: &CachedVersion,
) -> Result<(Url, Credentials), RepoError> {
    let Some(first) = entry.urls.first() else {
        return Err(RepoError::BadUrl {
            url: format!("{} ({chart} {})", repo.url, entry.version),
            reason: "the index lists no URL for this version".into(),
        });
    };
    let url = chart_url(&repo.url, first)?;
    let credentials = if same_origin(&url, &parse_url(&repo.url)?) {
        repo.credentials()
    } else {
        Credentials::None
    };
    Ok((url, credentials))
}

/// Same scheme, host and port.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// `sha256:HEX` or `HEX` → lower-case hex, the form digests are compared in.
pub fn digest_hex(digest: &str) -> String {
    digest
        .strip_prefix("sha256:")
        .unwrap_or(digest)
        .to_ascii_lowercase()
}

/// An http(s) URL, or an error that says what a repository URL looks like.
pub fn parse_url(text: &str) -> Result<Url, RepoError> {
    let bad = |reason: String| RepoError::BadUrl {
        url: text.to_string(),
        reason,
    };
    let url = Url::parse(text).map_err(|e| bad(format!("{e}; expected http(s)://host/path")))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        "oci" => Err(bad(
            "OCI registries are not added as repositories; use oci:// references directly (`ketch pull oci://...`)".into(),
        )),
        other => Err(bad(format!("unsupported scheme {other:?}; expected http or https"))),
    }
}

fn hint(status: StatusCode, credentials: &Credentials) -> String {
    match status.as_u16() {
        401 | 403 if *credentials == Credentials::None => {
            "; the server wants credentials: add the repository with --username and --password, or --token".into()
        }
        401 | 403 => "; the server refused the credentials: add the repository again with the right ones and --force-update".into(),
        404 => "; nothing there: check the URL (a repository URL is the directory holding index.yaml), or run `ketch repo update`".into(),
        500..=599 => "; the server failed: try again later or tell its operator".into(),
        _ => String::new(),
    }
}

/// An error and its causes on one line (`connection refused` is in the cause).
fn chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

/// Runs `work` unless Ctrl-C comes first: then `work` is dropped, so the
/// temporary files it holds are removed before the command exits.
pub async fn until_interrupted<T, E: From<RepoError>>(
    work: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, E> {
    // The handler is in place before `work` first runs (`ctrl_c()` would only
    // install it when first polled, leaving a moment where Ctrl-C kills outright).
    #[cfg(unix)]
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(|e| RepoError::Client(format!("cannot watch for Ctrl-C: {e}")))?;
    #[cfg(unix)]
    let interrupted = interrupt.recv();
    #[cfg(not(unix))]
    let interrupted = tokio::signal::ctrl_c();
    tokio::select! {
        result = work => result,
        _ = interrupted => Err(RepoError::Interrupted.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_and_chart_urls_resolve_as_in_helm() {
        let index = |u: &str| index_url(u).unwrap().to_string();
        assert_eq!(index("https://h/charts"), "https://h/charts/index.yaml");
        assert_eq!(index("https://h/charts/"), "https://h/charts/index.yaml");
        assert_eq!(
            index("https://h/charts?sig=x"),
            "https://h/charts/index.yaml?sig=x"
        );
        let chart = |repo: &str, c: &str| chart_url(repo, c).unwrap().to_string();
        assert_eq!(
            chart("https://h/charts", "a-1.0.0.tgz"),
            "https://h/charts/a-1.0.0.tgz"
        );
        assert_eq!(
            chart("https://h/charts/", "sub/a.tgz"),
            "https://h/charts/sub/a.tgz"
        );
        assert_eq!(
            chart("https://h/charts", "/abs/a.tgz"),
            "https://h/abs/a.tgz"
        );
        assert_eq!(
            chart("https://h/charts", "https://cdn/a.tgz"),
            "https://cdn/a.tgz"
        );
        assert!(
            parse_url("oci://h/charts")
                .unwrap_err()
                .to_string()
                .contains("oci://")
        );
        assert!(parse_url("h/charts").is_err());
        // An index entry may not send ketch to a file (or any other scheme).
        let err = chart_url("https://h/charts", "file:///etc/passwd")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "file:///etc/passwd: a repository's index lists this as a chart archive, but ketch \
             downloads charts over http and https only, not file:; the index is wrong: tell the \
             repository's owner"
        );
    }
}
