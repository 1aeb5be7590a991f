//! Render a chart for a release: load, resolve values, validate them, render
//! the templates and build the ordered manifest.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use crate::chart::LoadError;
use crate::chart::{Chart, loader};
use crate::engine::EngineError;
use crate::engine::{self, Capabilities, EngineKind, Lookup, ReleaseInfo, RenderOptions, Rendered};
use crate::manifest::Manifest;
use crate::manifest::ManifestError;
use crate::values::ValuesError;
use crate::values::{self, UserValues, ValueOptions, Values};

/// Why a chart did not render: it did not load, its values are wrong, a template failed, or
/// the output is not valid Kubernetes YAML. Each names its file, line or field.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Values(#[from] ValuesError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
}

type Result<T> = std::result::Result<T, RenderError>;

#[derive(Debug, Clone)]
pub struct RenderRequest {
    pub chart: PathBuf,
    pub release: ReleaseInfo,
    pub values: ValueOptions,
    pub capabilities: Capabilities,
    /// Only the text is wanted when the root is a Helm chart (`ketch template`
    /// prints it as rendered): its documents are not parsed into objects.
    pub text_only: bool,
}

/// A rendered release: the resolved chart tree, its values and manifest.
#[derive(Debug)]
pub struct RenderedRelease {
    pub chart: Chart,
    pub values: Values,
    pub manifest: Manifest,
    pub notes: Option<String>,
    /// The templates' text as rendered: a Helm chart is printed from it, as Helm prints it.
    pub rendered: Rendered,
}

impl RenderRequest {
    pub fn new(chart: impl Into<PathBuf>) -> Self {
        Self {
            chart: chart.into(),
            release: ReleaseInfo::install("release-name", "default"),
            values: ValueOptions::default(),
            capabilities: Capabilities::default(),
            text_only: false,
        }
    }

    pub fn run(&self, stdin: &mut dyn Read) -> Result<RenderedRelease> {
        let chart = loader::load(&self.chart)?;
        let user = self.values.merge_values(stdin)?;
        render_with(
            chart,
            &user,
            &self.release,
            &self.capabilities,
            None,
            self.text_only,
        )
    }
}

/// Renders an already loaded chart (`run` after loading; `lint` reuses it).
pub fn render_chart(
    chart: Chart,
    value_options: &ValueOptions,
    release: &ReleaseInfo,
    capabilities: &Capabilities,
    stdin: &mut dyn Read,
) -> Result<RenderedRelease> {
    let user = value_options.merge_values(stdin)?;
    render_user_values(chart, &user, release, capabilities, None)
}

/// Renders with user values already merged (an upgrade reusing the last
/// release's values) and, against a live cluster, `lookup`.
pub fn render_user_values(
    chart: Chart,
    user: &UserValues,
    release: &ReleaseInfo,
    capabilities: &Capabilities,
    lookup: Option<Arc<dyn Lookup>>,
) -> Result<RenderedRelease> {
    render_with(chart, user, release, capabilities, lookup, false)
}

fn render_with(
    chart: Chart,
    user: &UserValues,
    release: &ReleaseInfo,
    capabilities: &Capabilities,
    lookup: Option<Arc<dyn Lookup>>,
    text_only: bool,
) -> Result<RenderedRelease> {
    if chart.metadata.deprecated {
        // As Helm warns on install and template.
        tracing::warn!("chart {} is deprecated", chart.name());
    }
    let (chart, values) = values::resolve(chart, user.values.clone())?;
    values::validate(&chart, &values, Some(user))?;
    let options = RenderOptions {
        release: Some(release.clone()),
        capabilities: capabilities.clone(),
        lookup,
        ..RenderOptions::default()
    };
    let rendered = engine::render(&chart, &values, &options)?;
    let manifest = if text_only && rendered.root_engine == EngineKind::Helm {
        Manifest::default()
    } else {
        Manifest::from_rendered(&rendered, &release.namespace)?
    };
    Ok(RenderedRelease {
        chart,
        values,
        manifest,
        notes: rendered.notes.clone(),
        rendered,
    })
}
