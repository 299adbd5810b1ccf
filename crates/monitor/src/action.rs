//! Corrective actions taken from an alert: for a rule on stale deals or on deals whose win
//! probability fell, one follow-up task per deal behind it, for the deal's owner, who is
//! told in their notifications. Each action is one transaction, journaled in
//! `action_journal`, and undone exactly by its journal id.

use crate::MonitorError;
use crate::alert::{Rule, Subject, within};
use crate::notify;
use chrono::{Duration, NaiveDateTime};
use embudo_store::Store;
use embudo_store::monitor::FollowUpTask;
use serde::Serialize;
use std::collections::BTreeMap;

/// What an action did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    /// Its journal id, for `embudo alert undo`.
    pub id: i64,
    pub rule: String,
    /// The tasks created, one per stale deal with an owner.
    pub tasks: Vec<i64>,
    /// Stale deals without an owner, left without a task.
    pub unowned: usize,
}

/// Create a follow-up task, due `due_in` after `now`, for the owner of each deal behind
/// `rule` at `now`.
pub fn follow_up(
    store: &Store,
    rule: &Rule,
    now: NaiveDateTime,
    due_in: Duration,
) -> Result<Action, MonitorError> {
    // Each deal behind the rule: (id, owner, what the task says).
    let deals: Vec<(i64, Option<i64>, String)> = match rule.condition.subject() {
        Subject::StaleDeals(days) => store
            .stale_deals(within(&rule.filters), now, days)?
            .into_iter()
            .map(|d| {
                let says = format!(
                    "Follow up: {} has been in {} for {} days",
                    d.name, d.stage, d.days
                );
                (d.id, d.owner_id, says)
            })
            .collect(),
        Subject::ProbabilityDrops(points) => store
            .probability_drops(within(&rule.filters), now, points)?
            .into_iter()
            .map(|d| {
                let says = format!(
                    "Follow up: {}'s chance of a win fell from {:.0}% to {:.0}%",
                    d.name,
                    d.before * 100.0,
                    d.after * 100.0
                );
                (d.id, d.owner_id, says)
            })
            .collect(),
        _ => {
            return Err(MonitorError::Invalid(format!(
                "{} is not about deals: only stale_deals and probability_drops rules have a follow-up action",
                rule.name
            )));
        }
    };
    store.transaction(true, || {
        let journal = store.next_id("action_journal")?;
        let owned = deals.iter().filter(|(_, owner, _)| owner.is_some()).count();
        let mut id = store.reserve_ids("activities", owned as u64)?;
        let mut tasks = Vec::new();
        let mut by_owner: BTreeMap<i64, Vec<(i64, &str)>> = BTreeMap::new();
        for (deal, owner, says) in &deals {
            let Some(owner) = *owner else {
                continue;
            };
            store.insert_follow_up_task(&FollowUpTask {
                id,
                owner_id: owner,
                deal_id: *deal,
                subject: says,
                due_at: now + due_in,
                created_at: now,
            })?;
            tasks.push(id);
            by_owner.entry(owner).or_default().push((*deal, says));
            id += 1;
        }
        tell_owners(store, &rule.name, journal, &by_owner, (now, due_in))?;
        let task_ids = serde_json::to_string(&tasks).expect("ids");
        store.journal_follow_up(journal, &rule.name, now, &task_ids)?;
        Ok(Action {
            id: journal,
            rule: rule.name.clone(),
            unowned: deals.len() - tasks.len(),
            tasks,
        })
    })
}

/// Tell each owner, in the product, of the tasks the action gave them.
fn tell_owners(
    store: &Store,
    rule: &str,
    journal: i64,
    by_owner: &BTreeMap<i64, Vec<(i64, &str)>>,
    (now, due_in): (NaiveDateTime, Duration),
) -> Result<(), MonitorError> {
    for (owner, tasks) in by_owner {
        let mut text = format!(
            "{rule}: {} follow-up tasks for you, due {}:",
            tasks.len(),
            (now + due_in).date()
        );
        for (_, says) in tasks {
            text.push_str("\n- ");
            text.push_str(says);
        }
        notify::tell(
            store,
            &[*owner],
            &notify::Message {
                rule,
                kind: notify::Kind::Tasks,
                period: &now.date().to_string(),
                text: &text,
                records: &notify::Records::of("deals", tasks.iter().map(|(deal, _)| *deal)),
                action: Some(journal),
            },
            now,
        )?;
    }
    Ok(())
}

/// Undo the action journaled as `id`: its tasks go, except those already completed (work
/// done is not erased), and so do the owners' notifications of them. Returns how many tasks
/// were removed and how many kept.
pub fn undo(store: &Store, id: i64, now: NaiveDateTime) -> Result<(usize, usize), MonitorError> {
    let Some(action) = store.journaled_action(id)? else {
        return Err(MonitorError::Invalid(format!(
            "no action {id}; `embudo sql \"SELECT * FROM action_journal\"` lists them"
        )));
    };
    if action.undone {
        return Err(MonitorError::Invalid(format!(
            "action {id} was undone already"
        )));
    }
    let tasks: Vec<i64> = action
        .activity_ids
        .as_deref()
        .and_then(|ids| serde_json::from_str(ids).ok())
        .unwrap_or_default();
    store.transaction(true, || {
        let mut removed = 0;
        for task in &tasks {
            removed += usize::from(store.delete_open_task(*task)?);
        }
        store.mark_action_undone(id, now)?;
        notify::withdraw_tasks(store, id)?;
        Ok((removed, tasks.len() - removed))
    })
}
