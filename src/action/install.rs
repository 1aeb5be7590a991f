//! `install`: a first revision of a release from a chart (see [`super::upgrade`],
//! which install and upgrade share).

use std::io::Read;

use super::error::ReleaseError;
use super::upgrade::{self, ChartRequest, Mode, Outcome};
use crate::progress::Progress;

pub async fn run(
    request: &ChartRequest,
    stdin: &mut (dyn Read + Send),
    progress: &dyn Progress,
) -> Result<Outcome, ReleaseError> {
    upgrade::run(request, Mode::Install, stdin, progress).await
}
