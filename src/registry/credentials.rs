//! Registry credentials: ketch's own store (`<config home>/registry/config.json`, written by
//! `ketch registry login`, mode 0600) and, read-only, Docker's `~/.docker/config.json`.
//!
//! Both files use Docker's format, `{"auths": {"HOST": {"auth": base64("user:password")}}}`,
//! as Helm's `registry/config.json` does. Credential helpers (`credsStore`, `credHelpers`) are
//! not run.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

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
        let auths = read_auths(&self.path)?;
        lookup(&auths, host, &self.path)
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
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    crate::paths::home_dir().map(|home| home.join(".docker").join("config.json"))
}

/// The credential Docker's config holds for `host`; a missing file is no credential.
pub fn docker_credential(host: &str) -> Result<Option<Credential>, RegistryError> {
    let Some(path) = docker_config_path() else {
        return Ok(None);
    };
    if !path.exists() {
        return Ok(None);
    }
    let auths = read_auths(&path)?;
    lookup(&auths, host, &path)
}

fn read_auths(path: &Path) -> Result<Map<String, Value>, RegistryError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Map::new()),
        Err(e) => return Err(io_error(path, e)),
    };
    let document: Value =
        serde_json::from_slice(&bytes).map_err(|e| RegistryError::Credentials {
            path: path.display().to_string(),
            message: format!("not valid JSON ({e}); fix or delete the file"),
        })?;
    Ok(match document.get("auths") {
        Some(Value::Object(auths)) => auths.clone(),
        _ => Map::new(),
    })
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

/// Finds `host` among the keys, which may be written as `https://host/v1/` (Docker Hub style).
fn lookup(
    auths: &Map<String, Value>,
    host: &str,
    path: &Path,
) -> Result<Option<Credential>, RegistryError> {
    let Some(entry) = auths.get(host).or_else(|| {
        auths
            .iter()
            .find(|(k, _)| normalize_host(k) == host)
            .map(|(_, v)| v)
    }) else {
        return Ok(None);
    };
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
    }

    #[test]
    fn debug_never_shows_the_password() {
        let text = format!("{:?}", credential("ann", "hunter2"));
        assert!(!text.contains("hunter2"), "{text}");
    }
}
