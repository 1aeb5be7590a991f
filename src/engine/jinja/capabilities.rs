//! `capabilities` as Jinja templates see it: `capabilities.kube_version`,
//! `capabilities.api_versions` and `capabilities.has("group/version[/Kind]")`.

use std::sync::Arc;

use minijinja::value::{Enumerator, Object, Value};
use minijinja::{Error, ErrorKind, State};

use super::filters::string_arg;
use crate::engine::Capabilities;

impl Object for Capabilities {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "kube_version" => Some(minijinja::context! {
                version => self.kube_version.version.clone(),
                major => self.kube_version.major,
                minor => self.kube_version.minor,
            }),
            "api_versions" => Some(Value::from_iter(self.api_versions.iter().cloned())),
            _ => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&["kube_version", "api_versions"])
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "has" => Ok(Value::from(self.has(string_arg(
                "capabilities",
                method,
                args,
            )?))),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}
