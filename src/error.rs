//! The one error type the command layer sees: every library error, each of
//! which already names its file, line or field.

use crate::package::PackageError;
use crate::pull::PullError;
use crate::registry::RegistryError;
use crate::render::RenderError;
use crate::repo::RepoError;
use crate::serve::ServeError;
use crate::yaml::YamlError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Loading, values, templates and manifests: what rendering reports.
    #[error(transparent)]
    Render(Box<RenderError>),
    #[error(transparent)]
    Yaml(#[from] YamlError),
    #[error(transparent)]
    Package(#[from] PackageError),
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Pull(#[from] PullError),
    #[error(transparent)]
    Release(#[from] crate::action::ReleaseError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Serve(#[from] ServeError),
    #[error(transparent)]
    Schema(#[from] crate::kube_schema::SchemaError),
    /// Boxed: dependency errors are large and rare.
    #[error(transparent)]
    Dependency(Box<crate::deps::DepError>),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A request that cannot be carried out as given; the text says what to do.
    #[error("{0}")]
    Invalid(String),
}

impl<E: Into<RenderError>> From<E> for Error {
    fn from(error: E) -> Self {
        Error::Render(Box::new(error.into()))
    }
}

impl From<crate::deps::DepError> for Error {
    fn from(error: crate::deps::DepError) -> Self {
        Error::Dependency(Box::new(error))
    }
}

impl Error {
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
