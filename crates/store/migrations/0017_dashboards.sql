-- Dashboards people compose: report sections, metrics and saved custom reports pinned as
-- tiles, arranged in order and width, shown to their owner, a team or the whole company.
CREATE TABLE dashboards (
    id          BIGINT PRIMARY KEY,
    name        VARCHAR NOT NULL,
    -- The user who made it (`users.id`).
    owner_id    BIGINT NOT NULL,
    -- Who else sees it: 'owner' (nobody else), 'team' (the team `team_id`) or 'company'.
    audience    VARCHAR NOT NULL,
    team_id     BIGINT,
    -- The tiles in the order shown: a JSON array of {"kind": "section" | "metrics" |
    -- "saved", what it shows, "width", "title"}; see docs/spec/schema.md.
    tiles       JSON NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE SEQUENCE dashboards_id START 1;
