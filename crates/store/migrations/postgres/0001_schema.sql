-- The whole schema on PostgreSQL, as DuckDB's migrations 1-19 leave it: the same tables,
-- columns, types and keys, so every table copies across engines value for value
-- (`embudo migrate`). A later change to the schema is a new file here beside the DuckDB one.
--
-- Types: DuckDB's DOUBLE is DOUBLE PRECISION; JSON stays `json` (kept as written, so a
-- value reads back byte for byte); TIMESTAMP is without a time zone (instants are UTC).


CREATE TABLE access_login_failures (
    "key" VARCHAR NOT NULL,
    failed_at TIMESTAMP NOT NULL
);

CREATE TABLE access_passwords (
    user_id BIGINT PRIMARY KEY,
    password_hash VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE access_sessions (
    id_digest VARCHAR PRIMARY KEY,
    user_id BIGINT NOT NULL,
    csrf_token VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

CREATE TABLE access_tokens (
    id BIGINT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    "name" VARCHAR NOT NULL,
    token_digest VARCHAR NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);

CREATE TABLE action_journal (
    id BIGINT PRIMARY KEY,
    "rule" VARCHAR NOT NULL,
    "action" VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    activity_ids JSON NOT NULL,
    undone_at TIMESTAMP
);

CREATE TABLE activities (
    id BIGINT PRIMARY KEY,
    "type" VARCHAR NOT NULL,
    owner_id BIGINT,
    contact_id BIGINT,
    company_id BIGINT,
    deal_id BIGINT,
    subject VARCHAR,
    due_at TIMESTAMP,
    completed_at TIMESTAMP,
    duration_seconds INTEGER,
    outcome VARCHAR,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE alert_rules (
    "name" VARCHAR PRIMARY KEY,
    metric VARCHAR NOT NULL,
    measure VARCHAR NOT NULL,
    op VARCHAR NOT NULL,
    threshold DOUBLE PRECISION NOT NULL,
    filters JSON NOT NULL,
    every VARCHAR NOT NULL,
    at_time VARCHAR NOT NULL,
    weekday VARCHAR,
    recipients JSON NOT NULL,
    webhook VARCHAR,
    cooldown_hours BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    firing BOOLEAN DEFAULT false NOT NULL,
    last_fired_at TIMESTAMP,
    last_period VARCHAR,
    firing_on JSON,
    by_dim VARCHAR
);

CREATE TABLE audit_runs (
    run_id BIGINT,
    ran_at TIMESTAMP NOT NULL,
    entity VARCHAR,
    dimension VARCHAR,
    score DOUBLE PRECISION NOT NULL,
    failing BIGINT NOT NULL,
    total BIGINT NOT NULL,
    PRIMARY KEY(run_id, entity, dimension)
);

CREATE TABLE campaign_events (
    id BIGINT PRIMARY KEY,
    campaign_id BIGINT NOT NULL,
    contact_id BIGINT,
    "event" VARCHAR NOT NULL,
    occurred_at TIMESTAMP NOT NULL
);

CREATE TABLE campaigns (
    id BIGINT PRIMARY KEY,
    "name" VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    launched_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    "cost" DECIMAL(18,2)
);

CREATE TABLE companies (
    id BIGINT PRIMARY KEY,
    "name" VARCHAR NOT NULL,
    "domain" VARCHAR,
    industry VARCHAR,
    employees INTEGER,
    annual_revenue DECIMAL(18,2),
    street VARCHAR,
    postal_code VARCHAR,
    city VARCHAR,
    region VARCHAR,
    country VARCHAR,
    phone VARCHAR,
    owner_id BIGINT,
    parent_id BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP,
    merged_into_id BIGINT,
    source_system VARCHAR,
    external_id VARCHAR,
    custom JSON,
    UNIQUE(source_system, external_id)
);

CREATE TABLE contacts (
    id BIGINT PRIMARY KEY,
    first_name VARCHAR,
    last_name VARCHAR,
    email VARCHAR,
    phone VARCHAR,
    title VARCHAR,
    company_id BIGINT,
    street VARCHAR,
    postal_code VARCHAR,
    city VARCHAR,
    region VARCHAR,
    country VARCHAR,
    birth_date DATE,
    owner_id BIGINT,
    lifecycle_stage VARCHAR,
    lead_source VARCHAR,
    lead_at TIMESTAMP,
    customer_at TIMESTAMP,
    referred_by_contact_id BIGINT,
    first_campaign_id BIGINT,
    email_status VARCHAR,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP,
    merged_into_id BIGINT,
    source_system VARCHAR,
    external_id VARCHAR,
    custom JSON,
    lead_at_inferred BOOLEAN DEFAULT false,
    customer_at_derived BOOLEAN DEFAULT false,
    UNIQUE(source_system, external_id)
);

CREATE TABLE dashboards (
    id BIGINT PRIMARY KEY,
    "name" VARCHAR NOT NULL,
    owner_id BIGINT NOT NULL,
    audience VARCHAR NOT NULL,
    team_id BIGINT,
    tiles JSON NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE deal_changes (
    id BIGINT PRIMARY KEY,
    deal_id BIGINT NOT NULL,
    field VARCHAR NOT NULL,
    old_value VARCHAR,
    new_value VARCHAR,
    changed_at TIMESTAMP NOT NULL,
    changed_by BIGINT
);

CREATE TABLE deal_scores (
    id BIGINT PRIMARY KEY,
    deal_id BIGINT NOT NULL,
    probability DOUBLE PRECISION NOT NULL,
    model_version VARCHAR NOT NULL,
    scored_at TIMESTAMP NOT NULL,
    factors JSON,
    CHECK((probability BETWEEN 0 AND 1))
);

CREATE TABLE deal_stage_history (
    id BIGINT PRIMARY KEY,
    deal_id BIGINT NOT NULL,
    stage_id BIGINT NOT NULL,
    entered_at TIMESTAMP NOT NULL,
    exited_at TIMESTAMP,
    changed_by BIGINT,
    synthesised BOOLEAN DEFAULT false
);

CREATE TABLE deals (
    id BIGINT PRIMARY KEY,
    "name" VARCHAR,
    pipeline_id BIGINT NOT NULL,
    stage_id BIGINT NOT NULL,
    status VARCHAR NOT NULL,
    amount DECIMAL(18,2),
    currency VARCHAR NOT NULL,
    "cost" DECIMAL(18,2),
    owner_id BIGINT,
    contact_id BIGINT,
    company_id BIGINT,
    product_id BIGINT,
    campaign_id BIGINT,
    "source" VARCHAR,
    deal_type VARCHAR,
    created_at TIMESTAMP NOT NULL,
    expected_close_date DATE,
    closed_at TIMESTAMP,
    lost_reason VARCHAR,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP,
    merged_into_id BIGINT,
    source_system VARCHAR,
    external_id VARCHAR,
    custom JSON,
    created_at_inferred BOOLEAN DEFAULT false,
    UNIQUE(source_system, external_id)
);

CREATE TABLE declared_labels (
    field VARCHAR,
    "label" VARCHAR,
    PRIMARY KEY(field, "label")
);

CREATE TABLE deliveries (
    id BIGINT PRIMARY KEY,
    kind VARCHAR NOT NULL,
    "name" VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    "target" VARCHAR NOT NULL,
    attempt BIGINT NOT NULL,
    attempted_at TIMESTAMP NOT NULL,
    outcome VARCHAR NOT NULL,
    "error" VARCHAR
);

CREATE TABLE fix_journal (
    batch_id BIGINT,
    check_id VARCHAR NOT NULL,
    entity VARCHAR,
    row_id BIGINT,
    field VARCHAR,
    old_value VARCHAR,
    new_value VARCHAR,
    applied_at TIMESTAMP NOT NULL,
    undone_at TIMESTAMP,
    PRIMARY KEY(batch_id, entity, row_id, field)
);

CREATE TABLE goals (
    id BIGINT PRIMARY KEY,
    "name" VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    "target" DOUBLE PRECISION NOT NULL,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    "scope" VARCHAR NOT NULL,
    scope_id BIGINT,
    direction VARCHAR DEFAULT('at_least') NOT NULL,
    filters JSON
);

CREATE TABLE list_subscriptions (
    id BIGINT PRIMARY KEY,
    contact_id BIGINT NOT NULL,
    list_name VARCHAR NOT NULL,
    subscribed_at TIMESTAMP NOT NULL,
    unsubscribed_at TIMESTAMP
);

CREATE TABLE merge_journal (
    id BIGINT PRIMARY KEY,
    entity VARCHAR NOT NULL,
    survivor_id BIGINT NOT NULL,
    merged_id BIGINT NOT NULL,
    before_images JSON NOT NULL,
    decisions JSON,
    merged_at TIMESTAMP NOT NULL,
    merged_by VARCHAR,
    undone_at TIMESTAMP
);

CREATE TABLE not_duplicates (
    entity VARCHAR,
    low_id BIGINT,
    high_id BIGINT,
    marked_at TIMESTAMP DEFAULT (CURRENT_TIMESTAMP AT TIME ZONE 'UTC') NOT NULL,
    PRIMARY KEY(entity, low_id, high_id)
);

CREATE TABLE notifications (
    id BIGINT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    "rule" VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    message VARCHAR NOT NULL,
    records JSON NOT NULL,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP,
    action_id BIGINT
);

CREATE TABLE order_lines (
    id BIGINT PRIMARY KEY,
    order_id BIGINT NOT NULL,
    product_id BIGINT,
    quantity INTEGER NOT NULL,
    unit_price DECIMAL(18,2) NOT NULL,
    unit_cost DECIMAL(18,2)
);

CREATE TABLE orders (
    id BIGINT PRIMARY KEY,
    contact_id BIGINT,
    company_id BIGINT,
    campaign_id BIGINT,
    ordered_at TIMESTAMP NOT NULL,
    currency VARCHAR NOT NULL,
    source_system VARCHAR,
    external_id VARCHAR,
    deleted_at TIMESTAMP,
    UNIQUE(source_system, external_id)
);

CREATE TABLE pipelines (
    id BIGINT PRIMARY KEY,
    "name" VARCHAR NOT NULL
);

CREATE TABLE products (
    id BIGINT PRIMARY KEY,
    "name" VARCHAR NOT NULL,
    product_line VARCHAR,
    list_price DECIMAL(18,2),
    unit_cost DECIMAL(18,2)
);

CREATE TABLE saved_reports (
    "name" VARCHAR PRIMARY KEY,
    spec JSON NOT NULL,
    created_at TIMESTAMP DEFAULT (CURRENT_TIMESTAMP AT TIME ZONE 'UTC') NOT NULL,
    owner_id BIGINT,
    shared BOOLEAN DEFAULT true
);

CREATE TABLE schedules (
    "name" VARCHAR PRIMARY KEY,
    report VARCHAR NOT NULL,
    filters JSON NOT NULL,
    every VARCHAR NOT NULL,
    at_time VARCHAR NOT NULL,
    weekday VARCHAR,
    recipients JSON NOT NULL,
    webhook VARCHAR,
    format VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE service_calls (
    id BIGINT PRIMARY KEY,
    agent_id BIGINT,
    contact_id BIGINT,
    ticket_id BIGINT,
    direction VARCHAR NOT NULL,
    queued_at TIMESTAMP NOT NULL,
    answered_at TIMESTAMP,
    ended_at TIMESTAMP,
    handle_seconds INTEGER,
    is_callback BOOLEAN DEFAULT false NOT NULL
);

CREATE TABLE stages (
    id BIGINT PRIMARY KEY,
    pipeline_id BIGINT NOT NULL,
    "name" VARCHAR NOT NULL,
    "position" INTEGER NOT NULL,
    probability DOUBLE PRECISION NOT NULL,
    kind VARCHAR NOT NULL,
    guessed BOOLEAN DEFAULT false,
    CHECK((probability BETWEEN 0 AND 1)),
    CHECK((kind IN ('open', 'won', 'lost')))
);

CREATE TABLE store_info (
    "key" VARCHAR PRIMARY KEY,
    "value" VARCHAR NOT NULL
);

CREATE TABLE subscriptions (
    id BIGINT PRIMARY KEY,
    contact_id BIGINT,
    company_id BIGINT,
    product_id BIGINT,
    started_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    renewed_at TIMESTAMP,
    cancelled_at TIMESTAMP,
    mrr DECIMAL(18,2) NOT NULL
);

CREATE TABLE surveys (
    id BIGINT PRIMARY KEY,
    contact_id BIGINT,
    kind VARCHAR NOT NULL,
    score SMALLINT NOT NULL,
    responded_at TIMESTAMP NOT NULL
);

CREATE TABLE teams (
    id BIGINT PRIMARY KEY,
    "name" VARCHAR NOT NULL,
    manager_id BIGINT
);

CREATE TABLE tickets (
    id BIGINT PRIMARY KEY,
    contact_id BIGINT,
    company_id BIGINT,
    agent_id BIGINT,
    channel VARCHAR,
    "type" VARCHAR,
    priority VARCHAR,
    opened_at TIMESTAMP NOT NULL,
    first_response_at TIMESTAMP,
    resolved_at TIMESTAMP,
    sla_due_at TIMESTAMP,
    work_seconds INTEGER,
    csat SMALLINT,
    CHECK((csat BETWEEN 1 AND 5))
);

CREATE TABLE user_events (
    id BIGINT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    "event" VARCHAR NOT NULL,
    entity VARCHAR,
    entity_id BIGINT,
    occurred_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id BIGINT PRIMARY KEY,
    "name" VARCHAR NOT NULL,
    email VARCHAR,
    "role" VARCHAR NOT NULL,
    team_id BIGINT,
    active BOOLEAN DEFAULT true NOT NULL,
    hourly_cost DECIMAL(18,2),
    created_at TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP,
    lang VARCHAR
);

CREATE TABLE web_visits (
    id BIGINT PRIMARY KEY,
    visitor_id VARCHAR NOT NULL,
    contact_id BIGINT,
    started_at TIMESTAMP NOT NULL,
    duration_seconds INTEGER,
    pageviews INTEGER,
    landing_page VARCHAR,
    "source" VARCHAR,
    goal_completed BOOLEAN DEFAULT false NOT NULL
);

CREATE SEQUENCE access_tokens_id;

CREATE SEQUENCE action_journal_id;

CREATE SEQUENCE activities_id;

CREATE SEQUENCE audit_runs_run_id;

CREATE SEQUENCE campaign_events_id;

CREATE SEQUENCE campaigns_id;

CREATE SEQUENCE companies_id;

CREATE SEQUENCE contacts_id;

CREATE SEQUENCE dashboards_id;

CREATE SEQUENCE deal_changes_id;

CREATE SEQUENCE deal_scores_id;

CREATE SEQUENCE deal_stage_history_id;

CREATE SEQUENCE deals_id;

CREATE SEQUENCE deliveries_id;

CREATE SEQUENCE fix_journal_batch_id;

CREATE SEQUENCE goals_id;

CREATE SEQUENCE list_subscriptions_id;

CREATE SEQUENCE merge_journal_id;

CREATE SEQUENCE notifications_id;

CREATE SEQUENCE order_lines_id;

CREATE SEQUENCE orders_id;

CREATE SEQUENCE pipelines_id;

CREATE SEQUENCE products_id;

CREATE SEQUENCE service_calls_id;

CREATE SEQUENCE stages_id;

CREATE SEQUENCE subscriptions_id;

CREATE SEQUENCE surveys_id;

CREATE SEQUENCE teams_id;

CREATE SEQUENCE tickets_id;

CREATE SEQUENCE user_events_id;

CREATE SEQUENCE users_id;

CREATE SEQUENCE web_visits_id;

CREATE VIEW live_contacts AS SELECT * FROM contacts WHERE deleted_at IS NULL AND merged_into_id IS NULL;
CREATE VIEW live_companies AS SELECT * FROM companies WHERE deleted_at IS NULL AND merged_into_id IS NULL;
CREATE VIEW live_deals AS SELECT * FROM deals WHERE deleted_at IS NULL AND merged_into_id IS NULL;

CREATE VIEW revenue_lines AS
SELECT 'deal' AS kind, d.id AS deal_id, CAST(NULL AS BIGINT) AS order_id, d.deal_type, d.product_id,
       d.contact_id, d.company_id, d.owner_id, d.campaign_id, d.amount, d.cost, d.closed_at AS occurred_at
  FROM deals d
 WHERE d.status = 'won' AND d.deleted_at IS NULL AND d.merged_into_id IS NULL
UNION ALL
SELECT 'order', NULL, o.id, NULL, l.product_id, o.contact_id, o.company_id, NULL, o.campaign_id,
       CAST(l.quantity * l.unit_price AS DECIMAL(18,2)), CAST(l.quantity * l.unit_cost AS DECIMAL(18,2)),
       o.ordered_at
  FROM order_lines l JOIN orders o ON o.id = l.order_id
 WHERE o.deleted_at IS NULL;
