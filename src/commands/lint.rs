use ketch::error::{Error, Result};
use ketch::lint::{LintRequest, Report, Severity};

use crate::cli::{LintArgs, LintFormat};

pub fn run(args: &LintArgs) -> Result<()> {
    let capabilities = super::offline_capabilities(args.kube_version.as_deref(), &[])?;
    let mut reports: Vec<Report> = Vec::new();
    for chart in &args.charts {
        let located = super::locate_chart(chart, &args.source)?;
        let request = LintRequest {
            chart: &located.path,
            values: (&args.values).into(),
            capabilities: capabilities.clone(),
        };
        reports.push(request.run(&mut std::io::stdin().lock()));
    }
    match args.output {
        LintFormat::Json => {
            let json = serde_json::to_string_pretty(&reports)
                .map_err(|e| Error::Invalid(e.to_string()))?;
            println!("{json}");
        }
        LintFormat::Text => {
            for report in &reports {
                println!("==> Linting {}", report.chart);
                for finding in &report.findings {
                    println!("{finding}");
                }
                println!(
                    "{} error(s), {} warning(s), {} info\n",
                    report.count(Severity::Error),
                    report.count(Severity::Warning),
                    report.count(Severity::Info)
                );
            }
        }
    }
    let failed = reports.iter().filter(|r| r.fails(args.strict)).count();
    if failed > 0 {
        return Err(Error::Invalid(format!(
            "{} chart(s) linted, {failed} chart(s) failed",
            reports.len()
        )));
    }
    if matches!(args.output, LintFormat::Text) {
        println!("{} chart(s) linted, 0 chart(s) failed", reports.len());
    }
    Ok(())
}
