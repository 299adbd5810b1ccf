//! Deals: who gets one, whether it is won, and everything the CRM records on the way —
//! stage visits, amount and close-date changes, activities.
//!
//! A deal's outcome is drawn from a logistic model of real signals (lead source, the
//! owner's skill, the buyer's engagement); its path through the stages, its activity and
//! its close-date pushes are then simulated from that outcome and engagement, so they carry
//! the signal a forecasting model can learn. Per-source intercepts are calibrated so that
//! each source converts at the rate of [`crate::params::SOURCES`].

use crate::clock::{after_days, office_hours};
use crate::params::{DEAL_CONVERSION_SHARE, ORGANIC_AMOUNT_FACTOR, REFERRAL_CYCLE_FACTOR, SOURCES};
use crate::truth::timestamp_text;
use crate::vocab::{LEAD_SOURCE_TYPOS, LOST_REASONS};
use crate::world::{CustomerTime, Ids, PipelinePlan, Stream, World};
use chrono::{Datelike, NaiveDateTime, TimeDelta};
use embudo_model::entities::*;
use embudo_model::labels::*;
use embudo_model::{Id, Label, Money};
use embudo_store::{Batches, Result};
use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Exp, LogNormal, Normal, Poisson};

/// Share of all deals that are a lead's first (new-business) deal.
const NEW_BUSINESS_SHARE: f64 = 0.7;
/// Share of activities that belong to a deal; the rest are logged on contacts.
const DEAL_ACTIVITY_SHARE: f64 = 0.85;
/// Win probability of expansion deals before skill and engagement.
const EXPANSION_WIN_RATE: f64 = 0.6;
/// Ids given to references that point nowhere.
pub const ORPHAN_ID_BASE: Id = 900_000_000;

/// A deal decided but not yet simulated.
struct DealPlan {
    contact: usize,
    owner: usize,
    created_at: NaiveDateTime,
    /// How keen the buyer is, standard normal: drives wins, activity and speed.
    engagement: f64,
    deal_type: DealType,
    pipeline: usize,
    product: usize,
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// The intercept `a` for which the mean of `sigmoid(a + x)` over `xs` is `target`.
fn calibrate(target: f64, xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return logit(target);
    }
    let (mut lo, mut hi) = (-15.0, 15.0);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        let mean = xs.iter().map(|x| sigmoid(mid + x)).sum::<f64>() / xs.len() as f64;
        if mean < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

pub fn generate(world: &mut World, out: &mut Batches) -> Result<()> {
    let mut rng = world.rng(Stream::Deals);
    let mut sim = Simulator::new(world);
    let leads = world
        .contacts
        .iter()
        .filter(|c| c.lead_at.is_some())
        .count()
        .max(1);
    let new_target = NEW_BUSINESS_SHARE * world.sizes.deals as f64;
    let deal_share = (new_target / leads as f64).min(0.8);
    let plans = plan_new_business(world, deal_share, &mut rng);
    let intercepts: Vec<f64> = SOURCES
        .iter()
        .map(|&(source, _, conversion)| {
            let xs: Vec<f64> = plans
                .iter()
                .filter(|p| world.contacts[p.contact].source == source)
                .map(|p| world.reps[p.owner].skill + p.engagement)
                .collect();
            calibrate(
                (DEAL_CONVERSION_SHARE * conversion / deal_share).min(0.95),
                &xs,
            )
        })
        .collect();
    let new_count = plans.len();
    for plan in plans {
        let source = world.contacts[plan.contact].source;
        let index = SOURCES
            .iter()
            .position(|s| s.0 == source)
            .expect("every source is listed");
        let p_win = sigmoid(intercepts[index] + world.reps[plan.owner].skill + plan.engagement);
        sim.deal(world, &plan, p_win, &mut rng, out)?;
    }
    for plan in plan_expansion(world, world.sizes.deals.saturating_sub(new_count), &mut rng) {
        let p_win =
            sigmoid(logit(EXPANSION_WIN_RATE) + world.reps[plan.owner].skill + plan.engagement);
        sim.deal(world, &plan, p_win, &mut rng, out)?;
    }
    sim.contact_activities(world, out)?;
    sim.write_duplicates(world, out)
}

/// A first deal for a share of the leads, a few days after they became leads.
fn plan_new_business(world: &World, deal_share: f64, rng: &mut ChaCha8Rng) -> Vec<DealPlan> {
    let delay = Exp::new(1.0 / 7.0).expect("valid rate");
    let engagement = Normal::new(0.0, 1.0).expect("valid normal");
    let tier = WeightedIndex::new([0.5, 0.35, 0.15]).expect("valid weights");
    let mut plans = Vec::new();
    for (index, contact) in world.contacts.iter().enumerate() {
        let Some(lead_at) = contact.lead_at else {
            continue;
        };
        if !rng.random_bool(deal_share) {
            continue;
        }
        let created_at = after_days(lead_at, delay.sample(rng));
        if !world.clock.is_past(created_at) {
            continue;
        }
        let owner = if rng.random_bool(0.9) {
            contact.owner
        } else {
            rng.random_range(0..world.reps.len())
        };
        plans.push(DealPlan {
            contact: index,
            owner,
            created_at,
            engagement: engagement.sample(rng),
            deal_type: DealType::NewBusiness,
            pipeline: 0,
            // The three platform tiers are the first three products.
            product: tier.sample(rng),
        });
    }
    plans
}

/// Upsell, cross-sell and renewal deals for customers, spread over customer time.
fn plan_expansion(world: &World, budget: usize, rng: &mut ChaCha8Rng) -> Vec<DealPlan> {
    let Some(customer_time) = CustomerTime::new(world, 14.0) else {
        return Vec::new();
    };
    let engagement = Normal::new(0.3, 1.0).expect("valid normal");
    let kinds = [DealType::Renewal, DealType::Upsell, DealType::CrossSell];
    let kind_pick = WeightedIndex::new([0.4, 0.35, 0.25]).expect("valid weights");
    let mut plans: Vec<DealPlan> = (0..budget)
        .map(|_| {
            let (index, at) = customer_time.sample(rng);
            let deal_type = kinds[kind_pick.sample(rng)];
            let product = match deal_type {
                DealType::Renewal => rng.random_range(0..3),
                DealType::Upsell => rng.random_range(1..3),
                _ => rng.random_range(3..9),
            };
            DealPlan {
                contact: index,
                owner: world.contacts[index].owner,
                created_at: office_hours(at, rng),
                engagement: engagement.sample(rng),
                deal_type,
                pipeline: 1,
                product,
            }
        })
        .collect();
    plans.retain(|p| world.clock.is_past(p.created_at));
    // Ids follow creation time, as in a real CRM.
    plans.sort_by_key(|p| p.created_at);
    plans
}

/// Simulates deals one by one, writing each with its history.
struct Simulator {
    activities: ChaCha8Rng,
    defects: ChaCha8Rng,
    /// Mean number of activities of a deal of typical length and engagement.
    activities_per_deal: f64,
    activity_kind: WeightedIndex<f64>,
    lost_reason: WeightedIndex<f64>,
    amount_noise: LogNormal<f64>,
    won_cycle_noise: LogNormal<f64>,
    lost_cycle_noise: LogNormal<f64>,
    duplicates: Vec<(Deal, Id)>,
}

const ACTIVITY_KINDS: [(ActivityType, f64); 6] = [
    (ActivityType::Call, 0.38),
    (ActivityType::Email, 0.27),
    (ActivityType::Meeting, 0.12),
    (ActivityType::Task, 0.1),
    (ActivityType::Demo, 0.04),
    (ActivityType::Note, 0.09),
];

impl Simulator {
    fn new(world: &World) -> Simulator {
        let mut defects = world.rng(Stream::Defects);
        defects.set_word_pos(2 << 40);
        Simulator {
            activities: world.rng(Stream::Activities),
            defects,
            // Engagement and cycle length raise the mean count by about a fifth.
            activities_per_deal: DEAL_ACTIVITY_SHARE * world.sizes.activities as f64
                / world.sizes.deals as f64
                / 1.2,
            activity_kind: WeightedIndex::new(ACTIVITY_KINDS.iter().map(|k| k.1))
                .expect("valid weights"),
            lost_reason: WeightedIndex::new(LOST_REASONS.iter().map(|r| r.1))
                .expect("valid weights"),
            // Mean-one noise: mu = -sigma²/2.
            amount_noise: LogNormal::new(-0.18, 0.6).expect("valid lognormal"),
            won_cycle_noise: LogNormal::new(-0.08, 0.4).expect("valid lognormal"),
            lost_cycle_noise: LogNormal::new(-0.125, 0.5).expect("valid lognormal"),
            duplicates: Vec::new(),
        }
    }

    fn deal(
        &mut self,
        world: &mut World,
        plan: &DealPlan,
        p_win: f64,
        rng: &mut ChaCha8Rng,
        out: &mut Batches,
    ) -> Result<()> {
        let id = Ids::next(&mut world.ids.deal);
        // The outcome the deal's path, activity and changes are simulated for; without
        // signal the deal actually ends by an independent coin.
        let path_won = rng.random_bool(p_win);
        let won = if world.params.signal {
            path_won
        } else {
            rng.random_bool(crate::params::NO_SIGNAL_WIN_RATE)
        };
        let pipeline = world.pipelines[plan.pipeline].clone();
        let product = world.products[plan.product].clone();
        let contact = world.contacts[plan.contact].clone();
        let owner_id = world.reps[plan.owner].id;

        let typical = pipeline.cycle_days * product.cycle_factor;
        let days = if path_won {
            let source_factor = if contact.source == LeadSource::Referral {
                REFERRAL_CYCLE_FACTOR
            } else {
                1.0
            };
            typical * source_factor * self.won_cycle_noise.sample(rng)
        } else {
            typical * 1.3 * self.lost_cycle_noise.sample(rng)
        };
        let end = after_days(plan.created_at, days.max(0.5));

        let size_factor = if contact.source == LeadSource::Organic {
            ORGANIC_AMOUNT_FACTOR
        } else {
            1.0
        };
        let amount = Money::from_units(
            ((product.list_price * size_factor * self.amount_noise.sample(rng)) / 10.0)
                .round()
                .max(1.0) as i64
                * 10,
        );
        let visits = stage_visits(&pipeline, path_won, won, plan.created_at, end, rng);
        let (current, entered_current) = self.write_visits(world, id, owner_id, &visits, out)?;
        // The status is the kind of the stage the deal is in at `now`: a reopened deal can
        // be lost today and won later.
        let status = match current {
            stage if stage == pipeline.won => StageKind::Won,
            stage if stage == pipeline.lost => StageKind::Lost,
            _ => StageKind::Open,
        };
        let closed_at = (status != StageKind::Open).then_some(entered_current);
        let last_active = end.min(world.clock.now);
        let mut expected_close =
            after_days(plan.created_at, typical * rng.random_range(0.7..1.2)).date();
        expected_close = self.log_changes(
            world,
            id,
            owner_id,
            plan,
            path_won,
            amount,
            expected_close,
            last_active,
            out,
        )?;

        let company_id = contact.company.map(|c| world.companies[c].id);
        let counterpart = contact.company.map_or_else(
            || crate::vocab::LAST_NAMES[contact.last_name].to_owned(),
            |c| world.companies[c].name.clone(),
        );
        let mut deal = Deal {
            id,
            name: format!("{counterpart} – {}", product.name),
            pipeline_id: pipeline.id,
            stage_id: current,
            status,
            amount: Some(amount),
            currency: "USD".to_owned(),
            cost: (rng.random_bool(0.9)).then(|| {
                Money::from_f64(
                    amount.as_f64() * product.unit_cost.unwrap_or(0.0) / product.list_price,
                )
            }),
            owner_id: Some(owner_id),
            contact_id: Some(contact.id),
            company_id,
            product_id: Some(product.id),
            campaign_id: (plan.deal_type == DealType::NewBusiness)
                .then_some(contact.first_campaign_id)
                .flatten(),
            source: Some(contact.source.as_str().to_owned()),
            deal_type: Some(plan.deal_type),
            created_at: plan.created_at,
            expected_close_date: Some(expected_close),
            closed_at,
            lost_reason: (status == StageKind::Lost)
                .then(|| LOST_REASONS[self.lost_reason.sample(rng)].0.to_owned()),
            updated_at: last_active,
            lifecycle: Lifecycle::default(),
            provenance: Provenance::default(),
            custom: None,
        };

        let target = &mut world.contacts[plan.contact];
        target.last_touched = target.last_touched.max(last_active);
        match status {
            StageKind::Won => {
                let end = entered_current;
                target.customer_at = Some(target.customer_at.map_or(end, |at| at.min(end)));
                let quarter = end.year() * 4 + (end.month0() / 3) as i32;
                *world.revenue_by_quarter.entry(quarter).or_default() += amount.as_f64();
            }
            StageKind::Lost => target.has_lost_deal = true,
            StageKind::Open => {
                target.has_open_deal = true;
                world.truth.future.deals.push(crate::truth::FutureDeal {
                    id,
                    outcome: if won { "won" } else { "lost" },
                    closed_at: timestamp_text(end),
                    amount: amount.as_f64(),
                });
            }
        }

        let active_until = if path_won {
            end
        } else {
            after_days(plan.created_at, days * 0.65)
        };
        self.deal_activities(
            world,
            &deal,
            plan,
            &visits,
            &pipeline,
            active_until,
            days / typical,
            out,
        )?;
        if self.defects.random_bool(world.params.defect_rate) {
            self.deal_defect(world, &mut deal, pipeline.open[0].0);
        }
        out.put(&deal)
    }

    /// Write the visits that happened before `now`; returns the current stage and when
    /// the deal entered it.
    fn write_visits(
        &mut self,
        world: &mut World,
        deal_id: Id,
        owner_id: Id,
        visits: &[(Id, NaiveDateTime)],
        out: &mut Batches,
    ) -> Result<(Id, NaiveDateTime)> {
        let mut current = visits[0];
        for (i, &(stage_id, entered_at)) in visits.iter().enumerate() {
            if !world.clock.is_past(entered_at) {
                break;
            }
            let exited_at = visits
                .get(i + 1)
                .map(|v| v.1)
                .filter(|&t| world.clock.is_past(t));
            current = (stage_id, entered_at);
            out.put(&StageVisit {
                id: Ids::next(&mut world.ids.stage_visit),
                deal_id,
                stage_id,
                entered_at,
                exited_at,
                changed_by: Some(owner_id),
                synthesised: false,
            })?;
        }
        Ok(current)
    }

    /// Amount revisions, owner hand-overs, probability overrides and close-date pushes
    /// (losing deals get pushed more). Returns the final expected close date.
    #[allow(clippy::too_many_arguments)]
    fn log_changes(
        &mut self,
        world: &mut World,
        deal_id: Id,
        owner_id: Id,
        plan: &DealPlan,
        won: bool,
        amount: Money,
        mut expected_close: Date,
        last_active: NaiveDateTime,
        out: &mut Batches,
    ) -> Result<Date> {
        let rng = &mut self.activities;
        let mut changes: Vec<(NaiveDateTime, DealField, String, String)> = Vec::new();
        let when = |rng: &mut ChaCha8Rng| world.clock.between(plan.created_at, last_active, rng);
        if rng.random_bool(0.3) {
            let before =
                Money::from_units((amount.as_f64() * rng.random_range(0.75..1.25)).round() as i64);
            changes.push((
                when(rng),
                DealField::Amount,
                before.to_string(),
                amount.to_string(),
            ));
        }
        if rng.random_bool(0.05) {
            let previous = world.reps[rng.random_range(0..world.reps.len())].id;
            changes.push((
                when(rng),
                DealField::OwnerId,
                previous.to_string(),
                owner_id.to_string(),
            ));
        }
        if rng.random_bool(0.1) {
            let old = world.pipelines[plan.pipeline].open[0].1;
            let new = (rng.random_range(0.05..0.95_f64) * 20.0).round() / 20.0;
            changes.push((
                when(rng),
                DealField::Probability,
                old.to_string(),
                new.to_string(),
            ));
        }
        let pushes = Poisson::new(if won { 0.5 } else { 1.4 })
            .expect("positive mean")
            .sample(rng) as usize;
        let mut push_times: Vec<NaiveDateTime> = (0..pushes).map(|_| when(rng)).collect();
        push_times.sort_unstable();
        for at in push_times {
            let pushed = expected_close + TimeDelta::days(rng.random_range(14..46));
            changes.push((
                at,
                DealField::ExpectedCloseDate,
                expected_close.to_string(),
                pushed.to_string(),
            ));
            expected_close = pushed;
        }
        changes.sort_by_key(|c| c.0);
        for (changed_at, field, old, new) in changes {
            out.put(&DealChange {
                id: Ids::next(&mut world.ids.deal_change),
                deal_id,
                field,
                old_value: Some(old),
                new_value: Some(new),
                changed_at,
                changed_by: Some(owner_id),
            })?;
        }
        Ok(expected_close)
    }

    /// Completed activities while the buyer is engaged, a proposal when the deal reaches
    /// the proposal stage, and for open deals what is scheduled or overdue.
    #[allow(clippy::too_many_arguments)]
    fn deal_activities(
        &mut self,
        world: &mut World,
        deal: &Deal,
        plan: &DealPlan,
        visits: &[(Id, NaiveDateTime)],
        pipeline: &PipelinePlan,
        active_until: NaiveDateTime,
        relative_length: f64,
        out: &mut Batches,
    ) -> Result<()> {
        let mean =
            self.activities_per_deal * (0.5 * plan.engagement).exp() * relative_length.sqrt();
        let count = Poisson::new(mean.max(0.1))
            .expect("positive mean")
            .sample(&mut self.activities) as usize;
        let until = active_until.min(world.clock.now);
        for _ in 0..count {
            let at = office_hours(
                world
                    .clock
                    .between(deal.created_at, until, &mut self.activities),
                &mut self.activities,
            );
            if at >= until || at < deal.created_at {
                continue;
            }
            let kind = ACTIVITY_KINDS[self.activity_kind.sample(&mut self.activities)].0;
            let activity = self.completed(world, deal, kind, at);
            out.put(&activity)?;
        }
        if let Some(&(_, at)) = visits.iter().find(|v| v.0 == pipeline.proposal)
            && world.clock.is_past(at)
        {
            let activity = self.completed(world, deal, ActivityType::Proposal, at);
            out.put(&activity)?;
        }
        if deal.status == StageKind::Open {
            let now = world.clock.now;
            let rng = &mut self.activities;
            let keen = rng.random_bool(if until == now { 0.85 } else { 0.3 });
            let scheduled = if keen {
                Some(office_hours(
                    now + TimeDelta::days(rng.random_range(1..22)),
                    rng,
                ))
            } else if rng.random_bool(0.3) {
                Some(office_hours(
                    now - TimeDelta::days(rng.random_range(1..15)),
                    rng,
                ))
            } else {
                None
            };
            if let Some(due_at) = scheduled {
                let kind = [
                    ActivityType::Call,
                    ActivityType::Meeting,
                    ActivityType::Task,
                ][rng.random_range(0..3)];
                out.put(&Activity {
                    id: Ids::next(&mut world.ids.activity),
                    kind,
                    owner_id: deal.owner_id,
                    contact_id: deal.contact_id,
                    company_id: deal.company_id,
                    deal_id: Some(deal.id),
                    subject: Some(subject(kind, rng).to_owned()),
                    due_at: Some(due_at),
                    completed_at: None,
                    duration_seconds: None,
                    outcome: None,
                    created_at: (due_at - TimeDelta::days(rng.random_range(1..10)))
                        .min(now - TimeDelta::hours(1)),
                })?;
            }
        }
        Ok(())
    }

    /// A completed activity of `kind` at `at` on `deal`; one in a few hundred points at a
    /// deal that does not exist when defects are on.
    fn completed(
        &mut self,
        world: &mut World,
        deal: &Deal,
        kind: ActivityType,
        at: NaiveDateTime,
    ) -> Activity {
        let mut activity = completed_activity(&mut self.activities, &mut world.ids, kind, at);
        activity.owner_id = deal.owner_id;
        activity.contact_id = deal.contact_id;
        activity.company_id = deal.company_id;
        activity.deal_id = Some(deal.id);
        if self.defects.random_bool(world.params.defect_rate * 0.01) {
            let orphan = ORPHAN_ID_BASE + activity.id;
            world.truth.defect(
                "activities",
                activity.id,
                "deal_id",
                "orphan_reference",
                deal.id,
                orphan,
            );
            activity.deal_id = Some(orphan);
        }
        activity
    }

    /// Calls, e-mails and notes logged on leads rather than deals.
    fn contact_activities(&mut self, world: &mut World, out: &mut Batches) -> Result<()> {
        let budget = ((1.0 - DEAL_ACTIVITY_SHARE) * world.sizes.activities as f64) as usize;
        let kinds = [
            ActivityType::Call,
            ActivityType::Email,
            ActivityType::Note,
            ActivityType::Task,
        ];
        let leads: Vec<usize> = (0..world.contacts.len())
            .filter(|&i| world.contacts[i].lead_at.is_some())
            .collect();
        if leads.is_empty() {
            return Ok(());
        }
        for _ in 0..budget {
            let rng = &mut self.activities;
            let contact = &world.contacts[leads[rng.random_range(0..leads.len())]];
            let from = contact.lead_at.expect("leads only");
            let at = office_hours(world.clock.between(from, world.clock.now, rng), rng);
            if !world.clock.is_past(at) || at < from {
                continue;
            }
            let kind = kinds[rng.random_range(0..kinds.len())];
            let owner_id = world.reps[contact.owner].id;
            let contact_id = contact.id;
            let company_id = contact.company.map(|c| world.companies[c].id);
            let mut activity = completed_activity(rng, &mut world.ids, kind, at);
            activity.owner_id = Some(owner_id);
            activity.contact_id = Some(contact_id);
            activity.company_id = company_id;
            out.put(&activity)?;
        }
        Ok(())
    }

    /// One defect on a deal: a duplicate entry, an impossible date, an orphan contact or a
    /// mistyped source.
    fn deal_defect(&mut self, world: &mut World, deal: &mut Deal, first_stage: Id) {
        let rng = &mut self.defects;
        match rng.random_range(0..10) {
            0..3 => {
                let mut twin = deal.clone();
                twin.created_at = deal.created_at + TimeDelta::hours(rng.random_range(1..20));
                twin.stage_id = first_stage;
                twin.status = StageKind::Open;
                twin.closed_at = None;
                twin.lost_reason = None;
                twin.updated_at = twin.created_at;
                self.duplicates.push((twin, deal.id));
            }
            3..6 => match deal.closed_at {
                Some(closed_at) => {
                    let impossible = deal.created_at - TimeDelta::days(rng.random_range(1..30));
                    world.truth.defect(
                        "deals",
                        deal.id,
                        "closed_at",
                        "impossible_date",
                        timestamp_text(closed_at),
                        timestamp_text(impossible),
                    );
                    deal.closed_at = Some(impossible);
                }
                None => {
                    let original = deal.expected_close_date.map(|d| d.to_string());
                    let impossible =
                        deal.created_at.date() - TimeDelta::days(rng.random_range(200..400));
                    world.truth.defect(
                        "deals",
                        deal.id,
                        "expected_close_date",
                        "impossible_date",
                        original,
                        impossible.to_string(),
                    );
                    deal.expected_close_date = Some(impossible);
                }
            },
            6..8 => {
                let orphan = ORPHAN_ID_BASE + deal.id;
                world.truth.defect(
                    "deals",
                    deal.id,
                    "contact_id",
                    "orphan_reference",
                    deal.contact_id,
                    orphan,
                );
                deal.contact_id = Some(orphan);
            }
            _ => {
                let typo = LEAD_SOURCE_TYPOS[rng.random_range(0..LEAD_SOURCE_TYPOS.len())];
                world.truth.defect(
                    "deals",
                    deal.id,
                    "source",
                    "mistyped_label",
                    deal.source.clone(),
                    typo,
                );
                deal.source = Some(typo.to_owned());
            }
        }
    }

    /// Duplicate deals, entered after all others and sitting in the first stage.
    fn write_duplicates(&mut self, world: &mut World, out: &mut Batches) -> Result<()> {
        for (mut twin, original) in std::mem::take(&mut self.duplicates) {
            twin.id = Ids::next(&mut world.ids.deal);
            world.truth.duplicates.deals.push([original, twin.id]);
            out.put(&StageVisit {
                id: Ids::next(&mut world.ids.stage_visit),
                deal_id: twin.id,
                stage_id: twin.stage_id,
                entered_at: twin.created_at,
                exited_at: None,
                changed_by: twin.owner_id,
                synthesised: false,
            })?;
            out.put(&twin)?;
        }
        Ok(())
    }
}

/// The stages a deal enters, with when: forward through the open stages (some skipped,
/// some revisited), lost deals dropping out early, a few won deals lost and reopened, and
/// the closing stage at `end`. The path is that of a deal heading for `path_won`; it
/// closes as `won` (the same, unless outcomes carry no signal).
fn stage_visits(
    pipeline: &PipelinePlan,
    path_won: bool,
    won: bool,
    created_at: NaiveDateTime,
    end: NaiveDateTime,
    rng: &mut ChaCha8Rng,
) -> Vec<(Id, NaiveDateTime)> {
    let open = &pipeline.open;
    let reach = if path_won {
        open.len()
    } else {
        let weights: Vec<f64> = [0.35, 0.25, 0.2, 0.12, 0.08]
            .into_iter()
            .take(open.len())
            .collect();
        1 + WeightedIndex::new(&weights)
            .expect("valid weights")
            .sample(rng)
    };
    let mut path = vec![open[0].0];
    for (j, &(stage, _)) in open.iter().enumerate().take(reach).skip(1) {
        if j + 1 < reach && rng.random_bool(0.1) {
            continue;
        }
        path.push(stage);
    }
    if path.len() >= 3 && rng.random_bool(0.08) {
        let i = rng.random_range(2..path.len());
        let (back, again) = (path[i - 2], path[i - 1]);
        path.splice(i..i, [back, again]);
    }
    if path_won && rng.random_bool(0.03) {
        let last = *path.last().expect("a path has a first stage");
        path.extend([pipeline.lost, last]);
    }
    path.push(if won { pipeline.won } else { pipeline.lost });

    let gaps: Vec<f64> = (1..path.len())
        .map(|_| -rng.random::<f64>().max(1e-9).ln())
        .collect();
    let total: f64 = gaps.iter().sum();
    let span = (end - created_at).num_seconds() as f64;
    let mut at = created_at;
    let mut elapsed = 0.0;
    let mut visits = Vec::with_capacity(path.len());
    for (i, stage) in path.into_iter().enumerate() {
        if i > 0 {
            elapsed += gaps[i - 1];
            at = created_at + TimeDelta::seconds((span * elapsed / total) as i64);
        }
        visits.push((stage, at));
    }
    if let Some(last) = visits.last_mut() {
        last.1 = end;
    }
    visits
}

fn completed_activity(
    rng: &mut ChaCha8Rng,
    ids: &mut Ids,
    kind: ActivityType,
    at: NaiveDateTime,
) -> Activity {
    let (duration, outcome, scheduled) = match kind {
        ActivityType::Call => {
            let outcome = [
                ActivityOutcome::Connected,
                ActivityOutcome::Connected,
                ActivityOutcome::NoAnswer,
                ActivityOutcome::Voicemail,
            ][rng.random_range(0..4)];
            let seconds = if outcome == ActivityOutcome::Connected {
                rng.random_range(120..1500)
            } else {
                rng.random_range(15..60)
            };
            (Some(seconds), Some(outcome), false)
        }
        ActivityType::Meeting | ActivityType::Demo => {
            let outcome = if rng.random_bool(0.92) {
                ActivityOutcome::Completed
            } else {
                ActivityOutcome::Cancelled
            };
            (Some(rng.random_range(1800..4500)), Some(outcome), true)
        }
        ActivityType::Task => (None, Some(ActivityOutcome::Completed), true),
        ActivityType::Proposal => (None, Some(ActivityOutcome::Completed), false),
        ActivityType::Email | ActivityType::Note => (None, None, false),
    };
    let created_at = if scheduled {
        at - TimeDelta::days(rng.random_range(1..8))
    } else {
        at
    };
    Activity {
        id: Ids::next(&mut ids.activity),
        kind,
        owner_id: None,
        contact_id: None,
        company_id: None,
        deal_id: None,
        subject: Some(subject(kind, rng).to_owned()),
        due_at: scheduled.then_some(at),
        completed_at: Some(at),
        duration_seconds: duration,
        outcome,
        created_at,
    }
}

fn subject(kind: ActivityType, rng: &mut ChaCha8Rng) -> &'static str {
    let options: &[&str] = match kind {
        ActivityType::Call => &[
            "Discovery call",
            "Follow-up call",
            "Check-in call",
            "Pricing call",
        ],
        ActivityType::Meeting => &["Intro meeting", "Stakeholder meeting", "Kick-off meeting"],
        ActivityType::Email => &["Follow-up email", "Sent case study", "Sent pricing"],
        ActivityType::Task => &["Prepare quote", "Update account plan", "Send contract"],
        ActivityType::Demo => &["Product demo", "Technical deep-dive"],
        ActivityType::Proposal => &["Proposal sent"],
        ActivityType::Note => &["Call notes", "Meeting notes"],
    };
    options[rng.random_range(0..options.len())]
}
