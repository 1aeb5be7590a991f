use ketch::chart::{Chart, loader};
use ketch::error::{Error, Result};

use crate::cli::ShowCommand;

pub fn run(command: &ShowCommand) -> Result<()> {
    let (args, parts): (_, &[Part]) = match command {
        ShowCommand::Chart(a) => (a, &[Part::Chart]),
        ShowCommand::Values(a) => (a, &[Part::Values]),
        ShowCommand::Readme(a) => (a, &[Part::Readme]),
        ShowCommand::Schema(a) => (a, &[Part::Schema]),
        ShowCommand::All(a) => (a, &[Part::Chart, Part::Values, Part::Schema, Part::Readme]),
    };
    let chart = loader::load(&super::locate_chart(&args.chart, &args.source)?.path)?;
    let all = parts.len() > 1;
    let mut sections = Vec::new();
    for part in parts {
        match part.text(&chart)? {
            Some(text) => sections.push(text),
            None if all => {}
            None => {
                return Err(Error::Invalid(format!(
                    "{}: the chart has no {}",
                    chart.origin,
                    part.file()
                )));
            }
        }
    }
    print!("{}", sections.join("---\n"));
    Ok(())
}

#[derive(Clone, Copy)]
enum Part {
    Chart,
    Values,
    Readme,
    Schema,
}

impl Part {
    fn file(self) -> &'static str {
        match self {
            Part::Chart => "Chart.yaml",
            Part::Values => "values.yaml",
            Part::Readme => "README.md",
            Part::Schema => "values.schema.json",
        }
    }

    fn text(self, chart: &Chart) -> Result<Option<String>> {
        let text = match self {
            Part::Chart if is_helm(chart) => Some(helm_chart_yaml(chart)?),
            Part::Chart => Some(ketch::yaml::to_string(&chart.metadata)?),
            // `helm show values` prints values.yaml and a newline.
            Part::Values if is_helm(chart) => chart.values_text.clone().map(|t| t + "\n"),
            Part::Values => chart.values_text.clone(),
            // `helm show readme` prints README.md and a newline.
            Part::Readme if is_helm(chart) => chart
                .readme()
                .map(|f| String::from_utf8_lossy(&f.data).into_owned() + "\n"),
            Part::Readme => chart
                .readme()
                .map(|f| String::from_utf8_lossy(&f.data).into_owned()),
            Part::Schema => chart
                .schema
                .as_ref()
                .map(|s| serde_json::to_string_pretty(s).map(|t| t + "\n"))
                .transpose()
                .map_err(|e| Error::Invalid(format!("values.schema.json: {e}")))?,
        };
        Ok(text.map(|t| if t.ends_with('\n') { t } else { t + "\n" }))
    }
}

fn is_helm(chart: &Chart) -> bool {
    chart.metadata.engine().is_none()
}

/// Chart.yaml as `helm show chart` prints it: Helm's YAML (keys sorted) and a newline.
fn helm_chart_yaml(chart: &Chart) -> Result<String> {
    let mut json =
        serde_json::to_value(&chart.metadata).map_err(|e| Error::Invalid(e.to_string()))?;
    // Helm's `Dependency.Repository` is printed even when empty.
    if let Some(deps) = json.get_mut("dependencies").and_then(|d| d.as_array_mut()) {
        for dep in deps.iter_mut().filter_map(|d| d.as_object_mut()) {
            dep.entry("repository").or_insert_with(|| "".into());
        }
    }
    let text = gotemplate::serial::to_yaml(&gotemplate::Value::from_json(&json))
        .map_err(Error::Invalid)?;
    Ok(if text.ends_with('\n') {
        text + "\n"
    } else {
        text + "\n\n"
    })
}
