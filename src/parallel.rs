//! Runs independent jobs on every core and gives their results back in the
//! jobs' order, so parallel work never changes what ketch prints.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

/// Below this many jobs the calling thread does them all: starting threads
/// costs more than small jobs gain.
const MIN_JOBS: usize = 8;

/// `f` applied to every item, on up to one thread per core, results in the
/// items' order. Threads take the next item as they finish one, so a few slow
/// items do not leave a core idle.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    map_indexed(items.len(), |i| f(&items[i]))
}

/// [`map`] for items `f` consumes.
pub fn map_owned<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let slots: Vec<Mutex<Option<T>>> = items.into_iter().map(|i| Mutex::new(Some(i))).collect();
    map_indexed(slots.len(), |i| {
        let item = slots[i]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .expect("each index is taken once");
        f(item)
    })
}

/// The cores this process may use, asked once: std reads the cgroup's CPU
/// quota files on every call, ten system calls a time.
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// `f(0..len)`, in that order, on every core.
fn map_indexed<R: Send>(len: usize, f: impl Fn(usize) -> R + Sync) -> Vec<R> {
    let threads = cores().min(len);
    if threads <= 1 || len < MIN_JOBS {
        return (0..len).map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= len {
                return done;
            }
            done.push((i, f(i)));
        }
    };
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut results = work();
        for worker in workers {
            let done = worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            results.extend(done);
        }
        results
    });
    results.sort_unstable_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
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
