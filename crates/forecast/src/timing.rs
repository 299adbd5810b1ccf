//! When a deal that will be won closes: learned from the won deals' own past.
//!
//! Every won deal is looked at every two weeks while it was open (instants counted back from
//! the forecast's own instant), and each look records how the deal stood — pipeline, stage,
//! days in that stage, its size among the pipeline's deals, days left to its expected close
//! date as then set — and how many days later it was actually won. An open deal's closing
//! time is drawn from the looks at deals that stood as it stands now; where fewer than
//! [`MIN_LOOKS`] stood exactly so, the least telling condition is dropped first (expected
//! close date, days in stage, size, then stage). Size matters because bigger deals take
//! longer: by count most winners close within a month, by amount fewer do.
//!
//! Looking at the past pipeline, rather than at how long won deals spent after entering a
//! stage, answers the forecast's own question: of deals like this one, seen at a moment like
//! this one, when did the winners close?

use crate::ForecastError;
use crate::features::Standing;
use chrono::NaiveDateTime;
use embudo_store::Store;
use std::collections::HashMap;

/// Looks a condition needs before its closing times are trusted on their own.
const MIN_LOOKS: usize = 40;

/// Looks are taken at least this many two-week steps before the instant. A look two weeks
/// before it only sees the winners that closed within two weeks — the slower ones have not
/// closed yet — and would teach that deals close sooner than they do. From 18 weeks back,
/// every winner that took up to four months has had the time to be seen.
const SETTLE_STEPS: i64 = 9;

/// What the closing time depends on: pipeline, then stage, size, days in stage and days to
/// the expected close date as bands. `None` in a slot means "any".
type Key = (i64, Option<i64>, Option<u8>, Option<u8>, Option<u8>);

/// Closing times of won deals, by how they stood when looked at.
#[derive(Debug, Default)]
pub struct Timing {
    /// Days from a look to the win, sorted, for every key a look falls under.
    days: HashMap<Key, Vec<f64>>,
    /// Every look's days to the win, sorted: for a pipeline with no win yet.
    all: Vec<f64>,
    /// The amounts splitting each pipeline's looks into thirds.
    size_bounds: HashMap<i64, [f64; 2]>,
}

impl Timing {
    /// The looks at deals won by `at`, every 14 days while they were open, from
    /// [`SETTLE_STEPS`] steps before `at` back — or from the step before `at` for a
    /// business too young to have settled looks.
    pub fn read(store: &Store, at: NaiveDateTime) -> Result<Timing, ForecastError> {
        let mut seen = store.won_deal_looks(at, SETTLE_STEPS)?;
        if seen.len() < MIN_LOOKS {
            seen = store.won_deal_looks(at, 1)?;
        }
        let looks: Vec<Look> = seen.into_iter().filter_map(Look::of).collect();
        let mut timing = Timing {
            size_bounds: thirds(&looks),
            ..Timing::default()
        };
        // Each look goes under its most specific key; a coarser key then takes the few
        // groups it holds whole, rather than every look being hashed under five keys.
        let mut exact: HashMap<Bands, Vec<f64>> = HashMap::new();
        for look in &looks {
            let bands = Bands {
                pipeline: look.pipeline,
                stage: look.stage,
                size: timing.size_band(look.pipeline, look.amount),
                stay: stay_band(look.days_in_stage),
                due: due_band(look.days_to_expected_close),
            };
            exact.entry(bands).or_default().push(look.days_to_win);
        }
        // The groups are sorted once; a coarser key and `all` are then runs of sorted
        // groups, which a stable sort merges rather than sorting afresh (with the amounts'
        // thirds found by selection, the 587k looks of large are grouped in 0.15 → 0.12 s).
        for days in exact.values_mut() {
            days.sort_unstable_by(f64::total_cmp);
        }
        for (bands, days) in exact {
            let [most, coarser @ ..] = bands.keys();
            for key in coarser {
                timing.days.entry(key).or_default().extend_from_slice(&days);
            }
            timing.all.extend_from_slice(&days);
            timing.days.insert(most, days);
        }
        timing
            .days
            .values_mut()
            .chain([&mut timing.all])
            .for_each(|days| days.sort_by(f64::total_cmp));
        Ok(timing)
    }

    /// The chance that `deal`, if won, closes within each period `bounds` delimit (one more
    /// bound than periods), seen from `at`. The shares add up to less than one when some
    /// similar deals closed after the last bound.
    pub fn shares(&self, deal: &Standing, at: NaiveDateTime, bounds: &[NaiveDateTime]) -> Vec<f64> {
        let periods = bounds.len().saturating_sub(1);
        let Some(days) = self.similar(deal, at) else {
            return vec![0.0; periods];
        };
        let offset = |bound: &NaiveDateTime| (*bound - at).num_seconds() as f64 / 86_400.0;
        // Looks whose win came before `bound`: the win is always after the look, so a bound
        // at or before `at` counts none.
        let before = |bound: &NaiveDateTime| days.partition_point(|d| *d < offset(bound));
        bounds
            .windows(2)
            .map(|w| (before(&w[1]) - before(&w[0])) as f64 / days.len() as f64)
            .collect()
    }

    /// The closing times of the deals that stood as `deal` stands.
    fn similar(&self, deal: &Standing, at: NaiveDateTime) -> Option<&[f64]> {
        let keys = Bands {
            pipeline: deal.pipeline_id,
            stage: deal.stage_id,
            size: self.size_band(deal.pipeline_id, deal.amount),
            stay: stay_band(deal.days_in_stage),
            due: due_band(deal.days_to_expected_close(at)),
        }
        .keys();
        let pipeline = keys.last().and_then(|key| self.days.get(key));
        keys.iter()
            .filter_map(|key| self.days.get(key))
            .find(|days| days.len() >= MIN_LOOKS)
            .or(pipeline)
            .or((!self.all.is_empty()).then_some(&self.all))
            .map(Vec::as_slice)
    }

    /// Which third of its pipeline's looks an amount falls in (unknown: the middle).
    fn size_band(&self, pipeline: i64, amount: Option<f64>) -> u8 {
        match (self.size_bounds.get(&pipeline), amount) {
            (Some([low, _]), Some(amount)) if amount < *low => 0,
            (Some([_, high]), Some(amount)) if amount >= *high => 2,
            _ => 1,
        }
    }
}

/// A won deal as it stood at one look.
struct Look {
    pipeline: i64,
    stage: i64,
    days_in_stage: f64,
    days_to_expected_close: Option<f64>,
    amount: Option<f64>,
    days_to_win: f64,
}

impl Look {
    /// A row of the looks' statement (see [`Store::won_deal_looks`]), unless incomplete.
    fn of(row: [Option<f64>; 6]) -> Option<Look> {
        let [
            pipeline,
            stage,
            days_in_stage,
            days_to_expected_close,
            amount,
            days_to_win,
        ] = row;
        Some(Look {
            // Ids, read as floats: exact below 2^53.
            pipeline: pipeline? as i64,
            stage: stage? as i64,
            days_in_stage: days_in_stage?,
            days_to_expected_close,
            amount,
            days_to_win: days_to_win?,
        })
    }
}

/// How a deal stood: its pipeline and stage, and the bands of its size, days in stage and
/// days to its expected close date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Bands {
    pipeline: i64,
    stage: i64,
    size: u8,
    stay: u8,
    due: u8,
}

impl Bands {
    /// The keys a deal's closing time is looked up by, the most specific first.
    fn keys(self) -> [Key; 5] {
        let Bands {
            pipeline,
            stage,
            size,
            stay,
            due,
        } = self;
        [
            (pipeline, Some(stage), Some(size), Some(stay), Some(due)),
            (pipeline, Some(stage), Some(size), Some(stay), None),
            (pipeline, Some(stage), Some(size), None, None),
            (pipeline, Some(stage), None, None, None),
            (pipeline, None, None, None, None),
        ]
    }
}

/// Each pipeline's amounts at a third and two thirds of its looks.
fn thirds(looks: &[Look]) -> HashMap<i64, [f64; 2]> {
    let mut amounts: HashMap<i64, Vec<f64>> = HashMap::new();
    for look in looks {
        if let Some(amount) = look.amount {
            amounts.entry(look.pipeline).or_default().push(amount);
        }
    }
    amounts
        .into_iter()
        .map(|(pipeline, mut amounts)| {
            // The amounts that would stand a third and two thirds of the way in order,
            // found without ordering them all.
            let mut at = |share: f64| {
                let nth = ((amounts.len() - 1) as f64 * share) as usize;
                *amounts.select_nth_unstable_by(nth, f64::total_cmp).1
            };
            (pipeline, [at(1.0 / 3.0), at(2.0 / 3.0)])
        })
        .collect()
}

/// Days in the current stage, in three bands: fresh, settled, stuck.
fn stay_band(days: f64) -> u8 {
    match days {
        d if d < 14.0 => 0,
        d if d < 45.0 => 1,
        _ => 2,
    }
}

/// Days left to the expected close date: unknown, overdue, this month, this quarter, later.
fn due_band(days: Option<f64>) -> u8 {
    match days {
        None => 0,
        Some(d) if d < 0.0 => 1,
        Some(d) if d < 30.0 => 2,
        Some(d) if d < 90.0 => 3,
        Some(_) => 4,
    }
}
