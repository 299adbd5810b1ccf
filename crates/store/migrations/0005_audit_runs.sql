-- Data-quality scores of every `embudo audit` run, per entity and dimension, so their trend
-- can be shown.

CREATE TABLE audit_runs (
    run_id     BIGINT NOT NULL,
    ran_at     TIMESTAMP NOT NULL,
    entity     VARCHAR NOT NULL,
    dimension  VARCHAR NOT NULL,
    score      DOUBLE NOT NULL,
    failing    BIGINT NOT NULL,
    total      BIGINT NOT NULL,
    PRIMARY KEY (run_id, entity, dimension)
);
