//! `ketch convert CHART -o DIR`: a Helm (Go template) chart rewritten as a
//! ketch Jinja chart, and checked: the original (Helm engine) and the
//! converted chart (Jinja) are rendered with the chart's default values and
//! with each `ci/*-values.yaml`, and their objects compared file by file.
//!
//! The root chart's templates are translated (see [`translate`]); its
//! subcharts stay Helm charts under `charts/`, which ketch renders with the
//! Helm engine in the same tree. Every `define` becomes a macro of
//! `templates/_converted.j2`, imported by each template as `h`.

mod translate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gotemplate::parse::Tree;
use serde_json::Value;

use crate::chart::{ChartFile, loader};
use crate::engine::EngineKind;
use crate::error::{Error, Result};
use crate::render::RenderRequest;
use crate::values::ValueOptions;
use translate::{ROOT, Translator};

const MACRO_FILE: &str = "_converted.j2";

/// What a conversion wrote and what it could not translate.
#[derive(Debug, Default)]
pub struct Conversion {
    /// Templates written (paths under `templates/`).
    pub templates: Vec<String>,
    /// `file: construct` for each construct written as `untranslated(...)`.
    pub untranslated: Vec<String>,
}

/// How one file's objects compare for one values case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Equal,
    Differs,
    /// Only one side rendered objects from the file.
    Missing,
}

/// One values case of the check.
#[derive(Debug)]
pub struct Check {
    /// `default values` or `ci/NAME`.
    pub case: String,
    /// Per template file, when both renders succeeded.
    pub files: BTreeMap<String, Outcome>,
    /// The original's render error (Helm would fail too: not the conversion's).
    pub original_error: Option<String>,
    /// The converted chart's render error.
    pub converted_error: Option<String>,
}

impl Check {
    /// Both render the same objects, or both refuse the values.
    pub fn is_equal(&self) -> bool {
        match (&self.original_error, &self.converted_error) {
            (Some(_), Some(_)) => true,
            (None, None) => self.files.values().all(|o| *o == Outcome::Equal),
            _ => false,
        }
    }
}

/// Converts the Helm chart at `chart` into `out` (which must not exist or be empty).
pub fn convert(chart: &Path, out: &Path) -> Result<Conversion> {
    if !chart.is_dir() {
        return Err(Error::Invalid(format!(
            "{}: give a chart directory (unpack an archive with `ketch pull --untar`)",
            chart.display()
        )));
    }
    if out.exists() && out.read_dir().map_or(true, |mut d| d.next().is_some()) {
        return Err(Error::Invalid(format!(
            "{}: exists and is not empty; give a new directory with -o",
            out.display()
        )));
    }
    // Read once: the files are copied to the converted chart and loaded as the original.
    let files = loader::read_dir(chart)?;
    let loaded = loader::load_files(files.clone(), &chart.display().to_string())?;
    if EngineKind::of(&loaded).map_err(|e| Error::Invalid(e.to_string()))? != EngineKind::Helm {
        return Err(Error::Invalid(format!(
            "{}: already a Jinja chart (ketch.dev/engine: minijinja); nothing to convert",
            chart.display()
        )));
    }
    let resolver = gotemplate::Templates::new(crate::engine::helm::functions());
    let parse = |name: &str, file: &ChartFile| -> Result<Vec<Tree>> {
        let text = std::str::from_utf8(&file.data)
            .map_err(|_| Error::Invalid(format!("{name}: not UTF-8 text")))?;
        gotemplate::parse::parse(name, text, &|n| resolver.resolve(n))
            .map_err(|e| Error::Invalid(format!("{name}: {e}")))
    };

    // Library subcharts (Bitnami's `common`) lend the root their defines: they
    // become macros too, before the root's own (which win a name both define).
    let mut defines = Vec::new();
    for library in loaded.subcharts.iter().filter(|c| c.metadata.is_library()) {
        for file in &library.templates {
            let name = format!(
                "{}/charts/{}/templates/{}",
                loaded.name(),
                library.name(),
                file.path
            );
            defines.extend(parse(&name, file)?.into_iter().filter(|t| t.name != name));
        }
    }
    // Every root template: defines to macros, files to their top-level trees.
    let mut tops = Vec::new();
    for file in &loaded.templates {
        let name = format!("{}/templates/{}", loaded.name(), file.path);
        for tree in parse(&name, file)? {
            if tree.name == name {
                tops.push((file.path.clone(), tree));
            } else {
                defines.push(tree);
            }
        }
    }
    let mut macros: BTreeMap<String, String> = BTreeMap::new();
    for tree in &defines {
        let base: String = tree
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let mut name = format!("m_{base}");
        while macros.values().any(|m| *m == name) {
            name.push('_');
        }
        macros.insert(tree.name.clone(), name);
    }

    let mut conversion = Conversion::default();
    let mut written: Vec<(String, String)> = Vec::new();
    if !defines.is_empty() {
        let mut t = Translator::new(&macros, "", MACRO_FILE);
        let mut text = String::from(
            "{#- Macros converted from the chart's Go `define`s by `ketch convert`. -#}\n",
        );
        // The last definition of a name wins, as in Helm's namespace.
        let mut done = std::collections::BTreeSet::new();
        for tree in defines.iter().rev() {
            if done.insert(tree.name.clone()) {
                text.push_str(&t.define(&macros[&tree.name], tree));
            }
        }
        conversion.untranslated.append(&mut t.untranslated);
        written.push((MACRO_FILE.to_string(), text));
    }
    for (path, tree) in &tops {
        if crate::engine::is_macro_file(path) {
            continue;
        }
        let mut t = Translator::new(&macros, "h.", path);
        let body = t.file(tree);
        let mut text = String::new();
        if !macros.is_empty() {
            text.push_str(&format!("{{% import \"{MACRO_FILE}\" as h %}}\n"));
        }
        if t.uses_root || !macros.is_empty() {
            text.push_str(ROOT);
        }
        text.push_str(&body);
        conversion.untranslated.append(&mut t.untranslated);
        conversion.templates.push(path.clone());
        written.push((path.clone(), text));
    }

    write_chart(out, &files, &written)?;
    Ok(conversion)
}

/// Writes the converted chart: every file of the original but its templates,
/// the translated templates, and Chart.yaml marked as a Jinja chart.
fn write_chart(out: &Path, files: &[ChartFile], templates: &[(String, String)]) -> Result<()> {
    let write = |rel: &str, data: &[u8]| -> Result<()> {
        let path = out.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(&path, data).map_err(|e| Error::io(&path, e))
    };
    for file in files {
        if file.path.starts_with("templates/") {
            continue;
        }
        if file.path == "Chart.yaml" {
            let text = std::str::from_utf8(&file.data)
                .map_err(|_| Error::Invalid("Chart.yaml: not UTF-8".into()))?;
            let mut meta = crate::yaml::parse_value(text, "Chart.yaml")?;
            if let Some(map) = meta.as_object_mut() {
                // ketch's Jinja charts are `apiVersion: v2`, dependencies in Chart.yaml.
                if map.get("apiVersion").and_then(Value::as_str) == Some("v1") {
                    map.insert("apiVersion".into(), "v2".into());
                    if let Some(deps) = requirements(files)? {
                        map.insert("dependencies".into(), deps);
                    }
                }
                let annotations = map
                    .entry("annotations")
                    .or_insert_with(|| Value::Object(Default::default()));
                if let Some(a) = annotations.as_object_mut() {
                    a.insert(
                        crate::chart::metadata::ENGINE_ANNOTATION.into(),
                        crate::chart::metadata::ENGINE_MINIJINJA.into(),
                    );
                    // Values print as Go printed them, so the output stays Helm's.
                    a.insert(crate::chart::metadata::PRINT_ANNOTATION.into(), "go".into());
                }
            }
            write("Chart.yaml", crate::yaml::to_string(&meta)?.as_bytes())?;
            continue;
        }
        write(&file.path, &file.data)?;
    }
    for (path, text) in templates {
        write(&format!("templates/{path}"), text.as_bytes())?;
    }
    Ok(())
}

/// The dependencies an `apiVersion: v1` chart lists in `requirements.yaml`.
fn requirements(files: &[ChartFile]) -> Result<Option<Value>> {
    let Some(file) = files.iter().find(|f| f.path == "requirements.yaml") else {
        return Ok(None);
    };
    let text = std::str::from_utf8(&file.data)
        .map_err(|_| Error::Invalid("requirements.yaml: not UTF-8".into()))?;
    let value = crate::yaml::parse_value(text, "requirements.yaml")?;
    Ok(value.get("dependencies").cloned())
}

/// The values cases of the check: the defaults, then each `ci/*-values.yaml`.
pub fn cases(chart: &Path) -> Vec<(String, Option<PathBuf>)> {
    let mut cases = vec![("default values".to_string(), None)];
    let mut ci: Vec<PathBuf> = std::fs::read_dir(chart.join("ci"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with("-values.yaml"))
        })
        .collect();
    ci.sort();
    for path in ci {
        let name = format!(
            "ci/{}",
            path.file_name().unwrap_or_default().to_string_lossy()
        );
        cases.push((name, Some(path)));
    }
    cases
}

/// Renders the original and the converted chart with each case's values and
/// compares their objects, template file by template file.
pub fn check(original: &Path, converted: &Path) -> Vec<Check> {
    cases(original)
        .into_iter()
        .map(|(case, values)| {
            let options = ValueOptions {
                value_files: values.iter().map(|p| p.display().to_string()).collect(),
                ..ValueOptions::default()
            };
            let render =
                |chart: &Path| -> std::result::Result<BTreeMap<String, Vec<Value>>, String> {
                    let request = RenderRequest {
                        values: options.clone(),
                        ..RenderRequest::new(chart)
                    };
                    let rendered = request
                        .run(&mut std::io::empty())
                        .map_err(|e| e.to_string())?;
                    let mut by_file: BTreeMap<String, Vec<Value>> = BTreeMap::new();
                    for object in rendered
                        .manifest
                        .crds
                        .iter()
                        .chain(&rendered.manifest.objects)
                    {
                        let file = object
                            .source
                            .split("/templates/")
                            .nth(1)
                            .unwrap_or(&object.source);
                        by_file
                            .entry(file.to_string())
                            .or_default()
                            .push(Value::Object(object.data.clone()));
                    }
                    Ok(by_file)
                };
            let (a, b) = (render(original), render(converted));
            let mut check = Check {
                case,
                files: BTreeMap::new(),
                original_error: a.as_ref().err().cloned(),
                converted_error: b.as_ref().err().cloned(),
            };
            if let (Ok(a), Ok(b)) = (a, b) {
                for file in a.keys().chain(b.keys()) {
                    let outcome = match (a.get(file), b.get(file)) {
                        (Some(x), Some(y)) if x == y => Outcome::Equal,
                        (Some(_), Some(_)) => Outcome::Differs,
                        _ => Outcome::Missing,
                    };
                    check.files.insert(file.clone(), outcome);
                }
            }
            check
        })
        .collect()
}
