//! The engine's queues: which block of the grid to work on next ([`BlockHeap`]), and
//! the cells of one block in bands of time ([`BandRing`]).
//!
//! The search is label-correcting (see `engine`): a cell is expanded again whenever its
//! time improves after it was expanded, so no order is needed for exactness. The
//! queues only make the work small and local: blocks are taken by their least pending
//! time, and a block's cells in bands of time from that least time on, each band's cells
//! in any order — a band is a fraction of the cheapest moves that cross the block, so
//! few cells are expanded twice.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Blocks keyed by the least time pending in them; stale entries (a block whose least
/// pending time has changed since) are left in and skipped by the caller.
#[derive(Debug, Default)]
pub(crate) struct BlockHeap {
    heap: BinaryHeap<Reverse<(u64, u32)>>,
}

impl BlockHeap {
    /// Adds `block` with least pending time `t` (not negative: the bit patterns of
    /// non-negative `f64` order like the values).
    #[inline]
    pub(crate) fn push(&mut self, t: f64, block: u32) {
        debug_assert!(t >= 0.0);
        self.heap.push(Reverse((t.to_bits(), block)));
    }

    /// The entry of least time, if any.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<(f64, u32)> {
        self.heap
            .pop()
            .map(|Reverse((bits, block))| (f64::from_bits(bits), block))
    }
}

/// Slots of a [`BandRing`].
pub(crate) const RING_SLOTS: usize = 64;

/// Cells in bands of time `width` minutes wide, for times from a base to at most
/// `(RING_SLOTS − 2) × width` after it; the bands are taken in order, a band's cells in
/// the order they came.
#[derive(Debug)]
pub(crate) struct BandRing {
    /// 1 / width.
    inv: f64,
    slots: Vec<Vec<u32>>,
    /// The band being taken.
    next: u64,
    /// Cells in `slots`.
    len: usize,
}

impl BandRing {
    /// An empty ring of bands `width` minutes wide (positive and finite).
    pub(crate) fn new(width: f64) -> Self {
        debug_assert!(width > 0.0 && width.is_finite());
        Self {
            inv: 1.0 / width,
            slots: (0..RING_SLOTS).map(|_| Vec::new()).collect(),
            next: 0,
            len: 0,
        }
    }

    /// Starts over from `base` minutes (the ring must be empty).
    #[inline]
    pub(crate) fn restart(&mut self, base: f64) {
        debug_assert_eq!(self.len, 0);
        self.next = (base * self.inv) as u64;
    }

    /// Adds `cell` at `t` minutes: not before the band being taken, and less than
    /// `(RING_SLOTS − 2)` widths after the base.
    #[inline]
    pub(crate) fn push(&mut self, t: f64, cell: u32) {
        let band = (t * self.inv) as u64;
        debug_assert!(band >= self.next && band < self.next + RING_SLOTS as u64);
        self.slots[(band % RING_SLOTS as u64) as usize].push(cell);
        self.len += 1;
    }

    /// Moves the cells of the next non-empty band into `band` (replacing what it held);
    /// `false` when the ring is empty. Cells pushed into the band being taken meanwhile
    /// come in the next call.
    #[inline]
    pub(crate) fn take(&mut self, band: &mut Vec<u32>) -> bool {
        band.clear();
        if self.len == 0 {
            return false;
        }
        loop {
            let slot = (self.next % RING_SLOTS as u64) as usize;
            if !self.slots[slot].is_empty() {
                std::mem::swap(&mut self.slots[slot], band);
                self.len -= band.len();
                return true;
            }
            self.next += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_come_out_by_least_time() {
        let mut heap = BlockHeap::default();
        for (t, b) in [(3.5, 1), (0.0, 2), (120.25, 3), (3.25, 4)] {
            heap.push(t, b);
        }
        let order: Vec<u32> = std::iter::from_fn(|| heap.pop().map(|(_, b)| b)).collect();
        assert_eq!(order, [2, 4, 1, 3]);
    }

    #[test]
    fn bands_come_out_in_order_with_pushes_in_between() {
        let mut ring = BandRing::new(0.5);
        ring.restart(10.0);
        for (t, c) in [(12.9, 1), (10.0, 2), (10.4, 3), (30.0, 4)] {
            ring.push(t, c);
        }
        let mut band = Vec::new();
        let mut seen = Vec::new();
        while ring.take(&mut band) {
            if band.contains(&2) {
                // Into the band being taken: comes next.
                ring.push(10.3, 5);
            }
            seen.push(band.clone());
        }
        assert_eq!(seen, [vec![2, 3], vec![5], vec![1], vec![4]]);
    }
}
