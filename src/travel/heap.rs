//! The engine's priority queues.
//!
//! [`BucketQueue`], used whenever the surface allows: cells in buckets of times of
//! width Δ, at most half the least move cost, so that no cell taken from a bucket can
//! be improved by another cell of the same bucket (a move costs at least 2Δ and lands
//! two buckets later or more): every cell of the current bucket is final, in any order,
//! and the answer is Dijkstra's exactly. A ring of buckets spans the greatest move cost.
//! Pushing costs O(1); a bucket's cells are taken in memory order (sorted, each once),
//! which keeps a large grid's reads in cache.
//!
//! [`RadixHeap`], when move costs span too wide a range for buckets (more than
//! [`MAX_BUCKETS`]): a radix heap (Ahuja, Mehlhorn, Orlin and Tarjan) on
//! 64-bit keys. Dijkstra's keys never fall below the last one taken, and the bit
//! patterns of non-negative `f64` times order like the times themselves, so a time's
//! bits are its key. An item goes to the bucket of the highest bit in which its key
//! differs from the last key taken; emptying bucket 0 refills it from the next
//! non-empty bucket. Each item moves down at most 64 times and in practice once or
//! twice, which makes it several times faster than a binary heap on the grids here.

/// Most buckets in a [`BucketQueue`]'s ring.
pub(crate) const MAX_BUCKETS: usize = 1 << 16;

/// A queue of cells keyed by their current time (see the module documentation).
#[derive(Debug)]
pub(crate) struct BucketQueue {
    /// 1 / Δ.
    inv: f64,
    /// Ring size − 1 (a power of two).
    mask: u64,
    buckets: Vec<Vec<u32>>,
    /// The next bucket to take.
    next: u64,
    /// The bucket being taken and its cells.
    taking: u64,
    draining: Vec<u32>,
    /// Cells in `buckets`.
    len: usize,
}

impl BucketQueue {
    /// A queue for move costs in [`least`, `most`] minutes, or `None` when they span
    /// more than [`MAX_BUCKETS`] buckets (or `least` is not positive).
    pub(crate) fn new(least: f64, most: f64) -> Option<Self> {
        let delta = least / 2.0;
        if !(delta > 0.0 && most.is_finite()) {
            return None;
        }
        let span = (most / delta).ceil() + 3.0;
        if span > MAX_BUCKETS as f64 {
            return None;
        }
        let ring = (span as usize).next_power_of_two();
        Some(Self {
            inv: 1.0 / delta,
            mask: ring as u64 - 1,
            buckets: (0..ring).map(|_| Vec::new()).collect(),
            next: 0,
            taking: u64::MAX,
            draining: Vec::new(),
            len: 0,
        })
    }

    #[inline]
    fn bucket(&self, t: f64) -> u64 {
        (t * self.inv) as u64
    }

    /// Adds `cell` at time `t` (not before the bucket being taken).
    #[inline]
    pub(crate) fn push(&mut self, t: f64, cell: u32) {
        let b = self.bucket(t);
        debug_assert!(self.taking == u64::MAX || (b > self.taking && b <= self.taking + self.mask));
        self.buckets[(b & self.mask) as usize].push(cell);
        self.len += 1;
    }

    /// Takes a cell whose time (read from `times`) is final, with that time; cells
    /// improved since they were pushed are skipped. `None` when the queue is empty or
    /// the next bucket starts after `limit`.
    #[inline]
    pub(crate) fn pop(&mut self, times: &[f64], limit: f64) -> Option<(f64, usize)> {
        loop {
            if let Some(cell) = self.draining.pop() {
                let t = times[cell as usize];
                if self.bucket(t) == self.taking {
                    return Some((t, cell as usize));
                }
                // Improved into an earlier bucket, and taken there.
                continue;
            }
            if self.len == 0 {
                return None;
            }
            loop {
                let slot = (self.next & self.mask) as usize;
                if !self.buckets[slot].is_empty() {
                    if self.next as f64 / self.inv > limit {
                        return None;
                    }
                    std::mem::swap(&mut self.buckets[slot], &mut self.draining);
                    self.len -= self.draining.len();
                    // Every cell of the bucket is final, so any order is exact: take
                    // them in memory order (popped from the end), each once, so that
                    // neighbouring cells share cache lines on a large grid.
                    self.draining.sort_unstable_by(|a, b| b.cmp(a));
                    self.draining.dedup();
                    self.taking = self.next;
                    self.next += 1;
                    break;
                }
                self.next += 1;
            }
        }
    }
}

/// Buckets: 0 for keys equal to the last key taken, then one per highest differing bit.
const BUCKETS: usize = 65;

/// A monotone min-queue of `(key, cell)` items.
#[derive(Debug)]
pub(crate) struct RadixHeap {
    last: u64,
    len: usize,
    buckets: Vec<Vec<(u64, u32)>>,
}

impl Default for RadixHeap {
    fn default() -> Self {
        Self {
            last: 0,
            len: 0,
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
        }
    }
}

/// The bucket of `key` when the last key taken is `last` (`key ≥ last`).
#[inline]
fn bucket(key: u64, last: u64) -> usize {
    (u64::BITS - (key ^ last).leading_zeros()) as usize
}

impl RadixHeap {
    /// Adds an item; `key` must not be below the last key taken.
    #[inline]
    pub(crate) fn push(&mut self, key: u64, cell: u32) {
        debug_assert!(key >= self.last, "a radix heap's keys never decrease");
        self.buckets[bucket(key, self.last)].push((key, cell));
        self.len += 1;
    }

    /// Takes an item of the least key, if any.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<(u64, u32)> {
        if self.buckets[0].is_empty() {
            if self.len == 0 {
                return None;
            }
            self.refill();
        }
        self.len -= 1;
        self.buckets[0].pop()
    }

    /// Moves the first non-empty bucket's items down, around its least key.
    #[cold]
    fn refill(&mut self) {
        let Some(i) = (1..BUCKETS).find(|&i| !self.buckets[i].is_empty()) else {
            return;
        };
        let mut items = std::mem::take(&mut self.buckets[i]);
        self.last = items.iter().map(|&(k, _)| k).min().unwrap_or(self.last);
        for &(key, cell) in &items {
            // Every key shares the bits above `i` with the new last key, so it lands
            // in a lower bucket.
            self.buckets[bucket(key, self.last)].push((key, cell));
        }
        items.clear();
        // The emptied bucket keeps its memory for the next refill.
        self.buckets[i] = items;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_key_order_with_pushes_in_between() {
        let mut heap = RadixHeap::default();
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        };
        let mut reference = std::collections::BinaryHeap::new();
        let mut last = 0u64;
        for round in 0..2_000u32 {
            for _ in 0..3 {
                let t = f64::from_bits(last) + (next() % 1_000) as f64 / 7.0;
                heap.push(t.to_bits(), round);
                reference.push(std::cmp::Reverse(t.to_bits()));
            }
            let (k, _) = heap.pop().unwrap();
            assert_eq!(k, reference.pop().unwrap().0);
            last = k;
        }
        while let Some((k, _)) = heap.pop() {
            assert_eq!(k, reference.pop().unwrap().0);
        }
        assert!(reference.is_empty());
        assert!(heap.pop().is_none());
    }

    #[test]
    fn buckets_refuse_too_wide_a_range() {
        assert!(BucketQueue::new(1.0, 100.0).is_some());
        assert!(BucketQueue::new(1e-9, 100.0).is_none());
        assert!(BucketQueue::new(0.0, 100.0).is_none());
    }
}
