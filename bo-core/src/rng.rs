//! Deterministic per-trial randomness.
//!
//! Samplers own no random state: the study derives a [`TrialRng`] from `(seed, trial number)`,
//! so a seeded study proposes the same trials however many workers run it.

use rand_core::{RngCore, SeedableRng};
use rand_xoshiro::{SplitMix64, Xoshiro256PlusPlus};

/// The increment of splitmix64: 2^64 divided by the golden ratio.
pub(crate) const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The output function of splitmix64 (Steele, Lea and Flood, "Fast splittable pseudorandom
/// number generators", OOPSLA 2014): a bijective mix of 64 bits, so that consecutive inputs
/// give unrelated outputs. Splitmix64's `n`-th draw from `seed` is
/// `mix64(seed + n * GOLDEN_GAMMA)`.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A small, fast, seedable generator (xoshiro256++, [`rand_xoshiro::Xoshiro256PlusPlus`]),
/// derived per trial.
///
/// It implements [`RngCore`] and [`SeedableRng`], so the `rand` crate's distributions and
/// shuffles take it; its own methods ([`uniform`](Self::uniform), [`normal`](Self::normal),
/// …) need no trait in scope.
#[derive(Debug, Clone)]
pub struct TrialRng {
    inner: Xoshiro256PlusPlus,
    /// What [`TrialRng::fork`] derives from: a mix of the seeded state's first and third words.
    fork_key: u64,
}

impl TrialRng {
    /// A generator seeded from one 64-bit value (its state is four draws of splitmix64, as
    /// [`SeedableRng::seed_from_u64`] of xoshiro256++ makes it).
    pub fn seed_from_u64(seed: u64) -> Self {
        let mut seed_bytes = [0u8; 32];
        SplitMix64::seed_from_u64(seed).fill_bytes(&mut seed_bytes);
        Self::from_seed(seed_bytes)
    }

    /// The generator of trial `number` in a study seeded with `seed`.
    pub fn for_trial(seed: u64, number: u64) -> Self {
        let a = mix64((seed ^ 0xD1B5_4A32_D192_ED03).wrapping_add(GOLDEN_GAMMA));
        Self::seed_from_u64(a ^ number.wrapping_mul(GOLDEN_GAMMA).rotate_left(17))
    }

    /// An independent stream derived from this generator's seed and a label (e.g. a
    /// parameter name), so that adding a parameter does not shift the draws of the others.
    /// The draws this generator has made do not change its forks.
    pub fn fork(&self, label: &str) -> Self {
        // FNV-1a of the label.
        let mut h: u64 = 0xCBF2_9CE4_8422_2325;
        for b in label.as_bytes() {
            h ^= *b as u64;
            h = h.wrapping_mul(0x0100_0000_01B3);
        }
        Self::seed_from_u64(self.fork_key ^ h)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform in `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[low, high)`.
    pub fn uniform_in(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.uniform()
    }

    /// Uniform integer in `0..n` (`n > 0`), without modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        let zone = u64::MAX - (u64::MAX - n + 1) % n;
        loop {
            let v = self.next_u64();
            if v <= zone {
                return v % n;
            }
        }
    }

    /// Standard normal draw (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Index drawn with probability proportional to `weights` (non-negative, not all zero).
    pub fn weighted_index(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        if !(total > 0.0) {
            return self.below(weights.len() as u64) as usize;
        }
        let mut r = self.uniform() * total;
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }
}

impl RngCore for TrialRng {
    fn next_u32(&mut self) -> u32 {
        self.inner.next_u32()
    }

    fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.inner.fill_bytes(dest);
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.inner.try_fill_bytes(dest)
    }
}

impl SeedableRng for TrialRng {
    /// The four state words of xoshiro256++, little-endian.
    type Seed = [u8; 32];

    /// A generator with the state `seed` (an all-zero seed, which xoshiro cannot use, is
    /// taken as [`TrialRng::seed_from_u64`]`(0)`, as xoshiro256++ does).
    fn from_seed(seed: [u8; 32]) -> Self {
        if seed.iter().all(|&b| b == 0) {
            return Self::seed_from_u64(0);
        }
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&seed[8 * i..8 * i + 8]);
            u64::from_le_bytes(w)
        };
        TrialRng { inner: Xoshiro256PlusPlus::from_seed(seed), fork_key: word(0) ^ word(2).rotate_left(29) }
    }

    fn seed_from_u64(seed: u64) -> Self {
        TrialRng::seed_from_u64(seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(rng: &mut TrialRng, n: usize) -> Vec<u64> {
        (0..n).map(|_| rng.next_u64()).collect()
    }

    #[test]
    fn same_seed_and_number_give_same_stream() {
        let mut a = TrialRng::for_trial(7, 3);
        let mut b = TrialRng::for_trial(7, 3);
        let mut c = TrialRng::for_trial(7, 4);
        let xa = draws(&mut a, 5);
        assert_eq!(xa, draws(&mut b, 5));
        assert_ne!(xa, draws(&mut c, 5));
    }

    #[test]
    fn xoshiro256plusplus_matches_the_reference_implementation() {
        // State {1, 2, 3, 4}; outputs of Blackman and Vigna's xoshiro256plusplus.c.
        let mut seed = [0u8; 32];
        for (i, word) in [1u64, 2, 3, 4].iter().enumerate() {
            seed[8 * i..8 * i + 8].copy_from_slice(&word.to_le_bytes());
        }
        let mut rng = TrialRng::from_seed(seed);
        let expected = [
            41943041,
            58720359,
            3588806011781223,
            3591011842654386,
            9228616714210784205,
            9973669472204895162,
            14011001112246962877,
            12406186145184390807,
            15849039046786891736,
            10450023813501588000,
        ];
        assert_eq!(draws(&mut rng, expected.len()), expected);
    }

    #[test]
    fn streams_are_those_of_the_hand_written_generator_they_replace() {
        // Seeded studies must propose what they proposed before TrialRng moved onto
        // rand_xoshiro: these are the hand-written generator's outputs.
        assert_eq!(
            draws(&mut TrialRng::for_trial(7, 3), 4),
            [8482660196008074221, 7646274934868096214, 8578485791517161498, 9284350346896872078]
        );
        assert_eq!(
            draws(&mut TrialRng::seed_from_u64(42), 4),
            [15021278609987233951, 5881210131331364753, 18149643915985481100, 12933668939759105464]
        );
        assert_eq!(
            draws(&mut TrialRng::for_trial(7, 3).fork("x"), 4),
            [6674361151079736416, 18068000569657708782, 4788036713436373236, 17868001022488104148]
        );
        assert_eq!(draws(&mut TrialRng::for_trial(0, 0).fork("\u{0}relative"), 2), [3387578715797296811, 7622379022900519411]);
        let mut r = TrialRng::seed_from_u64(1);
        assert_eq!(r.uniform().to_bits(), 0.8116121588818848f64.to_bits());
        assert_eq!(r.normal().to_bits(), 1.340570741461301f64.to_bits());
    }

    #[test]
    fn seeding_agrees_with_rand_xoshiro() {
        let mut ours = TrialRng::seed_from_u64(42);
        let mut theirs = Xoshiro256PlusPlus::seed_from_u64(42);
        assert_eq!(draws(&mut ours, 4), (0..4).map(|_| theirs.next_u64()).collect::<Vec<_>>());
        let mut via_trait = <TrialRng as SeedableRng>::seed_from_u64(42);
        assert_eq!(via_trait.next_u32(), (TrialRng::seed_from_u64(42).next_u64() >> 32) as u32);
    }

    #[test]
    fn forks_do_not_depend_on_draws_made() {
        let fresh = TrialRng::for_trial(5, 2);
        let mut used = fresh.clone();
        draws(&mut used, 3);
        assert_eq!(draws(&mut fresh.fork("lr"), 3), draws(&mut used.fork("lr"), 3));
        assert_ne!(draws(&mut fresh.fork("lr"), 3), draws(&mut fresh.fork("width"), 3));
    }

    #[test]
    fn mix64_is_the_splitmix64_output_function() {
        // splitmix64 seeded with 0: its first two draws.
        let mut sm = SplitMix64::seed_from_u64(0);
        assert_eq!(mix64(GOLDEN_GAMMA), sm.next_u64());
        assert_eq!(mix64(GOLDEN_GAMMA.wrapping_mul(2)), sm.next_u64());
        assert_eq!(mix64(GOLDEN_GAMMA), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn uniform_and_normal_have_expected_moments() {
        let mut r = TrialRng::seed_from_u64(1);
        let n = 20000;
        let u: f64 = (0..n).map(|_| r.uniform()).sum::<f64>() / n as f64;
        assert!((u - 0.5).abs() < 0.01);
        let z: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        let m = z.iter().sum::<f64>() / n as f64;
        let v = z.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n as f64;
        assert!(m.abs() < 0.03 && (v - 1.0).abs() < 0.05);
    }
}
