//! Completeness: every function Helm's templates can call (`tests/goprobe-funcs/names.txt`,
//! printed by the Go probe beside it from Sprig v3.3.0 and Helm v4.3.2's funcs.go) is in
//! `helm::funcs()`, or is the executor's (`include`, `tpl`) or the host's (`lookup`).

use std::path::Path;

/// Functions that are not the function map's: the executor binds `include` and `tpl`
/// (they need the namespace), ketch adds `lookup` at render time.
const NOT_IN_MAP: &[&str] = &["include", "tpl", "lookup"];

fn names() -> Vec<String> {
    include_str!("goprobe-funcs/names.txt")
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn helm_has_every_function() {
    let funcs = gotemplate::helm::funcs();
    let missing: Vec<String> = names()
        .into_iter()
        .filter(|n| !funcs.contains(n) && !NOT_IN_MAP.contains(&n.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "missing from helm::funcs(): {missing:?}"
    );
    // Helm deletes these from Sprig's map.
    for gone in ["env", "expandenv"] {
        assert!(!funcs.contains(gone), "{gone} must not be callable");
    }
}

/// Re-runs the probe (when `go` is installed) so names.txt cannot drift from Sprig.
#[test]
fn names_match_the_go_probe() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/goprobe-funcs");
    let out = std::process::Command::new("go")
        .args(["run", "."])
        .env("GOFLAGS", "-mod=mod")
        .current_dir(&dir)
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let fresh: Vec<String> = String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::to_string)
                .collect();
            assert_eq!(fresh, names(), "Sprig's names changed: rerun goprobe-funcs");
        }
        _ => eprintln!("go not available: skipping the probe"),
    }
}
