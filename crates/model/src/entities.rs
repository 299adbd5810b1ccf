//! One struct per canonical table; each field is the column of the same name.
//!
//! Column meanings are those of `docs/spec/schema.md`; only what the spec leaves implicit
//! is repeated here. Timestamps are UTC ([`Timestamp`]); calendar days are [`Date`].
//! Foreign keys are plain ids: the store does not enforce them, because real exports carry
//! orphan references that the audit has to find rather than the import reject.

use crate::Id;
use crate::labels::*;
use crate::money::Money;

/// A UTC instant, stored as `TIMESTAMP`.
pub type Timestamp = chrono::NaiveDateTime;
/// A calendar day, stored as `DATE`.
pub type Date = chrono::NaiveDate;

/// Where an imported record came from: `(source_system, external_id)` is unique where set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Provenance {
    /// e.g. `hubspot`, `csv:contacts.csv`, `synth`.
    pub source_system: Option<String>,
    /// The record's id in that system.
    pub external_id: Option<String>,
}

/// Soft deletion and merging: rows are marked, never destroyed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Lifecycle {
    pub deleted_at: Option<Timestamp>,
    /// The surviving record this one was merged into.
    pub merged_into_id: Option<Id>,
}

/// `teams`.
#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    pub id: Id,
    pub name: String,
    pub manager_id: Option<Id>,
}

/// `users`: the CRM's own users.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: Id,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub team_id: Option<Id>,
    pub active: bool,
    /// Loaded cost of an hour of this user's time, for service cost metrics.
    pub hourly_cost: Option<Money>,
    pub created_at: Timestamp,
    pub last_login_at: Option<Timestamp>,
    /// The language scheduled reports and alerts reach them in (`en`, `es`); `None`: the
    /// store's default.
    pub lang: Option<String>,
}

/// A postal address, shared by companies and contacts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Address {
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    /// State or province.
    pub region: Option<String>,
    pub country: Option<String>,
}

/// `companies`: accounts.
#[derive(Debug, Clone, PartialEq)]
pub struct Company {
    pub id: Id,
    pub name: String,
    pub domain: Option<String>,
    /// Free text in imports; canonical values are lowercase words such as `technology`.
    pub industry: Option<String>,
    pub employees: Option<i32>,
    pub annual_revenue: Option<Money>,
    pub address: Address,
    pub phone: Option<String>,
    pub owner_id: Option<Id>,
    pub parent_id: Option<Id>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub lifecycle: Lifecycle,
    pub provenance: Provenance,
    /// Fields of the source CRM that have no canonical column.
    pub custom: Option<serde_json::Value>,
}

/// `contacts`: people.
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub id: Id,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub company_id: Option<Id>,
    pub address: Address,
    pub birth_date: Option<Date>,
    pub owner_id: Option<Id>,
    /// Canonically a [`LifecycleStage`]; text because imports may misspell it.
    pub lifecycle_stage: Option<String>,
    /// Canonically a [`LeadSource`]; text because imports may misspell it.
    pub lead_source: Option<String>,
    /// When the contact became a prospect; `None`: never.
    pub lead_at: Option<Timestamp>,
    /// First revenue (won deal or order) of the contact; `None`: never a customer.
    pub customer_at: Option<Timestamp>,
    pub referred_by_contact_id: Option<Id>,
    /// First-touch attribution.
    pub first_campaign_id: Option<Id>,
    pub email_status: Option<EmailStatus>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub lifecycle: Lifecycle,
    pub provenance: Provenance,
    pub custom: Option<serde_json::Value>,
}

/// `pipelines`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub id: Id,
    pub name: String,
}

/// `stages`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub id: Id,
    pub pipeline_id: Id,
    pub name: String,
    /// Order within the pipeline, from 1.
    pub position: i32,
    /// Default win probability of a deal in this stage, in `[0, 1]`.
    pub probability: f64,
    pub kind: StageKind,
}

/// `deals`.
#[derive(Debug, Clone, PartialEq)]
pub struct Deal {
    pub id: Id,
    pub name: String,
    pub pipeline_id: Id,
    /// The current stage.
    pub stage_id: Id,
    /// Equals the current stage's kind.
    pub status: StageKind,
    pub amount: Option<Money>,
    pub currency: String,
    /// Cost of goods or delivery.
    pub cost: Option<Money>,
    pub owner_id: Option<Id>,
    pub contact_id: Option<Id>,
    pub company_id: Option<Id>,
    pub product_id: Option<Id>,
    pub campaign_id: Option<Id>,
    /// Lead source; canonically a [`LeadSource`].
    pub source: Option<String>,
    pub deal_type: Option<DealType>,
    pub created_at: Timestamp,
    pub expected_close_date: Option<Date>,
    /// Set when the status becomes won or lost.
    pub closed_at: Option<Timestamp>,
    pub lost_reason: Option<String>,
    pub updated_at: Timestamp,
    pub lifecycle: Lifecycle,
    pub provenance: Provenance,
    pub custom: Option<serde_json::Value>,
}

/// `deal_stage_history`: one row per stage visit, append-only.
#[derive(Debug, Clone, PartialEq)]
pub struct StageVisit {
    pub id: Id,
    pub deal_id: Id,
    /// The stage entered.
    pub stage_id: Id,
    pub entered_at: Timestamp,
    /// `None` while this is the deal's current stage.
    pub exited_at: Option<Timestamp>,
    pub changed_by: Option<Id>,
    /// Built by an import from the deal's timestamps, not recorded by the CRM.
    pub synthesised: bool,
}

/// `deal_changes`: append-only log of other tracked fields, values as text.
#[derive(Debug, Clone, PartialEq)]
pub struct DealChange {
    pub id: Id,
    pub deal_id: Id,
    pub field: DealField,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub changed_at: Timestamp,
    pub changed_by: Option<Id>,
}

/// `products`.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: Id,
    pub name: String,
    pub product_line: String,
    pub list_price: Money,
    pub unit_cost: Option<Money>,
}

/// `orders`: purchases that did not come through a deal.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: Id,
    pub contact_id: Option<Id>,
    pub company_id: Option<Id>,
    pub campaign_id: Option<Id>,
    pub ordered_at: Timestamp,
    pub currency: String,
    pub provenance: Provenance,
    pub deleted_at: Option<Timestamp>,
}

/// `order_lines`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderLine {
    pub id: Id,
    pub order_id: Id,
    pub product_id: Option<Id>,
    pub quantity: i32,
    pub unit_price: Money,
    pub unit_cost: Option<Money>,
}

/// `subscriptions`: one row per term; a renewal starts the next row at the old `ends_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub id: Id,
    pub contact_id: Option<Id>,
    pub company_id: Option<Id>,
    pub product_id: Option<Id>,
    pub started_at: Timestamp,
    /// End of the term, when renewal is due.
    pub ends_at: Timestamp,
    pub renewed_at: Option<Timestamp>,
    pub cancelled_at: Option<Timestamp>,
    /// Monthly recurring revenue of the term.
    pub mrr: Money,
}

/// `activities`.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub id: Id,
    pub kind: ActivityType,
    pub owner_id: Option<Id>,
    pub contact_id: Option<Id>,
    pub company_id: Option<Id>,
    pub deal_id: Option<Id>,
    pub subject: Option<String>,
    /// Scheduled time.
    pub due_at: Option<Timestamp>,
    /// `None`: not done yet.
    pub completed_at: Option<Timestamp>,
    pub duration_seconds: Option<i32>,
    pub outcome: Option<ActivityOutcome>,
    pub created_at: Timestamp,
}

/// `campaigns`.
#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    pub id: Id,
    pub name: String,
    pub channel: CampaignChannel,
    pub launched_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub cost: Option<Money>,
}

/// `campaign_events`.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignEvent {
    pub id: Id,
    pub campaign_id: Id,
    pub contact_id: Option<Id>,
    pub event: CampaignEventKind,
    pub occurred_at: Timestamp,
}

/// `list_subscriptions`.
#[derive(Debug, Clone, PartialEq)]
pub struct ListSubscription {
    pub id: Id,
    pub contact_id: Id,
    pub list_name: String,
    pub subscribed_at: Timestamp,
    pub unsubscribed_at: Option<Timestamp>,
}

/// `web_visits`.
#[derive(Debug, Clone, PartialEq)]
pub struct WebVisit {
    pub id: Id,
    /// Anonymous visitor cookie.
    pub visitor_id: String,
    pub contact_id: Option<Id>,
    pub started_at: Timestamp,
    pub duration_seconds: i32,
    pub pageviews: i32,
    pub landing_page: String,
    pub source: Option<String>,
    pub goal_completed: bool,
}

/// `tickets`: service cases.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    pub id: Id,
    pub contact_id: Option<Id>,
    pub company_id: Option<Id>,
    pub agent_id: Option<Id>,
    pub channel: TicketChannel,
    pub kind: TicketType,
    pub priority: Priority,
    pub opened_at: Timestamp,
    pub first_response_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub sla_due_at: Option<Timestamp>,
    /// Agent time spent on the case.
    pub work_seconds: Option<i32>,
    /// 1–5.
    pub csat: Option<i16>,
}

/// `service_calls`: call-centre calls.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceCall {
    pub id: Id,
    pub agent_id: Option<Id>,
    pub contact_id: Option<Id>,
    pub ticket_id: Option<Id>,
    pub direction: CallDirection,
    pub queued_at: Timestamp,
    /// `None`: abandoned before an answer.
    pub answered_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    /// Talk, hold and wrap-up.
    pub handle_seconds: Option<i32>,
    /// A call back to a customer who asked for one.
    pub is_callback: bool,
}

/// `surveys`.
#[derive(Debug, Clone, PartialEq)]
pub struct Survey {
    pub id: Id,
    pub contact_id: Option<Id>,
    pub kind: SurveyKind,
    /// NPS 0–10, CSAT 1–5.
    pub score: i16,
    pub responded_at: Timestamp,
}

/// `user_events`: what CRM users did, for adoption metrics and the access audit.
#[derive(Debug, Clone, PartialEq)]
pub struct UserEvent {
    pub id: Id,
    pub user_id: Id,
    pub event: UserEventKind,
    pub entity: Option<String>,
    pub entity_id: Option<Id>,
    pub occurred_at: Timestamp,
}

/// `goals`.
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    pub id: Id,
    pub name: String,
    /// A metric name of the catalogue.
    pub metric: String,
    pub target: f64,
    pub period_start: Date,
    /// Exclusive.
    pub period_end: Date,
    pub scope: GoalScope,
    pub scope_id: Option<Id>,
    pub direction: GoalDirection,
    pub filters: Option<serde_json::Value>,
}
