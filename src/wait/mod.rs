//! `--wait`: readiness kind by kind, polled concurrently, with a progress
//! line whenever an object's state changes (or, for a live printer, a board
//! of the whole state after each poll) and, on timeout, which objects are
//! not ready and their last events.
//!
//! Ready means: Deployment, StatefulSet and DaemonSet rolled out (the
//! controller saw the latest generation, all replicas updated and available,
//! no old ones left); Job complete (or suspended: queued for admission); Pod
//! ready or succeeded; PersistentVolumeClaim bound; CustomResourceDefinition
//! established; anything else, its
//! `status.observedGeneration` caught up and its `Ready` condition (if any) true.

pub mod readiness;

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Event;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::Client;
use kube::api::{Api, ListParams};
use serde_json::Value;

pub use readiness::{Readiness, readiness};

use crate::apply::Target;
use crate::cluster::ClusterError;
use crate::progress::{Progress, WaitBoard};

/// Time between polls of objects not yet ready: short at first (a Job often
/// completes within a second), then this at most.
const POLL: Duration = Duration::from_secs(1);
const FIRST_POLL: Duration = Duration::from_millis(200);
const CONCURRENCY: usize = 8;
/// Objects not ready that a live board names.
const BOARD_ROWS: usize = 5;
/// Events shown per object that is not ready.
const EVENTS_SHOWN: usize = 3;

/// An object that did not become ready.
#[derive(Debug, Clone)]
pub struct NotReady {
    pub object: String,
    pub state: String,
    pub events: Vec<String>,
}

impl fmt::Display for NotReady {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "  {}: {}", self.object, self.state)?;
        if self.events.is_empty() {
            write!(f, " (no events)")?;
        }
        for event in &self.events {
            write!(f, "\n      {event}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    #[error(
        "timed out after {}s waiting for {} object(s) to become ready:\n{}",
        .timeout.as_secs(),
        .not_ready.len(),
        .not_ready.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    )]
    Timeout {
        timeout: Duration,
        not_ready: Vec<NotReady>,
    },
    #[error("{}", .0)]
    Failed(NotReady),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

/// Waits until every target is ready, `timeout` at most. `progress` gets a
/// line whenever an object's state changes or, when it is live, the whole
/// board after each poll.
pub async fn wait_ready(
    client: &Client,
    targets: &[&Target],
    timeout: Duration,
    progress: &dyn Progress,
) -> Result<(), WaitError> {
    let started = Instant::now();
    let mut pending: Vec<&Target> = targets.to_vec();
    // Each object's last state line and when it changed to it.
    let mut last_state: HashMap<String, (String, Instant)> = HashMap::new();
    let mut interval = FIRST_POLL;
    let mut first = true;
    loop {
        let states: Vec<(&Target, Result<Readiness, ClusterError>)> =
            futures::stream::iter(pending.iter().copied())
                .map(|target| async move { (target, live_readiness(client, target).await) })
                .buffered(CONCURRENCY)
                .collect()
                .await;
        let mut still = Vec::new();
        let mut failed = None;
        for (target, state) in states {
            let state = state?;
            let line = match &state {
                Readiness::Ready => format!("{}: ready", target.short()),
                Readiness::Pending(s) | Readiness::Failed(s) => format!("{}: {s}", target.short()),
            };
            // Objects ready at once need no line; any other change gets one.
            let quiet = first && state == Readiness::Ready;
            if !quiet && last_state.get(&target.short()).map(|l| &l.0) != Some(&line) {
                if !progress.live() {
                    progress.line(&line);
                }
                last_state.insert(target.short(), (line, Instant::now()));
            }
            match state {
                Readiness::Ready => {}
                Readiness::Pending(s) => still.push((target, s)),
                Readiness::Failed(s) => {
                    failed = Some((target, s.clone()));
                    still.push((target, s));
                }
            }
        }
        let timed_out = started.elapsed() >= timeout;
        if progress.live() {
            let mut slowest: Vec<(Instant, String, String)> = still
                .iter()
                .map(|(t, s)| {
                    let since = last_state.get(&t.short()).map_or(started, |l| l.1);
                    (since, t.short(), s.clone())
                })
                .collect();
            slowest.sort();
            progress.waiting(&WaitBoard {
                ready: targets.len() - still.len(),
                total: targets.len(),
                elapsed: started.elapsed(),
                timeout,
                slowest: slowest
                    .into_iter()
                    .take(BOARD_ROWS)
                    .map(|(_, o, s)| (o, s))
                    .collect(),
                done: still.is_empty() || failed.is_some() || timed_out,
            });
        }
        if let Some((target, state)) = failed {
            let events = last_events(client, target).await;
            return Err(WaitError::Failed(NotReady {
                object: target.describe(),
                state,
                events,
            }));
        }
        if still.is_empty() {
            return Ok(());
        }
        if timed_out {
            let mut not_ready = Vec::new();
            for (target, state) in still {
                not_ready.push(NotReady {
                    object: target.describe(),
                    state,
                    events: last_events(client, target).await,
                });
            }
            return Err(WaitError::Timeout { timeout, not_ready });
        }
        pending = still.into_iter().map(|(t, _)| t).collect();
        first = false;
        let left = timeout.saturating_sub(started.elapsed());
        tokio::time::sleep(interval.min(left.max(Duration::from_millis(50)))).await;
        interval = (interval * 2).min(POLL);
    }
}

/// Reads `target` from the cluster and says whether it is ready.
pub async fn live_readiness(client: &Client, target: &Target) -> Result<Readiness, ClusterError> {
    let live = target
        .api(client)
        .get_opt(target.name())
        .await
        .map_err(|e| ClusterError::from_kube(e, target.describe()))?
        .and_then(|o| serde_json::to_value(o).ok());
    let Some(live) = live else {
        return Ok(Readiness::Pending("not found".into()));
    };
    let state = readiness(target.kind(), &live);
    if target.kind() == "PersistentVolumeClaim"
        && matches!(state, Readiness::Pending(_))
        && let Some(class) = binds_on_first_consumer(client, &live).await
    {
        tracing::debug!(
            "{}: Pending until a pod uses it (StorageClass {class} binds on first consumer)",
            target.short()
        );
        return Ok(Readiness::Ready);
    }
    Ok(state)
}

/// The claim's StorageClass name when that class delays binding until a pod
/// uses the claim (`volumeBindingMode: WaitForFirstConsumer`).
async fn binds_on_first_consumer(client: &Client, claim: &Value) -> Option<String> {
    let class = claim.pointer("/spec/storageClassName")?.as_str()?;
    let classes: Api<StorageClass> = Api::all(client.clone());
    let found = classes.get_opt(class).await.ok()??;
    (found.volume_binding_mode.as_deref() == Some("WaitForFirstConsumer")).then(|| class.into())
}

/// The newest events of an object and of what it owns by name prefix
/// (`web` -> the ReplicaSet `web-5d9c` and Pod `web-5d9c-x2`), newest last.
pub async fn last_events(client: &Client, target: &Target) -> Vec<String> {
    let api: Api<Event> = match target.namespace() {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let Ok(list) = api.list(&ListParams::default()).await else {
        return Vec::new();
    };
    let name = target.name();
    let prefix = format!("{name}-");
    let mut events: Vec<(String, String)> = list
        .items
        .into_iter()
        .filter(|e| {
            e.involved_object
                .name
                .as_deref()
                .is_some_and(|n| n == name || n.starts_with(&prefix))
        })
        .map(|e| {
            let when = e
                .last_timestamp
                .as_ref()
                .map(|t| t.0.to_string())
                .or_else(|| e.event_time.as_ref().map(|t| t.0.to_string()))
                .unwrap_or_default();
            let line = format!(
                "{} {} {}/{}: {} {}",
                when,
                e.type_.as_deref().unwrap_or("Normal"),
                e.involved_object
                    .kind
                    .as_deref()
                    .unwrap_or("")
                    .to_ascii_lowercase(),
                e.involved_object.name.as_deref().unwrap_or(""),
                e.reason.as_deref().unwrap_or(""),
                e.message.as_deref().unwrap_or("").trim()
            );
            (when, line)
        })
        .collect();
    events.sort();
    let skip = events.len().saturating_sub(EVENTS_SHOWN);
    events.into_iter().skip(skip).map(|(_, l)| l).collect()
}
