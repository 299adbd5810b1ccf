-- Saved reports get an owner (the user who saved them through the server; none for those
-- saved on the command line) and whether everyone may open them. Reports saved before this
-- were open to everyone, and stay so.
ALTER TABLE saved_reports ADD COLUMN owner_id BIGINT;
ALTER TABLE saved_reports ADD COLUMN shared BOOLEAN DEFAULT true;
UPDATE saved_reports SET shared = true;

-- Failed logins, so that the limit on them holds across restarts of the server. `key` is an
-- account (its e-mail, lower case) or an address; rows older than the limiter's window are
-- removed when the server starts.
CREATE TABLE access_login_failures (
    key        VARCHAR NOT NULL,
    failed_at  TIMESTAMP NOT NULL
);
