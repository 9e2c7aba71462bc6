//! Data parallelism on rayon's pool (its threads start once per process, one per
//! core, so a parallel phase costs a wake-up, not a thread spawn): chunked maps and
//! fills for the batch analyses, which split evenly, and a queue for uneven tasks.

use rayon::prelude::*;

/// Worker threads in use: rayon's pool, one per core (`RAYON_NUM_THREADS` overrides).
pub fn threads() -> usize {
    rayon::current_num_threads()
}

/// Starts the pool's threads now (they start on first use otherwise), e.g. while input
/// files are read.
pub fn start_pool() {
    rayon::spawn(|| {});
}

/// Fewest items worth splitting for compute-bound work.
const SPLIT_FROM: usize = 4_096;

/// Fewest items worth splitting for memory-bound passes (a sort, a gather, a fill of
/// fresh memory): below it, waking the pool and faulting pages in on two threads cost
/// more than they save (100,000 points prepared in 3.6 ms on one thread, 5.3 ms on two;
/// 1,000,000 in 47 ms on two, 59 ms on one).
pub const MEMORY_BOUND_SPLIT_FROM: usize = 1 << 18;

/// Items per chunk when `len` items are split one chunk per thread, or `None` when they
/// are fewer than `from`.
fn chunk_len(len: usize, from: usize) -> Option<usize> {
    let threads = threads();
    (threads >= 2 && len >= from.max(2)).then(|| len.div_ceil(threads))
}

/// `f` over consecutive chunks of `items` (one per core), results concatenated in order.
pub fn map_chunks<T: Sync, R: Send>(items: &[T], f: impl Fn(&[T]) -> Vec<R> + Sync) -> Vec<R> {
    map_chunks_at(items, |_, part| f(part))
}

/// [`map_chunks`] where `f` also gets the index of its chunk's first item.
pub fn map_chunks_at<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(usize, &[T]) -> Vec<R> + Sync,
) -> Vec<R> {
    let Some(chunk) = chunk_len(items.len(), SPLIT_FROM) else {
        return f(0, items);
    };
    let parts: Vec<Vec<R>> = items
        .par_chunks(chunk)
        .enumerate()
        .map(|(k, part)| f(k * chunk, part))
        .collect();
    let mut out = Vec::with_capacity(items.len());
    for part in parts {
        out.extend(part);
    }
    out
}

/// Fills `out` in consecutive chunks (one per core, from `from` items on) with
/// `f(first, chunk)`, `first` being the index of the chunk's first item: like
/// [`map_chunks_at`] but in place, without a second copy of the results.
pub fn fill_chunks_from<R: Send>(from: usize, out: &mut [R], f: impl Fn(usize, &mut [R]) + Sync) {
    let Some(chunk) = chunk_len(out.len(), from) else {
        f(0, out);
        return;
    };
    out.par_chunks_mut(chunk)
        .enumerate()
        .for_each(|(k, part)| f(k * chunk, part));
}

/// Drops `value` on the pool, so the caller need not wait while its memory goes back to
/// the kernel (tens of megabytes take milliseconds).
pub fn drop_later<T: Send + 'static>(value: T) {
    rayon::spawn(move || drop(value));
}

/// Runs `f` on every task, each task taken by the next free thread (for tasks of uneven
/// size); results in the tasks' order.
pub fn each_task<T: Send, R: Send>(tasks: Vec<T>, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
    tasks.into_par_iter().with_max_len(1).map(f).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_know_their_first_index_and_come_back_in_order() {
        for n in [0, 10, 4_095, 4_096, 10_001] {
            let items: Vec<usize> = (0..n).collect();
            let got = map_chunks_at(&items, |first, part| {
                (first..).zip(part).map(|(i, &v)| (i, v)).collect()
            });
            assert_eq!(got.len(), n);
            assert!(got.iter().enumerate().all(|(k, &(i, v))| k == i && i == v));
        }
    }

    #[test]
    fn tasks_come_back_in_order() {
        let tasks: Vec<usize> = (0..1_000).collect();
        let got = each_task(tasks, |t| t * t);
        assert!(got.iter().enumerate().all(|(k, &v)| v == k * k));
    }

    #[test]
    fn fills_know_their_first_index() {
        for n in [0, 10, 4_095, 4_096, 10_001] {
            let mut a = vec![0usize; n];
            fill_chunks_from(SPLIT_FROM, &mut a, |first, part| {
                for (k, v) in part.iter_mut().enumerate() {
                    *v = first + k;
                }
            });
            assert!(a.iter().enumerate().all(|(k, &v)| k == v));
        }
    }
}
