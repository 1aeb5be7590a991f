//! Chart references in OCI registries: `oci://HOST[:PORT]/PATH/CHART[:VERSION][@sha256:DIGEST]`.
//!
//! OCI tags cannot hold `+`, so a version's build metadata is written with `_` in tags
//! (`1.2.3+build.1` is tag `1.2.3_build.1`), as Helm does.

use std::fmt;

use super::RegistryError;

pub const SCHEME: &str = "oci://";

/// A parsed `oci://` reference to a chart repository, with an optional tag and digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartReference {
    /// `host[:port]`.
    pub registry: String,
    /// The repository path inside the registry, ending with the chart name (`charts/demo`).
    pub repository: String,
    /// The tag as stored in the registry (`_` for `+`).
    pub tag: Option<String>,
    /// `sha256:<64 hex>`.
    pub digest: Option<String>,
}

impl ChartReference {
    /// Parses `oci://host[:port]/path/chart[:tag][@sha256:...]`; a `+` in the tag becomes `_`.
    pub fn parse(input: &str) -> Result<Self, RegistryError> {
        let invalid = |reason: &str| RegistryError::InvalidReference {
            reference: input.to_string(),
            reason: reason.to_string(),
        };
        let Some(rest) = input.strip_prefix(SCHEME) else {
            return Err(invalid("it does not start with oci://"));
        };
        let (rest, digest) = match rest.rsplit_once('@') {
            Some((rest, digest)) => {
                check_digest(digest).map_err(|reason| invalid(&reason))?;
                (rest, Some(digest.to_string()))
            }
            None => (rest, None),
        };
        let Some((registry, path)) = rest.split_once('/') else {
            return Err(invalid("it names a registry but no repository"));
        };
        check_host(registry).map_err(|reason| invalid(&reason))?;
        // A `:` after the last `/` starts the tag.
        let (repository, tag) = match path.rsplit_once(':') {
            Some((repository, tag)) if !tag.contains('/') => (repository, Some(tag)),
            _ => (path, None),
        };
        check_repository(repository).map_err(|reason| invalid(&reason))?;
        let tag = tag.map(version_to_tag);
        if let Some(tag) = &tag {
            check_tag(tag).map_err(|reason| invalid(&reason))?;
        }
        Ok(ChartReference {
            registry: registry.to_string(),
            repository: repository.to_string(),
            tag,
            digest,
        })
    }

    /// The chart name: the last segment of the repository path.
    pub fn name(&self) -> &str {
        self.repository
            .rsplit('/')
            .next()
            .unwrap_or(&self.repository)
    }

    /// The same repository with another tag and no digest.
    pub fn with_tag(&self, tag: &str) -> Self {
        ChartReference {
            tag: Some(version_to_tag(tag)),
            digest: None,
            ..self.clone()
        }
    }

    /// The reference in oci-client's terms.
    pub(crate) fn to_oci(&self) -> oci_client::Reference {
        match (&self.tag, &self.digest) {
            (Some(tag), Some(digest)) => oci_client::Reference::with_tag_and_digest(
                self.registry.clone(),
                self.repository.clone(),
                tag.clone(),
                digest.clone(),
            ),
            (None, Some(digest)) => oci_client::Reference::with_digest(
                self.registry.clone(),
                self.repository.clone(),
                digest.clone(),
            ),
            (tag, None) => oci_client::Reference::with_tag(
                self.registry.clone(),
                self.repository.clone(),
                tag.clone().unwrap_or_else(|| "latest".to_string()),
            ),
        }
    }

    /// Whether to talk plain HTTP: loopback hosts always, others only when asked.
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.registry)
    }
}

impl fmt::Display for ChartReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// A chart version as an OCI tag: `+` becomes `_`.
pub fn version_to_tag(version: &str) -> String {
    version.replace('+', "_")
}

/// An OCI tag as a chart version: `_` becomes `+`.
pub fn tag_to_version(tag: &str) -> String {
    tag.replace('_', "+")
}

/// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
pub fn is_loopback_host(registry: &str) -> bool {
    let host = match registry.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => registry.split(':').next().unwrap_or(registry),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("the registry host is empty".into());
    }
    let ok = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
    if !ok {
        return Err(format!("{host:?} is not a registry host[:port]"));
    }
    Ok(())
}

/// OCI repository components: lower-case letters and digits, separated by `.`, `_`, `__` or `-`.
fn check_repository(repository: &str) -> Result<(), String> {
    if repository.is_empty() {
        return Err("the repository path is empty".into());
    }
    for part in repository.split('/') {
        let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        let bytes = part.as_bytes();
        let ok = !bytes.is_empty()
            && alnum(bytes[0])
            && alnum(bytes[bytes.len() - 1])
            && bytes.iter().all(|&b| alnum(b) || b"._-".contains(&b));
        if !ok {
            return Err(format!(
                "path segment {part:?} must be lower-case letters and digits separated by '.', '_' or '-'"
            ));
        }
    }
    Ok(())
}

fn check_tag(tag: &str) -> Result<(), String> {
    let bytes = tag.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.len() <= 128
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{tag:?} is not a valid tag (a chart version such as 1.2.3)"
        ))
    }
}

fn check_digest(digest: &str) -> Result<(), String> {
    match digest.strip_prefix("sha256:") {
        Some(hex)
            if hex.len() == 64
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            Ok(())
        }
        _ => Err(format!(
            "{digest:?} is not a digest (sha256: and 64 lower-case hex digits)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags_digests_and_ports() {
        let r = ChartReference::parse("oci://127.0.0.1:5000/charts/demo:1.2.3+b.1").unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "charts/demo");
        assert_eq!(r.tag.as_deref(), Some("1.2.3_b.1"));
        assert_eq!(r.name(), "demo");
        assert!(r.is_loopback());
        assert_eq!(r.to_string(), "oci://127.0.0.1:5000/charts/demo:1.2.3_b.1");

        let digest = format!("sha256:{}", "a".repeat(64));
        let r = ChartReference::parse(&format!("oci://ghcr.io/org/demo@{digest}")).unwrap();
        assert_eq!(r.tag, None);
        assert_eq!(r.digest.as_deref(), Some(digest.as_str()));
        assert!(!r.is_loopback());

        let r = ChartReference::parse("oci://localhost:5000/demo").unwrap();
        assert_eq!((r.repository.as_str(), r.tag.as_deref()), ("demo", None));
        assert!(r.is_loopback());
    }

    #[test]
    fn refuses_malformed_references_with_reasons() {
        for (input, reason) in [
            ("127.0.0.1:5000/demo", "oci://"),
            ("oci://host", "no repository"),
            ("oci://host/Demo", "lower-case"),
            ("oci://host/a//b", "path segment"),
            ("oci://host/demo:", "not a valid tag"),
            ("oci://host/demo@sha256:abc", "64 lower-case hex"),
            ("oci://ho st/demo", "host"),
        ] {
            let err = ChartReference::parse(input).unwrap_err().to_string();
            assert!(err.contains(reason), "{input}: {err}");
        }
    }

    #[test]
    fn tags_round_trip_build_metadata() {
        assert_eq!(version_to_tag("1.0.0+abc"), "1.0.0_abc");
        assert_eq!(tag_to_version("1.0.0_abc"), "1.0.0+abc");
        assert!(is_loopback_host("[::1]:5000"));
        assert!(is_loopback_host("127.0.0.2"));
        assert!(!is_loopback_host("registry.example.com:5000"));
    }
}
