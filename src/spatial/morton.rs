//! Morton (Z-order) keys and the radix sort that orders points along the curve: the
//! visiting order under the coverage engine, where consecutive points are near each other
//! and mostly share their nearest facility.

/// Morton (Z-order) key of a point: 16 bits of longitude and of latitude, interleaved
/// (cells of about 0.0055° × 0.0027°).
pub fn morton_key(lon: f64, lat: f64) -> u32 {
    let x = (((lon + 180.0) / 360.0).clamp(0.0, 1.0) * 65_535.0) as u32;
    let y = (((lat + 90.0) / 180.0).clamp(0.0, 1.0) * 65_535.0) as u32;
    let spread = |mut v: u32| {
        v = (v | (v << 8)) & 0x00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333;
        (v | (v << 1)) & 0x5555_5555
    };
    (spread(y) << 1) | spread(x)
}

/// Per point `key << 32 | index`, sorted (by key, then index).
pub fn morton_sorted(points: &[(f64, f64)]) -> Vec<u64> {
    morton_sorted_by(points.len(), |i| points[i])
}

/// [`morton_sorted`] of the `n` points `at(0..n)`.
pub fn morton_sorted_by(n: usize, at: impl Fn(usize) -> (f64, f64) + Sync) -> Vec<u64> {
    let mut keyed = vec![0u64; n];
    let split_from = crate::parallel::MEMORY_BOUND_SPLIT_FROM;
    crate::parallel::fill_chunks_from(split_from, &mut keyed, |first, part| {
        for (i, v) in (first..).zip(part.iter_mut()) {
            let (lon, lat) = at(i);
            *v = u64::from(morton_key(lon, lat)) << 32 | i as u64;
        }
    });
    radix_sort_high32(&mut keyed);
    keyed
}

/// Sorts by the high 32 bits, stably, so values whose low bits ascend in input order
/// come out fully sorted. Small inputs: least significant digit first over the bits that
/// vary (see [`lsd_sort_high32`] for the digits). Large ones: one pass on the highest
/// byte that varies, then the buckets, each held in cache, on every core (least
/// significant digit first over the bits below: two passes for 22 bits).
pub fn radix_sort_high32(values: &mut Vec<u64>) {
    if values.len() < crate::parallel::MEMORY_BOUND_SPLIT_FROM || crate::parallel::threads() < 2 {
        let first = values.first().map_or(0, |&v| v >> 32);
        let varying = values.iter().fold(0, |m, &v| m | ((v >> 32) ^ first)) as u32;
        if varying != 0 {
            let mut buffer = vec![0u64; values.len()];
            let (from, to) = (varying.trailing_zeros(), 32 - varying.leading_zeros());
            lsd_sort_high32(values, &mut buffer, from, to);
        }
        return;
    }
    use rayon::prelude::*;
    // The first pass on every core: chunks of the input count their buckets, then each
    // scatters into its own share of every bucket (chunk order kept: stable).
    let chunk = values.len().div_ceil(crate::parallel::threads().max(1));
    let first = values[0] >> 32;
    let varying = values
        .par_chunks(chunk)
        .map(|part| part.iter().fold(0, |m, &v| m | ((v >> 32) ^ first)))
        .reduce(|| 0, |a, b| a | b);
    if varying == 0 {
        return;
    }
    // Bits `low..low + 8` of the key split the values into buckets; bits below `low` are
    // sorted within each bucket.
    let low = (64 - varying.leading_zeros()).saturating_sub(8);
    let bucket = |v: u64| ((v >> (32 + low)) & 0xFF) as usize;
    let counts: Vec<[usize; 256]> = values
        .par_chunks(chunk)
        .map(|part| {
            let mut count = [0usize; 256];
            for &v in part {
                count[bucket(v)] += 1;
            }
            count
        })
        .collect();
    let mut start = [0usize; 257];
    for b in 0..256 {
        start[b + 1] = start[b] + counts.iter().map(|c| c[b]).sum::<usize>();
    }
    let mut buffer = vec![0u64; values.len()];
    let mut shares: Vec<Vec<&mut [u64]>> = counts.iter().map(|_| Vec::with_capacity(256)).collect();
    let mut rest: &mut [u64] = &mut buffer;
    for b in 0..256 {
        for (share, count) in shares.iter_mut().zip(&counts) {
            let (head, tail) = std::mem::take(&mut rest).split_at_mut(count[b]);
            share.push(head);
            rest = tail;
        }
    }
    values
        .par_chunks(chunk)
        .zip(shares.into_par_iter())
        .for_each(|(part, mut share)| {
            let mut at = [0usize; 256];
            for &v in part {
                let b = bucket(v);
                share[b][at[b]] = v;
                at[b] += 1;
            }
        });
    if low > 0 {
        // Whole buckets per thread, cut near equal shares.
        let threads = crate::parallel::threads().max(1);
        let n = values.len();
        let mut cuts: Vec<usize> = (1..threads)
            .map(|k| {
                let target = k * n / threads;
                let b = start.partition_point(|&s| s < target);
                if b < 257 { start[b] } else { n }
            })
            .collect();
        cuts.push(n);
        cuts.dedup();
        let mut parts = Vec::with_capacity(cuts.len());
        let mut rest: &mut [u64] = &mut buffer;
        let mut offset = 0;
        for &cut in &cuts {
            let (part, tail) = std::mem::take(&mut rest).split_at_mut(cut - offset);
            parts.push((offset, part));
            rest = tail;
            offset = cut;
        }
        crate::parallel::each_task(parts, |(base, part)| {
            let mut scratch = Vec::new();
            for b in 0..256 {
                let (s, e) = (start[b].max(base), start[b + 1].min(base + part.len()));
                if e > s + 1 {
                    let bucket = &mut part[s - base..e - base];
                    scratch.resize(bucket.len(), 0);
                    lsd_sort_high32(bucket, &mut scratch[..bucket.len()], 0, low);
                }
            }
        });
    }
    std::mem::swap(values, &mut buffer);
    // The input's memory goes back to the kernel on the pool, not on the way of the caller.
    crate::parallel::drop_later(buffer);
}

/// Sorts `values` stably by bits `from..to` of their high 32 bits, least significant
/// digit first (digits of at most 11 bits, skipping those where every value has the
/// same digit), with `buffer` (as long as `values`) as scratch space.
fn lsd_sort_high32(values: &mut [u64], buffer: &mut [u64], from: u32, to: u32) {
    // As few passes as digits of at most `MAX_DIGIT` bits allow, of equal widths, for
    // inputs that stay in cache (up to 2 MiB); 8 bits for short inputs (where a long
    // count array would cost more than a pass) and long ones (where 2,048 write streams
    // miss the cache). 100,000 points: 1.22 ms against 1.38 ms with 8 bits.
    const MAX_DIGIT: u32 = 11;
    let in_cache = (1 << MAX_DIGIT..=1 << 18).contains(&values.len());
    let most = if in_cache { MAX_DIGIT } else { 8 };
    let passes = (to.saturating_sub(from)).div_ceil(most);
    let mut in_values = true;
    let mut shift = from;
    let mut start = [0usize; (1 << MAX_DIGIT) + 1];
    for pass in 0..passes {
        let width = (to - shift).div_ceil(passes - pass);
        let buckets = 1usize << width;
        let mask = (buckets - 1) as u64;
        let at = 32 + shift;
        let digit = |v: u64| ((v >> at) & mask) as usize;
        let (src, dst): (&mut [u64], &mut [u64]) = if in_values {
            (&mut *values, &mut *buffer)
        } else {
            (&mut *buffer, &mut *values)
        };
        let start = &mut start[..=buckets];
        start.fill(0);
        for &v in src.iter() {
            start[digit(v) + 1] += 1;
        }
        shift += width;
        if start.contains(&src.len()) {
            // One digit value throughout: the pass would not move anything.
            continue;
        }
        for b in 0..buckets {
            start[b + 1] += start[b];
        }
        for &v in src.iter() {
            let b = digit(v);
            dst[start[b]] = v;
            start[b] += 1;
        }
        in_values = !in_values;
    }
    if !in_values {
        values.copy_from_slice(buffer);
    }
}

/// Visiting order along a Morton (Z-order) curve, so that consecutive points are near
/// each other and mostly share their nearest facility.
pub fn spatial_order(points: &[(f64, f64)]) -> Vec<u32> {
    morton_sorted(points)
        .into_iter()
        .map(|k| k as u32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn morton_order_sorts_by_key_then_input() {
        let points: Vec<(f64, f64)> = (0..5_000)
            .map(|i| {
                (
                    f64::from(i * 37 % 360) - 180.0,
                    f64::from(i * 11 % 180) - 90.0,
                )
            })
            .collect();
        let sorted = morton_sorted(&points);
        let mut expected: Vec<(u32, u32)> = points
            .iter()
            .enumerate()
            .map(|(i, p)| (morton_key(p.0, p.1), i as u32))
            .collect();
        expected.sort();
        let got: Vec<(u32, u32)> = sorted
            .iter()
            .map(|&k| ((k >> 32) as u32, k as u32))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn radix_sort_skips_constant_bytes_and_stays_stable() {
        // High bytes constant (skipped passes), a varying middle byte, equal keys.
        for high in [0u64, 0x00AB_0000, 0xFF00_00FF, 0x1234_5600] {
            let mut values: Vec<u64> = (0..9_000u64)
                .map(|i| (high | ((i * 7919 % 251) << 8) | (i % 3)) << 32 | i)
                .collect();
            let mut expected = values.clone();
            expected.sort_by_key(|v| (v >> 32, v & 0xFFFF_FFFF));
            radix_sort_high32(&mut values);
            assert_eq!(values, expected);
        }
    }

    #[test]
    fn large_radix_sorts_are_stable_whatever_the_spread_of_keys() {
        // Keys over every bit, over a few low bits, skewed into one bucket, all equal;
        // the low half is the input position, so stability shows in the result.
        let n = 300_000u64;
        let spreads: [&dyn Fn(u64) -> u64; 5] = [
            &|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32,
            &|i| i * 7_919 % 1_021,
            &|i| {
                if i % 10 < 8 {
                    0x00AB_CD00 | (i % 3)
                } else {
                    i * 31 % 0x00FF_FFFF
                }
            },
            &|_| 0x1234_5678,
            &|i| 0xF000_0000 | (i * 104_729 % 0x0100_0000),
        ];
        for spread in spreads {
            let mut values: Vec<u64> = (0..n).map(|i| spread(i) << 32 | i).collect();
            let mut expected = values.clone();
            expected.sort_by_key(|v| (v >> 32, v & 0xFFFF_FFFF));
            radix_sort_high32(&mut values);
            assert!(values == expected);
        }
    }
}
