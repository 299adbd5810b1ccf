//! Marketing reach and targets: web visits, campaign events, mailing lists, and goals.

use crate::clock::after_days;
use crate::vocab::{LANDING_PAGES, LISTS};
use crate::world::{Stream, World};
use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta};
use embudo_model::Id;
use embudo_model::entities::*;
use embudo_model::labels::*;
use embudo_store::{Batches, Result};
use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand_distr::LogNormal;

pub fn generate(world: &mut World, out: &mut Batches) -> Result<()> {
    web_visits(world, out)?;
    campaign_events(world, out)?;
    list_subscriptions(world, out)?;
    goals(world, out)
}

/// (source, share of visits, goal completion rate)
const VISIT_SOURCES: [(&str, f64, f64); 6] = [
    ("organic", 0.55, 0.025),
    ("paid_ads", 0.15, 0.04),
    ("email", 0.1, 0.06),
    ("social", 0.1, 0.015),
    ("referral", 0.05, 0.05),
    ("direct", 0.05, 0.03),
];

fn web_visits(world: &mut World, out: &mut Batches) -> Result<()> {
    let mut rng = world.rng(Stream::WebVisits);
    let source_pick = WeightedIndex::new(VISIT_SOURCES.iter().map(|s| s.1)).expect("valid weights");
    let duration = LogNormal::new(90.0_f64.ln(), 1.1).expect("valid lognormal");
    // Returning visitors: about three visits per cookie.
    let visitors = (world.sizes.web_visits / 3).max(1) as u64;
    for i in 0..world.sizes.web_visits {
        let (source, _, goal_rate) = VISIT_SOURCES[source_pick.sample(&mut rng)];
        let started_at = world.clock.busy_instant(&mut rng);
        let contact_id = rng
            .random_bool(0.12)
            .then(|| {
                // A known contact, seen after they were created.
                let n = world
                    .contacts
                    .partition_point(|c| c.created_at <= started_at);
                (n > 0).then(|| world.contacts[rng.random_range(0..n)].id)
            })
            .flatten();
        let seconds = duration.sample(&mut rng).min(4.0 * 3600.0) as i32;
        out.put(&WebVisit {
            id: i as Id + 1,
            visitor_id: format!("v{:08x}", rng.random_range(0..visitors)),
            contact_id,
            started_at,
            duration_seconds: seconds,
            pageviews: 1 + seconds / 75,
            landing_page: LANDING_PAGES[rng.random_range(0..LANDING_PAGES.len())].to_owned(),
            source: Some(source.to_owned()),
            goal_completed: rng.random_bool(goal_rate),
        })?;
    }
    Ok(())
}

/// E-mail campaigns go through the funnel sent → delivered → opened → clicked →
/// responded; events and webinars record who responded.
fn campaign_events(world: &mut World, out: &mut Batches) -> Result<()> {
    let mut rng = world.rng(Stream::CampaignEvents);
    let email_campaigns = world
        .campaigns
        .iter()
        .filter(|c| c.channel == CampaignChannel::Email)
        .count()
        .max(1);
    // About 2.4 events per e-mail recipient; a tenth of the budget for other channels.
    let recipients =
        (0.9 * world.sizes.campaign_events as f64 / email_campaigns as f64 / 2.4) as usize;
    let mut id = 0;
    let mut event = |contact_id: Id,
                     kind: CampaignEventKind,
                     campaign_id: Id,
                     at: NaiveDateTime,
                     out: &mut Batches| {
        id += 1;
        out.put(&CampaignEvent {
            id,
            campaign_id,
            contact_id: Some(contact_id),
            event: kind,
            occurred_at: at,
        })
    };
    let others = world.campaigns.len().saturating_sub(email_campaigns).max(1);
    let attendees = (0.1 * world.sizes.campaign_events as f64 / others as f64) as usize;
    for campaign in &world.campaigns {
        let known = world
            .contacts
            .partition_point(|c| c.created_at <= campaign.launched_at);
        if known == 0 || !world.clock.is_past(campaign.launched_at) {
            continue;
        }
        let is_email = campaign.channel == CampaignChannel::Email;
        for _ in 0..if is_email { recipients } else { attendees } {
            let contact_id = world.contacts[rng.random_range(0..known)].id;
            let sent = campaign.launched_at;
            if !is_email {
                let at = later(sent, 240.0, &mut rng);
                if world.clock.is_past(at) {
                    event(
                        contact_id,
                        CampaignEventKind::Responded,
                        campaign.id,
                        at,
                        out,
                    )?;
                }
                continue;
            }
            event(contact_id, CampaignEventKind::Sent, campaign.id, sent, out)?;
            let delivered = later(sent, 0.1, &mut rng);
            if rng.random_bool(0.03) {
                event(
                    contact_id,
                    CampaignEventKind::Bounced,
                    campaign.id,
                    delivered,
                    out,
                )?;
                continue;
            }
            event(
                contact_id,
                CampaignEventKind::Delivered,
                campaign.id,
                delivered,
                out,
            )?;
            if rng.random_bool(0.004) {
                let at = later(delivered, 48.0, &mut rng);
                event(
                    contact_id,
                    CampaignEventKind::Unsubscribed,
                    campaign.id,
                    at,
                    out,
                )?;
                continue;
            }
            if !rng.random_bool(0.3) {
                continue;
            }
            let opened = later(delivered, 72.0, &mut rng);
            event(
                contact_id,
                CampaignEventKind::Opened,
                campaign.id,
                opened,
                out,
            )?;
            if !rng.random_bool(0.15) {
                continue;
            }
            let clicked = later(opened, 1.0, &mut rng);
            event(
                contact_id,
                CampaignEventKind::Clicked,
                campaign.id,
                clicked,
                out,
            )?;
            if rng.random_bool(0.25) {
                let responded = later(clicked, 96.0, &mut rng);
                event(
                    contact_id,
                    CampaignEventKind::Responded,
                    campaign.id,
                    responded,
                    out,
                )?;
            }
        }
    }
    Ok(())
}

/// Up to `hours` after `at`.
fn later(at: NaiveDateTime, hours: f64, rng: &mut impl Rng) -> NaiveDateTime {
    after_days(at, rng.random_range(0.0..hours) / 24.0)
}

/// A third of contacts join a list or two; some leave again.
fn list_subscriptions(world: &mut World, out: &mut Batches) -> Result<()> {
    let mut rng = world.rng(Stream::Lists);
    let mut id = 0;
    for contact in &world.contacts {
        let lists = if contact.lead_at.is_none() {
            1
        } else if rng.random_bool(0.35) {
            rng.random_range(1..3)
        } else {
            0
        };
        for _ in 0..lists {
            id += 1;
            let subscribed_at = after_days(contact.created_at, rng.random_range(0.0..2.0));
            let left = after_days(subscribed_at, rng.random_range(10.0..700.0));
            out.put(&ListSubscription {
                id,
                contact_id: contact.id,
                list_name: LISTS[rng.random_range(0..LISTS.len())].to_owned(),
                subscribed_at,
                unsubscribed_at: (rng.random_bool(0.15) && world.clock.is_past(left))
                    .then_some(left),
            })?;
        }
    }
    Ok(())
}

fn quarter_start(date: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(date.year(), date.month0() / 3 * 3 + 1, 1).expect("valid quarter start")
}

fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(chrono::Months::new(months))
        .expect("in range")
}

/// Goals for this quarter and the last: revenue 15% above the quarter before, and team,
/// service and pipeline targets, some of which the business will miss; and this month's
/// revenue, a third of the last quarter's and 15% more (the forecast's chance of reaching
/// a goal is a month's).
fn goals(world: &mut World, out: &mut Batches) -> Result<()> {
    let this_quarter = quarter_start(world.clock.now.date());
    let last_quarter = quarter_start(this_quarter - TimeDelta::days(1));
    let revenue_of = |start: NaiveDate| -> f64 {
        let key = start.year() * 4 + (start.month0() / 3) as i32;
        world.revenue_by_quarter.get(&key).copied().unwrap_or(0.0)
    };
    let before_last = quarter_start(last_quarter - TimeDelta::days(1));
    let mut goals = vec![
        (
            "Revenue this quarter",
            "revenue",
            (revenue_of(last_quarter) * 1.15).round(),
            (this_quarter, 3),
            GoalScope::Company,
            None,
            GoalDirection::AtLeast,
        ),
        (
            "Revenue last quarter",
            "revenue",
            (revenue_of(before_last) * 1.15).round(),
            (last_quarter, 3),
            GoalScope::Company,
            None,
            GoalDirection::AtLeast,
        ),
        (
            "Close rate this quarter",
            "close_rate",
            0.35,
            (this_quarter, 3),
            GoalScope::Company,
            None,
            GoalDirection::AtLeast,
        ),
        (
            "SLA compliance this quarter",
            "sla_compliance",
            0.9,
            (this_quarter, 3),
            GoalScope::Company,
            None,
            GoalDirection::AtLeast,
        ),
        (
            "Resolution time this quarter",
            "avg_resolution_time",
            12.0,
            (this_quarter, 3),
            GoalScope::Company,
            None,
            GoalDirection::AtMost,
        ),
        (
            "New customers this quarter",
            "new_customers",
            (world.sizes.contacts as f64 * 0.012).round(),
            (this_quarter, 3),
            GoalScope::Company,
            None,
            GoalDirection::AtLeast,
        ),
    ];
    let sales_teams = world.teams.len().saturating_sub(1);
    for team in world.teams.iter().take(sales_teams) {
        let target = (world.sizes.deals as f64 / 12.0 * 0.25 / sales_teams as f64)
            .round()
            .max(3.0);
        goals.push((
            "Deals won this quarter",
            "deals_won",
            target,
            (this_quarter, 3),
            GoalScope::Team,
            Some(*team),
            GoalDirection::AtLeast,
        ));
    }
    let this_month = world.clock.now.date().with_day(1).expect("day 1");
    goals.push((
        "Revenue this month",
        "revenue",
        (revenue_of(last_quarter) / 3.0 * 1.15).round(),
        (this_month, 1),
        GoalScope::Company,
        None,
        GoalDirection::AtLeast,
    ));
    for (index, (name, metric, target, (start, months), scope, scope_id, direction)) in
        goals.into_iter().enumerate()
    {
        let name = match scope_id {
            Some(team) => format!("{name} (team {team})"),
            None => name.to_owned(),
        };
        out.put(&Goal {
            id: index as Id + 1,
            name,
            metric: metric.to_owned(),
            target,
            period_start: start,
            period_end: add_months(start, months),
            scope,
            scope_id,
            direction,
            filters: None,
        })?;
    }
    Ok(())
}
