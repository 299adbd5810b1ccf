//! Reporting time: ranges, grains and periods in the reporting time zone.
//!
//! Periods are computed here, in Rust with the IANA database of `chrono-tz`, and handed to
//! SQL as UTC instants. The database never converts time zones, so bucketing is correct
//! across daylight-saving changes, works offline, and is the same on every SQL dialect.

use crate::error::MetricError;
use crate::limits::Limits;
use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// How to split a range in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Grain {
    Day,
    /// ISO weeks, starting on Monday.
    Week,
    Month,
    /// Quarters of the fiscal year.
    Quarter,
    /// Fiscal years.
    Year,
}

impl Grain {
    pub fn as_str(self) -> &'static str {
        match self {
            Grain::Day => "day",
            Grain::Week => "week",
            Grain::Month => "month",
            Grain::Quarter => "quarter",
            Grain::Year => "year",
        }
    }
}

impl FromStr for Grain {
    type Err = MetricError;
    fn from_str(s: &str) -> Result<Grain, MetricError> {
        Ok(match s {
            "day" => Grain::Day,
            "week" => Grain::Week,
            "month" => Grain::Month,
            "quarter" => Grain::Quarter,
            "year" => Grain::Year,
            other => {
                return Err(MetricError::Invalid(format!(
                    "unknown grain '{other}': use day, week, month, quarter or year"
                )));
            }
        })
    }
}

impl fmt::Display for Grain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The reporting time zone, the month the fiscal year starts in, and how far a question
/// may reach in that time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calendar {
    pub tz: Tz,
    /// 1 = January.
    pub fiscal_year_start: u32,
    pub limits: Limits,
}

impl Default for Calendar {
    fn default() -> Calendar {
        Calendar {
            tz: Tz::UTC,
            fiscal_year_start: 1,
            limits: Limits::default(),
        }
    }
}

impl Calendar {
    pub fn new(tz: Tz, fiscal_year_start: u32) -> Result<Calendar, MetricError> {
        if !(1..=12).contains(&fiscal_year_start) {
            return Err(MetricError::Invalid(format!(
                "the fiscal year must start in a month from 1 to 12, not {fiscal_year_start}"
            )));
        }
        Ok(Calendar {
            tz,
            fiscal_year_start,
            limits: Limits::default(),
        })
    }

    /// The same calendar with other caps on a question.
    pub fn with_limits(self, limits: Limits) -> Calendar {
        Calendar { limits, ..self }
    }

    /// The UTC instant of a local wall-clock time. In a daylight-saving gap the wall clock
    /// skips ahead, so the first instant after the gap is used; in an overlap, the first.
    pub fn to_utc(&self, local: NaiveDateTime) -> NaiveDateTime {
        let mut probe = local;
        for _ in 0..4 {
            if let Some(t) = self.tz.from_local_datetime(&probe).earliest() {
                return t.naive_utc();
            }
            probe += Duration::minutes(30);
        }
        // No zone has a gap longer than two hours; fall back to reading it as UTC.
        local
    }

    /// The local wall-clock time of a UTC instant.
    pub fn to_local(&self, utc: NaiveDateTime) -> NaiveDateTime {
        self.tz.from_utc_datetime(&utc).naive_local()
    }

    /// The local start of the period of `grain` containing the local day `day`.
    fn bucket_start(&self, grain: Grain, day: NaiveDate) -> NaiveDate {
        match grain {
            Grain::Day => day,
            Grain::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
            Grain::Month => day.with_day(1).expect("day 1 exists"),
            Grain::Quarter | Grain::Year => {
                let span = if grain == Grain::Quarter { 3 } else { 12 };
                let month = day.month0() as i32;
                let start = self.fiscal_year_start as i32 - 1;
                // Months since the fiscal anchor, rounded down to a whole span.
                let offset = (month - start).rem_euclid(span);
                let first = day.with_day(1).expect("day 1 exists");
                first - Months::new(offset as u32)
            }
        }
    }

    fn next_bucket(grain: Grain, start: NaiveDate) -> NaiveDate {
        match grain {
            Grain::Day => start + Duration::days(1),
            Grain::Week => start + Duration::days(7),
            Grain::Month => start + Months::new(1),
            Grain::Quarter => start + Months::new(3),
            Grain::Year => start + Months::new(12),
        }
    }
}

/// A named reporting period, as people pick it: `this_month`, `last_quarter`,
/// `year_to_date`… Quarters and years are fiscal (the calendar's `fiscal_year_start`);
/// weeks start on Monday. "This" periods are whole (this month runs to its last day), "to
/// date" and "last N days" end with today, and "last 12 months" is the twelve complete
/// months before this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    ThisWeek,
    LastWeek,
    ThisMonth,
    LastMonth,
    ThisQuarter,
    LastQuarter,
    ThisYear,
    LastYear,
    YearToDate,
    Last30Days,
    Last90Days,
    Last12Months,
}

impl Preset {
    pub const ALL: [Preset; 12] = [
        Preset::ThisWeek,
        Preset::LastWeek,
        Preset::ThisMonth,
        Preset::LastMonth,
        Preset::ThisQuarter,
        Preset::LastQuarter,
        Preset::ThisYear,
        Preset::LastYear,
        Preset::YearToDate,
        Preset::Last30Days,
        Preset::Last90Days,
        Preset::Last12Months,
    ];

    /// The name people type (`--period last_quarter`, `period=last_quarter`).
    pub fn name(self) -> &'static str {
        match self {
            Preset::ThisWeek => "this_week",
            Preset::LastWeek => "last_week",
            Preset::ThisMonth => "this_month",
            Preset::LastMonth => "last_month",
            Preset::ThisQuarter => "this_quarter",
            Preset::LastQuarter => "last_quarter",
            Preset::ThisYear => "this_year",
            Preset::LastYear => "last_year",
            Preset::YearToDate => "year_to_date",
            Preset::Last30Days => "last_30_days",
            Preset::Last90Days => "last_90_days",
            Preset::Last12Months => "last_12_months",
        }
    }

    /// The local days `[from, to)` the period covers when today is `today`.
    pub fn range(self, calendar: &Calendar, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        let this = |grain: Grain| {
            let start = calendar.bucket_start(grain, today);
            (start, Calendar::next_bucket(grain, start))
        };
        let last = |grain: Grain| {
            let (start, _) = this(grain);
            let before = calendar.bucket_start(grain, start - Duration::days(1));
            (before, start)
        };
        let tomorrow = today + Duration::days(1);
        match self {
            Preset::ThisWeek => this(Grain::Week),
            Preset::LastWeek => last(Grain::Week),
            Preset::ThisMonth => this(Grain::Month),
            Preset::LastMonth => last(Grain::Month),
            Preset::ThisQuarter => this(Grain::Quarter),
            Preset::LastQuarter => last(Grain::Quarter),
            Preset::ThisYear => this(Grain::Year),
            Preset::LastYear => last(Grain::Year),
            Preset::YearToDate => (this(Grain::Year).0, tomorrow),
            Preset::Last30Days => (tomorrow - Duration::days(30), tomorrow),
            Preset::Last90Days => (tomorrow - Duration::days(90), tomorrow),
            Preset::Last12Months => {
                let month = this(Grain::Month).0;
                (month - Months::new(12), month)
            }
        }
    }
}

impl FromStr for Preset {
    type Err = MetricError;

    /// A preset's name, with spaces or hyphens for underscores and in any case
    /// (`"last quarter"`, `Year-To-Date`).
    fn from_str(text: &str) -> Result<Preset, MetricError> {
        let name = text.trim().to_lowercase().replace([' ', '-'], "_");
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Preset::ALL.iter().map(|p| p.name()).collect();
                MetricError::Invalid(format!(
                    "period '{text}': use one of {}, or --from and --to",
                    names.join(", ")
                ))
            })
    }
}

/// A bound of a reporting range: a local calendar day (its midnight) or an exact instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Bound {
    Day(NaiveDate),
    /// A UTC instant.
    Instant(NaiveDateTime),
}

/// The first and last years a date or instant may fall in: wider than any business's
/// records and plans, narrow enough that time arithmetic never overflows.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2199;

impl Bound {
    /// `YYYY-MM-DD` (local midnight) or an RFC 3339 instant, within [`YEARS`].
    pub fn parse(text: &str) -> Result<Bound, MetricError> {
        let bound = if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Bound::Day(day)
        } else {
            chrono::DateTime::parse_from_rfc3339(text)
                .map(|t| Bound::Instant(t.naive_utc()))
                .map_err(|_| match text.parse::<Preset>() {
                    Ok(preset) => MetricError::Invalid(format!(
                        "'{text}' is a named period, not a date: use --period {} (period={} in the API) instead of --from and --to",
                        preset.name(),
                        preset.name()
                    )),
                    Err(_) => MetricError::Invalid(format!(
                        "'{text}' is neither a date (2026-06-30) nor an RFC 3339 instant (2026-06-30T17:00:00Z)"
                    )),
                })?
        };
        let year = match bound {
            Bound::Day(day) => day.year(),
            Bound::Instant(t) => t.year(),
        };
        if !YEARS.contains(&year) {
            return Err(MetricError::Invalid(format!(
                "'{text}' is outside the years {} to {} that dates may fall in",
                YEARS.start(),
                YEARS.end()
            )));
        }
        Ok(bound)
    }

    /// The bound as a local wall-clock time.
    pub fn local(self, calendar: &Calendar) -> NaiveDateTime {
        match self {
            Bound::Day(day) => day.and_hms_opt(0, 0, 0).expect("midnight exists"),
            Bound::Instant(utc) => calendar.to_local(utc),
        }
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bound::Day(day) => write!(f, "{day}"),
            Bound::Instant(t) => write!(f, "{}", t.and_utc().to_rfc3339()),
        }
    }
}

/// One row of the time spine: a half-open span of UTC time.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    /// Position in the spine, from 0.
    pub index: usize,
    /// The local start day of the grain bucket, or `None` without a grain.
    pub label: Option<NaiveDate>,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    /// Local calendar days covered (fractional at a partial day), for per-day rates.
    pub days: f64,
}

/// The periods of `[from, to)` (local wall-clock times) at `grain`, clipped to the range;
/// one period for the whole range without a grain.
pub fn periods(
    calendar: &Calendar,
    from: NaiveDateTime,
    to: NaiveDateTime,
    grain: Option<Grain>,
) -> Result<Vec<Period>, MetricError> {
    if from >= to {
        return Err(MetricError::Invalid(format!(
            "the range must end after it starts: --from {from} is not before --to {to}"
        )));
    }
    calendar.limits.check_range(from, to, false)?;
    let make = |index, label, start: NaiveDateTime, end: NaiveDateTime| Period {
        index,
        label,
        start: calendar.to_utc(start),
        end: calendar.to_utc(end),
        days: (end - start).num_seconds() as f64 / 86_400.0,
    };
    let Some(grain) = grain else {
        return Ok(vec![make(0, None, from, to)]);
    };
    let mut spine = Vec::new();
    let mut bucket = calendar.bucket_start(grain, from.date());
    while bucket.and_hms_opt(0, 0, 0).expect("midnight") < to {
        let next = Calendar::next_bucket(grain, bucket);
        let start = from.max(bucket.and_hms_opt(0, 0, 0).expect("midnight"));
        let end = to.min(next.and_hms_opt(0, 0, 0).expect("midnight"));
        spine.push(make(spine.len(), Some(bucket), start, end));
        bucket = next;
        calendar.limits.check_periods(spine.len())?;
    }
    Ok(spine)
}

/// Notes for the periods of `[from, to)` at `grain` that the range cuts short: a quarter
/// asked from its third month, the first and last weeks of the last 30 days, the month so
/// far. Each is labelled by its whole period's start, so without a word it reads as a
/// whole period that fell short.
pub fn partial_periods(
    calendar: &Calendar,
    from: NaiveDateTime,
    to: NaiveDateTime,
    grain: Option<Grain>,
    lang: &str,
) -> Vec<String> {
    let Some(grain) = grain else {
        return Vec::new();
    };
    let midnight = |day: NaiveDate| day.and_hms_opt(0, 0, 0).expect("midnight exists");
    let first = calendar.bucket_start(grain, from.date());
    let last = calendar.bucket_start(grain, (to - Duration::seconds(1)).date());
    let first_cut = from != midnight(first);
    let last_cut = to != midnight(Calendar::next_bucket(grain, last));
    let cut = |which: Which, label: NaiveDate, start: NaiveDateTime, end: NaiveDateTime| {
        partial_note(which, grain, label, start, end, lang)
    };
    if first == last {
        return if first_cut || last_cut {
            vec![cut(Which::Only, first, from, to)]
        } else {
            Vec::new()
        };
    }
    let mut notes = Vec::new();
    if first_cut {
        let end = midnight(Calendar::next_bucket(grain, first));
        notes.push(cut(Which::First, first, from, end));
    }
    if last_cut {
        notes.push(cut(Which::Last, last, midnight(last), to));
    }
    notes
}

/// Which period of a spine a note speaks of.
#[derive(Clone, Copy)]
enum Which {
    First,
    Last,
    Only,
}

/// "The first period (2025-10-01) counts only 2025-12-01 to 2025-12-31, not the whole
/// quarter", for the local span `[start, end)` of the period labelled `label`.
fn partial_note(
    which: Which,
    grain: Grain,
    label: NaiveDate,
    start: NaiveDateTime,
    end: NaiveDateTime,
    lang: &str,
) -> String {
    let at_midnight = |t: NaiveDateTime| t.time() == chrono::NaiveTime::MIN;
    let first = if at_midnight(start) {
        start.date().to_string()
    } else {
        start.format("%Y-%m-%d %H:%M").to_string()
    };
    // The last day counted, where the range ends at a midnight; else the instant it ends.
    let last = if at_midnight(end) {
        (end.date() - Duration::days(1)).to_string()
    } else {
        end.format("%Y-%m-%d %H:%M").to_string()
    };
    if lang == "es" {
        let which = match which {
            Which::First => "El primer",
            Which::Last => "El último",
            Which::Only => "El único",
        };
        let whole = match grain {
            Grain::Day => "el día entero",
            Grain::Week => "la semana entera",
            Grain::Month => "el mes entero",
            Grain::Quarter => "el trimestre entero",
            Grain::Year => "el año entero",
        };
        let days = if first == last {
            format!("el {first}")
        } else {
            format!("del {first} al {last}")
        };
        format!("{which} periodo ({label}) cuenta solo {days}, no {whole}")
    } else {
        let which = match which {
            Which::First => "first",
            Which::Last => "last",
            Which::Only => "only",
        };
        let days = if first == last {
            first
        } else {
            format!("{first} to {last}")
        };
        format!("The {which} period ({label}) counts only {days}, not the whole {grain}")
    }
}

/// Which earlier range a comparison looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Compare {
    /// The range of the same length just before.
    PreviousPeriod,
    /// The same range a year earlier.
    PreviousYear,
}

impl Compare {
    pub fn as_str(self) -> &'static str {
        match self {
            Compare::PreviousPeriod => "previous_period",
            Compare::PreviousYear => "previous_year",
        }
    }

    /// The earlier local range. A range of whole months moves back by its number of
    /// months, so Q2 compares with Q1 and not with 91 days before; any other range moves
    /// back by its length.
    pub fn shift(self, from: NaiveDateTime, to: NaiveDateTime) -> (NaiveDateTime, NaiveDateTime) {
        match self {
            Compare::PreviousYear => (from - Months::new(12), to - Months::new(12)),
            Compare::PreviousPeriod => match whole_months(from, to) {
                Some(months) => (from - Months::new(months), from),
                None => (from - (to - from), from),
            },
        }
    }
}

impl FromStr for Compare {
    type Err = MetricError;
    fn from_str(s: &str) -> Result<Compare, MetricError> {
        match s {
            "previous_period" => Ok(Compare::PreviousPeriod),
            "previous_year" => Ok(Compare::PreviousYear),
            other => Err(MetricError::Invalid(format!(
                "unknown comparison '{other}': use previous_period or previous_year"
            ))),
        }
    }
}

/// The number of months between two local midnights on the first of a month.
fn whole_months(from: NaiveDateTime, to: NaiveDateTime) -> Option<u32> {
    let at_month_start = |t: NaiveDateTime| t.day() == 1 && t.time() == chrono::NaiveTime::MIN;
    if !(at_month_start(from) && at_month_start(to)) {
        return None;
    }
    let months = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    u32::try_from(months).ok().filter(|&m| m > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn midnight(y: i32, m: u32, d: u32) -> NaiveDateTime {
        day(y, m, d).and_hms_opt(0, 0, 0).unwrap()
    }

    #[test]
    fn months_are_clipped_to_the_range() {
        let spine = periods(
            &Calendar::default(),
            midnight(2026, 1, 15),
            midnight(2026, 3, 10),
            Some(Grain::Month),
        )
        .unwrap();
        let labels: Vec<_> = spine.iter().map(|p| p.label.unwrap().to_string()).collect();
        assert_eq!(labels, ["2026-01-01", "2026-02-01", "2026-03-01"]);
        assert_eq!(spine[0].start, midnight(2026, 1, 15));
        assert_eq!(spine[2].end, midnight(2026, 3, 10));
        assert_eq!(spine[1].days, 28.0);
    }

    #[test]
    fn periods_the_range_cuts_short_are_named() {
        let notes = |from, to, grain, lang| {
            partial_periods(&Calendar::default(), from, to, Some(grain), lang)
        };
        // A quarter asked from its third month, up to a month's end: only the first is cut.
        assert_eq!(
            notes(
                midnight(2025, 12, 1),
                midnight(2026, 12, 1),
                Grain::Quarter,
                "en"
            ),
            [
                "The first period (2025-10-01) counts only 2025-12-01 to 2025-12-31, not the whole quarter",
                "The last period (2026-10-01) counts only 2026-10-01 to 2026-11-30, not the whole quarter",
            ]
        );
        // The last 30 days by week (Sunday 8 November to Monday 7 December, inclusive).
        assert_eq!(
            notes(
                midnight(2026, 11, 8),
                midnight(2026, 12, 8),
                Grain::Week,
                "es"
            ),
            [
                "El primer periodo (2026-11-02) cuenta solo el 2026-11-08, no la semana entera",
                "El último periodo (2026-12-07) cuenta solo el 2026-12-07, no la semana entera",
            ]
        );
        // Half a month, in one period; a range ending at an instant.
        let instant = day(2026, 3, 20).and_hms_opt(10, 30, 0).unwrap();
        assert_eq!(
            notes(midnight(2026, 3, 5), instant, Grain::Month, "en"),
            [
                "The only period (2026-03-01) counts only 2026-03-05 to 2026-03-20 10:30, not the whole month"
            ]
        );
        // Whole periods, and no grain: nothing to say.
        assert!(
            notes(
                midnight(2025, 12, 1),
                midnight(2026, 12, 1),
                Grain::Month,
                "en"
            )
            .is_empty()
        );
        assert!(notes(midnight(2026, 1, 1), midnight(2026, 1, 2), Grain::Day, "en").is_empty());
        let none = partial_periods(
            &Calendar::default(),
            midnight(2026, 3, 5),
            midnight(2026, 3, 9),
            None,
            "en",
        );
        assert!(none.is_empty());
        // A fiscal year from April: April to March is whole, January to December is not.
        let april = Calendar::new(Tz::UTC, 4).unwrap();
        let year = |from, to| partial_periods(&april, from, to, Some(Grain::Year), "en");
        assert!(year(midnight(2026, 4, 1), midnight(2027, 4, 1)).is_empty());
        assert_eq!(year(midnight(2026, 1, 1), midnight(2027, 1, 1)).len(), 2);
    }

    #[test]
    fn iso_weeks_start_on_monday() {
        // 2026-01-01 is a Thursday; its ISO week began on Monday 2025-12-29.
        let spine = periods(
            &Calendar::default(),
            midnight(2026, 1, 1),
            midnight(2026, 1, 13),
            Some(Grain::Week),
        )
        .unwrap();
        let labels: Vec<_> = spine.iter().map(|p| p.label.unwrap()).collect();
        assert_eq!(
            labels,
            [day(2025, 12, 29), day(2026, 1, 5), day(2026, 1, 12)]
        );
    }

    #[test]
    fn presets_cover_the_periods_people_name() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let january = Calendar::default();
        // Thursday 3 December 2026.
        let today = day("2026-12-03");
        for (preset, from, to) in [
            ("this_week", "2026-11-30", "2026-12-07"),
            ("last_week", "2026-11-23", "2026-11-30"),
            ("this_month", "2026-12-01", "2027-01-01"),
            ("last_month", "2026-11-01", "2026-12-01"),
            ("this_quarter", "2026-10-01", "2027-01-01"),
            ("last quarter", "2026-07-01", "2026-10-01"),
            ("this_year", "2026-01-01", "2027-01-01"),
            ("last_year", "2025-01-01", "2026-01-01"),
            ("Year-To-Date", "2026-01-01", "2026-12-04"),
            ("last_30_days", "2026-11-04", "2026-12-04"),
            ("last_90_days", "2026-09-05", "2026-12-04"),
            ("last_12_months", "2025-12-01", "2026-12-01"),
        ] {
            let preset: Preset = preset.parse().unwrap();
            assert_eq!(
                preset.range(&january, today),
                (day(from), day(to)),
                "{}",
                preset.name()
            );
        }
        // A fiscal year starting in April, in January.
        let april = Calendar::new(chrono_tz::UTC, 4).unwrap();
        let today = day("2027-01-15");
        for (preset, from, to) in [
            (Preset::ThisQuarter, "2027-01-01", "2027-04-01"),
            (Preset::LastQuarter, "2026-10-01", "2027-01-01"),
            (Preset::ThisYear, "2026-04-01", "2027-04-01"),
            (Preset::LastYear, "2025-04-01", "2026-04-01"),
            (Preset::YearToDate, "2026-04-01", "2027-01-16"),
        ] {
            assert_eq!(
                preset.range(&april, today),
                (day(from), day(to)),
                "{}",
                preset.name()
            );
        }
        let refused = "last fortnight".parse::<Preset>().unwrap_err().to_string();
        assert!(refused.contains("year_to_date"), "{refused}");
    }

    #[test]
    fn fiscal_quarters_follow_the_start_month() {
        let april = Calendar::new(Tz::UTC, 4).unwrap();
        assert_eq!(
            april.bucket_start(Grain::Quarter, day(2026, 3, 31)),
            day(2026, 1, 1)
        );
        assert_eq!(
            april.bucket_start(Grain::Quarter, day(2026, 4, 1)),
            day(2026, 4, 1)
        );
        assert_eq!(
            april.bucket_start(Grain::Year, day(2026, 2, 10)),
            day(2025, 4, 1)
        );
        assert_eq!(
            april.bucket_start(Grain::Year, day(2026, 12, 10)),
            day(2026, 4, 1)
        );
    }

    #[test]
    fn days_follow_daylight_saving_in_the_reporting_zone() {
        // Madrid moved from UTC+1 to UTC+2 on 2026-03-29: that local day has 23 hours.
        let madrid = Calendar::new(chrono_tz::Europe::Madrid, 1).unwrap();
        let spine = periods(
            &madrid,
            midnight(2026, 3, 28),
            midnight(2026, 3, 31),
            Some(Grain::Day),
        )
        .unwrap();
        let hours: Vec<i64> = spine
            .iter()
            .map(|p| (p.end - p.start).num_hours())
            .collect();
        assert_eq!(hours, [24, 23, 24]);
        assert_eq!(
            spine[0].start,
            NaiveDate::from_ymd_opt(2026, 3, 27)
                .unwrap()
                .and_hms_opt(23, 0, 0)
                .unwrap()
        );
        assert_eq!(
            spine[2].start,
            NaiveDate::from_ymd_opt(2026, 3, 29)
                .unwrap()
                .and_hms_opt(22, 0, 0)
                .unwrap()
        );
    }

    #[test]
    fn a_wall_clock_time_in_a_gap_moves_past_it() {
        let madrid = Calendar::new(chrono_tz::Europe::Madrid, 1).unwrap();
        let in_gap = NaiveDate::from_ymd_opt(2026, 3, 29)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        // 03:00 local (UTC+2) is 01:00 UTC.
        assert_eq!(
            madrid.to_utc(in_gap),
            NaiveDate::from_ymd_opt(2026, 3, 29)
                .unwrap()
                .and_hms_opt(1, 0, 0)
                .unwrap()
        );
    }

    #[test]
    fn comparisons_move_whole_months_by_months() {
        let (from, to) = Compare::PreviousPeriod.shift(midnight(2026, 4, 1), midnight(2026, 7, 1));
        assert_eq!((from, to), (midnight(2026, 1, 1), midnight(2026, 4, 1)));
        let (from, to) =
            Compare::PreviousPeriod.shift(midnight(2026, 4, 10), midnight(2026, 4, 20));
        assert_eq!((from, to), (midnight(2026, 3, 31), midnight(2026, 4, 10)));
        let (from, to) = Compare::PreviousYear.shift(midnight(2024, 2, 29), midnight(2024, 3, 1));
        assert_eq!((from, to), (midnight(2023, 2, 28), midnight(2023, 3, 1)));
    }

    #[test]
    fn an_inverted_range_is_refused() {
        let err = periods(
            &Calendar::default(),
            midnight(2026, 2, 1),
            midnight(2026, 1, 1),
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("must end after it starts"));
    }
}
