-- Corrective actions taken from an alert (`embudo alert act`), journaled so that they can
-- be undone: which rule, what was done, the records it created, and when it was undone.
CREATE TABLE action_journal (
    id            BIGINT PRIMARY KEY,
    rule          VARCHAR NOT NULL,
    -- follow_up: one task per record behind the alert, for the record's owner.
    action        VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    -- The ids of the activities the action created, as a JSON array.
    activity_ids  JSON NOT NULL,
    undone_at     TIMESTAMP
);
