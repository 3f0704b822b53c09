//! A small box-constrained quasi-Newton minimizer (projected L-BFGS with backtracking).
//!
//! Used twice by the GP sampler: for the kernel hyperparameters (effectively unbounded) and
//! for the acquisition function on the unit box. Both problems have at most a few dozen
//! variables and cheap-to-moderate evaluations, so a compact projected L-BFGS is enough.

/// Stopping rules and limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    /// Stop when the projected gradient's infinity norm falls below this.
    pub(crate) gtol: f64,
    /// Stop when an iteration lowers f by less than `ftol * max(|f|, 1)`.
    pub(crate) ftol: f64,
    /// Iteration limit.
    pub(crate) max_iter: usize,
    /// Pairs kept in the inverse-Hessian approximation.
    pub(crate) memory: usize,
    /// Step halvings tried per line search before giving up.
    pub(crate) max_backtracks: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { gtol: 1e-5, ftol: 1e-10, max_iter: 200, memory: 10, max_backtracks: 30 }
    }
}

/// Result of a minimization.
#[derive(Debug, Clone)]
pub(crate) struct Minimum {
    pub(crate) x: Vec<f64>,
    pub(crate) f: f64,
}

fn project(x: &mut [f64], lo: &[f64], hi: &[f64]) {
    for ((v, l), h) in x.iter_mut().zip(lo).zip(hi) {
        *v = v.clamp(*l, *h);
    }
}

/// Minimizes `f` (which writes its gradient into the second argument and returns its
/// value) over the box `[lo, hi]`, from `x0`. Non-finite values count as "too far": the line
/// search backs off from them.
pub(crate) fn minimize<F>(mut f: F, x0: &[f64], lo: &[f64], hi: &[f64], settings: Settings) -> Minimum
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let n = x0.len();
    let mut x = x0.to_vec();
    project(&mut x, lo, hi);
    let mut g = vec![0.0; n];
    let mut fx = f(&x, &mut g);
    if !fx.is_finite() {
        return Minimum { x, f: fx };
    }
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let mut rho_hist: Vec<f64> = Vec::new();
    let mut d = vec![0.0; n];
    let mut alpha = vec![0.0; settings.memory];
    let mut xn = vec![0.0; n];
    let mut gn = vec![0.0; n];
    for iter in 0..settings.max_iter {
        // Variables held at a bound by a gradient pointing outwards stay fixed this step.
        let free: Vec<bool> = (0..n).map(|i| !((x[i] <= lo[i] && g[i] > 0.0) || (x[i] >= hi[i] && g[i] < 0.0))).collect();
        let pg = (0..n).filter(|&i| free[i]).map(|i| g[i].abs()).fold(0.0, f64::max);
        if pg < settings.gtol {
            break;
        }
        // Two-loop recursion on the free variables.
        for i in 0..n {
            d[i] = if free[i] { -g[i] } else { 0.0 };
        }
        let m = s_hist.len();
        for k in (0..m).rev() {
            let a = rho_hist[k] * dot_free(&s_hist[k], &d, &free);
            alpha[k] = a;
            for i in 0..n {
                if free[i] {
                    d[i] -= a * y_hist[k][i];
                }
            }
        }
        if m > 0 {
            let (s, y) = (&s_hist[m - 1], &y_hist[m - 1]);
            let yy = dot_free(y, y, &free);
            let gamma = if yy > 0.0 { dot_free(s, y, &free) / yy } else { 1.0 };
            if gamma.is_finite() && gamma > 0.0 {
                d.iter_mut().for_each(|v| *v *= gamma);
            }
        }
        for k in 0..m {
            let b = rho_hist[k] * dot_free(&y_hist[k], &d, &free);
            for i in 0..n {
                if free[i] {
                    d[i] += (alpha[k] - b) * s_hist[k][i];
                }
            }
        }
        let mut slope: f64 = d.iter().zip(&g).map(|(a, b)| a * b).sum();
        if !slope.is_finite() || slope >= 0.0 {
            for i in 0..n {
                d[i] = if free[i] { -g[i] } else { 0.0 };
            }
            slope = -d.iter().map(|v| v * v).sum::<f64>();
            s_hist.clear();
            y_hist.clear();
            rho_hist.clear();
        }
        // The first step of a fresh model is scaled so it moves by at most about one unit.
        let mut t = if s_hist.is_empty() {
            let norm = d.iter().map(|v| v * v).sum::<f64>().sqrt();
            if iter == 0 && norm > 1.0 { 1.0 / norm } else { 1.0 }
        } else {
            1.0
        };
        let mut accepted = false;
        let mut fn_ = f64::NAN;
        for _ in 0..settings.max_backtracks {
            for i in 0..n {
                xn[i] = x[i] + t * d[i];
            }
            project(&mut xn, lo, hi);
            let decrease: f64 = xn.iter().zip(&x).zip(&g).map(|((a, b), gi)| (a - b) * gi).sum();
            fn_ = f(&xn, &mut gn);
            if fn_.is_finite() && fn_ <= fx + 1e-4 * decrease.min(0.0).max(t * slope) {
                accepted = true;
                break;
            }
            t *= 0.5;
        }
        if !accepted {
            break;
        }
        let mut s = vec![0.0; n];
        let mut y = vec![0.0; n];
        for i in 0..n {
            s[i] = xn[i] - x[i];
            y[i] = gn[i] - g[i];
        }
        let sy: f64 = s.iter().zip(&y).map(|(a, b)| a * b).sum();
        let improvement = fx - fn_;
        std::mem::swap(&mut x, &mut xn);
        std::mem::swap(&mut g, &mut gn);
        fx = fn_;
        if sy > 1e-12 * s.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-300) {
            if s_hist.len() == settings.memory {
                s_hist.remove(0);
                y_hist.remove(0);
                rho_hist.remove(0);
            }
            rho_hist.push(1.0 / sy);
            s_hist.push(s);
            y_hist.push(y);
        }
        if improvement <= settings.ftol * fx.abs().max(1.0) {
            break;
        }
    }
    Minimum { x, f: fx }
}

fn dot_free(a: &[f64], b: &[f64], free: &[bool]) -> f64 {
    a.iter().zip(b).zip(free).filter(|(_, f)| **f).map(|((x, y), _)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimizes_the_rosenbrock_function() {
        let rosen = |x: &[f64], g: &mut [f64]| {
            let (a, b) = (x[0], x[1]);
            g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
            g[1] = 200.0 * (b - a * a);
            (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
        };
        let inf = f64::INFINITY;
        let m = minimize(rosen, &[-1.2, 1.0], &[-inf, -inf], &[inf, inf], Settings::default());
        assert!((m.x[0] - 1.0).abs() < 1e-4 && (m.x[1] - 1.0).abs() < 1e-4, "{m:?}");
    }

    #[test]
    fn respects_the_box_and_stops_on_its_face() {
        // Unconstrained minimum at (2, -3); the box [0,1]^2 puts it at the corner (1, 0).
        let f = |x: &[f64], g: &mut [f64]| {
            g[0] = 2.0 * (x[0] - 2.0);
            g[1] = 2.0 * (x[1] + 3.0);
            (x[0] - 2.0).powi(2) + (x[1] + 3.0).powi(2)
        };
        let m = minimize(f, &[0.5, 0.5], &[0.0, 0.0], &[1.0, 1.0], Settings::default());
        assert_eq!(m.x, vec![1.0, 0.0]);
        // A minimum inside the box on one axis, on a face on the other.
        let f = |x: &[f64], g: &mut [f64]| {
            g[0] = 2.0 * (x[0] - 0.3);
            g[1] = 2.0 * (x[1] - 5.0);
            (x[0] - 0.3).powi(2) + (x[1] - 5.0).powi(2)
        };
        let m = minimize(f, &[0.9, 0.1], &[0.0, 0.0], &[1.0, 1.0], Settings::default());
        assert!((m.x[0] - 0.3).abs() < 1e-6 && m.x[1] == 1.0, "{m:?}");
    }
}
