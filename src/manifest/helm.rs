//! The release text of a Helm chart as `helm template` prints it: each rendered
//! document as the template wrote it (no re-serialising), split on `---` lines,
//! hooks (`helm.sh/hook`) apart, sorted by Helm's install order, each headed
//! `---` and `# Source: <template>` (`pkg/release/v1/util/manifest_sorter.go`,
//! `pkg/action/action.go` renderResources, `pkg/cmd/template.go`).

use serde_json::Value;

use super::ManifestError;
use super::order::HELM_INSTALL_ORDER;
use crate::engine::{Rendered, RenderedTemplate, is_macro_file};
use crate::yaml;

pub const HOOK_ANNOTATION: &str = "helm.sh/hook";

/// Hook events Helm knows; a document naming another is dropped, as Helm drops it.
const HOOK_EVENTS: &[&str] = &[
    "pre-install",
    "post-install",
    "pre-delete",
    "post-delete",
    "pre-upgrade",
    "post-upgrade",
    "pre-rollback",
    "post-rollback",
    "test",
    "test-success",
];

/// One document of a rendered template, as Helm keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The template it came from (`chart/templates/x.yaml`).
    pub source: String,
    /// The text as rendered, leading whitespace removed.
    pub content: String,
    pub kind: String,
    /// The hook events of a hook (`helm.sh/hook`), lower case.
    pub hook_events: Vec<String>,
}

impl Document {
    pub fn is_test_hook(&self) -> bool {
        self.hook_events
            .iter()
            .any(|e| e == "test" || e == "test-success")
    }
}

/// A release's documents, as Helm's `SortManifests` leaves them.
#[derive(Debug, Default)]
pub struct Sorted {
    pub hooks: Vec<Document>,
    pub manifests: Vec<Document>,
}

/// Splits every template's text into documents (Helm's `SplitManifests`),
/// drops empty ones, and sorts hooks and manifests by kind, stably within the
/// order of template names.
pub fn sort(templates: &[RenderedTemplate]) -> Result<Sorted, ManifestError> {
    let mut templates: Vec<&RenderedTemplate> = templates
        .iter()
        .filter(|t| !is_macro_file(&t.source) && !t.text.trim().is_empty())
        .collect();
    templates.sort_by(|a, b| a.source.cmp(&b.source));
    let documents: Vec<(&RenderedTemplate, &str)> = templates
        .into_iter()
        .flat_map(|t| split_documents(&t.text).into_iter().map(move |d| (t, d)))
        .collect();
    // Reading the heads is most of the work: on every core.
    let heads = crate::parallel::map(&documents, |(t, content)| head(content, &t.source));
    let mut sorted = Sorted::default();
    for ((template, content), head) in documents.into_iter().zip(heads) {
        let head = head?;
        let document = Document {
            source: template.source.clone(),
            content: content.to_string(),
            kind: head.kind,
            hook_events: Vec::new(),
        };
        match head.hook {
            None => sorted.manifests.push(document),
            Some(events) => {
                let events: Vec<String> =
                    events.split(',').map(|e| e.trim().to_lowercase()).collect();
                if events.iter().all(|e| HOOK_EVENTS.contains(&e.as_str())) {
                    sorted.hooks.push(Document {
                        hook_events: events,
                        ..document
                    });
                }
            }
        }
    }
    sorted
        .manifests
        .sort_by(|a, b| kind_order(&a.kind, &b.kind));
    sorted.hooks.sort_by(|a, b| kind_order(&a.kind, &b.kind));
    Ok(sorted)
}

/// Helm's `lessByKind` as an ordering: listed kinds by rank, then unlisted
/// kinds by name.
fn kind_order(a: &str, b: &str) -> std::cmp::Ordering {
    let rank = |k: &str| HELM_INSTALL_ORDER.iter().position(|o| *o == k);
    match (rank(a), rank(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// Helm's `SplitManifests`: leading whitespace dropped, split at every line
/// starting with `---` (the separator takes the spaces and tabs after it),
/// blank pieces dropped, each piece's leading whitespace dropped.
pub fn split_documents(text: &str) -> Vec<&str> {
    let text = text.trim_start();
    let mut documents = Vec::new();
    let mut start = 0;
    let mut line = 0;
    let bytes = text.as_bytes();
    while line < bytes.len() {
        if bytes[line..].starts_with(b"---") {
            documents.push(&text[start..line]);
            let mut end = line + 3;
            while end < bytes.len() && (bytes[end] == b' ' || bytes[end] == b'\t') {
                end += 1;
            }
            start = end;
        }
        line = match text[line..].find('\n') {
            Some(i) => line + i + 1,
            None => bytes.len(),
        };
        // A separator's line may itself end the text: the next line starts after it.
        line = line.max(start);
    }
    documents.push(&text[start..]);
    documents
        .into_iter()
        .filter(|d| !d.trim().is_empty())
        .map(str::trim_start)
        .collect()
}

/// What Helm reads of a document (`SimpleHead`): its kind and hook annotation.
struct Head {
    kind: String,
    hook: Option<String>,
}

fn head(content: &str, source: &str) -> Result<Head, ManifestError> {
    // ketch's reader refuses what Helm's takes (duplicate keys, YAML 1.1 forms):
    // the head is then read line by line.
    let Ok(value) = yaml::parse_value(content, source) else {
        return Ok(scan_head(content));
    };
    let map = match value {
        Value::Object(map) => map,
        // A document of comments only is kept, with no kind.
        Value::Null => {
            return Ok(Head {
                kind: String::new(),
                hook: None,
            });
        }
        _ => {
            return Err(ManifestError::Yaml {
                source_path: source.to_string(),
                message: "the document is not a mapping".into(),
            });
        }
    };
    let kind = map
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let hook = map
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get(HOOK_ANNOTATION))
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(Head { kind, hook })
}

/// The kind and hook annotation read from the lines of a document: top-level
/// `kind:`, and `helm.sh/hook:` under `metadata:` `annotations:`.
fn scan_head(content: &str) -> Head {
    let unquote = |s: &str| s.trim().trim_matches(|c| c == '"' || c == '\'').to_string();
    let mut head = Head {
        kind: String::new(),
        hook: None,
    };
    let (mut in_metadata, mut in_annotations) = (false, false);
    for line in content.lines() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if indent == 0 {
            in_metadata = trimmed == "metadata:";
            in_annotations = false;
            if let Some(kind) = trimmed.strip_prefix("kind:") {
                head.kind = unquote(kind);
            }
        } else if in_metadata && trimmed == "annotations:" {
            in_annotations = true;
        } else if in_annotations
            && let Some((key, value)) = trimmed.split_once(':')
            && unquote(key) == HOOK_ANNOTATION
        {
            head.hook = Some(unquote(value));
        }
    }
    head
}

/// How `helm template` is asked to print.
#[derive(Debug, Clone, Default)]
pub struct TemplateOptions {
    pub include_crds: bool,
    pub skip_tests: bool,
    pub show_only: Vec<String>,
}

/// Exactly what `helm template` prints to stdout for this render.
pub fn template_output(
    rendered: &Rendered,
    options: &TemplateOptions,
) -> Result<String, ManifestError> {
    let sorted = sort(&rendered.templates)?;
    let mut manifest = String::new();
    if options.include_crds {
        for crd in &rendered.crds {
            push_document(&mut manifest, &crd.source, &crd.text);
        }
    }
    for document in &sorted.manifests {
        push_document(&mut manifest, &document.source, &document.content);
    }
    let mut out = String::with_capacity(manifest.len() + 1);
    out.push_str(manifest.trim());
    out.push('\n');
    for hook in &sorted.hooks {
        if options.skip_tests && hook.is_test_hook() {
            continue;
        }
        push_document(&mut out, &hook.source, &hook.content);
    }
    if options.show_only.is_empty() {
        return Ok(out);
    }
    show_only(&out, &options.show_only)
}

/// `helm template --output-dir DIR`: each document appended to `DIR/<source>`
/// (a file is started afresh the first time this render writes it; hooks are
/// appended to whatever file is there), in the order `helm template` writes
/// them. Returns what Helm prints: a `wrote PATH` line per document, then an
/// empty line.
pub fn write_output_dir(
    rendered: &Rendered,
    options: &TemplateOptions,
    dir: &std::path::Path,
) -> Result<String, OutputDirError> {
    let sorted = sort(&rendered.templates)?;
    let mut printed = String::new();
    let mut written = std::collections::HashSet::new();
    let mut write = |source: &str, content: &str, append: bool| {
        let path = dir.join(source);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| OutputDirError::Io {
                path: path.clone(),
                error: e,
            })?;
        }
        let mut file = std::fs::OpenOptions::new();
        if append {
            file.append(true);
        } else {
            file.write(true).create(true).truncate(true);
        }
        let mut text = String::new();
        push_document(&mut text, source, content);
        use std::io::Write as _;
        file.open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(|e| OutputDirError::Io {
                path: path.clone(),
                error: e,
            })?;
        printed.push_str(&format!("wrote {}\n", path.display()));
        Ok::<(), OutputDirError>(())
    };
    let crds = rendered.crds.iter().filter(|_| options.include_crds);
    for (source, content) in crds
        .map(|c| (&c.source, &c.text))
        .chain(sorted.manifests.iter().map(|d| (&d.source, &d.content)))
    {
        let append = !written.insert(source.clone());
        write(source, content, append)?;
    }
    for hook in &sorted.hooks {
        if options.skip_tests && hook.is_test_hook() {
            continue;
        }
        let append = dir.join(&hook.source).exists();
        write(&hook.source, &hook.content, append)?;
    }
    printed.push('\n');
    Ok(printed)
}

#[derive(Debug, thiserror::Error)]
pub enum OutputDirError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("{}: {error}", path.display())]
    Io {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
}

fn push_document(out: &mut String, source: &str, content: &str) {
    out.push_str("---\n# Source: ");
    out.push_str(source);
    out.push('\n');
    out.push_str(content);
    out.push('\n');
}

/// `--show-only`: the documents whose template path (without the chart's
/// name) matches one of the patterns, pattern by pattern, as Helm selects them.
fn show_only(out: &str, patterns: &[String]) -> Result<String, ManifestError> {
    let documents = split_documents(out);
    let mut selected = String::new();
    for pattern in patterns {
        let mut found = false;
        for document in &documents {
            let Some(path) = document
                .lines()
                .find_map(|l| l.strip_prefix("# Source: "))
                .and_then(|s| s.split_once('/'))
                .map(|(_, rest)| rest)
            else {
                continue;
            };
            if glob_match(pattern, path) {
                selected.push_str("---\n");
                selected.push_str(document);
                selected.push('\n');
                found = true;
            }
        }
        if !found {
            return Err(ManifestError::ShowOnly {
                template: pattern.clone(),
            });
        }
    }
    Ok(selected)
}

/// Go's `filepath.Match` on `/`-separated paths: `*` and `?` stay within a
/// segment, `[...]` classes, `\` escapes.
fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let mut budget = 100_000usize;
    match_from(&p, &n, &mut budget)
}

fn match_from(p: &[char], n: &[char], budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    match p.split_first() {
        None => n.is_empty(),
        Some(('*', rest)) => (0..=n.len())
            .take_while(|&i| i == 0 || n[i - 1] != '/')
            .any(|i| match_from(rest, &n[i..], budget)),
        Some(('?', rest)) => {
            n.first().is_some_and(|&c| c != '/') && match_from(rest, &n[1..], budget)
        }
        Some(('[', rest)) => {
            let Some(close) = rest.iter().position(|&c| c == ']') else {
                return false;
            };
            let (class, after) = (&rest[..close], &rest[close + 1..]);
            let (negated, class) = match class.split_first() {
                Some(('^', c)) => (true, c),
                _ => (false, class),
            };
            let Some(&c) = n.first() else { return false };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == '-' {
                    hit |= class[i] <= c && c <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == c;
                    i += 1;
                }
            }
            c != '/' && hit != negated && match_from(after, &n[1..], budget)
        }
        Some(('\\', rest)) => match rest.split_first() {
            Some((&c, rest)) => n.first() == Some(&c) && match_from(rest, &n[1..], budget),
            None => false,
        },
        Some((&c, rest)) => n.first() == Some(&c) && match_from(rest, &n[1..], budget),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(source: &str, text: &str) -> RenderedTemplate {
        RenderedTemplate {
            source: source.into(),
            text: text.into(),
            engine: crate::engine::EngineKind::Helm,
        }
    }

    #[test]
    fn documents_split_as_helm_splits_them() {
        assert_eq!(
            split_documents("\n---\na: 1\n---  \nb: 2\n\n---\n\n"),
            ["a: 1\n", "b: 2\n\n"]
        );
        assert_eq!(
            split_documents("a: 1\n--- # x\nb: 2"),
            ["a: 1\n", "# x\nb: 2"]
        );
        assert_eq!(split_documents("a: |\n  ---\n"), ["a: |\n  ---\n"]);
    }

    #[test]
    fn output_is_sorted_by_kind_with_hooks_last() {
        let rendered = Rendered {
            templates: vec![
                template(
                    "c/templates/svc.yaml",
                    "kind: Service\nmetadata:\n  name: s\n",
                ),
                template(
                    "c/templates/cm.yaml",
                    "# only a comment\n---\nkind: ConfigMap\n",
                ),
                template(
                    "c/templates/job.yaml",
                    "kind: Job\nmetadata:\n  annotations:\n    helm.sh/hook: test\n",
                ),
                template("c/templates/x.yaml", "kind: Widget\n---\nkind: Apple\n"),
                template("c/templates/empty.yaml", "\n  \n"),
            ],
            ..Rendered::default()
        };
        let out = template_output(&rendered, &TemplateOptions::default()).unwrap();
        assert_eq!(
            out,
            "---\n# Source: c/templates/cm.yaml\nkind: ConfigMap\n\n\
             ---\n# Source: c/templates/svc.yaml\nkind: Service\nmetadata:\n  name: s\n\n\
             ---\n# Source: c/templates/cm.yaml\n# only a comment\n\n\
             ---\n# Source: c/templates/x.yaml\nkind: Apple\n\n\
             ---\n# Source: c/templates/x.yaml\nkind: Widget\n\
             ---\n# Source: c/templates/job.yaml\nkind: Job\nmetadata:\n  annotations:\n    helm.sh/hook: test\n\n"
        );
        let only = TemplateOptions {
            show_only: vec!["templates/svc.yaml".into()],
            ..TemplateOptions::default()
        };
        assert_eq!(
            template_output(&rendered, &only).unwrap(),
            "---\n# Source: c/templates/svc.yaml\nkind: Service\nmetadata:\n  name: s\n\n\n"
        );
    }

    #[test]
    fn nothing_rendered_prints_one_newline() {
        let out = template_output(&Rendered::default(), &TemplateOptions::default()).unwrap();
        assert_eq!(out, "\n");
    }
}
