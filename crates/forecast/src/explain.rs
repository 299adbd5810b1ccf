//! Why a deal has the probability it has, and what would raise it: every feature's signed
//! contribution under the model in use, and the changes within the team's reach (an
//! activity logged, the next one scheduled, the close date kept) scored by the same model.

use crate::ForecastError;
use crate::factors::{self, Factor, Names};
use crate::features::{self, DealFeatures};
use crate::score;
use chrono::NaiveDateTime;
use embudo_store::Store;
use serde::Serialize;

/// A deal explained.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub deal_id: i64,
    /// `model` or `stage`.
    pub source: &'static str,
    pub probability: f64,
    /// Every feature that moves the odds, largest first.
    pub factors: Vec<Factor>,
    /// (what to do, the probability it would give), those that raise it, best first.
    pub raise: Vec<(String, f64)>,
}

/// Explain deal `id` as it stands at `at`; `None` when it is not open then.
pub fn explain(
    store: &Store,
    id: i64,
    at: NaiveDateTime,
) -> Result<Option<Explanation>, ForecastError> {
    let Some(deal) = features::of(store, at, id)? else {
        return Ok(None);
    };
    let Some(scorer) = score::kept_model(store)? else {
        return Ok(Some(Explanation {
            deal_id: id,
            source: "stage",
            probability: deal.stage_probability,
            factors: Vec::new(),
            raise: Vec::new(),
        }));
    };
    let (probability, contributions) = scorer.score(&deal);
    let factors = factors::of(&deal, contributions, &Names::read(store)?, usize::MAX);
    let mut raise: Vec<(String, f64)> = actions(&deal)
        .into_iter()
        .map(|(action, changed)| (action, scorer.probability(&changed)))
        .filter(|(_, p)| *p > probability + 0.005)
        .collect();
    raise.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(Some(Explanation {
        deal_id: id,
        source: "model",
        probability,
        factors,
        raise,
    }))
}

/// The changes a team can make today, as the deal would then stand.
fn actions(deal: &DealFeatures) -> Vec<(String, DealFeatures)> {
    let mut out = Vec::new();
    if !deal.next_activity_scheduled {
        out.push((
            "schedule the next activity".to_owned(),
            DealFeatures {
                next_activity_scheduled: true,
                ..deal.clone()
            },
        ));
    }
    if deal.days_since_activity.is_none_or(|days| days >= 1.0) {
        out.push((
            "complete an activity today".to_owned(),
            DealFeatures {
                days_since_activity: Some(0.0),
                activities_14d: deal.activities_14d + 1,
                activities_30d: deal.activities_30d + 1,
                ..deal.clone()
            },
        ));
    }
    if deal.close_date_pushes > 0 {
        out.push((
            "agree a close date and keep it (no more pushes)".to_owned(),
            DealFeatures {
                close_date_pushes: 0,
                ..deal.clone()
            },
        ));
    }
    out
}
