//! Distributed and queued training with `charts/trainer` on the test cluster (kwok completes
//! the Jobs' pods): an Indexed Job of four pods runs ranks 0..3 with a headless Service for rank
//! discovery, and a Job for a Kueue queue is created suspended (`--wait` accepts it as queued)
//! and runs once something admits it by unsuspending it, as Kueue does.

use std::collections::BTreeSet;
use std::path::Path;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::json;

use super::releases::ok;
use super::{TestNamespace, client, wait_for};

fn trainer() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("charts/trainer")
        .display()
        .to_string()
}

/// `ketch install RELEASE charts/trainer` of one manual run (no schedule, no volume) with `set`.
fn install_run(ns: &str, release: &str, set: &str) {
    let set = format!("job.enabled=true,cronJob.enabled=false,persistence.enabled=false,{set}");
    ok(&[
        "install",
        release,
        &trainer(),
        "-n",
        ns,
        "--set",
        &set,
        "--wait",
        "--timeout",
        "120s",
    ]);
}

fn completed(job: &Job) -> Option<String> {
    let status = job.status.as_ref()?;
    let done = status
        .conditions
        .as_ref()?
        .iter()
        .any(|c| c.type_ == "Complete" && c.status == "True");
    done.then(|| status.completed_indexes.clone().unwrap_or_default())
}

#[tokio::test]
async fn an_indexed_job_of_four_runs_ranks_zero_to_three() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "ddp").await;
    install_run(
        &ns.name,
        "ddp",
        "distributed.enabled=true,distributed.workers=4",
    );

    let jobs: Api<Job> = ns.api();
    let job = jobs.get("ddp-trainer-run-1").await.expect("the run's Job");
    let spec = job.spec.clone().unwrap();
    assert_eq!(spec.completion_mode.as_deref(), Some("Indexed"));
    assert_eq!((spec.completions, spec.parallelism), (Some(4), Some(4)));
    // --wait returned once the Job completed: every index succeeded.
    assert_eq!(completed(&job).as_deref(), Some("0-3"));
    assert_eq!(job.status.unwrap().succeeded, Some(4));

    let pods: Api<Pod> = ns.api();
    let listed = pods
        .list(&ListParams::default().labels("batch.kubernetes.io/job-name=ddp-trainer-run-1"))
        .await
        .unwrap();
    let mut ranks = BTreeSet::new();
    for pod in &listed.items {
        let index =
            pod.metadata.annotations.as_ref().unwrap()["batch.kubernetes.io/job-completion-index"]
                .clone();
        let spec = pod.spec.as_ref().unwrap();
        // <job>-<rank>.<service>: the name MASTER_ADDR points rank 0 at.
        assert_eq!(
            spec.hostname.as_deref(),
            Some(format!("ddp-trainer-run-1-{index}").as_str())
        );
        assert_eq!(spec.subdomain.as_deref(), Some("ddp-trainer-workers"));
        let env = spec.containers[0].env.as_ref().unwrap();
        let var = |name: &str| env.iter().find(|e| e.name == name).unwrap().clone();
        let rank_from = var("RANK")
            .value_from
            .unwrap()
            .field_ref
            .unwrap()
            .field_path;
        assert_eq!(
            rank_from,
            "metadata.annotations['batch.kubernetes.io/job-completion-index']"
        );
        assert_eq!(var("WORLD_SIZE").value.as_deref(), Some("4"));
        assert_eq!(
            var("MASTER_ADDR").value.as_deref(),
            Some("$(JOB_NAME)-0.ddp-trainer-workers")
        );
        ranks.insert(index);
    }
    assert_eq!(
        ranks,
        BTreeSet::from(["0", "1", "2", "3"].map(String::from))
    );
    let services: Api<Service> = ns.api();
    let headless = services.get("ddp-trainer-workers").await.unwrap();
    assert_eq!(headless.spec.unwrap().cluster_ip.as_deref(), Some("None"));
}

#[tokio::test]
async fn a_queued_job_waits_suspended_until_admitted() {
    let client = client().await;
    let ns = TestNamespace::new(&client, "queued").await;
    // Returns at once: a suspended Job is queued, not unready.
    install_run(&ns.name, "queued", "queue.name=gpu-training");

    let jobs: Api<Job> = ns.api();
    let name = "queued-trainer-run-1";
    let job = jobs.get(name).await.unwrap();
    assert_eq!(job.spec.as_ref().unwrap().suspend, Some(true));
    assert_eq!(
        job.metadata.labels.as_ref().unwrap()["kueue.x-k8s.io/queue-name"],
        "gpu-training"
    );
    let pods: Api<Pod> = ns.api();
    let selector = format!("batch.kubernetes.io/job-name={name}");
    let listed = pods
        .list(&ListParams::default().labels(&selector))
        .await
        .unwrap();
    assert!(listed.items.is_empty(), "a suspended Job started pods");

    // Admission, as Kueue performs it: another field manager sets suspend to false.
    jobs.patch(
        name,
        &PatchParams {
            field_manager: Some("kueue-admission".into()),
            ..PatchParams::default()
        },
        &Patch::Merge(json!({"spec": {"suspend": false}})),
    )
    .await
    .unwrap();
    wait_for("the admitted Job to complete", || {
        let jobs = jobs.clone();
        async move { completed(&jobs.get(name).await.ok()?) }
    })
    .await;
}
