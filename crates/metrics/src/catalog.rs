//! The metric catalogue of `docs/spec/metrics.md`, declared as data.
//!
//! A metric is one or more [`Measure`]s (rows of a source, tied to the reporting period by
//! an anchor timestamp or a condition, aggregated) and a [`Combine`] rule that turns the
//! measures' values into the metric's value. The planner compiles measures to SQL; the
//! combination happens in Rust, so a zero denominator gives `None` on every dialect.

use crate::dims::{self, Dim, Source};
use embudo_model::text::counted;
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::LazyLock;

/// Sales, marketing or customer service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    Sales,
    Marketing,
    Service,
}

/// Bill Band's three families of CRM measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    BusinessPerformance,
    UserAdoption,
    CustomerPerception,
}

/// What a value is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Count,
    /// A share in `[0, 1]` (or a multiple, for per-unit ratios).
    Ratio,
    Money,
    Days,
    Hours,
    Minutes,
    PerDay,
    /// A score on the metric's own scale (NPS −100…100, CSAT 1…5).
    Score,
}

/// Whether a rising value is good news.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    HigherIsBetter,
    LowerIsBetter,
}

/// How the rows of a measure relate to a reporting period `p` (`p.p_start`, `p.p_end`).
#[derive(Debug, Clone, Copy)]
pub enum Timing {
    /// The row's anchor timestamp lies in `[p.p_start, p.p_end)`.
    Anchor(&'static str),
    /// A span `[start, end)` (`end` null: still going) that covers one instant of the
    /// period, `at`: what was true then, e.g. a deal's stage at the period's end.
    Covering {
        start: &'static str,
        end: &'static str,
        at: Edge,
    },
    /// Every one of these timestamps is before the period's end: what had happened by then
    /// (a customer's revenue so far, the users created by then).
    Before(&'static [&'static str]),
    /// Any other condition on the period, written two ways that mean the same: `joined`
    /// for rows joined with any number of periods, and `alone` for a range of one period,
    /// whose `p.p_start` and `p.p_end` the planner writes as that period's bounds, so the
    /// scans inside the condition can skip what falls outside them.
    Condition {
        joined: &'static str,
        alone: &'static str,
        /// Where the periods follow each other, the same met faster from the other side:
        /// the periods each row counts in, found first ([`Paired`]).
        paired: Option<Paired>,
    },
    /// Closed in the period on the same local calendar day it was opened; the planner
    /// compares both instants with the local midnights.
    SameLocalDay {
        opened: &'static str,
        closed: &'static str,
    },
}

/// A [`Timing::Condition`] met from the periods each row counts in rather than from every
/// row with every period: `pairs` lists them, as (the row's `key`, the period's index)
/// without repeats, and the rows are joined to those pairs, each then held to `condition`.
/// Customers active in a month by their revenue lines and subscriptions, a year by month
/// on `large`: 0.13–0.15 s with every customer joined with every month and looked up among
/// the active pairs, 0.10 s so (the reference query, written so, 0.09 s).
#[derive(Debug, Clone, Copy)]
pub struct Paired {
    /// `SELECT key, period …` over the periods `p`: `{period of EXPR}` is the index of the
    /// period the instant `EXPR` falls in and `{range of EXPR}` the instant within the whole
    /// range, written by the planner as it buckets an anchor (month arithmetic, where a
    /// join with the periods would compare every row with each).
    pub pairs: &'static str,
    /// The source's column the pairs' first column is (`c.id`).
    pub key: &'static str,
    /// What else the row meets in the period (`c.customer_at < p.p_start`).
    pub condition: &'static str,
}

/// The instant of a period a [`Timing::Covering`] span is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// `p.p_start`, as the period began: the subscribers a list grows from.
    Start,
    /// `p.p_end`, as it ended: the deals then open.
    End,
}

/// How a measure aggregates its rows.
#[derive(Debug, Clone, Copy)]
pub enum Agg {
    Count,
    Sum(&'static str),
    Avg(&'static str),
    Median(&'static str),
    /// How many distinct values the expression takes (each customer once, however many
    /// of their lines count).
    Distinct(&'static str),
    /// An aggregate expression that counts, so an empty period is 0.
    CountExpr(&'static str),
    /// Any other aggregate expression, null over no rows (as an average is): an empty
    /// period is `None`.
    Expr(&'static str),
}

impl Agg {
    /// The SQL expression the aggregate reads (empty for a plain count).
    pub fn expr(self) -> &'static str {
        match self {
            Agg::Count => "",
            Agg::Sum(e)
            | Agg::Avg(e)
            | Agg::Median(e)
            | Agg::Distinct(e)
            | Agg::CountExpr(e)
            | Agg::Expr(e) => e,
        }
    }

    /// The value of a period with no rows.
    pub fn empty(self) -> Option<f64> {
        match self {
            Agg::Count | Agg::Sum(_) | Agg::Distinct(_) | Agg::CountExpr(_) => Some(0.0),
            Agg::Avg(_) | Agg::Median(_) | Agg::Expr(_) => None,
        }
    }
}

impl Measure {
    /// Every piece of SQL the measure is written with, for finding the columns it reads.
    pub fn sql(&self) -> impl Iterator<Item = &'static str> + Clone {
        let timing: Vec<&'static str> = match self.timing {
            Timing::Anchor(anchor) => vec![anchor],
            Timing::Condition {
                joined,
                alone,
                paired,
            } => [joined, alone]
                .into_iter()
                .chain(paired.iter().flat_map(|p| [p.pairs, p.key, p.condition]))
                .collect(),
            Timing::Covering { start, end, .. } => vec![start, end],
            Timing::Before(times) => times.to_vec(),
            Timing::SameLocalDay { opened, closed } => vec![opened, closed],
        };
        timing
            .into_iter()
            .chain([
                self.source.from,
                self.source.live,
                self.filter,
                self.agg.expr(),
            ])
            .chain(self.source.columns.iter().map(|c| c.sql))
            .chain(self.joins.iter().copied())
    }
}

/// Rows of a source in a period, aggregated.
#[derive(Debug, Clone, Copy)]
pub struct Measure {
    pub source: &'static Source,
    pub timing: Timing,
    /// Which rows count (SQL over the source's aliases); empty for all.
    pub filter: &'static str,
    pub agg: Agg,
    /// Joins the aggregate itself needs, beyond those of the dimensions.
    pub joins: &'static [&'static str],
}

/// How measures become the metric's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// The one measure.
    One,
    /// m0 / m1.
    Quotient,
    /// m0 per local calendar day of the period.
    PerDay,
    /// (m0 − m1) / m2.
    Growth,
    /// (m0 + m1) / (m2 + m3): an average over two kinds of rows.
    Pooled,
    /// (m0 − m1) / m1: return on a cost.
    Roi,
}

impl Combine {
    pub fn apply(self, m: &[Option<f64>], days: f64) -> Option<f64> {
        let ratio = |n: Option<f64>, d: Option<f64>| match (n, d) {
            (Some(n), Some(d)) if d != 0.0 => Some(n / d),
            _ => None,
        };
        let add = |a: Option<f64>, b: Option<f64>| Some(a? + b?);
        let sub = |a: Option<f64>, b: Option<f64>| Some(a? - b?);
        match self {
            Combine::One => m[0],
            Combine::Quotient => ratio(m[0], m[1]),
            Combine::PerDay => ratio(m[0], Some(days)),
            Combine::Growth => ratio(sub(m[0], m[1]), m[2]),
            Combine::Pooled => ratio(add(m[0], m[1]), add(m[2], m[3])),
            Combine::Roi => ratio(sub(m[0], m[1]), m[1]),
        }
    }
}

/// A note a metric attaches to its result when a side measure over the whole range is
/// positive, e.g. revenue lines without a cost.
#[derive(Debug, Clone, Copy)]
pub struct Note {
    pub measure: Measure,
    /// In English and Spanish: `{0}` is the side measure's value, and each `{one|other}`
    /// the words for a value of one and for any other.
    pub en: &'static str,
    pub es: &'static str,
}

impl Note {
    /// The note for a side measure of `n`, in `lang` (`es`, else English).
    pub fn sentence(&self, n: u64, lang: &str) -> String {
        let template = if lang == "es" { self.es } else { self.en };
        counted(template, n, lang)
    }
}

/// One metric of the catalogue.
#[derive(Debug, Clone)]
pub struct Metric {
    pub name: String,
    /// Position in the seed list (1–35), if it is one of the seed metrics.
    pub seed: Option<u8>,
    pub label_en: String,
    pub label_es: String,
    pub description: &'static str,
    pub group: Group,
    pub family: Family,
    pub unit: Unit,
    pub direction: Direction,
    pub measures: Vec<Measure>,
    pub combine: Combine,
    /// Dimensions applied when the query names none (the metric is defined per them).
    pub default_by: Vec<Dim>,
    pub note: Option<Note>,
}

impl Metric {
    /// The label in `lang` (`es` for Spanish, anything else English).
    pub fn label(&self, lang: &str) -> &str {
        if lang == "es" {
            &self.label_es
        } else {
            &self.label_en
        }
    }

    /// The dimensions every measure can be split by, in the catalogue's order.
    pub fn dimensions(&self) -> Vec<Dim> {
        let mut common: BTreeSet<Dim> = Dim::ALL.into_iter().collect();
        for measure in &self.measures {
            let here: BTreeSet<Dim> = measure.source.dims.iter().map(|d| d.dim).collect();
            common = common.intersection(&here).copied().collect();
        }
        Dim::ALL
            .into_iter()
            .filter(|d| common.contains(d))
            .collect()
    }
}

/// The whole catalogue: the seed list in its order, their variants, then the rest.
pub fn catalogue() -> &'static [Metric] {
    static CATALOGUE: LazyLock<Vec<Metric>> = LazyLock::new(build);
    &CATALOGUE
}

/// The metric called `name`.
pub fn find(name: &str) -> Option<&'static Metric> {
    catalogue().iter().find(|m| m.name == name)
}

// Shorthands for the declarations below.

const fn count(source: &'static Source, anchor: &'static str, filter: &'static str) -> Measure {
    Measure {
        source,
        timing: Timing::Anchor(anchor),
        filter,
        agg: Agg::Count,
        joins: &[],
    }
}

const fn sum(
    source: &'static Source,
    anchor: &'static str,
    filter: &'static str,
    expr: &'static str,
) -> Measure {
    Measure {
        source,
        timing: Timing::Anchor(anchor),
        filter,
        agg: Agg::Sum(expr),
        joins: &[],
    }
}

const fn avg(
    source: &'static Source,
    anchor: &'static str,
    filter: &'static str,
    expr: &'static str,
) -> Measure {
    Measure {
        source,
        timing: Timing::Anchor(anchor),
        filter,
        agg: Agg::Avg(expr),
        joins: &[],
    }
}

const fn at(source: &'static Source, condition: &'static str, agg: Agg) -> Measure {
    Measure {
        source,
        timing: Timing::Condition {
            joined: condition,
            alone: condition,
            paired: None,
        },
        filter: "",
        agg,
        joins: &[],
    }
}

/// A lifetime average per customer before the period's end: the average of each
/// customer's total of `value` is all their lines' `value` over their number.
const fn lifetime(value: &'static str) -> [Measure; 2] {
    [
        before(
            &dims::CUSTOMER_REVENUE_LINES,
            &["ch.occurred_at", "c.customer_at"],
            "",
            Agg::Sum(value),
        ),
        before(&dims::CONTACTS, &["c.customer_at"], "", Agg::Count),
    ]
}

/// Rows of `source` meeting `filter` whose `times` are all before the period's end.
const fn before(
    source: &'static Source,
    times: &'static [&'static str],
    filter: &'static str,
    agg: Agg,
) -> Measure {
    Measure {
        source,
        timing: Timing::Before(times),
        filter,
        agg,
        joins: &[],
    }
}

/// Customers with a revenue line in the period meeting `condition`.
const fn customers_buying(condition: &'static str) -> Measure {
    Measure {
        source: &dims::CUSTOMER_REVENUE,
        timing: Timing::Anchor("ch.occurred_at"),
        filter: condition,
        agg: CUSTOMERS,
        joins: &[],
    }
}

const fn with_joins(mut measure: Measure, joins: &'static [&'static str]) -> Measure {
    measure.joins = joins;
    measure
}

/// Deals open at the period's end instant `to`: the stage visit covering it
/// (`entered_at ≤ to < exited_at`) is of an open stage.
const fn open_at_end(agg: Agg) -> Measure {
    Measure {
        source: &dims::STAGE_VISITS,
        timing: Timing::Covering {
            start: "h.entered_at",
            end: "h.exited_at",
            at: Edge::End,
        },
        filter: "hs.kind = 'open'",
        agg,
        joins: &[],
    }
}
const LIVE_WON: &str = "d.status = 'won'";
/// `$column` is one of `$values` (quoted literals, comma-separated), spelt the way both
/// engines take it and DuckDB runs fastest: DuckDB 1.4 runs a filter `IN ('won', 'lost')`
/// slower than the same test as `array_position`, which it runs about as fast as no filter
/// at all (on `large`, the statement alone, medians of 40: close rate by month and owner
/// 27.0 ms with `IN`, 19.6 with `array_position`, 19.0 without the filter; records updated
/// per user 26.4 → 19.4 ms).
macro_rules! one_of {
    ($column:literal, $values:literal) => {
        concat!(
            "array_position(ARRAY[",
            $values,
            "], ",
            $column,
            ") IS NOT NULL"
        )
    };
}
macro_rules! closed {
    () => {
        one_of!("d.status", "'won', 'lost'")
    };
}
const CLOSED: &str = closed!();
/// A won deal written as a closed deal that is won: a close rate's two counts then scan the
/// closed deals, each counting under its own rest, where `won OR closed` was the scan (a
/// year by month and owner: 25–27 → 24–25 ms).
const CLOSED_AND_WON: &str = concat!(closed!(), " AND d.status = 'won'");
/// Customers from before the period with revenue in it and before it: whom the
/// cross-sell and upsell ratios are about. (The spec's numerators do not say "returning";
/// read literally, a brand-new customer's first purchase would count as a cross-sell and
/// the ratio could pass 1, so both numerators are restricted to these customers.) Over
/// [`dims::CUSTOMER_REVENUE`] anchored on a revenue line in the period. Revenue before the
/// period is a `customer_at` before it: the store keeps it at the customer's first revenue
/// line, on every write.
macro_rules! returning {
    () => {
        "c.customer_at < p.p_start"
    };
}
const RETURNING: &str = returning!();
/// ...who bought, in the period, a product line they had no revenue in before.
const BOUGHT_NEW_LINE: &str = concat!(returning!(), " AND ch.new_line");
/// ...who bought, in the period, a product pricier than every product of its line they
/// had bought before.
const BOUGHT_UP: &str = concat!(returning!(), " AND ch.pricier");
/// Each customer once, however many of their revenue lines count.
const CUSTOMERS: Agg = Agg::Distinct("c.id");
/// A customer's revenue lines before the period's end, as long as they are a customer by then.
const ACTIVE_USER_AT_END: &str = "own.active AND own.created_at < p.p_end";
/// Null for a deal whose creation date was inferred (its file had none): its cycle is unknown.
const DAYS_TO_CLOSE: &str = "CASE WHEN NOT coalesce(d.created_at_inferred, false)
    THEN (EXTRACT(EPOCH FROM d.closed_at) - EXTRACT(EPOCH FROM d.created_at)) / 86400.0 END";
const HOURS_TO_RESOLVE: &str =
    "(EXTRACT(EPOCH FROM t.resolved_at) - EXTRACT(EPOCH FROM t.opened_at)) / 3600.0";
const CALL_AGENT: &str = "LEFT JOIN users own ON own.id = sc.agent_id";
const TICKET_AGENT: &str = "LEFT JOIN users own ON own.id = t.agent_id";

/// The fields every entry spells out.
struct Entry {
    seed: Option<u8>,
    name: &'static str,
    en: &'static str,
    es: &'static str,
    group: Group,
    family: Family,
    unit: Unit,
    direction: Direction,
    description: &'static str,
    /// Also offer `<name>_median`, with medians in place of averages.
    median: bool,
    default_by: &'static [Dim],
    note: Option<Note>,
}

#[allow(clippy::too_many_arguments)]
const fn entry(
    seed: Option<u8>,
    name: &'static str,
    en: &'static str,
    es: &'static str,
    group: Group,
    family: Family,
    unit: Unit,
    description: &'static str,
) -> Entry {
    Entry {
        seed,
        name,
        en,
        es,
        group,
        family,
        unit,
        direction: Direction::HigherIsBetter,
        description,
        median: false,
        default_by: &[],
        note: None,
    }
}

impl Entry {
    const fn lower_is_better(mut self) -> Entry {
        self.direction = Direction::LowerIsBetter;
        self
    }

    const fn with_median(mut self) -> Entry {
        self.median = true;
        self
    }

    const fn split_by(mut self, dims: &'static [Dim]) -> Entry {
        self.default_by = dims;
        self
    }

    const fn noting(mut self, note: Note) -> Entry {
        self.note = Some(note);
        self
    }
}

/// Add the metric of `e` to `out`, and its median variant if it has one.
fn define(out: &mut Vec<Metric>, e: Entry, measures: Vec<Measure>, combine: Combine) {
    let metric = Metric {
        name: e.name.to_owned(),
        seed: e.seed,
        label_en: e.en.to_owned(),
        label_es: e.es.to_owned(),
        description: e.description,
        group: e.group,
        family: e.family,
        unit: e.unit,
        direction: e.direction,
        measures,
        combine,
        default_by: e.default_by.to_vec(),
        note: e.note,
    };
    if e.median {
        let mut median = metric.clone();
        median.name = format!("{}_median", e.name);
        median.label_en = format!("{} (median)", e.en);
        median.label_es = format!("{} (mediana)", e.es);
        for m in &mut median.measures {
            if let Agg::Avg(expr) = m.agg {
                m.agg = Agg::Median(expr);
            }
        }
        out.push(metric);
        out.push(median);
    } else {
        out.push(metric);
    }
}

fn build() -> Vec<Metric> {
    use Combine::{Growth, One, Pooled, Quotient, Roi};
    use Family::*;
    use Group::*;
    use Unit::*;
    use dims::*;
    let mut out = Vec::new();

    define(
        &mut out,
        entry(
            Some(1),
            "prospects",
            "Number of prospects",
            "Número de prospectos",
            Sales,
            BusinessPerformance,
            Count,
            "Contacts whose lead_at is in range.",
        ),
        vec![count(&CONTACTS, "c.lead_at", "")],
        One,
    );
    define(
        &mut out,
        entry(
            Some(2),
            "new_customers",
            "Number of new customers",
            "Número de nuevos clientes",
            Sales,
            BusinessPerformance,
            Count,
            "Contacts whose customer_at (first revenue) is in range.",
        ),
        vec![count(&CONTACTS, "c.customer_at", "")],
        One,
    );
    define(&mut out, entry(Some(3), "retained_customers", "Number of retained customers", "Número de clientes retenidos", Sales, BusinessPerformance, Count,
        "Customers from before the range with revenue in it or a subscription active at any point of it."),
        vec![Measure {
            source: &CONTACTS,
            timing: Timing::Condition {
                // The contacts active in each period are found once for all periods
                // (revenue lines and subscriptions joined with the periods) rather than
                // looked up per contact and period.
                joined: "c.customer_at < p.p_start AND (c.id, p.p_idx) IN (
                  SELECT r.contact_id, q.p_idx FROM revenue_lines r JOIN p q ON r.occurred_at >= q.p_start AND r.occurred_at < q.p_end
                  UNION ALL
                  SELECT s.contact_id, q.p_idx FROM subscriptions s JOIN p q ON s.started_at < q.p_end AND coalesce(s.cancelled_at, s.ends_at) > q.p_start)",
                // For one period, two lists of contacts, each read within the range: a
                // third of the pairs' time.
                alone: "c.customer_at < p.p_start AND (
                  c.id IN (SELECT r.contact_id FROM revenue_lines r WHERE r.occurred_at >= p.p_start AND r.occurred_at < p.p_end)
                  OR c.id IN (SELECT s.contact_id FROM subscriptions s WHERE s.started_at < p.p_end AND coalesce(s.cancelled_at, s.ends_at) > p.p_start))",
                // The lines bucketed as an anchor is, not joined with the periods (that join
                // alone cost 20–30 ms of a year by month's 0.13 s). `UNION`, not `UNION ALL`:
                // a customer with two lines in a month is one pair.
                paired: Some(Paired {
                    pairs: "SELECT r.contact_id, {period of r.occurred_at} FROM revenue_lines r WHERE {range of r.occurred_at}
                      UNION
                      SELECT s.contact_id, q.p_idx FROM subscriptions s JOIN p q ON s.started_at < q.p_end AND coalesce(s.cancelled_at, s.ends_at) > q.p_start",
                    key: "c.id",
                    condition: "c.customer_at < p.p_start",
                }),
            },
            filter: "",
            agg: Agg::Count,
            joins: &[],
        }], One);
    define(
        &mut out,
        entry(
            Some(4),
            "close_rate",
            "Close rate",
            "Tasa de cierre",
            Sales,
            BusinessPerformance,
            Ratio,
            "Won / (won + lost) over deals closed in range.",
        ),
        vec![
            count(&DEALS, "d.closed_at", CLOSED_AND_WON),
            count(&DEALS, "d.closed_at", CLOSED),
        ],
        Quotient,
    );
    define(
        &mut out,
        entry(
            Some(5),
            "renewal_rate",
            "Renewal rate",
            "Tasa de renovación",
            Sales,
            BusinessPerformance,
            Ratio,
            "Subscription terms ending in range that were renewed / all terms ending in range.",
        ),
        vec![
            count(&SUBSCRIPTIONS, "s.ends_at", "s.renewed_at IS NOT NULL"),
            count(&SUBSCRIPTIONS, "s.ends_at", ""),
        ],
        Quotient,
    );
    define(
        &mut out,
        entry(
            Some(6),
            "sales_calls",
            "Sales calls made",
            "Número de llamadas de ventas realizadas",
            Sales,
            UserAdoption,
            Count,
            "Activities of type call completed in range.",
        ),
        vec![count(&ACTIVITIES, "a.completed_at", "a.type = 'call'")],
        One,
    );
    define(
        &mut out,
        entry(
            None,
            "activities_completed",
            "Activities completed",
            "Actividades completadas",
            Sales,
            UserAdoption,
            Count,
            "Activities of any type completed in range.",
        ),
        vec![count(&ACTIVITIES, "a.completed_at", "")],
        One,
    );
    define(
        &mut out,
        entry(
            Some(7),
            "calls_per_opportunity",
            "Sales calls per opportunity",
            "Llamadas de ventas por oportunidad",
            Sales,
            UserAdoption,
            Ratio,
            "Over deals closed in range: completed calls linked to them (at any time) / number of those deals.",
        ),
        vec![
            count(&DEAL_CALLS, "d.closed_at", ""),
            count(&DEALS, "d.closed_at", ""),
        ],
        Quotient,
    );
    define(
        &mut out,
        entry(
            Some(8),
            "new_revenue",
            "New revenue",
            "Cantidad de nuevos ingresos",
            Sales,
            BusinessPerformance,
            Money,
            "Revenue lines in range that are not renewals (order lines count).",
        ),
        vec![sum(
            &REVENUE,
            "r.occurred_at",
            "r.deal_type IS NULL OR r.deal_type <> 'renewal'",
            "r.amount",
        )],
        One,
    );
    define(
        &mut out,
        entry(
            Some(9),
            "open_opportunities",
            "Open opportunities",
            "Número de oportunidades abiertas",
            Sales,
            BusinessPerformance,
            Count,
            "Deals open at the instant `to`, from the stage history (reopened deals included).",
        ),
        vec![open_at_end(Agg::Count)],
        One,
    );
    define(
        &mut out,
        entry(
            Some(10),
            "stage_duration",
            "Sales stage duration",
            "Duración de la etapa de ventas",
            Sales,
            BusinessPerformance,
            Days,
            "Stage visits that ended in range: average days from entering to leaving the stage.",
        )
        .lower_is_better()
        .with_median(),
        vec![avg(
            &STAGE_VISITS,
            "h.exited_at",
            "",
            "(EXTRACT(EPOCH FROM h.exited_at) - EXTRACT(EPOCH FROM h.entered_at)) / 86400.0",
        )],
        One,
    );
    define(
        &mut out,
        entry(
            Some(11),
            "sales_cycle_length",
            "Sales cycle length",
            "Duración del ciclo de ventas",
            Sales,
            BusinessPerformance,
            Days,
            "Deals won in range: average days from creation to close.",
        )
        .lower_is_better()
        .with_median(),
        vec![avg(&DEALS, "d.closed_at", LIVE_WON, DAYS_TO_CLOSE)],
        One,
    );
    define(
        &mut out,
        entry(
            Some(12),
            "proposals",
            "Proposals given",
            "Número de propuestas dadas",
            Sales,
            UserAdoption,
            Count,
            "Activities of type proposal completed in range.",
        ),
        vec![count(&ACTIVITIES, "a.completed_at", "a.type = 'proposal'")],
        One,
    );
    define(
        &mut out,
        entry(
            Some(13),
            "campaigns",
            "Campaigns",
            "Número de campañas",
            Marketing,
            BusinessPerformance,
            Count,
            "Campaigns launched in range.",
        ),
        vec![count(&CAMPAIGNS, "cm.launched_at", "")],
        One,
    );
    define(
        &mut out,
        entry(
            Some(14),
            "campaign_responses",
            "Campaign responses",
            "Número de respuestas de la campaña",
            Marketing,
            BusinessPerformance,
            Count,
            "Campaign events `responded` in range.",
        ),
        vec![count(
            &CAMPAIGN_EVENTS,
            "ce.occurred_at",
            "ce.event = 'responded'",
        )],
        One,
    );
    define(
        &mut out,
        entry(
            Some(15),
            "campaign_purchases",
            "Campaign purchases",
            "Número de compras de la campaña",
            Marketing,
            BusinessPerformance,
            Count,
            "Distinct won deals plus distinct orders among revenue lines with a campaign in range.",
        ),
        vec![Measure {
            source: &REVENUE,
            timing: Timing::Anchor("r.occurred_at"),
            filter: "r.campaign_id IS NOT NULL",
            agg: Agg::CountExpr("count(DISTINCT r.deal_id) + count(DISTINCT r.order_id)"),
            joins: &[],
        }],
        One,
    );
    define(
        &mut out,
        entry(
            Some(16),
            "campaign_revenue",
            "Revenue generated by campaigns",
            "Ingresos generados por una campaña",
            Marketing,
            BusinessPerformance,
            Money,
            "Revenue lines with a campaign in range.",
        ),
        vec![sum(
            &REVENUE,
            "r.occurred_at",
            "r.campaign_id IS NOT NULL",
            "r.amount",
        )],
        One,
    );
    define(&mut out, entry(Some(17), "new_customers_per_campaign", "New customers per campaign", "Nuevos clientes adquiridos por campaña", Marketing, BusinessPerformance, Count,
        "New customers grouped by the campaign of their first revenue line (no campaign: an empty group).").split_by(&[Dim::Campaign]),
        vec![count(&NEW_CUSTOMERS_BY_CAMPAIGN, "c.customer_at", "")], One);
    define(
        &mut out,
        entry(
            Some(18),
            "customer_referrals",
            "Customer referrals",
            "Número de referencias de clientes",
            Marketing,
            BusinessPerformance,
            Count,
            "Contacts created in range referred by a contact who was a customer when they were created.",
        ),
        // A join, not `EXISTS`: the referrer is one row, and DuckDB runs a correlated
        // `EXISTS` with an inequality as a mark join at twice the time.
        vec![with_joins(
            count(&CONTACTS, "c.created_at", "rf.customer_at <= c.created_at"),
            &["JOIN contacts rf ON rf.id = c.referred_by_contact_id"],
        )],
        One,
    );
    define(
        &mut out,
        entry(
            Some(19),
            "web_visits",
            "Website visits",
            "Número de visitas a la página web",
            Marketing,
            BusinessPerformance,
            Count,
            "Web visits started in range.",
        ),
        vec![count(&WEB_VISITS, "w.started_at", "")],
        One,
    );
    define(
        &mut out,
        entry(
            Some(20),
            "web_goal_completion_rate",
            "Website goal completion rate",
            "Tasa de finalización de objetivos web",
            Marketing,
            BusinessPerformance,
            Ratio,
            "Visits started in range that completed a goal / all visits started in range.",
        ),
        vec![
            count(&WEB_VISITS, "w.started_at", "w.goal_completed"),
            count(&WEB_VISITS, "w.started_at", ""),
        ],
        Quotient,
    );
    define(
        &mut out,
        entry(
            Some(21),
            "avg_visit_duration",
            "Time per website visit",
            "Tiempo por visita al sitio web",
            Marketing,
            BusinessPerformance,
            Minutes,
            "Visits started in range: average minutes.",
        )
        .with_median(),
        vec![avg(
            &WEB_VISITS,
            "w.started_at",
            "",
            "w.duration_seconds / 60.0",
        )],
        One,
    );
    define(
        &mut out,
        entry(
            Some(22),
            "customer_lifetime_value",
            "Customer lifetime value",
            "Valor de por vida del cliente",
            Sales,
            BusinessPerformance,
            Money,
            "Customers before `to`: average of their total revenue before `to` (historical CLV).",
        ),
        lifetime("ch.amount").to_vec(),
        Quotient,
    );
    define(
        &mut out,
        entry(
            None,
            "customer_lifetime_margin",
            "Customer lifetime margin",
            "Margen de por vida del cliente",
            Sales,
            BusinessPerformance,
            Money,
            "As customer_lifetime_value with amount − cost (a missing cost counts as 0).",
        ),
        lifetime("ch.amount - coalesce(ch.cost, 0)").to_vec(),
        Quotient,
    );
    define(
        &mut out,
        entry(
            Some(23),
            "cross_sell_ratio",
            "Cross-sell ratio",
            "Ratio de venta cruzada",
            Sales,
            BusinessPerformance,
            Ratio,
            "Returning customers (revenue in range and before it) who bought a product line new to them / all returning customers.",
        ),
        vec![
            customers_buying(BOUGHT_NEW_LINE),
            customers_buying(RETURNING),
        ],
        Quotient,
    );
    define(
        &mut out,
        entry(
            Some(24),
            "upsell_ratio",
            "Upsell ratio",
            "Relación de ventas adicionales",
            Sales,
            BusinessPerformance,
            Ratio,
            "Returning customers who bought a product pricier than every product of its line they had bought / all returning customers.",
        ),
        vec![customers_buying(BOUGHT_UP), customers_buying(RETURNING)],
        Quotient,
    );
    define(
        &mut out,
        entry(
            Some(25),
            "email_list_growth_rate",
            "Email list growth rate",
            "Tasa de crecimiento de la lista de correo",
            Marketing,
            BusinessPerformance,
            Ratio,
            "(List subscriptions started in range − unsubscriptions in range) / subscriptions active at `from`.",
        ),
        vec![
            count(&LIST_SUBSCRIPTIONS, "ls.subscribed_at", ""),
            count(&LIST_SUBSCRIPTIONS, "ls.unsubscribed_at", ""),
            Measure {
                source: &LIST_SUBSCRIPTIONS,
                timing: Timing::Covering {
                    start: "ls.subscribed_at",
                    end: "ls.unsubscribed_at",
                    at: Edge::Start,
                },
                filter: "",
                agg: Agg::Count,
                joins: &[],
            },
        ],
        Growth,
    );
    define(
        &mut out,
        entry(
            Some(26),
            "cases_handled",
            "Cases handled",
            "Número de casos atendidos",
            Service,
            BusinessPerformance,
            Count,
            "Tickets resolved in range.",
        ),
        vec![count(&TICKETS, "t.resolved_at", "")],
        One,
    );
    let same_day = Measure {
        source: &TICKETS,
        timing: Timing::SameLocalDay {
            opened: "t.opened_at",
            closed: "t.resolved_at",
        },
        filter: "",
        agg: Agg::Count,
        joins: &[],
    };
    define(
        &mut out,
        entry(
            Some(27),
            "cases_closed_same_day",
            "Cases closed the same day",
            "Casos cerrados el mismo día",
            Service,
            CustomerPerception,
            Count,
            "Tickets resolved in range on the calendar day (reporting time zone) they were opened.",
        ),
        vec![same_day],
        One,
    );
    define(
        &mut out,
        entry(
            None,
            "cases_closed_same_day_rate",
            "Share of cases closed the same day",
            "Tasa de casos cerrados el mismo día",
            Service,
            CustomerPerception,
            Ratio,
            "cases_closed_same_day / cases_handled.",
        ),
        vec![same_day, count(&TICKETS, "t.resolved_at", "")],
        Quotient,
    );
    define(
        &mut out,
        entry(
            Some(28),
            "avg_resolution_time",
            "Average resolution time",
            "Tiempo medio de resolución",
            Service,
            CustomerPerception,
            Hours,
            "Tickets resolved in range: average hours from opening to resolution.",
        )
        .lower_is_better()
        .with_median(),
        vec![avg(&TICKETS, "t.resolved_at", "", HOURS_TO_RESOLVE)],
        One,
    );
    define(
        &mut out,
        entry(
            Some(29),
            "service_calls_per_day",
            "Service calls per day",
            "Llamadas de servicio por día",
            Service,
            UserAdoption,
            PerDay,
            "Service calls queued in range / calendar days in range.",
        ),
        vec![count(&CALLS, "sc.queued_at", "")],
        Combine::PerDay,
    );
    define(
        &mut out,
        entry(
            Some(30),
            "complaint_resolution_time",
            "Complaint resolution time",
            "Tiempo de resolución de quejas",
            Service,
            CustomerPerception,
            Hours,
            "Complaint tickets resolved in range: average hours from opening to resolution.",
        )
        .lower_is_better()
        .with_median(),
        vec![avg(
            &TICKETS,
            "t.resolved_at",
            "t.type = 'complaint'",
            HOURS_TO_RESOLVE,
        )],
        One,
    );
    define(
        &mut out,
        entry(
            Some(31),
            "customer_callbacks",
            "Customer callbacks",
            "Devoluciones de llamadas de clientes",
            Service,
            CustomerPerception,
            Count,
            "Call-backs queued in range.",
        ),
        vec![count(&CALLS, "sc.queued_at", "sc.is_callback")],
        One,
    );
    define(&mut out, entry(Some(32), "cost_per_interaction", "Cost per service interaction", "Costo promedio por interacción de servicio", Service, BusinessPerformance, Money,
        "Agent cost (hours × hourly cost) of answered calls and resolved tickets in range / their number.").lower_is_better(),
        vec![
            with_joins(sum(&CALLS, "sc.queued_at", "sc.answered_at IS NOT NULL", "sc.handle_seconds / 3600.0 * own.hourly_cost"), &[CALL_AGENT]),
            with_joins(sum(&TICKETS, "t.resolved_at", "", "t.work_seconds / 3600.0 * own.hourly_cost"), &[TICKET_AGENT]),
            count(&CALLS, "sc.queued_at", "sc.answered_at IS NOT NULL"),
            count(&TICKETS, "t.resolved_at", ""),
        ], Pooled);
    define(
        &mut out,
        entry(
            Some(33),
            "sla_compliance",
            "SLA compliance",
            "Porcentaje de cumplimiento de SLAs",
            Service,
            CustomerPerception,
            Ratio,
            "Tickets due in range resolved by their SLA deadline / all tickets due in range.",
        ),
        vec![
            count(
                &TICKETS,
                "t.sla_due_at",
                "t.resolved_at IS NOT NULL AND t.resolved_at <= t.sla_due_at",
            ),
            count(&TICKETS, "t.sla_due_at", ""),
        ],
        Quotient,
    );
    let abandoned = count(
        &CALLS,
        "sc.queued_at",
        "sc.direction = 'inbound' AND sc.answered_at IS NULL",
    );
    define(
        &mut out,
        entry(
            Some(34),
            "abandoned_calls",
            "Calls abandoned before an answer",
            "Llamadas perdidas antes de ser respondidas",
            Service,
            CustomerPerception,
            Count,
            "Inbound calls queued in range never answered.",
        )
        .lower_is_better(),
        vec![abandoned],
        One,
    );
    define(
        &mut out,
        entry(
            None,
            "abandoned_calls_rate",
            "Abandoned call rate",
            "Tasa de llamadas perdidas",
            Service,
            CustomerPerception,
            Ratio,
            "abandoned_calls / inbound calls queued in range.",
        )
        .lower_is_better(),
        vec![
            abandoned,
            count(&CALLS, "sc.queued_at", "sc.direction = 'inbound'"),
        ],
        Quotient,
    );
    define(
        &mut out,
        entry(
            Some(35),
            "avg_handle_time",
            "Average handle time",
            "Tiempo promedio de manejo de llamadas",
            Service,
            BusinessPerformance,
            Minutes,
            "Answered calls queued in range: average handle minutes.",
        )
        .lower_is_better()
        .with_median(),
        vec![avg(
            &CALLS,
            "sc.queued_at",
            "sc.answered_at IS NOT NULL",
            "sc.handle_seconds / 60.0",
        )],
        One,
    );

    define(
        &mut out,
        entry(
            None,
            "deals_created",
            "Deals created",
            "Oportunidades creadas",
            Sales,
            BusinessPerformance,
            Count,
            "Deals created in range.",
        ),
        vec![count(&DEALS, "d.created_at", "")],
        One,
    );
    define(
        &mut out,
        entry(
            None,
            "deals_won",
            "Deals won",
            "Oportunidades ganadas",
            Sales,
            BusinessPerformance,
            Count,
            "Deals closed in range as won.",
        ),
        vec![count(&DEALS, "d.closed_at", LIVE_WON)],
        One,
    );
    define(
        &mut out,
        entry(
            None,
            "deals_lost",
            "Deals lost",
            "Oportunidades perdidas",
            Sales,
            BusinessPerformance,
            Count,
            "Deals closed in range as lost.",
        )
        .lower_is_better(),
        vec![count(&DEALS, "d.closed_at", "d.status = 'lost'")],
        One,
    );
    define(
        &mut out,
        entry(
            None,
            "revenue",
            "Revenue",
            "Ingresos",
            Sales,
            BusinessPerformance,
            Money,
            "All revenue lines in range.",
        ),
        vec![sum(&REVENUE, "r.occurred_at", "", "r.amount")],
        One,
    );
    define(
        &mut out,
        entry(
            None,
            "lost_revenue",
            "Lost revenue",
            "Ingresos perdidos",
            Sales,
            BusinessPerformance,
            Money,
            "Amount of deals lost in range.",
        )
        .lower_is_better(),
        vec![sum(&DEALS, "d.closed_at", "d.status = 'lost'", "d.amount")],
        One,
    );
    define(
        &mut out,
        entry(
            None,
            "avg_deal_size",
            "Average deal size",
            "Tamaño medio de la oportunidad",
            Sales,
            BusinessPerformance,
            Money,
            "Average amount of deals won in range.",
        )
        .with_median(),
        vec![avg(&DEALS, "d.closed_at", LIVE_WON, "d.amount")],
        One,
    );
    define(
        &mut out,
        entry(
            None,
            "pipeline_value",
            "Pipeline value",
            "Valor del embudo",
            Sales,
            BusinessPerformance,
            Money,
            "Amount of the deals open at `to`.",
        ),
        vec![open_at_end(Agg::Sum("d.amount"))],
        One,
    );
    define(
        &mut out,
        entry(
            None,
            "weighted_pipeline_value",
            "Weighted pipeline value",
            "Valor ponderado del embudo",
            Sales,
            BusinessPerformance,
            Money,
            "Amount × probability of the stage each deal was in at `to`, over deals open at `to`.",
        ),
        vec![open_at_end(Agg::Sum("d.amount * hs.probability"))],
        One,
    );
    define(
        &mut out,
        entry(
            None,
            "lead_conversion_rate",
            "Lead conversion rate",
            "Tasa de conversión de prospectos",
            Sales,
            BusinessPerformance,
            Ratio,
            "Of contacts who became leads in range, the share that became customers by `to`.",
        ),
        vec![
            count(
                &CONTACTS,
                "c.lead_at",
                "c.customer_at IS NOT NULL AND c.customer_at <= p.p_end",
            ),
            count(&CONTACTS, "c.lead_at", ""),
        ],
        Quotient,
    );
    define(
        &mut out,
        entry(
            None,
            "time_to_convert",
            "Time to convert",
            "Tiempo hasta la conversión",
            Sales,
            BusinessPerformance,
            Days,
            "Contacts who became customers in range: average days from lead to customer.",
        )
        .lower_is_better()
        .with_median(),
        vec![avg(
            &CONTACTS,
            "c.customer_at",
            "c.lead_at IS NOT NULL",
            "(EXTRACT(EPOCH FROM c.customer_at) - EXTRACT(EPOCH FROM c.lead_at)) / 86400.0",
        )],
        One,
    );
    define(
        &mut out,
        entry(
            None,
            "margin",
            "Margin",
            "Margen",
            Sales,
            BusinessPerformance,
            Money,
            "Revenue minus cost of revenue lines in range; a line without cost counts cost as 0.",
        )
        .noting(Note {
            measure: count(&REVENUE, "r.occurred_at", "r.cost IS NULL"),
            en: "{0} revenue {line has|lines have} no cost and {counts its|count their} cost as 0 (cost_missing)",
            es: "{0} {línea de ingresos no tiene|líneas de ingresos no tienen} coste y {cuenta|cuentan} su coste como 0 (cost_missing)",
        }),
        vec![sum(
            &REVENUE,
            "r.occurred_at",
            "",
            "r.amount - coalesce(r.cost, 0)",
        )],
        One,
    );
    let active_users = at(&USERS, ACTIVE_USER_AT_END, Agg::Count);
    define(
        &mut out,
        entry(
            None,
            "active_users_rate",
            "Active users",
            "Tasa de usuarios activos",
            Sales,
            UserAdoption,
            Ratio,
            "Users who logged in during the range / users active at `to`.",
        ),
        vec![
            Measure {
                source: &USER_EVENTS,
                timing: Timing::Anchor("ue.occurred_at"),
                filter: "ue.event = 'login'",
                agg: Agg::Distinct("ue.user_id"),
                joins: &[],
            },
            active_users,
        ],
        Quotient,
    );
    define(
        &mut out,
        entry(
            None,
            "records_updated_per_user",
            "Records updated per user",
            "Registros actualizados por usuario",
            Sales,
            UserAdoption,
            Ratio,
            "Records created or updated in range / users active at `to`.",
        ),
        vec![
            count(
                &USER_EVENTS,
                "ue.occurred_at",
                one_of!("ue.event", "'record_created', 'record_updated'"),
            ),
            active_users,
        ],
        Quotient,
    );
    define(
        &mut out,
        entry(
            None,
            "activities_logged_per_rep",
            "Activities logged per rep",
            "Actividades registradas por vendedor",
            Sales,
            UserAdoption,
            Ratio,
            "Activities completed in range / reps active at `to`.",
        ),
        vec![
            count(&ACTIVITIES, "a.completed_at", ""),
            at(
                &USERS,
                "own.active AND own.created_at < p.p_end AND own.role = 'rep'",
                Agg::Count,
            ),
        ],
        Quotient,
    );
    define(
        &mut out,
        entry(
            None,
            "nps",
            "Net Promoter Score",
            "Índice de promotores netos (NPS)",
            Service,
            CustomerPerception,
            Score,
            "NPS surveys answered in range: 100 × (share scoring 9–10 − share scoring 0–6).",
        ),
        vec![Measure {
            source: &SURVEYS,
            timing: Timing::Anchor("sv.responded_at"),
            filter: "sv.kind = 'nps'",
            agg: Agg::Expr(
                "100.0 * (avg(CASE WHEN sv.score >= 9 THEN 1.0 ELSE 0.0 END) - avg(CASE WHEN sv.score <= 6 THEN 1.0 ELSE 0.0 END))",
            ),
            joins: &[],
        }],
        One,
    );
    define(
        &mut out,
        entry(
            None,
            "csat",
            "Customer satisfaction (CSAT)",
            "Satisfacción del cliente (CSAT)",
            Service,
            CustomerPerception,
            Score,
            "Average of CSAT survey scores answered in range and ticket CSAT of tickets resolved in range.",
        ),
        vec![
            sum(&SURVEYS, "sv.responded_at", "sv.kind = 'csat'", "sv.score"),
            sum(&TICKETS, "t.resolved_at", "t.csat IS NOT NULL", "t.csat"),
            count(&SURVEYS, "sv.responded_at", "sv.kind = 'csat'"),
            count(&TICKETS, "t.resolved_at", "t.csat IS NOT NULL"),
        ],
        Pooled,
    );
    define(
        &mut out,
        entry(
            None,
            "campaign_roi",
            "Campaign ROI",
            "Retorno de la inversión de la campaña",
            Marketing,
            BusinessPerformance,
            Ratio,
            "(Campaign revenue in range − cost of campaigns launched in range) / that cost.",
        ),
        vec![
            sum(
                &REVENUE,
                "r.occurred_at",
                "r.campaign_id IS NOT NULL",
                "r.amount",
            ),
            sum(&CAMPAIGNS, "cm.launched_at", "", "cm.cost"),
        ],
        Roi,
    );
    out
}
