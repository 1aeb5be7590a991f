//! model-server's model-fetch init container, run for real: the script the chart renders into
//! the Deployment, executed by `sh` with the environment the chart gives it, downloading from a
//! real HTTP server on 127.0.0.1 into a cache directory. (The test cluster's kwok nodes run no
//! containers, so the script's behaviour is proven here.) It downloads a version once and then
//! skips it, checks `model.sha256`, keeps nothing of a refused download, and says what is wrong.

use std::path::Path;
use std::process::{Command, Output};

use ketch::render::RenderRequest;
use ketch::values::ValueOptions;
use serde_json::Value;

use crate::support::{self, Server, sha256_hex};

/// The model-fetch container of model-server's Deployment rendered with `set`.
fn fetch_container(set: &str) -> Value {
    let mut request = RenderRequest::new(Path::new(support::REPO).join("charts/model-server"));
    request.values = ValueOptions {
        set: vec![format!("model.fetch.enabled=true,{set}")],
        ..Default::default()
    };
    let rendered = request.run(&mut std::io::empty()).unwrap();
    let deployment = support::object_of_kind(&rendered.manifest.objects, "Deployment");
    let init = &deployment.data["spec"]["template"]["spec"]["initContainers"][0];
    assert_eq!(init["name"], "model-fetch");
    init.clone()
}

/// Runs the container's `sh -c SCRIPT` with its environment, the cache at `cache`.
fn run(container: &Value, cache: &Path) -> Output {
    let command: Vec<&str> = container["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(&command[..2], ["sh", "-c"]);
    let mut sh = Command::new("sh");
    sh.args(["-c", command[2]])
        .env_clear()
        .env("PATH", "/usr/bin:/bin");
    for var in container["env"].as_array().unwrap() {
        let name = var["name"].as_str().unwrap();
        let value = match name {
            "MODEL_CACHE_DIR" => cache.display().to_string(),
            "HOME" | "RCLONE_CONFIG" => continue,
            _ => var["value"].as_str().unwrap().to_string(),
        };
        sh.env(name, value);
    }
    sh.output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn the_model_is_downloaded_once_then_found_in_the_cache() {
    let server = Server::start();
    let model = b"weights of iris 1.4.2".to_vec();
    server.serve("/iris/1.4.2/model.bin", 200, model.clone());
    let cache = tempfile::tempdir().unwrap();
    let uri = format!("{}/iris/{{version}}/model.bin", server.url);
    let sha = sha256_hex(&model);
    let container = fetch_container(&format!("model.uri={uri},model.sha256={sha}"));

    let first = run(&container, cache.path());
    assert!(first.status.success(), "{}", text(&first));
    assert!(text(&first).contains("downloading"), "{}", text(&first));
    assert!(text(&first).contains(&format!("sha256 {sha} verified")));
    let target = cache.path().join("iris/1.4.2");
    assert_eq!(std::fs::read(target.join("model.bin")).unwrap(), model);
    assert!(target.join(".complete").is_file());

    let second = run(&container, cache.path());
    assert!(second.status.success(), "{}", text(&second));
    assert!(
        text(&second).contains("iris 1.4.2 is in the cache")
            && text(&second).contains("skipping the download"),
        "{}",
        text(&second)
    );
    assert_eq!(
        server.requests().len(),
        1,
        "the second run downloaded again"
    );
}

#[test]
fn a_wrong_digest_a_read_only_cache_and_an_unknown_scheme_fail_clearly() {
    let server = Server::start();
    server.serve("/iris/1.4.2/model.bin", 200, b"tampered".to_vec());
    let cache = tempfile::tempdir().unwrap();
    let uri = format!("{}/iris/{{version}}/model.bin", server.url);

    let wrong = "0".repeat(64);
    let container = fetch_container(&format!("model.uri={uri},model.sha256={wrong}"));
    let out = run(&container, cache.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains(&format!(
            "but model.sha256 is {wrong}: the download was discarded"
        )),
        "{}",
        text(&out)
    );
    let kept: Vec<_> = std::fs::read_dir(cache.path().join("iris"))
        .unwrap()
        .collect();
    assert!(kept.is_empty(), "a refused download left {kept:?}");

    let read_only = fetch_container(&format!(
        "model.uri={uri},modelCache.type=pvc,modelCache.persistentVolumeClaim.accessModes[0]=ReadOnlyMany"
    ));
    let out = run(&read_only, cache.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("is not in the read-only cache"),
        "{}",
        text(&out)
    );

    // The chart refuses a scheme model-fetch cannot download before anything runs.
    let mut request = RenderRequest::new(Path::new(support::REPO).join("charts/model-server"));
    request.values = ValueOptions {
        set: vec!["model.fetch.enabled=true,model.uri=ftp://models/iris".into()],
        ..Default::default()
    };
    let err = request.run(&mut std::io::empty()).unwrap_err().to_string();
    assert!(
        err.contains("model.uri: model-fetch cannot download ftp://models/iris: write s3://"),
        "{err}"
    );
}
