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
    let chart = loader::load(&args.chart)?;
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
            Part::Chart => Some(ketch::yaml::to_string(&chart.metadata)?),
            Part::Values => chart.values_text.clone(),
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
