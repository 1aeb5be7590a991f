//! `files`: read-only access from templates to the chart's own files
//! (`files.get(path)`, `files.glob(pattern)`, `files.lines(path)`).

use std::sync::Arc;

use minijinja::value::{Object, Value};
use minijinja::{Error, ErrorKind, State};

use super::filters::string_arg;
use crate::chart::ChartFile;

#[derive(Debug)]
pub struct Files {
    files: Vec<ChartFile>,
}

impl Files {
    pub fn new(files: &[ChartFile]) -> Self {
        Self {
            files: files.to_vec(),
        }
    }

    fn text(&self, path: &str) -> Result<String, Error> {
        let file = self.files.iter().find(|f| f.path == path).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("files.get: the chart has no file {path:?} (paths are relative to the chart root, e.g. \"files/config.toml\")"),
            )
        })?;
        String::from_utf8(file.data.to_vec()).map_err(|_| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("files.get: {path:?} is not UTF-8 text"),
            )
        })
    }

    fn glob(&self, pattern: &str) -> Result<Value, Error> {
        let matcher = globset::Glob::new(pattern)
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("files.glob: {e}")))?
            .compile_matcher();
        let matched = self
            .files
            .iter()
            .filter(|f| matcher.is_match(&f.path))
            .map(|f| {
                (
                    f.path.clone(),
                    String::from_utf8_lossy(&f.data).into_owned(),
                )
            });
        Ok(Value::from_iter(matched))
    }
}

impl Object for Files {
    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "get" => self
                .text(string_arg("files", method, args)?)
                .map(Value::from),
            "lines" => {
                let text = self.text(string_arg("files", method, args)?)?;
                Ok(Value::from_iter(text.lines().map(str::to_string)))
            }
            "glob" => self.glob(string_arg("files", method, args)?),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}
