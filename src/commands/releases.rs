//! What the release commands share: flags to settings, progress lines, and
//! printing a release.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use ketch::action::deploy::{DryRun, Report, Settings};
use ketch::action::upgrade::ChartRequest;
use ketch::cluster::{ConnectOptions, Limits};
use ketch::error::{Error, Result};
use ketch::progress::{Progress, WaitBoard};
use ketch::release::{ApplyMethod, Release, Summary};

use crate::cli::{
    ApplyMethodArg, DeployArgs, DryRunArg, KubeArgs, ReleaseChartArgs, ReleaseOutput,
};

/// The request install and upgrade deploy, after `dep update` when `--dependency-update` asks.
pub fn chart_request(
    args: &ReleaseChartArgs,
    create_namespace: bool,
    reuse_values: bool,
    reset_values: bool,
) -> Result<ChartRequest> {
    let located = super::locate_chart(&args.chart, &args.source)?;
    if args.dependency_update {
        super::dependency::update_first(&located.path)?;
    }
    Ok(ChartRequest {
        name: args.release.clone(),
        namespace: args.kube.namespace.clone(),
        chart: located.path,
        source: located.source,
        values: (&args.values).into(),
        create_namespace,
        reuse_values,
        reset_values,
        settings: settings(&args.deploy),
        connect: connect(&args.kube),
    })
}

pub fn connect(kube: &KubeArgs) -> ConnectOptions {
    ConnectOptions {
        kubeconfig: kube.kubeconfig.clone(),
        context: kube.kube_context.clone(),
        token: kube.kube_token.clone(),
        as_user: kube.kube_as_user.clone(),
        as_groups: kube.kube_as_group.clone(),
        apiserver: kube.kube_apiserver.clone(),
        ca_file: kube.kube_ca_file.clone(),
        insecure_skip_tls_verify: kube.kube_insecure_skip_tls_verify,
        tls_server_name: kube.kube_tls_server_name.clone(),
        limits: Limits {
            qps: kube.qps,
            burst: kube.burst_limit,
        },
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

/// Progress on standard error: one line per change, or on a terminal, lines
/// above one `--wait` board redrawn in place.
pub struct StderrProgress {
    live: bool,
    /// Terminal width, from `COLUMNS` (the default when unset).
    width: usize,
    /// The board on screen, to erase and redraw.
    board: Mutex<Vec<String>>,
}

impl StderrProgress {
    pub fn new() -> Self {
        let stderr = std::io::stderr();
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        StderrProgress {
            live: stderr.is_terminal() && !dumb,
            width: std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.parse().ok())
                .filter(|&c: &usize| c > 20)
                .unwrap_or(80)
                - 1,
            board: Mutex::new(Vec::new()),
        }
    }

    /// Replaces the board on screen (`shown`) with `lines`, `above` printed first.
    fn redraw(&self, shown: &mut Vec<String>, above: Option<&str>, lines: Vec<String>) {
        let mut out = String::new();
        if !shown.is_empty() {
            // To the start of the board's first line, then clear to the end of the screen.
            out.push_str(&format!("\x1b[{}F\x1b[J", shown.len()));
        }
        for line in above
            .into_iter()
            .map(str::to_string)
            .chain(lines.iter().cloned())
        {
            out.push_str(&line);
            out.push('\n');
        }
        let _ = std::io::stderr().lock().write_all(out.as_bytes());
        *shown = lines;
    }
}

impl Progress for StderrProgress {
    fn line(&self, line: &str) {
        if !self.live {
            eprintln!("{line}");
            return;
        }
        let mut shown = self.board.lock().unwrap_or_else(|e| e.into_inner());
        let board = shown.clone();
        self.redraw(&mut shown, Some(line), board);
    }

    fn live(&self) -> bool {
        self.live
    }

    fn waiting(&self, board: &WaitBoard) {
        let mut shown = self.board.lock().unwrap_or_else(|e| e.into_inner());
        let lines = board.lines(self.width);
        if board.done {
            // The summary stays; the next lines go below it.
            self.redraw(&mut shown, lines.first().map(String::as_str), Vec::new());
        } else {
            self.redraw(&mut shown, None, lines);
        }
    }
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
        s.recorded_by.to_string(),
    ]
}
