//! Registry credentials, looked up as Docker, Podman and Helm users keep them. In order:
//!
//! 1. ketch's own store (`<config home>/registry/config.json`, written by `ketch registry
//!    login`, mode 0600);
//! 2. Helm's registry config (`$HELM_REGISTRY_CONFIG`, else `$HELM_CONFIG_HOME/registry/
//!    config.json`, else `$XDG_CONFIG_HOME/helm/...`, else `~/.config/helm/registry/config.json`);
//! 3. `$REGISTRY_AUTH_FILE` (Podman's and skopeo's `auth.json`), when set;
//! 4. Docker's config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`).
//!
//! All use Docker's format. In each file, `credHelpers[HOST]` names a credential helper for
//! the registry, else `auths[HOST]` holds `{"auth": base64("user:password")}` (or
//! `username`/`password`), else `credsStore` names the helper for every registry. A helper
//! `NAME` is the program `docker-credential-NAME` on PATH, run as `docker-credential-NAME get`
//! with the registry on standard input; it prints `{"ServerURL","Username","Secret"}`, or
//! "credentials not found" and a non-zero exit for none. A `<token>` user name (or an
//! `identitytoken` in `auths`) means the secret is an identity token, an OAuth2 refresh token
//! traded for an access token at the registry's token service. The first file that has a
//! credential for the registry wins.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};

use super::RegistryError;

/// A user name and password (or token) for one registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub username: String,
    pub password: String,
}

/// The user name Docker's credential helpers give for an identity token.
pub const IDENTITY_TOKEN_USER: &str = "<token>";

impl Credential {
    /// The secret is an identity token (an OAuth2 refresh token), not a password.
    pub fn is_identity_token(&self) -> bool {
        self.username == IDENTITY_TOKEN_USER
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// ketch's credentials file.
#[derive(Debug, Clone)]
pub struct CredentialStore {
    path: PathBuf,
}

impl CredentialStore {
    /// The store under ketch's config home (`KETCH_CONFIG_HOME`, see [`crate::paths`]).
    pub fn default_location() -> Result<Self, RegistryError> {
        let home = crate::paths::config_home().ok_or_else(|| RegistryError::Credentials {
            path: "~/.config/ketch".into(),
            message: "cannot tell where ketch's configuration lives: set KETCH_CONFIG_HOME or HOME"
                .into(),
        })?;
        Ok(Self::at(home.join("registry").join("config.json")))
    }

    pub fn at(path: impl Into<PathBuf>) -> Self {
        CredentialStore { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The credential stored for `host` (`host[:port]`), if any.
    pub fn get(&self, host: &str) -> Result<Option<Credential>, RegistryError> {
        credential_in(&self.path, host)
    }

    /// Stores (or replaces) the credential for `host`.
    pub fn set(&self, host: &str, credential: &Credential) -> Result<(), RegistryError> {
        let mut document = self.read_document()?;
        let auth = BASE64.encode(format!("{}:{}", credential.username, credential.password));
        auths_mut(&mut document).insert(host.to_string(), json!({ "auth": auth }));
        self.write_document(&document)
    }

    /// Forgets the credential for `host`; `false` when there was none.
    pub fn remove(&self, host: &str) -> Result<bool, RegistryError> {
        let mut document = self.read_document()?;
        let auths = auths_mut(&mut document);
        let keys: Vec<String> = auths
            .keys()
            .filter(|k| normalize_host(k) == host)
            .cloned()
            .collect();
        if keys.is_empty() {
            return Ok(false);
        }
        for key in keys {
            auths.remove(&key);
        }
        self.write_document(&document)?;
        Ok(true)
    }

    fn read_document(&self) -> Result<Value, RegistryError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| RegistryError::Credentials {
                path: self.path.display().to_string(),
                message: format!("not valid JSON ({e}); fix or delete the file"),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(json!({ "auths": {} })),
            Err(e) => Err(io_error(&self.path, e)),
        }
    }

    /// Writes the file atomically (temporary file, then rename), readable by the owner only.
    fn write_document(&self, document: &Value) -> Result<(), RegistryError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        create_private_dir(dir)?;
        let text = serde_json::to_vec_pretty(document).map_err(|e| RegistryError::Credentials {
            path: self.path.display().to_string(),
            message: e.to_string(),
        })?;
        let tmp = dir.join(format!(".config.json.{}.tmp", std::process::id()));
        let result = (|| {
            let mut file = private_file(&tmp)?;
            file.write_all(&text)?;
            file.write_all(b"\n")?;
            file.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(io_error(&self.path, e));
        }
        Ok(())
    }
}

/// Docker's config file: `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`.
pub fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = env_path("DOCKER_CONFIG") {
        return Some(dir.join("config.json"));
    }
    crate::paths::home_dir().map(|home| home.join(".docker").join("config.json"))
}

/// Helm's registry config: `$HELM_REGISTRY_CONFIG`, else `registry/config.json` in Helm's
/// config home (`$HELM_CONFIG_HOME`, `$XDG_CONFIG_HOME/helm` or `~/.config/helm`).
pub fn helm_registry_config_path() -> Option<PathBuf> {
    if let Some(path) = env_path("HELM_REGISTRY_CONFIG") {
        return Some(path);
    }
    let home = env_path("HELM_CONFIG_HOME")
        .or_else(|| env_path("XDG_CONFIG_HOME").map(|d| d.join("helm")))
        .or_else(|| crate::paths::home_dir().map(|h| h.join(".config").join("helm")))?;
    Some(home.join("registry").join("config.json"))
}

/// The files consulted after ketch's own store, in order (see the module docs).
pub fn other_config_paths() -> Vec<PathBuf> {
    [
        helm_registry_config_path(),
        env_path("REGISTRY_AUTH_FILE"),
        docker_config_path(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The credential for `host` from Helm's, Podman's or Docker's files; missing files hold none.
pub fn external_credential(host: &str) -> Result<Option<Credential>, RegistryError> {
    for path in other_config_paths() {
        if let Some(credential) = credential_in(&path, host)? {
            return Ok(Some(credential));
        }
    }
    Ok(None)
}

/// The credential for `host` in the Docker-format file at `path`: its `credHelpers` entry,
/// else its `auths` entry, else its `credsStore`. A missing file holds none.
pub fn credential_in(path: &Path, host: &str) -> Result<Option<Credential>, RegistryError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, e)),
    };
    let document: Value =
        serde_json::from_slice(&bytes).map_err(|e| RegistryError::Credentials {
            path: path.display().to_string(),
            message: format!("not valid JSON ({e}); fix or delete the file"),
        })?;
    let helpers = document.get("credHelpers").and_then(Value::as_object);
    if let Some(helper) = helpers
        .and_then(|h| find_entry(h, host))
        .and_then(Value::as_str)
    {
        return run_helper(helper, host, path);
    }
    if let Some(auths) = document.get("auths").and_then(Value::as_object)
        && let Some(credential) = lookup(auths, host, path)?
    {
        return Ok(Some(credential));
    }
    match document.get("credsStore").and_then(Value::as_str) {
        Some(helper) if !helper.is_empty() => run_helper(helper, host, path),
        _ => Ok(None),
    }
}

/// What a credential helper prints for `get`.
#[derive(serde::Deserialize)]
struct HelperReply {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// Runs `docker-credential-HELPER get` for `host`, as Docker's credential-helper protocol says.
fn run_helper(
    helper: &str,
    host: &str,
    config: &Path,
) -> Result<Option<Credential>, RegistryError> {
    let program = format!("docker-credential-{helper}");
    let failed = |message: String| RegistryError::CredentialHelper {
        registry: host.to_string(),
        helper: program.clone(),
        config: config.display().to_string(),
        message,
    };
    let valid = !helper.is_empty()
        && helper
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !valid {
        return Err(failed(
            "not a helper name (letters, digits, '-', '_', '.'); fix the file".into(),
        ));
    }
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            failed(if e.kind() == std::io::ErrorKind::NotFound {
                format!("{program} is not on PATH; install it, or remove it from the file")
            } else {
                format!("cannot run it: {e}")
            })
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading is judged by its exit status below.
        let _ = stdin.write_all(host.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| failed(format!("cannot run it: {e}")))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        if stdout
            .to_ascii_lowercase()
            .contains("credentials not found")
        {
            return Ok(None);
        }
        let said: String = format!(
            "{} {}",
            stdout.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .trim()
        .chars()
        .take(300)
        .collect();
        return Err(failed(format!(
            "`{program} get` failed ({}): {said}",
            out.status
        )));
    }
    // The output is never shown: it may hold the secret.
    let reply: HelperReply = serde_json::from_slice(&out.stdout).map_err(|e| {
        failed(format!(
            "`{program} get` printed {} bytes that are not the credential-helper JSON \
             {{\"ServerURL\",\"Username\",\"Secret\"}} ({e}); check the helper",
            out.stdout.len()
        ))
    })?;
    if reply.secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(Credential {
        username: reply.username,
        password: reply.secret,
    }))
}

fn auths_mut(document: &mut Value) -> &mut Map<String, Value> {
    if !document.is_object() {
        *document = json!({});
    }
    let object = document.as_object_mut().expect("made an object above");
    let auths = object
        .entry("auths")
        .or_insert_with(|| Value::Object(Map::new()));
    if !auths.is_object() {
        *auths = Value::Object(Map::new());
    }
    auths.as_object_mut().expect("made an object above")
}

/// The entry for `host`, whose key may be written as `https://host/v1/` (Docker Hub style).
fn find_entry<'a>(entries: &'a Map<String, Value>, host: &str) -> Option<&'a Value> {
    entries.get(host).or_else(|| {
        entries
            .iter()
            .find(|(k, _)| normalize_host(k) == host)
            .map(|(_, v)| v)
    })
}

/// The credential in `auths` for `host`.
fn lookup(
    auths: &Map<String, Value>,
    host: &str,
    path: &Path,
) -> Result<Option<Credential>, RegistryError> {
    let Some(entry) = find_entry(auths, host) else {
        return Ok(None);
    };
    // `docker login` keeps a refresh token here when the registry gave one.
    if let Some(token) = entry
        .get("identitytoken")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    {
        return Ok(Some(Credential {
            username: IDENTITY_TOKEN_USER.to_string(),
            password: token.to_string(),
        }));
    }
    let bad = |message: &str| RegistryError::Credentials {
        path: path.display().to_string(),
        message: format!("auths.{host}: {message}"),
    };
    if let Some(auth) = entry
        .get("auth")
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty())
    {
        let decoded = BASE64
            .decode(auth.trim())
            .map_err(|_| bad("`auth` is not base64"))?;
        let text = String::from_utf8(decoded).map_err(|_| bad("`auth` is not UTF-8"))?;
        let Some((username, password)) = text.split_once(':') else {
            return Err(bad("`auth` is not base64 of user:password"));
        };
        return Ok(Some(Credential {
            username: username.to_string(),
            password: password.to_string(),
        }));
    }
    let field = |name: &str| entry.get(name).and_then(Value::as_str).map(str::to_string);
    Ok(match (field("username"), field("password")) {
        (Some(username), Some(password)) => Some(Credential { username, password }),
        _ => None,
    })
}

/// `https://host:5000/v1/` → `host:5000`.
fn normalize_host(key: &str) -> &str {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    key.split('/').next().unwrap_or(key)
}

fn io_error(path: &Path, e: std::io::Error) -> RegistryError {
    RegistryError::Io {
        path: path.display().to_string(),
        source: e,
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> Result<(), RegistryError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| io_error(dir, e))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> Result<(), RegistryError> {
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::create(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential(user: &str, password: &str) -> Credential {
        Credential {
            username: user.into(),
            password: password.into(),
        }
    }

    #[test]
    fn store_round_trips_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let store = CredentialStore::at(dir.path().join("registry/config.json"));
        assert_eq!(store.get("r.example:5000").unwrap(), None);
        store
            .set("r.example:5000", &credential("ann", "s3:cret"))
            .unwrap();
        store.set("other", &credential("bob", "x")).unwrap();
        assert_eq!(
            store.get("r.example:5000").unwrap(),
            Some(credential("ann", "s3:cret"))
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(store.remove("r.example:5000").unwrap());
        assert!(!store.remove("r.example:5000").unwrap());
        assert_eq!(store.get("r.example:5000").unwrap(), None);
        assert_eq!(store.get("other").unwrap(), Some(credential("bob", "x")));
    }

    #[test]
    fn reads_docker_style_keys_and_fields() {
        let auths: Map<String, Value> = serde_json::from_value(json!({
            "https://index.docker.io/v1/": {"auth": BASE64.encode("hub:pw")},
            "plain.example": {"username": "u", "password": "p"},
            "oauth.example": {"auth": BASE64.encode("u:"), "identitytoken": "refresh"},
            "broken.example": {"auth": "%%%"}
        }))
        .unwrap();
        let path = Path::new("config.json");
        assert_eq!(
            lookup(&auths, "index.docker.io", path).unwrap(),
            Some(credential("hub", "pw"))
        );
        assert_eq!(
            lookup(&auths, "plain.example", path).unwrap(),
            Some(credential("u", "p"))
        );
        assert!(
            lookup(&auths, "broken.example", path)
                .unwrap_err()
                .to_string()
                .contains("not base64")
        );
        assert_eq!(lookup(&auths, "none.example", path).unwrap(), None);
        let oauth = lookup(&auths, "oauth.example", path).unwrap().unwrap();
        assert!(oauth.is_identity_token() && oauth.password == "refresh");
    }

    #[test]
    fn helpers_come_before_auths_and_name_themselves_in_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let write = |value: Value| std::fs::write(&path, value.to_string()).unwrap();
        let auth = BASE64.encode("ann:pw");
        write(json!({"auths": {"r.example": {"auth": auth}}, "credsStore": "ketch-absent"}));
        assert_eq!(
            credential_in(&path, "r.example").unwrap(),
            Some(credential("ann", "pw"))
        );
        let err = credential_in(&path, "other.example")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("other.example: credential helper docker-credential-ketch-absent")
                && err.contains("not on PATH"),
            "{err}"
        );
        write(
            json!({"auths": {"r.example": {"auth": auth}}, "credHelpers": {"r.example": "../sh"}}),
        );
        let err = credential_in(&path, "r.example").unwrap_err().to_string();
        assert!(err.contains("not a helper name"), "{err}");
        assert_eq!(
            credential_in(&dir.path().join("none.json"), "r.example").unwrap(),
            None
        );
    }

    #[test]
    fn debug_never_shows_the_password() {
        let text = format!("{:?}", credential("ann", "hunter2"));
        assert!(!text.contains("hunter2"), "{text}");
    }
}
