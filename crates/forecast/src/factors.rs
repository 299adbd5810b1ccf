//! A deal's factors as people read them: each feature's contribution to the log-odds (the
//! columns of one feature summed, so a stage is one factor, not one per stage), with the
//! deal's own value of it — its stage and pipeline by name.

use crate::ForecastError;
use crate::features::DealFeatures;
use embudo_store::Store;
use embudo_store::names::Named;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;

/// One factor of a deal's probability, as stored in `deal_scores.factors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    /// The feature, one of [`crate::encode::FEATURES`].
    pub factor: String,
    /// The deal's value of it (`null`: unknown).
    pub value: Value,
    /// Signed contribution to the log-odds of a win.
    pub contribution: f64,
}

/// Stage and pipeline names by id.
#[derive(Debug, Default)]
pub struct Names {
    stages: HashMap<i64, String>,
    pipelines: HashMap<i64, String>,
}

impl Names {
    pub fn read(store: &Store) -> Result<Names, ForecastError> {
        // A row without a name is left out, so a factor names it by its id.
        let by_id = |table: Named| -> Result<HashMap<i64, String>, ForecastError> {
            let mut names = store.names(table)?;
            names.retain(|_, name| !name.is_empty());
            Ok(names)
        };
        Ok(Names {
            stages: by_id(Named::Stages)?,
            pipelines: by_id(Named::Pipelines)?,
        })
    }
}

/// The `at_most` largest of `contributions` (by feature) as factors of `deal`, the largest
/// first, those that do not move the odds left out.
pub fn of(
    deal: &DealFeatures,
    mut contributions: Vec<(&'static str, f64)>,
    names: &Names,
    at_most: usize,
) -> Vec<Factor> {
    contributions.retain(|(_, contribution)| *contribution != 0.0);
    contributions.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    contributions.truncate(at_most);
    contributions
        .into_iter()
        .map(|(feature, contribution)| Factor {
            factor: feature.to_owned(),
            value: value(deal, feature, names),
            contribution,
        })
        .collect()
}

/// The deal's value of `feature`, as a person would read it.
fn value(deal: &DealFeatures, feature: &str, names: &Names) -> Value {
    let whole = |days: f64| days.round();
    match feature {
        "pipeline" => json!(names.pipelines.get(&deal.pipeline_id)),
        "stage" => json!(names.stages.get(&deal.stage_id)),
        "stage_probability" => json!(deal.stage_probability),
        "stages_back" => json!((deal.furthest_position - deal.stage_position).max(0)),
        "days_in_stage" => json!(whole(deal.days_in_stage)),
        "age_ratio" => json!(deal.age_ratio().map(|r| (r * 100.0).round() / 100.0)),
        "amount" => json!(deal.amount),
        "source" => json!(deal.source),
        "deal_type" => json!(deal.deal_type),
        "owner_close_rate" => json!(
            deal.owner_close_rate()
                .map(|r| (r * 1000.0).round() / 1000.0)
        ),
        "activities_14d" => json!(deal.activities_14d),
        "activities_30d" => json!(deal.activities_30d),
        "days_since_activity" => json!(deal.days_since_activity.map(whole)),
        "next_activity_scheduled" => json!(deal.next_activity_scheduled),
        "close_date_pushes" => json!(deal.close_date_pushes),
        _ => Value::Null,
    }
}
