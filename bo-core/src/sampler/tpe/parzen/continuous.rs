//! TPE's scores of candidates when every dimension is continuous: the kernel sums in single
//! precision with the widest vector instructions the CPU has (through `pulp`).

use super::{Dim, Kind, Parzen};

impl Parzen {
    /// [`Parzen::log_pdf`] when every dimension is continuous: the kernel sums run in single
    /// precision (about 1e-6 relative error on `ln p`, far below the gaps between candidates'
    /// scores), [`BLOCK`] candidates at a time against [`LANES`](super::LANES) kernels at a
    /// time, so that the candidates' sums stay in registers while each kernel's parameters are
    /// read once per block. Runs with the widest vector instructions the CPU has (AVX2 where present,
    /// detected at run time); every instruction set gives the same bits, since the arithmetic
    /// and its order are the same (fused multiply-adds, in software where the CPU has none).
    pub(super) fn log_pdf_continuous(&mut self, candidates: &[Vec<f64>], out: &mut [f64]) {
        let n_dims = self.dims.len();
        let n_blocks = out.len().div_ceil(BLOCK);
        // Transformed candidates as [block][dim][BLOCK], the last block padded with zeros.
        let mut points = std::mem::take(&mut self.points32);
        points.clear();
        points.resize(n_blocks * n_dims * BLOCK, 0.0);
        for (d, (dim, col)) in self.dims.iter().zip(candidates).enumerate() {
            // The branch outside the loop: inside, the compiler computes `ln` for every
            // value and picks afterwards.
            let log = matches!(dim.kind, Kind::Continuous { log: true });
            for (c, &x) in col.iter().enumerate().take(out.len()) {
                let t = if log { x.ln() } else { x };
                points[((c / BLOCK) * n_dims + d) * BLOCK + c % BLOCK] = t as f32;
            }
        }
        let mut acc = std::mem::take(&mut self.acc32);
        acc.clear();
        acc.resize(BLOCK * self.log_const32.len(), 0.0);
        pulp::Arch::new().dispatch(ContinuousScores {
            log_const: &self.log_const32,
            n_kernels: self.log_const.len(),
            dims: &self.dims,
            points: &points,
            acc: &mut acc,
            out,
        });
        self.acc32 = acc;
        self.points32 = points;
    }
}

/// Candidates scored together by [`Parzen::log_pdf_continuous`].
const BLOCK: usize = 8;

/// The work of [`Parzen::log_pdf_continuous`], handed to `pulp` so that it is compiled once
/// per instruction set and run with the best one available.
struct ContinuousScores<'a> {
    /// Per kernel, padded to whole lanes with -inf.
    log_const: &'a [f32],
    n_kernels: usize,
    dims: &'a [Dim],
    /// `[block][dim][BLOCK]`.
    points: &'a [f32],
    /// `[BLOCK][padded kernels]` scratch.
    acc: &'a mut [f32],
    out: &'a mut [f64],
}

impl pulp::WithSimd for ContinuousScores<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, simd: S) {
        let ContinuousScores { log_const, n_kernels, dims, points, acc, out } = self;
        let padded = log_const.len();
        let n_dims = dims.len();
        let (log_const, _) = S::as_simd_f32s(log_const);
        let chunks = log_const.len();
        let half_inv: Vec<&[S::f32s]> = dims.iter().map(|d| S::as_simd_f32s(&d.half_inv).0).collect();
        let neg_scaled_mus: Vec<&[S::f32s]> = dims.iter().map(|d| S::as_simd_f32s(&d.neg_scaled_mus).0).collect();
        for (block, outs) in out.chunks_mut(BLOCK).enumerate() {
            let points = &points[block * n_dims * BLOCK..(block + 1) * n_dims * BLOCK];
            let (sums_out, _) = S::as_mut_simd_f32s(acc);
            for k in 0..chunks {
                // Squared distances summed over dimensions with fused multiply-adds (exact
                // rounding, so software FMA without the instruction gives the same bits).
                let mut sq = [simd.splat_f32s(0.0); BLOCK];
                for ((hi, nsm), t) in half_inv.iter().zip(&neg_scaled_mus).zip(points.chunks_exact(BLOCK)) {
                    let (hi, nsm) = (hi[k], nsm[k]);
                    for (sq, &t) in sq.iter_mut().zip(t) {
                        let z = simd.mul_add_f32s(simd.splat_f32s(t), hi, nsm);
                        *sq = simd.mul_add_f32s(z, z, *sq);
                    }
                }
                for (b, sq) in sq.into_iter().enumerate() {
                    sums_out[b * chunks + k] = simd.sub_f32s(log_const[k], sq);
                }
            }
            for (b, slot) in outs.iter_mut().enumerate() {
                *slot = log_sum_exp32(&acc[b * padded..b * padded + n_kernels]);
            }
        }
    }
}

/// Terms this far below the largest (in log units) are left out of a log-sum-exp: each
/// is under `e^-20 = 2e-9` of the sum, below single precision's resolution.
const NEGLIGIBLE: f32 = 20.0;

/// `ln sum exp(v)` in single precision. Max, then sums over eight fixed lanes, skipping
/// blocks of eight whose largest term is negligible (most of them: a candidate sits near
/// few kernels): each loop vectorizes at any width with the same result.
#[inline(always)]
fn log_sum_exp32(v: &[f32]) -> f64 {
    let mut lanes = [f32::NEG_INFINITY; 8];
    let mut chunks = v.chunks_exact(8);
    for ch in chunks.by_ref() {
        for (l, &x) in lanes.iter_mut().zip(ch) {
            *l = l.max(x);
        }
    }
    let max = chunks.remainder().iter().chain(&lanes).copied().fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        return max as f64;
    }
    let cutoff = max - NEGLIGIBLE;
    let mut sums = [0.0f32; 8];
    let mut chunks = v.chunks_exact(8);
    for ch in chunks.by_ref() {
        // A compare per lane, not a chain of maxima: one vector compare and a mask test.
        if !ch.iter().fold(false, |any, &x| any | (x >= cutoff)) {
            continue;
        }
        for (s, &x) in sums.iter_mut().zip(ch) {
            *s += exp_fast32(x - max);
        }
    }
    let tail: f64 = chunks.remainder().iter().map(|&x| exp_fast32(x - max) as f64).sum();
    let sum: f64 = sums.iter().map(|&s| s as f64).sum::<f64>() + tail;
    max as f64 + sum.ln()
}

/// `exp(x)` in single precision for `x <= 0` (clamped to `[-87, 0]`): reduction by `ln 2`
/// and a degree-6 polynomial, about 2e-7 relative error. Branch-free, so it vectorizes.
#[inline(always)]
pub(super) fn exp_fast32(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    const ROUND: f32 = 12_582_912.0; // 1.5 * 2^23
    let x = x.clamp(-87.0, 0.0);
    let k = (x * std::f32::consts::LOG2_E + ROUND) - ROUND;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    let k_bits = (k + ROUND).to_bits().wrapping_sub(ROUND.to_bits());
    p * f32::from_bits(k_bits.wrapping_add(127) << 23)
}
