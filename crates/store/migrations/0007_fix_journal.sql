-- Suggested fixes applied on request (`embudo audit fix CHECK --apply`): one row per changed
-- field, grouped by batch, so `embudo audit unfix BATCH` puts the old values back.

CREATE TABLE fix_journal (
    batch_id    BIGINT NOT NULL,
    check_id    VARCHAR NOT NULL,
    entity      VARCHAR NOT NULL,
    row_id      BIGINT NOT NULL,
    field       VARCHAR NOT NULL,
    old_value   VARCHAR,
    new_value   VARCHAR,
    applied_at  TIMESTAMP NOT NULL,
    undone_at   TIMESTAMP,
    PRIMARY KEY (batch_id, entity, row_id, field)
);
