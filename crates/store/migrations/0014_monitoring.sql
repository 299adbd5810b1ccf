-- Monitoring: reports delivered on a schedule, alert rules on metrics, and every attempt to
-- reach someone. Names are chosen by people (`embudo schedule add weekly-pipeline …`).

-- The language a user reads deliveries in (`en`, `es`); unset: the store's default.
ALTER TABLE users ADD COLUMN lang VARCHAR;

CREATE TABLE schedules (
    name        VARCHAR PRIMARY KEY,
    -- A canned report's name, or `all` for the whole pack.
    report      VARCHAR NOT NULL,
    -- The report's filters (pipeline, owner, team, source) as a JSON object.
    filters     JSON NOT NULL,
    -- day, week or month.
    every       VARCHAR NOT NULL,
    -- Local time of day, HH:MM, in the store's time zone.
    at_time     VARCHAR NOT NULL,
    -- For weekly schedules: mon … sun.
    weekday     VARCHAR,
    -- E-mail addresses of users of the store, as a JSON array.
    recipients  JSON NOT NULL,
    webhook     VARCHAR,
    format      VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE alert_rules (
    name           VARCHAR PRIMARY KEY,
    metric         VARCHAR NOT NULL,
    -- value: the metric over the period; change_pct: against the period before.
    measure        VARCHAR NOT NULL,
    op             VARCHAR NOT NULL,
    threshold      DOUBLE NOT NULL,
    -- Dimension filters as a JSON object, e.g. {"team": "East"}.
    filters        JSON NOT NULL,
    every          VARCHAR NOT NULL,
    at_time        VARCHAR NOT NULL,
    weekday        VARCHAR,
    recipients     JSON NOT NULL,
    webhook        VARCHAR,
    cooldown_hours BIGINT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    -- While the condition holds the rule is firing and says nothing more; it fires again
    -- only after the condition has cleared and the cool-down has passed.
    firing         BOOLEAN NOT NULL DEFAULT false,
    last_fired_at  TIMESTAMP,
    -- The last period judged, so that a second run for the same period judges nothing.
    last_period    VARCHAR
);

-- Every attempt to deliver a schedule's report or an alert, one row per attempt.
CREATE TABLE deliveries (
    id            BIGINT PRIMARY KEY,
    -- schedule or alert, and its name.
    kind          VARCHAR NOT NULL,
    name          VARCHAR NOT NULL,
    -- The period the delivery covers, [from, to) in local days, as text: its identity.
    period        VARCHAR NOT NULL,
    -- email or webhook, and the address or URL.
    channel       VARCHAR NOT NULL,
    target        VARCHAR NOT NULL,
    attempt       BIGINT NOT NULL,
    attempted_at  TIMESTAMP NOT NULL,
    -- sent or failed.
    outcome       VARCHAR NOT NULL,
    error         VARCHAR
);
CREATE SEQUENCE deliveries_id START 1;
