//! A tiny deterministic PRNG.
//!
//! SplitMix64 is enough for synthetic data: it is fast (one add and a few
//! multiplies per draw), passes BigCrush, and any 64-bit value is a good
//! seed. We write it ourselves so that the output of a given seed can never
//! change under us with a dependency upgrade.

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// An independent stream for one item of the output (a file, an
    /// account...), named by a path of indices. Deriving streams instead of
    /// sharing one keeps every file identical whatever else is generated
    /// beside it, and lets a future caller generate files in parallel.
    pub fn derive(seed: u64, path: &[u64]) -> Rng {
        let mut h = mix(seed ^ 0x6A09_E667_F3BC_C908);
        for &p in path {
            h = mix(h ^ p.wrapping_add(GOLDEN).wrapping_mul(0xD6E8_FEB8_6659_FD93));
        }
        Rng(h)
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the tiny bias is
    /// irrelevant here). `n == 0` returns 0.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `lo..hi`.
    #[inline]
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo))
    }

    /// True with probability `p / 1000`.
    #[inline]
    pub fn per_mille(&mut self, p: u32) -> bool {
        self.below(1000) < u64::from(p)
    }

    #[inline]
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// [`Rng::pick`] for pools of `&str` or `String`, giving a `&str`.
    #[inline]
    pub fn pick_str<'a, S: AsRef<str>>(&mut self, items: &'a [S]) -> &'a str {
        self.pick(items).as_ref()
    }

    /// Picks from `(weight, item)` pairs. Tables are short (tens of rows),
    /// so a linear scan beats building alias tables.
    pub fn weighted<'a, T>(&mut self, items: &'a [(u32, T)]) -> &'a T {
        let total: u64 = items.iter().map(|(w, _)| u64::from(*w)).sum();
        let mut x = self.below(total);
        for (w, item) in items {
            let w = u64::from(*w);
            if x < w {
                return item;
            }
            x -= w;
        }
        &items[items.len() - 1].1
    }
}

#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_paths_differ() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(7).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let x = Rng::derive(1, &[0, 1]).next_u64();
        let y = Rng::derive(1, &[1, 0]).next_u64();
        assert_ne!(x, y);
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = Rng::new(3);
        for n in 1..50 {
            assert!(r.below(n) < n);
        }
        assert_eq!(r.below(0), 0);
    }
}
