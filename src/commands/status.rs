use ketch::action::status;
use ketch::error::Result;
use serde_json::json;

use super::{output, releases};
use crate::cli::{ReleaseOutput, StatusArgs};

pub fn run(args: &StatusArgs) -> Result<()> {
    let connect = releases::connect(&args.kube);
    let (release, recorded_by, resources) = super::runtime()?.block_on(async {
        let (release, recorded_by) =
            status::run(&connect, &args.kube.namespace, &args.release, args.revision).await?;
        let resources = match args.show_resources {
            true => Some(status::resources(&connect, &release).await?),
            false => None,
        };
        Ok::<_, ketch::action::error::ReleaseError>((release, recorded_by, resources))
    })?;
    let info = release
        .info
        .clone()
        .unwrap_or_else(ketch::release::Info::unknown);
    if args.output != ReleaseOutput::Table {
        let mut value = json!({
            "name": release.name,
            "namespace": release.namespace,
            "revision": release.revision,
            "status": info.status,
            "firstDeployed": info.first_deployed,
            "lastDeployed": info.last_deployed,
            "deleted": info.deleted,
            "description": info.description,
            "chart": release.chart.name,
            "chartVersion": release.chart.version,
            "appVersion": release.chart.app_version,
            "applyMethod": release.apply_method,
            "recordedBy": recorded_by,
            "source": release.source,
            "notes": release.notes,
        });
        if let Some(resources) = &resources {
            value["resources"] = json!(resources);
        }
        return releases::print_structured(&value, args.output);
    }
    let mut out = String::new();
    out.push_str(&format!("NAME: {}\n", release.name));
    out.push_str(&format!("LAST DEPLOYED: {}\n", info.last_deployed));
    out.push_str(&format!("NAMESPACE: {}\n", release.namespace));
    out.push_str(&format!("STATUS: {}\n", info.status));
    out.push_str(&format!("REVISION: {}\n", release.revision));
    out.push_str(&format!("CHART: {}\n", release.chart_ref()));
    if let Some(source) = &release.source {
        out.push_str(&format!("SOURCE: {}\n", source.describe()));
    }
    if let Some(app) = &release.chart.app_version {
        out.push_str(&format!("APP VERSION: {app}\n"));
    }
    out.push_str(&format!("APPLY METHOD: {}\n", release.apply_method));
    out.push_str(&format!("RECORDED BY: {recorded_by}\n"));
    out.push_str(&format!("DESCRIPTION: {}\n", info.description));
    if let Some(resources) = &resources {
        let rows: Vec<Vec<String>> = resources
            .iter()
            .map(|r| {
                let ready = if r.ready { "yes" } else { "no" };
                [&r.kind, &r.name, ready, &r.status]
                    .map(String::from)
                    .to_vec()
            })
            .collect();
        out.push_str("\nRESOURCES:\n");
        out.push_str(&output::table(&["KIND", "NAME", "READY", "STATUS"], &rows));
    }
    if let Some(notes) = release.notes.as_deref().filter(|n| !n.trim().is_empty()) {
        out.push_str("\nNOTES:\n");
        out.push_str(notes);
        if !notes.ends_with('\n') {
            out.push('\n');
        }
    }
    releases::write_stdout(&out)
}
