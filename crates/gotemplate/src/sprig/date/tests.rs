//! Date functions against Go.
