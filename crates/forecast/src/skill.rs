//! How good probabilities are: AUC (do wins rank above losses), the Brier score (mean
//! squared error of the probability), and a reliability table (predicted against observed
//! rates, ten bins) with its worst gap, and the worst gap a perfectly calibrated model
//! would show by chance.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// The chance that a random win is scored above a random loss (ties count half); `None`
/// without both wins and losses.
pub fn auc(scores: &[f64], wins: &[bool]) -> Option<f64> {
    let mut ranked: Vec<(f64, bool)> = scores.iter().copied().zip(wins.iter().copied()).collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
    let positives = wins.iter().filter(|w| **w).count() as f64;
    let negatives = wins.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    // Sum of the wins' ranks, tied scores sharing their average rank (Mann–Whitney).
    let mut rank_sum = 0.0;
    let mut start = 0;
    while start < ranked.len() {
        let end = (start..ranked.len())
            .find(|&i| ranked[i].0 != ranked[start].0)
            .unwrap_or(ranked.len());
        let average_rank = (start + end + 1) as f64 / 2.0;
        rank_sum += ranked[start..end].iter().filter(|(_, w)| *w).count() as f64 * average_rank;
        start = end;
    }
    Some((rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives))
}

/// The lower end of the 95% interval of an AUC measured on `wins` positives and `losses`
/// negatives (Hanley and McNeil's standard error): above 0.5, the ranking is not luck.
pub fn auc_lower_bound(auc: f64, wins: usize, losses: usize) -> Option<f64> {
    if wins == 0 || losses == 0 {
        return None;
    }
    let (p, n) = (wins as f64, losses as f64);
    let q1 = auc / (2.0 - auc);
    let q2 = 2.0 * auc * auc / (1.0 + auc);
    let variance =
        (auc * (1.0 - auc) + (p - 1.0) * (q1 - auc * auc) + (n - 1.0) * (q2 - auc * auc)) / (p * n);
    Some(auc - 1.96 * variance.max(0.0).sqrt())
}

/// Mean of (probability − outcome)²; `None` for no rows.
pub fn brier(probabilities: &[f64], wins: &[bool]) -> Option<f64> {
    (!probabilities.is_empty()).then(|| {
        probabilities
            .iter()
            .zip(wins)
            .map(|(p, &w)| (p - f64::from(u8::from(w))).powi(2))
            .sum::<f64>()
            / probabilities.len() as f64
    })
}

/// One bin of a reliability table: probabilities in `[from, to)` (the last bin includes 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bin {
    pub from: f64,
    pub to: f64,
    pub deals: usize,
    pub predicted: Option<f64>,
    pub observed: Option<f64>,
}

/// Ten bins of width 0.1: how many deals, their mean probability and their win rate.
pub fn reliability(probabilities: &[f64], wins: &[bool]) -> Vec<Bin> {
    (0..10)
        .map(|bin| {
            let (from, to) = (bin as f64 / 10.0, (bin + 1) as f64 / 10.0);
            let inside: Vec<(f64, bool)> = probabilities
                .iter()
                .zip(wins)
                .filter(|(p, _)| bin_of(**p) == bin)
                .map(|(p, w)| (*p, *w))
                .collect();
            let n = inside.len();
            let mean = |values: Vec<f64>| (n > 0).then(|| values.iter().sum::<f64>() / n as f64);
            Bin {
                from,
                to,
                deals: n,
                predicted: mean(inside.iter().map(|(p, _)| *p).collect()),
                observed: mean(
                    inside
                        .iter()
                        .map(|(_, w)| f64::from(u8::from(*w)))
                        .collect(),
                ),
            }
        })
        .collect()
}

/// The bin of [`reliability`] a probability falls in.
fn bin_of(probability: f64) -> usize {
    ((probability * 10.0).floor().max(0.0) as usize).min(9)
}

/// The largest gap between mean probability and win rate among the bins of
/// [`reliability`] holding at least `min_deals` deals; `None` when no bin does.
pub fn worst_gap(probabilities: &[f64], wins: &[bool], min_deals: usize) -> Option<f64> {
    reliability(probabilities, wins)
        .iter()
        .filter(|bin| bin.deals >= min_deals)
        .filter_map(|bin| Some((bin.predicted? - bin.observed?).abs()))
        .reduce(f64::max)
}

/// Draws of outcomes behind [`chance_worst_gap`].
const CHANCE_DRAWS: usize = 1_000;

/// The [`worst_gap`] that a perfectly calibrated model stays under with probability
/// `quantile` on these deals: outcomes drawn from the probabilities themselves (each deal
/// won with its probability), a thousand times with a fixed seed. A bin of 200 deals at
/// 0.5 misses its rate by 0.035 on average by chance alone, and a table of ten bins shows
/// its worst one: a gap under this figure is as good as the deals can show.
pub fn chance_worst_gap(probabilities: &[f64], min_deals: usize, quantile: f64) -> Option<f64> {
    let mut deals = [0usize; 10];
    let mut predicted = [0.0f64; 10];
    for &p in probabilities {
        deals[bin_of(p)] += 1;
        predicted[bin_of(p)] += p;
    }
    let judged: Vec<usize> = (0..10).filter(|&b| deals[b] >= min_deals).collect();
    if judged.is_empty() {
        return None;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut worst: Vec<f64> = (0..CHANCE_DRAWS)
        .map(|_| {
            let mut won = [0usize; 10];
            for &p in probabilities {
                if rng.random::<f64>() < p {
                    won[bin_of(p)] += 1;
                }
            }
            judged
                .iter()
                .map(|&b| ((predicted[b] - won[b] as f64) / deals[b] as f64).abs())
                .fold(0.0, f64::max)
        })
        .collect();
    worst.sort_by(f64::total_cmp);
    let at = ((quantile * CHANCE_DRAWS as f64).ceil() as usize).clamp(1, CHANCE_DRAWS) - 1;
    Some(worst[at])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_ordered_pairs_and_ties_count_half() {
        // Wins at 0.9 and 0.4, losses at 0.6 and 0.1: of four win–loss pairs, three are
        // ordered right.
        let scores = [0.9, 0.6, 0.4, 0.1];
        let wins = [true, false, true, false];
        assert_eq!(auc(&scores, &wins), Some(0.75));
        assert_eq!(auc(&[0.5, 0.5], &[true, false]), Some(0.5));
        assert_eq!(auc(&[0.2, 0.8], &[true, false]), Some(0.0));
        assert_eq!(auc(&[0.2, 0.8], &[true, true]), None);
    }

    #[test]
    fn the_auc_bound_narrows_with_more_deals() {
        // AUC 0.6 on 10 and 10: SE ≈ 0.1291 by Hanley–McNeil, so the bound is below 0.5;
        // on 500 and 500 the SE is about 0.0175 and the bound clears 0.5.
        let small = auc_lower_bound(0.6, 10, 10).unwrap();
        let large = auc_lower_bound(0.6, 500, 500).unwrap();
        assert!((small - (0.6 - 1.96 * 0.1291)).abs() < 0.001, "{small}");
        assert!(small < 0.5 && large > 0.5, "{small} {large}");
        assert_eq!(auc_lower_bound(0.7, 0, 5), None);
    }

    #[test]
    fn brier_is_the_mean_squared_miss() {
        // (0.8 − 1)² = 0.04 and (0.3 − 0)² = 0.09: mean 0.065.
        let score = brier(&[0.8, 0.3], &[true, false]).unwrap();
        assert!((score - 0.065).abs() < 1e-12);
        assert_eq!(brier(&[], &[]), None);
    }

    #[test]
    fn reliability_bins_hold_their_deals() {
        let probabilities = [0.05, 0.07, 0.55, 0.58, 1.0];
        let wins = [false, true, true, true, true];
        let bins = reliability(&probabilities, &wins);
        assert_eq!(bins.len(), 10);
        assert_eq!(bins[0].deals, 2);
        assert!((bins[0].predicted.unwrap() - 0.06).abs() < 1e-12);
        assert_eq!(bins[0].observed, Some(0.5));
        assert_eq!((bins[5].deals, bins[5].observed), (2, Some(1.0)));
        assert_eq!((bins[9].deals, bins[9].predicted), (1, Some(1.0)));
        assert_eq!((bins[3].deals, bins[3].observed), (0, None));
    }

    #[test]
    fn the_worst_gap_is_judged_on_bins_with_enough_deals() {
        // Bin 0: 0.05 and 0.07 predicted, one won: gap |0.06 − 0.5| = 0.44. Bin 5: 0.55
        // and 0.58, both won: gap 0.435. With bins of two deals or more both count; with
        // three, none does.
        let probabilities = [0.05, 0.07, 0.55, 0.58, 1.0];
        let wins = [false, true, true, true, true];
        let gap = worst_gap(&probabilities, &wins, 2).unwrap();
        assert!((gap - 0.44).abs() < 1e-12, "{gap}");
        assert_eq!(worst_gap(&probabilities, &wins, 3), None);
    }

    #[test]
    fn chance_alone_opens_gaps_in_small_bins() {
        // 100 deals at 0.5: the win rate's standard error is 0.05, so the gap a perfectly
        // calibrated model stays under 95% of the time is about 1.96 × 0.05 ≈ 0.1; 10,000
        // deals narrow it a tenfold.
        let hundred = chance_worst_gap(&[0.5; 100], 100, 0.95).unwrap();
        assert!((0.08..=0.12).contains(&hundred), "{hundred}");
        let many = chance_worst_gap(&[0.5; 10_000], 100, 0.95).unwrap();
        assert!((0.008..=0.012).contains(&many), "{many}");
        assert_eq!(chance_worst_gap(&[0.5; 99], 100, 0.95), None);
    }
}
