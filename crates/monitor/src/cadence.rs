//! When a schedule or an alert rule is due, and which period each delivery covers.
//!
//! Everything here is local time in the store's time zone: a daily delivery at 08:00 is due
//! at 08:00 in Madrid whatever the offset that day. A delivery covers the last complete
//! period before it: a daily one the day before, a weekly one the previous ISO week (Monday
//! to Sunday), a monthly one (due on the 1st) the previous month.

use crate::MonitorError;
use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use embudo_store::monitor::StoredCadence;
use serde::Serialize;
use std::fmt;

/// How often.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Every {
    Day,
    Week,
    Month,
}

impl Every {
    pub fn as_str(self) -> &'static str {
        match self {
            Every::Day => "day",
            Every::Week => "week",
            Every::Month => "month",
        }
    }
}

impl std::str::FromStr for Every {
    type Err = MonitorError;

    fn from_str(text: &str) -> Result<Every, MonitorError> {
        match text {
            "day" => Ok(Every::Day),
            "week" => Ok(Every::Week),
            "month" => Ok(Every::Month),
            other => Err(MonitorError::Invalid(format!(
                "--every '{other}': use day, week or month"
            ))),
        }
    }
}

/// When something is due: how often, at what local time, and on which weekday for weekly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cadence {
    pub every: Every,
    pub at: NaiveTime,
    /// The weekday of a weekly delivery (Monday unless said).
    pub weekday: Weekday,
}

/// The days a delivery covers, `from` included and `to` excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The last day covered.
    pub fn last_day(self) -> NaiveDate {
        self.to - Duration::days(1)
    }

    /// The period's identity in the journal: `2026-06-01/2026-07-01`.
    pub fn key(self) -> String {
        self.to_string()
    }

    /// The period just before, as long as this one.
    pub fn previous(self) -> Period {
        let months = |from: NaiveDate, to: NaiveDate| {
            from.day() == 1 && to.day() == 1 && from.checked_add_months(Months::new(1)) == Some(to)
        };
        if months(self.from, self.to) {
            Period {
                from: self.from - Months::new(1),
                to: self.from,
            }
        } else {
            Period {
                from: self.from - (self.to - self.from),
                to: self.from,
            }
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.from, self.to)
    }
}

impl Cadence {
    /// The cadence as the store keeps it.
    pub fn stored(&self) -> StoredCadence {
        StoredCadence {
            every: self.every.as_str().to_owned(),
            at_time: self.at.format("%H:%M").to_string(),
            weekday: Some(self.weekday.to_string()),
        }
    }

    /// The cadence the store kept.
    pub fn from_stored(stored: &StoredCadence) -> Result<Cadence, MonitorError> {
        let mut cadence = Cadence::new(&stored.every, Some(&stored.at_time), None)?;
        if let Some(day) = stored.weekday.as_deref().and_then(|d| d.parse().ok()) {
            cadence.weekday = day;
        }
        Ok(cadence)
    }

    /// A cadence from its flags: `--every`, `--at HH:MM` (08:00 unless said), `--weekday`
    /// (weekly only; Monday unless said).
    pub fn new(
        every: &str,
        at: Option<&str>,
        weekday: Option<&str>,
    ) -> Result<Cadence, MonitorError> {
        let every: Every = every.parse()?;
        let at = match at {
            Some(text) => NaiveTime::parse_from_str(text, "%H:%M").map_err(|_| {
                MonitorError::Invalid(format!("--at '{text}': use a local time such as 08:00"))
            })?,
            None => NaiveTime::from_hms_opt(8, 0, 0).expect("08:00 exists"),
        };
        let weekday = match weekday {
            Some(_) if every != Every::Week => {
                return Err(MonitorError::Invalid(
                    "--weekday is for weekly deliveries (--every week)".into(),
                ));
            }
            Some(text) => text.parse::<Weekday>().map_err(|_| {
                MonitorError::Invalid(format!("--weekday '{text}': use mon, tue, … sun"))
            })?,
            None => Weekday::Mon,
        };
        Ok(Cadence { every, at, weekday })
    }

    /// The latest instant at or before `now` (both local) when this is due.
    pub fn latest_tick(&self, now: NaiveDateTime) -> NaiveDateTime {
        let today = now.date();
        let (day, step_back): (NaiveDate, fn(NaiveDate) -> NaiveDate) = match self.every {
            Every::Day => (today, |d| d - Duration::days(1)),
            Every::Week => {
                let offset = (7 + i64::from(today.weekday().num_days_from_monday())
                    - i64::from(self.weekday.num_days_from_monday()))
                    % 7;
                (today - Duration::days(offset), |d| d - Duration::days(7))
            }
            Every::Month => (today.with_day(1).expect("every month has a 1st"), |d| {
                d - Months::new(1)
            }),
        };
        let tick = day.and_time(self.at);
        if tick <= now {
            tick
        } else {
            step_back(day).and_time(self.at)
        }
    }

    /// The first instant after `now` (both local) when this is due.
    pub fn next_tick(&self, now: NaiveDateTime) -> NaiveDateTime {
        let latest = self.latest_tick(now);
        match self.every {
            Every::Day => latest + Duration::days(1),
            Every::Week => latest + Duration::days(7),
            Every::Month => latest + Months::new(1),
        }
    }

    /// The period a delivery due at `tick` (local) covers.
    pub fn period(&self, tick: NaiveDateTime) -> Period {
        let day = tick.date();
        match self.every {
            Every::Day => Period {
                from: day - Duration::days(1),
                to: day,
            },
            Every::Week => {
                let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
                Period {
                    from: monday - Duration::days(7),
                    to: monday,
                }
            }
            Every::Month => {
                let first = day.with_day(1).expect("every month has a 1st");
                Period {
                    from: first - Months::new(1),
                    to: first,
                }
            }
        }
    }

    /// How people read it: `every week on Monday at 08:00`.
    pub fn describe(&self) -> String {
        match self.every {
            Every::Week => format!(
                "every week on {} at {}",
                self.weekday,
                self.at.format("%H:%M")
            ),
            every => format!("every {} at {}", every.as_str(), self.at.format("%H:%M")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_daily_delivery_covers_the_day_before() {
        let cadence = Cadence::new("day", Some("08:00"), None).unwrap();
        // Before 08:00 the latest tick is yesterday's.
        assert_eq!(
            cadence.latest_tick(local("2026-06-10 07:59")),
            local("2026-06-09 08:00")
        );
        let tick = cadence.latest_tick(local("2026-06-10 08:00"));
        assert_eq!(tick, local("2026-06-10 08:00"));
        assert_eq!(
            cadence.period(tick),
            Period {
                from: day("2026-06-09"),
                to: day("2026-06-10")
            }
        );
    }

    #[test]
    fn a_weekly_delivery_covers_the_previous_iso_week() {
        // 2026-06-10 is a Wednesday; Monday deliveries at 07:30.
        let cadence = Cadence::new("week", Some("07:30"), Some("mon")).unwrap();
        let tick = cadence.latest_tick(local("2026-06-10 12:00"));
        assert_eq!(tick, local("2026-06-08 07:30"));
        assert_eq!(
            cadence.period(tick),
            Period {
                from: day("2026-06-01"),
                to: day("2026-06-08")
            }
        );
        // A Friday delivery also covers the last complete ISO week.
        let friday = Cadence::new("week", None, Some("fri")).unwrap();
        let tick = friday.latest_tick(local("2026-06-10 12:00"));
        assert_eq!(tick, local("2026-06-05 08:00"));
        assert_eq!(
            friday.period(tick),
            Period {
                from: day("2026-05-25"),
                to: day("2026-06-01")
            }
        );
    }

    #[test]
    fn a_monthly_delivery_covers_the_previous_month() {
        let cadence = Cadence::new("month", Some("06:00"), None).unwrap();
        assert_eq!(
            cadence.latest_tick(local("2026-03-01 05:00")),
            local("2026-02-01 06:00")
        );
        let tick = cadence.latest_tick(local("2026-03-15 00:00"));
        let period = cadence.period(tick);
        assert_eq!(
            period,
            Period {
                from: day("2026-02-01"),
                to: day("2026-03-01")
            }
        );
        assert_eq!(
            period.previous(),
            Period {
                from: day("2026-01-01"),
                to: day("2026-02-01")
            }
        );
        assert_eq!(period.last_day(), day("2026-02-28"));
        assert_eq!(
            cadence.next_tick(local("2026-03-15 00:00")),
            local("2026-04-01 06:00")
        );
        assert_eq!(
            cadence.next_tick(local("2026-03-01 05:00")),
            local("2026-03-01 06:00")
        );
    }

    #[test]
    fn flags_that_cannot_work_are_refused_with_what_to_write() {
        for (every, at, weekday, says) in [
            ("fortnight", None, None, "day, week or month"),
            ("day", Some("8am"), None, "08:00"),
            ("day", None, Some("mon"), "weekly"),
            ("week", None, Some("someday"), "mon, tue"),
        ] {
            let error = Cadence::new(every, at, weekday).unwrap_err().to_string();
            assert!(error.contains(says), "{error}");
        }
    }
}
