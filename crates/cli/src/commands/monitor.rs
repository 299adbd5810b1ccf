//! `embudo schedule`, `embudo alert` and `embudo watch`: monitoring from the command line.

use crate::cli::{AlertCommand, DeliveryArgs, ScheduleCommand, WatchArgs};
use crate::config::Config;
use anyhow::{Result, bail};
use chrono::NaiveDateTime;
use embudo_model::Table;
use embudo_monitor::action;
use embudo_monitor::alert::{self, Rule};
use embudo_monitor::cadence::Cadence;
use embudo_monitor::listing::{self, targets};
use embudo_monitor::schedule::{self, Schedule};
use embudo_monitor::watch::{self, Pass, Watch};
use embudo_store::Store;
use serde_json::json;
use std::collections::BTreeMap;

pub fn schedule(config: &Config, command: &ScheduleCommand) -> Result<()> {
    match command {
        ScheduleCommand::Add {
            name,
            report,
            pack,
            saved,
            filters,
            delivery,
            attach,
        } => {
            let store = Store::open(&config.db)?;
            let schedule = Schedule {
                name: name.clone(),
                report: match (pack, saved) {
                    (true, _) => "all".into(),
                    (false, Some(saved)) => format!("{}{saved}", schedule::SAVED),
                    (false, None) => report.clone().unwrap_or_default(),
                },
                filters: pairs(filters)?,
                cadence: cadence(delivery)?,
                recipients: delivery.to.clone(),
                webhook: delivery.webhook.clone(),
                format: attach.parse()?,
                created_at: chrono::Utc::now().naive_utc(),
            };
            schedule.add(&store)?;
            warn_without_smtp(config, &schedule.recipients);
            super::hint(
                config,
                format_args!(
                    "schedule {name} added: {}, {}; first due {}",
                    schedule.cadence.describe(),
                    targets(&schedule.recipients, schedule.webhook.as_deref()),
                    first_due(config, &schedule.cadence, schedule.created_at)
                ),
            );
            Ok(())
        }
        ScheduleCommand::List => {
            let store = Store::open_read_only(&config.db)?;
            crate::output::print(&listing::schedules(&store)?, config.format)
        }
        ScheduleCommand::Rm { name } => removed(config, "schedule", name, schedule::remove),
        ScheduleCommand::Run { name, now } => {
            let store = Store::open(&config.db)?;
            let Some(found) = schedule::get(&store, name)? else {
                bail!("no schedule '{name}'; `embudo schedule list` shows them");
            };
            let now = instant(now.as_deref())?;
            let pass = watch::run_schedule(&watcher(config, &store), &found, now)?;
            report_pass(config, &pass)
        }
    }
}

pub fn alert(config: &Config, command: &AlertCommand) -> Result<()> {
    match command {
        AlertCommand::Add {
            name,
            when,
            filters,
            by,
            delivery,
            cooldown,
        } => {
            let store = Store::open(&config.db)?;
            let now = chrono::Utc::now().naive_utc();
            let rule = Rule {
                name: name.clone(),
                condition: when.parse()?,
                filters: pairs(filters)?,
                by: by.as_deref().map(str::parse).transpose()?,
                cadence: cadence(delivery)?,
                recipients: delivery.to.clone(),
                webhook: delivery.webhook.clone(),
                cooldown: alert::parse_cooldown(cooldown)?,
                created_at: now,
                firing: false,
                last_fired_at: None,
                last_period: None,
                firing_on: Vec::new(),
            };
            rule.add(&store, &config.calendar, now)?;
            warn_without_smtp(config, &rule.recipients);
            super::hint(
                config,
                format_args!(
                    "alert {name} added: {} — judged {}, {}; first judged {} (`embudo alert test {name}` judges it now)",
                    rule.when(),
                    rule.cadence.describe(),
                    targets(&rule.recipients, rule.webhook.as_deref()),
                    first_due(config, &rule.cadence, now)
                ),
            );
            Ok(())
        }
        AlertCommand::List => {
            let store = Store::open_read_only(&config.db)?;
            crate::output::print(&listing::alerts(&store)?, config.format)
        }
        AlertCommand::Rm { name } => removed(config, "alert", name, alert::remove),
        AlertCommand::Act { name, due_in_days } => {
            let store = Store::open(&config.db)?;
            let Some(rule) = alert::get(&store, name)? else {
                bail!("no alert '{name}'; `embudo alert list` shows them");
            };
            let now = chrono::Utc::now().naive_utc();
            let done = action::follow_up(&store, &rule, now, chrono::Duration::days(*due_in_days))?;
            super::hint(
                config,
                format_args!(
                    "action {}: {} follow-up tasks created ({} stale deals have no owner); `embudo alert undo {}` removes them",
                    done.id,
                    done.tasks.len(),
                    done.unowned,
                    done.id
                ),
            );
            Ok(())
        }
        AlertCommand::Undo { journal_id } => {
            let store = Store::open(&config.db)?;
            let (removed, kept) =
                action::undo(&store, *journal_id, chrono::Utc::now().naive_utc())?;
            super::hint(
                config,
                format_args!(
                    "action {journal_id} undone: {removed} tasks removed, {kept} already done kept"
                ),
            );
            Ok(())
        }
        AlertCommand::Test { name, now } => {
            let store = Store::open_read_only(&config.db)?;
            let Some(rule) = alert::get(&store, name)? else {
                bail!("no alert '{name}'; `embudo alert list` shows them");
            };
            let judgement =
                watch::test_rule(&watcher(config, &store), &rule, instant(now.as_deref())?)?;
            crate::output::print(
                &Table {
                    columns: [
                        "alert", "when", "from", "to", "value", "previous", "measure", "holds",
                        "says",
                    ]
                    .map(String::from)
                    .to_vec(),
                    rows: vec![vec![
                        json!(rule.name),
                        json!(rule.when()),
                        json!(judgement.period.from),
                        json!(judgement.period.last_day()),
                        json!(judgement.value),
                        json!(judgement.previous),
                        json!(judgement.measure),
                        json!(judgement.holds),
                        json!(watch::alert_text(&rule, &judgement)),
                    ]],
                },
                config.format,
            )
        }
    }
}

pub fn watch(config: &Config, args: &WatchArgs) -> Result<()> {
    let store = Store::open(&config.db)?;
    let pass = watch::run_due(&watcher(config, &store), instant(args.now.as_deref())?)?;
    report_pass(config, &pass)
}

fn watcher<'a>(config: &'a Config, store: &'a Store) -> Watch<'a> {
    Watch {
        store,
        calendar: &config.calendar,
        settings: &config.delivery,
        lang: &config.lang,
        sleep: &std::thread::sleep,
    }
}

/// The first tick after `added` (UTC), in the store's local time: nothing is owed before.
fn first_due(config: &Config, cadence: &Cadence, added: NaiveDateTime) -> String {
    let next = cadence.next_tick(config.calendar.to_local(added));
    format!("{} (local time)", next.format("%Y-%m-%d %H:%M"))
}

/// Warn when e-mails have nowhere to go yet.
fn warn_without_smtp(config: &Config, recipients: &[String]) {
    if config.delivery.smtp.is_none() && !recipients.is_empty() {
        super::hint(
            config,
            "note: no SMTP server is configured ([smtp] in embudo.toml, or EMBUDO_SMTP_HOST): e-mails will fail, journaled, until one is",
        );
    }
}

/// Say what a pass did; a failed delivery makes the exit code 1.
fn report_pass(config: &Config, pass: &Pass) -> Result<()> {
    super::hint(
        config,
        format_args!(
            "{} sent, {} failed after retries; alerts fired: {}; cleared: {}",
            pass.sent,
            pass.failed,
            list_or_none(&pass.fired),
            list_or_none(&pass.cleared)
        ),
    );
    for error in &pass.errors {
        super::hint(config, format_args!("alert not judged: {error}"));
    }
    if pass.failed > 0 {
        bail!(
            "{} deliveries failed: `embudo sql \"SELECT * FROM deliveries WHERE outcome = 'failed'\"` says why",
            pass.failed
        );
    }
    Ok(())
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

fn cadence(delivery: &DeliveryArgs) -> Result<Cadence> {
    Ok(Cadence::new(
        &delivery.every,
        Some(&delivery.at),
        delivery.weekday.as_deref(),
    )?)
}

/// `field=value` flags as a map.
fn pairs(flags: &[String]) -> Result<BTreeMap<String, String>> {
    flags
        .iter()
        .map(|flag| match flag.split_once('=') {
            Some((field, value)) if !field.trim().is_empty() => {
                Ok((field.trim().to_owned(), value.trim().to_owned()))
            }
            _ => bail!("--filter '{flag}': write FIELD=VALUE, e.g. team=East"),
        })
        .collect()
}

fn removed(
    config: &Config,
    kind: &str,
    name: &str,
    remove: fn(&Store, &str) -> Result<bool, embudo_monitor::MonitorError>,
) -> Result<()> {
    if !remove(&Store::open(&config.db)?, name)? {
        bail!("no {kind} '{name}'; `embudo {kind} list` shows them");
    }
    super::hint(config, format_args!("{kind} {name} removed"));
    Ok(())
}

/// `--now`, or the clock.
fn instant(now: Option<&str>) -> Result<NaiveDateTime> {
    match now {
        Some(text) => crate::config::parse_timestamp(text).map_err(anyhow::Error::msg),
        None => Ok(chrono::Utc::now().naive_utc()),
    }
}
