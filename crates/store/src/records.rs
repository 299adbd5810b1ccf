//! How each model entity maps onto its table: the column list and the values in order.
//!
//! The column lists are checked against the catalog when a load starts, so a migration
//! that changes a table without changing its record here fails loudly, not silently.

use crate::bulk::{Record, Row};
use embudo_model::Label;
use embudo_model::entities::*;

fn put_address(row: &mut Row<'_>, a: &Address) {
    row.put(a.street.as_deref())
        .put(a.postal_code.as_deref())
        .put(a.city.as_deref())
        .put(a.region.as_deref())
        .put(a.country.as_deref());
}

fn put_bookkeeping(
    row: &mut Row<'_>,
    lifecycle: &Lifecycle,
    provenance: &Provenance,
    custom: Option<&serde_json::Value>,
) {
    row.put(lifecycle.deleted_at)
        .put(lifecycle.merged_into_id)
        .put(provenance.source_system.as_deref())
        .put(provenance.external_id.as_deref())
        .put(custom);
}

impl Record for Team {
    const TABLE: &'static str = "teams";
    const COLUMNS: &'static [&'static str] = &["id", "name", "manager_id"];
    fn write(&self, row: &mut Row<'_>) {
        row.put(self.id).put(&self.name).put(self.manager_id);
    }
}

impl Record for User {
    const TABLE: &'static str = "users";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "name",
        "email",
        "role",
        "team_id",
        "active",
        "hourly_cost",
        "created_at",
        "last_login_at",
        "lang",
    ];
    fn write(&self, row: &mut Row<'_>) {
        row.put(self.id)
            .put(&self.name)
            .put(&self.email)
            .put(self.role.as_str())
            .put(self.team_id)
            .put(self.active)
            .put(self.hourly_cost)
            .put(self.created_at)
            .put(self.last_login_at)
            .put(self.lang.as_deref());
    }
}

impl Record for Company {
    const TABLE: &'static str = "companies";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "name",
        "domain",
        "industry",
        "employees",
        "annual_revenue",
        "street",
        "postal_code",
        "city",
        "region",
        "country",
        "phone",
        "owner_id",
        "parent_id",
        "created_at",
        "updated_at",
        "deleted_at",
        "merged_into_id",
        "source_system",
        "external_id",
        "custom",
    ];
    fn write(&self, row: &mut Row<'_>) {
        row.put(self.id)
            .put(&self.name)
            .put(self.domain.as_deref())
            .put(self.industry.as_deref())
            .put(self.employees)
            .put(self.annual_revenue);
        put_address(row, &self.address);
        row.put(self.phone.as_deref())
            .put(self.owner_id)
            .put(self.parent_id)
            .put(self.created_at)
            .put(self.updated_at);
        put_bookkeeping(row, &self.lifecycle, &self.provenance, self.custom.as_ref());
    }
}

impl Record for Contact {
    const TABLE: &'static str = "contacts";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "title",
        "company_id",
        "street",
        "postal_code",
        "city",
        "region",
        "country",
        "birth_date",
        "owner_id",
        "lifecycle_stage",
        "lead_source",
        "lead_at",
        "customer_at",
        "referred_by_contact_id",
        "first_campaign_id",
        "email_status",
        "created_at",
        "updated_at",
        "deleted_at",
        "merged_into_id",
        "source_system",
        "external_id",
        "custom",
        "lead_at_inferred",
        "customer_at_derived",
    ];
    fn write(&self, row: &mut Row<'_>) {
        row.put(self.id)
            .put(self.first_name.as_deref())
            .put(self.last_name.as_deref())
            .put(self.email.as_deref())
            .put(self.phone.as_deref())
            .put(self.title.as_deref())
            .put(self.company_id);
        put_address(row, &self.address);
        row.put(self.birth_date)
            .put(self.owner_id)
            .put(self.lifecycle_stage.as_deref())
            .put(self.lead_source.as_deref())
            .put(self.lead_at)
            .put(self.customer_at)
            .put(self.referred_by_contact_id)
            .put(self.first_campaign_id)
            .put(self.email_status.map(Label::as_str))
            .put(self.created_at)
            .put(self.updated_at);
        put_bookkeeping(row, &self.lifecycle, &self.provenance, self.custom.as_ref());
        // Records written whole carry their dates as they are: none is inferred, and a
        // customer's date is its first revenue.
        row.put(false).put(self.customer_at.is_some());
    }
}

impl Record for Pipeline {
    const TABLE: &'static str = "pipelines";
    const COLUMNS: &'static [&'static str] = &["id", "name"];
    fn write(&self, row: &mut Row<'_>) {
        row.put(self.id).put(&self.name);
    }
}

impl Record for Stage {
    const TABLE: &'static str = "stages";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "pipeline_id",
        "name",
        "position",
        "probability",
        "kind",
        "guessed",
    ];
    fn write(&self, row: &mut Row<'_>) {
        // A stage written whole has its order and probability from its writer.
        row.put(self.id)
            .put(self.pipeline_id)
            .put(&self.name)
            .put(self.position)
            .put(self.probability)
            .put(self.kind.as_str())
            .put(false);
    }
}

impl Record for Deal {
    const TABLE: &'static str = "deals";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "name",
        "pipeline_id",
        "stage_id",
        "status",
        "amount",
        "currency",
        "cost",
        "owner_id",
        "contact_id",
        "company_id",
        "product_id",
        "campaign_id",
        "source",
        "deal_type",
        "created_at",
        "expected_close_date",
        "closed_at",
        "lost_reason",
        "updated_at",
        "deleted_at",
        "merged_into_id",
        "source_system",
        "external_id",
        "custom",
        "created_at_inferred",
        "existed_by",
    ];
    fn write(&self, row: &mut Row<'_>) {
        row.put(self.id)
            .put(&self.name)
            .put(self.pipeline_id)
            .put(self.stage_id)
            .put(self.status.as_str())
            .put(self.amount)
            .put(&self.currency)
            .put(self.cost)
            .put(self.owner_id)
            .put(self.contact_id)
            .put(self.company_id)
            .put(self.product_id)
            .put(self.campaign_id)
            .put(self.source.as_deref())
            .put(self.deal_type.map(Label::as_str))
            .put(self.created_at)
            .put(self.expected_close_date)
            .put(self.closed_at)
            .put(self.lost_reason.as_deref())
            .put(self.updated_at);
        put_bookkeeping(row, &self.lifecycle, &self.provenance, self.custom.as_ref());
        // A generated deal has its creation date: nothing is inferred, nothing bounds it.
        row.put(false).put(None::<Timestamp>);
    }
}

impl Record for StageVisit {
    const TABLE: &'static str = "deal_stage_history";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "deal_id",
        "stage_id",
        "entered_at",
        "exited_at",
        "changed_by",
        "synthesised",
    ];
    fn write(&self, row: &mut Row<'_>) {
        row.put(self.id)
            .put(self.deal_id)
            .put(self.stage_id)
            .put(self.entered_at)
            .put(self.exited_at)
            .put(self.changed_by)
            .put(self.synthesised);
    }
}

impl Record for DealChange {
    const TABLE: &'static str = "deal_changes";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "deal_id",
        "field",
        "old_value",
        "new_value",
        "changed_at",
        "changed_by",
    ];
    fn write(&self, row: &mut Row<'_>) {
        row.put(self.id)
            .put(self.deal_id)
            .put(self.field.as_str())
            .put(self.old_value.as_deref())
            .put(self.new_value.as_deref())
            .put(self.changed_at)
            .put(self.changed_by);
    }
}

impl Record for Product {
    const TABLE: &'static str = "products";
    const COLUMNS: &'static [&'static str] =
        &["id", "name", "product_line", "list_price", "unit_cost"];
    fn write(&self, row: &mut Row<'_>) {
        row.put(self.id)
            .put(&self.name)
            .put(&self.product_line)
            .put(self.list_price)
            .put(self.unit_cost);
    }
}

impl Record for Order {
    const TABLE: &'static str = "orders";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "contact_id",
        "company_id",
        "campaign_id",
        "ordered_at",
        "currency",
        "source_system",
        "external_id",
        "deleted_at",
    ];
    fn write(&self, row: &mut Row<'_>) {
        row.put(self.id)
            .put(self.contact_id)
            .put(self.company_id)
            .put(self.campaign_id)
            .put(self.ordered_at)
            .put(&self.currency)
            .put(self.provenance.source_system.as_deref())
            .put(self.provenance.external_id.as_deref())
            .put(self.deleted_at);
    }
}

impl Record for OrderLine {
    const TABLE: &'static str = "order_lines";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "order_id",
        "product_id",
        "quantity",
        "unit_price",
        "unit_cost",
    ];
    fn write(&self, row: &mut Row<'_>) {
        row.put(self.id)
            .put(self.order_id)
            .put(self.product_id)
            .put(self.quantity)
            .put(self.unit_price)
            .put(self.unit_cost);
    }
}

impl Record for Subscription {
    const TABLE: &'static str = "subscriptions";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "contact_id",
        "company_id",
        "product_id",
        "started_at",
        "ends_at",
        "renewed_at",
        "cancelled_at",
        "mrr",
    ];
    fn write(&self, row: &mut Row<'_>) {
        row.put(self.id)
            .put(self.contact_id)
            .put(self.company_id)
            .put(self.product_id)
            .put(self.started_at)
            .put(self.ends_at)
            .put(self.renewed_at)
            .put(self.cancelled_at)
            .put(self.mrr);
    }
}

impl Record for Activity {
    const TABLE: &'static str = "activities";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "type",
        "owner_id",
        "contact_id",
        "company_id",
        "deal_id",
        "subject",
        "due_at",
        "completed_at",
        "duration_seconds",
        "outcome",
        "created_at",
        "source_system",
        "external_id",
    ];
    fn write(&self, row: &mut Row<'_>) {
        row.put(self.id)
            .put(self.kind.as_str())
            .put(self.owner_id)
            .put(self.contact_id)
            .put(self.company_id)
            .put(self.deal_id)
            .put(self.subject.as_deref())
            .put(self.due_at)
            .put(self.completed_at)
            .put(self.duration_seconds)
            .put(self.outcome.map(Label::as_str))
            .put(self.created_at)
            // Made here: no system gave it an id.
            .put(None::<&str>)
            .put(None::<&str>);
    }
}

impl Record for Campaign {
    const TABLE: &'static str = "campaigns";
    const COLUMNS: &'static [&'static str] =
        &["id", "name", "channel", "launched_at", "ended_at", "cost"];
    fn write(&self, row: &mut Row<'_>) {
        row.put(self.id)
            .put(&self.name)
            .put(self.channel.as_str())
            .put(self.launched_at)
            .put(self.ended_at)
            .put(self.cost);
    }
}

impl Record for CampaignEvent {
    const TABLE: &'static str = "campaign_events";
    const COLUMNS: &'static [&'static str] =
        &["id", "campaign_id", "contact_id", "event", "occurred_at"];
    fn write(&self, row: &mut Row<'_>) {
        row.put(self.id)
            .put(self.campaign_id)
            .put(self.contact_id)
            .put(self.event.as_str())
            .put(self.occurred_at);
    }
}

impl Record for ListSubscription {
    const TABLE: &'static str = "list_subscriptions";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "contact_id",
        "list_name",
        "subscribed_at",
        "unsubscribed_at",
    ];
    fn write(&self, row: &mut Row<'_>) {
        row.put(self.id)
            .put(self.contact_id)
            .put(&self.list_name)
            .put(self.subscribed_at)
            .put(self.unsubscribed_at);
    }
}

impl Record for WebVisit {
    const TABLE: &'static str = "web_visits";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "visitor_id",
        "contact_id",
        "started_at",
        "duration_seconds",
        "pageviews",
        "landing_page",
        "source",
        "goal_completed",
    ];
    fn write(&self, row: &mut Row<'_>) {
        row.put(self.id)
            .put(&self.visitor_id)
            .put(self.contact_id)
            .put(self.started_at)
            .put(self.duration_seconds)
            .put(self.pageviews)
            .put(&self.landing_page)
            .put(self.source.as_deref())
            .put(self.goal_completed);
    }
}

impl Record for Ticket {
    const TABLE: &'static str = "tickets";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "contact_id",
        "company_id",
        "agent_id",
        "channel",
        "type",
        "priority",
        "opened_at",
        "first_response_at",
        "resolved_at",
        "sla_due_at",
        "work_seconds",
        "csat",
        "source_system",
        "external_id",
    ];
    fn write(&self, row: &mut Row<'_>) {
        row.put(self.id)
            .put(self.contact_id)
            .put(self.company_id)
            .put(self.agent_id)
            .put(self.channel.as_str())
            .put(self.kind.as_str())
            .put(self.priority.as_str())
            .put(self.opened_at)
            .put(self.first_response_at)
            .put(self.resolved_at)
            .put(self.sla_due_at)
            .put(self.work_seconds)
            .put(self.csat)
            .put(None::<&str>)
            .put(None::<&str>);
    }
}

impl Record for ServiceCall {
    const TABLE: &'static str = "service_calls";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "agent_id",
        "contact_id",
        "ticket_id",
        "direction",
        "queued_at",
        "answered_at",
        "ended_at",
        "handle_seconds",
        "is_callback",
        "source_system",
        "external_id",
    ];
    fn write(&self, row: &mut Row<'_>) {
        row.put(self.id)
            .put(self.agent_id)
            .put(self.contact_id)
            .put(self.ticket_id)
            .put(self.direction.as_str())
            .put(self.queued_at)
            .put(self.answered_at)
            .put(self.ended_at)
            .put(self.handle_seconds)
            .put(self.is_callback)
            .put(None::<&str>)
            .put(None::<&str>);
    }
}

impl Record for Survey {
    const TABLE: &'static str = "surveys";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "contact_id",
        "kind",
        "score",
        "responded_at",
        "source_system",
        "external_id",
    ];
    fn write(&self, row: &mut Row<'_>) {
        row.put(self.id)
            .put(self.contact_id)
            .put(self.kind.as_str())
            .put(self.score)
            .put(self.responded_at)
            .put(None::<&str>)
            .put(None::<&str>);
    }
}

impl Record for UserEvent {
    const TABLE: &'static str = "user_events";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "user_id",
        "event",
        "entity",
        "entity_id",
        "occurred_at",
    ];
    fn write(&self, row: &mut Row<'_>) {
        row.put(self.id)
            .put(self.user_id)
            .put(self.event.as_str())
            .put(self.entity.as_deref())
            .put(self.entity_id)
            .put(self.occurred_at);
    }
}

impl Record for Goal {
    const TABLE: &'static str = "goals";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "name",
        "metric",
        "target",
        "period_start",
        "period_end",
        "scope",
        "scope_id",
        "direction",
        "filters",
    ];
    fn write(&self, row: &mut Row<'_>) {
        row.put(self.id)
            .put(&self.name)
            .put(&self.metric)
            .put(self.target)
            .put(self.period_start)
            .put(self.period_end)
            .put(self.scope.as_str())
            .put(self.scope_id)
            .put(self.direction.as_str())
            .put(self.filters.as_ref());
    }
}
