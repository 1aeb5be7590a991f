//! The answers under `tests/goprobe-sprig/*_want.jsonl`, which the unit tests compare
//! gotemplate with, are Go's: when `go` is installed, the probe is run again over
//! every `*_cases.jsonl` and must give the committed answers.

use std::path::Path;
use std::process::{Command, Stdio};

#[test]
fn committed_answers_are_gos() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/goprobe-sprig");
    if Command::new("go").arg("version").output().is_err() {
        eprintln!("go is not installed: the probe answers are not re-checked");
        return;
    }
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("probe directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with("_cases.jsonl"))
        .collect();
    entries.sort();
    for cases in entries {
        let want_path = cases
            .to_string_lossy()
            .replace("_cases.jsonl", "_want.jsonl");
        let input = std::fs::File::open(&cases).expect("cases");
        let out = Command::new("go")
            .args(["run", "."])
            .current_dir(&dir)
            .env("TZ", "UTC")
            .env("GOFLAGS", "-mod=mod")
            .stdin(input)
            .stderr(Stdio::inherit())
            .output()
            .expect("go run");
        if !out.status.success() {
            eprintln!("the probe did not run (no module cache or network?): not re-checked");
            return;
        }
        let want = std::fs::read_to_string(&want_path).expect("answers");
        let got = String::from_utf8_lossy(&out.stdout);
        for (g, w) in got.lines().zip(want.lines()) {
            assert_eq!(g, w, "Go now answers differently ({want_path})");
        }
        assert_eq!(got.lines().count(), want.lines().count(), "{want_path}");
    }
}
