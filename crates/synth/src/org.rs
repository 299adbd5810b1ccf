//! The business itself: teams and users, products, pipelines and campaigns.

use crate::clock::{HISTORY_DAYS, after_days};
use crate::usage::Usage;
use crate::vocab::{FIRST_NAMES, LAST_NAMES};
use crate::world::{CampaignPlan, Person, PipelinePlan, ProductPlan, Stream, World};
use chrono::TimeDelta;
use embudo_model::entities::*;
use embudo_model::labels::*;
use embudo_model::{Id, Label, Money};
use embudo_store::{Batches, Result};
use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand_distr::Normal;

pub fn generate(world: &mut World, out: &mut Batches) -> Result<()> {
    people(world, out)?;
    products(world, out)?;
    pipelines(world, out)?;
    campaigns(world, out)
}

/// One admin, a manager per team, a support team of agents, a viewer, and reps.
fn people(world: &mut World, out: &mut Batches) -> Result<()> {
    let mut rng = world.rng(Stream::Org);
    let sizes = world.sizes;
    let sales_teams = sizes.teams - 1;
    let support_team = sizes.teams as Id;
    for id in 1..=sizes.teams as Id {
        let name = if id == support_team {
            "Customer Support".to_owned()
        } else {
            format!("Sales {}", TEAM_NAMES[(id as usize - 1) % TEAM_NAMES.len()])
        };
        world.teams.push(id);
        out.put(&Team {
            id,
            name,
            manager_id: Some(1 + id),
        })?;
    }
    let agents = (sizes.users / 5).max(2);
    let skill = Normal::new(0.0, 0.5).expect("valid normal");
    let hired = world.clock.start - TimeDelta::days(90);
    let mut usage = Usage::new(world.rng(Stream::Usage), sizes.contacts);
    for id in 1..=sizes.users as Id {
        let index = id as usize - 1;
        let (role, team_id) = match index {
            0 => (Role::Admin, None),
            i if i <= sizes.teams => (Role::Manager, Some(i as Id)),
            i if i <= sizes.teams + agents => (Role::Agent, Some(support_team)),
            i if i == sizes.teams + agents + 1 => (Role::Viewer, None),
            i => (Role::Rep, Some(1 + (i % sales_teams) as Id)),
        };
        let (first, _) = FIRST_NAMES[(index * 7 + 3) % FIRST_NAMES.len()];
        let last = LAST_NAMES[(index * 11 + 5) % LAST_NAMES.len()];
        let person = Person {
            id,
            skill: skill.sample(&mut rng),
            team_id,
        };
        match role {
            Role::Rep => world.reps.push(person.clone()),
            Role::Agent => world.agents.push(person.clone()),
            _ => {}
        }
        world.users.push(person);
        // Some users left or stopped using the CRM: the adoption report should find them.
        let active = rng.random_bool(0.93);
        let lapses = !active || rng.random_bool(0.08);
        let last_login_at = usage.simulate(&world.clock, id, lapses, out)?;
        let hourly = match role {
            Role::Agent => rng.random_range(28.0..45.0),
            Role::Rep => rng.random_range(35.0..60.0),
            _ => rng.random_range(50.0..90.0),
        };
        out.put(&User {
            id,
            name: format!("{first} {last}"),
            email: format!("{}.{}@embudo-demo.com", ascii(first), ascii(last)).to_lowercase(),
            role,
            team_id,
            active,
            hourly_cost: Some(Money::from_f64(hourly)),
            created_at: hired + TimeDelta::days(rng.random_range(0..60)),
            last_login_at,
            lang: None,
        })?;
    }
    Ok(())
}

const TEAM_NAMES: &[&str] = &[
    "North",
    "South",
    "East",
    "West",
    "Iberia",
    "LatAm",
    "Enterprise",
    "SMB",
];

/// A product of the catalogue.
struct ProductSpec {
    name: &'static str,
    line: &'static str,
    list_price: f64,
    unit_cost: Option<f64>,
    /// Sold as a yearly subscription.
    recurring: bool,
    /// How much longer than usual a deal for it takes.
    cycle_factor: f64,
}

const fn product(
    name: &'static str,
    line: &'static str,
    list_price: f64,
    unit_cost: Option<f64>,
    recurring: bool,
    cycle_factor: f64,
) -> ProductSpec {
    ProductSpec {
        name,
        line,
        list_price,
        unit_cost,
        recurring,
        cycle_factor,
    }
}

/// The three platform tiers come first: the sales simulation relies on that order.
const PRODUCTS: &[ProductSpec] = &[
    product(
        "Embudo Starter",
        "Platform",
        1_200.0,
        Some(240.0),
        true,
        0.8,
    ),
    product(
        "Embudo Growth",
        "Platform",
        6_000.0,
        Some(1_100.0),
        true,
        1.1,
    ),
    product(
        "Embudo Enterprise",
        "Platform",
        24_000.0,
        Some(4_200.0),
        true,
        1.6,
    ),
    product(
        "Onboarding package",
        "Services",
        3_000.0,
        Some(1_800.0),
        false,
        0.9,
    ),
    product("Training day", "Services", 1_500.0, Some(700.0), false, 0.7),
    product(
        "Custom integration",
        "Services",
        9_000.0,
        Some(5_500.0),
        false,
        1.3,
    ),
    product(
        "Analytics add-on",
        "Add-ons",
        2_400.0,
        Some(300.0),
        true,
        0.8,
    ),
    product("Extra seats (10)", "Add-ons", 600.0, Some(60.0), true, 0.6),
    product(
        "Premium support",
        "Add-ons",
        3_600.0,
        Some(900.0),
        true,
        0.8,
    ),
    product(
        "Barcode scanner",
        "Hardware",
        250.0,
        Some(140.0),
        false,
        0.5,
    ),
    product("Receipt printer", "Hardware", 180.0, None, false, 0.5),
    product("POS terminal", "Hardware", 900.0, Some(520.0), false, 0.6),
];

fn products(world: &mut World, out: &mut Batches) -> Result<()> {
    for (index, spec) in PRODUCTS.iter().enumerate() {
        let id = index as Id + 1;
        world.products.push(ProductPlan {
            id,
            name: spec.name,
            line: spec.line,
            list_price: spec.list_price,
            unit_cost: spec.unit_cost,
            recurring: spec.recurring,
            cycle_factor: spec.cycle_factor,
        });
        out.put(&Product {
            id,
            name: spec.name.to_owned(),
            product_line: spec.line.to_owned(),
            list_price: Money::from_f64(spec.list_price),
            unit_cost: spec.unit_cost.map(Money::from_f64),
        })?;
    }
    Ok(())
}

/// A pipeline: its name, typical days to a win, and its open stages with probabilities.
struct PipelineSpec {
    name: &'static str,
    cycle_days: f64,
    open_stages: &'static [(&'static str, f64)],
}

const PIPELINES: [PipelineSpec; 2] = [
    PipelineSpec {
        name: "New Business",
        cycle_days: 48.0,
        open_stages: &[
            ("Qualified", 0.1),
            ("Discovery", 0.2),
            ("Demo", 0.4),
            ("Proposal", 0.6),
            ("Negotiation", 0.8),
        ],
    },
    PipelineSpec {
        name: "Expansion & Renewals",
        cycle_days: 30.0,
        open_stages: &[("Qualified", 0.3), ("Proposal", 0.6), ("Commitment", 0.85)],
    },
];

/// Two pipelines: new business (five open stages) and expansion (three).
fn pipelines(world: &mut World, out: &mut Batches) -> Result<()> {
    let mut stage_id = 0;
    for (index, spec) in PIPELINES.iter().enumerate() {
        let pipeline_id = index as Id + 1;
        out.put(&Pipeline {
            id: pipeline_id,
            name: spec.name.to_owned(),
        })?;
        let mut plan = PipelinePlan {
            id: pipeline_id,
            open: Vec::new(),
            won: 0,
            lost: 0,
            proposal: 0,
            cycle_days: spec.cycle_days,
        };
        let closing = [("Won", 1.0, StageKind::Won), ("Lost", 0.0, StageKind::Lost)];
        let all = spec
            .open_stages
            .iter()
            .map(|&(n, p)| (n, p, StageKind::Open))
            .chain(closing);
        for (position, (stage_name, probability, kind)) in all.enumerate() {
            stage_id += 1;
            if stage_name == "Proposal" {
                plan.proposal = stage_id;
            }
            match kind {
                StageKind::Open => plan.open.push((stage_id, probability)),
                StageKind::Won => plan.won = stage_id,
                StageKind::Lost => plan.lost = stage_id,
            }
            out.put(&Stage {
                id: stage_id,
                pipeline_id,
                name: stage_name.to_owned(),
                position: position as i32 + 1,
                probability,
                kind,
            })?;
        }
        world.pipelines.push(plan);
    }
    Ok(())
}

const CHANNELS: &[(CampaignChannel, f64, f64)] = &[
    // (channel, share of campaigns, typical cost)
    (CampaignChannel::Email, 0.4, 800.0),
    (CampaignChannel::PaidAds, 0.2, 12_000.0),
    (CampaignChannel::Social, 0.15, 3_000.0),
    (CampaignChannel::Event, 0.1, 20_000.0),
    (CampaignChannel::Webinar, 0.1, 1_500.0),
    (CampaignChannel::DirectMail, 0.05, 6_000.0),
];

fn campaigns(world: &mut World, out: &mut Batches) -> Result<()> {
    let mut rng = world.rng(Stream::Org);
    // Skip the draws `people` made so campaigns do not echo them.
    rng.set_word_pos(1 << 40);
    let pick = WeightedIndex::new(CHANNELS.iter().map(|c| c.1)).expect("valid weights");
    let count = world.sizes.campaigns;
    let mut plans = Vec::with_capacity(count);
    for i in 0..count {
        let (channel, _, cost) = CHANNELS[pick.sample(&mut rng)];
        // Spread evenly over the history, with jitter, so every quarter has campaigns.
        let day = (i as f64 + rng.random::<f64>()) * HISTORY_DAYS as f64 / count as f64;
        let launched_at = crate::clock::office_hours(after_days(world.clock.start, day), &mut rng);
        let ended_at = after_days(launched_at, rng.random_range(7.0..60.0));
        plans.push((
            channel,
            launched_at,
            ended_at,
            cost * rng.random_range(0.5..1.6),
        ));
    }
    plans.sort_by_key(|p| p.1);
    for (index, (channel, launched_at, ended_at, cost)) in plans.into_iter().enumerate() {
        let id = index as Id + 1;
        world.campaigns.push(CampaignPlan {
            id,
            channel,
            launched_at,
        });
        out.put(&Campaign {
            id,
            name: format!(
                "{} {} #{}",
                launched_at.format("%Y-%m"),
                channel.as_str().replace('_', " "),
                id
            ),
            channel,
            launched_at,
            ended_at: Some(ended_at),
            cost: Some(Money::from_f64(cost)),
        })?;
    }
    Ok(())
}

/// `text` without Spanish accents, for e-mail addresses and audit variants.
pub fn ascii(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'á' => 'a',
            'é' => 'e',
            'í' => 'i',
            'ó' => 'o',
            'ú' | 'ü' => 'u',
            'ñ' => 'n',
            'Á' => 'A',
            'É' => 'E',
            'Í' => 'I',
            'Ó' => 'O',
            'Ú' => 'U',
            'Ñ' => 'N',
            other => other,
        })
        .collect()
}
