-- People who may sign in. `password_hash` is an argon2id PHC string; `must_change` is
-- set for one-time passwords (first admin, resets) until the user picks their own.
CREATE TABLE users (
    username      TEXT PRIMARY KEY NOT NULL,
    role          TEXT NOT NULL,             -- caseworker | planner | admin
    password_hash TEXT NOT NULL,
    must_change   BOOLEAN NOT NULL,
    created_at    TEXT NOT NULL
);

-- Signed-in browser sessions and API tokens: only the SHA-256 of the secret is kept.
CREATE TABLE credentials (
    secret_hash TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL,               -- session | token
    username    TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    label       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT                         -- NULL: until revoked
);
CREATE INDEX credentials_user ON credentials (username);

-- Who changed what: one row per write, with the record before and after (JSON).
CREATE TABLE audit (
    id          BIGSERIAL PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,               -- create | update | delete | replace | user.*
    entity_kind TEXT NOT NULL,               -- facility | area | settlement | user
    entity_id   TEXT NOT NULL,
    before      TEXT,
    after       TEXT
);
CREATE INDEX audit_entity ON audit (entity_kind, entity_id);
