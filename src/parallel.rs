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

/// Fills `out` in consecutive chunks (one per core) with `f(first, chunk)`, `first` being
/// the index of the chunk's first item: like [`map_chunks_at`] but in place, without a
/// second copy of the results.
pub fn fill_chunks<R: Send>(out: &mut [R], f: impl Fn(usize, &mut [R]) + Sync) {
    let threads = threads();
    if threads < 2 || out.len() < 4_096 {
        f(0, out);
        return;
    }
    let chunk = out.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let f = &f;
        for (k, part) in out.chunks_mut(chunk).enumerate() {
            scope.spawn(move || f(k * chunk, part));
        }
    });
}

/// [`fill_chunks`] over two outputs of the same length at once.
pub fn fill_chunks2<A: Send, B: Send>(
    a: &mut [A],
    b: &mut [B],
    f: impl Fn(usize, &mut [A], &mut [B]) + Sync,
) {
    assert_eq!(a.len(), b.len(), "outputs of the same length");
    let threads = threads();
    if threads < 2 || a.len() < 4_096 {
        f(0, a, b);
        return;
    }
    let chunk = a.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let f = &f;
        for (k, (pa, pb)) in a.chunks_mut(chunk).zip(b.chunks_mut(chunk)).enumerate() {
            scope.spawn(move || f(k * chunk, pa, pb));
        }
    });
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
    fn fills_know_their_first_index() {
        for n in [0, 10, 4_095, 4_096, 10_001] {
            let mut a = vec![0usize; n];
            fill_chunks(&mut a, |first, part| {
                for (k, v) in part.iter_mut().enumerate() {
                    *v = first + k;
                }
            });
            assert!(a.iter().enumerate().all(|(k, &v)| k == v));
            let (mut b, mut c) = (vec![0usize; n], vec![0u8; n]);
            fill_chunks2(&mut b, &mut c, |first, pb, pc| {
                for (k, (vb, vc)) in pb.iter_mut().zip(pc).enumerate() {
                    *vb = 2 * (first + k);
                    *vc = ((first + k) % 251) as u8;
                }
            });
            assert!(b.iter().enumerate().all(|(k, &v)| v == 2 * k));
            assert!(
                c.iter()
                    .enumerate()
                    .all(|(k, &v)| usize::from(v) == k % 251)
            );
        }
    }
}
