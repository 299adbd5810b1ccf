-- Pairs a user marked as not the same real entity (`embudo audit not-duplicate A B`): the
-- duplicate finder never proposes them again. `low_id` < `high_id`.

CREATE TABLE not_duplicates (
    entity     VARCHAR NOT NULL,
    low_id     BIGINT NOT NULL,
    high_id    BIGINT NOT NULL,
    marked_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (entity, low_id, high_id)
);
