//! Customer service: tickets with SLA targets, call-centre calls, and surveys.

use crate::clock::{after_hours, office_hours};
use crate::world::{CustomerTime, Stream, TicketRef, World};
use chrono::{NaiveDateTime, TimeDelta};
use embudo_model::Id;
use embudo_model::entities::*;
use embudo_model::labels::*;
use embudo_store::{Batches, Result};
use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand_chacha::ChaCha8Rng;
use rand_distr::LogNormal;

pub fn generate(world: &mut World, out: &mut Batches) -> Result<()> {
    tickets(world, out)?;
    calls(world, out)?;
    surveys(world, out)
}

/// A contact and a moment to act on: customer time when there are customers, any
/// contact after its creation otherwise.
fn moment(
    world: &World,
    customers: Option<&CustomerTime>,
    rng: &mut ChaCha8Rng,
) -> (usize, NaiveDateTime) {
    match customers {
        Some(customers) => customers.sample(rng),
        None => {
            let index = rng.random_range(0..world.contacts.len());
            let since = world.contacts[index].created_at;
            (index, world.clock.between(since, world.clock.now, rng))
        }
    }
}

fn agent(world: &World, rng: &mut ChaCha8Rng) -> Id {
    world.agents[rng.random_range(0..world.agents.len())].id
}

/// (priority, share, SLA hours, median resolution hours)
const PRIORITIES: [(Priority, f64, f64, f64); 4] = [
    (Priority::Low, 0.2, 72.0, 30.0),
    (Priority::Normal, 0.5, 24.0, 9.0),
    (Priority::High, 0.22, 8.0, 3.5),
    (Priority::Urgent, 0.08, 4.0, 1.6),
];

fn tickets(world: &mut World, out: &mut Batches) -> Result<()> {
    let mut rng = world.rng(Stream::Tickets);
    let customers = CustomerTime::new(world, 0.0);
    let channels = [
        TicketChannel::Email,
        TicketChannel::Phone,
        TicketChannel::Chat,
        TicketChannel::Web,
    ];
    let channel_pick = WeightedIndex::new([0.4, 0.25, 0.25, 0.1]).expect("valid weights");
    let kinds = [
        TicketType::Question,
        TicketType::Problem,
        TicketType::Request,
        TicketType::Complaint,
    ];
    let kind_pick = WeightedIndex::new([0.4, 0.35, 0.15, 0.1]).expect("valid weights");
    let priority_pick = WeightedIndex::new(PRIORITIES.iter().map(|p| p.1)).expect("valid weights");
    let spread = LogNormal::new(0.0, 0.9).expect("valid lognormal");
    let response = LogNormal::new(0.0, 1.0).expect("valid lognormal");
    let work = LogNormal::new((20.0_f64 * 60.0).ln(), 0.8).expect("valid lognormal");
    let now = world.clock.now;
    for i in 0..world.sizes.tickets {
        let id = i as Id + 1;
        let (index, at) = moment(world, customers.as_ref(), &mut rng);
        let contact = &world.contacts[index];
        let since = contact.customer_at.unwrap_or(contact.created_at);
        let opened_at = office_hours(at, &mut rng);
        let opened_at = if opened_at < since || opened_at >= now {
            at
        } else {
            opened_at
        };
        let (priority, _, sla_hours, median) = PRIORITIES[priority_pick.sample(&mut rng)];
        let kind = kinds[kind_pick.sample(&mut rng)];
        let complaint_factor = if kind == TicketType::Complaint {
            1.6
        } else {
            1.0
        };
        let hours = median * complaint_factor * spread.sample(&mut rng);
        let resolved = after_hours(opened_at, hours);
        let resolved_at = (resolved < now).then_some(resolved);
        let first = after_hours(opened_at, (hours * 0.5).min(response.sample(&mut rng)));
        let breached = hours > sla_hours;
        let csat = (resolved_at.is_some() && rng.random_bool(0.55)).then(|| {
            let base: i16 = if breached {
                rng.random_range(1..5)
            } else {
                rng.random_range(3..6)
            };
            base
        });
        let company_id = contact.company.map(|c| world.companies[c].id);
        let contact_id = contact.id;
        world.tickets.push(TicketRef {
            id,
            contact_id,
            opened_at,
        });
        out.put(&Ticket {
            id,
            contact_id: Some(contact_id),
            company_id,
            agent_id: Some(agent(world, &mut rng)),
            channel: channels[channel_pick.sample(&mut rng)],
            kind,
            priority,
            opened_at,
            first_response_at: (first < now).then_some(first),
            resolved_at,
            sla_due_at: Some(after_hours(opened_at, sla_hours)),
            work_seconds: resolved_at.map(|_| work.sample(&mut rng) as i32),
            csat,
        })?;
    }
    Ok(())
}

/// Calls queued at the call centre: most inbound, some abandoned, some call-backs.
fn calls(world: &mut World, out: &mut Batches) -> Result<()> {
    let mut rng = world.rng(Stream::Calls);
    let customers = CustomerTime::new(world, 0.0);
    let handle = LogNormal::new(300.0_f64.ln(), 0.6).expect("valid lognormal");
    let wait = LogNormal::new(45.0_f64.ln(), 0.9).expect("valid lognormal");
    for i in 0..world.sizes.service_calls {
        let (contact_id, ticket_id, queued_at) =
            if !world.tickets.is_empty() && rng.random_bool(0.35) {
                let ticket = world.tickets[rng.random_range(0..world.tickets.len())];
                let at = ticket.opened_at + TimeDelta::minutes(rng.random_range(0..600));
                (ticket.contact_id, Some(ticket.id), at)
            } else {
                let (index, at) = moment(world, customers.as_ref(), &mut rng);
                (world.contacts[index].id, None, office_hours(at, &mut rng))
            };
        if !world.clock.is_past(queued_at) {
            continue;
        }
        let is_callback = rng.random_bool(0.06);
        let direction = if is_callback || rng.random_bool(0.15) {
            CallDirection::Outbound
        } else {
            CallDirection::Inbound
        };
        let waited = wait.sample(&mut rng);
        // Longer waits are abandoned more often.
        let abandoned =
            direction == CallDirection::Inbound && rng.random_bool((waited / 1500.0).min(0.5));
        let (answered_at, handle_seconds, ended_at) = if abandoned {
            (None, None, queued_at + TimeDelta::seconds(waited as i64))
        } else {
            let answered = queued_at + TimeDelta::seconds(waited as i64);
            let seconds = handle.sample(&mut rng) as i32;
            (
                Some(answered),
                Some(seconds),
                answered + TimeDelta::seconds(i64::from(seconds)),
            )
        };
        out.put(&ServiceCall {
            id: i as Id + 1,
            agent_id: answered_at.map(|_| agent(world, &mut rng)),
            contact_id: Some(contact_id),
            ticket_id,
            direction,
            queued_at,
            answered_at,
            ended_at: Some(ended_at),
            handle_seconds,
            is_callback,
        })?;
    }
    Ok(())
}

/// NPS surveys of customers, and CSAT surveys after some tickets.
fn surveys(world: &mut World, out: &mut Batches) -> Result<()> {
    let mut rng = world.rng(Stream::Surveys);
    let mut id = 0;
    let nps_pick = WeightedIndex::new([1.0, 0.5, 0.5, 0.8, 1.0, 1.5, 2.5, 6.0, 9.0, 12.0, 10.0])
        .expect("valid weights");
    // About one NPS answer per customer over the history, spread over customer time.
    if let Some(customers) = CustomerTime::new(world, 0.0) {
        let answers = world
            .contacts
            .iter()
            .filter(|c| c.customer_at.is_some())
            .count();
        for _ in 0..answers {
            let (index, at) = customers.sample(&mut rng);
            let at = office_hours(at, &mut rng);
            if !world.clock.is_past(at)
                || at < world.contacts[index].customer_at.expect("customers only")
            {
                continue;
            }
            id += 1;
            out.put(&Survey {
                id,
                contact_id: Some(world.contacts[index].id),
                kind: SurveyKind::Nps,
                score: nps_pick.sample(&mut rng) as i16,
                responded_at: at,
            })?;
        }
    }
    let csat_pick = WeightedIndex::new([0.05, 0.07, 0.15, 0.35, 0.38]).expect("valid weights");
    for ticket in &world.tickets {
        if !rng.random_bool(0.2) {
            continue;
        }
        let at = ticket.opened_at + TimeDelta::hours(rng.random_range(4..96));
        if !world.clock.is_past(at) {
            continue;
        }
        id += 1;
        out.put(&Survey {
            id,
            contact_id: Some(ticket.contact_id),
            kind: SurveyKind::Csat,
            score: csat_pick.sample(&mut rng) as i16 + 1,
            responded_at: at,
        })?;
    }
    Ok(())
}
