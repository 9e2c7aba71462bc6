//! Data parallelism on scoped threads, one chunk per core: enough for the batch
//! analyses, which split evenly.

/// Worker threads to use: every core.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
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
    let threads = threads();
    if threads < 2 || items.len() < 4_096 {
        return f(0, items);
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let f = &f;
        let handles: Vec<_> = items
            .chunks(chunk)
            .enumerate()
            .map(|(k, part)| scope.spawn(move || f(k * chunk, part)))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for h in handles {
            out.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        out
    })
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
}
