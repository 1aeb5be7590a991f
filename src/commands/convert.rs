use ketch::convert::{self, Outcome};
use ketch::error::{Error, Result};

use super::releases;
use crate::cli::ConvertArgs;

pub fn run(args: &ConvertArgs) -> Result<()> {
    let conversion = convert::convert(&args.chart, &args.output)?;
    let mut out = format!(
        "wrote {} ({} templates)\n",
        args.output.display(),
        conversion.templates.len()
    );
    if !conversion.untranslated.is_empty() {
        out.push_str("not translated (written as untranslated(...), which fails the render):\n");
        for item in &conversion.untranslated {
            out.push_str(&format!("  {item}\n"));
        }
    }
    let checks = convert::check(&args.chart, &args.output);
    for check in &checks {
        let verdict = if check.is_equal() {
            "equal"
        } else {
            "DIFFERENT"
        };
        out.push_str(&format!("{}: {verdict}\n", check.case));
        let first_line = |e: &str| e.lines().next().unwrap_or_default().to_string();
        if let Some(e) = &check.original_error {
            let e = first_line(e);
            out.push_str(&format!("  the original fails: {e}\n"));
        }
        if let Some(e) = &check.converted_error {
            let e = first_line(e);
            out.push_str(&format!("  the converted chart fails: {e}\n"));
        }
        for (file, outcome) in &check.files {
            let shown = match outcome {
                Outcome::Equal => continue,
                Outcome::Differs => "objects differ",
                Outcome::Missing => "objects only on one side",
            };
            out.push_str(&format!("  {file}: {shown}\n"));
        }
    }
    releases::write_stdout(&out)?;
    if conversion.untranslated.is_empty() && checks.iter().all(convert::Check::is_equal) {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "{} does not render the same objects as the original everywhere (see above): write the listed constructs and files in Jinja by hand there, then check with `ketch template`",
            args.output.display()
        )))
    }
}
