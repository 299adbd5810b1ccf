//! The simulation's shared state: the clock, the random streams and what earlier steps
//! decided that later steps build on (who the reps are, which contacts became customers…).

use crate::clock::Clock;
use crate::params::{Params, Sizes};
use crate::truth::Truth;
use chrono::NaiveDateTime;
use embudo_model::Id;
use embudo_model::labels::{CampaignChannel, LeadSource};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Independent random streams, one per part of the simulation, so that a change to how
/// one table is generated does not reshuffle every other table.
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
pub enum Stream {
    Org = 1,
    Companies,
    Contacts,
    Deals,
    Activities,
    Orders,
    Subscriptions,
    Tickets,
    Calls,
    Surveys,
    WebVisits,
    CampaignEvents,
    Lists,
    Usage,
    Defects,
    Offline,
}

/// A CRM user as the simulation sees them.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: Id,
    /// Selling skill, added to the log-odds of every deal the user owns.
    pub skill: f64,
    pub team_id: Option<Id>,
}

/// A pipeline's stages in order.
#[derive(Debug, Clone)]
pub struct PipelinePlan {
    pub id: Id,
    /// Open stages, in order: (stage id, probability).
    pub open: Vec<(Id, f64)>,
    pub won: Id,
    pub lost: Id,
    /// The open stage where proposals are sent.
    pub proposal: Id,
    /// Typical days from creation to a win.
    pub cycle_days: f64,
}

/// A product and what sells it.
#[derive(Debug, Clone)]
pub struct ProductPlan {
    pub id: Id,
    pub name: &'static str,
    pub line: &'static str,
    pub list_price: f64,
    pub unit_cost: Option<f64>,
    /// Sold as a yearly subscription.
    pub recurring: bool,
    /// How much longer than usual a deal for this product takes.
    pub cycle_factor: f64,
}

#[derive(Debug, Clone)]
pub struct CampaignPlan {
    pub id: Id,
    pub channel: CampaignChannel,
    pub launched_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct CompanyPlan {
    pub id: Id,
    /// The name without its legal suffix.
    pub name: String,
    pub country: usize,
    pub domain: String,
    pub owner_id: Id,
}

/// A contact before it is written: later steps fill in what happened to it.
#[derive(Debug, Clone)]
pub struct ContactPlan {
    pub id: Id,
    pub created_at: NaiveDateTime,
    pub source: LeadSource,
    pub lead_at: Option<NaiveDateTime>,
    /// Index into `World::companies`.
    pub company: Option<usize>,
    pub owner: usize,
    pub first_name: usize,
    pub last_name: usize,
    pub country: usize,
    pub first_campaign_id: Option<Id>,
    /// First revenue: a won deal or an order.
    pub customer_at: Option<NaiveDateTime>,
    pub has_open_deal: bool,
    pub has_lost_deal: bool,
    pub referred_by: Option<Id>,
    /// The last time anything happened to the contact, for `updated_at`.
    pub last_touched: NaiveDateTime,
}

/// A ticket, kept for linking calls and surveys to it.
#[derive(Debug, Clone, Copy)]
pub struct TicketRef {
    pub id: Id,
    pub contact_id: Id,
    pub opened_at: NaiveDateTime,
}

/// Next free id of each table.
#[derive(Debug, Default)]
pub struct Ids {
    pub deal: Id,
    pub stage_visit: Id,
    pub deal_change: Id,
    pub activity: Id,
    pub order: Id,
    pub order_line: Id,
    pub subscription: Id,
}

impl Ids {
    pub fn next(counter: &mut Id) -> Id {
        *counter += 1;
        *counter
    }
}

#[derive(Debug)]
pub struct World {
    pub params: Params,
    pub sizes: Sizes,
    pub clock: Clock,
    pub truth: Truth,
    pub ids: Ids,
    pub reps: Vec<Person>,
    pub agents: Vec<Person>,
    pub users: Vec<Person>,
    pub teams: Vec<Id>,
    pub pipelines: Vec<PipelinePlan>,
    pub products: Vec<ProductPlan>,
    pub campaigns: Vec<CampaignPlan>,
    pub companies: Vec<CompanyPlan>,
    pub contacts: Vec<ContactPlan>,
    pub tickets: Vec<TicketRef>,
    /// Revenue won per calendar quarter (year × 4 + quarter index), for setting goals.
    pub revenue_by_quarter: std::collections::BTreeMap<i32, f64>,
}

impl World {
    pub fn new(params: &Params) -> World {
        let clock = Clock::new(params.now);
        World {
            truth: Truth::new(params, clock.now),
            params: params.clone(),
            sizes: params.scale.sizes(),
            clock,
            ids: Ids::default(),
            reps: Vec::new(),
            agents: Vec::new(),
            users: Vec::new(),
            teams: Vec::new(),
            pipelines: Vec::new(),
            products: Vec::new(),
            campaigns: Vec::new(),
            companies: Vec::new(),
            contacts: Vec::new(),
            tickets: Vec::new(),
            revenue_by_quarter: Default::default(),
        }
    }

    /// The random stream `stream` of this run.
    pub fn rng(&self, stream: Stream) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.params.seed);
        rng.set_stream(stream as u64);
        rng
    }

    pub fn into_truth(self) -> Truth {
        self.truth
    }
}

/// Moments of customer time: a contact drawn in proportion to how long they have been a
/// customer, and an instant of that time. Repeat business drawn this way follows the size
/// of the customer base; drawing customers uniformly instead would crowd the recent
/// customers' purchases into a few months and make revenue soar towards `now`.
#[derive(Debug)]
pub struct CustomerTime {
    /// (contact index, customer since), in contact order.
    customers: Vec<(usize, NaiveDateTime)>,
    /// Running total of tenure seconds up to and including each customer.
    cumulative: Vec<f64>,
    now: NaiveDateTime,
}

impl CustomerTime {
    /// Customers (contacts with `customer_at`), from `delay_days` after they became one;
    /// `None` when there are none.
    pub fn new(world: &World, delay_days: f64) -> Option<CustomerTime> {
        let now = world.clock.now;
        let mut total = 0.0;
        let mut customers = Vec::new();
        let mut cumulative = Vec::new();
        for (index, contact) in world.contacts.iter().enumerate() {
            let Some(at) = contact.customer_at else {
                continue;
            };
            let since = crate::clock::after_days(at, delay_days);
            let tenure = (now - since).num_seconds();
            if tenure > 0 {
                total += tenure as f64;
                customers.push((index, since));
                cumulative.push(total);
            }
        }
        (total > 0.0).then_some(CustomerTime {
            customers,
            cumulative,
            now,
        })
    }

    /// A customer and an instant of their tenure, uniformly over all customer time.
    pub fn sample(&self, rng: &mut impl rand::Rng) -> (usize, NaiveDateTime) {
        let total = *self.cumulative.last().expect("at least one customer");
        let x = rng.random::<f64>() * total;
        let i = self
            .cumulative
            .partition_point(|&c| c <= x)
            .min(self.customers.len() - 1);
        let (index, since) = self.customers[i];
        let before = if i == 0 { 0.0 } else { self.cumulative[i - 1] };
        let at = since + chrono::TimeDelta::seconds((x - before) as i64);
        (index, at.min(self.now - chrono::TimeDelta::seconds(1)))
    }
}
