//! ketch's integration tests: one binary, a module per area.

mod architecture;
mod chart_loading;
mod cli;
mod convert;
mod dependencies;
mod helm_charts;
mod helm_lint;
mod model_fetch;
mod packaging;
mod references;
mod releases;
mod rendering;
mod repositories;
mod serve;
mod shipped_charts;
mod support;
mod tls;
mod values;
