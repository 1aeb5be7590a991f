//! Links the `ketch` binary as a position-dependent executable on x86-64
//! Linux, as Go links Helm. A PIE has 44,000 relocations for the dynamic
//! loader to apply at every start, which was a twentieth of a small render
//! (BENCHMARKS.md). Shared libraries, the heap and the stack stay randomised.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    if target == "x86_64-unknown-linux-gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
