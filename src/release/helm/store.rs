//! Helm's release records in the cluster: Secrets of type
//! `helm.sh/release.v1` named `sh.helm.release.v1.NAME.vN` (Helm's default
//! driver) and ConfigMaps of the same name (its `configmap` driver), labelled
//! `owner=helm`, `name`, `status` and `version`.
//!
//! ketch reads them without changing them; it writes to one only to mark the
//! revision it took over as superseded (`ketch adopt`) and to hand a release
//! back (`ketch release export --to helm`).

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::Client;
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use super::record;
use crate::cluster::ClusterError;
use crate::release::codec::CodecError;
use crate::release::error::StoreError;
use crate::release::{Info, Release};

pub const SECRET_TYPE: &str = "helm.sh/release.v1";
const DATA_KEY: &str = "release";

/// Where Helm keeps a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    Secret,
    ConfigMap,
}

impl Driver {
    fn kind(self) -> &'static str {
        match self {
            Driver::Secret => "Secret",
            Driver::ConfigMap => "ConfigMap",
        }
    }
}

/// One revision as Helm stored it.
#[derive(Debug, Clone)]
pub struct HelmRecord {
    pub driver: Driver,
    /// The Secret's or ConfigMap's name.
    pub object: String,
    pub namespace: String,
    /// Helm's JSON.
    pub record: Value,
    /// The record read as a ketch release.
    pub release: Release,
}

impl HelmRecord {
    /// `Secret ns/sh.helm.release.v1.web.v3`, for messages.
    pub fn describe(&self) -> String {
        format!("{} {}/{}", self.driver.kind(), self.namespace, self.object)
    }
}

/// Helm's records in one namespace (or all).
#[derive(Clone)]
pub struct HelmStore {
    client: Client,
    secrets: Api<Secret>,
    config_maps: Api<ConfigMap>,
}

/// The objects a LIST returns; none when the client may not list them there:
/// without that right there are no Helm records to show, and ketch's own work
/// goes on.
async fn readable<K>(api: &Api<K>, lp: &ListParams) -> Result<Vec<K>, kube::Error>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    match api.list(lp).await {
        Ok(list) => Ok(list.items),
        Err(kube::Error::Api(s)) if s.code == 403 => {
            tracing::debug!("not reading Helm's records: {}", s.message);
            Ok(Vec::new())
        }
        Err(e) => Err(e),
    }
}

fn kube_err(what: String) -> impl FnOnce(kube::Error) -> StoreError {
    move |e| StoreError::Cluster(ClusterError::from_kube(e, what))
}

impl HelmStore {
    pub fn new(client: Client, namespace: Option<&str>) -> Self {
        match namespace {
            Some(ns) => HelmStore {
                secrets: Api::namespaced(client.clone(), ns),
                config_maps: Api::namespaced(client.clone(), ns),
                client,
            },
            None => HelmStore {
                secrets: Api::all(client.clone()),
                config_maps: Api::all(client.clone()),
                client,
            },
        }
    }

    /// The records of release `name` (every release's with `None`), oldest
    /// first. A record that does not decode is an error naming its object
    /// when a release is named, and skipped with a warning when listing all.
    pub async fn records(&self, name: Option<&str>) -> Result<Vec<HelmRecord>, StoreError> {
        let selector = match name {
            Some(name) => format!("owner=helm,name={name}"),
            None => "owner=helm".to_string(),
        };
        let lp = ListParams::default().labels(&selector);
        let what = || match name {
            Some(name) => format!("release {name}: reading Helm's records"),
            None => "listing Helm's releases".to_string(),
        };
        let secrets = readable(&self.secrets, &lp)
            .await
            .map_err(kube_err(what()))?;
        let config_maps = readable(&self.config_maps, &lp)
            .await
            .map_err(kube_err(what()))?;
        let stored = secrets
            .into_iter()
            .filter(|s| s.type_.as_deref() == Some(SECRET_TYPE))
            .map(|s| {
                let text = s
                    .data
                    .as_ref()
                    .and_then(|d| d.get(DATA_KEY))
                    .map(|b| b.0.clone());
                (Driver::Secret, s.metadata, text)
            })
            .chain(config_maps.into_iter().map(|c| {
                let text = c
                    .data
                    .as_ref()
                    .and_then(|d| d.get(DATA_KEY))
                    .map(|s| s.clone().into_bytes());
                (Driver::ConfigMap, c.metadata, text)
            }));
        let mut out = Vec::new();
        for (driver, meta, text) in stored {
            let object = meta.name.clone().unwrap_or_default();
            let namespace = meta.namespace.clone().unwrap_or_default();
            let decoded = text
                .ok_or_else(|| CodecError::Decode(format!("it has no {DATA_KEY:?} key")))
                .and_then(|t| record::decode(&t))
                .and_then(|r| record::to_release(&r, &namespace).map(|release| (r, release)));
            match decoded {
                Ok((record, release)) => out.push(HelmRecord {
                    driver,
                    object,
                    namespace,
                    record,
                    release,
                }),
                Err(error) if name.is_some() => {
                    return Err(StoreError::NotHelmRecord {
                        object: format!("{} {namespace}/{object}", driver.kind()),
                        error,
                    });
                }
                Err(error) => {
                    tracing::warn!(
                        "skipping {} {namespace}/{object}: labelled as Helm's but {error}",
                        driver.kind()
                    );
                }
            }
        }
        out.sort_by(|a, b| {
            (&a.namespace, &a.release.name, a.release.revision).cmp(&(
                &b.namespace,
                &b.release.name,
                b.release.revision,
            ))
        });
        Ok(out)
    }

    /// Changes a record's status, timestamps and description, in its JSON and its `status` label.
    pub async fn set_info(&self, found: &HelmRecord, info: &Info) -> Result<(), StoreError> {
        let mut updated = found.record.clone();
        record::set_info(&mut updated, info);
        let text = record::encode(&updated).map_err(|source| StoreError::Codec {
            name: found.release.name.clone(),
            revision: found.release.revision,
            source,
        })?;
        let labels = json!({"status": info.status.as_str()});
        let patch = match found.driver {
            Driver::Secret => json!({
                "metadata": {"labels": labels},
                "data": {DATA_KEY: ByteString(text)},
            }),
            Driver::ConfigMap => json!({
                "metadata": {"labels": labels},
                "data": {DATA_KEY: String::from_utf8_lossy(&text)},
            }),
        };
        let what = format!("{}: recording it as {}", found.describe(), info.status);
        let params = PatchParams::default();
        match found.driver {
            Driver::Secret => self
                .secrets
                .patch(&found.object, &params, &Patch::Merge(&patch))
                .await
                .map(drop),
            Driver::ConfigMap => self
                .config_maps
                .patch(&found.object, &params, &Patch::Merge(&patch))
                .await
                .map(drop),
        }
        .map_err(kube_err(what))
    }

    /// Deletes one record.
    pub async fn delete(&self, found: &HelmRecord) -> Result<(), StoreError> {
        let what = format!("deleting {}", found.describe());
        let params = DeleteParams::default();
        match found.driver {
            Driver::Secret => self.secrets.delete(&found.object, &params).await.map(drop),
            Driver::ConfigMap => self
                .config_maps
                .delete(&found.object, &params)
                .await
                .map(drop),
        }
        .or_else(|e| match e {
            kube::Error::Api(s) if s.code == 404 => Ok(()),
            e => Err(e),
        })
        .map_err(kube_err(what))
    }

    /// Writes `record` as a new Secret, as Helm's default driver would.
    pub async fn create(&self, namespace: &str, record: &Value) -> Result<String, StoreError> {
        let name = record["name"].as_str().unwrap_or_default().to_string();
        let revision = record["version"].as_u64().unwrap_or_default();
        let text = record::encode(record).map_err(|source| StoreError::Codec {
            name: name.clone(),
            revision,
            source,
        })?;
        let object = format!("sh.helm.release.v1.{name}.v{revision}");
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some(object.clone()),
                namespace: Some(namespace.to_string()),
                labels: Some(BTreeMap::from([
                    ("name".to_string(), name.clone()),
                    ("owner".to_string(), "helm".to_string()),
                    ("status".to_string(), record::status(record).to_string()),
                    ("version".to_string(), revision.to_string()),
                ])),
                ..ObjectMeta::default()
            },
            type_: Some(SECRET_TYPE.into()),
            data: Some(BTreeMap::from([(DATA_KEY.to_string(), ByteString(text))])),
            ..Secret::default()
        };
        Api::<Secret>::namespaced(self.client.clone(), namespace)
            .create(&PostParams::default(), &secret)
            .await
            .map_err(kube_err(format!(
                "release {name}: writing Helm's record {object}"
            )))?;
        Ok(object)
    }
}
