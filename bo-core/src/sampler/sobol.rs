//! The Sobol low-discrepancy sequence (Joe & Kuo direction numbers), with optional Owen-style
//! scrambling.

use crate::rng::{GOLDEN_GAMMA, mix64};

/// Dimensions with direction numbers: the first one (van der Corput) plus the table rows.
pub(crate) const SOBOL_DIMS: usize = JOE_KUO.len() + 1;

/// Direction numbers of Joe & Kuo, file `new-joe-kuo-6.21201`, dimensions 2 to 101: degree
/// `s` of the primitive polynomial, its inner coefficients `a`, initial numbers `m_1..m_s`
/// (zero padded). Published data: S. Joe and F. Y. Kuo, "Constructing Sobol sequences with
/// better two-dimensional projections", SIAM J. Sci. Comput. 30 (2008) 2635-2654.
const JOE_KUO: [(u32, u32, [u32; 10]); 100] = [
    (1, 0, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    (2, 1, [1, 3, 0, 0, 0, 0, 0, 0, 0, 0]),
    (3, 1, [1, 3, 1, 0, 0, 0, 0, 0, 0, 0]),
    (3, 2, [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]),
    (4, 1, [1, 1, 3, 3, 0, 0, 0, 0, 0, 0]),
    (4, 4, [1, 3, 5, 13, 0, 0, 0, 0, 0, 0]),
    (5, 2, [1, 1, 5, 5, 17, 0, 0, 0, 0, 0]),
    (5, 4, [1, 1, 5, 5, 5, 0, 0, 0, 0, 0]),
    (5, 7, [1, 1, 7, 11, 19, 0, 0, 0, 0, 0]),
    (5, 11, [1, 1, 5, 1, 1, 0, 0, 0, 0, 0]),
    (5, 13, [1, 1, 1, 3, 11, 0, 0, 0, 0, 0]),
    (5, 14, [1, 3, 5, 5, 31, 0, 0, 0, 0, 0]),
    (6, 1, [1, 3, 3, 9, 7, 49, 0, 0, 0, 0]),
    (6, 13, [1, 1, 1, 15, 21, 21, 0, 0, 0, 0]),
    (6, 16, [1, 3, 1, 13, 27, 49, 0, 0, 0, 0]),
    (6, 19, [1, 1, 1, 15, 7, 5, 0, 0, 0, 0]),
    (6, 22, [1, 3, 1, 15, 13, 25, 0, 0, 0, 0]),
    (6, 25, [1, 1, 5, 5, 19, 61, 0, 0, 0, 0]),
    (7, 1, [1, 3, 7, 11, 23, 15, 103, 0, 0, 0]),
    (7, 4, [1, 3, 7, 13, 13, 15, 69, 0, 0, 0]),
    (7, 7, [1, 1, 3, 13, 7, 35, 63, 0, 0, 0]),
    (7, 8, [1, 3, 5, 9, 1, 25, 53, 0, 0, 0]),
    (7, 14, [1, 3, 1, 13, 9, 35, 107, 0, 0, 0]),
    (7, 19, [1, 3, 1, 5, 27, 61, 31, 0, 0, 0]),
    (7, 21, [1, 1, 5, 11, 19, 41, 61, 0, 0, 0]),
    (7, 28, [1, 3, 5, 3, 3, 13, 69, 0, 0, 0]),
    (7, 31, [1, 1, 7, 13, 1, 19, 1, 0, 0, 0]),
    (7, 32, [1, 3, 7, 5, 13, 19, 59, 0, 0, 0]),
    (7, 37, [1, 1, 3, 9, 25, 29, 41, 0, 0, 0]),
    (7, 41, [1, 3, 5, 13, 23, 1, 55, 0, 0, 0]),
    (7, 42, [1, 3, 7, 3, 13, 59, 17, 0, 0, 0]),
    (7, 50, [1, 3, 1, 3, 5, 53, 69, 0, 0, 0]),
    (7, 55, [1, 1, 5, 5, 23, 33, 13, 0, 0, 0]),
    (7, 56, [1, 1, 7, 7, 1, 61, 123, 0, 0, 0]),
    (7, 59, [1, 1, 7, 9, 13, 61, 49, 0, 0, 0]),
    (7, 62, [1, 3, 3, 5, 3, 55, 33, 0, 0, 0]),
    (8, 14, [1, 3, 1, 15, 31, 13, 49, 245, 0, 0]),
    (8, 21, [1, 3, 5, 15, 31, 59, 63, 97, 0, 0]),
    (8, 22, [1, 3, 1, 11, 11, 11, 77, 249, 0, 0]),
    (8, 38, [1, 3, 1, 11, 27, 43, 71, 9, 0, 0]),
    (8, 47, [1, 1, 7, 15, 21, 11, 81, 45, 0, 0]),
    (8, 49, [1, 3, 7, 3, 25, 31, 65, 79, 0, 0]),
    (8, 50, [1, 3, 1, 1, 19, 11, 3, 205, 0, 0]),
    (8, 52, [1, 1, 5, 9, 19, 21, 29, 157, 0, 0]),
    (8, 56, [1, 3, 7, 11, 1, 33, 89, 185, 0, 0]),
    (8, 67, [1, 3, 3, 3, 15, 9, 79, 71, 0, 0]),
    (8, 70, [1, 3, 7, 11, 15, 39, 119, 27, 0, 0]),
    (8, 84, [1, 1, 3, 1, 11, 31, 97, 225, 0, 0]),
    (8, 97, [1, 1, 1, 3, 23, 43, 57, 177, 0, 0]),
    (8, 103, [1, 3, 7, 7, 17, 17, 37, 71, 0, 0]),
    (8, 115, [1, 3, 1, 5, 27, 63, 123, 213, 0, 0]),
    (8, 122, [1, 1, 3, 5, 11, 43, 53, 133, 0, 0]),
    (9, 8, [1, 3, 5, 5, 29, 17, 47, 173, 479, 0]),
    (9, 13, [1, 3, 3, 11, 3, 1, 109, 9, 69, 0]),
    (9, 16, [1, 1, 1, 5, 17, 39, 23, 5, 343, 0]),
    (9, 22, [1, 3, 1, 5, 25, 15, 31, 103, 499, 0]),
    (9, 25, [1, 1, 1, 11, 11, 17, 63, 105, 183, 0]),
    (9, 44, [1, 1, 5, 11, 9, 29, 97, 231, 363, 0]),
    (9, 47, [1, 1, 5, 15, 19, 45, 41, 7, 383, 0]),
    (9, 52, [1, 3, 7, 7, 31, 19, 83, 137, 221, 0]),
    (9, 55, [1, 1, 1, 3, 23, 15, 111, 223, 83, 0]),
    (9, 59, [1, 1, 5, 13, 31, 15, 55, 25, 161, 0]),
    (9, 62, [1, 1, 3, 13, 25, 47, 39, 87, 257, 0]),
    (9, 67, [1, 1, 1, 11, 21, 53, 125, 249, 293, 0]),
    (9, 74, [1, 1, 7, 11, 11, 7, 57, 79, 323, 0]),
    (9, 81, [1, 1, 5, 5, 17, 13, 81, 3, 131, 0]),
    (9, 82, [1, 1, 7, 13, 23, 7, 65, 251, 475, 0]),
    (9, 87, [1, 3, 5, 1, 9, 43, 3, 149, 11, 0]),
    (9, 91, [1, 1, 3, 13, 31, 13, 13, 255, 487, 0]),
    (9, 94, [1, 3, 3, 1, 5, 63, 89, 91, 127, 0]),
    (9, 103, [1, 1, 3, 3, 1, 19, 123, 127, 237, 0]),
    (9, 104, [1, 1, 5, 7, 23, 31, 37, 243, 289, 0]),
    (9, 109, [1, 1, 5, 11, 17, 53, 117, 183, 491, 0]),
    (9, 122, [1, 1, 1, 5, 1, 13, 13, 209, 345, 0]),
    (9, 124, [1, 1, 3, 15, 1, 57, 115, 7, 33, 0]),
    (9, 137, [1, 3, 1, 11, 7, 43, 81, 207, 175, 0]),
    (9, 138, [1, 3, 1, 1, 15, 27, 63, 255, 49, 0]),
    (9, 143, [1, 3, 5, 3, 27, 61, 105, 171, 305, 0]),
    (9, 145, [1, 1, 5, 3, 1, 3, 57, 249, 149, 0]),
    (9, 152, [1, 1, 3, 5, 5, 57, 15, 13, 159, 0]),
    (9, 157, [1, 1, 1, 11, 7, 11, 105, 141, 225, 0]),
    (9, 167, [1, 3, 3, 5, 27, 59, 121, 101, 271, 0]),
    (9, 173, [1, 3, 5, 9, 11, 49, 51, 59, 115, 0]),
    (9, 176, [1, 1, 7, 1, 23, 45, 125, 71, 419, 0]),
    (9, 181, [1, 1, 3, 5, 23, 5, 105, 109, 75, 0]),
    (9, 182, [1, 1, 7, 15, 7, 11, 67, 121, 453, 0]),
    (9, 185, [1, 3, 7, 3, 9, 13, 31, 27, 449, 0]),
    (9, 191, [1, 3, 1, 15, 19, 39, 39, 89, 15, 0]),
    (9, 194, [1, 1, 1, 1, 1, 33, 73, 145, 379, 0]),
    (9, 199, [1, 3, 1, 15, 15, 43, 29, 13, 483, 0]),
    (9, 218, [1, 1, 7, 3, 19, 27, 85, 131, 431, 0]),
    (9, 220, [1, 3, 3, 3, 5, 35, 23, 195, 349, 0]),
    (9, 227, [1, 3, 3, 7, 9, 27, 39, 59, 297, 0]),
    (9, 229, [1, 1, 3, 9, 11, 17, 13, 241, 157, 0]),
    (9, 230, [1, 3, 7, 15, 25, 57, 33, 189, 213, 0]),
    (9, 234, [1, 1, 7, 1, 9, 55, 73, 83, 217, 0]),
    (9, 236, [1, 3, 3, 13, 19, 27, 23, 113, 249, 0]),
    (9, 241, [1, 3, 5, 3, 23, 43, 3, 253, 479, 0]),
    (9, 244, [1, 1, 5, 5, 11, 5, 45, 117, 217, 0]),
    (9, 253, [1, 3, 3, 7, 29, 37, 33, 123, 147, 0]),
];

/// The 32 direction numbers of dimension `dim` (0-based), as 32-bit fractions.
fn directions(dim: usize) -> [u32; 32] {
    let mut v = [0u32; 32];
    if dim == 0 {
        for (j, vj) in v.iter_mut().enumerate() {
            *vj = 1 << (31 - j);
        }
        return v;
    }
    let (s, a, m) = JOE_KUO[dim - 1];
    let s = s as usize;
    for j in 0..32 {
        if j < s {
            v[j] = m[j] << (31 - j);
        } else {
            let mut x = v[j - s] ^ (v[j - s] >> s);
            for k in 1..s {
                if (a >> (s - 1 - k)) & 1 == 1 {
                    x ^= v[j - k];
                }
            }
            v[j] = x;
        }
    }
    v
}

/// Coordinate `dim` of point `index` of the (unscrambled, Gray-code ordered) Sobol
/// sequence, as a 32-bit fraction. Indices wrap at 2^32.
fn sobol_bits(index: u64, dim: usize) -> u32 {
    let v = directions(dim);
    let i = index as u32;
    let mut gray = i ^ (i >> 1);
    let mut x = 0u32;
    let mut j = 0;
    while gray != 0 {
        if gray & 1 == 1 {
            x ^= v[j];
        }
        gray >>= 1;
        j += 1;
    }
    x
}

/// A nested (Owen-style) scramble of a 32-bit fraction: each bit is flipped by a function
/// of the seed and the bits above it, so every elementary interval maps onto one of the same
/// size and the net structure is kept. The Laine-Karras hash on reversed bits (Burley,
/// "Practical Hash-based Owen Scrambling", JCGT 2020).
fn owen_scramble(x: u32, seed: u32) -> u32 {
    let mut v = x.reverse_bits();
    v = v.wrapping_add(seed);
    v ^= v.wrapping_mul(0x6c50_b47c);
    v ^= v.wrapping_mul(0xb82f_1e52);
    v ^= v.wrapping_mul(0xc7af_e638);
    v ^= v.wrapping_mul(0x8d22_f6e6);
    v.reverse_bits()
}

/// The per-dimension scramble seed derived from a sampler seed.
fn dimension_seed(seed: u64, dim: usize) -> u32 {
    mix64(seed ^ (dim as u64).wrapping_mul(GOLDEN_GAMMA)) as u32
}

/// Coordinate `dim < SOBOL_DIMS` of point `index` in `[0, 1)`, scrambled with `seed` when
/// given.
pub(crate) fn sobol(index: u64, dim: usize, scramble: Option<u64>) -> f64 {
    let mut x = sobol_bits(index, dim);
    if let Some(seed) = scramble {
        x = owen_scramble(x, dimension_seed(seed, dim));
    }
    x as f64 / 4_294_967_296.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sobol_first_points_match_the_reference() {
        let reference = [
            [0.0, 0.0, 0.0],
            [0.5, 0.5, 0.5],
            [0.75, 0.25, 0.25],
            [0.25, 0.75, 0.75],
            [0.375, 0.375, 0.625],
            [0.875, 0.875, 0.125],
            [0.625, 0.125, 0.875],
            [0.125, 0.625, 0.375],
            [0.1875, 0.3125, 0.9375],
            [0.6875, 0.8125, 0.4375],
        ];
        for (i, point) in reference.iter().enumerate() {
            for (d, x) in point.iter().enumerate() {
                assert_eq!(sobol(i as u64, d, None), *x, "point {i} dim {d}");
            }
        }
    }

    fn bin_counts(dim: usize, scramble: Option<u64>) -> [usize; 8] {
        let mut counts = [0; 8];
        for i in 0..256 {
            let u = sobol(i, dim, scramble);
            assert!((0.0..1.0).contains(&u));
            counts[(u * 8.0) as usize] += 1;
        }
        counts
    }

    #[test]
    fn every_dimension_fills_eight_bins_exactly_over_256_points() {
        for dim in 0..SOBOL_DIMS {
            assert_eq!(bin_counts(dim, None), [32; 8], "dim {dim}");
            assert_eq!(bin_counts(dim, Some(7)), [32; 8], "scrambled dim {dim}");
        }
    }

    #[test]
    fn first_two_dimensions_put_one_point_in_each_cell_of_a_16_by_16_grid() {
        for scramble in [None, Some(3)] {
            let mut cells = [[0u8; 16]; 16];
            for i in 0..256 {
                let (x, y) = (sobol(i, 0, scramble), sobol(i, 1, scramble));
                cells[(x * 16.0) as usize][(y * 16.0) as usize] += 1;
            }
            assert!(cells.iter().flatten().all(|c| *c == 1), "{scramble:?}");
        }
    }

    #[test]
    fn scrambling_changes_the_points_and_depends_on_the_seed() {
        let plain: Vec<f64> = (0..16).map(|i| sobol(i, 5, None)).collect();
        let a: Vec<f64> = (0..16).map(|i| sobol(i, 5, Some(1))).collect();
        let b: Vec<f64> = (0..16).map(|i| sobol(i, 5, Some(2))).collect();
        let a2: Vec<f64> = (0..16).map(|i| sobol(i, 5, Some(1))).collect();
        assert_ne!(plain, a);
        assert_ne!(a, b);
        assert_eq!(a, a2);
    }
}
