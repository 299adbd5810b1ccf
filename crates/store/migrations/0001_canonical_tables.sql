-- The canonical tables of docs/spec/schema.md.
--
-- Foreign keys are documented, not declared: real CRM exports carry orphan references, and
-- the audit must be able to find them in the store rather than have the import refuse them.
-- Labels are VARCHAR, not ENUM, for the same reason (misspelt labels are audit findings).

CREATE TABLE teams (
    id          BIGINT PRIMARY KEY,
    name        VARCHAR NOT NULL,
    manager_id  BIGINT
);

CREATE TABLE users (
    id             BIGINT PRIMARY KEY,
    name           VARCHAR NOT NULL,
    email          VARCHAR,
    role           VARCHAR NOT NULL,
    team_id        BIGINT,
    active         BOOLEAN NOT NULL DEFAULT true,
    hourly_cost    DECIMAL(18,2),
    created_at     TIMESTAMP NOT NULL,
    last_login_at  TIMESTAMP
);

CREATE TABLE companies (
    id              BIGINT PRIMARY KEY,
    name            VARCHAR NOT NULL,
    domain          VARCHAR,
    industry        VARCHAR,
    employees       INTEGER,
    annual_revenue  DECIMAL(18,2),
    street          VARCHAR,
    postal_code     VARCHAR,
    city            VARCHAR,
    region          VARCHAR,
    country         VARCHAR,
    phone           VARCHAR,
    owner_id        BIGINT,
    parent_id       BIGINT,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    deleted_at      TIMESTAMP,
    merged_into_id  BIGINT,
    source_system   VARCHAR,
    external_id     VARCHAR,
    custom          JSON,
    UNIQUE (source_system, external_id)
);

CREATE TABLE contacts (
    id                      BIGINT PRIMARY KEY,
    first_name              VARCHAR,
    last_name               VARCHAR,
    email                   VARCHAR,
    phone                   VARCHAR,
    title                   VARCHAR,
    company_id              BIGINT,
    street                  VARCHAR,
    postal_code             VARCHAR,
    city                    VARCHAR,
    region                  VARCHAR,
    country                 VARCHAR,
    birth_date              DATE,
    owner_id                BIGINT,
    lifecycle_stage         VARCHAR,
    lead_source             VARCHAR,
    lead_at                 TIMESTAMP,
    customer_at             TIMESTAMP,
    referred_by_contact_id  BIGINT,
    first_campaign_id       BIGINT,
    email_status            VARCHAR,
    created_at              TIMESTAMP NOT NULL,
    updated_at              TIMESTAMP NOT NULL,
    deleted_at              TIMESTAMP,
    merged_into_id          BIGINT,
    source_system           VARCHAR,
    external_id             VARCHAR,
    custom                  JSON,
    UNIQUE (source_system, external_id)
);

CREATE TABLE pipelines (
    id    BIGINT PRIMARY KEY,
    name  VARCHAR NOT NULL
);

CREATE TABLE stages (
    id           BIGINT PRIMARY KEY,
    pipeline_id  BIGINT NOT NULL,
    name         VARCHAR NOT NULL,
    position     INTEGER NOT NULL,
    probability  DOUBLE NOT NULL CHECK (probability BETWEEN 0 AND 1),
    kind         VARCHAR NOT NULL CHECK (kind IN ('open', 'won', 'lost'))
);

CREATE TABLE deals (
    id                   BIGINT PRIMARY KEY,
    name                 VARCHAR,
    pipeline_id          BIGINT NOT NULL,
    stage_id             BIGINT NOT NULL,
    status               VARCHAR NOT NULL,
    amount               DECIMAL(18,2),
    currency             VARCHAR NOT NULL,
    cost                 DECIMAL(18,2),
    owner_id             BIGINT,
    contact_id           BIGINT,
    company_id           BIGINT,
    product_id           BIGINT,
    campaign_id          BIGINT,
    source               VARCHAR,
    deal_type            VARCHAR,
    created_at           TIMESTAMP NOT NULL,
    expected_close_date  DATE,
    closed_at            TIMESTAMP,
    lost_reason          VARCHAR,
    updated_at           TIMESTAMP NOT NULL,
    deleted_at           TIMESTAMP,
    merged_into_id       BIGINT,
    source_system        VARCHAR,
    external_id          VARCHAR,
    custom               JSON,
    UNIQUE (source_system, external_id)
);

CREATE TABLE deal_stage_history (
    id          BIGINT PRIMARY KEY,
    deal_id     BIGINT NOT NULL,
    stage_id    BIGINT NOT NULL,
    entered_at  TIMESTAMP NOT NULL,
    exited_at   TIMESTAMP,
    changed_by  BIGINT
);

CREATE TABLE deal_changes (
    id          BIGINT PRIMARY KEY,
    deal_id     BIGINT NOT NULL,
    field       VARCHAR NOT NULL,
    old_value   VARCHAR,
    new_value   VARCHAR,
    changed_at  TIMESTAMP NOT NULL,
    changed_by  BIGINT
);

CREATE TABLE products (
    id            BIGINT PRIMARY KEY,
    name          VARCHAR NOT NULL,
    product_line  VARCHAR,
    list_price    DECIMAL(18,2),
    unit_cost     DECIMAL(18,2)
);

CREATE TABLE orders (
    id             BIGINT PRIMARY KEY,
    contact_id     BIGINT,
    company_id     BIGINT,
    campaign_id    BIGINT,
    ordered_at     TIMESTAMP NOT NULL,
    currency       VARCHAR NOT NULL,
    source_system  VARCHAR,
    external_id    VARCHAR,
    deleted_at     TIMESTAMP,
    UNIQUE (source_system, external_id)
);

CREATE TABLE order_lines (
    id          BIGINT PRIMARY KEY,
    order_id    BIGINT NOT NULL,
    product_id  BIGINT,
    quantity    INTEGER NOT NULL,
    unit_price  DECIMAL(18,2) NOT NULL,
    unit_cost   DECIMAL(18,2)
);

CREATE TABLE subscriptions (
    id            BIGINT PRIMARY KEY,
    contact_id    BIGINT,
    company_id    BIGINT,
    product_id    BIGINT,
    started_at    TIMESTAMP NOT NULL,
    ends_at       TIMESTAMP NOT NULL,
    renewed_at    TIMESTAMP,
    cancelled_at  TIMESTAMP,
    mrr           DECIMAL(18,2) NOT NULL
);

CREATE TABLE activities (
    id                BIGINT PRIMARY KEY,
    type              VARCHAR NOT NULL,
    owner_id          BIGINT,
    contact_id        BIGINT,
    company_id        BIGINT,
    deal_id           BIGINT,
    subject           VARCHAR,
    due_at            TIMESTAMP,
    completed_at      TIMESTAMP,
    duration_seconds  INTEGER,
    outcome           VARCHAR,
    created_at        TIMESTAMP NOT NULL
);

CREATE TABLE campaigns (
    id           BIGINT PRIMARY KEY,
    name         VARCHAR NOT NULL,
    channel      VARCHAR NOT NULL,
    launched_at  TIMESTAMP NOT NULL,
    ended_at     TIMESTAMP,
    cost         DECIMAL(18,2)
);

CREATE TABLE campaign_events (
    id           BIGINT PRIMARY KEY,
    campaign_id  BIGINT NOT NULL,
    contact_id   BIGINT,
    event        VARCHAR NOT NULL,
    occurred_at  TIMESTAMP NOT NULL
);

CREATE TABLE list_subscriptions (
    id               BIGINT PRIMARY KEY,
    contact_id       BIGINT NOT NULL,
    list_name        VARCHAR NOT NULL,
    subscribed_at    TIMESTAMP NOT NULL,
    unsubscribed_at  TIMESTAMP
);

CREATE TABLE web_visits (
    id                BIGINT PRIMARY KEY,
    visitor_id        VARCHAR NOT NULL,
    contact_id        BIGINT,
    started_at        TIMESTAMP NOT NULL,
    duration_seconds  INTEGER,
    pageviews         INTEGER,
    landing_page      VARCHAR,
    source            VARCHAR,
    goal_completed    BOOLEAN NOT NULL DEFAULT false
);

CREATE TABLE tickets (
    id                 BIGINT PRIMARY KEY,
    contact_id         BIGINT,
    company_id         BIGINT,
    agent_id           BIGINT,
    channel            VARCHAR,
    type               VARCHAR,
    priority           VARCHAR,
    opened_at          TIMESTAMP NOT NULL,
    first_response_at  TIMESTAMP,
    resolved_at        TIMESTAMP,
    sla_due_at         TIMESTAMP,
    work_seconds       INTEGER,
    csat               SMALLINT CHECK (csat BETWEEN 1 AND 5)
);

CREATE TABLE service_calls (
    id              BIGINT PRIMARY KEY,
    agent_id        BIGINT,
    contact_id      BIGINT,
    ticket_id       BIGINT,
    direction       VARCHAR NOT NULL,
    queued_at       TIMESTAMP NOT NULL,
    answered_at     TIMESTAMP,
    ended_at        TIMESTAMP,
    handle_seconds  INTEGER,
    is_callback     BOOLEAN NOT NULL DEFAULT false
);

CREATE TABLE surveys (
    id            BIGINT PRIMARY KEY,
    contact_id    BIGINT,
    kind          VARCHAR NOT NULL,
    score         SMALLINT NOT NULL,
    responded_at  TIMESTAMP NOT NULL
);

CREATE TABLE user_events (
    id           BIGINT PRIMARY KEY,
    user_id      BIGINT NOT NULL,
    event        VARCHAR NOT NULL,
    entity       VARCHAR,
    entity_id    BIGINT,
    occurred_at  TIMESTAMP NOT NULL
);

CREATE TABLE goals (
    id            BIGINT PRIMARY KEY,
    name          VARCHAR NOT NULL,
    metric        VARCHAR NOT NULL,
    target        DOUBLE NOT NULL,
    period_start  DATE NOT NULL,
    period_end    DATE NOT NULL,
    scope         VARCHAR NOT NULL,
    scope_id      BIGINT,
    direction     VARCHAR NOT NULL DEFAULT 'at_least',
    filters       JSON
);

CREATE TABLE deal_scores (
    id             BIGINT PRIMARY KEY,
    deal_id        BIGINT NOT NULL,
    probability    DOUBLE NOT NULL CHECK (probability BETWEEN 0 AND 1),
    model_version  VARCHAR NOT NULL,
    scored_at      TIMESTAMP NOT NULL,
    factors        JSON
);

CREATE TABLE merge_journal (
    id             BIGINT PRIMARY KEY,
    entity         VARCHAR NOT NULL,
    survivor_id    BIGINT NOT NULL,
    merged_id      BIGINT NOT NULL,
    before_images  JSON NOT NULL,
    decisions      JSON,
    merged_at      TIMESTAMP NOT NULL,
    merged_by      VARCHAR,
    undone_at      TIMESTAMP
);
