//! One pass over everything due at an instant: each schedule's latest delivery, rendered for
//! each recipient in their scope and language; each rule judged over its latest period.
//!
//! A pass is idempotent: what was delivered for a period (journaled in `deliveries`) is not
//! sent again, and a rule judges a period once. A pass after a pause — the server was down,
//! cron skipped — sends the latest due delivery once, not one per missed tick.

use crate::MonitorError;
use crate::alert::{self, Judgement, Rule, Subject};
use crate::cadence::{Every, Period};
use crate::deliver::{self, Attempt, Email, Settings};
use crate::notify;
use crate::schedule::{self, Attach, Schedule};
use chrono::NaiveDateTime;
use embudo_access::Caller;
use embudo_access::scope::Over;
use embudo_access::session::caller_by_email;
use embudo_metrics::{Bound, Calendar, Grain};
use embudo_model::text::agreeing;
use embudo_reports::model::{Kind, display, display_in};
use embudo_reports::{Context, Params, Report, html, scope};
use embudo_store::Store;
use serde::Serialize;
use serde_json::{Value, json};
use std::fmt::Write as _;

/// What a pass works with.
#[derive(Clone, Copy)]
pub struct Watch<'a> {
    pub store: &'a Store,
    pub calendar: &'a Calendar,
    pub settings: &'a Settings,
    /// The language of recipients who chose none, and of webhooks.
    pub lang: &'a str,
    /// How to wait between retries (the tests do not wait).
    pub sleep: &'a dyn Fn(std::time::Duration),
}

impl std::fmt::Debug for Watch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("lang", &self.lang)
            .finish_non_exhaustive()
    }
}

/// What a pass did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Pass {
    /// Messages delivered and messages given up on after the last retry.
    pub sent: usize,
    pub failed: usize,
    /// Rules that fired, and rules whose condition cleared.
    pub fired: Vec<String>,
    pub cleared: Vec<String>,
    /// Rules that could not be judged, with why.
    pub errors: Vec<String>,
}

/// Deliver every schedule and judge every rule due at `now` (UTC).
pub fn run_due(watch: &Watch<'_>, now: NaiveDateTime) -> Result<Pass, MonitorError> {
    let mut pass = Pass::default();
    for schedule in schedule::list(watch.store)? {
        deliver_schedule(watch, &schedule, now, false, &mut pass)?;
    }
    for rule in alert::list(watch.store)? {
        judge_rule(watch, &rule, now, &mut pass)?;
    }
    Ok(pass)
}

/// Deliver `schedule`'s latest complete period now, even if it was delivered already
/// (`embudo schedule run`).
pub fn run_schedule(
    watch: &Watch<'_>,
    schedule: &Schedule,
    now: NaiveDateTime,
) -> Result<Pass, MonitorError> {
    let mut pass = Pass::default();
    deliver_schedule(watch, schedule, now, true, &mut pass)?;
    Ok(pass)
}

/// Judge `rule` over its latest complete period without sending or recording anything
/// (`embudo alert test`).
pub fn test_rule(
    watch: &Watch<'_>,
    rule: &Rule,
    now: NaiveDateTime,
) -> Result<Judgement, MonitorError> {
    let tick = rule.cadence.latest_tick(watch.calendar.to_local(now));
    rule.judge(watch.store, watch.calendar, rule.cadence.period(tick))
}

fn deliver_schedule(
    watch: &Watch<'_>,
    schedule: &Schedule,
    now: NaiveDateTime,
    force: bool,
    pass: &mut Pass,
) -> Result<(), MonitorError> {
    let tick = schedule.cadence.latest_tick(watch.calendar.to_local(now));
    // Nothing is owed for the ticks before the schedule existed.
    if !force && watch.calendar.to_utc(tick) < schedule.created_at {
        return Ok(());
    }
    let period = schedule.cadence.period(tick);
    let key = period.key();
    for recipient in &schedule.recipients {
        let what = Attempt {
            kind: "schedule",
            name: &schedule.name,
            period: &key,
            channel: "email",
            target: recipient,
        };
        if !force && deliver::settled(watch.store, &what, watch.settings)? {
            continue;
        }
        let email = email_for(watch, schedule, period, recipient, now);
        let sent = send_email(watch, &what, now, email)?;
        count(pass, sent);
    }
    if let Some(url) = &schedule.webhook {
        let what = Attempt {
            kind: "schedule",
            name: &schedule.name,
            period: &key,
            channel: "webhook",
            target: url,
        };
        if force || !deliver::settled(watch.store, &what, watch.settings)? {
            let reports = reports_for(watch, schedule, period, None, watch.lang, now)?;
            let body = json!({
                "text": summary(&reports, period),
                "kind": "schedule",
                "name": schedule.name,
                "period": period,
                "reports": reports,
            });
            let sent = post(watch, &what, now, &body)?;
            count(pass, sent);
        }
    }
    Ok(())
}

fn count(pass: &mut Pass, sent: bool) {
    if sent {
        pass.sent += 1;
    } else {
        pass.failed += 1;
    }
}

/// The e-mail for one recipient, or why it cannot be made (journaled as a failed attempt).
fn email_for(
    watch: &Watch<'_>,
    schedule: &Schedule,
    period: Period,
    recipient: &str,
    now: NaiveDateTime,
) -> Result<Email, String> {
    let caller = caller_by_email(watch.store, recipient)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{recipient} is no longer an active user"))?;
    let lang = user_lang(watch.store, &caller)
        .map_err(|e| e.to_string())?
        .unwrap_or_else(|| watch.lang.to_owned());
    let reports = reports_for(watch, schedule, period, Some(&caller), &lang, now)
        .map_err(|e| e.to_string())?;
    let title = match reports.as_slice() {
        [one] => one.title.clone(),
        _ => embudo_reports::i18n::pack_title(&lang),
    };
    let subject = format!("{title} · {} – {}", period.from, period.last_day());
    let attachment = match schedule.format {
        Attach::Html => None,
        Attach::Xlsx => Some((
            format!("{}-{}.xlsx", schedule.name, period.from),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            embudo_reports::xlsx::workbook(&reports).map_err(|e| e.to_string())?,
        )),
        Attach::Csv => {
            let mut bytes = Vec::new();
            embudo_reports::csv::pack(&reports, &mut bytes).map_err(|e| e.to_string())?;
            Some((
                format!("{}-{}.csv", schedule.name, period.from),
                "text/csv".to_owned(),
                bytes,
            ))
        }
    };
    Ok(Email {
        to: recipient.to_owned(),
        subject,
        html: html::page(&title, &reports, &lang),
        text: plain_text(&reports, period),
        attachment,
    })
}

/// The schedule's report(s) over `period`, as `caller` may see them (`None`: everything,
/// for a webhook). A pack leaves out the reports the caller's role cannot open.
fn reports_for(
    watch: &Watch<'_>,
    schedule: &Schedule,
    period: Period,
    caller: Option<&Caller>,
    lang: &str,
    now: NaiveDateTime,
) -> Result<Vec<Report>, MonitorError> {
    if let Some(saved) = schedule.saved() {
        return Ok(vec![saved_report(
            watch, schedule, saved, period, caller, lang, now,
        )?]);
    }
    let names: Vec<&str> = if schedule.report == "all" {
        embudo_reports::NAMES.to_vec()
    } else {
        vec![schedule.report.as_str()]
    };
    let filter = |key: &str| schedule.filters.get(key).cloned();
    let mut reports = Vec::new();
    for name in names {
        if caller.is_some_and(|c| c.report(name) == Over::Denied) && schedule.report == "all" {
            continue;
        }
        let mut params = Params {
            from: Some(Bound::Day(period.from)),
            to: Some(Bound::Day(period.to)),
            at: Some(
                watch
                    .calendar
                    .to_utc(period.to.and_hms_opt(0, 0, 0).expect("midnight exists")),
            ),
            pipeline: filter("pipeline"),
            owner: filter("owner"),
            team: filter("team"),
            source: filter("source"),
            by: None,
            // A weekly delivery shows its week as one period, not as part of a month.
            grain: Some(grain_of(schedule)),
            months: None,
            lang: lang.to_owned(),
            compare: None,
            // A delivery's HTML links no figure to records.
            behind: false,
        };
        if let Some(caller) = caller {
            scope::restrict(watch.store, caller, name, &mut params)?;
        }
        let ctx = Context {
            store: watch.store,
            calendar: *watch.calendar,
            params,
            now,
        };
        let mut report = embudo_reports::build(&ctx, name)?;
        if caller.is_some_and(Caller::masks_contact_details) {
            scope::mask(&mut report);
        }
        reports.push(report);
    }
    Ok(reports)
}

/// The saved custom report `saved` over `period`, as `caller` may see it (`None`: the
/// whole of it, for a webhook). With a grain, the delivery's own: a weekly delivery shows its
/// week as one period.
fn saved_report(
    watch: &Watch<'_>,
    schedule: &Schedule,
    saved: &str,
    period: Period,
    caller: Option<&Caller>,
    lang: &str,
    now: NaiveDateTime,
) -> Result<Report, MonitorError> {
    let mut spec = embudo_metrics::custom::load(watch.store, saved, caller.map(|c| c.user_id))?;
    spec.from = period.from.to_string();
    spec.to = period.to.to_string();
    if spec.grain.is_some() {
        spec.grain = Some(grain_of(schedule).as_str().to_owned());
    }
    if let Some(caller) = caller {
        scope::restrict_spec(watch.store, caller, &mut spec)?;
    }
    let ctx = Context {
        store: watch.store,
        calendar: *watch.calendar,
        params: Params {
            lang: lang.to_owned(),
            ..Params::default()
        },
        now,
    };
    Ok(embudo_reports::saved::report(&ctx, saved, &spec)?)
}

/// The grain of a schedule's period.
fn grain_of(schedule: &Schedule) -> Grain {
    match schedule.cadence.every {
        Every::Day => Grain::Day,
        Every::Week => Grain::Week,
        Every::Month => Grain::Month,
    }
}

/// The language a user chose for what Embudo sends them.
fn user_lang(store: &Store, caller: &Caller) -> Result<Option<String>, MonitorError> {
    Ok(store.user_lang(caller.user_id)?)
}

/// The reports as plain text: the e-mail's alternative for clients that show no HTML.
fn plain_text(reports: &[Report], period: Period) -> String {
    let mut text = String::new();
    for report in reports {
        // Figures as the report's reader writes them (each report is in its reader's language).
        let lang = report
            .params
            .get("lang")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("en");
        let _ = writeln!(
            text,
            "{} ({} – {})\n",
            report.title,
            period.from,
            period.last_day()
        );
        for insight in &report.insights {
            let _ = writeln!(text, "• {insight}");
        }
        for section in &report.sections {
            let _ = writeln!(text, "\n{}", section.title);
            for row in &section.rows {
                let cells: Vec<String> = row
                    .iter()
                    .zip(&section.columns)
                    .map(|(value, column)| {
                        format!("{}: {}", column.label, display_in(value, column.kind, lang))
                    })
                    .collect();
                let _ = writeln!(text, "  {}", cells.join(" · "));
            }
        }
        for note in &report.notes {
            let _ = writeln!(text, "note: {note}");
        }
        text.push('\n');
    }
    text
}

/// One line for a chat channel: the report titles, the period, the first insight of each.
fn summary(reports: &[Report], period: Period) -> String {
    let parts: Vec<String> = reports
        .iter()
        .map(|r| match r.insights.first() {
            Some(insight) => format!("{}: {insight}", r.title),
            None => r.title.clone(),
        })
        .collect();
    format!(
        "{} ({} – {})",
        parts.join(" | "),
        period.from,
        period.last_day()
    )
}

fn judge_rule(
    watch: &Watch<'_>,
    rule: &Rule,
    now: NaiveDateTime,
    pass: &mut Pass,
) -> Result<(), MonitorError> {
    let tick = rule.cadence.latest_tick(watch.calendar.to_local(now));
    if watch.calendar.to_utc(tick) < rule.created_at {
        return Ok(());
    }
    let period = rule.cadence.period(tick);
    if rule.last_period.as_deref() == Some(period.key().as_str()) {
        return Ok(());
    }
    let judgement = match rule.judge(watch.store, watch.calendar, period) {
        Ok(judgement) => judgement,
        Err(error) => {
            pass.errors.push(format!("{}: {error}", rule.name));
            return Ok(());
        }
    };
    if !judgement.holds {
        if rule.firing {
            pass.cleared.push(rule.name.clone());
        }
        return alert::record(watch.store, &rule.name, period, false, None, &[]);
    }
    let on = judgement.keys();
    if !rule.should_fire(&judgement, now) {
        return alert::record(watch.store, &rule.name, period, rule.firing, None, &on);
    }
    let message = alert_text(rule, &judgement);
    let key = period.key();
    notify::tell(
        watch.store,
        &notify::users_by_email(watch.store, &rule.recipients)?,
        &notify::Message {
            rule: &rule.name,
            kind: notify::Kind::Alert,
            period: &key,
            text: &message,
            records: &records_behind(rule, &judgement),
            action: None,
        },
        now,
    )?;
    for recipient in &rule.recipients {
        let what = Attempt {
            kind: "alert",
            name: &rule.name,
            period: &key,
            channel: "email",
            target: recipient,
        };
        let email = Ok(Email {
            to: recipient.clone(),
            subject: format!("Embudo alert: {}", rule.name),
            html: format!(
                "<p>{}</p>",
                embudo_reports::svg::escape(&message).replace('\n', "<br>")
            ),
            text: message.clone(),
            attachment: None,
        });
        let sent = send_email(watch, &what, now, email)?;
        count(pass, sent);
    }
    if let Some(url) = &rule.webhook {
        let what = Attempt {
            kind: "alert",
            name: &rule.name,
            period: &key,
            channel: "webhook",
            target: url,
        };
        let body = json!({
            "text": message,
            "kind": "alert",
            "name": rule.name,
            "period": period,
            "condition": rule.condition.to_string(),
            "filters": rule.filters,
            "value": judgement.value,
            "previous": judgement.previous,
            "measure": judgement.measure,
            "records": judgement.records,
            "goals": judgement.goals,
            "quality": judgement.quality,
            "tickets": judgement.tickets,
            "drops": judgement.drops,
            "band": judgement.band,
            "by": rule.by.map(|d| d.name()),
            "members": judgement.members,
        });
        let sent = post(watch, &what, now, &body)?;
        count(pass, sent);
    }
    pass.fired.push(rule.name.clone());
    alert::record(watch.store, &rule.name, period, true, Some(now), &on)
}

/// The records and metrics a judgement names, for the notification that links to them.
fn records_behind(rule: &Rule, judgement: &Judgement) -> notify::Records {
    if rule.condition.subject() == Subject::Metric {
        notify::Records::metrics(vec![rule.condition.metric.clone()])
    } else if !judgement.goals.is_empty() {
        let mut drivers: Vec<String> = judgement
            .goals
            .iter()
            .flat_map(|goal| goal.drivers.iter().map(|(driver, _)| driver.clone()))
            .collect();
        drivers.sort();
        drivers.dedup();
        notify::Records::metrics(drivers)
    } else if !judgement.records.is_empty() {
        notify::Records::of("deals", judgement.records.iter().map(|d| d.id))
    } else if !judgement.drops.is_empty() {
        notify::Records::of("deals", judgement.drops.iter().map(|d| d.id))
    } else if !judgement.tickets.is_empty() {
        notify::Records::of("tickets", judgement.tickets.iter().map(|t| t.id))
    } else {
        notify::Records::default()
    }
}

/// What an alert says: the rule, the figure against its threshold, the period and filters.
/// What an alert says to its recipients: the rule, the figure as reports write it, and the
/// records behind it with the action on offer.
pub fn alert_text(rule: &Rule, judgement: &Judgement) -> String {
    let filters = if rule.filters.is_empty() {
        String::new()
    } else {
        let parts: Vec<String> = rule
            .filters
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!(" for {}", parts.join(", "))
    };
    match rule.condition.subject() {
        Subject::Metric => {}
        Subject::StaleDeals(days) => return stale_text(rule, judgement, days, &filters),
        Subject::GoalsAtRisk => return goals_text(rule, judgement),
        Subject::QualityDrop => return quality_text(rule, judgement),
        Subject::SlaBreaches => return tickets_text(rule, judgement, &filters),
        Subject::ProbabilityDrops(points) => return drops_text(rule, judgement, points, &filters),
        Subject::ForecastBand => return band_text(rule, judgement),
    }
    metric_text(rule, judgement, &filters)
}

/// A metric alert: the figure as reports write it (a ratio as a percentage, money grouped),
/// its period and filters, and the condition.
fn metric_text(rule: &Rule, judgement: &Judgement, filters: &str) -> String {
    let metric = embudo_metrics::catalog::find(&rule.condition.metric);
    let label = metric.map_or(rule.condition.metric.as_str(), |m| m.label("en"));
    let (what, kind) = match rule.condition.measure {
        alert::Measure::Value => (
            label.to_owned(),
            metric.map_or(Kind::Number, |m| Kind::of(m.unit)),
        ),
        alert::Measure::ChangePct => (
            format!("The change of {label} against the period before"),
            Kind::Ratio,
        ),
        alert::Measure::ChangePctYear => (
            format!("The change of {label} against the same period a year before"),
            Kind::Ratio,
        ),
    };
    if let Some(by) = rule.by {
        return members_text(rule, judgement, (&what, kind), by.name(), filters);
    }
    let figure = judgement
        .measure
        .map_or_else(|| "-".to_owned(), |m| display(&json!(m), kind));
    format!(
        "{}: {what} was {figure} from {} to {}{filters} (alert when {}).",
        rule.name,
        judgement.period.from,
        judgement.period.last_day(),
        rule.condition
    )
}

/// A metric alert judged per dimension value: each member crossing the threshold with its
/// figure, the new ones marked, the furthest first.
fn members_text(
    rule: &Rule,
    judgement: &Judgement,
    (what, kind): (&str, Kind),
    by: &str,
    filters: &str,
) -> String {
    let head = format!(
        "{}: {what} crossed the threshold for {} of the {by} values from {} to {}{filters} (alert when {} for any {by}).",
        rule.name,
        judgement.members.len(),
        judgement.period.from,
        judgement.period.last_day(),
        rule.condition
    );
    let lines = judgement
        .members
        .iter()
        .map(|member| {
            format!(
                "{}: {}{}",
                member.name,
                display(&json!(member.measure), kind),
                if rule.firing_on.contains(&member.name) {
                    ""
                } else {
                    " (new)"
                }
            )
        })
        .collect();
    with_records(head, lines, None)
}

/// Records shown in an alert; the rest are counted.
const LISTED: usize = 50;

/// `head`, one line per record behind it (at most [`LISTED`], then how many more), and the
/// deals' corrective action when `act` names the rule.
fn with_records(head: String, lines: Vec<String>, act: Option<&str>) -> String {
    let mut text = head;
    for line in lines.iter().take(LISTED) {
        let _ = write!(text, "\n- {line}");
    }
    if lines.len() > LISTED {
        let _ = write!(text, "\n… and {} more", lines.len() - LISTED);
    }
    if let Some(rule) = act {
        let _ = write!(
            text,
            "\n`embudo alert act {rule}` creates a follow-up task for each deal's owner (undoable)."
        );
    }
    text
}

/// A stale-deals alert: how many, which (the stalest first), and the action on offer.
fn stale_text(rule: &Rule, judgement: &Judgement, days: i64, filters: &str) -> String {
    let stale = judgement.records.len();
    let head = format!(
        "{}: {stale} open {}{filters} {} not moved stage in {days} days (as of {}; alert when {}).",
        rule.name,
        agreeing("{deal|deals}", stale as u64),
        agreeing("{has|have}", stale as u64),
        judgement.period.to,
        rule.condition
    );
    let lines = judgement
        .records
        .iter()
        .map(|deal| {
            format!(
                "{} (#{}): {}, {} days in {}",
                deal.name,
                deal.id,
                deal.owner.as_deref().unwrap_or("no owner"),
                deal.days,
                deal.stage
            )
        })
        .collect();
    let made_up = judgement.records.iter().filter(|d| d.synthesised).count();
    let head = if made_up > 0 {
        format!(
            "{head}\n{made_up} of them came without a stage history (the import made one up from their dates): their days count from when they were created."
        )
    } else {
        head
    };
    with_records(head, lines, Some(&rule.name))
}

/// A probability alert: which deals' chance of a win fell, from what to what, and the
/// action on offer.
fn drops_text(rule: &Rule, judgement: &Judgement, points: i64, filters: &str) -> String {
    let fell = judgement.drops.len();
    let head = format!(
        "{}: the chance of a win fell by {points} points or more for {fell} open {}{filters} (as of {}; alert when {}).",
        rule.name,
        agreeing("{deal|deals}", fell as u64),
        judgement.period.to,
        rule.condition
    );
    let lines = judgement
        .drops
        .iter()
        .map(|deal| {
            format!(
                "{} (#{}): {}, {}, {:.0}% → {:.0}%",
                deal.name,
                deal.id,
                deal.owner.as_deref().unwrap_or("no owner"),
                deal.stage,
                deal.before * 100.0,
                deal.after * 100.0
            )
        })
        .collect();
    with_records(head, lines, Some(&rule.name))
}

/// An SLA alert: how many tickets are open past their due time, and which.
fn tickets_text(rule: &Rule, judgement: &Judgement, filters: &str) -> String {
    let head = format!(
        "{}: {} open tickets{filters} are past their SLA (as of {}; alert when {}).",
        rule.name,
        judgement.tickets.len(),
        judgement.period.to,
        rule.condition
    );
    let lines = judgement
        .tickets
        .iter()
        .map(|ticket| {
            format!(
                "ticket #{} ({}): {}, {} hours over",
                ticket.id,
                ticket.priority,
                ticket.agent.as_deref().unwrap_or("unassigned"),
                ticket.hours_over
            )
        })
        .collect();
    with_records(head, lines, None)
}

/// A goals alert: each goal at risk or behind, its attainment against where it should be,
/// and the driver metrics that moved against it.
fn goals_text(rule: &Rule, judgement: &Judgement) -> String {
    let mut text = format!(
        "{}: {} goals are at risk or behind (as of {}; alert when {}).",
        rule.name,
        judgement.goals.len(),
        judgement.period.to,
        rule.condition
    );
    let percent =
        |x: Option<f64>| x.map_or_else(|| "-".to_owned(), |x| format!("{:.0}%", x * 100.0));
    for goal in &judgement.goals {
        let _ = write!(
            text,
            "\n- {} ({}): {}{}, {} of target where {} was expected",
            goal.goal,
            goal.metric,
            goal.status.replace('_', " "),
            if rule.firing_on.contains(&goal.goal) {
                ""
            } else {
                " (new)"
            },
            percent(goal.attainment),
            percent(goal.expected_attainment)
        );
        for (driver, change) in &goal.drivers {
            let _ = write!(
                text,
                "\n    {driver} moved against it: {} on the period before",
                percent(*change)
            );
        }
    }
    let _ = write!(
        text,
        "\n`embudo report goals` shows them; each driver's report shows why."
    );
    text
}

/// A forecast alert: the revenue the pipeline open at the period's start brought, against
/// the range the forecast gave for it then.
fn band_text(rule: &Rule, judgement: &Judgement) -> String {
    let Some(band) = &judgement.band else {
        return format!("{}: no forecast could be made", rule.name);
    };
    let money = |x: f64| display(&json!(x), Kind::Money);
    let side = if band.actual < band.p10 {
        "below"
    } else {
        "above"
    };
    format!(
        "{}: the {} {} open on {} brought {} of revenue by {}, {side} the forecast's P10–P90 range of {} – {} (P50 {}) made that day (alert when {}).\n`embudo report forecast` shows the pipeline as it stands now; `embudo forecast backtest` how the forecast has done before.",
        rule.name,
        band.open_deals,
        agreeing("{deal|deals}", band.open_deals as u64),
        judgement.period.from,
        money(band.actual),
        judgement.period.last_day(),
        money(band.p10),
        money(band.p90),
        money(band.p50),
        rule.condition
    )
}

/// A data-quality alert: the points lost, and where.
fn quality_text(rule: &Rule, judgement: &Judgement) -> String {
    let mut text = format!(
        "{}: the data-quality score fell {} points since the audit before (alert when {}).",
        rule.name,
        judgement.measure.map_or_else(|| "-".to_owned(), figure),
        rule.condition
    );
    for drop in &judgement.quality {
        let _ = write!(
            text,
            "\n- {} {}: {} → {} ({} of {} failing)",
            drop.entity,
            drop.dimension,
            figure(drop.before),
            figure(drop.latest),
            drop.failing,
            drop.total
        );
    }
    let _ = write!(
        text,
        "\n`embudo audit` lists the failing checks with their suggested fixes; `embudo audit fix CHECK --apply` applies one (undoable)."
    );
    text
}

/// A figure to four decimals at most, without trailing zeros.
fn figure(value: f64) -> String {
    let text = format!("{value:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Send `email` with retries, or journal why it could not even be made.
fn send_email(
    watch: &Watch<'_>,
    what: &Attempt<'_>,
    now: NaiveDateTime,
    email: Result<Email, String>,
) -> Result<bool, MonitorError> {
    let prepared = match (&watch.settings.smtp, email) {
        (Some(smtp), Ok(email)) => Ok((smtp, email)),
        (None, _) => Err("no SMTP server is configured: set [smtp] in embudo.toml".to_owned()),
        (_, Err(why)) => Err(why),
    };
    match prepared {
        Ok((smtp, email)) => {
            deliver::with_retries(watch.store, watch.settings, what, now, watch.sleep, || {
                deliver::send_email(smtp, &email)
            })
        }
        // Retrying cannot help: record one failure.
        Err(why) => {
            let once = Settings {
                attempts: 1,
                ..watch.settings.clone()
            };
            deliver::with_retries(watch.store, &once, what, now, watch.sleep, || {
                Err(why.clone())
            })
        }
    }
}

fn post(
    watch: &Watch<'_>,
    what: &Attempt<'_>,
    now: NaiveDateTime,
    body: &Value,
) -> Result<bool, MonitorError> {
    let secret = watch.settings.webhook_secret.as_deref();
    deliver::with_retries(watch.store, watch.settings, what, now, watch.sleep, || {
        deliver::post_webhook(what.target, body, secret)
    })
}

/// A UTC instant stored as microseconds since 1970 (the dialect's `epoch_micros` in the
/// query).
pub(crate) fn instant_from_micros(micros: i64) -> Result<NaiveDateTime, MonitorError> {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.naive_utc())
        .ok_or_else(|| MonitorError::Invalid(format!("a stored instant reads {micros}")))
}
