//! Hooks: objects annotated `ketch.dev/hook` (`pre-install`, `post-install`,
//! `pre-upgrade`, `post-upgrade`, `pre-rollback`, `post-rollback`,
//! `pre-delete`, `post-delete`, comma-separated) run around an operation
//! instead of being part of the release's manifest. They run in order of
//! `ketch.dev/hook-weight` (an integer, default 0), then install order, then
//! name; a Job or Pod hook is waited for until it completes, and its failure
//! fails the operation. `ketch.dev/hook-delete-policy` (`before-hook-creation`
//! — the default —, `hook-succeeded`, `hook-failed`) says when ketch deletes it.

use std::fmt;
use std::time::{Duration, Instant};

use kube::Client;
use kube::api::DeleteParams;

use crate::apply::Target;
use crate::apply::ownership::decorate;
use crate::apply::server_side::{self, SsaOptions};
use crate::cluster::{ClusterError, Resources};
use crate::manifest::{Object, order};
use crate::progress::Progress;
use crate::wait::{self, WaitError};

pub const HOOK: &str = "ketch.dev/hook";
pub const HOOK_WEIGHT: &str = "ketch.dev/hook-weight";
pub const HOOK_DELETE_POLICY: &str = "ketch.dev/hook-delete-policy";

/// Helm's hook annotations, which Helm charts carry. Read as Helm reads them:
/// a weight that is not an integer is 0, unknown policies are ignored, and
/// `test` hooks (and hooks of unknown events) never run on install, upgrade,
/// rollback or delete.
pub const HELM_HOOK: &str = "helm.sh/hook";
pub const HELM_HOOK_WEIGHT: &str = "helm.sh/hook-weight";
pub const HELM_HOOK_DELETE_POLICY: &str = "helm.sh/hook-delete-policy";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    PreInstall,
    PostInstall,
    PreUpgrade,
    PostUpgrade,
    PreRollback,
    PostRollback,
    PreDelete,
    PostDelete,
}

const PHASES: &[(&str, Phase)] = &[
    ("pre-install", Phase::PreInstall),
    ("post-install", Phase::PostInstall),
    ("pre-upgrade", Phase::PreUpgrade),
    ("post-upgrade", Phase::PostUpgrade),
    ("pre-rollback", Phase::PreRollback),
    ("post-rollback", Phase::PostRollback),
    ("pre-delete", Phase::PreDelete),
    ("post-delete", Phase::PostDelete),
];

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = PHASES
            .iter()
            .find(|(_, p)| p == self)
            .map_or("?", |(n, _)| n);
        f.write_str(name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletePolicy {
    BeforeHookCreation,
    HookSucceeded,
    HookFailed,
}

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error("{source_path}: {object}: {message}")]
    Annotation {
        source_path: String,
        object: String,
        message: String,
    },
    #[error("{phase} hook {object} failed: {message}")]
    Failed {
        phase: Phase,
        object: String,
        message: String,
    },
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

/// One hook object with its parsed annotations.
#[derive(Debug, Clone)]
pub struct Hook {
    pub object: Object,
    pub phases: Vec<Phase>,
    pub weight: i64,
    pub delete_policies: Vec<DeletePolicy>,
}

fn annotation<'a>(object: &'a Object, key: &str) -> Option<&'a str> {
    object
        .data
        .get("metadata")?
        .get("annotations")?
        .get(key)?
        .as_str()
}

pub fn is_hook(object: &Object) -> bool {
    annotation(object, HOOK).is_some() || annotation(object, HELM_HOOK).is_some()
}

/// Splits rendered objects into the manifest and the hooks, checking every
/// hook's annotations.
pub fn split(objects: Vec<Object>) -> Result<(Vec<Object>, Vec<Object>), HookError> {
    let (hooks, manifest): (Vec<Object>, Vec<Object>) = objects.into_iter().partition(is_hook);
    for hook in &hooks {
        parse(hook)?;
    }
    Ok((manifest, hooks))
}

pub fn parse(object: &Object) -> Result<Hook, HookError> {
    let bad = |message: String| HookError::Annotation {
        source_path: object.source.clone(),
        object: object.describe(),
        message,
    };
    // ketch's annotations, else Helm's (read leniently, as Helm reads them).
    let helm = annotation(object, HOOK).is_none();
    let (hook_key, weight_key, policy_key) = if helm {
        (HELM_HOOK, HELM_HOOK_WEIGHT, HELM_HOOK_DELETE_POLICY)
    } else {
        (HOOK, HOOK_WEIGHT, HOOK_DELETE_POLICY)
    };
    let mut phases = Vec::new();
    for name in annotation(object, hook_key)
        .unwrap_or("")
        .split(',')
        .map(str::trim)
    {
        let name = if helm {
            name.to_lowercase()
        } else {
            name.to_string()
        };
        match PHASES.iter().find(|(n, _)| *n == name) {
            Some((_, phase)) => phases.push(*phase),
            None if helm => {}
            None => {
                return Err(bad(format!(
                    "{HOOK}: unknown hook {name:?} (known: {})",
                    PHASES
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
    }
    let weight = match annotation(object, weight_key) {
        None => 0,
        Some(w) if helm => w.trim().parse().unwrap_or(0),
        Some(w) => w
            .trim()
            .parse()
            .map_err(|_| bad(format!("{HOOK_WEIGHT}: {w:?} is not an integer")))?,
    };
    let mut delete_policies = Vec::new();
    if let Some(policies) = annotation(object, policy_key) {
        for name in policies.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            delete_policies.push(match name.to_lowercase().as_str() {
                "before-hook-creation" => DeletePolicy::BeforeHookCreation,
                "hook-succeeded" => DeletePolicy::HookSucceeded,
                "hook-failed" => DeletePolicy::HookFailed,
                _ if helm => continue,
                other => {
                    return Err(bad(format!(
                        "{HOOK_DELETE_POLICY}: unknown policy {other:?} (known: before-hook-creation, hook-succeeded, hook-failed)"
                    )));
                }
            });
        }
    }
    if delete_policies.is_empty() {
        delete_policies.push(DeletePolicy::BeforeHookCreation);
    }
    Ok(Hook {
        object: object.clone(),
        phases,
        weight,
        delete_policies,
    })
}

/// The hooks of `phase`, in the order they run.
pub fn for_phase(objects: &[Object], phase: Phase) -> Result<Vec<Hook>, HookError> {
    let mut hooks: Vec<Hook> = objects
        .iter()
        .map(parse)
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|h| h.phases.contains(&phase))
        .collect();
    hooks.sort_by(|a, b| {
        (
            a.weight,
            order::install_rank(a.object.kind()),
            a.object.name(),
        )
            .cmp(&(
                b.weight,
                order::install_rank(b.object.kind()),
                b.object.name(),
            ))
    });
    Ok(hooks)
}

/// Where and for whom hooks run.
pub struct HookContext<'a> {
    pub client: &'a Client,
    pub resources: &'a Resources,
    pub release: &'a str,
    pub namespace: &'a str,
    pub timeout: Duration,
    pub progress: &'a dyn Progress,
}

/// Runs the hooks of `phase` one after another; the first failure stops.
pub async fn run(
    ctx: &HookContext<'_>,
    objects: &[Object],
    phase: Phase,
) -> Result<usize, HookError> {
    let hooks = for_phase(objects, phase)?;
    for hook in &hooks {
        run_one(ctx, hook, phase).await?;
    }
    Ok(hooks.len())
}

async fn run_one(ctx: &HookContext<'_>, hook: &Hook, phase: Phase) -> Result<(), HookError> {
    let mut object = hook.object.clone();
    decorate(&mut object.data, ctx.release, ctx.namespace);
    let target = Target::resolve(object, ctx.resources, ctx.namespace)?;
    let started = Instant::now();
    if hook
        .delete_policies
        .contains(&DeletePolicy::BeforeHookCreation)
    {
        delete_and_wait(ctx, &target, ctx.timeout).await?;
    }
    ctx.progress
        .line(&format!("{phase} hook {}: running", target.short()));
    server_side::apply(
        ctx.client,
        &target,
        None,
        SsaOptions {
            force_conflicts: true,
            dry_run: false,
        },
    )
    .await?;
    let waits = matches!(target.kind(), "Job" | "Pod");
    let outcome = if waits {
        let left = ctx.timeout.saturating_sub(started.elapsed());
        wait::wait_ready(ctx.client, &[&target], left, ctx.progress).await
    } else {
        Ok(())
    };
    match outcome {
        Ok(()) => {
            if hook.delete_policies.contains(&DeletePolicy::HookSucceeded) {
                delete(ctx, &target).await?;
            }
            Ok(())
        }
        Err(err) => {
            if hook.delete_policies.contains(&DeletePolicy::HookFailed) {
                delete(ctx, &target).await?;
            }
            let message = match err {
                WaitError::Cluster(e) => return Err(e.into()),
                other => other.to_string(),
            };
            Err(HookError::Failed {
                phase,
                object: target.describe(),
                message,
            })
        }
    }
}

async fn delete(ctx: &HookContext<'_>, target: &Target) -> Result<(), ClusterError> {
    match target
        .api(ctx.client)
        .delete(target.name(), &DeleteParams::background())
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(ClusterError::from_kube(e, target.describe())),
    }
}

/// Deletes the previous run of a hook and waits until it is gone.
async fn delete_and_wait(
    ctx: &HookContext<'_>,
    target: &Target,
    timeout: Duration,
) -> Result<(), ClusterError> {
    let api = target.api(ctx.client);
    match api.delete(target.name(), &DeleteParams::background()).await {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 404 => return Ok(()),
        Err(e) => return Err(ClusterError::from_kube(e, target.describe())),
    }
    let started = Instant::now();
    loop {
        match api.get_opt(target.name()).await {
            Ok(None) => return Ok(()),
            Ok(Some(_)) if started.elapsed() < timeout => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Ok(Some(_)) => {
                return Err(ClusterError::Client {
                    what: target.describe(),
                    message: format!(
                        "the previous run of this hook was still being deleted after {}s",
                        timeout.as_secs()
                    ),
                });
            }
            Err(e) => return Err(ClusterError::from_kube(e, target.describe())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(name: &str, annotations: serde_json::Value) -> Object {
        Object {
            source: "c/templates/hooks.yaml".into(),
            data: json!({"apiVersion": "batch/v1", "kind": "Job",
                         "metadata": {"name": name, "annotations": annotations}})
            .as_object()
            .cloned()
            .unwrap(),
        }
    }

    #[test]
    fn hooks_are_split_and_ordered_by_weight() {
        let objects = vec![
            object(
                "b",
                json!({HOOK: "pre-install,pre-upgrade", HOOK_WEIGHT: "5"}),
            ),
            object("plain", json!({})),
            object(
                "a",
                json!({HOOK: "pre-upgrade", HOOK_WEIGHT: "-1", HOOK_DELETE_POLICY: "hook-succeeded"}),
            ),
        ];
        let (manifest, hooks) = split(objects).unwrap();
        assert_eq!(manifest.len(), 1);
        let order: Vec<_> = for_phase(&hooks, Phase::PreUpgrade)
            .unwrap()
            .iter()
            .map(|h| h.object.name().to_string())
            .collect();
        assert_eq!(order, ["a", "b"]);
        assert_eq!(for_phase(&hooks, Phase::PreInstall).unwrap().len(), 1);
        assert_eq!(
            for_phase(&hooks, Phase::PreInstall).unwrap()[0].delete_policies,
            [DeletePolicy::BeforeHookCreation]
        );
    }

    #[test]
    fn helm_hooks_are_read_as_helm_reads_them() {
        let (manifest, hooks) = split(vec![
            object("a", json!({})),
            object(
                "b",
                json!({HELM_HOOK: "Pre-Install", HELM_HOOK_WEIGHT: "x", HELM_HOOK_DELETE_POLICY: "hook-succeeded,odd"}),
            ),
            object("t", json!({HELM_HOOK: "test"})),
        ])
        .unwrap();
        assert_eq!((manifest.len(), hooks.len()), (1, 2));
        let b = parse(&hooks[0]).unwrap();
        assert_eq!(b.phases, [Phase::PreInstall]);
        assert_eq!(b.weight, 0);
        assert_eq!(b.delete_policies, [DeletePolicy::HookSucceeded]);
        assert!(parse(&hooks[1]).unwrap().phases.is_empty());
    }

    #[test]
    fn unknown_hook_names_are_errors() {
        let err = split(vec![object("x", json!({HOOK: "pre-instal"}))]).unwrap_err();
        assert!(
            err.to_string().contains("unknown hook \"pre-instal\""),
            "{err}"
        );
        let err = split(vec![object(
            "x",
            json!({HOOK: "pre-install", HOOK_WEIGHT: "heavy"}),
        )])
        .unwrap_err();
        assert!(err.to_string().contains("not an integer"), "{err}");
    }
}
