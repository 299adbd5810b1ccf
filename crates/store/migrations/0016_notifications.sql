-- What the product tells each user: an alert that fired for them, or follow-up tasks a
-- corrective action gave them. Read on the notifications page; opening one marks it read.
CREATE TABLE notifications (
    id          BIGINT PRIMARY KEY,
    user_id     BIGINT NOT NULL,
    -- The alert rule it comes from.
    rule        VARCHAR NOT NULL,
    -- alert: the rule fired for this user; tasks: an action gave this user follow-up tasks.
    kind        VARCHAR NOT NULL,
    -- The period judged, [from, to) in local days, as text.
    period      VARCHAR NOT NULL,
    message     VARCHAR NOT NULL,
    -- The records behind it: {"entity": "deals", "ids": [12, 40]}, or {} when a figure
    -- has no records (a metric, goals, the audit).
    records     JSON NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    read_at     TIMESTAMP,
    -- The corrective action taken from it (`action_journal.id`).
    action_id   BIGINT
);
CREATE SEQUENCE notifications_id START 1;

-- What a rule was firing on when last judged (a JSON array of names): the goals of a
-- `goals_at_risk` rule, or the members of a rule judged per dimension value (`--by owner`),
-- so that each goal or member newly crossing fires on its own.
ALTER TABLE alert_rules ADD COLUMN firing_on JSON;
-- A metric rule judged for each value of this dimension (`owner`, `team`, `lead_source`…).
ALTER TABLE alert_rules ADD COLUMN by_dim VARCHAR;

-- A schedule may deliver a saved custom report: `schedules.report` reads `saved:NAME`.
