//! L2-regularised logistic regression, fitted by Newton's method.
//!
//! Written here rather than taken from a crate: a win-probability model has a few dozen
//! features and at most a few hundred thousand training rows, which Newton's method fits
//! exactly in a handful of iterations with one small linear solve each — no matrix library
//! needed, and the whole fit is a page that tests can pin down.

use serde::{Deserialize, Serialize};

/// A fitted model: `p = σ(bias + Σ wᵢ·xᵢ)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Logistic {
    pub bias: f64,
    pub weights: Vec<f64>,
}

/// The logistic function, safe at both ends.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

impl Logistic {
    /// Fit to rows `x` (all of one width) and outcomes `y`, each row counting `weights[i]`
    /// times in the likelihood, penalising `l2 · Σ wᵢ²` (the bias is not penalised). Stops
    /// when no weight moves by more than 1e-8 or after 50 iterations.
    pub fn fit<R: AsRef<[f64]>>(x: &[R], y: &[bool], weights: &[f64], l2: f64) -> Logistic {
        let width = x.first().map_or(0, |row| row.as_ref().len());
        // θ = (bias, w₁…w_d); the design row is (1, x₁…x_d).
        let mut theta = vec![0.0; width + 1];
        let mut design = vec![0.0; width + 1];
        for _ in 0..50 {
            let mut gradient = vec![0.0; width + 1];
            let mut hessian = vec![vec![0.0; width + 1]; width + 1];
            for ((row, &outcome), &weight) in x.iter().zip(y).zip(weights) {
                design[0] = 1.0;
                design[1..].copy_from_slice(row.as_ref());
                let p = sigmoid(dot(&theta, &design));
                let residual = weight * (p - f64::from(u8::from(outcome)));
                let curvature = weight * (p * (1.0 - p)).max(1e-12);
                // The Hessian is symmetric: its lower triangle is filled in once, below.
                for (i, (g, h_row)) in gradient.iter_mut().zip(&mut hessian).enumerate() {
                    *g += residual * design[i];
                    let scaled = curvature * design[i];
                    for (h, d_j) in h_row[i..].iter_mut().zip(&design[i..]) {
                        *h += scaled * d_j;
                    }
                }
            }
            let upper = hessian.clone();
            for (i, h_row) in hessian.iter_mut().enumerate() {
                for (h, above) in h_row[..i].iter_mut().zip(&upper) {
                    *h = above[i];
                }
            }
            // The penalty, on the weights only.
            for (i, (g, h_row)) in gradient.iter_mut().zip(&mut hessian).enumerate().skip(1) {
                *g += 2.0 * l2 * theta[i];
                h_row[i] += 2.0 * l2;
            }
            let Some(step) = solve(hessian, gradient) else {
                break;
            };
            let largest = step.iter().fold(0.0_f64, |m, s| m.max(s.abs()));
            theta.iter_mut().zip(&step).for_each(|(t, s)| *t -= s);
            if largest < 1e-8 {
                break;
            }
        }
        Logistic {
            bias: theta[0],
            weights: theta[1..].to_vec(),
        }
    }

    /// The probability of a win for `row`.
    pub fn predict(&self, row: &[f64]) -> f64 {
        sigmoid(self.bias + dot(&self.weights, row))
    }

    /// Each feature's signed contribution to the log-odds of `row`.
    pub fn contributions(&self, row: &[f64]) -> Vec<f64> {
        self.weights.iter().zip(row).map(|(w, x)| w * x).collect()
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Solve `a · x = b` by Gaussian elimination with partial pivoting; `None` when `a` is
/// singular.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for column in 0..n {
        let pivot =
            (column..n).max_by(|&i, &j| a[i][column].abs().total_cmp(&a[j][column].abs()))?;
        if a[pivot][column].abs() < 1e-12 {
            return None;
        }
        a.swap(column, pivot);
        b.swap(column, pivot);
        let (upper, lower) = a.split_at_mut(column + 1);
        let pivot_row = &upper[column];
        for (offset, row) in lower.iter_mut().enumerate() {
            let factor = row[column] / pivot_row[column];
            for (value, above) in row[column..].iter_mut().zip(&pivot_row[column..]) {
                *value -= factor * above;
            }
            b[column + 1 + offset] -= factor * b[column];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let known: f64 = a[row][row + 1..]
            .iter()
            .zip(&x[row + 1..])
            .map(|(coefficient, value)| coefficient * value)
            .sum();
        x[row] = (b[row] - known) / a[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fit_recovers_the_rates_of_a_single_binary_feature() {
        // x = 0: 2 wins in 10; x = 1: 8 wins in 10. Unpenalised, the fitted probabilities
        // are the observed rates: σ(b) = 0.2, σ(b + w) = 0.8, so b = −ln 4 and w = 2 ln 4.
        let mut x = Vec::new();
        let mut y = Vec::new();
        for (value, wins) in [(0.0, 2), (1.0, 8)] {
            for i in 0..10 {
                x.push(vec![value]);
                y.push(i < wins);
            }
        }
        let model = Logistic::fit(&x, &y, &[1.0; 20], 0.0);
        assert!((model.bias + 4f64.ln()).abs() < 1e-6, "{model:?}");
        assert!(
            (model.weights[0] - 2.0 * 4f64.ln()).abs() < 1e-6,
            "{model:?}"
        );
        assert!((model.predict(&[1.0]) - 0.8).abs() < 1e-6);
    }

    #[test]
    fn a_row_weighing_three_counts_as_three_rows() {
        // x = 0: a win, and a loss weighing 3, so a rate of 1/4; x = 1 the other way round.
        let x = vec![vec![0.0], vec![0.0], vec![1.0], vec![1.0]];
        let y = [true, false, true, false];
        let model = Logistic::fit(&x, &y, &[1.0, 3.0, 3.0, 1.0], 0.0);
        assert!((model.predict(&[0.0]) - 0.25).abs() < 1e-6, "{model:?}");
        assert!((model.predict(&[1.0]) - 0.75).abs() < 1e-6, "{model:?}");
    }

    #[test]
    fn the_penalty_shrinks_weights_and_separable_data_stays_finite() {
        let x: Vec<Vec<f64>> = (0..20).map(|i| vec![f64::from(i)]).collect();
        let y: Vec<bool> = (0..20).map(|i| i >= 10).collect();
        let loose = Logistic::fit(&x, &y, &[1.0; 20], 0.01);
        let tight = Logistic::fit(&x, &y, &[1.0; 20], 10.0);
        assert!(loose.weights[0].is_finite() && loose.weights[0] > tight.weights[0]);
        assert!(tight.weights[0] > 0.0);
        assert!(loose.predict(&[19.0]) > 0.9 && loose.predict(&[0.0]) < 0.1);
    }

    #[test]
    fn contributions_add_up_to_the_log_odds() {
        let model = Logistic {
            bias: -1.0,
            weights: vec![0.5, -2.0],
        };
        let row = [2.0, 0.25];
        let logit: f64 = model.bias + model.contributions(&row).iter().sum::<f64>();
        assert!((sigmoid(logit) - model.predict(&row)).abs() < 1e-12);
        assert_eq!(model.contributions(&row), vec![1.0, -0.5]);
    }
}
