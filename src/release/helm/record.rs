//! Helm's release record (`pkg/release/v1`, the same in Helm 3 and 4): JSON,
//! gzip-compressed, then base64-encoded into the `release` key of a Secret or
//! ConfigMap. Read into ketch's [`Release`], and written from one for
//! `ketch release export --to helm`.

use std::io::{Read, Write};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde_json::{Map, Value, json};

use crate::chart::Metadata;
use crate::hooks;
use crate::manifest::helm::split_documents;
use crate::release::codec::CodecError;
use crate::release::{ApplyMethod, Info, Release, Status, StoredObject};
use crate::values::merge::{Nulls, coalesce};

/// Decompressed records larger than this are refused (a corrupt or hostile object).
const MAX_RECORD: u64 = 512 * 1024 * 1024;

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b, 0x08];

/// Go's zero `time.Time`, which Helm writes for a time never set.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// The record's JSON from the stored text (base64 of gzip, or of plain JSON
/// as Helm 2-era records were).
pub fn decode(stored: &[u8]) -> Result<Value, CodecError> {
    let stored: Vec<u8> = stored
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let bytes = BASE64
        .decode(&stored)
        .map_err(|e| CodecError::Decode(format!("base64: {e}")))?;
    let json = if bytes.starts_with(GZIP_MAGIC) {
        let mut json = Vec::new();
        GzDecoder::new(bytes.as_slice())
            .take(MAX_RECORD)
            .read_to_end(&mut json)
            .map_err(|e| CodecError::Decode(format!("gzip: {e}")))?;
        json
    } else {
        bytes
    };
    let value: Value =
        serde_json::from_slice(&json).map_err(|e| CodecError::Decode(format!("JSON: {e}")))?;
    if !value.is_object() {
        return Err(CodecError::Decode("JSON: not an object".into()));
    }
    Ok(value)
}

/// The stored text of a record: JSON, gzip, base64 (Helm's `encodeRelease`).
pub fn encode(record: &Value) -> Result<Vec<u8>, CodecError> {
    let json = serde_json::to_vec(record).map_err(|e| CodecError::Encode(e.to_string()))?;
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(&json)
        .map_err(|e| CodecError::Encode(e.to_string()))?;
    let gz = gz.finish().map_err(|e| CodecError::Encode(e.to_string()))?;
    Ok(BASE64.encode(gz).into_bytes())
}

/// A record's status (`info.status`), as Helm names it.
pub fn status(record: &Value) -> Status {
    record["info"]["status"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(Status::Unknown)
}

/// Sets a record's status, timestamps and description, keeping everything else.
pub fn set_info(record: &mut Value, info: &Info) {
    let Some(object) = record.as_object_mut() else {
        return;
    };
    let record_info = object
        .entry("info")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(i) = record_info {
        i.insert("status".into(), info.status.as_str().into());
        i.insert("description".into(), info.description.clone().into());
        i.insert("last_deployed".into(), info.last_deployed.clone().into());
        if let Some(deleted) = &info.deleted {
            i.insert("deleted".into(), deleted.clone().into());
        }
    }
}

/// Helm's record as a ketch release (its revision, chart metadata, user
/// values, values merged over the chart's defaults, manifest and hooks).
pub fn to_release(record: &Value, namespace: &str) -> Result<Release, CodecError> {
    let bad = |what: &str| CodecError::Decode(format!("not a Helm release record: {what}"));
    let name = record["name"].as_str().ok_or_else(|| bad("no name"))?;
    let revision = record["version"]
        .as_u64()
        .ok_or_else(|| bad("no version"))?;
    let chart = &record["chart"];
    let mut metadata = chart["metadata"]
        .as_object()
        .cloned()
        .ok_or_else(|| bad("no chart metadata"))?;
    metadata.entry("apiVersion").or_insert_with(|| "v2".into());
    let metadata: Metadata = serde_json::from_value(Value::Object(metadata))
        .map_err(|e| bad(&format!("chart metadata: {e}")))?;
    let config = object_or_empty(&record["config"]);
    let values = coalesce(
        config.clone(),
        &object_or_empty(&chart["values"]),
        Nulls::Delete,
    );
    let manifest = parse_manifest(record["manifest"].as_str().unwrap_or_default())?;
    let mut hooks = Vec::new();
    for hook in record["hooks"].as_array().into_iter().flatten() {
        let path = hook["path"].as_str().unwrap_or_default();
        for mut object in parse_manifest(hook["manifest"].as_str().unwrap_or_default())? {
            if object.source.is_empty() {
                object.source = path.to_string();
            }
            hooks.push(object);
        }
    }
    let info = &record["info"];
    let time = |key: &str| {
        info[key]
            .as_str()
            .filter(|t| *t != ZERO_TIME)
            .unwrap_or_default()
            .to_string()
    };
    Ok(Release {
        name: name.to_string(),
        namespace: record["namespace"]
            .as_str()
            .unwrap_or(namespace)
            .to_string(),
        revision,
        chart: metadata,
        config,
        values,
        crds: Vec::new(),
        manifest,
        hooks,
        notes: info["notes"]
            .as_str()
            .filter(|n| !n.is_empty())
            .map(str::to_string),
        apply_method: match record["apply_method"].as_str() {
            Some("ssa") => ApplyMethod::Ssa,
            _ => ApplyMethod::Client,
        },
        source: None,
        info: Some(Info {
            status: status(record),
            first_deployed: time("first_deployed"),
            last_deployed: time("last_deployed"),
            deleted: Some(time("deleted")).filter(|t| !t.is_empty()),
            description: info["description"].as_str().unwrap_or_default().to_string(),
        }),
    })
}

fn object_or_empty(value: &Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// Helm's manifest text (`---\n# Source: path\n...` per document) as objects.
pub fn parse_manifest(text: &str) -> Result<Vec<StoredObject>, CodecError> {
    let mut objects = Vec::new();
    for document in split_documents(text) {
        let source = document
            .lines()
            .find_map(|l| l.strip_prefix("# Source: "))
            .unwrap_or_default()
            .trim()
            .to_string();
        for value in crate::yaml::parse_documents_as_helm(document, &source)
            .map_err(|e| CodecError::Decode(format!("manifest: {e}")))?
        {
            match value {
                Value::Object(object) => objects.push(StoredObject {
                    source: source.clone(),
                    object,
                }),
                Value::Null => {}
                _ => {
                    return Err(CodecError::Decode(format!(
                        "manifest: a document of {source} is not a mapping"
                    )));
                }
            }
        }
    }
    Ok(objects)
}

/// `release` as Helm's record of revision `revision`, deployed: what `helm
/// upgrade` continues from. `objects` and `hooks` are written as applied.
pub fn from_release(
    release: &Release,
    revision: u64,
    objects: &[StoredObject],
    hooks: &[StoredObject],
) -> Result<Value, CodecError> {
    let info = release.info.clone().unwrap_or_else(Info::unknown);
    let or_zero = |t: &str| {
        if t.is_empty() {
            ZERO_TIME.to_string()
        } else {
            t.to_string()
        }
    };
    let hooks: Vec<Value> = hooks.iter().map(helm_hook).collect::<Result<_, _>>()?;
    Ok(json!({
        "name": release.name,
        "info": {
            "first_deployed": or_zero(&info.first_deployed),
            "last_deployed": or_zero(&info.last_deployed),
            "deleted": ZERO_TIME,
            "description": format!("Exported by ketch from its revision {}", release.revision),
            "status": "deployed",
            "notes": release.notes.clone().unwrap_or_default(),
        },
        "chart": {
            "metadata": release.chart,
            "lock": null,
            "templates": [],
            "values": release.values,
            "schema": null,
            "files": [],
        },
        "config": release.config,
        "manifest": manifest_text(objects)?,
        "hooks": hooks,
        "version": revision,
        "namespace": release.namespace,
    }))
}

fn manifest_text(objects: &[StoredObject]) -> Result<String, CodecError> {
    let mut out = String::new();
    for object in objects {
        crate::manifest::write_document(&mut out, &object.into())
            .map_err(|e| CodecError::Encode(e.to_string()))?;
    }
    Ok(out)
}

/// A hook object as Helm records it: events, weight and delete policies from
/// its annotations (Helm's or ketch's names).
fn helm_hook(hook: &StoredObject) -> Result<Value, CodecError> {
    let annotations = hook.object["metadata"]["annotations"].as_object();
    let annotation = |helm: &str, ketch: &str| {
        annotations
            .and_then(|a| a.get(helm).or_else(|| a.get(ketch)))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let list = |text: String| -> Vec<String> {
        text.split(',')
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty())
            .collect()
    };
    Ok(json!({
        "name": hook.object["metadata"]["name"],
        "kind": hook.object["kind"],
        "path": hook.source,
        "manifest": manifest_text(std::slice::from_ref(hook))?
            .trim_start_matches("---\n")
            .to_string(),
        "events": list(annotation(hooks::HELM_HOOK, hooks::HOOK)),
        "last_run": {"started_at": ZERO_TIME, "completed_at": ZERO_TIME, "phase": ""},
        "weight": annotation(hooks::HELM_HOOK_WEIGHT, hooks::HOOK_WEIGHT).trim().parse::<i64>().unwrap_or(0),
        "delete_policies": list(annotation(hooks::HELM_HOOK_DELETE_POLICY, hooks::HOOK_DELETE_POLICY)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Value {
        json!({
            "name": "web",
            "info": {
                "first_deployed": "2026-12-01T10:00:00.123Z",
                "last_deployed": "2026-12-02T10:00:00Z",
                "deleted": ZERO_TIME,
                "description": "Upgrade complete",
                "status": "deployed",
                "notes": "hello",
            },
            "chart": {
                "metadata": {"name": "app", "version": "1.2.0", "appVersion": "3.0", "apiVersion": "v2"},
                "lock": null, "templates": [],
                "values": {"replicas": 1, "image": {"tag": "a", "pull": "Always"}},
                "schema": null, "files": [],
            },
            "config": {"image": {"tag": "b"}},
            "manifest": "---\n# Source: app/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  mode: \"0755\"\n",
            "hooks": [{
                "name": "web-test", "kind": "Pod", "path": "app/templates/test.yaml",
                "manifest": "# Source: app/templates/test.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web-test\n  annotations:\n    helm.sh/hook: test\n",
                "events": ["test"], "last_run": {"phase": ""}, "weight": 0,
            }],
            "version": 3,
            "namespace": "ml",
        })
    }

    #[test]
    fn a_helm_record_reads_as_a_release() {
        let stored = encode(&record()).unwrap();
        let release = to_release(&decode(&stored).unwrap(), "other").unwrap();
        assert_eq!(release.name, "web");
        assert_eq!(release.namespace, "ml");
        assert_eq!(release.revision, 3);
        assert_eq!(release.chart_ref(), "app-1.2.0");
        assert_eq!(release.status(), Status::Deployed);
        assert_eq!(release.config["image"]["tag"], "b");
        assert_eq!(
            Value::Object(release.values),
            json!({"replicas": 1, "image": {"tag": "b", "pull": "Always"}})
        );
        assert_eq!(release.manifest.len(), 1);
        assert_eq!(release.manifest[0].source, "app/templates/cm.yaml");
        assert_eq!(release.manifest[0].object["data"]["mode"], "0755");
        assert_eq!(release.hooks[0].object["metadata"]["name"], "web-test");
        assert_eq!(release.notes.as_deref(), Some("hello"));
        let info = release.info.unwrap();
        assert_eq!(info.deleted, None);
        assert_eq!(info.description, "Upgrade complete");
    }

    #[test]
    fn an_exported_release_reads_back_the_same() {
        let release = to_release(&record(), "ml").unwrap();
        let exported = from_release(&release, 5, &release.manifest, &release.hooks).unwrap();
        let back = to_release(&decode(&encode(&exported).unwrap()).unwrap(), "ml").unwrap();
        assert_eq!(back.revision, 5);
        assert_eq!(back.status(), Status::Deployed);
        assert_eq!(back.manifest, release.manifest);
        assert_eq!(back.hooks, release.hooks);
        assert_eq!(back.config, release.config);
        assert_eq!(exported["hooks"][0]["events"], json!(["test"]));
        assert_eq!(back.chart, release.chart);
    }

    #[test]
    fn setting_the_status_keeps_the_rest() {
        let mut r = record();
        let mut info = to_release(&r, "ml").unwrap().info.unwrap();
        info.status = Status::Superseded;
        set_info(&mut r, &info);
        assert_eq!(status(&r), Status::Superseded);
        assert_eq!(r["info"]["notes"], "hello");
        assert_eq!(r["manifest"], record()["manifest"]);
    }

    #[test]
    fn what_is_not_a_record_is_refused() {
        assert!(decode(b"not base64!").is_err());
        assert!(decode(BASE64.encode("[1]").as_bytes()).is_err());
        assert!(to_release(&json!({"name": "x"}), "ml").is_err());
    }
}
