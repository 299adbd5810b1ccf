//! Simulated time: three years before `now`, with growth, seasonality and office hours.

use chrono::{Datelike, NaiveDateTime, TimeDelta, Timelike, Weekday};
use rand::Rng;

/// Length of the simulated history.
pub const HISTORY_DAYS: i64 = 3 * 365;
const SECONDS_PER_DAY: f64 = 86_400.0;
/// Activity grows by this factor per year.
const YEARLY_GROWTH: f64 = 1.35;

/// Maps random draws onto instants of the simulated history.
#[derive(Debug)]
pub struct Clock {
    pub start: NaiveDateTime,
    pub now: NaiveDateTime,
    /// Cumulative weight of each day, for drawing busy days more often than quiet ones.
    cumulative: Vec<f64>,
}

impl Clock {
    pub fn new(now: NaiveDateTime) -> Clock {
        // Whole seconds keep every timestamp's text form short and exact.
        let now = now.with_nanosecond(0).expect("zero nanoseconds is valid");
        let start = now - TimeDelta::days(HISTORY_DAYS);
        let mut total = 0.0;
        let cumulative = (0..HISTORY_DAYS)
            .map(|day| {
                let date = (start + TimeDelta::days(day)).date();
                total += YEARLY_GROWTH.powf(day as f64 / 365.0)
                    * season(date.month())
                    * weekday_weight(date.weekday());
                total
            })
            .collect();
        Clock {
            start,
            now,
            cumulative,
        }
    }

    /// A business moment, on days weighted by growth, season and weekday.
    pub fn busy_instant(&self, rng: &mut impl Rng) -> NaiveDateTime {
        let total = *self.cumulative.last().expect("history has days");
        let target = rng.random::<f64>() * total;
        let day = self.cumulative.partition_point(|&c| c < target) as i64;
        office_hours(self.start + TimeDelta::days(day), rng)
    }

    /// A uniformly drawn instant in `[from, to)`, or `from` when the span is empty.
    pub fn between(
        &self,
        from: NaiveDateTime,
        to: NaiveDateTime,
        rng: &mut impl Rng,
    ) -> NaiveDateTime {
        let span = (to - from).num_seconds();
        if span <= 0 {
            return from;
        }
        from + TimeDelta::seconds(rng.random_range(0..span))
    }

    /// Whether `t` is still in the simulated past.
    pub fn is_past(&self, t: NaiveDateTime) -> bool {
        t < self.now
    }
}

/// `t` moved `days` (fractional) later, to the whole second.
pub fn after_days(t: NaiveDateTime, days: f64) -> NaiveDateTime {
    t + TimeDelta::seconds((days * SECONDS_PER_DAY) as i64)
}

/// `t` moved `hours` (fractional) later, to the whole second.
pub fn after_hours(t: NaiveDateTime, hours: f64) -> NaiveDateTime {
    t + TimeDelta::seconds((hours * 3600.0) as i64)
}

/// A time between 08:00 and 19:00 on the day of `day`, busiest mid-morning and mid-afternoon.
pub fn office_hours(day: NaiveDateTime, rng: &mut impl Rng) -> NaiveDateTime {
    let midnight = day.date().and_hms_opt(0, 0, 0).expect("midnight exists");
    let hour = 8.0 + 11.0 * (rng.random::<f64>() + rng.random::<f64>()) / 2.0;
    midnight + TimeDelta::seconds((hour * 3600.0) as i64)
}

/// Relative activity by month: quiet August and December holidays, busy spring and autumn.
fn season(month: u32) -> f64 {
    const WEIGHTS: [f64; 12] = [
        0.95, 1.0, 1.1, 1.1, 1.05, 1.0, 0.85, 0.7, 1.05, 1.15, 1.15, 0.8,
    ];
    WEIGHTS[month as usize - 1]
}

fn weekday_weight(day: Weekday) -> f64 {
    match day {
        Weekday::Sat | Weekday::Sun => 0.2,
        _ => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn busy_instants_stay_in_the_history_and_in_office_hours() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 6, 1)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        let clock = Clock::new(now);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for _ in 0..1000 {
            let t = clock.busy_instant(&mut rng);
            assert!(t >= clock.start && t < clock.now + TimeDelta::days(1));
            assert!((8..19).contains(&t.hour()));
        }
    }
}
