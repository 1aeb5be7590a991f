//! `ReleaseStore`: revisions of releases as Secrets of type
//! `ketch.dev/release.v1` in the release's namespace.
//!
//! Revision N of release R is the head Secret `ketch.release.v1.R.vN` plus,
//! when the gzip payload passes [`CHUNK_BYTES`], parts `…vN.p2`, `…vN.p3`.
//! Every Secret carries the labels `ketch.dev/release=R`,
//! `ketch.dev/revision=N` and `ketch.dev/part=i`; the head also carries
//! `ketch.dev/status` and the annotations `list`/`history` show. Parts are
//! written before the head, so a head never names missing parts.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::{Client, core::PartialObjectMeta};
use serde_json::json;

use super::codec::{self, CHUNK_BYTES};
pub use super::error::StoreError;
use super::helm::{HelmRecord, HelmStore};
use super::{Info, Recorder, Release, Status, Summary};
use crate::cluster::ClusterError;

pub const SECRET_TYPE: &str = "ketch.dev/release.v1";
const LABEL_RELEASE: &str = "ketch.dev/release";
const LABEL_REVISION: &str = "ketch.dev/revision";
const LABEL_PART: &str = "ketch.dev/part";
const LABEL_STATUS: &str = "ketch.dev/status";
const ANN_PARTS: &str = "ketch.dev/parts";
const ANN_CHART: &str = "ketch.dev/chart";
const ANN_APP_VERSION: &str = "ketch.dev/app-version";
const ANN_APPLY_METHOD: &str = "ketch.dev/apply-method";
const ANN_FIRST: &str = "ketch.dev/first-deployed";
const ANN_LAST: &str = "ketch.dev/last-deployed";
const ANN_DELETED: &str = "ketch.dev/deleted";
const ANN_DESCRIPTION: &str = "ketch.dev/description";
const ANN_SOURCE: &str = "ketch.dev/chart-source";
const DATA_KEY: &str = "release";

/// The revisions of releases in one namespace (or all, for `list -A`).
#[derive(Clone)]
pub struct ReleaseStore {
    secrets: Api<Secret>,
    /// Helm's records of the same namespace, read beside ketch's.
    pub helm: HelmStore,
    namespace: String,
    /// Bytes of gzip payload per Secret.
    pub chunk_bytes: usize,
}

fn secret_name(name: &str, revision: u64, part: usize) -> String {
    if part <= 1 {
        format!("ketch.release.v1.{name}.v{revision}")
    } else {
        format!("ketch.release.v1.{name}.v{revision}.p{part}")
    }
}

fn kube_err(what: String) -> impl FnOnce(kube::Error) -> StoreError {
    move |e| StoreError::Cluster(ClusterError::from_kube(e, what))
}

impl ReleaseStore {
    pub fn new(client: Client, namespace: &str) -> Self {
        ReleaseStore {
            helm: HelmStore::new(client.clone(), Some(namespace)),
            secrets: Api::namespaced(client, namespace),
            namespace: namespace.to_string(),
            chunk_bytes: CHUNK_BYTES,
        }
    }

    /// Every revision of `name`, ketch's and Helm's, oldest first. Where both
    /// recorded a revision (a release handed back to Helm with `release
    /// export`), Helm's record is the newer.
    pub async fn history(&self, name: &str) -> Result<Vec<Summary>, StoreError> {
        let mut summaries: BTreeMap<u64, Summary> = self
            .ketch_history(name)
            .await?
            .into_iter()
            .map(|s| (s.revision, s))
            .collect();
        for record in self.helm.records(Some(name)).await? {
            summaries.insert(record.release.revision, Summary::of_helm(&record.release));
        }
        Ok(summaries.into_values().collect())
    }

    /// Helm's record of one revision, if Helm recorded it.
    pub async fn helm_record(
        &self,
        name: &str,
        revision: u64,
    ) -> Result<Option<HelmRecord>, StoreError> {
        Ok(self
            .helm
            .records(Some(name))
            .await?
            .into_iter()
            .find(|r| r.release.revision == revision))
    }

    /// ketch's revisions of `name`, oldest first (metadata only).
    async fn ketch_history(&self, name: &str) -> Result<Vec<Summary>, StoreError> {
        let lp = ListParams::default()
            .labels(&format!("{LABEL_RELEASE}={name},{LABEL_STATUS}"))
            .fields(&format!("type={SECRET_TYPE}"));
        let list = self
            .secrets
            .list_metadata(&lp)
            .await
            .map_err(kube_err(format!("release {name}: reading its history")))?;
        let mut out: Vec<Summary> = list.items.iter().filter_map(summary).collect();
        out.sort_by_key(|s| s.revision);
        Ok(out)
    }

    /// The newest revision of every release in `namespace` (or in all
    /// namespaces with `all_namespaces`), by namespace and name.
    pub async fn list_latest(
        client: &Client,
        namespace: Option<&str>,
    ) -> Result<Vec<Summary>, StoreError> {
        let api: Api<Secret> = match namespace {
            Some(ns) => Api::namespaced(client.clone(), ns),
            None => Api::all(client.clone()),
        };
        let lp = ListParams::default()
            .labels(LABEL_STATUS)
            .fields(&format!("type={SECRET_TYPE}"));
        let list = api
            .list_metadata(&lp)
            .await
            .map_err(kube_err("listing releases".into()))?;
        let helm = HelmStore::new(client.clone(), namespace)
            .records(None)
            .await?;
        let mut latest: BTreeMap<(String, String), Summary> = BTreeMap::new();
        let helm_summaries = helm.iter().map(|r| Summary::of_helm(&r.release));
        for s in list.items.iter().filter_map(summary).chain(helm_summaries) {
            let key = (s.namespace.clone(), s.name.clone());
            if latest.get(&key).is_none_or(|old| {
                old.revision < s.revision
                    || (old.revision == s.revision && s.recorded_by == Recorder::Helm)
            }) {
                latest.insert(key, s);
            }
        }
        Ok(latest.into_values().collect())
    }

    /// One revision with its payload and status.
    pub async fn get(&self, name: &str, revision: u64) -> Result<Release, StoreError> {
        let lp = ListParams::default()
            .labels(&format!(
                "{LABEL_RELEASE}={name},{LABEL_REVISION}={revision}"
            ))
            .fields(&format!("type={SECRET_TYPE}"));
        let list = self.secrets.list(&lp).await.map_err(kube_err(format!(
            "release {name}: reading revision {revision}"
        )))?;
        let mut parts: Vec<(usize, &Secret)> = list
            .items
            .iter()
            .map(|s| {
                (
                    label(&s.metadata, LABEL_PART)
                        .and_then(|p| p.parse().ok())
                        .unwrap_or(1),
                    s,
                )
            })
            .collect();
        parts.sort_by_key(|(i, _)| *i);
        let Some(head) = parts.iter().find(|(i, _)| *i == 1).map(|(_, s)| *s) else {
            if let Some(record) = self.helm_record(name, revision).await? {
                return Ok(record.release);
            }
            return Err(StoreError::NoRevision {
                name: name.into(),
                namespace: self.namespace.clone(),
                revision,
            });
        };
        let expected: usize = annotation(&head.metadata, ANN_PARTS)
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        let bytes: Vec<&[u8]> = parts
            .iter()
            .take(expected)
            .filter_map(|(_, s)| s.data.as_ref()?.get(DATA_KEY).map(|b| b.0.as_slice()))
            .collect();
        let contiguous = parts
            .iter()
            .take(expected)
            .enumerate()
            .all(|(i, (p, _))| *p == i + 1);
        if bytes.len() != expected || !contiguous {
            return Err(StoreError::MissingParts {
                name: name.into(),
                revision,
                expected,
                found: bytes.len(),
            });
        }
        let mut release = codec::decode(&bytes).map_err(|source| StoreError::Codec {
            name: name.into(),
            revision,
            source,
        })?;
        release.info = Some(info(&head.metadata));
        Ok(release)
    }

    /// Writes a new revision with `info`; parts first, the head last.
    pub async fn create(&self, release: &Release, info: &Info) -> Result<(), StoreError> {
        let chunks =
            codec::encode(release, self.chunk_bytes).map_err(|source| StoreError::Codec {
                name: release.name.clone(),
                revision: release.revision,
                source,
            })?;
        let count = chunks.len();
        for (index, chunk) in chunks.into_iter().enumerate().rev() {
            let part = index + 1;
            let mut labels = BTreeMap::from([
                (LABEL_RELEASE.to_string(), release.name.clone()),
                (LABEL_REVISION.to_string(), release.revision.to_string()),
                (LABEL_PART.to_string(), part.to_string()),
            ]);
            let mut annotations = BTreeMap::new();
            if part == 1 {
                labels.insert(LABEL_STATUS.into(), info.status.to_string());
                annotations = head_annotations(release, info, count);
            }
            let secret = Secret {
                metadata: ObjectMeta {
                    name: Some(secret_name(&release.name, release.revision, part)),
                    namespace: Some(self.namespace.clone()),
                    labels: Some(labels),
                    annotations: Some(annotations),
                    ..ObjectMeta::default()
                },
                type_: Some(SECRET_TYPE.into()),
                data: Some(BTreeMap::from([(DATA_KEY.to_string(), ByteString(chunk))])),
                ..Secret::default()
            };
            let what = format!(
                "release {}: storing revision {}",
                release.name, release.revision
            );
            match self.secrets.create(&PostParams::default(), &secret).await {
                Ok(_) => {}
                // A part left behind by a killed client: overwrite it.
                Err(kube::Error::Api(s)) if s.code == 409 && part > 1 => {
                    let name = secret_name(&release.name, release.revision, part);
                    self.secrets
                        .patch(&name, &PatchParams::default(), &Patch::Merge(&secret))
                        .await
                        .map_err(kube_err(what))?;
                }
                Err(e) => return Err(kube_err(what)(e)),
            }
        }
        Ok(())
    }

    /// Changes a revision's status, timestamps and description (one metadata patch).
    pub async fn set_info(&self, name: &str, revision: u64, info: &Info) -> Result<(), StoreError> {
        let patch = json!({
            "metadata": {
                "labels": {LABEL_STATUS: info.status.as_str()},
                "annotations": {
                    ANN_FIRST: info.first_deployed,
                    ANN_LAST: info.last_deployed,
                    ANN_DELETED: info.deleted,
                    ANN_DESCRIPTION: info.description,
                }
            }
        });
        let patched = self
            .secrets
            .patch(
                &secret_name(name, revision, 1),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await;
        match patched {
            Ok(_) => Ok(()),
            // Not ketch's: a revision Helm recorded (superseded by an adopting deploy).
            Err(kube::Error::Api(s)) if s.code == 404 => {
                match self.helm_record(name, revision).await? {
                    Some(record) => self.helm.set_info(&record, info).await,
                    None => Err(StoreError::NoRevision {
                        name: name.into(),
                        namespace: self.namespace.clone(),
                        revision,
                    }),
                }
            }
            Err(e) => Err(kube_err(format!(
                "release {name}: recording revision {revision} as {}",
                info.status
            ))(e)),
        }
    }

    /// Deletes one revision (all its Secrets) in one request.
    /// Where Helm recorded `revision` too (a release handed back with `release
    /// export`), Helm's record goes as well.
    pub async fn delete(&self, revision: &Summary) -> Result<(), StoreError> {
        let (name, revision, helm) = (
            revision.name.as_str(),
            revision.revision,
            revision.recorded_by == Recorder::Helm,
        );
        let lp = ListParams::default()
            .labels(&format!(
                "{LABEL_RELEASE}={name},{LABEL_REVISION}={revision}"
            ))
            .fields(&format!("type={SECRET_TYPE}"));
        self.secrets
            .delete_collection(&DeleteParams::default(), &lp)
            .await
            .map_err(kube_err(format!(
                "release {name}: deleting revision {revision}"
            )))?;
        if helm && let Some(record) = self.helm_record(name, revision).await? {
            self.helm.delete(&record).await?;
        }
        Ok(())
    }

    /// Deletes every revision of `name`.
    pub async fn delete_all(&self, name: &str) -> Result<(), StoreError> {
        let lp = ListParams::default()
            .labels(&format!("{LABEL_RELEASE}={name}"))
            .fields(&format!("type={SECRET_TYPE}"));
        self.secrets
            .delete_collection(&DeleteParams::default(), &lp)
            .await
            .map_err(kube_err(format!("release {name}: deleting its history")))?;
        for record in self.helm.records(Some(name)).await? {
            self.helm.delete(&record).await?;
        }
        Ok(())
    }
}

fn head_annotations(release: &Release, info: &Info, parts: usize) -> BTreeMap<String, String> {
    let mut a = BTreeMap::from([
        (ANN_PARTS.to_string(), parts.to_string()),
        (ANN_CHART.to_string(), release.chart_ref()),
        (
            ANN_APP_VERSION.to_string(),
            release.chart.app_version.clone().unwrap_or_default(),
        ),
        (
            ANN_APPLY_METHOD.to_string(),
            release.apply_method.to_string(),
        ),
        (ANN_FIRST.to_string(), info.first_deployed.clone()),
        (ANN_LAST.to_string(), info.last_deployed.clone()),
        (ANN_DESCRIPTION.to_string(), info.description.clone()),
    ]);
    if let Some(deleted) = &info.deleted {
        a.insert(ANN_DELETED.into(), deleted.clone());
    }
    if let Some(source) = &release.source {
        a.insert(ANN_SOURCE.into(), source.describe());
    }
    a
}

fn label<'a>(meta: &'a ObjectMeta, key: &str) -> Option<&'a str> {
    meta.labels.as_ref()?.get(key).map(String::as_str)
}

fn annotation<'a>(meta: &'a ObjectMeta, key: &str) -> Option<&'a str> {
    meta.annotations.as_ref()?.get(key).map(String::as_str)
}

fn info(meta: &ObjectMeta) -> Info {
    let text = |key| annotation(meta, key).unwrap_or_default().to_string();
    Info {
        status: label(meta, LABEL_STATUS)
            .and_then(|s| s.parse().ok())
            .unwrap_or(Status::Unknown),
        first_deployed: text(ANN_FIRST),
        last_deployed: text(ANN_LAST),
        deleted: annotation(meta, ANN_DELETED)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        description: text(ANN_DESCRIPTION),
    }
}

fn summary(secret: &PartialObjectMeta<Secret>) -> Option<Summary> {
    let meta = &secret.metadata;
    Some(Summary {
        name: label(meta, LABEL_RELEASE)?.to_string(),
        namespace: meta.namespace.clone().unwrap_or_default(),
        revision: label(meta, LABEL_REVISION)?.parse().ok()?,
        chart: annotation(meta, ANN_CHART).unwrap_or_default().to_string(),
        app_version: annotation(meta, ANN_APP_VERSION)
            .unwrap_or_default()
            .to_string(),
        apply_method: annotation(meta, ANN_APPLY_METHOD)
            .unwrap_or_default()
            .to_string(),
        recorded_by: Recorder::Ketch,
        source: annotation(meta, ANN_SOURCE).map(str::to_string),
        info: info(meta),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_heads_and_parts() {
        assert_eq!(secret_name("web", 3, 1), "ketch.release.v1.web.v3");
        assert_eq!(secret_name("web", 3, 2), "ketch.release.v1.web.v3.p2");
    }

    #[test]
    fn summaries_come_from_metadata_alone() {
        let release: Release = serde_json::from_value(serde_json::json!({
            "name": "web", "namespace": "ml", "revision": 4,
            "chart": {"apiVersion": "v2", "name": "app", "version": "1.2.0", "appVersion": "3.0"},
            "config": {}, "values": {}, "manifest": [], "applyMethod": "ssa"
        }))
        .unwrap();
        let info = Info {
            status: Status::Deployed,
            first_deployed: "2026-01-01T00:00:00Z".into(),
            last_deployed: "2026-01-02T00:00:00Z".into(),
            deleted: None,
            description: "Upgrade complete".into(),
        };
        let meta = ObjectMeta {
            namespace: Some("ml".into()),
            labels: Some(BTreeMap::from([
                (LABEL_RELEASE.to_string(), "web".to_string()),
                (LABEL_REVISION.to_string(), "4".to_string()),
                (LABEL_STATUS.to_string(), "deployed".to_string()),
            ])),
            annotations: Some(head_annotations(&release, &info, 2)),
            ..ObjectMeta::default()
        };
        let summary = summary(&PartialObjectMeta {
            types: None,
            metadata: meta,
            _phantom: std::marker::PhantomData,
        })
        .unwrap();
        assert_eq!(summary.chart, "app-1.2.0");
        assert_eq!(summary.app_version, "3.0");
        assert_eq!(summary.revision, 4);
        assert_eq!(summary.info, info);
    }
}
