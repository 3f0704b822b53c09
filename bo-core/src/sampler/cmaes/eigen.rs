//! Eigendecomposition of small symmetric matrices (cyclic Jacobi rotations).

/// Eigenvalues (ascending) and eigenvectors (the columns of the returned row-major `n x n`
/// matrix) of the symmetric row-major matrix `a`. Only the upper triangle is trusted: the
/// matrix is symmetrized first.
///
/// Cyclic Jacobi: accurate also for the small eigenvalues of ill-conditioned covariances,
/// and quick for the dimensions hyperparameter spaces have (tens).
pub(super) fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            m[i * n + j] = 0.5 * (a[i * n + j] + a[j * n + i]);
        }
    }
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _sweep in 0..64 {
        let mut off = 0.0;
        let mut diag = 0.0;
        for i in 0..n {
            diag += m[i * n + i] * m[i * n + i];
            for j in i + 1..n {
                off += m[i * n + j] * m[i * n + j];
            }
        }
        if off.is_nan() || off <= 1e-32 * diag {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let (app, aqq) = (m[p * n + p], m[q * n + q]);
                let theta = (aqq - app) / (2.0 * apq);
                // tan of the rotation angle, the smaller root of t^2 + 2 t theta - 1 = 0
                let t = if theta.abs() > 1e150 {
                    0.5 / theta
                } else {
                    theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt())
                };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (mkp, mkq) = (m[k * n + p], m[k * n + q]);
                    m[k * n + p] = c * mkp - s * mkq;
                    m[k * n + q] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let (mpk, mqk) = (m[p * n + k], m[q * n + k]);
                    m[p * n + k] = c * mpk - s * mqk;
                    m[q * n + k] = s * mpk + c * mqk;
                }
                // The rotation zeroes the pair exactly in exact arithmetic.
                m[p * n + q] = 0.0;
                m[q * n + p] = 0.0;
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| m[i * n + i].total_cmp(&m[j * n + j]));
    let values = order.iter().map(|&i| m[i * n + i]).collect();
    let mut vectors = vec![0.0; n * n];
    for (col, &i) in order.iter().enumerate() {
        for k in 0..n {
            vectors[k * n + col] = v[k * n + i];
        }
    }
    (values, vectors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reconstruct(values: &[f64], vectors: &[f64], n: usize) -> Vec<f64> {
        let mut out = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                out[i * n + j] = (0..n).map(|k| vectors[i * n + k] * values[k] * vectors[j * n + k]).sum();
            }
        }
        out
    }

    #[test]
    fn eigen_pairs_reconstruct_the_matrix_and_are_orthonormal() {
        // A random-looking SPD matrix: L L^T + 0.1 I, and an ill-conditioned diagonal one.
        let n = 7;
        let mut l = vec![0.0; n * n];
        let mut s: u64 = 12345;
        for x in l.iter_mut() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            *x = ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5;
        }
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] = (0..n).map(|k| l[i * n + k] * l[j * n + k]).sum::<f64>() + if i == j { 0.1 } else { 0.0 };
            }
        }
        let (values, vectors) = symmetric_eigen(&a, n);
        assert!(values.windows(2).all(|w| w[0] <= w[1]), "{values:?}");
        let back = reconstruct(&values, &vectors, n);
        for (x, y) in a.iter().zip(&back) {
            assert!((x - y).abs() < 1e-12, "{x} vs {y}");
        }
        for i in 0..n {
            for j in 0..n {
                let dot: f64 = (0..n).map(|k| vectors[k * n + i] * vectors[k * n + j]).sum();
                assert!((dot - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        let diag = [1e-12, 3.0, 1e6];
        let mut d = vec![0.0; 9];
        for i in 0..3 {
            d[i * 3 + i] = diag[2 - i];
        }
        let (values, _) = symmetric_eigen(&d, 3);
        assert_eq!(values, diag.to_vec());
    }

    #[test]
    fn a_two_by_two_matrix_has_its_known_eigenvalues() {
        // [[2, 1], [1, 2]]: eigenvalues 1 and 3, vectors (1, -1)/sqrt2 and (1, 1)/sqrt2.
        let (values, vectors) = symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
        assert!((values[0] - 1.0).abs() < 1e-15 && (values[1] - 3.0).abs() < 1e-15, "{values:?}");
        assert!((vectors[0].abs() - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-15);
        assert!((vectors[0] * vectors[2] + 0.5).abs() < 1e-15, "first vector is (1, -1)/sqrt2: {vectors:?}");
    }
}
