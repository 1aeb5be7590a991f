//! ketch's integration tests: one binary, a module per area.

mod chart_loading;
mod cli;
mod rendering;
mod shipped_charts;
mod values;
