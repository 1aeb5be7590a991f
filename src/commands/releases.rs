//! What the release commands share: flags to settings, progress lines, and
//! printing a release.

use std::io::Write;

use ketch::action::deploy::{DryRun, Report, Settings};
use ketch::cluster::ConnectOptions;
use ketch::error::{Error, Result};
use ketch::release::{ApplyMethod, Release, Summary};

use crate::cli::{ApplyMethodArg, DeployArgs, DryRunArg, KubeArgs, ReleaseOutput};

pub fn connect(kube: &KubeArgs) -> ConnectOptions {
    ConnectOptions {
        kubeconfig: kube.kubeconfig.clone(),
        context: kube.kube_context.clone(),
    }
}

pub fn settings(args: &DeployArgs) -> Settings {
    Settings {
        // --atomic needs to know whether the release became ready.
        wait: args.wait || args.atomic,
        timeout: args.timeout,
        atomic: args.atomic,
        dry_run: args.dry_run.map(|d| match d {
            DryRunArg::Client => DryRun::Client,
            DryRunArg::Server => DryRun::Server,
        }),
        apply_method: match args.apply_method {
            ApplyMethodArg::Ssa => ApplyMethod::Ssa,
            ApplyMethodArg::Client => ApplyMethod::Client,
        },
        force_conflicts: args.force_conflicts,
        take_ownership: args.take_ownership,
        history_max: args.history_max,
        lock_duration: args.lock_duration,
        description: args.description.clone(),
    }
}

/// Progress goes to standard error, one line per change.
pub fn progress(line: &str) {
    eprintln!("{line}");
}

pub fn write_stdout(text: &str) -> Result<()> {
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|e| Error::io("<stdout>", e))
}

/// Helm's summary after install, upgrade and rollback.
pub fn print_release(release: &Release, report: &Report, dry_run: Option<DryRun>) -> Result<()> {
    let info = release.info.clone();
    let mut out = String::new();
    out.push_str(&format!("NAME: {}\n", release.name));
    if let Some(info) = &info {
        out.push_str(&format!("LAST DEPLOYED: {}\n", info.last_deployed));
    }
    out.push_str(&format!("NAMESPACE: {}\n", release.namespace));
    match dry_run {
        Some(_) => out.push_str("STATUS: pending (dry run)\n"),
        None => out.push_str(&format!("STATUS: {}\n", release.status())),
    }
    out.push_str(&format!("REVISION: {}\n", release.revision));
    if dry_run.is_none() {
        out.push_str(&format!(
            "CHANGES: {} applied, {} unchanged, {} pruned{}\n",
            report.applied.len(),
            report.unchanged,
            report.pruned.len(),
            if report.kept.is_empty() {
                String::new()
            } else {
                format!(", {} kept (resource policy keep)", report.kept.len())
            }
        ));
        if report.hooks_run > 0 {
            out.push_str(&format!("HOOKS RUN: {}\n", report.hooks_run));
        }
    }
    if dry_run.is_some() {
        let hooks = ketch::action::get::hooks_yaml(release)?;
        if !hooks.is_empty() {
            out.push_str("HOOKS:\n");
            out.push_str(&hooks);
        }
        out.push_str("MANIFEST:\n");
        let mut crds = String::new();
        for crd in release.crd_objects() {
            ketch::manifest::write_document(&mut crds, &crd)?;
        }
        out.push_str(&crds);
        out.push_str(&release.manifest_yaml()?);
    }
    if let Some(notes) = release.notes.as_deref().filter(|n| !n.trim().is_empty()) {
        out.push_str("\nNOTES:\n");
        out.push_str(notes);
        if !notes.ends_with('\n') {
            out.push('\n');
        }
    }
    write_stdout(&out)
}

/// `-o json|yaml` of anything serialisable.
pub fn print_structured<T: serde::Serialize>(value: &T, format: ReleaseOutput) -> Result<()> {
    let text = match format {
        ReleaseOutput::Yaml => ketch::yaml::to_string(value)?,
        _ => {
            let mut s =
                serde_json::to_string_pretty(value).map_err(|e| Error::Invalid(e.to_string()))?;
            s.push('\n');
            s
        }
    };
    write_stdout(&text)
}

pub fn summary_row(s: &Summary) -> Vec<String> {
    vec![
        s.name.clone(),
        s.namespace.clone(),
        s.revision.to_string(),
        s.info.last_deployed.clone(),
        s.info.status.to_string(),
        s.chart.clone(),
        s.app_version.clone(),
    ]
}
