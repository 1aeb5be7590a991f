//! `ketch lint`: everything that can be wrong with a chart, found offline.
//!
//! A ketch chart (`ketch.dev/engine: minijinja`) is checked for metadata,
//! values schema, templates, Kubernetes schemas and the practices ML platform
//! teams expect of what it deploys ([`practices`], and [`ml`] for GPUs, LLM
//! servers, model versions, canaries and training schedules). A Helm chart is checked with Helm's own
//! rules ([`helm`]), so that `ketch lint` and `helm lint` find the same.

mod deprecations;
mod helm;
mod ml;
mod practices;

use std::io::Read;
use std::path::Path;

use serde::Serialize;

use crate::chart::{Chart, loader};
use crate::engine::{Capabilities, ReleaseInfo};
use crate::kube_schema;
use crate::render::render_user_values;
use crate::values::{UserValues, ValueOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// One thing lint found: where, which rule, and what to do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// The rule's short name (`image-tag`, `resources`, ...).
    pub rule: &'static str,
    /// The file, or template and object, the finding is about.
    pub location: String,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let level = match self.severity {
            Severity::Info => "INFO",
            Severity::Warning => "WARNING",
            Severity::Error => "ERROR",
        };
        write!(
            f,
            "[{level}] {}: {} ({})",
            self.location, self.message, self.rule
        )
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub chart: String,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Whether the chart fails: any error, or any warning when `strict`.
    pub fn fails(&self, strict: bool) -> bool {
        self.count(Severity::Error) > 0 || (strict && self.count(Severity::Warning) > 0)
    }
}

pub struct LintRequest<'a> {
    pub chart: &'a Path,
    pub values: ValueOptions,
    pub capabilities: Capabilities,
}

impl LintRequest<'_> {
    pub fn run(&self, stdin: &mut dyn Read) -> Report {
        let mut report = Report {
            chart: self.chart.display().to_string(),
            findings: Vec::new(),
        };
        if let Some(source) = helm::ChartSource::open(self.chart).filter(|s| s.is_helm_chart()) {
            match self.values.merge_values(stdin) {
                Ok(user) => {
                    report.findings = self.helm(&source, loader::load(self.chart), &user);
                }
                Err(err) => report
                    .findings
                    .push(error("values", &report.chart, err.to_string())),
            }
            return report;
        }
        match loader::load(self.chart) {
            Ok(chart) => self.check(chart, stdin),
            Err(err) => {
                report
                    .findings
                    .push(error("chart", &report.chart, err.to_string()));
                report
            }
        }
    }

    /// Lints `chart`, already loaded from `self.chart`.
    pub fn check(&self, chart: Chart, stdin: &mut dyn Read) -> Report {
        match self.values.merge_values(stdin) {
            Ok(user) => self.check_with_values(chart, &user),
            Err(err) => Report {
                chart: self.chart.display().to_string(),
                findings: vec![error(
                    "values",
                    &self.chart.display().to_string(),
                    err.to_string(),
                )],
            },
        }
    }

    /// Lints `chart` with the user's values merged already (`self.values` is not read).
    pub fn check_with_values(&self, chart: Chart, user: &UserValues) -> Report {
        let mut report = Report {
            chart: self.chart.display().to_string(),
            findings: Vec::new(),
        };
        if helm::is_helm(&chart)
            && let Some(source) = helm::ChartSource::open(self.chart)
        {
            report.findings = self.helm(&source, Ok(chart), user);
            return report;
        }
        check_metadata(&chart, &mut report.findings);
        practices::check_default_values(&chart, &mut report.findings);
        let release = ReleaseInfo::install("release-name", "default");
        let rendered = match render_user_values(chart, user, &release, &self.capabilities, None) {
            Ok(rendered) => rendered,
            Err(err) => {
                report
                    .findings
                    .push(error("render", &report.chart, err.to_string()));
                return report;
            }
        };
        let objects: Vec<_> = rendered
            .manifest
            .crds
            .iter()
            .chain(&rendered.manifest.objects)
            .collect();
        match kube_schema::Validator::new(&self.capabilities.kube_version) {
            Ok(mut validator) => {
                for object in &objects {
                    if !validator.knows(object) && object.kind() != "CustomResourceDefinition" {
                        report.findings.push(Finding {
                            severity: Severity::Info,
                            rule: "kubernetes-schema",
                            location: format!("{}: {}", object.source, object.describe()),
                            message: format!(
                                "{} is not a built-in kind; not checked against a schema",
                                object.api_version()
                            ),
                        });
                        continue;
                    }
                    match validator.validate(object) {
                        Ok(violations) => {
                            report
                                .findings
                                .extend(violations.into_iter().map(|v| Finding {
                                    severity: Severity::Error,
                                    rule: "kubernetes-schema",
                                    location: format!("{}: {}", v.source, v.object),
                                    message: format!(
                                        "{}: {}",
                                        if v.path.is_empty() { "/" } else { &v.path },
                                        v.message
                                    ),
                                }))
                        }
                        Err(err) => report.findings.push(error(
                            "kubernetes-schema",
                            &object.source,
                            err.to_string(),
                        )),
                    }
                }
            }
            Err(err) => {
                report
                    .findings
                    .push(error("kubernetes-schema", &report.chart, err.to_string()))
            }
        }
        for object in &objects {
            practices::check_object(object, &mut report.findings);
            ml::check_object(object, &mut report.findings);
        }
        ml::check_manifest(&objects, &mut report.findings);
        report
    }
}

impl LintRequest<'_> {
    /// Helm's rules, for a Helm chart.
    fn helm(
        &self,
        source: &helm::ChartSource,
        chart: Result<Chart, loader::LoadError>,
        user: &UserValues,
    ) -> Vec<Finding> {
        helm::HelmLint {
            path: self.chart,
            source,
            chart: chart.map_err(|e| e.to_string()),
            user,
            capabilities: &self.capabilities,
        }
        .run()
    }
}

fn error(rule: &'static str, location: &str, message: String) -> Finding {
    Finding {
        severity: Severity::Error,
        rule,
        location: location.to_string(),
        message,
    }
}

fn check_metadata(chart: &Chart, findings: &mut Vec<Finding>) {
    let location = format!("{}/Chart.yaml", chart.origin);
    for key in chart.metadata.unknown.keys() {
        findings.push(Finding {
            severity: Severity::Warning,
            rule: "chart-metadata",
            location: location.clone(),
            message: format!("unknown field {key:?}: Helm's Chart.yaml has no such field and Helm reads index entries strictly; move it under annotations"),
        });
    }
    if chart
        .metadata
        .description
        .as_deref()
        .is_none_or(str::is_empty)
    {
        findings.push(Finding {
            severity: Severity::Info,
            rule: "chart-metadata",
            location: location.clone(),
            message: "no description: `ketch search` and repository indexes show it".into(),
        });
    }
    if chart.metadata.icon.is_none() {
        findings.push(Finding {
            severity: Severity::Info,
            rule: "chart-metadata",
            location,
            message: "icon is recommended".into(),
        });
    }
}
