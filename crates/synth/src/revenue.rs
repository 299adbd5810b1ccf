//! Orders (purchases outside the pipeline) and subscriptions with their renewals.

use crate::clock::{after_days, office_hours};
use crate::params::{DEAL_CONVERSION_SHARE, SOURCES};
use crate::world::{CustomerTime, Ids, Stream, World};
use chrono::{Datelike, NaiveDateTime};
use embudo_model::entities::*;
use embudo_model::{Id, Money};
use embudo_store::{Batches, Result};
use rand::Rng;
use rand::distr::Distribution;
use rand_chacha::ChaCha8Rng;
use rand_distr::Exp;

/// Subscription terms last a year.
const TERM_DAYS: f64 = 365.0;
const RENEWAL_RATE: f64 = 0.82;
const MID_TERM_CANCELLATION: f64 = 0.04;

pub fn generate(world: &mut World, out: &mut Batches) -> Result<()> {
    orders(world, out)?;
    subscriptions(world, out)
}

/// First orders that turn leads into customers without a deal, then repeat orders.
fn orders(world: &mut World, out: &mut Batches) -> Result<()> {
    let mut rng = world.rng(Stream::Orders);
    let delay = Exp::new(1.0 / 14.0).expect("valid rate");
    let mut first_orders = 0;
    for index in 0..world.contacts.len() {
        let contact = &world.contacts[index];
        let (Some(lead_at), None) = (contact.lead_at, contact.customer_at) else {
            continue;
        };
        let conversion = SOURCES
            .iter()
            .find(|s| s.0 == contact.source)
            .expect("listed")
            .2;
        // Of all conversions, the share not made by deals; deals already converted
        // DEAL_CONVERSION_SHARE × conversion of the leads.
        let through_deals = DEAL_CONVERSION_SHARE * conversion;
        let by_order = (conversion - through_deals) / (1.0 - through_deals);
        if !rng.random_bool(by_order) {
            continue;
        }
        let at = office_hours(after_days(lead_at, delay.sample(&mut rng)), &mut rng);
        if !world.clock.is_past(at) {
            continue;
        }
        let campaign_id = contact.first_campaign_id;
        order(world, index, at, campaign_id, &mut rng, out)?;
        let contact = &mut world.contacts[index];
        contact.customer_at = Some(at);
        contact.last_touched = contact.last_touched.max(at);
        first_orders += 1;
    }
    let Some(customer_time) = CustomerTime::new(world, 0.0) else {
        return Ok(());
    };
    for _ in first_orders..world.sizes.orders {
        let (index, at) = customer_time.sample(&mut rng);
        let at = office_hours(at, &mut rng);
        if world.clock.is_past(at)
            && at > world.contacts[index].customer_at.expect("customers only")
        {
            order(world, index, at, None, &mut rng, out)?;
        }
    }
    Ok(())
}

/// One order of one to three lines of add-ons, services or hardware.
fn order(
    world: &mut World,
    contact: usize,
    at: NaiveDateTime,
    campaign_id: Option<Id>,
    rng: &mut ChaCha8Rng,
    out: &mut Batches,
) -> Result<()> {
    let order_id = Ids::next(&mut world.ids.order);
    let plan = &world.contacts[contact];
    out.put(&Order {
        id: order_id,
        contact_id: Some(plan.id),
        company_id: plan.company.map(|c| world.companies[c].id),
        campaign_id,
        ordered_at: at,
        currency: "USD".to_owned(),
        provenance: Provenance::default(),
        deleted_at: None,
    })?;
    let mut total = 0.0;
    for _ in 0..rng.random_range(1..4) {
        // Products after the three platform tiers: services, add-ons and hardware.
        let product = world.products[rng.random_range(3..world.products.len())].clone();
        let quantity = rng.random_range(1..6);
        let unit_price =
            Money::from_f64((product.list_price * rng.random_range(0.85..1.0)).round());
        total += unit_price.as_f64() * f64::from(quantity);
        out.put(&OrderLine {
            id: Ids::next(&mut world.ids.order_line),
            order_id,
            product_id: Some(product.id),
            quantity,
            unit_price,
            unit_cost: product.unit_cost.map(Money::from_f64),
        })?;
    }
    let quarter = at.year() * 4 + (at.month0() / 3) as i32;
    *world.revenue_by_quarter.entry(quarter).or_default() += total;
    Ok(())
}

/// Most customers hold a yearly subscription: each term renews into the next,
/// lapses, or is cancelled part-way.
fn subscriptions(world: &mut World, out: &mut Batches) -> Result<()> {
    let mut rng = world.rng(Stream::Subscriptions);
    let now = world.clock.now;
    let recurring: Vec<usize> = (0..world.products.len())
        .filter(|&p| world.products[p].recurring)
        .collect();
    for index in 0..world.contacts.len() {
        let contact = &world.contacts[index];
        let Some(since) = contact.customer_at else {
            continue;
        };
        if !rng.random_bool(0.7) {
            continue;
        }
        let product = world.products[recurring[rng.random_range(0..recurring.len())]].clone();
        let contact_id = contact.id;
        let company_id = contact.company.map(|c| world.companies[c].id);
        let mrr = Money::from_f64((product.list_price / 12.0 * rng.random_range(0.8..1.2)).round());
        let mut started_at = since;
        loop {
            let ends_at = after_days(started_at, TERM_DAYS);
            let mut term = Subscription {
                id: Ids::next(&mut world.ids.subscription),
                contact_id: Some(contact_id),
                company_id,
                product_id: Some(product.id),
                started_at,
                ends_at,
                renewed_at: None,
                cancelled_at: None,
                mrr,
            };
            let cancelled = world.clock.between(started_at, ends_at, &mut rng);
            let renews = rng.random_bool(RENEWAL_RATE);
            if rng.random_bool(MID_TERM_CANCELLATION) {
                term.cancelled_at = (cancelled < now).then_some(cancelled);
            } else if renews && ends_at < now {
                term.renewed_at = Some(after_days(ends_at, -rng.random_range(0.0..20.0)));
            }
            out.put(&term)?;
            if term.renewed_at.is_none() {
                break;
            }
            started_at = ends_at;
        }
    }
    Ok(())
}
