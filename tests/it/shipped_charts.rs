//! The charts ketch ships (`charts/`): they render with every example values
//! file, pass `lint --strict` and the Kubernetes schemas, and their schemas
//! give clear messages for the usual mistakes.

use std::path::{Path, PathBuf};

use ketch::engine::Capabilities;
use ketch::lint::{LintRequest, Severity};
use ketch::render::RenderRequest;
use ketch::values::ValueOptions;

use crate::support;

const EXAMPLES: [&str; 5] = ["dev", "prod", "iris", "canary", "llm"];

fn shipped(chart: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("charts")
        .join(chart)
}

fn with_files(files: &[&str]) -> ValueOptions {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    ValueOptions {
        value_files: files
            .iter()
            .map(|f| root.join(f).display().to_string())
            .collect(),
        ..Default::default()
    }
}

fn example(name: &str) -> ValueOptions {
    with_files(&[&format!("charts/ml-stack/examples/{name}.yaml")])
}

fn render(chart: &str, values: ValueOptions) -> Result<String, String> {
    let mut request = RenderRequest::new(shipped(chart));
    request.values = values;
    let rendered = request
        .run(&mut std::io::empty())
        .map_err(|e| e.to_string())?;
    rendered.manifest.to_yaml(false).map_err(|e| e.to_string())
}

#[test]
fn model_server_defaults() {
    insta::assert_snapshot!(render("model-server", ValueOptions::default()).unwrap());
}

#[test]
fn trainer_defaults() {
    insta::assert_snapshot!(render("trainer", ValueOptions::default()).unwrap());
}

#[test]
fn ml_stack_examples() {
    for name in EXAMPLES {
        let out = render("ml-stack", example(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        insta::assert_snapshot!(format!("ml_stack_{name}"), out);
    }
}

#[test]
fn every_chart_and_example_lints_strict_clean() {
    let mut cases: Vec<(&str, ValueOptions)> = ["model-server", "trainer", "ml-stack"]
        .into_iter()
        .map(|chart| (chart, ValueOptions::default()))
        .collect();
    cases.extend(EXAMPLES.map(|name| ("ml-stack", example(name))));
    for (chart, values) in cases {
        let path = shipped(chart);
        let request = LintRequest {
            chart: &path,
            values: values.clone(),
            capabilities: Capabilities::default(),
        };
        let report = request.run(&mut std::io::empty());
        let problems: Vec<String> = report
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Warning)
            .map(ToString::to_string)
            .collect();
        assert!(
            problems.is_empty(),
            "{chart} {:?}: {problems:#?}",
            values.value_files
        );
        assert!(!report.fails(true));
    }
}

/// ml-stack's Chart.lock pins its subcharts as `charts/model-server` and `charts/trainer` are
/// now (their archives are reproducible), and charts/ml-stack/charts holds exactly those; the
/// Pushgateway (a third-party Helm chart, off by default) is locked but not vendored.
#[test]
fn ml_stack_locks_the_current_subcharts() {
    let umbrella = shipped("ml-stack");
    let lock = ketch::deps::read_lock(&umbrella).unwrap().unwrap();
    for chart in ["model-server", "trainer"] {
        let files = ketch::chart::read_dir(&shipped(chart)).unwrap();
        let archive = ketch::package::write_archive(chart, &files, 0).unwrap();
        let locked = lock.dependencies.iter().find(|d| d.name == chart).unwrap();
        assert_eq!(
            locked.archive_sha256(),
            Some(ketch::digest::sha256_hex(&archive)),
            "charts/{chart} changed since charts/ml-stack/Chart.lock: run `ketch dep update charts/ml-stack`"
        );
    }
    for status in ketch::deps::list(&umbrella).unwrap() {
        let expected = match status.name.as_str() {
            "prometheus-pushgateway" => ketch::deps::Status::Missing,
            _ => ketch::deps::Status::Ok,
        };
        assert_eq!(
            status.status, expected,
            "{}: run `ketch dep build charts/ml-stack`",
            status.name
        );
    }
}

fn schema_error(chart: &str, set: &str) -> String {
    let values = ValueOptions {
        set: vec![set.into()],
        ..Default::default()
    };
    render(chart, values).unwrap_err()
}

#[test]
fn schema_errors_are_one_clear_message_each() {
    let err = schema_error("model-server", "replicaCount=-1");
    assert!(
        err.contains("replicaCount: -1 is less than the minimum of 0 (from --set replicaCount=-1)"),
        "{err}"
    );
    let err = schema_error("model-server", "image.tag=latest");
    assert!(err.contains("image.tag: must not be \"latest\""), "{err}");
    let err = schema_error("trainer", "cronJob.schedule=every day");
    assert!(
        err.contains("cronJob.schedule") && err.contains("cron expression"),
        "{err}"
    );
    let err = schema_error("model-server", "variants[0].nmae=x");
    assert!(err.contains("'nmae' was unexpected"), "{err}");
    let err = schema_error("model-server", "serving.runtime=ollama");
    assert!(
        err.contains("serving.runtime: \"ollama\" is not one of")
            && err.contains("custom: the image's own entrypoint; vllm, tgi, triton"),
        "{err}"
    );
    let err = schema_error("model-server", "gpu.enabled=true,gpu.count=0");
    assert!(
        err.contains("gpu.count: 0 is less than the minimum of 1")
            && err.contains("for none, set gpu.enabled=false"),
        "{err}"
    );
}

/// Values the schema cannot judge alone fail the render with the JSON path and what to write.
#[test]
fn bad_ml_values_name_the_path_and_the_fix() {
    let canary = || example("canary");
    let set = |values: ValueOptions, set: &str| ValueOptions {
        set: vec![set.into()],
        ..values
    };
    let err = render(
        "ml-stack",
        set(canary(), "model-server.variants[1].weight=5"),
    )
    .unwrap_err();
    assert!(
        err.contains(
            "variants[*].weight: the weights add up to 95 (stable=90, canary=5); they must add \
             up to 100, e.g. variants[1].weight=10"
        ),
        "{err}"
    );
    let err = render(
        "model-server",
        set(
            ValueOptions::default(),
            "gateway.enabled=true,gateway.parentRefs=null",
        ),
    )
    .unwrap_err();
    assert!(
        err.contains("gateway.parentRefs is empty: name the Gateway"),
        "{err}"
    );
    let err = render(
        "trainer",
        set(ValueOptions::default(), "distributed.enabled=true"),
    )
    .unwrap_err();
    assert!(
        err.contains("distributed.workers=4 pods share the data volume")
            && err.contains("persistence.accessModes=[ReadWriteMany]"),
        "{err}"
    );
    let err = render(
        "trainer",
        set(ValueOptions::default(), "jobSpec.restartPolicy=OnFailure"),
    )
    .unwrap_err();
    assert!(
        err.contains("jobSpec.podFailurePolicy needs jobSpec.restartPolicy=Never"),
        "{err}"
    );
}

/// `ketch lint` warns about ML mistakes in what the values make of the charts, and `--strict`
/// refuses them.
#[test]
fn lint_warns_about_gpu_placement_and_unpinned_models() {
    let args = [
        "lint",
        "charts/model-server",
        "--set",
        "gpu.enabled=true,model.version=latest",
    ];
    let out = support::ketch_in(support::REPO, &args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("(gpu-placement)") && stdout.contains("(model-version)"),
        "{stdout}"
    );
    let strict = support::ketch_in(support::REPO, &[&args[..], &["--strict"]].concat());
    assert_eq!(strict.status.code(), Some(1));
}

/// Autoscaling on load: HPA Pods metrics beside CPU, or a KEDA ScaledObject that scales to
/// zero where the cluster serves KEDA's API (and a clear refusal where it does not).
#[test]
fn model_servers_scale_on_load_metrics_or_with_keda() {
    let scaling = "autoscaling.enabled=true,autoscaling.metrics[0].type=Pods,\
                   autoscaling.metrics[0].pods.metric.name=vllm_num_requests_running,\
                   autoscaling.metrics[0].pods.target.type=AverageValue,\
                   autoscaling.metrics[0].pods.target.averageValue=8";
    let values = ValueOptions {
        set: vec![scaling.into()],
        ..Default::default()
    };
    let hpa = render("model-server", values).unwrap();
    assert!(
        hpa.contains("name: cpu") && hpa.contains("name: vllm_num_requests_running"),
        "{hpa}"
    );

    let keda = "autoscaling.enabled=true,autoscaling.keda.enabled=true,\
                autoscaling.keda.triggers[0].type=prometheus,\
                autoscaling.keda.triggers[0].metadata.threshold=4";
    let values = || ValueOptions {
        set: vec![keda.into()],
        ..Default::default()
    };
    let err = render("model-server", values()).unwrap_err();
    assert!(
        err.contains("autoscaling.keda.enabled needs KEDA's API"),
        "{err}"
    );
    let mut request = RenderRequest::new(shipped("model-server"));
    request.values = values();
    request.capabilities =
        Capabilities::default().with_api_versions(["keda.sh/v1alpha1/ScaledObject".to_string()]);
    let rendered = request.run(&mut std::io::empty()).unwrap();
    let kinds: Vec<&str> = rendered.manifest.objects.iter().map(|o| o.kind()).collect();
    assert!(kinds.contains(&"ScaledObject"), "{kinds:?}");
    assert!(!kinds.contains(&"HorizontalPodAutoscaler"), "{kinds:?}");
    let scaled = support::object_of_kind(&rendered.manifest.objects, "ScaledObject");
    assert_eq!(scaled.data["spec"]["minReplicaCount"], 0);
    let deployment = support::object_of_kind(&rendered.manifest.objects, "Deployment");
    assert!(deployment.data["spec"].get("replicas").is_none());
}
