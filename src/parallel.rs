//! Runs independent jobs on every core and gives their results back in the
//! jobs' order, so parallel work never changes what ketch prints.
//!
//! The jobs run on rayon's pool: its threads start once per process and stay
//! awake between the few parallel steps of a render (load, compile and
//! render, parse, write). Starting scoped threads for each step left the
//! second core mostly idle on a small VM (a fifth of umbrella-100's wall time).

use std::sync::{Once, OnceLock};

use rayon::prelude::*;

/// The stack of each pool thread. Rendering recurses (macros, `tpl`, nested
/// values and expressions) and runs here: 64 MiB of address space per core,
/// of which only the pages a render touches are ever used.
const STACK_BYTES: usize = 64 << 20;

/// Starts rayon's pool with [`STACK_BYTES`] stacks, before anything uses it.
fn pool() {
    static POOL: Once = Once::new();
    POOL.call_once(|| {
        // Fails only if the pool already runs, with rayon's default stacks.
        let _ = rayon::ThreadPoolBuilder::new()
            .stack_size(STACK_BYTES)
            .build_global();
    });
}

/// Runs `f` on a pool thread (with its large stack), the caller waiting.
pub fn on_large_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    pool();
    rayon::scope(|_| f())
}

/// Below this many jobs the calling thread does them all: waking the pool
/// costs more than small jobs gain.
const MIN_JOBS: usize = 16;

/// `f` applied to every item, on every core, results in the items' order.
/// Idle threads steal work, so a few slow items do not leave a core idle.
pub fn map<'a, T: Sync, R: Send>(items: &'a [T], f: impl Fn(&'a T) -> R + Sync + Send) -> Vec<R> {
    if serial(items.len()) {
        return items.iter().map(f).collect();
    }
    pool();
    items.par_iter().map(f).collect()
}

/// [`map`] for items `f` consumes.
pub fn map_owned<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
    if serial(items.len()) {
        return items.into_iter().map(f).collect();
    }
    pool();
    items.into_par_iter().map(f).collect()
}

/// Whether `jobs` jobs are better done on the calling thread.
fn serial(jobs: usize) -> bool {
    jobs < MIN_JOBS || cores() <= 1
}

/// The cores this process may use, asked once: std reads the cgroup's CPU
/// quota files on every call, ten system calls a time.
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u64> = (0..1000).collect();
        let out = map(&items, |i| {
            // Uneven work, so threads finish out of order.
            (0..(i % 7) * 1000).fold(*i, |a, b| a ^ b) ^ (0..(i % 7) * 1000).fold(0, |a, b| a ^ b)
        });
        assert_eq!(out, items);
        assert_eq!(map(&[1, 2, 3], |i| i * 2), vec![2, 4, 6]);
        assert!(map(&[] as &[u8], |_| 0).is_empty());
        let owned: Vec<String> = (0..100).map(|i| i.to_string()).collect();
        assert_eq!(map_owned(owned.clone(), |s| s), owned);
    }
}
