//! The generator: a believable business simulated over the three years before `now`.
//!
//! `embudo generate` fills every canonical table so that every metric has something real
//! to measure, deterministically (same seed, scale and `now`, same rows), with data defects
//! at a known rate and a ground-truth file saying what the simulation really did.
//!
//! - [`params`]: what to generate ([`Params`], [`Scale`]) and the true rates used.
//! - [`world`]: the simulation's shared state and its random streams.
//! - `clock`: time: seasonality, growth, business hours.
//! - `org`: teams, users, products, pipelines and campaigns.
//! - `usage`: how the users use the CRM (logins, edits, exports).
//! - `accounts`: companies and contacts.
//! - `sales`: deals with their stage history, changes and activities.
//! - `revenue`: orders and subscriptions.
//! - `service`: tickets, service calls and surveys.
//! - `engagement`: web visits, campaign events, list subscriptions and goals.
//! - `defects`: the deliberate errors and the duplicate records.
//! - `offline`: contacts from sources without e-mail or phone, entered more than once.
//! - [`truth`]: the ground-truth file.
//! - `vocab`: word lists.

mod accounts;
mod clock;
mod defects;
mod engagement;
mod offline;
mod org;
pub mod params;
mod revenue;
mod sales;
mod service;
pub mod truth;
mod usage;
mod vocab;
pub mod world;

pub use params::{Params, Scale, Sizes};
pub use truth::Truth;

use embudo_store::bulk::LoadMode;
use embudo_store::{Batches, Result, Store};

/// Generate the business of `params` straight into `store`, in one transaction and without
/// progress: what tests and tools that just need a store full of data call.
pub fn fill(store: &mut Store, params: &Params) -> Result<Truth> {
    let (truth, _) = store.load(LoadMode::Append, |out| generate(params, out), |_| {})?;
    Ok(truth)
}

/// Simulate the business described by `params`, handing every row to `out`, and return
/// the ground truth.
pub fn generate(params: &Params, out: &mut Batches) -> Result<Truth> {
    let mut world = world::World::new(params);
    org::generate(&mut world, out)?;
    accounts::companies(&mut world, out)?;
    accounts::plan(&mut world);
    sales::generate(&mut world, out)?;
    revenue::generate(&mut world, out)?;
    accounts::write(&mut world, out)?;
    service::generate(&mut world, out)?;
    engagement::generate(&mut world, out)?;
    Ok(world.into_truth())
}
