-- Who may use the server, and how they prove it. Secrets are never stored: passwords as
-- argon2id hashes, API tokens and session ids as SHA-256 digests of high-entropy values.

CREATE TABLE access_passwords (
    user_id        BIGINT PRIMARY KEY,
    password_hash  VARCHAR NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);

CREATE TABLE access_tokens (
    id            BIGINT PRIMARY KEY,
    user_id       BIGINT NOT NULL,
    name          VARCHAR NOT NULL,
    token_digest  VARCHAR NOT NULL UNIQUE,
    created_at    TIMESTAMP NOT NULL,
    last_used_at  TIMESTAMP,
    revoked_at    TIMESTAMP
);

CREATE TABLE access_sessions (
    id_digest    VARCHAR PRIMARY KEY,
    user_id      BIGINT NOT NULL,
    csrf_token   VARCHAR NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL
);
