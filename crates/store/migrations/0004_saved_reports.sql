-- Custom reports saved by name (`embudo query --save NAME`), as their JSON spec.

CREATE TABLE saved_reports (
    name        VARCHAR PRIMARY KEY,
    spec        JSON NOT NULL,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);
