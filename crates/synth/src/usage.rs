//! How the CRM's own users use it: logins and record edits on working days, reports
//! viewed, exports. Some users drift away months before `now`, for the adoption report.

use crate::clock::{Clock, office_hours};
use chrono::{Datelike, NaiveDateTime, TimeDelta, Weekday};
use embudo_model::Id;
use embudo_model::entities::UserEvent;
use embudo_model::labels::UserEventKind;
use embudo_store::{Batches, Result};
use rand::Rng;
use rand::distr::Distribution;
use rand_chacha::ChaCha8Rng;
use rand_distr::Poisson;

const ENTITIES: [&str; 4] = ["contact", "deal", "company", "activity"];

/// Simulates users one after the other, numbering their events.
pub struct Usage {
    rng: ChaCha8Rng,
    last_id: Id,
    /// Records edited are drawn from ids up to this.
    max_entity_id: Id,
}

impl Usage {
    pub fn new(rng: ChaCha8Rng, max_entity_id: usize) -> Usage {
        Usage {
            rng,
            last_id: 0,
            max_entity_id: max_entity_id.max(2) as Id,
        }
    }

    /// Write one user's events over the whole history; a user who `lapses` stops
    /// logging in between 100 and 400 days before `now`. Returns the last login.
    pub fn simulate(
        &mut self,
        clock: &Clock,
        user_id: Id,
        lapses: bool,
        out: &mut Batches,
    ) -> Result<Option<NaiveDateTime>> {
        let rng = &mut self.rng;
        let days = (clock.now - clock.start).num_days();
        let diligence = rng.random_range(0.35..0.95);
        let last_day = if lapses {
            days - rng.random_range(100..400)
        } else {
            days
        };
        let edits = Poisson::new(3.0 + 4.0 * diligence).expect("positive mean");
        let mut last_login = None;
        for day in 0..=last_day {
            let date = clock.start + TimeDelta::days(day);
            if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) || !rng.random_bool(diligence)
            {
                continue;
            }
            let login = office_hours(date, rng);
            if !clock.is_past(login) {
                continue;
            }
            last_login = Some(login);
            let mut events = vec![(UserEventKind::Login, login, None)];
            for _ in 0..edits.sample(rng) as usize {
                let kind = if rng.random_bool(0.3) {
                    UserEventKind::RecordCreated
                } else {
                    UserEventKind::RecordUpdated
                };
                let entity = (
                    ENTITIES[rng.random_range(0..ENTITIES.len())],
                    rng.random_range(1..self.max_entity_id),
                );
                events.push((
                    kind,
                    login + TimeDelta::minutes(rng.random_range(1..480)),
                    Some(entity),
                ));
            }
            if rng.random_bool(0.2) {
                events.push((
                    UserEventKind::ReportViewed,
                    login + TimeDelta::minutes(rng.random_range(1..480)),
                    None,
                ));
            }
            if rng.random_bool(0.02) {
                events.push((
                    UserEventKind::Export,
                    login + TimeDelta::minutes(rng.random_range(1..480)),
                    None,
                ));
            }
            for (event, occurred_at, entity) in events {
                // Work late in the day may spill past `now` on its last day.
                if !clock.is_past(occurred_at) {
                    continue;
                }
                self.last_id += 1;
                out.put(&UserEvent {
                    id: self.last_id,
                    user_id,
                    event,
                    entity: entity.map(|(e, _)| e.to_owned()),
                    entity_id: entity.map(|(_, i)| i),
                    occurred_at,
                })?;
            }
        }
        Ok(last_login)
    }
}
