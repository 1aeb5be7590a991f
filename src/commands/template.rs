use std::io::Write;
use std::path::Path;

use ketch::engine::{EngineKind, ReleaseInfo};
use ketch::error::{Error, Result};
use ketch::manifest::helm::TemplateOptions;
use ketch::manifest::{self, Object};
use ketch::render::RenderRequest;

use crate::cli::TemplateArgs;

pub fn run(args: &TemplateArgs) -> Result<()> {
    let (release, chart) = match args.positional.as_slice() {
        [chart] => ("release-name", chart),
        [release, chart] => (release.as_str(), chart),
        _ => {
            return Err(Error::Invalid(
                "usage: ketch template [RELEASE] CHART".into(),
            ));
        }
    };
    let located = super::locate_chart(chart, &args.source)?;
    if args.dependency_update {
        super::dependency::update_first(&located.path)?;
    }
    let request = RenderRequest {
        chart: located.path,
        release: ReleaseInfo::install(release, &args.namespace),
        values: (&args.values).into(),
        capabilities: super::offline_capabilities(
            args.kube_version.as_deref(),
            &args.api_versions,
        )?,
        text_only: !args.validate,
    };
    let rendered = request.run(&mut std::io::stdin().lock())?;
    // A Helm chart prints as `helm template` prints it (`--validate` works on
    // the parsed objects, as for ketch charts).
    if rendered.rendered.root_engine == EngineKind::Helm && !args.validate {
        let options = TemplateOptions {
            include_crds: args.include_crds,
            skip_tests: args.skip_tests,
            show_only: args.show_only.clone(),
        };
        let out = match &args.output_dir {
            None => manifest::helm::template_output(&rendered.rendered, &options)?,
            Some(dir) => manifest::helm::write_output_dir(&rendered.rendered, &options, dir)
                .map_err(|e| match e {
                    manifest::helm::OutputDirError::Manifest(e) => Error::from(e),
                    manifest::helm::OutputDirError::Io { path, error } => Error::io(&path, error),
                })?,
        };
        let written = std::io::stdout()
            .lock()
            .write_all(out.as_bytes())
            .map_err(|e| Error::io("<stdout>", e));
        std::mem::forget(rendered);
        return written;
    }
    let root = rendered.chart.name();
    let crds = if args.include_crds {
        &rendered.manifest.crds[..]
    } else {
        &[]
    };
    let objects = select(
        crds.iter().chain(&rendered.manifest.objects),
        &args.show_only,
        root,
    )?;
    if args.validate {
        ketch::kube_schema::validate_all(
            objects.iter().copied(),
            &request.capabilities.kube_version,
        )?;
    }
    let written = match &args.output_dir {
        Some(dir) => write_files(dir, &objects),
        None => {
            let out = manifest::write_documents(&objects)?;
            std::io::stdout()
                .lock()
                .write_all(out.as_bytes())
                .map_err(|e| Error::io("<stdout>", e))
        }
    };
    // The process exits next: freeing every value of a large render one by one
    // would cost a twentieth of it.
    std::mem::forget(rendered);
    written
}

/// Keeps the objects of the templates `--show-only` names (all when it names none).
fn select<'a>(
    objects: impl Iterator<Item = &'a Object>,
    show_only: &[String],
    root: &str,
) -> Result<Vec<&'a Object>> {
    let objects: Vec<&Object> = objects.collect();
    if show_only.is_empty() {
        return Ok(objects);
    }
    let matches = |object: &Object, wanted: &str| {
        object.source == wanted
            || object
                .source
                .strip_prefix(root)
                .and_then(|s| s.strip_prefix('/'))
                == Some(wanted)
    };
    if let Some(missing) = show_only
        .iter()
        .find(|w| !objects.iter().any(|o| matches(o, w)))
    {
        return Err(Error::Invalid(format!(
            "--show-only: could not find template {missing:?} in chart {root} (give a path like templates/deployment.yaml; a template that renders nothing cannot be shown)"
        )));
    }
    Ok(objects
        .into_iter()
        .filter(|o| show_only.iter().any(|w| matches(o, w)))
        .collect())
}

/// Writes each template's objects to `DIR/<source path>`, as `helm template --output-dir` does.
fn write_files(dir: &Path, objects: &[&Object]) -> Result<()> {
    let mut files: Vec<(String, String)> = Vec::new();
    for object in objects {
        let mut text = String::new();
        manifest::write_document(&mut text, object)?;
        match files.iter_mut().find(|(path, _)| *path == object.source) {
            Some((_, existing)) => existing.push_str(&text),
            None => files.push((object.source.clone(), text)),
        }
    }
    for (source, text) in files {
        let path = dir.join(&source);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
