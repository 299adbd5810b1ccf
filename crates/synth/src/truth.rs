//! The ground truth: what the simulation really did, for checking the audit, the metrics
//! and the forecast against.

use crate::params::{
    DEAL_CONVERSION_SHARE, LEAD_SHARE, ORGANIC_AMOUNT_FACTOR, Params, REFERRAL_CYCLE_FACTOR,
    SOURCES,
};
use chrono::NaiveDateTime;
use embudo_model::{Id, Label};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};

/// The `--truth` file.
#[derive(Debug, Clone, Serialize)]
pub struct Truth {
    pub seed: u64,
    pub scale: &'static str,
    pub now: String,
    pub params: TrueParams,
    pub duplicates: Duplicates,
    /// Contacts from sources without e-mail or phone (event lists, paper forms, a legacy
    /// system): the duplicates the audit must find from name and address alone.
    pub offline_contacts: Vec<Id>,
    pub defects: Vec<Defect>,
    pub future: Future,
}

/// The rates the simulation drew from.
#[derive(Debug, Clone, Serialize)]
pub struct TrueParams {
    pub defect_rate: f64,
    /// Share of leads by source.
    pub lead_source_share: BTreeMap<&'static str, f64>,
    /// Probability that a lead of each source becomes a customer.
    pub conversion_rate: BTreeMap<&'static str, f64>,
    /// Won referral deals' cycle length over other won deals'.
    pub referral_cycle_factor: f64,
    /// Organic deals' average amount over other deals'.
    pub organic_amount_factor: f64,
    /// Share of contacts that become leads.
    pub lead_share: f64,
    /// Share of conversions that come from a won deal rather than a first order.
    pub deal_conversion_share: f64,
}

/// Every pair of records that are the same real entity: `[original, duplicate]`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Duplicates {
    pub contacts: Vec<[Id; 2]>,
    pub companies: Vec<[Id; 2]>,
    pub deals: Vec<[Id; 2]>,
}

/// One deliberate error: the store's `entity.field` of row `id` holds `value` where the
/// real-world value is `original`.
#[derive(Debug, Clone, Serialize)]
pub struct Defect {
    pub entity: &'static str,
    pub id: Id,
    pub field: &'static str,
    pub kind: &'static str,
    pub original: Value,
    pub value: Value,
}

/// What happens after `now`, which the store does not know.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Future {
    pub deals: Vec<FutureDeal>,
}

/// How a deal open at `now` ends.
#[derive(Debug, Clone, Serialize)]
pub struct FutureDeal {
    pub id: Id,
    pub outcome: &'static str,
    pub closed_at: String,
    pub amount: f64,
}

impl Truth {
    pub fn new(params: &Params, now: NaiveDateTime) -> Truth {
        Truth {
            seed: params.seed,
            scale: params.scale.as_str(),
            now: timestamp_text(now),
            params: TrueParams {
                defect_rate: params.defect_rate,
                lead_source_share: SOURCES
                    .iter()
                    .map(|(s, share, _)| (s.as_str(), *share))
                    .collect(),
                conversion_rate: SOURCES
                    .iter()
                    .map(|(s, _, rate)| (s.as_str(), *rate))
                    .collect(),
                referral_cycle_factor: REFERRAL_CYCLE_FACTOR,
                organic_amount_factor: ORGANIC_AMOUNT_FACTOR,
                lead_share: LEAD_SHARE,
                deal_conversion_share: DEAL_CONVERSION_SHARE,
            },
            duplicates: Duplicates::default(),
            offline_contacts: Vec::new(),
            defects: Vec::new(),
            future: Future::default(),
        }
    }

    /// Record a defect.
    pub fn defect(
        &mut self,
        entity: &'static str,
        id: Id,
        field: &'static str,
        kind: &'static str,
        original: impl Into<Value>,
        value: impl Into<Value>,
    ) {
        self.defects.push(Defect {
            entity,
            id,
            field,
            kind,
            original: original.into(),
            value: value.into(),
        });
    }
}

/// A timestamp as DuckDB prints it (`CAST(ts AS VARCHAR)`), so the truth file's values
/// compare with the store's as text.
pub fn timestamp_text(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A duplicate finder's answer scored against the truth's pairs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairScore {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// The share of true pairs the finder compared at all.
    pub blocking_recall: f64,
}

impl PairScore {
    /// Pairwise precision, recall and F1 of the `found` pairs against the `truth` pairs, and
    /// the share of true pairs among the `compared` ones, over the records `of_interest`:
    /// true pairs of two such records, found pairs with at least one (a pair joining one of
    /// them to another record is a mistake about it). Pairs may come in either order.
    pub fn of(
        truth: &[[Id; 2]],
        found: impl Iterator<Item = (Id, Id)>,
        compared: &[(Id, Id)],
        of_interest: impl Fn(Id) -> bool,
    ) -> PairScore {
        let ordered = |a: Id, b: Id| (a.min(b), a.max(b));
        let expected: HashSet<(Id, Id)> = truth
            .iter()
            .filter(|[a, b]| of_interest(*a) && of_interest(*b))
            .map(|[a, b]| ordered(*a, *b))
            .collect();
        let predicted: HashSet<(Id, Id)> = found
            .filter(|&(a, b)| of_interest(a) || of_interest(b))
            .map(|(a, b)| ordered(a, b))
            .collect();
        let compared: HashSet<(Id, Id)> = compared.iter().map(|&(a, b)| ordered(a, b)).collect();
        let hits = expected.intersection(&predicted).count() as f64;
        let precision = hits / predicted.len().max(1) as f64;
        let recall = hits / expected.len().max(1) as f64;
        let blocked = expected.iter().filter(|p| compared.contains(p)).count() as f64;
        PairScore {
            precision,
            recall,
            f1: 2.0 * precision * recall / (precision + recall).max(f64::MIN_POSITIVE),
            blocking_recall: blocked / expected.len().max(1) as f64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_scored_over_the_records_of_interest() {
        // Truth: 1–2 and 3–4. Found: 2–1 (right), 1–5 (wrong), 3–6 (outside the interest).
        let truth = [[1, 2], [3, 4]];
        let found = [(2, 1), (1, 5), (6, 3)].into_iter();
        let interest = |id: Id| id != 3 && id != 6;
        let score = PairScore::of(&truth, found, &[(1, 2), (1, 5)], interest);
        assert_eq!(score.precision, 0.5);
        assert_eq!(score.recall, 1.0);
        assert!((score.f1 - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(score.blocking_recall, 1.0);
    }
}
