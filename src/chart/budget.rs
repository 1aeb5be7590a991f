//! How much one load may read: the limits of a chart and its subcharts, and the byte budget
//! they share while files and archives are read on every core.

use std::sync::atomic::{AtomicU64, Ordering};

/// The largest file a chart may hold (decompressed), as in Helm.
pub const MAX_FILE_SIZE: u64 = 5 * MIB;
/// The most bytes one load reads: every file of the chart and its subcharts,
/// and the decompressed contents of every archive, as in Helm.
pub const MAX_CHART_SIZE: u64 = 100 * MIB;
/// How deeply subcharts may nest (`charts/a/charts/b/...`).
pub const MAX_SUBCHART_DEPTH: usize = 16;

pub(crate) const MIB: u64 = 1024 * 1024;

/// Bytes left to read in one load, shared by a chart and all its subcharts
/// (which load on every core).
#[derive(Debug)]
pub(crate) struct Budget {
    remaining: AtomicU64,
}

impl Budget {
    pub(crate) fn new() -> Self {
        Self {
            remaining: AtomicU64::new(MAX_CHART_SIZE),
        }
    }

    pub(crate) fn remaining(&self) -> u64 {
        self.remaining.load(Ordering::Relaxed)
    }

    /// Takes `n` bytes; false when that would pass the limit.
    pub(crate) fn take(&self, n: u64) -> bool {
        self.remaining
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(n)
            })
            .is_ok()
    }
}
