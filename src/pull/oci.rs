//! How `pull` reaches OCI registries: through [`crate::registry`].

pub type Options = crate::registry::RegistryOptions;
pub type OciError = crate::registry::RegistryError;
