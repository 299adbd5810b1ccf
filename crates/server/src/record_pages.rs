//! `GET /deals/{id}`, `/contacts/{id}`, `/companies/{id}`: a record's own page, through
//! the visitor's scope like every read of the API. A record they may not see is not
//! found; a related record they may not see is neither linked nor counted.
//!
//! `GET /drill`: the rows behind a metric's figure (`embudo_metrics::plan::drill`), over
//! the records the visitor may see, each linked to its page.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::notices::visible;
use crate::pages::{PageError, Visitor};
use crate::records::{Columns, Selection, count, select};
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::NaiveDateTime;
use embudo_access::{Caller, Entity, Rows};
use embudo_metrics::Query;
use embudo_metrics::catalog::{Combine, Unit};
use embudo_metrics::plan::{self, QueryText};
use embudo_reports::i18n::value_label;
use embudo_reports::model::Kind;
use embudo_store::Store;
use embudo_store::names::Named;
use embudo_web::format;
use embudo_web::notices::Table;
use embudo_web::records::{self, Behind, Fact, Related, Shown};
use embudo_web::text::{say, word};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Rows a related list shows, newest first.
const RELATED_ROWS: usize = 20;

/// Rows the drill-down page lists, newest first.
const DRILL_ROWS: usize = 500;

/// What a page's builder reads with.
struct Reader<'a> {
    store: &'a Store,
    caller: &'a Caller,
    columns: &'a Columns,
    lang: &'a str,
    now: NaiveDateTime,
    users: HashMap<i64, String>,
}

/// The records that have a page of their own.
pub const PAGED: [Entity; 3] = [Entity::Deals, Entity::Contacts, Entity::Companies];

/// `GET /{deals|contacts|companies}/{id}`.
pub async fn show(
    entity: Entity,
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let caller = visitor.caller.clone();
    let columns = state.columns.clone();
    let lang = visitor.lang.clone();
    let now = state.now();
    let shown = state
        .db
        .read(move |store| {
            let reader = Reader {
                store,
                caller: &caller,
                columns: &columns,
                lang: &lang,
                now,
                users: store.names(Named::Users)?,
            };
            match entity {
                Entity::Contacts => reader.contact(id),
                Entity::Companies => reader.company(id),
                _ => reader.deal(id),
            }
        })
        .await?;
    state.record_read(&visitor.caller, entity, Some(id), state.now());
    Ok(visitor.page(records::page(&visitor.viewer(), &shown)))
}

impl Reader<'_> {
    fn deal(&self, id: i64) -> Result<Shown, ApiError> {
        let deal = self.one(Entity::Deals, id, "deal")?;
        let stages = self.store.names(Named::Stages)?;
        let pipelines = self.store.names(Named::Pipelines)?;
        let currency = deal["currency"].as_str().unwrap_or("USD");
        // An open deal's probability as of now, with what moves it; a closed one's last score.
        let explained = embudo_forecast::explain::explain(self.store, id, self.now)
            .map_err(ApiError::internal)?;
        let probability = match &explained {
            Some(explained) => Some(explained.probability),
            None => self.store.latest_score(id)?,
        };
        let percent = |p: f64| format::cell(&json!(p), Kind::Ratio, self.lang);
        let facts = vec![
            fact("pipeline", lookup(&pipelines, &deal["pipeline_id"])),
            fact("stage", lookup(&stages, &deal["stage_id"])),
            fact("status", self.value_word("status", &deal["status"])),
            fact(
                "amount",
                format::money(&deal["amount"], currency, self.lang),
            ),
            fact(
                "probability_to_win",
                match (&explained, probability) {
                    // Without a model the stage's probability stands: say so, and how to
                    // get one, rather than list no factors.
                    (Some(e), _) if e.source != "model" => say(
                        "probability_of_stage",
                        self.lang,
                        &[("p", &percent(e.probability))],
                    ),
                    (_, Some(p)) => percent(p),
                    (_, None) => String::new(),
                },
            ),
            fact("owner", lookup(&self.users, &deal["owner_id"])),
            self.link(Entity::Companies, "company", &deal["company_id"])?,
            self.link(Entity::Contacts, "contact", &deal["contact_id"])?,
            fact("source", self.source(&deal["source"])),
            fact("expected_close", day(&deal["expected_close_date"])),
            fact("created", day(&deal["created_at"])),
            fact("closed", day(&deal["closed_at"])),
            fact("lost_reason", text(&deal["lost_reason"])),
        ];
        let mut related = vec![self.stage_history(id, &stages)?];
        related.extend(
            explained
                .as_ref()
                .map(|e| self.score(e))
                .unwrap_or_default(),
        );
        related.push(self.changes(id, &stages)?);
        related.extend(self.activities("deal_id", id)?);
        Ok(Shown {
            kind: "deal",
            title: text(&deal["name"]),
            facts,
            related,
        })
    }

    fn contact(&self, id: i64) -> Result<Shown, ApiError> {
        let contact = self.one(Entity::Contacts, id, "contact")?;
        let facts = vec![
            fact("email", text(&contact["email"])),
            fact("phone", text(&contact["phone"])),
            fact("job_title", text(&contact["title"])),
            self.link(Entity::Companies, "company", &contact["company_id"])?,
            fact("owner", lookup(&self.users, &contact["owner_id"])),
            fact(
                "lifecycle_stage",
                self.value_word("lifecycle_stage", &contact["lifecycle_stage"]),
            ),
            fact("lead_source", self.source(&contact["lead_source"])),
            fact("city", text(&contact["city"])),
            fact("country", text(&contact["country"])),
            fact("created", day(&contact["created_at"])),
        ];
        let mut related = Vec::new();
        related.extend(self.deals("contact_id", id)?);
        related.extend(self.activities("contact_id", id)?);
        related.extend(self.tickets("contact_id", id)?);
        related.push(self.campaigns(id)?);
        related.push(self.merges("contacts", id)?);
        Ok(Shown {
            kind: "contact",
            title: person(&contact),
            facts,
            related,
        })
    }

    fn company(&self, id: i64) -> Result<Shown, ApiError> {
        let company = self.one(Entity::Companies, id, "company")?;
        let facts = vec![
            fact("domain", text(&company["domain"])),
            fact("industry", text(&company["industry"])),
            fact(
                "employees",
                format::cell(&company["employees"], Kind::Count, self.lang),
            ),
            fact("phone", text(&company["phone"])),
            fact("city", text(&company["city"])),
            fact("country", text(&company["country"])),
            fact("owner", lookup(&self.users, &company["owner_id"])),
            self.link(Entity::Companies, "parent_company", &company["parent_id"])?,
            fact("created", day(&company["created_at"])),
        ];
        let mut related = Vec::new();
        related.extend(self.contacts("company_id", id)?);
        related.extend(self.deals("company_id", id)?);
        related.extend(self.activities("company_id", id)?);
        related.extend(self.tickets("company_id", id)?);
        Ok(Shown {
            kind: "company",
            title: text(&company["name"]),
            facts,
            related,
        })
    }

    /// The record `id` of `entity` if the visitor may see it.
    fn one(&self, entity: Entity, id: i64, kind: &str) -> Result<Value, ApiError> {
        let columns = &self.columns[&entity];
        visible(self.store, self.caller, entity, columns, &[id])?
            .pop()
            .ok_or_else(|| ApiError::not_found(format!("no {kind} {id} that you may see")))
    }

    /// A fact naming another record, linked to its page; empty when the visitor may not
    /// see it.
    fn link(&self, entity: Entity, label: &'static str, id: &Value) -> Result<Fact, ApiError> {
        let Some(id) = id.as_i64() else {
            return Ok(fact(label, String::new()));
        };
        let found = visible(
            self.store,
            self.caller,
            entity,
            &self.columns[&entity],
            &[id],
        )?;
        Ok(match found.first() {
            Some(record) => Fact {
                label,
                value: match entity {
                    Entity::Contacts => person(record),
                    _ => text(&record["name"]),
                },
                link: Some(format!("/{}/{id}", entity.table())),
            },
            None => fact(label, String::new()),
        })
    }

    /// The newest records of `entity` whose `column` is `id`, and how many there are; `None`
    /// for a role that sees none of the table.
    fn newest(
        &self,
        entity: Entity,
        column: &str,
        id: i64,
        by: &str,
    ) -> Result<Option<(Vec<Value>, usize)>, ApiError> {
        if self.caller.rows(entity) == Rows::Nothing {
            return Ok(None);
        }
        let columns = &self.columns[&entity];
        let page = Selection::matching(&[(column, id.to_string())]);
        let total = count(self.store, self.caller, entity, columns, &page)?;
        let (rows, _) = select(
            self.store,
            self.caller,
            entity,
            columns,
            &page.newest(by, RELATED_ROWS),
        )?;
        Ok(Some((rows, total)))
    }

    fn deals(&self, column: &str, id: i64) -> Result<Option<Related>, ApiError> {
        let Some((deals, total)) = self.newest(Entity::Deals, column, id, "created_at")? else {
            return Ok(None);
        };
        let stages = self.store.names(Named::Stages)?;
        let rows = deals
            .iter()
            .map(|deal| {
                vec![
                    text(&deal["name"]),
                    lookup(&stages, &deal["stage_id"]),
                    self.value_word("status", &deal["status"]),
                    format::money(
                        &deal["amount"],
                        deal["currency"].as_str().unwrap_or("USD"),
                        self.lang,
                    ),
                    day(&deal["created_at"]),
                ]
            })
            .collect();
        Ok(Some(Related {
            title: "related_deals",
            table: self.table(
                &["deal", "stage", "status", "amount", "created"],
                rows,
                links(Entity::Deals, &deals),
            ),
            total,
        }))
    }

    fn contacts(&self, column: &str, id: i64) -> Result<Option<Related>, ApiError> {
        let Some((contacts, total)) = self.newest(Entity::Contacts, column, id, "created_at")?
        else {
            return Ok(None);
        };
        let rows = contacts
            .iter()
            .map(|c| {
                vec![
                    person(c),
                    text(&c["email"]),
                    text(&c["title"]),
                    self.value_word("lifecycle_stage", &c["lifecycle_stage"]),
                ]
            })
            .collect();
        Ok(Some(Related {
            title: "contacts",
            table: self.table(
                &["contact", "email", "job_title", "lifecycle_stage"],
                rows,
                links(Entity::Contacts, &contacts),
            ),
            total,
        }))
    }

    fn activities(&self, column: &str, id: i64) -> Result<Option<Related>, ApiError> {
        let Some((activities, total)) =
            self.newest(Entity::Activities, column, id, "created_at")?
        else {
            return Ok(None);
        };
        let rows = activities
            .iter()
            .map(|a| {
                vec![
                    [&a["completed_at"], &a["due_at"], &a["created_at"]]
                        .into_iter()
                        .map(day)
                        .find(|when| !when.is_empty())
                        .unwrap_or_default(),
                    self.value_word("activity_type", &a["type"]),
                    text(&a["subject"]),
                    lookup(&self.users, &a["owner_id"]),
                    self.value_word("outcome", &a["outcome"]),
                ]
            })
            .collect();
        Ok(Some(Related {
            title: "activities",
            table: self.table(
                &["when", "type", "subject", "owner", "outcome"],
                rows,
                Vec::new(),
            ),
            total,
        }))
    }

    fn tickets(&self, column: &str, id: i64) -> Result<Option<Related>, ApiError> {
        let Some((tickets, total)) = self.newest(Entity::Tickets, column, id, "opened_at")? else {
            return Ok(None);
        };
        let rows = tickets
            .iter()
            .map(|t| {
                vec![
                    format!("#{}", t["id"]),
                    day(&t["opened_at"]),
                    self.value_word("priority", &t["priority"]),
                    lookup(&self.users, &t["agent_id"]),
                    day(&t["resolved_at"]),
                ]
            })
            .collect();
        Ok(Some(Related {
            title: "tickets",
            table: self.table(
                &["ticket", "opened", "priority", "agent", "resolved"],
                rows,
                Vec::new(),
            ),
            total,
        }))
    }

    /// The deal's stages, newest first: when it entered and left each, and the days it
    /// spent there.
    fn stage_history(&self, deal: i64, stages: &HashMap<i64, String>) -> Result<Related, ApiError> {
        // A stage a closed deal still sits in (Won, Lost) has no days to count; an open
        // deal's current stage counts to now.
        let history = self.store.stage_visits(deal, self.now)?;
        let rows: Vec<Vec<String>> = history
            .iter()
            .map(|visit| {
                vec![
                    named(stages, Some(visit.stage_id)),
                    date_of(&visit.entered_at),
                    date_of(visit.exited_at.as_deref().unwrap_or_default()),
                    format::cell(&json!(visit.days), Kind::Count, self.lang),
                ]
            })
            .collect();
        // An import that had only the deal's dates made its history up from them: say so.
        let made_up = history.iter().any(|visit| visit.synthesised == Some(true));
        Ok(Related {
            title: if made_up {
                "stage_history_made_up"
            } else {
                "stage_history"
            },
            total: rows.len(),
            table: self.table(&["stage", "entered", "exited", "days"], rows, Vec::new()),
        })
    }

    /// An open deal's win probability explained by the model in use: what moves it, most
    /// first, and what the team could do today that would raise it; nothing without a model
    /// (the probability is its stage's, as its fact says).
    fn score(&self, explained: &embudo_forecast::explain::Explanation) -> Vec<Related> {
        if explained.source != "model" {
            return Vec::new();
        }
        let factors: Vec<Vec<String>> = explained
            .factors
            .iter()
            .map(|f| {
                let effect = if f.contribution >= 0.0 {
                    "raises_odds"
                } else {
                    "lowers_odds"
                };
                vec![
                    embudo_reports::i18n::factor(&f.factor, &f.value, self.lang),
                    format!(
                        "{} ({}{})",
                        word(effect, self.lang),
                        if f.contribution >= 0.0 { "+" } else { "−" },
                        format::cell(&json!(f.contribution.abs()), Kind::Number, self.lang)
                    ),
                ]
            })
            .collect();
        let raise: Vec<Vec<String>> = explained
            .raise
            .iter()
            .map(|(action, probability)| {
                vec![
                    embudo_reports::i18n::raise_words(action, self.lang),
                    format::cell(&json!(probability), Kind::Ratio, self.lang),
                ]
            })
            .collect();
        vec![
            Related {
                title: "score_factors",
                total: factors.len(),
                table: self.table(&["factor", "effect_on_odds"], factors, Vec::new()),
            },
            Related {
                title: "score_raise",
                total: raise.len(),
                table: self.table(&["action", "probability_to_win"], raise, Vec::new()),
            },
        ]
    }

    /// What changed on a deal, newest first: stage, amount, owner, expected close.
    fn changes(&self, deal: i64, stages: &HashMap<i64, String>) -> Result<Related, ApiError> {
        let found = self.store.deal_changes(deal)?;
        let shown = |field: &str, value: &Option<String>| {
            let value = value.as_deref().unwrap_or_default();
            let id = value.parse::<i64>().ok();
            match field {
                "stage_id" if id.is_some() => named(stages, id),
                "owner_id" if id.is_some() => named(&self.users, id),
                _ => value.to_owned(),
            }
        };
        let rows: Vec<Vec<String>> = found
            .iter()
            .map(|change| {
                let field = &change.field;
                vec![
                    date_of(&change.changed_at),
                    word(&format!("field.{field}"), self.lang).to_owned(),
                    shown(field, &change.old_value),
                    shown(field, &change.new_value),
                    named(&self.users, change.changed_by),
                ]
            })
            .collect();
        Ok(Related {
            title: "changes",
            total: rows.len(),
            table: self.table(
                &["when", "field", "from_value", "to_value", "by"],
                rows,
                Vec::new(),
            ),
        })
    }

    /// The campaigns a contact took part in, newest first: what they did and when.
    fn campaigns(&self, contact: i64) -> Result<Related, ApiError> {
        let found = self.store.campaign_events(contact)?;
        let rows: Vec<Vec<String>> = found
            .iter()
            .map(|e| {
                vec![
                    date_of(&e.occurred_at),
                    e.name.clone().unwrap_or_default(),
                    self.text_word("channel", e.channel.as_deref()),
                    self.text_word("event", e.event.as_deref()),
                ]
            })
            .collect();
        let total = rows.len();
        Ok(Related {
            title: "campaigns",
            table: self.table(
                &["when", "campaign", "channel", "event"],
                rows.into_iter().take(RELATED_ROWS).collect(),
                Vec::new(),
            ),
            total,
        })
    }

    /// The records merged into this one, and when (an undone merge says so).
    fn merges(&self, entity: &str, survivor: i64) -> Result<Related, ApiError> {
        let found = self.store.merged_into(entity, survivor)?;
        let rows: Vec<Vec<String>> = found
            .iter()
            .map(|m| {
                vec![
                    date_of(&m.merged_at),
                    format!("#{}", m.merged_id),
                    m.merged_by.clone().unwrap_or_default(),
                    date_of(m.undone_at.as_deref().unwrap_or_default()),
                ]
            })
            .collect();
        Ok(Related {
            title: "merge_history",
            total: rows.len(),
            table: self.table(&["when", "merged_record", "by", "undone"], rows, Vec::new()),
        })
    }

    fn table(&self, columns: &[&str], rows: Vec<Vec<String>>, links: Vec<Option<String>>) -> Table {
        Table {
            columns: columns
                .iter()
                .map(|key| word(key, self.lang).to_owned())
                .collect(),
            rows,
            links,
        }
    }

    fn value_word(&self, column: &str, value: &Value) -> String {
        self.text_word(column, Some(&text(value)))
    }

    /// A value of `column` read as text, in words.
    fn text_word(&self, column: &str, value: Option<&str>) -> String {
        value_label(column, value.unwrap_or_default(), self.lang)
    }

    /// A lead or deal source as a label: Embudo's own in words, a user's own as written.
    fn source(&self, value: &Value) -> String {
        self.value_word("lead_source", value)
    }
}

fn fact(label: &'static str, value: String) -> Fact {
    Fact {
        label,
        value,
        link: None,
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The date of a timestamp or date value.
fn day(value: &Value) -> String {
    date_of(&text(value))
}

/// The date of a timestamp or date written as text.
fn date_of(text: &str) -> String {
    text.chars().take(10).collect()
}

fn person(contact: &Value) -> String {
    let name = format!(
        "{} {}",
        text(&contact["first_name"]),
        text(&contact["last_name"])
    );
    match name.trim() {
        "" => format!("#{}", contact["id"]),
        name => name.to_owned(),
    }
}

fn lookup(names: &HashMap<i64, String>, id: &Value) -> String {
    named(names, id.as_i64())
}

/// The name of the record `id`, or nothing.
fn named(names: &HashMap<i64, String>, id: Option<i64>) -> String {
    id.and_then(|id| names.get(&id).cloned())
        .unwrap_or_default()
}

/// Each record's own page.
fn links(entity: Entity, records: &[Value]) -> Vec<Option<String>> {
    records
        .iter()
        .map(|r| {
            r["id"]
                .as_i64()
                .map(|id| format!("/{}/{id}", entity.table()))
        })
        .collect()
}

/// What `/drill` asks for, read from its query string.
struct DrillAsk {
    metric: String,
    from: String,
    to: String,
    filters: Vec<(String, String)>,
    measure: usize,
}

impl DrillAsk {
    fn parse(pairs: &[(String, String)]) -> Result<DrillAsk, ApiError> {
        let mut ask = DrillAsk {
            metric: String::new(),
            from: String::new(),
            to: String::new(),
            filters: Vec::new(),
            measure: 0,
        };
        for (key, value) in pairs {
            match key.as_str() {
                "metric" => ask.metric = value.clone(),
                "from" => ask.from = value.clone(),
                "to" => ask.to = value.clone(),
                "measure" => {
                    ask.measure = value.parse().map_err(|_| {
                        ApiError::bad_request("measure", "a measure is a number: 0, 1…")
                    })?
                }
                "filter" => ask.filters.push(crate::metrics::filter_pair(value)?),
                "lang" => {}
                other => {
                    return Err(ApiError::bad_request(
                        other,
                        "drill-down takes metric, from, to, filter and measure",
                    ));
                }
            }
        }
        for (field, value) in [
            ("metric", &ask.metric),
            ("from", &ask.from),
            ("to", &ask.to),
        ] {
            if value.is_empty() {
                return Err(ApiError::bad_request(field, "required"));
            }
        }
        Ok(ask)
    }

    /// The address of this drill-down with another measure.
    fn with_measure(&self, measure: usize) -> String {
        let filters: Vec<(&str, &str)> = self
            .filters
            .iter()
            .map(|(dim, value)| (dim.as_str(), value.as_str()))
            .collect();
        records::drill_href(&self.metric, (&self.from, &self.to), &filters, measure)
    }
}

/// `GET /drill`: the rows one measure of a metric counts over a range, through the visitor's
/// own filter (a rep's figures are their own) and scope (rows of records they may not open
/// are left out and counted).
pub async fn drill(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let ask = DrillAsk::parse(&pairs)?;
    let caller = visitor.caller.clone();
    let columns = state.columns.clone();
    let calendar = state.calendar;
    let (lang, currency) = (visitor.lang.clone(), state.currency.clone());
    let behind = state
        .db
        .read(move |store| {
            let metric = plan::metric(&ask.metric)?;
            let own = crate::metrics::own_filters(store, &caller, metric)?.ok_or_else(|| {
                ApiError::forbidden(format!("{} is not among your metrics", metric.name))
            })?;
            let mut query = Query::parse(QueryText {
                metric: &ask.metric,
                from: &ask.from,
                to: &ask.to,
                filters: &ask.filters,
                ..QueryText::default()
            })?;
            query.filters.extend(own);
            let drilled = plan::drill(store, &calendar, &query, ask.measure, DRILL_ROWS)?;
            let open = openable(store, &caller, &columns, &drilled.rows)?;
            let kind = match metric.unit {
                Unit::Ratio => Kind::Number,
                unit => Kind::of(unit),
            };
            let figure = |value: Option<f64>| match kind {
                Kind::Money => format::money(&json!(value), &currency, &lang),
                kind => format::cell(&json!(value), kind, &lang),
            };
            let shown: Vec<&plan::DrillRow> = drilled
                .rows
                .iter()
                .filter(|row| open.contains(&(row.table.clone(), row.id)))
                .collect();
            // A count's rows carry no value of their own: no column for it then.
            let valued = shown.iter().any(|row| row.value.is_some());
            let columns = if valued {
                &["record", "type", "when", "value"][..]
            } else {
                &["record", "type", "when"][..]
            };
            let table = Table {
                columns: columns
                    .iter()
                    .map(|key| word(key, &lang).to_owned())
                    .collect(),
                rows: shown
                    .iter()
                    .map(|row| {
                        let mut cells = vec![
                            row.label.clone().unwrap_or_else(|| format!("#{}", row.id)),
                            value_label("record", &row.table, &lang),
                            row.at
                                .as_deref()
                                .map(|at| at.chars().take(10).collect())
                                .unwrap_or_default(),
                        ];
                        if valued {
                            cells.push(figure(row.value));
                        }
                        cells
                    })
                    .collect(),
                links: shown
                    .iter()
                    .map(|row| {
                        matches!(row.table.as_str(), "deals" | "contacts" | "companies")
                            .then(|| format!("/{}/{}", row.table, row.id))
                    })
                    .collect(),
            };
            let count = drilled.total.to_string();
            let summary = match drilled.sum {
                Some(sum) if kind != Kind::Count => say(
                    "behind_sum",
                    &lang,
                    &[("count", &count), ("sum", &figure(Some(sum)))],
                ),
                _ => say("behind_count", &lang, &[("count", &count)]),
            };
            let part = |n: usize| match (metric.combine, n) {
                (Combine::Quotient, 0) => word("measure_top", &lang).to_owned(),
                (Combine::Quotient, 1) => word("measure_bottom", &lang).to_owned(),
                _ => say("measure_n", &lang, &[("n", &(n + 1).to_string())]),
            };
            // A range ends before `to`: a day says its last day.
            let last = chrono::NaiveDate::parse_from_str(&ask.to, "%Y-%m-%d")
                .ok()
                .and_then(|to| to.pred_opt())
                .map_or_else(|| ask.to.clone(), |day| day.to_string());
            let mut over = say("behind_over", &lang, &[("from", &ask.from), ("to", &last)]);
            // Each filter as a report names its column and writes its values.
            for (dim, value) in &query.filters {
                let (dim, value) = (dim.name(), value.as_str());
                over.push_str(&format!(
                    " · {}: {}",
                    embudo_reports::i18n::column_label(dim, &lang),
                    value_label(dim, value, &lang)
                ));
            }
            Ok(Behind {
                metric: metric.label(&lang).to_owned(),
                over,
                summary,
                measures: (0..drilled.measures)
                    .map(|n| (ask.with_measure(n), part(n), n == drilled.measure))
                    .collect(),
                hidden: drilled.rows.len() - shown.len(),
                total: drilled.total,
                table,
            })
        })
        .await?;
    Ok(visitor.page(records::behind(&visitor.viewer(), &behind)))
}

/// The rows whose records the caller may open: those of tables the scope knows, through
/// it; others (orders) as they are.
fn openable(
    store: &Store,
    caller: &Caller,
    columns: &Columns,
    rows: &[plan::DrillRow],
) -> Result<std::collections::HashSet<(String, i64)>, ApiError> {
    let mut open = std::collections::HashSet::new();
    let mut by_table: HashMap<&str, Vec<i64>> = HashMap::new();
    for row in rows {
        by_table.entry(row.table.as_str()).or_default().push(row.id);
    }
    for (table, ids) in by_table {
        match Entity::ALL.into_iter().find(|e| e.table() == table) {
            Some(entity) => {
                for record in visible(store, caller, entity, &columns[&entity], &ids)? {
                    if let Some(id) = record["id"].as_i64() {
                        open.insert((table.to_owned(), id));
                    }
                }
            }
            None => open.extend(ids.into_iter().map(|id| (table.to_owned(), id))),
        }
    }
    Ok(open)
}

/// `GET /drill/rows?report=…&section=…&row=N&figure=…&<the report's parameters>`: the
/// records a figure of a section of a report's own SQL is made of (a funnel's stage, a last
/// stage's lost deals, an owner's activities of the week), from the report as the visitor's
/// page built it (its cache).
pub async fn rows(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let one = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| ApiError::bad_request(key.to_owned(), "required"))
    };
    let (name, section_name, figure) = (one("report")?, one("section")?, one("figure")?);
    let row: usize = one("row")?
        .parse()
        .map_err(|_| ApiError::bad_request("row", "not a row"))?;
    // The rest is the report's own query, read as its page reads it.
    let rest: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| !["report", "section", "row", "figure"].contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={}", format::url_encode(v)))
        .collect();
    let mut query = crate::dashboards::report_query(&rest.join("&"))?;
    query.lang = Some(visitor.lang.clone());
    let report = crate::reports::build_report(&state, &visitor.caller, &name, &query).await?;
    let not_there = || {
        ApiError::not_found(
            "no such figure in the report: it may have changed; open the report again",
        )
    };
    let section = report
        .sections
        .iter()
        .find(|s| s.name == section_name)
        .ok_or_else(not_there)?;
    let groups = section.groups.as_ref().ok_or_else(not_there)?;
    let ids = groups.behind(row, &figure).ok_or_else(not_there)?.to_vec();
    let entity = Entity::parse(groups.table).ok_or_else(not_there)?;
    let column = section
        .columns
        .iter()
        .find(|c| c.key == figure)
        .ok_or_else(not_there)?
        .clone();
    let row_label: Vec<String> = section
        .columns
        .iter()
        .zip(section.rows.get(row).ok_or_else(not_there)?)
        .filter(|(c, _)| c.kind == Kind::Text)
        .map(|(c, v)| value_label(&c.key, &text(v), &visitor.lang))
        .collect();
    let (caller, columns, lang, currency) = (
        visitor.caller.clone(),
        state.columns.clone(),
        visitor.lang.clone(),
        state.currency.clone(),
    );
    let title = format!("{} · {}", section.title, column.label);
    let over = format!("{} · {}", report.title, row_label.join(" · "));
    let behind = state
        .db
        .read(move |store| {
            let found = visible(store, &caller, entity, &columns[&entity], &ids)?;
            let total = ids.len();
            let count = total.to_string();
            // The records a figure is made of; a sum among them (a weighted one) is not
            // always their amounts', so the page says how many, and lists each amount.
            let summary = say("behind_count", &lang, &[("count", &count)]);
            let table = match entity {
                Entity::Activities => activity_rows(store, &found, &lang)?,
                _ => deal_rows(store, &found, &currency, &lang)?,
            };
            Ok(Behind {
                metric: title,
                over,
                summary,
                measures: Vec::new(),
                hidden: total - found.len(),
                total,
                table,
            })
        })
        .await?;
    Ok(visitor.page(records::behind(&visitor.viewer(), &behind)))
}

/// Deals as a list behind a figure, each leading to its page.
fn deal_rows(
    store: &Store,
    deals: &[Value],
    currency: &str,
    lang: &str,
) -> Result<Table, ApiError> {
    let stages = store.names(Named::Stages)?;
    Ok(Table {
        columns: headings(&["record", "stage", "status", "amount"], lang),
        rows: deals
            .iter()
            .map(|d| {
                vec![
                    text(&d["name"]),
                    lookup(&stages, &d["stage_id"]),
                    value_label("status", &text(&d["status"]), lang),
                    format::money(
                        &d["amount"],
                        d["currency"].as_str().unwrap_or(currency),
                        lang,
                    ),
                ]
            })
            .collect(),
        links: deals
            .iter()
            .map(|d| d["id"].as_i64().map(|id| format!("/deals/{id}")))
            .collect(),
    })
}

/// Activities as a list behind a figure, each leading to its deal's page where it has one.
fn activity_rows(store: &Store, activities: &[Value], lang: &str) -> Result<Table, ApiError> {
    let users = store.names(Named::Users)?;
    Ok(Table {
        columns: headings(&["subject", "type", "when", "owner"], lang),
        rows: activities
            .iter()
            .map(|a| {
                vec![
                    text(&a["subject"]),
                    value_label("activity_type", &text(&a["type"]), lang),
                    [&a["completed_at"], &a["due_at"]]
                        .into_iter()
                        .map(day)
                        .find(|when| !when.is_empty())
                        .unwrap_or_default(),
                    lookup(&users, &a["owner_id"]),
                ]
            })
            .collect(),
        links: activities
            .iter()
            .map(|a| a["deal_id"].as_i64().map(|id| format!("/deals/{id}")))
            .collect(),
    })
}

/// Column headings in `lang`, by their word keys.
fn headings(keys: &[&str], lang: &str) -> Vec<String> {
    keys.iter().map(|key| word(key, lang).to_owned()).collect()
}
