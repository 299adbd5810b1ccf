//! How much one question may ask of the engine, checked before any SQL runs.
//!
//! A metric's cost grows with its range (point-in-time and per-day measures hold one row per
//! day of it), its periods (one spine row each) and its rows (periods × combinations of
//! dimension values); a custom report runs every metric it names. Each has a cap here, so
//! that no request, from a server's client or a command line, can take the process's memory
//! or its time. A refusal names the limit and how to stay within it.

use crate::error::MetricError;
use chrono::NaiveDateTime;

/// The caps on one question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest range a metric may cover, in days.
    pub max_range_days: i64,
    /// The most periods a range may be split into.
    pub max_periods: usize,
    /// The longest range, in days, of a measure that looks at each local calendar day (the
    /// cases closed on the day they were opened).
    pub max_daily_range_days: i64,
    /// The most rows (periods × combinations of dimension values) one metric may answer.
    pub max_rows: usize,
    /// The most metrics one custom report may name.
    pub max_metrics: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            // A century: any business's whole history, by month.
            max_range_days: 36_525,
            // Ten years by day.
            max_periods: 3_660,
            max_daily_range_days: 3_660,
            max_rows: 200_000,
            max_metrics: 25,
        }
    }
}

impl Limits {
    /// Refuse a range longer than [`Limits::max_range_days`] (or, with `daily`, than
    /// [`Limits::max_daily_range_days`]).
    pub fn check_range(
        &self,
        from: NaiveDateTime,
        to: NaiveDateTime,
        daily: bool,
    ) -> Result<(), MetricError> {
        let days = (to - from).num_days();
        let (most, what) = if daily {
            (
                self.max_daily_range_days,
                "a measure that looks at each day",
            )
        } else {
            (self.max_range_days, "a metric")
        };
        if days > most {
            return Err(MetricError::Invalid(format!(
                "the range covers {days} days; {what} may cover at most {most} days: choose a shorter range"
            )));
        }
        Ok(())
    }

    /// Refuse more than [`Limits::max_periods`] periods.
    pub fn check_periods(&self, periods: usize) -> Result<(), MetricError> {
        if periods > self.max_periods {
            return Err(MetricError::Invalid(format!(
                "that range has more than {} periods: choose a coarser grain or a shorter range",
                self.max_periods
            )));
        }
        Ok(())
    }

    /// Refuse an answer of more than [`Limits::max_rows`] rows.
    pub fn check_rows(&self, rows: usize) -> Result<(), MetricError> {
        if rows > self.max_rows {
            return Err(MetricError::Invalid(format!(
                "the answer would have {rows} rows, more than the {} allowed: split by fewer dimensions, filter, or choose a coarser grain",
                self.max_rows
            )));
        }
        Ok(())
    }

    /// Refuse a custom report of more than [`Limits::max_metrics`] metrics.
    pub fn check_metrics(&self, metrics: usize) -> Result<(), MetricError> {
        if metrics > self.max_metrics {
            return Err(MetricError::Invalid(format!(
                "a report may show at most {} metrics, not {metrics}",
                self.max_metrics
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn day(y: i32, m: u32, d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
    }

    #[test]
    fn each_cap_refuses_one_past_it_and_names_itself() {
        let limits = Limits {
            max_range_days: 10,
            max_periods: 3,
            max_daily_range_days: 2,
            max_rows: 5,
            max_metrics: 1,
        };
        assert!(
            limits
                .check_range(day(2026, 1, 1), day(2026, 1, 11), false)
                .is_ok()
        );
        let err = limits
            .check_range(day(2026, 1, 1), day(2026, 1, 12), false)
            .unwrap_err();
        assert!(err.to_string().contains("at most 10 days"), "{err}");
        assert!(
            limits
                .check_range(day(2026, 1, 1), day(2026, 1, 3), true)
                .is_ok()
        );
        assert!(
            limits
                .check_range(day(2026, 1, 1), day(2026, 1, 4), true)
                .is_err()
        );
        assert!(limits.check_periods(3).is_ok() && limits.check_periods(4).is_err());
        assert!(limits.check_rows(5).is_ok() && limits.check_rows(6).is_err());
        assert!(limits.check_metrics(1).is_ok());
        assert!(
            limits
                .check_metrics(2)
                .unwrap_err()
                .to_string()
                .contains("at most 1 metrics")
        );
    }
}
